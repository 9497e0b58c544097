/* SPDX-License-Identifier: GPL-2.0 */
/*
 * status.h - parser of /sys/kernel/debug/anonstat/status.
 *
 * The format is specified in module/debugfs-format.md: a "# key value..."
 * header line, then one "key value..." record per line.  Probe records are
 * "probe SYMBOL TYPE STATE HITS MISSED".
 */
#ifndef ANONTOP_STATUS_H
#define ANONTOP_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define STATUS_MAX_PROBES 64

struct status_probe {
	char symbol[128];
	char type[16];
	bool attached;
	uint64_t hits;
	uint64_t missed;
};

struct status {
	char version[32];
	char kernel[128];
	unsigned int nr_probes;
	struct status_probe probes[STATUS_MAX_PROBES];
};

/*
 * Parse a status file from @f.  Returns 0, or -EINVAL with *@bad_line set
 * to the 1-based number of the first line that does not follow the format.
 */
int status_parse(FILE *f, struct status *st, unsigned int *bad_line);

#endif
