/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procfs.h - what anontop reads from /proc/PID: RssAnon (status), the
 * present bits of pagemap, the mappings (maps), and who the process is:
 * its command line, owner and cgroup (and a container id in the cgroup).
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

/* ---- identity ---- */

#define PROCFS_CMDLINE_MAX	4096	/* bytes of cmdline read, at most */
#define PROCFS_CONTAINER_LEN	12	/* hex digits of a container id */

/*
 * The command line of /proc/PID/cmdline, its arguments joined by spaces,
 * at most PROCFS_CMDLINE_MAX bytes, made safe to print (procfs_printable)
 * into a malloc()ed *@out.  0; -ENODATA when it is empty (a zombie, a
 * kernel thread); or -errno.
 */
int procfs_cmdline(const char *procdir, int pid, char **out);

/*
 * The cgroup path of /proc/PID/cgroup: the cgroup v2 line ("0::PATH"),
 * else (a v1-only host) the first line's path; malloc()ed, made safe to
 * print.  0; -ENODATA when there is none; or -errno.
 */
int procfs_cgroup(const char *procdir, int pid, char **out);

/* The owner of the directory /proc/PID (the process's effective uid). */
int procfs_owner(const char *procdir, int pid, unsigned int *uid);

/*
 * The name of @uid from the user database (getpwuid_r), or the number when
 * it has no name; malloc()ed into *@out.  0 or -ENOMEM.
 */
int procfs_user_name(unsigned int uid, char **out);

/*
 * A container's short id from a cgroup path: the first
 * PROCFS_CONTAINER_LEN hex digits of the innermost run of exactly 64 hex
 * digits in a path component (docker-ID.scope, cri-containerd-ID.scope,
 * crio-ID.scope, libpod-ID.scope, /docker/ID, /kubepods/.../ID).  0 with
 * the id in @id; -ENOENT when the path names no container.
 */
int procfs_container_id(const char *cgroup, char id[PROCFS_CONTAINER_LEN + 1]);

/*
 * Make @s (@len bytes, NULs included) a printable string in place: bytes
 * of valid UTF-8 printable characters stay, every other byte (controls,
 * C1 controls, invalid UTF-8) becomes '?', as ps(1) shows them; a NUL
 * ends the string at @len.  @cut: @s was cut at @len, so an incomplete
 * character at its end is dropped rather than replaced.
 */
void procfs_printable(char *s, size_t len, bool cut);

#endif /* ANONTOP_PROCFS_H */
