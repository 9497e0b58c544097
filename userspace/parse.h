/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - the one parser of the anonstat debugfs files.
 *
 * module/debugfs-format.md is the contract: every file starts with a "# "
 * line naming its columns, then one record per line, fields separated by
 * one space.  Tables (procs, threads, sites, regions) must name at least
 * the columns we know, in that order; columns past those are ignored, and
 * so are status records whose key we do not know.  comm fields are
 * unescaped (\ooo) here, so callers see the raw bytes of a name.
 *
 * Every parser returns 0, or -EINVAL with *bad_line set to the 1-based
 * number of the first line that does not follow the format (one past the
 * last line when the file ends too early).  A read error is reported by
 * ferror() on the stream; the parsers then return -EIO.
 */
#ifndef ANONTOP_PARSE_H
#define ANONTOP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STATUS_MAX_PROBES	64
#define STATUS_MAX_COUNTERS	16
#define COMM_MAX		64	/* unescaped name, NUL-terminated */
#define KIND_MAX		16
#define MAX_FRAMES		32	/* the module's largest depth */

struct status_probe {
	char symbol[128];
	char type[16];
	bool attached;
	uint64_t hits;
	uint64_t missed;
};

/* an "untracked REASON BYTES" or "drop REASON N" record */
struct status_counter {
	char reason[32];
	uint64_t value;
};

struct status {
	char version[32];
	char kernel[128];
	int enabled;			/* -1: not reported */
	uint64_t depth;
	char filter_pids[256];
	char filter_comm[COMM_MAX];
	uint64_t max_regions, max_sites, retain_exited;
	uint64_t processes, processes_exited, threads, sites, regions;
	uint64_t memory_bytes;
	unsigned int nr_untracked, nr_drops, nr_probes;
	struct status_counter untracked[STATUS_MAX_COUNTERS];
	struct status_counter drops[STATUS_MAX_COUNTERS];
	struct status_probe probes[STATUS_MAX_PROBES];
};

/* the counters of a process or a site (the COUNTS_COLUMNS of the module) */
struct counts {
	uint64_t maps, unmaps, bytes_mapped, bytes_unmapped;
	uint64_t live_regions, live_bytes, peak_bytes, first_ns, last_ns;
};

struct proc_rec {
	int pid;
	bool exited;
	char comm[COMM_MAX];
	struct counts c;
};

struct thread_rec {
	int pid, tid;
	char comm[COMM_MAX];
	uint64_t maps, unmaps, bytes_mapped, bytes_unmapped;
};

struct site_rec {
	int pid;
	uint64_t id;
	char kind[KIND_MAX];
	char origin[KIND_MAX];	/* "call", or "exec"/"preexisting": no frames */
	struct counts c;
	unsigned int nr_frames;
	uint64_t frames[MAX_FRAMES];
};

struct region_rec {
	int pid;
	uint64_t site;
	bool inherited;
	uint64_t start, end;
	char kind[KIND_MAX];
};

int status_parse(FILE *f, struct status *st, unsigned int *bad_line);

/* The table parsers fill a malloc()ed array (*v, *n); free(*v) after use. */
int procs_parse(FILE *f, struct proc_rec **v, size_t *n, unsigned int *bad_line);
int threads_parse(FILE *f, struct thread_rec **v, size_t *n,
		  unsigned int *bad_line);
int sites_parse(FILE *f, struct site_rec **v, size_t *n, unsigned int *bad_line);
int regions_parse(FILE *f, struct region_rec **v, size_t *n,
		  unsigned int *bad_line);

/* Unescape a comm field into @dst (size @size); -EINVAL if malformed. */
int comm_unescape(char *dst, size_t size, const char *src);

#endif /* ANONTOP_PARSE_H */
