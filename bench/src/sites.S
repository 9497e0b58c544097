/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sites.S - 100,000 distinct mmap call sites for anonbench (benchmark 7).
 *
 * anonstat keys a site on the user return addresses of an mmap call.  Each
 * stub below is a tiny function with a frame pointer that forwards its
 * arguments to mmap() from a call instruction of its own, so each stub is
 * a call site of its own, as in a program with that many callers.  (Written
 * in assembly because gcc needs minutes for 100,000 C functions.)  The
 * preprocessor expands the stubs site_00000 .. site_99999 and the table
 * anonbench_site_fns[] of their addresses.
 */
#define SITE_FN(n) site_##n: push %rbp; mov %rsp, %rbp; call mmap@PLT; pop %rbp; ret;
#define SITE_REF(n) .quad site_##n;

/* X(p0) .. X(p9), then by powers of ten */
#define D1(X, p) X(p##0) X(p##1) X(p##2) X(p##3) X(p##4) \
		 X(p##5) X(p##6) X(p##7) X(p##8) X(p##9)
#define D2(X, p) D1(X, p##0) D1(X, p##1) D1(X, p##2) D1(X, p##3) D1(X, p##4) \
		 D1(X, p##5) D1(X, p##6) D1(X, p##7) D1(X, p##8) D1(X, p##9)
#define D3(X, p) D2(X, p##0) D2(X, p##1) D2(X, p##2) D2(X, p##3) D2(X, p##4) \
		 D2(X, p##5) D2(X, p##6) D2(X, p##7) D2(X, p##8) D2(X, p##9)
#define D4(X, p) D3(X, p##0) D3(X, p##1) D3(X, p##2) D3(X, p##3) D3(X, p##4) \
		 D3(X, p##5) D3(X, p##6) D3(X, p##7) D3(X, p##8) D3(X, p##9)
#define D5(X) D4(X, 0) D4(X, 1) D4(X, 2) D4(X, 3) D4(X, 4) \
	      D4(X, 5) D4(X, 6) D4(X, 7) D4(X, 8) D4(X, 9)

	.text
D5(SITE_FN)

	.section .data.rel.ro, "aw"
	.balign 8
	.globl anonbench_site_fns
anonbench_site_fns:
D5(SITE_REF)
	.globl anonbench_nr_sites
anonbench_nr_sites:
	.quad 100000

	.section .note.GNU-stack, "", @progbits
