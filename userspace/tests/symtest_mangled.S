/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symtest_mangled.S - symbols with names no C compiler writes, linked into
 * libsymtest_cxx.so: Rust's (v0 and legacy, as rustc would mangle them,
 * without needing rustc) and names that only look mangled.  Each is 64
 * bytes of code-section filler: test_symbols names addresses in them and
 * never calls them.
 */
#define SYM(name)			\
	.globl name;			\
	.type name, @function;		\
name:					\
	.skip 64;			\
	.size name, . - name

	.text
/* mycrate::pool::grow (v0, crate disambiguator 1234) */
SYM(_RNvNtCs1234_7mycrate4pool4grow)
/* <mycrate::Pool>::new (v0: an inherent impl) */
SYM(_RNvMNtCs1234_7mycrate4poolNtB2_4Pool3new)
/* mycrate::pool::shrink::h0123456789abcdef (legacy) */
SYM(_ZN7mycrate4pool6shrink17h0123456789abcdefE)
/* not valid: shown as they are */
SYM(_Zbogus)
SYM(_RNvXX)
	.section .note.GNU-stack,"",@progbits
