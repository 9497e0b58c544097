/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uwhook.h - libuwhook.so: an mmap hook built the way UCX's libucm issues
 * its own mmaps in bistro mode (see uwhook.c).
 */
#ifndef UWHOOK_H
#define UWHOOK_H

#include <stddef.h>
#include <sys/types.h>

/* as UCM_MMAP_HOOK_BISTRO / _RELOC: which "original" mmap is called */
enum { UW_HOOK_BISTRO, UW_HOOK_RELOC };
extern int uw_hook_mode;

/* the hook: dispatch the event, call the original mmap */
void *uw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

#endif /* UWHOOK_H */
