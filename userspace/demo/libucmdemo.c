// SPDX-License-Identifier: GPL-2.0
/*
 * libucmdemo.c - libucmdemo.so: UCX-like raw-syscall mmap hooks with a
 * leak on every unmap (see libucmdemo.h).  Built with frame pointers and
 * without inlining the interesting functions, so each is a frame of its
 * own in the call stacks anonstat captures.
 */
#include "libucmdemo.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_size_t pool_bytes;

/* grow the unmap-event pool by one chunk; nothing ever frees it */
__attribute__((noipa)) static void *ucm_pool_grow(void)
{
	long p = syscall(SYS_mmap, NULL, UCM_POOL_CHUNK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == -1)
		return NULL;
	memset((void *)p, 0x5a, UCM_POOL_CHUNK);	/* in use: resident */
	atomic_fetch_add(&pool_bytes, UCM_POOL_CHUNK);
	return (void *)p;
}

__attribute__((noipa)) void *ucm_mmap(size_t len)
{
	long p = syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == -1 ? NULL : (void *)p;
}

__attribute__((noipa)) int ucm_munmap(void *addr, size_t len)
{
	/* the event for this unmap lives in the pool: the leak */
	if (!ucm_pool_grow())
		return -1;
	return (int)syscall(SYS_munmap, addr, len);
}

size_t ucm_pool_bytes(void)
{
	return atomic_load(&pool_bytes);
}
