// SPDX-License-Identifier: GPL-2.0
/*
 * uwhook.c - libuwhook.so, the shared "hook" library of uw_hook, built as
 * Debian builds UCX (-O2, no frame pointers, sibling calls allowed).
 *
 * The chain of UCX 1.13's libucm in bistro mode, by the same shapes:
 * uw_mmap (ucm_override_mmap) -> uw_event_dispatch (ucm_event_dispatch,
 * through a handler pointer) -> uw_event_call_orig (ucm_event_call_orig)
 * -> uw_orig_mmap (ucm_orig_mmap: a compare of the hook mode and a tail
 * jump) -> uw_orig_mmap_syscall (ucm_orig_mmap_syscall) -> libc's
 * syscall(SYS_mmap, ...), whose seventh argument goes on the stack on
 * x86-64, so that syscall() is a real call there.
 */
#include "uwhook.h"

#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

int uw_hook_mode = UW_HOOK_BISTRO;

struct uw_event {
	void *addr;
	size_t len;
	int prot, flags, fd;
	off_t off;
	void *result;
};

typedef void (*uw_handler_t)(struct uw_event *ev);

void *uw_orig_mmap_syscall(void *addr, size_t len, int prot, int flags,
			   int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

void *uw_orig_mmap_dlsym(void *addr, size_t len, int prot, int flags,
			 int fd, off_t off)
{
	static void *(*orig)(void *, size_t, int, int, int, off_t);

	if (!orig)
		*(void **)&orig = dlsym(RTLD_NEXT, "mmap");
	return orig(addr, len, prot, flags, fd, off);
}

void *uw_orig_mmap(void *addr, size_t len, int prot, int flags, int fd,
		   off_t off)
{
	return uw_hook_mode == UW_HOOK_BISTRO ?
	       uw_orig_mmap_syscall(addr, len, prot, flags, fd, off) :
	       uw_orig_mmap_dlsym(addr, len, prot, flags, fd, off);
}

void uw_event_call_orig(struct uw_event *ev)
{
	ev->result = uw_orig_mmap(ev->addr, ev->len, ev->prot, ev->flags,
				  ev->fd, ev->off);
}

static volatile unsigned long uw_events;
uw_handler_t uw_handlers[] = { uw_event_call_orig };

__attribute__((noinline)) void uw_event_dispatch(struct uw_event *ev)
{
	for (size_t i = 0; i < sizeof(uw_handlers) / sizeof(uw_handlers[0]); i++)
		uw_handlers[i](ev);
	uw_events++;
}

void *uw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct uw_event ev = { addr, len, prot, flags, fd, off, NULL };

	uw_event_dispatch(&ev);
	return ev.result;
}
