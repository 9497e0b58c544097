/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tui_int.h - what tui.c (the loop, keys, sampling) and tui_draw.c (the
 * screen) share: the views, the columns, the state of the interactive view.
 */
#ifndef ANONTOP_TUI_INT_H
#define ANONTOP_TUI_INT_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "tui.h"

#define HEADER_LINES	6	/* 3 header, message, title, column header */
#define FILTER_MAX	256
#define POLL_MS		100
#define MAX_PIDS	64
#define LINE_MAX_	1024

/* V_ALLSITES: every call site of every process (the node-wide view) */
enum view { V_PROCS, V_SITES, V_ALLSITES, V_DETAIL, V_THREADS, V_HELP, V_NR };

enum { C_HEADER = 1, C_SORT, C_ERROR, C_LEAK, C_TITLE };

/* what a column shows */
enum field {
	F_PID, F_COMM, F_USER, F_STATE, F_LIVE, F_REGIONS, F_GROWTH, F_ACCUM,
	F_MAPS_RATE, F_UNMAPS_RATE, F_PEAK, F_RSSANON, F_LEAK, F_CGROUP, F_CMD,
	F_SITE, F_KIND, F_MAPS, F_UNMAPS, F_RESIDENT, F_HIGHS, F_NAME,
};

#define COL_REST	1u	/* takes the rest of the line; width is its least */
#define COL_ACCUM	2u	/* ACCUM: after 'a', the priority of GROWTH/s ... */
#define COL_GROWTH	4u	/* ... and GROWTH/s that of ACCUM (as iotop -a) */

/*
 * A column.  When the line is too narrow for all, columns are kept in the
 * order of prio (lowest first) while they fit, whole, and shown in the
 * order of the table; the COL_REST column (a name, a command line) then
 * takes what is left of the line.
 */
struct col {
	const char *title;
	int width;		/* COL_REST: the least width */
	bool left;
	int key;		/* enum sort_key, or -1 */
	enum field field;
	int prio;
	unsigned int flags;
	int want;		/* COL_REST: columns kept after it leave it this */
};

#define NCOLS(c) ((int)(sizeof(c) / sizeof((c)[0])))
#define MAX_COLS 20

/* the columns that fit the screen: indices into a table and their widths */
struct layout {
	int n;
	int idx[MAX_COLS];
	int width[MAX_COLS];
};

extern const struct col proc_cols[15], site_cols[12], all_site_cols[16];

/* a scrolled list whose selection follows an identity */
struct list {
	long sel, top;
	uint64_t id;
	bool has_id;
};

/* which sort order a view uses: processes, a process's sites, all sites */
enum { S_PROCS, S_SITES, S_ALL, S_NR };

struct tui {
	struct model *m;
	const struct tui_opts *o;
	enum view stack[4];
	int depth;
	bool help;
	bool color;			/* NO_COLOR unset or empty, and the terminal has them */
	bool accum;			/* 'a': ACCUM kept before GROWTH/s */
	struct list lists[V_NR];
	int pid;			/* of the sites, detail, threads views */
	uint64_t pid_first_ns;
	uint64_t site_id;		/* of the detail view */
	enum sort_key sort[S_NR];
	bool reverse[S_NR];
	double delay;
	bool paused;
	int pids[MAX_PIDS];
	size_t nr_pids;
	char comm[COMM_MAX];
	char cmdline[FILTER_MAX];	/* the command-line filter, "" for none */
	char user[FILTER_MAX];		/* the user filter, "" for none */
	char cgroup[FILTER_MAX];	/* the cgroup filter, "" for none */
	char err[LINE_MAX_];		/* the last sample failed: why */
	char msg[LINE_MAX_];		/* a note for the message line */
	double next_sample;
	/* the rows of the current screen, rebuilt at every draw */
	struct proc_row **procs;
	long nr_procs;
	struct site_row **sites;
	long nr_sites;
	struct proc_row *proc;		/* of the sites/threads/detail views */
};

static inline enum view cur_view(const struct tui *t)
{
	return t->stack[t->depth - 1];
}

/* the sort order of view @v (the detail view's: its list's) */
static inline int sort_slot(const struct tui *t, enum view v)
{
	int i;

	if (v == V_PROCS)
		return S_PROCS;
	if (v == V_ALLSITES)
		return S_ALL;
	if (v == V_DETAIL)	/* opened from the view below it */
		for (i = t->depth - 1; i >= 0; i--)
			if (t->stack[i] == V_ALLSITES)
				return S_ALL;
	return S_SITES;
}

/* tui_draw.c */
const struct col *tui_cols(enum view v, int *nc);
void tui_layout(const struct tui *t, enum view v, struct layout *lay);
long tui_list_top(enum view v);
void tui_draw(struct tui *t);
void tui_put_line(int y, const char *s, attr_t attr);
long tui_list_rows(enum view v, int *pane);
void tui_select_rows(struct tui *t);

#endif /* ANONTOP_TUI_INT_H */
