// SPDX-License-Identifier: GPL-2.0
/*
 * tui.c - anontop's interactive view (ncurses): the loop, the keys and
 * prompts, and when to sample; tui_draw.c draws the screen.
 *
 * Views: processes -> call sites (with a pane showing every frame of the
 * selected site) -> one site's details; threads of a process; the call
 * sites of every process (S or Tab from any view) -> a site's details;
 * help.  The model is sampled every delay seconds; opening a view
 * completes the last sample with what the view needs (regions and names
 * of one process's sites, of every process's for the node-wide view, or
 * threads) without waiting for the next.
 *
 * The terminal is restored by endwin() on every way out: q, SIGINT,
 * SIGTERM and SIGHUP (a flag the loop polls every 100 ms), exit() (an
 * atexit handler), and fatal signals (the handler restores, then lets the
 * signal kill us as it would have).
 */
#include "tui.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot.h"
#include "tui_int.h"

static volatile sig_atomic_t stop_signal;
static bool curses_active;

static void restore_terminal(void)
{
	if (curses_active) {
		curses_active = false;
		endwin();
	}
}

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_fatal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	atexit(restore_terminal);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- sampling ---- */

static void configure(struct tui *t)
{
	enum view v = cur_view(t);

	t->m->want_threads = v == V_THREADS;
	if (v == V_ALLSITES) {
		t->m->detail = DETAIL_ALL;	/* every site needs its name */
	} else if (v == V_SITES || v == V_DETAIL) {
		t->m->detail = DETAIL_PIDS;
		t->m->detail_pids = &t->pid;
		t->m->nr_detail_pids = 1;
	} else {
		t->m->detail = DETAIL_NONE;
	}
}

static void sample(struct tui *t)
{
	configure(t);
	if (model_sample(t->m, t->err, sizeof(t->err)))
		return;
	t->err[0] = '\0';
}

/* after a view change: complete the sample with what the view needs */
static void complete(struct tui *t)
{
	configure(t);
	if (t->m->samples && model_detail(t->m, t->err, sizeof(t->err)) == 0)
		t->err[0] = '\0';
}

/* ---- input ---- */

/*
 * Read a line at the message line after @prompt into @buf; false when
 * cancelled (Esc) or stopped by a signal.
 */
static bool prompt(struct tui *t, const char *text, char *buf, size_t size)
{
	size_t n = strlen(buf);
	bool ok = false;

	curs_set(1);
	timeout(POLL_MS);
	for (;;) {
		char line[LINE_MAX_];
		int ch;

		snprintf(line, sizeof(line), "%s%s", text, buf);
		tui_put_line(3, line, A_BOLD);
		refresh();
		ch = getch();
		if (stop_signal)
			break;
		if (ch == ERR)
			continue;
		if (ch == 27)
			break;
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			ok = true;
			break;
		}
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n > 0)
			buf[--n] = '\0';
		else if (ch == 21)	/* ^U: the whole line */
			buf[n = 0] = '\0';
		else if (ch >= 0x20 && ch < 0x7f && n + 1 < size) {
			buf[n++] = (char)ch;
			buf[n] = '\0';
		}
	}
	curs_set(0);
	t->msg[0] = '\0';
	return ok;
}

