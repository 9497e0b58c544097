/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - samples of the module's tables and what is derived from them.
 *
 * Each model_sample() reads a snapshot and turns it into rows: per process
 * and per call site the rates since the previous sample (growth of live
 * bytes, maps and unmaps per second), the leak mark (below), the growth
 * since anontop first saw the row (accum), RssAnon, and for the processes
 * asked for in detail the sites' resident bytes (pagemap present bits over
 * their regions) and symbolised frames.  History is kept by identity (a
 * process by pid and first_ns, a site by pid and id), so rows may come and
 * go between samples; a counter that went down (a reset, a reloaded
 * module) starts that row's history again, and so does model_forget().
 *
 * Lifetime rates.  In a row's first sample (no history) the rates are
 * over its life instead: live bytes, maps and unmaps divided by its age,
 * now minus first_ns (to last_ns for an exited process), with
 * lifetime_rates set so that views can say so.  first_ns is the module's
 * CLOCK_MONOTONIC (coarse) and status gives no "now": anontop's own
 * CLOCK_MONOTONIC at the read is the same clock only for the module's own
 * files, so lifetime rates are given when the root is a debugfs mount
 * (snapshot.same_clock), when files_monotonic says other files follow
 * that clock (leaksim does), or when a test drives the clock; never for a
 * row younger than one second.  Elsewhere the first sample has no rates.
 *
 * The leak rule (site_row.leak; proc_row.leak: one of its sites).  Over
 * the last leak_window seconds W (default 30) a site is a leak suspect
 * when its live bytes set at least leak_highs H (default 2) new highs and
 * never went back:
 *   - the levels are the samples' live bytes, and between two samples the
 *     lowest the counters allow (the previous live bytes less the bytes
 *     unmapped since, as if the unmaps came first: a site that unmaps and
 *     maps again goes down there) and the highest they show (the peak,
 *     when it rose past both samples);
 *   - the base is the last level at or before the window's start, or the
 *     first sample seen;
 *   - a new high is a level above every earlier one since the base (for
 *     the first sample seen, also above the peak the site had then: a
 *     site first seen below an earlier peak has to pass it);
 *   - before the first new high, a level below the base breaks the rule;
 *     after one, a level at or below the high before it (the previous
 *     level) does;
 *   - leak = not broken and highs >= H (site_row.highs: the new highs).
 * A step leak (a level more every period P, period longer than the
 * interval) is flagged at the first sample after its H-th step once
 * anontop has seen it (within H periods plus one interval); it is no
 * longer flagged W seconds after its last step; growth once, then flat,
 * is one high.  A site that unmaps what it had and maps a new amount goes
 * below its levels between the samples and is never flagged.  Limits: a
 * site whose live bytes only ever rise between the samples and fall back
 * only by exactly the bytes it unmapped looks, for H rises, exactly like a
 * leak; and a ramp longer than W is one.
 * Only the levels that changed are stored (at most 128 per site, the
 * oldest dropped first, which shortens the window): a site that did not
 * change in the window costs nothing.  The old rule (live bytes grew in
 * each of the last K samples) is kept only as site_row.streak.
 *
 * Scale (1,000 processes, 100,000 sites, 1,000,000 regions; anontop.8,
 * PERFORMANCE).  Every sample parses the whole sites file: the leak rule
 * needs every site, and debugfs cannot tell that a file did not change,
 * so parse.c is made fast rather than skipped.  Resident bytes come from
 * one walk of each process's regions (found by binary search: the module
 * orders them by pid) with pagemap read ahead; the regions are freed once
 * used.  model_init() keeps large freed blocks in the heap (mallopt), so
 * that later samples reuse them instead of faulting in fresh pages.
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
	bool have_rates;	/* rates known (see lifetime_rates) */
	bool lifetime_rates;	/* they are over its lifetime (first sample) */
	double growth;		/* live bytes per second */
	double maps_rate, unmaps_rate;
	unsigned int streak;	/* samples in a row live bytes grew (not the
				   leak rule any more; shown by older views) */
	int64_t accum;		/* live bytes now minus when anontop first saw it */
	unsigned int highs;	/* new highs of live bytes within the leak window */
	bool leak;		/* the leak rule holds (see the top of this file) */
	int64_t resident;	/* bytes; -1: not known */
	struct site_info *info;	/* NULL: not symbolised */
};

struct proc_row {
	const struct proc_rec *r;
	bool have_rates;	/* rates known (see lifetime_rates) */
	bool lifetime_rates;	/* they are over its lifetime (first sample) */
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
struct pm_cache;

struct model {
	/* settings */
	const char *root;		/* debugfs directory */
	const char *procdir;		/* normally /proc */
	unsigned int leak_samples;	/* K of the old streak rule: streak only */
	double leak_window;		/* W seconds (LEAK_WINDOW_DEFAULT) */
	unsigned int leak_highs;	/* H (LEAK_HIGHS_DEFAULT) */
	bool files_monotonic;		/* the files' times are this machine's
					   CLOCK_MONOTONIC even off debugfs
					   (leaksim): lifetime rates */
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
	size_t leak_points;		/* levels stored for the leak rule */

	/* private */
	struct model_hist *hist;
	struct ident_tab *idents;	/* identity by (pid, first_ns) */
	struct symbolizer *sym;
	struct pm_cache *pm;		/* pagemap read ahead */
};

#define LEAK_WINDOW_DEFAULT	30.0
#define LEAK_HIGHS_DEFAULT	2

/*
 * Zero everything but the settings (leak_window and leak_highs get their
 * defaults); NULL-safe to free after.
 */
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
