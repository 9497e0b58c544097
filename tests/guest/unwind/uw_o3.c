// SPDX-License-Identifier: GPL-2.0
/*
 * uw_o3 - marked mmaps (uw.h) from six call paths, built -O3 without frame
 * pointers, sibling calls allowed (tests/guest/Makefile): whatever the
 * compiler makes of them (tail calls, clones, vectorized loops) is what
 * both unwinders see.  Functions are only kept from being inlined.
 *
 *   k  path below main
 *   0  t1 t2 t3 -> mmap64: tail calls all the way (few frames left)
 *   1  u1 (a vectorized loop before and after) u2 u3 -> mmap64
 *   2  v_table: a tail call through a table of function pointers -> mmap
 *   3  x_even/x_odd: mutual recursion, tail calls -> mmap64
 *   4  y_vla (the CFA kept in the frame pointer register) y_pressure (that
 *      register saved and reused, many registers live across the call)
 *      -> mmap64: the caller's CFA needs the register restored
 *   5  z_sort qsort (libc) z_cmp (a tail call) -> mmap64
 */
#include "uw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NI __attribute__((noinline))

static volatile uintptr_t sink;
static int data[256];

static void *map_k(int k)
{
	return mmap(NULL, UW_MARK_LEN(k), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

NI void *t3(int k) { return map_k(k); }
NI void *t2(int k) { return t3(k); }
NI void *t1(int k) { return t2(k); }

NI void *u3(int k)
{
	void *p = map_k(k);

	sink += (uintptr_t)p;
	return p;
}

NI void *u2(int k)
{
	void *p = u3(k);

	for (int i = 0; i < 256; i++)
		data[i] += (int)(uintptr_t)p;
	return p;
}

NI void *u1(int k)
{
	int s = 0;
	void *p;

	for (int i = 0; i < 256; i++)
		s += data[i] * k;
	p = u2(k);
	for (int i = 0; i < 256; i++)
		data[i] ^= s;
	return p;
}

NI void *v_a(int k) { sink += 1; return map_k(k); }
NI void *v_b(int k) { sink += 2; return map_k(k + 100); }
static void *(*const v_fns[])(int) = { v_a, v_b };

NI void *v_table(int k, int which)
{
	return v_fns[which & 1](k);
}

NI void *x_odd(int k, int n);

NI void *x_even(int k, int n)
{
	if (!n)
		return map_k(k);
	sink += (uintptr_t)n;
	return x_odd(k, n - 1);
}

NI void *x_odd(int k, int n)
{
	sink += (uintptr_t)n * 3;
	return x_even(k, n - 1);
}

NI void *y_pressure(int k, int a, int b, int c, int d, int e, int f)
{
	int g = a * b, h = c * d, i = e * f, j = a + f, l = b + e, m = c + d;
	void *p = map_k(k);

	sink += (uintptr_t)p + (uintptr_t)(a + b + c + d + e + f + g + h + i +
					   j + l + m);
	return p;
}

NI void *y_vla(int k, size_t n)
{
	char buf[n];
	void *p;

	memset(buf, k, n);
	sink += (uintptr_t)buf;
	p = y_pressure(k, (int)n, 2, 3, 4, 5, 6);
	sink += (uintptr_t)buf[n - 1];
	return p;
}

static int z_k;
static void *z_p;

NI void *z_map(int k)
{
	z_p = map_k(k);
	return z_p;
}

NI int z_cmp(const void *a, const void *b)
{
	if (!z_p)
		return z_map(z_k) == MAP_FAILED;
	return *(const int *)a - *(const int *)b;
}

NI void *z_sort(int k)
{
	int v[2] = { 2, 1 };

	z_k = k;
	qsort(v, 2, sizeof(v[0]), z_cmp);
	return z_p;
}

int main(int argc, char **argv)
{
	void *p[6];

	(void)argv;
	p[0] = t1(0);
	p[1] = u1(1);
	p[2] = v_table(2, argc - 1);
	p[3] = x_even(3, 6);
	p[4] = y_vla(4, 64 + (size_t)argc);
	p[5] = z_sort(5);
	for (int k = 0; k < 6; k++)
		if (p[k] == MAP_FAILED) {
			fprintf(stderr, "uw_o3: mmap %d failed\n", k);
			return 1;
		}
	return 0;
}
