/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tui.h - the interactive (ncurses) view of anontop: processes, their call
 * sites with a frame pane, a site's details, threads, and help.  Keys are
 * those of top/htop; see anontop.8 or press h.
 */
#ifndef ANONTOP_TUI_H
#define ANONTOP_TUI_H

#include "model.h"

struct tui_opts {
	const char *version;	/* anontop's */
	double delay;		/* seconds between samples */
	enum sort_key sort;
	bool reverse;
	const int *pids;	/* initial pid filter */
	size_t nr_pids;
	const char *comm;	/* initial name filter, or NULL */
	const char *cmdline;	/* initial command-line filter, or NULL */
	const char *user;	/* initial user filter, or NULL */
	const char *cgroup;	/* initial cgroup filter, or NULL */
};

/*
 * Run until q (or SIGINT, SIGTERM, SIGHUP); the terminal is restored on
 * every way out, crashes included.  Returns the exit status: 0, or 1 after
 * printing a one-line error.
 */
int tui_run(struct model *m, const struct tui_opts *o);

#endif /* ANONTOP_TUI_H */
