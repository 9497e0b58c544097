/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cfi_exotic.S - x86-64 call frame information that compilers seldom or
 * never write, for test_cfi to compare with libdw: the _sf forms, the
 * GNU negative offset, val_offset, restore_extended, args_size, long
 * advances (advance_loc1/2/4), nested remember/restore state, DW_CFA_restore,
 * CFA and register expressions (followed and not), a signal frame, a
 * return address undefined, in a register, as a value, in another column,
 * a personality and an LSDA, a restore_state with nothing remembered and
 * (-DEXOTIC_UNKNOWN_OP) an unknown opcode: the compiler stops following
 * those FDEs there.
 * The code is never run: only its addresses and its CFI matter.
 */
#define FN(name) .globl name; .type name, @function; .p2align 4; name:

	.text

FN(exotic_sf)
.Lpersonality:
	.cfi_startproc
	nop
	.cfi_escape 0x13, 0x7e			/* def_cfa_offset_sf -2: 16 */
	nop; nop
	.cfi_escape 0x12, 0x07, 0x7d		/* def_cfa_sf rsp, -3: 24 */
	nop; nop
	.cfi_escape 0x11, 0x06, 0x03		/* offset_extended_sf rbp, 3: cfa-24 */
	nop; nop
	.cfi_escape 0x2f, 0x06, 0x02		/* GNU_negative_offset_extended rbp, 2: cfa+16 */
	nop; nop
	.cfi_escape 0x05, 0x10, 0x02		/* offset_extended rip, 2: cfa-16 */
	nop
	.cfi_escape 0x14, 0x06, 0x02		/* val_offset rbp */
	nop
	.cfi_escape 0x06, 0x06			/* restore_extended rbp */
	nop
	.cfi_escape 0x15, 0x06, 0x7f		/* val_offset_sf rbp */
	nop
	.cfi_escape 0x06, 0x10			/* restore_extended rip */
	nop
	.cfi_escape 0x2e, 0x10			/* GNU_args_size 16 */
	nop
	.cfi_escape 0x00			/* nop */
	nop
	.cfi_escape 0x12, 0x06, 0x7e		/* def_cfa_sf rbp, -2: 16 */
	nop
	.cfi_escape 0x11, 0x10, 0x7f		/* offset_extended_sf rip, -1: cfa+8 */
	ret
	.cfi_endproc

FN(exotic_advance)
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	.skip 100, 0x90				/* advance_loc1 */
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	.skip 300, 0x90				/* advance_loc2 */
	.cfi_remember_state
	.cfi_remember_state
	.cfi_def_cfa %rsp, 8
	.cfi_same_value %rbp
	.skip 70000, 0x90			/* advance_loc4 */
	.cfi_restore_state
	nop
	.cfi_restore %rbp
	nop
	.cfi_restore_state
	nop
	.cfi_undefined %rbp
	nop
	.cfi_register %rbp, %rbx
	nop
	pop %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc

FN(exotic_expr)
	.cfi_startproc
	nop
	.cfi_escape 0x0f, 0x03, 0x77, 0x10, 0x06	/* CFA: *(rsp + 16) */
	.cfi_escape 0x10, 0x10, 0x02, 0x77, 0x28	/* rip at rsp + 40 */
	.cfi_escape 0x10, 0x06, 0x02, 0x77, 0x30	/* rbp at rsp + 48 */
	nop; nop
	.cfi_escape 0x16, 0x06, 0x02, 0x77, 0x08	/* rbp = rsp + 8, a value */
	nop
	.cfi_escape 0x10, 0x06, 0x03, 0x76, 0x08, 0x06	/* rbp at *(rbp + 8) */
	nop
	.cfi_escape 0x0f, 0x02, 0x76, 0x08		/* CFA: rbp + 8, an expression */
	nop
	.cfi_escape 0x0f, 0x03, 0x76, 0x78, 0x06	/* CFA: *(rbp - 8), gcc's DRAP */
	nop
	.cfi_def_cfa %rsp, 16
	.cfi_offset %rip, -8
	.cfi_offset %rbp, -16
	nop
	.cfi_escape 0x0f, 0x03, 0x77, 0x10, 0x06	/* CFA: *(rsp + 16) */
	nop
	.cfi_def_cfa_offset 32				/* after an expression */
	nop
	.cfi_def_cfa %rbx, 8				/* another register */
	nop
	.cfi_def_cfa %rsp, 8
	nop
	.cfi_escape 0x14, 0x10, 0x01			/* rip = cfa - 8, a value */
	nop
	.cfi_register %rip, %rdi
	nop
	.cfi_undefined %rip
	nop; nop
	.cfi_offset %rip, -8
	nop
	.cfi_escape 0x10, 0x10, 0x03, 0x77, 0x28, 0x06	/* rip at *(rsp + 40) */
	nop
	.cfi_escape 0x10, 0x10, 0x02, 0x77, 0x7f	/* rip at rsp - 1 */
	ret
	.cfi_endproc

	/* glibc's __restore_rt: the FDE starts a byte before the function */
	.p2align 4
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_escape 0x0f, 0x04, 0x77, 0xa0, 0x01, 0x06	/* CFA: *(rsp + 160) */
	.cfi_escape 0x10, 0x10, 0x03, 0x77, 0xa8, 0x01	/* rip at rsp + 168 */
	.cfi_escape 0x10, 0x06, 0x03, 0x77, 0xf8, 0x00	/* rbp at rsp + 120 */
	nop
	.globl exotic_signal
	.type exotic_signal, @function
exotic_signal:
	mov $15, %rax
	syscall
	.cfi_endproc

FN(exotic_personality)
	.cfi_startproc
	.cfi_personality 0x1b, .Lpersonality
	.cfi_lsda 0x1b, .Llsda
	push %rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	nop
	pop %rbx
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc

FN(exotic_retcol)
	.cfi_startproc
	.cfi_return_column %rdi
	nop; nop
	ret
	.cfi_endproc

FN(exotic_bad_restore)
	.cfi_startproc
	nop
	.cfi_def_cfa_offset 16
	nop; nop
	.cfi_escape 0x0b			/* restore_state, nothing remembered */
	nop; nop
	ret
	.cfi_endproc

#ifdef EXOTIC_UNKNOWN_OP
/* ld cannot parse it either: no search table in .eh_frame_hdr then */
FN(exotic_unknown_op)
	.cfi_startproc
	nop
	.cfi_def_cfa_offset 16
	nop
	.cfi_escape 0x3c			/* an opcode nobody defined */
	nop; nop
	ret
	.cfi_endproc
#endif

	.section .rodata
.Llsda:
	.byte 0xff, 0xff, 0x01, 0x00

	.section .note.GNU-stack, "", @progbits