/* "1,22,333" into @pids; "" is no pid (all); -1 if malformed */
static int parse_pid_list(const char *s, int *pids, size_t max, size_t *n)
{
	char *end;

	*n = 0;
	while (*s == ' ')
		s++;
	if (!*s)
		return 0;
	for (;;) {
		long v = strtol(s, &end, 10);

		if (end == s || v <= 0 || v > 0x7fffffff || *n >= max)
			return -1;
		pids[(*n)++] = (int)v;
		if (!*end)
			return 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

/* the next (@dir 1) or previous (-1) sort column among those shown */
static void key_sort(struct tui *t, int dir)
{
	enum view v = cur_view(t);
	int slot = sort_slot(t, v), keys[MAX_COLS], n = 0, i, j, nc;
	const struct col *c;
	struct layout lay;

	if (v != V_PROCS && v != V_SITES && v != V_ALLSITES)
		return;
	c = tui_cols(v, &nc);
	tui_layout(t, v, &lay);
	for (i = 0; i < lay.n; i++) {
		int k = c[lay.idx[i]].key;

		for (j = 0; j < n && keys[j] != k; j++)
			;
		if (k >= 0 && j == n)
			keys[n++] = k;
	}
	if (!n)
		return;
	for (i = 0; i < n; i++)
		if (keys[i] == (int)t->sort[slot])
			break;
	if (i == n)	/* sorted by a column not shown: start at the first */
		i = dir > 0 ? n - 1 : 0;
	t->sort[slot] = (enum sort_key)keys[(i + dir + n) % n];
}

static void push(struct tui *t, enum view v)
{
	if (t->depth < (int)(sizeof(t->stack) / sizeof(t->stack[0]))) {
		t->stack[t->depth++] = v;
		t->lists[v] = (struct list){ 0 };
	}
	tui_select_rows(t);
	complete(t);
}

static void back(struct tui *t)
{
	if (t->depth > 1)
		t->depth--;
	complete(t);
}

static void open_selected(struct tui *t)
{
	struct list *l = &t->lists[cur_view(t)];

	if (cur_view(t) == V_PROCS && t->nr_procs) {
		t->pid = t->procs[l->sel]->r->pid;
		push(t, V_SITES);
	} else if ((cur_view(t) == V_SITES || cur_view(t) == V_ALLSITES) &&
		   t->nr_sites) {
		t->pid = t->sites[l->sel]->r->pid;
		t->site_id = t->sites[l->sel]->r->id;
		push(t, V_DETAIL);
	}
}

/* S, Tab: the node-wide sites view over the processes, or back from it */
static void toggle_all_sites(struct tui *t)
{
	if (cur_view(t) == V_ALLSITES) {
		t->depth = 1;
		complete(t);
		return;
	}
	t->depth = 1;
	push(t, V_ALLSITES);
}

static void open_threads(struct tui *t)
{
	enum view v = cur_view(t);

	if (v == V_PROCS) {
		if (!t->nr_procs)
			return;
		t->pid = t->procs[t->lists[V_PROCS].sel]->r->pid;
	} else if (v == V_THREADS) {
		back(t);
		return;
	}
	push(t, V_THREADS);
}

static void key_move(struct tui *t, int ch)
{
	enum view v = cur_view(t);
	struct list *l = &t->lists[v];
	int pane;
	long page = tui_list_rows(v, &pane), n;

	n = v == V_PROCS ? t->nr_procs :
	    v == V_SITES || v == V_ALLSITES ? t->nr_sites :
	    v == V_THREADS && t->proc ? (long)t->proc->nr_threads : 1000;
	if (page < 1)
		page = 1;
	switch (ch) {
	case KEY_UP: case 'k':
		l->sel--;
		break;
	case KEY_DOWN: case 'j':
		l->sel++;
		break;
	case KEY_PPAGE:
		l->sel -= page;
		break;
	case KEY_NPAGE:
		l->sel += page;
		break;
	case KEY_HOME: case 'g':
		l->sel = 0;
		break;
	case KEY_END: case 'G':
		l->sel = n - 1;
		break;
	}
	if (l->sel >= n)
		l->sel = n - 1;
	if (l->sel < 0)
		l->sel = 0;
	/* the selection now follows the row it is on */
	l->has_id = true;
	if (v == V_PROCS && n)
		l->id = (uint64_t)(unsigned int)t->procs[l->sel]->r->pid << 1 |
			t->procs[l->sel]->r->exited;
	else if ((v == V_SITES || v == V_ALLSITES) && n)
		l->id = t->sites[l->sel]->r->id;
	else if (v == V_THREADS && n)
		l->id = (uint64_t)t->proc->threads[l->sel].tid;
	else
		l->has_id = false;
}

static void key_reset(struct tui *t)
{
	char answer[8] = "";
	char err[LINE_MAX_ - 32];

	if (!prompt(t, "Reset all anonstat counters (writes 'reset' to control)? "
		    "[y/N] ", answer, sizeof(answer)))
		return;
	if (answer[0] != 'y' && answer[0] != 'Y') {
		snprintf(t->msg, sizeof(t->msg), "not reset");
		return;
	}
	if (snapshot_control(t->m->root, "reset\n", err, sizeof(err))) {
		snprintf(t->msg, sizeof(t->msg), "reset failed: %s", err);
		return;
	}
	model_forget(t->m);
	snprintf(t->msg, sizeof(t->msg), "counters reset");
	t->next_sample = now();
}

static void key_delay(struct tui *t)
{
	char buf[32];
	char *end;
	double d;

	snprintf(buf, sizeof(buf), "%g", t->delay);
	if (!prompt(t, "Delay between samples in seconds: ", buf, sizeof(buf)))
		return;
	d = strtod(buf, &end);
	if (end == buf || *end || !isfinite(d) || d < 0.1 || d > 86400) {
		snprintf(t->msg, sizeof(t->msg), "bad delay '%s' (0.1 to 86400)", buf);
		return;
	}
	t->delay = d;
	t->next_sample = now() + d;
}

static void key_pids(struct tui *t)
{
	char buf[256] = "";
	int pids[MAX_PIDS];
	size_t n;

	if (!prompt(t, "Show pids (comma-separated, empty for all): ", buf,
		    sizeof(buf)))
		return;
	if (parse_pid_list(buf, pids, MAX_PIDS, &n)) {
		snprintf(t->msg, sizeof(t->msg), "bad pid list '%s'", buf);
		return;
	}
	memcpy(t->pids, pids, n * sizeof(pids[0]));
	t->nr_pids = n;
}

static void key_comm(struct tui *t)
{
	char buf[COMM_MAX];

	snprintf(buf, sizeof(buf), "%s", t->comm);
	if (!prompt(t, "Show names containing (empty for all): ", buf, sizeof(buf)))
		return;
	snprintf(t->comm, sizeof(t->comm), "%s", buf);
}

/* a filter of text: @what the prompt, @buf the filter itself */
static void key_filter(struct tui *t, const char *what, char *buf, size_t size)
{
	char text[FILTER_MAX];

	snprintf(text, sizeof(text), "%s", buf);
	if (!prompt(t, what, text, size < sizeof(text) ? size : sizeof(text)))
		return;
	snprintf(buf, size, "%s", text);
}

/* L: sort the list by leak (suspects first) */
static void key_leak(struct tui *t)
{
	enum view v = cur_view(t);

	if (v == V_PROCS || v == V_SITES || v == V_ALLSITES)
		t->sort[sort_slot(t, v)] = SORT_LEAK;
}

/*
 * a: ACCUM in the place of GROWTH/s (as iotop -a), and a sort by growth
 * becomes a sort by accum; again: back
 */
static void key_accum(struct tui *t)
{
	enum sort_key from = t->accum ? SORT_ACCUM : SORT_GROWTH;
	int i;

	t->accum = !t->accum;
	for (i = 0; i < S_NR; i++)
		if (t->sort[i] == from)
			t->sort[i] = t->accum ? SORT_ACCUM : SORT_GROWTH;
	snprintf(t->msg, sizeof(t->msg), "%s", t->accum ?
		 "ACCUM (growth since anontop started) before GROWTH/s" :
		 "GROWTH/s before ACCUM");
}

/* One key; false to quit. */
static bool key(struct tui *t, int ch)
{
	if (t->help) {
		t->help = false;	/* any key, q too, closes help */
		return true;
	}
	t->msg[0] = '\0';
	switch (ch) {
	case 'q': case 'Q':
		return false;
	case 'h': case '?': case KEY_F(1):
		t->help = true;
		break;
	case KEY_UP: case KEY_DOWN: case KEY_PPAGE: case KEY_NPAGE:
	case KEY_HOME: case KEY_END: case 'j': case 'k': case 'g': case 'G':
		key_move(t, ch);
		break;
	case '\n': case '\r': case KEY_ENTER: case KEY_RIGHT:
		open_selected(t);
		break;
	case 27: case KEY_LEFT: case KEY_BACKSPACE: case 127:
		back(t);
		break;
	case 's': case '>': case '.':
		key_sort(t, 1);
		break;
	case '<': case ',':
		key_sort(t, -1);
		break;
	case 'R': case 'I':
		if (cur_view(t) == V_PROCS || cur_view(t) == V_SITES ||
		    cur_view(t) == V_ALLSITES)
			t->reverse[sort_slot(t, cur_view(t))] ^= true;
		break;
	case 't':
		open_threads(t);
		break;
	case 'd':
		key_delay(t);
		break;
	case 'p':
		key_pids(t);
		break;
	case '/': case 'o':
		key_comm(t);
		break;
	case 'c':
		key_filter(t, "Show command lines containing (empty for all): ",
			   t->cmdline, sizeof(t->cmdline));
		break;
	case 'u':
		key_filter(t, "Show the processes of user (name or uid, empty for "
			   "all): ", t->user, sizeof(t->user));
		break;
	case 'C':
		key_filter(t, "Show cgroup paths containing (a container id too; "
			   "empty for all): ", t->cgroup, sizeof(t->cgroup));
		break;
	case 'S': case '\t':
		toggle_all_sites(t);
		break;
	case 'L':
		key_leak(t);
		break;
	case 'a':
		key_accum(t);
		break;
	case ' ':
		t->paused = !t->paused;
		if (!t->paused)
			t->next_sample = now();
		break;
	case 'r':
		key_reset(t);
		break;
	case 12:	/* ^L */
		clearok(curscr, TRUE);
		break;
	default:
		break;
	}
	return true;
}

/* colours unless NO_COLOR is set and not empty (no-color.org) */
static bool want_color(void)
{
	const char *e = getenv("NO_COLOR");

	return !(e && *e);
}

static bool start_curses(void)
{
	initscr();
	curses_active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (want_color() && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(C_HEADER, COLOR_GREEN, -1);
		init_pair(C_SORT, COLOR_CYAN, -1);
		init_pair(C_ERROR, COLOR_RED, -1);
		init_pair(C_LEAK, COLOR_RED, -1);
		init_pair(C_TITLE, COLOR_BLUE, -1);
		return true;
	}
	return false;
}

int tui_run(struct model *m, const struct tui_opts *o)
{
	static struct tui t;
	bool run = true, redraw = true;

	memset(&t, 0, sizeof(t));
	t.m = m;
	t.o = o;
	t.stack[0] = V_PROCS;
	t.depth = 1;
	t.sort[S_PROCS] = o->sort;
	t.sort[S_SITES] = o->sort == SORT_PID ? SORT_LIVE : o->sort;
	t.sort[S_ALL] = o->sort == SORT_LEAK || o->sort == SORT_ACCUM ?
			o->sort : SORT_GROWTH;
	t.reverse[S_PROCS] = t.reverse[S_SITES] = o->reverse;
	t.accum = o->sort == SORT_ACCUM;	/* -s accum, -a */
	t.delay = o->delay >= 0.1 ? o->delay : 0.1;
	t.nr_pids = o->nr_pids < MAX_PIDS ? o->nr_pids : MAX_PIDS;
	memcpy(t.pids, o->pids, t.nr_pids * sizeof(t.pids[0]));
	snprintf(t.comm, sizeof(t.comm), "%s", o->comm ? o->comm : "");
	snprintf(t.cmdline, sizeof(t.cmdline), "%s", o->cmdline ? o->cmdline : "");
	snprintf(t.user, sizeof(t.user), "%s", o->user ? o->user : "");
	snprintf(t.cgroup, sizeof(t.cgroup), "%s", o->cgroup ? o->cgroup : "");
	install_signals();
	t.color = start_curses();
	t.next_sample = now();
	while (run && !stop_signal) {
		bool dirty = false;
		double wait;
		int ch;

		if (!t.paused && now() >= t.next_sample) {
			sample(&t);
			t.next_sample += t.delay;
			if (t.next_sample < now())
				t.next_sample = now() + t.delay;
			dirty = true;
		}
		/*
		 * draw after a sample, a key or a resize only: selecting and
		 * sorting 100,000 sites every 100 ms would cost a CPU
		 */
		if (dirty || redraw)
			tui_draw(&t);
		redraw = false;
		wait = t.paused ? POLL_MS : (t.next_sample - now()) * 1000;
		timeout(wait < 1 ? 1 : wait > POLL_MS ? POLL_MS : (int)wait);
		ch = getch();
		if (ch != ERR) {
			run = key(&t, ch);
			redraw = true;
		}
	}
	restore_terminal();
	free(t.procs);
	free(t.sites);
	if (stop_signal) {
		/* die of the signal, as we would have without a handler */
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return 0;
}
