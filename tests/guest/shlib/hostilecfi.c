// SPDX-License-Identifier: GPL-2.0
/*
 * hostilecfi.c - libhostilecfi.so, the library acct_hostile_cfi and the
 * stress campaign's unwind_churn copy and damage (tests/guest/lib/cfi_damage.c):
 * one exported function, hostile_map(), that maps anonymous memory through
 * libc's mmap() from an inner function (two frames in the library).
 *
 * Built twice (tests/guest/Makefile):
 * - libhostilecfi.so: as Debian builds libraries, without frame pointers.
 *   the inner function also zeroes the frame pointer register before the call,
 *   as code that uses it as a general register may leave it: a walk that
 *   finds no unwind table for the library cannot step over its frame by
 *   the frame pointer (the walk ends "no_cfi" there), where a stale frame
 *   pointer of the caller would let it skip a frame instead.
 * - libhostilecfi-fp.so (HOSTILE_KEEP_FP): with frame pointers, so that
 *   without a table its frame is stepped over by the frame pointer.
 *
 * The .bss of 64 KiB makes the dynamic loader map anonymous memory at each
 * dlopen() (the zero pages past the data segment's file bytes): a walk
 * from the loader's own mmap(), which builds the loader's unwind table
 * before the tests count tables.
 */
#include <stddef.h>
#include <sys/mman.h>

void *hostile_map(size_t len);

static char hostile_bss[64 * 1024];

/*
 * 128 KiB of read-only data nothing reads: room in the file, inside a
 * PT_LOAD segment, for the CFI some damages write (cfi_damage.c finds it
 * by its dynamic symbol).
 */
__attribute__((used)) const unsigned char hostile_pad[128 * 1024] = { 1 };

/*
 * mmap() with the frame pointer register zeroed.  On x86-64 gcc saves and
 * restores %rbp for the asm that clobbers it; aarch64 gcc 12 does not save
 * x29 for such a clobber, so there the asm saves and restores it itself.
 */
static inline void *mmap_fp_zeroed(size_t len)
{
	void *p;
#if defined(HOSTILE_KEEP_FP)
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
#elif defined(__x86_64__)
	__asm__ volatile("xorl %%ebp, %%ebp" : : : "rbp", "memory");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
#elif defined(__aarch64__)
	unsigned long saved;

	__asm__ volatile("mov %0, x29\n\tmov x29, xzr" : "=r"(saved) : : "memory");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	__asm__ volatile("mov x29, %0" : : "r"(saved) : "memory");
#else
#error "x86-64 or arm64"
#endif
	return p;
}

/*
 * Two frames in the library, neither a tail call (each looks at the result
 * after its callee returns): the frame pointer register is zeroed in the
 * inner one, right before mmap().
 */
static __attribute__((noinline)) void *map_pages(size_t len)
{
	void *p = mmap_fp_zeroed(len);

	return p == MAP_FAILED ? NULL : p;
}

__attribute__((noinline)) void *hostile_map(size_t len)
{
	void *p = map_pages(len);

	if (p)
		hostile_bss[len % sizeof(hostile_bss)]++;
	return p;
}
