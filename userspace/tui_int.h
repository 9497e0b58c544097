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
#define POLL_MS		100
#define MAX_PIDS	64
#define LINE_MAX_	1024

enum view { V_PROCS, V_SITES, V_DETAIL, V_THREADS, V_HELP, V_NR };

enum { C_HEADER = 1, C_SORT, C_ERROR, C_LEAK, C_TITLE };

struct col {
	const char *title;
	int width;		/* 0: the rest of the line */
	bool left;
	int key;		/* enum sort_key, or -1 */
};

#define NCOLS(c) ((int)(sizeof(c) / sizeof((c)[0])))

extern const struct col proc_cols[10], site_cols[10];

/* a scrolled list whose selection follows an identity */
struct list {
	long sel, top;
	uint64_t id;
	bool has_id;
};

struct tui {
	struct model *m;
	const struct tui_opts *o;
	enum view stack[4];
	int depth;
	bool help;
	struct list lists[V_NR];
	int pid;			/* of the sites, detail, threads views */
	uint64_t pid_first_ns;
	uint64_t site_id;		/* of the detail view */
	enum sort_key sort[2];		/* processes, sites */
	bool reverse[2];
	double delay;
	bool paused;
	int pids[MAX_PIDS];
	size_t nr_pids;
	char comm[COMM_MAX];
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

/* tui_draw.c */
void tui_draw(struct tui *t);
void tui_put_line(int y, const char *s, attr_t attr);
long tui_list_rows(enum view v, int *pane);
void tui_select_rows(struct tui *t);

#endif /* ANONTOP_TUI_INT_H */
