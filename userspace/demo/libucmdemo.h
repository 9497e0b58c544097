/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libucmdemo.h - a small imitation of UCX's memory hooks (libucm) for the
 * anontop demo.  Like ucm_mmap() in UCX, it maps and unmaps through the
 * raw syscall() wrapper, so heap profilers and libc interposers never see
 * it.  Its bug, the one the demo shows: every unmap grows an event pool
 * by one chunk (ucm_pool_grow) that is never given back.
 */
#ifndef LIBUCMDEMO_H
#define LIBUCMDEMO_H

#include <stddef.h>

#define UCM_POOL_CHUNK	(64 * 1024)	/* bytes leaked per ucm_munmap() */

/* syscall(SYS_mmap, ...) of @len private anonymous bytes; NULL on error */
void *ucm_mmap(size_t len);

/* syscall(SYS_munmap, ...); leaks one UCM_POOL_CHUNK; 0 or -1 */
int ucm_munmap(void *addr, size_t len);

/* bytes the pool holds (leaked) so far */
size_t ucm_pool_bytes(void);

#endif /* LIBUCMDEMO_H */
