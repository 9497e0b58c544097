/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - samples of the module's tables and what is derived from them.
 *
 * Each model_sample() reads a snapshot and turns it into rows: per process
 * and per call site the rates since the previous sample (growth of live
 * bytes, maps and unmaps per second), the leak-suspect mark (live bytes
 * grew in each of the last leak_samples samples), RssAnon, and for the
 * processes asked for in detail the sites' resident bytes (pagemap present
 * bits over their regions) and symbolised frames.  History is kept by
 * identity (a process by pid and first_ns, a site by id), so rows may come
 * and go between samples; a counter that went down (a reset, a reloaded
 * module) starts that row's history again.
 */
#ifndef ANONTOP_MODEL_H
#define ANONTOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "snapshot.h"
#include "symbols.h"

/* a site's frames, named once (the frames of a site never change) */
struct site_info {
	unsigned int nr_frames;
	struct sym_frame frames[MAX_FRAMES];
	int name_frame;		/* first frame sym_skip_for_name() keeps */
	char name[512];		/* sym_format() of that frame */
};

struct proc_row;

struct site_row {
	const struct site_rec *r;
	struct proc_row *proc;	/* the process owning it */
	bool have_rates;	/* false in a row's first sample */
	double growth;		/* live bytes per second */
	double maps_rate, unmaps_rate;
	unsigned int streak;	/* samples in a row live bytes grew */
	int64_t accum;		/* live bytes now minus when anontop first saw it */
	unsigned int highs;	/* new highs of live bytes within the leak window */
	bool leak;		/* the leak rule holds (see model_init) */
	int64_t resident;	/* bytes; -1: not known */
	struct site_info *info;	/* NULL: not symbolised */
};

struct proc_row {
	const struct proc_rec *r;
	bool have_rates;
	double growth, maps_rate, unmaps_rate;
	int64_t rss_anon;	/* bytes; -1: not known */
	int64_t accum;		/* live bytes now minus when anontop first saw it */
	/*
	 * identity from /proc/PID, NULL when not known (gone before anontop
	 * saw it alive, unreadable, a fixture); read once per process (and
	 * again after an exec), kept while the module lists it
	 */
	const char *cmdline;	/* arguments joined by spaces */
	const char *user;	/* owner's name, or the uid as a number */
	int64_t uid;		/* the owner; -1 when not known */
	const char *cgroup;	/* cgroup v2 path (the "0::" line) */
	const char *container;	/* 12 hex digits of a container id in it */
	bool leak;		/* one of its sites is a leak suspect */
	bool detail;		/* sites have resident bytes and frames */
	struct site_row *sites;
	size_t nr_sites;
	const struct thread_rec *threads;
	size_t nr_threads;
};

enum detail_mode { DETAIL_NONE, DETAIL_ALL, DETAIL_PIDS };

struct model_hist;
struct ident_tab;

struct model {
	/* settings */
	const char *root;		/* debugfs directory */
	const char *procdir;		/* normally /proc */
	unsigned int leak_samples;	/* K */
	double leak_window;		/* seconds; see model_init */
	unsigned int leak_highs;
	bool want_threads;
	enum detail_mode detail;
	const int *detail_pids;
	size_t nr_detail_pids;
	double (*clock)(void);		/* tests: CLOCK_MONOTONIC seconds */

	/* the last sample */
	struct snapshot snap;
	unsigned long samples;		/* taken so far */
	double interval;		/* seconds since the previous one */
	struct proc_row *procs;
	size_t nr_procs;
	struct site_row *sites;		/* all of them; procs point inside */
	size_t nr_sites;
	uint64_t live_bytes, live_regions;	/* over procs */
	uint64_t untracked_bytes, drops, probes_missed;

	/* private */
	struct model_hist *hist;
	struct ident_tab *idents;	/* identity by (pid, first_ns) */
	struct symbolizer *sym;
};

/* Zero everything but the settings; NULL-safe to free after. */
int model_init(struct model *m, const char *root, const char *procdir,
	       unsigned int leak_samples);
void model_free(struct model *m);

/* Read a sample; 0, or -1 with a one-line message in @err. */
int model_sample(struct model *m, char *err, size_t errsize);

/*
 * Complete the last sample with what the settings ask for now: the threads
 * (want_threads), and for the processes asked for in detail (detail) the
 * sites' resident bytes and symbolised frames, reading the threads and
 * regions files if the sample did not.  model_sample() calls it too.
 * 0, or -1 with a message in @err.
 */
int model_detail(struct model *m, char *err, size_t errsize);

/* Forget the rates and marks (after a reset of the module's counters). */
void model_forget(struct model *m);

/* The process row of @pid (a live one before an exited one), or NULL. */
struct proc_row *model_find_proc(struct model *m, int pid);

/* ---- sorting ---- */

enum sort_key {
	SORT_PID,	/* sites: id */
	SORT_COMM,	/* sites: name */
	SORT_STATE,	/* sites: kind */
	SORT_LIVE,
	SORT_REGIONS,
	SORT_GROWTH,
	SORT_MAPS,	/* processes: per second */
	SORT_UNMAPS,	/* processes: per second */
	SORT_PEAK,
	SORT_RSS,	/* sites: resident bytes */
	SORT_LEAK,	/* leak suspects first, then by new highs */
	SORT_ACCUM,	/* growth since anontop started */
	SORT_NR,
};

/* "pid", "live", ... (and the sites' aliases: "id", "name", "resident") */
int sort_key_parse(const char *name, enum sort_key *key);
const char *sort_key_name(enum sort_key key);

/*
 * Sort pointers to rows: numbers largest first, pid/comm/state in
 * ascending order, @reverse turns it round; ties by pid (or id).
 */
void sort_procs(struct proc_row **v, size_t n, enum sort_key key, bool reverse);
void sort_sites(struct site_row **v, size_t n, enum sort_key key, bool reverse);

/* ---- selecting ---- */

struct row_filter {
	const int *pids;	/* only these processes, if nr_pids */
	size_t nr_pids;
	const char *comm;	/* only names containing this (any case), if set */
	const char *cmdline;	/* only command lines containing this, if set */
	const char *user;	/* only this user (name or uid), if set */
	const char *cgroup;	/* only cgroup paths containing this, if set */
};

/*
 * Whether @p passes @f; a process whose command line, user or cgroup is
 * not known does not pass a filter on it.  The cgroup filter matches a
 * container too: its id is part of the path.
 */
bool filter_match(const struct row_filter *f, const struct proc_row *p);

/*
 * The rows of the processes @f lets through, sorted (a malloc()ed array
 * in *@out, NULL if none); the sites of @p, sorted.  Return the count,
 * or -1 when out of memory.
 */
long model_select_procs(struct model *m, const struct row_filter *f,
			enum sort_key key, bool reverse, struct proc_row ***out);
long model_select_sites(struct proc_row *p, enum sort_key key, bool reverse,
			struct site_row ***out);

/*
 * Every site of every process @f lets through (the node-wide view), sorted
 * as model_select_sites() does; ties by pid, then id.
 */
long model_select_all_sites(struct model *m, const struct row_filter *f,
			    enum sort_key key, bool reverse,
			    struct site_row ***out);

#endif /* ANONTOP_MODEL_H */
