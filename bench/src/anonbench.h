/* SPDX-License-Identifier: GPL-2.0 */
/* anonbench.h - the call-site stubs of sites.S, for anonbench.c. */
#ifndef ANONBENCH_H
#define ANONBENCH_H
#include <sys/types.h>

typedef void *(*anonbench_mmap_fn)(void *addr, size_t len, int prot,
				   int flags, int fd, off_t off);

/* anonbench_site_fns[i] is mmap() called from a call instruction of its own */
extern const anonbench_mmap_fn anonbench_site_fns[];
extern const unsigned long anonbench_nr_sites;

#endif
