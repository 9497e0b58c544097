// SPDX-License-Identifier: GPL-2.0
/*
 * cfi_sample.c - code whose call frame information test_cfi compares with
 * libdw's: built by the Makefile with several compilers and options
 * (-O2 -fomit-frame-pointer, -O3, -O0 with frame pointers, .debug_frame
 * only, arm64 with return address signing).  The functions are there for
 * the shapes of their prologues and epilogues: a leaf, many callee-saved
 * registers, a variable-sized frame (the CFA follows the frame pointer), a
 * frame larger than 64 KiB, early returns (remember/restore state), a
 * recursion, tail calls and calls through the PLT, a function that does
 * not return.  With -DCFI_MAIN it is a program (its _start, its .plt).
 */
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

NOINLINE int cfi_leaf(int a, int b)
{
	return a * b + 3;
}

NOINLINE long cfi_saves(long a, long b, long c, long d, long e, long f)
{
	long x = a * 3, y = b * 5, z = c * 7, w = d * 11, v = e * 13, u = f * 17;
	const char *home = getenv("HOME");

	x += home ? (long)strlen(home) : 0;
	y ^= (long)(getenv("PATH") != NULL);
	z += cfi_leaf((int)x, (int)y);
	w -= (long)(getenv("TERM") != NULL);
	return x + y + z + w + v + u;
}

NOINLINE long cfi_vla(int n)
{
	char *p = alloca((size_t)n + 1);

	memset(p, 'a' + n % 26, (size_t)n);
	p[n] = 0;
	return cfi_saves(p[0], p[n / 2], n, (long)strlen(p), 0, 1) +
	       (long)(strchr(p, 'z') != NULL);
}

NOINLINE int cfi_early(int n, const char *s)
{
	if (n < 0)
		return -1;
	if (!s)
		return (int)cfi_saves(n, n, n, n, n, n);
	if (n > 100) {
		fputs(s, stderr);
		return 1;
	}
	return (int)strlen(s) + cfi_leaf(n, 2);
}

NOINLINE long cfi_big(int n)
{
	volatile char buf[70000];

	buf[n % 70000] = (char)n;
	return buf[(n / 2) % 70000] + cfi_leaf(n, n);
}

NOINLINE long cfi_recurse(long n)
{
	if (n <= 1)
		return 1;
	return n * cfi_recurse(n - 1) + cfi_recurse(n - 2) / 3;
}

NOINLINE long cfi_tail(long n)
{
	if (n & 1)
		return cfi_recurse(n / 2);
	return cfi_big((int)n);
}

__attribute__((noreturn)) NOINLINE void cfi_die(const char *msg)
{
	fputs(msg, stderr);
	abort();
}

NOINLINE double cfi_float(double a, int n)
{
	double s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += a / (i + 1) + cfi_leaf(i, n);
	return s;
}

#ifdef CFI_MAIN
int main(int argc, char **argv)
{
	long r;

	if (argc > 5)
		cfi_die("too many arguments\n");
	r = cfi_vla(argc + 3) + cfi_early(argc, argv[0]) + cfi_tail(argc) +
	    (long)cfi_float(1.5, argc);
	printf("%ld\n", r);
	return 0;
}
#endif
