// SPDX-License-Identifier: GPL-2.0
/*
 * firstlib.c - the library anonbench's first-sight benchmark dlopens, in
 * fresh copies: each copy is a file (an object) anonstat has not seen, so
 * the first mmap through it makes the module build that file's unwind
 * table.  The call to mmap() is a real call (the counter after it keeps it
 * from being a tail call), so this library's frame is in the stack.
 */
#include <stddef.h>
#include <sys/mman.h>

volatile unsigned long anonbench_lib_calls;

void *anonbench_lib_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	anonbench_lib_calls++;
	return p;
}
