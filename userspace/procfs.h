/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procfs.h - what anontop reads from /proc/PID: RssAnon (status), the
 * present bits of pagemap, and the mappings (maps).
 *
 * Every reader takes the proc directory (normally "/proc"; tests point it
 * elsewhere) and fails with a negative errno, never exits: a process may
 * have gone, and a fixture's pid may name no process at all.
 */
#ifndef ANONTOP_PROCFS_H
#define ANONTOP_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct map_ent {
	uint64_t start, end, offset;
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	bool exec;		/* 'x' in the permissions */
	bool deleted;		/* path ended in " (deleted)" (removed here) */
	char *path;		/* NULL for an anonymous mapping */
};

/* RssAnon of /proc/PID/status in bytes; 0 or -errno. */
int procfs_rss_anon(const char *procdir, int pid, uint64_t *bytes);

/* Open /proc/PID/pagemap; a file descriptor or -errno. */
int procfs_pagemap_open(const char *procdir, int pid);

/* Bytes of [start, end) whose pages are present in RAM; 0 or -errno. */
int procfs_resident(int pagemap_fd, uint64_t start, uint64_t end,
		    uint64_t *bytes);

/* The mappings of /proc/PID/maps, by address; free with procfs_maps_free. */
int procfs_maps(const char *procdir, int pid, struct map_ent **v, size_t *n);
void procfs_maps_free(struct map_ent *v, size_t n);

/* The mapping of @v holding @addr, or NULL. */
const struct map_ent *procfs_maps_find(const struct map_ent *v, size_t n,
				       uint64_t addr);

#endif /* ANONTOP_PROCFS_H */
