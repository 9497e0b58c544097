/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filler.S - FILLER_FDES small functions with call frame information, to
 * make libfirst-big.so's .eh_frame about as large as libc's (bench/Makefile).
 * Each one saves two registers and makes room on the stack, as compiled
 * code does, so that its FDE has a CFA row per instruction that moves the
 * stack.  Nothing calls them.
 */
	.text
	.rept FILLER_FDES
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	push %rbx
	.cfi_def_cfa_offset 24
	.cfi_offset %rbx, -24
	sub $24, %rsp
	.cfi_def_cfa_offset 48
	add $24, %rsp
	.cfi_def_cfa_offset 24
	pop %rbx
	.cfi_def_cfa_offset 16
	pop %rbp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.endr

	.section .note.GNU-stack, "", @progbits
