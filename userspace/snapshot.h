/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapshot.h - one reading of the anonstat debugfs directory.
 *
 * A snapshot holds the parsed status, procs, threads, sites and regions
 * files (those asked for), and when they were read.  The files are read
 * one after the other, not atomically: a process may show up in one and
 * not yet in the next; readers of a snapshot must cope.
 */
#ifndef ANONTOP_SNAPSHOT_H
#define ANONTOP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

#define DEFAULT_ROOT "/sys/kernel/debug/anonstat"

enum {
	SNAP_STATUS = 1 << 0,
	SNAP_PROCS = 1 << 1,
	SNAP_THREADS = 1 << 2,
	SNAP_SITES = 1 << 3,
	SNAP_REGIONS = 1 << 4,
	SNAP_ALL = (1 << 5) - 1,
};

struct snapshot {
	unsigned int what;		/* SNAP_* read */
	double mono;			/* CLOCK_MONOTONIC seconds, when read */
	double wall;			/* CLOCK_REALTIME seconds */
	bool same_clock;		/* root is debugfs: first_ns/last_ns are
					   on the clock of mono */
	struct status st;
	struct proc_rec *procs;
	struct thread_rec *threads;
	struct site_rec *sites;
	struct region_rec *regions;
	size_t nr_procs, nr_threads, nr_sites, nr_regions;
};

/*
 * Read the files @what of directory @root into @s (freeing what @s held).
 * Returns 0, or -1 with a one-line message in @err: the path, and the
 * errno or the line that does not follow the format, and for the default
 * root what to do (load the module, mount debugfs, run as root).
 */
int snapshot_read(const char *root, unsigned int what, struct snapshot *s,
		  char *err, size_t errsize);
void snapshot_free(struct snapshot *s);

/* Write command @cmd to @root/control: 0, or -1 with a message in @err. */
int snapshot_control(const char *root, const char *cmd, char *err,
		     size_t errsize);

#endif /* ANONTOP_SNAPSHOT_H */
