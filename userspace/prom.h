/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom.h - a sample in the Prometheus text exposition format (version
 * 0.0.4, what node_exporter's textfile collector and `promtool check
 * metrics` parse): per process and per call site gauges and counters, the
 * module's drop and untracked counters.  No timestamps (the textfile
 * collector refuses them), no OpenMetrics-only lines.
 *
 * Only live processes are written (an exited one holds nothing, and its pid
 * may be reused: two series with the same labels would fail the scrape).
 * Per process, the top_sites sites with the most live bytes get series of
 * their own, the rest are summed into one with site="other", so a process
 * with 100k sites writes top_sites + 1 of them.
 */
#ifndef ANONTOP_PROM_H
#define ANONTOP_PROM_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

#define PROM_TOP_SITES 20	/* default top_sites */
#define PROM_TOP_SITES_MAX 100000

struct prom_opts {
	struct row_filter filter;
	unsigned int top_sites;
};

/* The sample in @m (taken with detail, for names and resident bytes). */
int prom_write(FILE *out, struct model *m, const struct prom_opts *o);

/*
 * prom_write() to @path atomically: into PATH.tmp.PID in the same
 * directory, fsync()ed, then renamed over @path.  0, or -1 with a one-line
 * message naming the path and errno in @err (the temporary file removed).
 */
int prom_write_file(const char *path, struct model *m,
		    const struct prom_opts *o, char *err, size_t errsize);

/*
 * @s as a label value, without the quotes: backslash, double quote and
 * newline escaped (\\, \", \n), each byte that is not valid UTF-8 as
 * U+FFFD (the format wants UTF-8; comm is any bytes).
 */
void prom_label_value(FILE *out, const char *s);

#endif /* ANONTOP_PROM_H */
