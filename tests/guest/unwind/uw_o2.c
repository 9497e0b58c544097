// SPDX-License-Identifier: GPL-2.0
/*
 * uw_o2 - marked mmaps (uw.h) from eight call paths, built -O2
 * -fomit-frame-pointer (tests/guest/Makefile): no frame pointer but where
 * the compiler needs one (a variable-length array, a realigned stack).
 * The functions of a path do work after their call, so that each is a
 * frame of its own; uw_o3 has the tail calls.
 *
 *   k  path below main (-> mmap64 in libc unless said)
 *   0  a1 a2 a3 map_len
 *   1  b1 b2 b3 b4 b5 map_len
 *   2  c_vla (a variable-length array: the CFA is kept in rbp / x29) c2 map_len
 *   3  d_align (a 64-byte aligned local: the stack realigned) map_len
 *   4  e_sort qsort (libc) e_cmp map_len: a callback inside libc
 *   5  f_rec x 6 (recursion: return addresses repeat) map_len
 *   6  g1 g_raw: the syscall instruction inline in a leaf of this program
 *   7  h_drap (x86-64: force_align_arg_pointer, the CFA found through a
 *      DRAP, a DW_CFA_def_cfa_expression; arm64: a plain frame) map_len
 */
#include "uw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NI __attribute__((noipa))

static volatile uintptr_t sink;

NI static void fail(const char *what, unsigned long len)
{
	fprintf(stderr, "uw_o2: %s of %lu bytes failed\n", what, len);
	exit(1);
}

NI void *map_len(int k)
{
	unsigned long len = UW_MARK_LEN(k);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fail("mmap", len);
	return p;
}

LINK(a3, map_len)
LINK(a2, a3)
LINK(a1, a2)

LINK(b5, map_len)
LINK(b4, b5)
LINK(b3, b4)
LINK(b2, b3)
LINK(b1, b2)

LINK(c2, map_len)

NI void *c_vla(int k, size_t n)
{
	char buf[n];
	void *p;

	memset(buf, k, n);
	sink += (uintptr_t)buf;
	p = c2(k);
	sink += (uintptr_t)buf[n / 2];
	return p;
}

NI void *d_align(int k)
{
	_Alignas(64) char buf[64];
	void *p;

	memset(buf, k, sizeof(buf));
	sink += (uintptr_t)buf;
	p = map_len(k);
	sink += (uintptr_t)buf[7];
	return p;
}

static int e_k;
static void *e_p;

NI int e_cmp(const void *a, const void *b)
{
	if (!e_p)
		e_p = map_len(e_k);
	return *(const int *)a - *(const int *)b;
}

NI void *e_sort(int k)
{
	int v[2] = { 2, 1 };

	e_k = k;
	qsort(v, 2, sizeof(v[0]), e_cmp);
	sink += (uintptr_t)v[0];
	return e_p;
}

NI void *f_rec(int k, int n)
{
	void *p = n ? f_rec(k, n - 1) : map_len(k);

	sink += (uintptr_t)p + (uintptr_t)n;
	return p;
}

/* mmap by the system call instruction itself: a leaf without a frame */
NI void *g_raw(int k)
{
	unsigned long len = UW_MARK_LEN(k);
	long ret;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = MAP_PRIVATE | MAP_ANONYMOUS;
	register long r8 __asm__("r8") = -1;
	register long r9 __asm__("r9") = 0;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_mmap), "D"(0L), "S"(len),
			   "d"((long)(PROT_READ | PROT_WRITE)), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = SYS_mmap;
	register long x0 __asm__("x0") = 0;
	register long x1 __asm__("x1") = (long)len;
	register long x2 __asm__("x2") = PROT_READ | PROT_WRITE;
	register long x3 __asm__("x3") = MAP_PRIVATE | MAP_ANONYMOUS;
	register long x4 __asm__("x4") = -1;
	register long x5 __asm__("x5") = 0;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	ret = x0;
#else
#error "uw_o2: x86-64 or arm64"
#endif
	if ((unsigned long)ret > -4096UL)
		fail("raw mmap", len);
	return (void *)ret;
}

LINK(g1, g_raw)

#if defined(__x86_64__)
__attribute__((noipa, force_align_arg_pointer))
#else
NI
#endif
void *h_drap(int k)
{
	_Alignas(32) char buf[32];
	void *p;

	memset(buf, k, sizeof(buf));
	sink += (uintptr_t)buf;
	p = map_len(k);
	sink += (uintptr_t)buf[5];
	return p;
}

int main(int argc, char **argv)
{
	(void)argv;
	sink += (uintptr_t)a1(0);
	sink += (uintptr_t)b1(1);
	sink += (uintptr_t)c_vla(2, 100 + (size_t)argc);
	sink += (uintptr_t)d_align(3);
	sink += (uintptr_t)e_sort(4);
	sink += (uintptr_t)f_rec(5, 5);
	sink += (uintptr_t)g1(6);
	sink += (uintptr_t)h_drap(7);
	return 0;
}
