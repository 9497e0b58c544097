// SPDX-License-Identifier: GPL-2.0
/*
 * uw_hook - marked mmaps (uw.h) through libuwhook.so (uwhook.c: the shape
 * of UCX's libucm, which calls syscall(SYS_mmap) itself), from four call
 * paths, built -O2 -fomit-frame-pointer (tests/guest/Makefile).
 *
 *   k  path below main
 *   0  ha1 ha2 -> uw_mmap ... uw_orig_mmap_syscall -> syscall (libc)
 *   1  hb1 hb2 hb3 hb4 -> uw_mmap ...
 *   2  hc: a tail call into uw_mmap (through the PLT) ...
 *   3  hd1 hd2 -> syscall(SYS_mmap) from this program itself
 */
#include "uw.h"
#include "uwhook.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NI __attribute__((noipa))

static volatile uintptr_t sink;

NI static void *check(void *p, int k)
{
	if (p == MAP_FAILED || !p) {
		fprintf(stderr, "uw_hook: mmap %d failed\n", k);
		exit(1);
	}
	return p;
}

NI void *hook_map(int k)
{
	void *p = uw_mmap(NULL, UW_MARK_LEN(k), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return check(p, k);
}

LINK(ha2, hook_map)
LINK(ha1, ha2)

LINK(hb4, hook_map)
LINK(hb3, hb4)
LINK(hb2, hb3)
LINK(hb1, hb2)

NI void *hc(int k)
{
	return uw_mmap(NULL, UW_MARK_LEN(k), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

NI void *hd2(int k)
{
	void *p = (void *)syscall(SYS_mmap, NULL, UW_MARK_LEN(k),
				  PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return check(p, k);
}

LINK(hd1, hd2)

int main(void)
{
	sink += (uintptr_t)ha1(0);
	sink += (uintptr_t)hb1(1);
	sink += (uintptr_t)check(hc(2), 2);
	sink += (uintptr_t)hd1(3);
	return 0;
}
