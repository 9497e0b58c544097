// SPDX-License-Identifier: GPL-2.0
/*
 * libucmfake.c - built as build/t/ucm/libucm.so.0: an object named like
 * UCX's memory-hook library, with functions named like its hooks, for the
 * tests of the site name (which skips libucm's frames) and of whole stacks
 * that pass through it (test_model, selfsnap).  Each function is long
 * enough for an offset of 0x20 to stay inside it.
 */
#include <stdint.h>

volatile int ucmfake_sink;

#define BODY								\
	do {								\
		int i;							\
		for (i = 0; i < n; i++)					\
			ucmfake_sink += i * 3 + ucmfake_sink / 7;	\
	} while (0)

int ucm_orig_mmap_syscall(int n)
{
	BODY;
	return ucmfake_sink;
}

int ucm_event_dispatch(int n)
{
	BODY;
	return ucm_orig_mmap_syscall(n) + 1;
}

int ucm_override_mmap(int n)
{
	BODY;
	return ucm_event_dispatch(n) + 2;
}
