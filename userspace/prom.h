/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom.h - a sample in the Prometheus text exposition format (version
 * 0.0.4, what node_exporter's textfile collector and `promtool check
 * metrics` parse): per process and per function gauges and counters, the
 * module's drop and untracked counters, and the exporter's own health
 * (anonstat_up, the last success, its error counters).  No timestamps (the
 * textfile collector refuses them), no OpenMetrics-only lines.
 *
 * Labels are stable across restarts of the module, of anontop and of the
 * process (with the same pid): no site ids, no offsets, no addresses.  A
 * site is labelled by its function (prom_function()); sites of one process
 * with the same function are summed into one series.  Per process, the
 * top_sites functions with the most live bytes get series of their own,
 * the rest are summed into function="other", so a process with 100k sites
 * writes at most top_sites + 1 of them.  With aggregate, processes with the
 * same comm (and identity labels) are summed into one series, without pid.
 *
 * Only live processes are written (an exited one holds nothing, and its pid
 * may be reused: two series with the same labels would fail the scrape).
 * When the sample could not be read (state->up false) only the exporter's
 * own series are written: no stale per-process or per-site series.
 */
#ifndef ANONTOP_PROM_H
#define ANONTOP_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

#define PROM_TOP_SITES 20	/* default top_sites */
#define PROM_TOP_SITES_MAX 100000
#define PROM_LABEL_MAX 256	/* bytes of an identity label value, at most */

/* identity labels (prom_opts.labels) */
enum {
	PROM_L_CMDLINE = 1,
	PROM_L_USER = 2,
	PROM_L_CGROUP = 4,
};

struct prom_opts {
	struct row_filter filter;
	unsigned int top_sites;
	bool aggregate;		/* one series per comm (+ labels), not per pid */
	unsigned int labels;	/* PROM_L_*: identity labels to add */
};

/* what the exporter knows of itself, written in every file */
struct prom_state {
	bool up;		/* this sample was read: the module's series follow */
	int64_t last_success;	/* Unix seconds of the last sample read; 0: none */
	uint64_t samples;	/* samples tried, this one included */
	uint64_t read_errors;	/* samples that could not be read */
	uint64_t write_errors;	/* files that could not be written */
};

/* "cmdline,user,cgroup" (any of them, in any order) into PROM_L_*; 0 or -1 */
int prom_parse_labels(const char *list, unsigned int *labels);

/*
 * The function label of @s: the (demangled) function of the frame it is
 * named after, without the offset ("libfoo.so!func"), the object's
 * basename for a frame without a symbol ("libfoo.so"), "[unknown]" for a
 * frame in no object or a site not symbolised, the origin of a seeded site
 * ("[preexisting]").
 */
void prom_function(const struct site_row *s, char *buf, size_t size);

/*
 * The sample in @m (taken with detail, for names and resident bytes; not
 * looked at when !@st->up).  0, or -1 (out of memory, or a write error).
 */
int prom_write(FILE *out, struct model *m, const struct prom_opts *o,
	       const struct prom_state *st);

/*
 * prom_write() to @path atomically: into PATH.tmp.PID in the same
 * directory, fsync()ed, then renamed over @path.  0, or -1 with a one-line
 * message naming the path and errno in @err (the temporary file removed).
 */
int prom_write_file(const char *path, struct model *m,
		    const struct prom_opts *o, const struct prom_state *st,
		    char *err, size_t errsize);

/*
 * @s as a label value, without the quotes: backslash, double quote and
 * newline escaped (\\, \", \n), each byte that is not valid UTF-8 as
 * U+FFFD (the format wants UTF-8; comm is any bytes).
 */
void prom_label_value(FILE *out, const char *s);

/*
 * The exporter's error log on standard error: each distinct message the
 * first time it comes, then at most once every PROM_LOG_INTERVAL seconds
 * with how many times it came meanwhile; after a success that follows
 * errors, one line saying so (and the messages are forgotten: the next
 * outage is logged again).
 */
#define PROM_LOG_SLOTS 8
#define PROM_LOG_INTERVAL 300.0
#define PROM_LOG_MSG 512

struct prom_log {
	struct {
		char msg[PROM_LOG_MSG];
		double logged;		/* when it was last written */
		unsigned long quiet;	/* times since, not written */
	} slot[PROM_LOG_SLOTS];
	unsigned int nr;
	unsigned long failed;		/* errors since the last success */
};

void prom_log_error(struct prom_log *l, FILE *out, double now, const char *msg);
void prom_log_ok(struct prom_log *l, FILE *out);

#endif /* ANONTOP_PROM_H */
