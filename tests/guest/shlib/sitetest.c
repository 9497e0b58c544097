// SPDX-License-Identifier: GPL-2.0
/*
 * sitetest.c - libsitetest.so: one exported function that maps anonymous
 * memory through syscall(SYS_mmap, ...), for acct_shlib.
 */
#include "sitetest.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noipa)) void *sitetest_map(size_t len)
{
	long ret = syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return ret == -1 ? MAP_FAILED : (void *)ret;
}
