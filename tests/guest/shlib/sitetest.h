/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sitetest.h - libsitetest.so, a call site inside a shared library for
 * acct_shlib: like UCX's memory hooks, it maps through the raw syscall()
 * wrapper, so frame 0 is in libc's syscall() and frame 1 in this library.
 */
#ifndef SITETEST_H
#define SITETEST_H

#include <stddef.h>

/* syscall(SYS_mmap, NULL, len, RW, private anonymous); MAP_FAILED on error */
void *sitetest_map(size_t len);

#endif /* SITETEST_H */
