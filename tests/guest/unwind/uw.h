/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uw.h - the marked calls of the unwind test programs (tests/guest/unwind/)
 * that src/unwind_check.c stops and compares.
 *
 * Each program maps anonymous memory from several call paths, built
 * without frame pointers.  A marked call is an anonymous mmap whose length
 * is UW_MARK_LEN(k): 17.2 MiB plus k pages, k < UW_MARK_MAX, a length
 * nothing else in these programs maps; every call path has its own k.  The
 * regions are never unmapped: the checker finds each one's site in the
 * regions file after the call.  The programs print nothing unless a call
 * fails (then they exit 1).
 */
#ifndef UW_H
#define UW_H

#include <stddef.h>

#define UW_PAGE		4096UL
#define UW_MARK_BASE	0x1130000UL
#define UW_MARK_MAX	64
#define UW_MARK_LEN(k)	(UW_MARK_BASE + (unsigned long)(k) * UW_PAGE)

/* k of a marked length, or -1 */
static inline int uw_mark_of(unsigned long len)
{
	if (len < UW_MARK_BASE || (len - UW_MARK_BASE) % UW_PAGE ||
	    (len - UW_MARK_BASE) / UW_PAGE >= UW_MARK_MAX)
		return -1;
	return (int)((len - UW_MARK_BASE) / UW_PAGE);
}

/*
 * LINK(name, next): a function of its own that calls next(k) and is not a
 * tail call (the result goes to the program's volatile sink), as NI says
 * (noipa or noinline, per program): one frame of a call path.
 */
#define LINK(name, next)					\
	NI void *name(int k)					\
	{							\
		void *p = next(k);				\
		sink += (uintptr_t)p;				\
		return p;					\
	}

#endif /* UW_H */
