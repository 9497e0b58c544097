// SPDX-License-Identifier: GPL-2.0
/*
 * tui_draw.c - the screen of the interactive view: the header lines (the
 * module, totals, counters and settings, the message or error line), the
 * views (processes; call sites with a pane of the selected site's frames;
 * a site's details; threads; help) and the footer of keys.  Columns are
 * fixed-width, the sort column highlighted; each list keeps its selection
 * on the same row (pid, site id, tid) across samples and re-sorts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "tui_int.h"

const struct col proc_cols[10] = {
	{ "PID", 7, false, SORT_PID }, { "COMM", 16, true, SORT_COMM },
	{ "STATE", 6, true, SORT_STATE }, { "LIVE", 10, false, SORT_LIVE },
	{ "REGIONS", 7, false, SORT_REGIONS },
	{ "GROWTH/s", 11, false, SORT_GROWTH },
	{ "MAPS/s", 8, false, SORT_MAPS }, { "UNMAPS/s", 8, false, SORT_UNMAPS },
	{ "PEAK", 10, false, SORT_PEAK }, { "RSSANON", 10, false, SORT_RSS },
};

const struct col site_cols[10] = {
	{ "SITE", 6, false, SORT_PID }, { "KIND", 7, true, SORT_STATE },
	{ "LIVE", 10, false, SORT_LIVE }, { "REGIONS", 7, false, SORT_REGIONS },
	{ "GROWTH/s", 11, false, SORT_GROWTH }, { "MAPS", 7, false, SORT_MAPS },
	{ "UNMAPS", 7, false, SORT_UNMAPS }, { "RESIDENT", 10, false, SORT_RSS },
	{ "LEAK", 4, true, SORT_LEAK }, { "NAME", 0, true, SORT_COMM },
};

static const struct col thread_cols[] = {
	{ "TID", 7, false, -1 }, { "NAME", 16, true, -1 },
	{ "MAPS", 10, false, -1 }, { "UNMAPS", 10, false, -1 },
	{ "MAPPED", 10, false, -1 }, { "UNMAPPED", 10, false, -1 },
};

/* ---- drawing helpers ---- */

/* Put @s at line @y, cut to the screen width, the rest of the line cleared. */
void tui_put_line(int y, const char *s, attr_t attr)
{
	if (y < 0 || y >= LINES)
		return;
	move(y, 0);
	attron(attr);
	addnstr(s, COLS);
	clrtoeol();
	attroff(attr);
}

/* Pad @cells into columns @c into @buf; returns @buf. */
static char *compose(char *buf, size_t size, const struct col *c, int nc,
		     char cells[][LINE_MAX_])
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < nc && n < size; i++) {
		int w = c[i].width;

		n += (size_t)snprintf(buf + n, size - n, "%s%*.*s", i ? " " : "",
				      c[i].left ? -w : w, w ? w : LINE_MAX_,
				      cells[i]);
	}
	return buf;
}

/* The column header, with the sort column (if any) highlighted. */
static void draw_header(int y, const struct col *c, int nc, int sort_key)
{
	char cells[16][LINE_MAX_], line[LINE_MAX_];
	int i, x = 0;

	for (i = 0; i < nc; i++)
		snprintf(cells[i], LINE_MAX_, "%s", c[i].title);
	compose(line, sizeof(line), c, nc, cells);
	tui_put_line(y, line, COLOR_PAIR(C_HEADER) | A_REVERSE);
	if (sort_key < 0)
		return;
	for (i = 0; i < nc; i++) {
		int w = c[i].width ? c[i].width : (int)strlen(c[i].title);

		if (c[i].key == sort_key && x < COLS) {
			move(y, x);
			attron(COLOR_PAIR(C_SORT) | A_BOLD | A_REVERSE);
			addnstr(line + x, w < COLS - x ? w : COLS - x);
			attroff(COLOR_PAIR(C_SORT) | A_BOLD | A_REVERSE);
		}
		x += w + 1;
	}
}

/* Keep @l's selection on its identity, inside [0, n), and visible. */
static void list_fix(struct list *l, long n, long rows, long found)
{
	if (found >= 0)
		l->sel = found;
	if (l->sel >= n)
		l->sel = n - 1;
	if (l->sel < 0)
		l->sel = 0;
	if (rows < 1)
		rows = 1;
	if (l->top > l->sel)
		l->top = l->sel;
	if (l->sel >= l->top + rows)
		l->top = l->sel - rows + 1;
	if (l->top > n - rows)
		l->top = n - rows;
	if (l->top < 0)
		l->top = 0;
}

/* ---- the views ---- */

static void proc_cells(const struct proc_row *p, char cells[][LINE_MAX_])
{
	char b[FMT_MAX];

	snprintf(cells[0], LINE_MAX_, "%d", p->r->pid);
	fmt_name(cells[1], LINE_MAX_, p->r->comm, true);
	cells[1][16] = '\0';
	snprintf(cells[2], LINE_MAX_, "%s", p->r->exited ? "exited" : "live");
	snprintf(cells[3], LINE_MAX_, "%s", fmt_bytes(b, p->r->c.live_bytes));
	snprintf(cells[4], LINE_MAX_, "%" PRIu64, p->r->c.live_regions);
	snprintf(cells[5], LINE_MAX_, "%s", fmt_growth(b, p->have_rates, p->growth));
	snprintf(cells[6], LINE_MAX_, "%s", fmt_rate(b, p->have_rates, p->maps_rate));
	snprintf(cells[7], LINE_MAX_, "%s",
		 fmt_rate(b, p->have_rates, p->unmaps_rate));
	snprintf(cells[8], LINE_MAX_, "%s", fmt_bytes(b, p->r->c.peak_bytes));
	snprintf(cells[9], LINE_MAX_, "%s", fmt_bytes_opt(b, p->rss_anon));
}

static void site_cells(const struct site_row *s, char cells[][LINE_MAX_])
{
	char b[FMT_MAX];

	snprintf(cells[0], LINE_MAX_, "%" PRIu64, s->r->id);
	snprintf(cells[1], LINE_MAX_, "%s", s->r->kind);
	snprintf(cells[2], LINE_MAX_, "%s", fmt_bytes(b, s->r->c.live_bytes));
	snprintf(cells[3], LINE_MAX_, "%" PRIu64, s->r->c.live_regions);
	snprintf(cells[4], LINE_MAX_, "%s", fmt_growth(b, s->have_rates, s->growth));
	snprintf(cells[5], LINE_MAX_, "%" PRIu64, s->r->c.maps);
	snprintf(cells[6], LINE_MAX_, "%" PRIu64, s->r->c.unmaps);
	snprintf(cells[7], LINE_MAX_, "%s", fmt_bytes_opt(b, s->resident));
	snprintf(cells[8], LINE_MAX_, "%s", s->leak ? "LEAK" : "");
	if (s->info)
		snprintf(cells[9], LINE_MAX_, "%s", s->info->name);
	else
		snprintf(cells[9], LINE_MAX_, "0x%" PRIx64, s->r->frames[0]);
}

/* rows of the list area for a view, the sites view leaving room for frames */
long tui_list_rows(enum view v, int *pane)
{
	long rows = LINES - HEADER_LINES - 1;

	*pane = 0;
	if (v == V_SITES) {
		*pane = MAX_FRAMES + 2;
		if (*pane > rows / 2)
			*pane = (int)(rows / 2);
		rows -= *pane;
	}
	return rows > 0 ? rows : 0;
}

static void draw_procs(struct tui *t)
{
	char cells[NCOLS(proc_cols)][LINE_MAX_], line[LINE_MAX_];
	struct list *l = &t->lists[V_PROCS];
	long i, found = -1, rows;
	int pane;

	for (i = 0; l->has_id && i < t->nr_procs; i++)
		if (((uint64_t)(unsigned int)t->procs[i]->r->pid << 1 |
		     t->procs[i]->r->exited) == l->id)
			found = i;
	rows = tui_list_rows(V_PROCS, &pane);
	list_fix(l, t->nr_procs, rows, found);
	snprintf(line, sizeof(line), "Processes (%ld shown) - Enter: call sites, "
		 "t: threads", t->nr_procs);
	tui_put_line(4, line, A_BOLD);
	draw_header(5, proc_cols, NCOLS(proc_cols), (int)t->sort[0]);
	for (i = 0; i < rows; i++) {
		long k = l->top + i;
		attr_t a = 0;

		if (k >= t->nr_procs) {
			tui_put_line(HEADER_LINES + (int)i, "", 0);
			continue;
		}
		proc_cells(t->procs[k], cells);
		compose(line, sizeof(line), proc_cols, NCOLS(proc_cols), cells);
		if (t->procs[k]->leak)
			a |= COLOR_PAIR(C_LEAK);
		if (k == l->sel)
			a |= A_REVERSE;
		tui_put_line(HEADER_LINES + (int)i, line, a);
	}
}

static void frame_line(char *buf, size_t size, const struct site_row *s,
		       unsigned int i)
{
	const struct sym_frame *f = s->info ? &s->info->frames[i] : NULL;
	char name[512], col[600];
	const char *mod;
	size_t len;
	int n, room;

	if (f)
		sym_format(f, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "0x%" PRIx64, s->r->frames[i]);
	snprintf(col, sizeof(col), "%s%s", name,
		 s->info && (int)i == s->info->name_frame ? "  <- site name" : "");
	n = snprintf(buf, size, "  #%-2u 0x%016" PRIx64 "  %-52s ", i,
		     s->r->frames[i], col);
	if (!f || !f->module || n < 0 || (size_t)n >= size)
		return;
	/*
	 * The object's path ends the line.  When it does not fit, keep its
	 * end (the file name) and elide the front, as "...tests/libx.so".
	 */
	mod = f->module;
	len = strlen(mod);
	room = COLS - n;
	if (room > 8 && len > (size_t)room)
		snprintf(buf + n, size - (size_t)n, "...%s",
			 mod + len - (size_t)(room - 3));
	else
		snprintf(buf + n, size - (size_t)n, "%s", mod);
}

static void draw_pane(const struct site_row *s, int y, int height)
{
	char line[LINE_MAX_];
	unsigned int i;

	if (height <= 0)
		return;
	if (!s) {
		tui_put_line(y, " Frames", COLOR_PAIR(C_TITLE) | A_REVERSE);
		for (i = 1; (int)i < height; i++)
			tui_put_line(y + (int)i, "", 0);
		return;
	}
	snprintf(line, sizeof(line), " Frames of site %" PRIu64 " (Enter: details)",
		 s->r->id);
	tui_put_line(y, line, COLOR_PAIR(C_TITLE) | A_REVERSE);
	for (i = 0; (int)i + 1 < height; i++) {
		if (i < s->r->nr_frames)
			frame_line(line, sizeof(line), s, i);
		else
			line[0] = '\0';
		tui_put_line(y + 1 + (int)i, line, 0);
	}
}

static void draw_sites(struct tui *t)
{
	char cells[NCOLS(site_cols)][LINE_MAX_], line[LINE_MAX_], comm[COMM_MAX * 4];
	struct list *l = &t->lists[V_SITES];
	long i, found = -1, rows;
	int pane;

	for (i = 0; l->has_id && i < t->nr_sites; i++)
		if (t->sites[i]->r->id == l->id)
			found = i;
	rows = tui_list_rows(V_SITES, &pane);
	list_fix(l, t->nr_sites, rows, found);
	if (t->proc)
		snprintf(line, sizeof(line), "Call sites of %d %s (%ld)%s - Enter: "
			 "details, Esc: back", t->pid,
			 fmt_name(comm, sizeof(comm), t->proc->r->comm, true),
			 t->nr_sites, t->proc->r->exited ? ", exited" : "");
	else
		snprintf(line, sizeof(line), "Call sites of %d: the process is "
			 "gone - Esc: back", t->pid);
	tui_put_line(4, line, A_BOLD);
	draw_header(5, site_cols, NCOLS(site_cols), (int)t->sort[1]);
	for (i = 0; i < rows; i++) {
		long k = l->top + i;
		attr_t a = 0;

		if (k >= t->nr_sites) {
			tui_put_line(HEADER_LINES + (int)i, "", 0);
			continue;
		}
		site_cells(t->sites[k], cells);
		compose(line, sizeof(line), site_cols, NCOLS(site_cols), cells);
		if (t->sites[k]->leak)
			a |= COLOR_PAIR(C_LEAK) | A_BOLD;
		if (k == l->sel)
			a |= A_REVERSE;
		tui_put_line(HEADER_LINES + (int)i, line, a);
	}
	draw_pane(t->nr_sites ? t->sites[l->sel] : NULL,
		  HEADER_LINES + (int)rows, pane);
}

static struct site_row *find_site(struct tui *t, uint64_t id)
{
	long i;

	for (i = 0; i < t->nr_sites; i++)
		if (t->sites[i]->r->id == id)
			return t->sites[i];
	return NULL;
}

/* The details of one site: its counters, then every frame; scrolls. */
static void draw_detail(struct tui *t)
{
	const struct site_row *s = find_site(t, t->site_id);
	struct list *l = &t->lists[V_DETAIL];
	char lines[16 + MAX_FRAMES][LINE_MAX_], b[2][FMT_MAX];
	long n = 0, i, rows = LINES - 5 - 1;
	const struct counts *c;

	snprintf(lines[0], LINE_MAX_, "Site %" PRIu64 " of %d - Esc: back", t->site_id,
		 t->pid);
	tui_put_line(4, lines[0], A_BOLD);
	if (!s) {
		snprintf(lines[n++], LINE_MAX_, "  the site is gone");
		goto show;
	}
	c = &s->r->c;
	snprintf(lines[n++], LINE_MAX_, "  name        %s",
		 s->info ? s->info->name : "(not named yet)");
	snprintf(lines[n++], LINE_MAX_, "  kind        %s", s->r->kind);
	snprintf(lines[n++], LINE_MAX_, "  live        %s in %" PRIu64
		 " regions, peak %s", fmt_bytes(b[0], c->live_bytes),
		 c->live_regions, fmt_bytes(b[1], c->peak_bytes));
	snprintf(lines[n++], LINE_MAX_, "  resident    %s",
		 fmt_bytes_opt(b[0], s->resident));
	snprintf(lines[n++], LINE_MAX_,
		 "  growth      %s/s; grew in %u samples in a row%s",
		 fmt_growth(b[0], s->have_rates, s->growth), s->streak,
		 s->leak ? ": LEAK SUSPECT" : "");
	snprintf(lines[n++], LINE_MAX_, "  maps        %" PRIu64 " (%s/s), %s mapped",
		 c->maps, fmt_rate(b[0], s->have_rates, s->maps_rate),
		 fmt_bytes(b[1], c->bytes_mapped));
	snprintf(lines[n++], LINE_MAX_, "  unmaps      %" PRIu64
		 " (%s/s), %s unmapped", c->unmaps,
		 fmt_rate(b[0], s->have_rates, s->unmaps_rate),
		 fmt_bytes(b[1], c->bytes_unmapped));
	snprintf(lines[n++], LINE_MAX_,
		 "  first, last %.3f s, %.3f s (CLOCK_MONOTONIC)",
		 c->first_ns / 1e9, c->last_ns / 1e9);
	lines[n++][0] = '\0';
	snprintf(lines[n++], LINE_MAX_, "  %-3s %-18s  %-52s %s", "#", "ADDRESS",
		 "FRAME", "OBJECT");
	for (i = 0; i < s->r->nr_frames; i++)
		frame_line(lines[n++], LINE_MAX_, s, (unsigned int)i);
show:
	/* the selection is the first line shown */
	list_fix(l, n, 1, -1);
	if (l->sel > n - rows)
		l->sel = n - rows > 0 ? n - rows : 0;
	for (i = 0; i <= rows; i++) {
		long k = l->sel + i;
		attr_t a = s && s->leak && k == 4 ? COLOR_PAIR(C_LEAK) | A_BOLD : 0;

		tui_put_line(5 + (int)i, k < n ? lines[k] : "", a);
	}
}

static void draw_threads(struct tui *t)
{
	char cells[NCOLS(thread_cols)][LINE_MAX_], line[LINE_MAX_], b[FMT_MAX];
	struct list *l = &t->lists[V_THREADS];
	const struct proc_row *p = t->proc;
	long i, n = p ? (long)p->nr_threads : 0, found = -1, rows;
	int pane;

	for (i = 0; l->has_id && i < n; i++)
		if ((uint64_t)p->threads[i].tid == l->id)
			found = i;
	rows = tui_list_rows(V_THREADS, &pane);
	list_fix(l, n, rows, found);
	snprintf(line, sizeof(line), "Threads of %d (%ld) - what each thread's "
		 "system calls mapped and unmapped - Esc: back", t->pid, n);
	tui_put_line(4, line, A_BOLD);
	draw_header(5, thread_cols, NCOLS(thread_cols), -1);
	for (i = 0; i < rows; i++) {
		const struct thread_rec *th;
		long k = l->top + i;

		if (k >= n) {
			tui_put_line(HEADER_LINES + (int)i, "", 0);
			continue;
		}
		th = &p->threads[k];
		snprintf(cells[0], LINE_MAX_, "%d", th->tid);
		fmt_name(cells[1], LINE_MAX_, th->comm, true);
		snprintf(cells[2], LINE_MAX_, "%" PRIu64, th->maps);
		snprintf(cells[3], LINE_MAX_, "%" PRIu64, th->unmaps);
		snprintf(cells[4], LINE_MAX_, "%s", fmt_bytes(b, th->bytes_mapped));
		snprintf(cells[5], LINE_MAX_, "%s", fmt_bytes(b, th->bytes_unmapped));
		compose(line, sizeof(line), thread_cols, NCOLS(thread_cols), cells);
		tui_put_line(HEADER_LINES + (int)i, line, k == l->sel ? A_REVERSE : 0);
	}
}

static const char *const help_text[] = {
	"anontop - anonymous memory mappings per process and call site",
	"",
	"  Up/Down k/j   move            PgUp/PgDn     page up/down",
	"  Home/End g/G  first/last      Enter/Right   open: call sites, site details",
	"  Esc/Left/BS   back            t             threads of the process",
	"  s or >        next sort column   <          previous sort column",
	"  R             reverse the sort order",
	"  d             delay between samples (seconds, fractional)",
	"  p             show only these pids (comma-separated; empty: all)",
	"  /             show only names containing this text (empty: all)",
	"  space         pause/resume sampling",
	"  r             reset the module's counters (asks first; writes 'reset' to control)",
	"  h ?           this help        q             quit",
	"",
	"GROWTH/s  change of live bytes per second between the last two samples",
	"LEAK      live bytes grew in each of the last K samples (anontop -k K)",
	"RESIDENT  bytes of the site's live regions present in RAM (pagemap)",
	"RSSANON   the process's RssAnon (/proc/PID/status): all its anonymous RAM",
	"NAME      first frame outside libc's mmap/syscall wrappers and UCX's libucm",
	"          hooks: object!symbol+off (Enter: every frame of the stack)",
	"",
	"Press any key to return.",
};

static void draw_help(void)
{
	size_t i;

	for (i = 0; (int)i < LINES - 1; i++)
		tui_put_line((int)i, i < sizeof(help_text) / sizeof(help_text[0]) ?
			 help_text[i] : "", i == 0 ? A_BOLD : 0);
}

static void draw_top(struct tui *t)
{
	const struct model *m = t->m;
	const struct status *st = &m->snap.st;
	char line[LINE_MAX_], b[3][FMT_MAX], filt[256] = "";
	size_t i, n = 0;

	if (m->samples)
		snprintf(line, sizeof(line),
			 "anontop %s - anonstat %s on %s - %s, depth %" PRIu64
			 " - every %.1f s%s", t->o->version, st->version,
			 st->kernel, st->enabled == 0 ? "DISABLED" : "enabled",
			 st->depth, t->delay, t->paused ? " - PAUSED" : "");
	else
		snprintf(line, sizeof(line), "anontop %s - every %.1f s%s",
			 t->o->version, t->delay, t->paused ? " - PAUSED" : "");
	tui_put_line(0, line, A_BOLD);
	snprintf(line, sizeof(line),
		 "Processes: %" PRIu64 " (%" PRIu64 " exited)  Sites: %" PRIu64
		 "  Regions: %" PRIu64 "  Live: %s  Module memory: %s",
		 st->processes, st->processes_exited, st->sites, st->regions,
		 fmt_bytes(b[0], m->live_bytes), fmt_bytes(b[1], st->memory_bytes));
	tui_put_line(1, line, 0);
	for (i = 0; i < t->nr_pids && n < sizeof(filt) - 16; i++)
		n += (size_t)snprintf(filt + n, sizeof(filt) - n, "%s%d",
				      i ? "," : " pid ", t->pids[i]);
	if (t->comm[0])
		snprintf(filt + n, sizeof(filt) - n, " name '%s'", t->comm);
	snprintf(line, sizeof(line),
		 "Untracked: %s  Drops: %" PRIu64 "  Probe misses: %" PRIu64
		 "  Sort: %s%s  Filter:%s", fmt_bytes(b[2], m->untracked_bytes),
		 m->drops, m->probes_missed,
		 sort_key_name(t->sort[cur_view(t) != V_PROCS]),
		 t->reverse[cur_view(t) != V_PROCS] ? " (reversed)" : "",
		 filt[0] ? filt : " none");
	tui_put_line(2, line, (m->drops || m->probes_missed) ? COLOR_PAIR(C_ERROR) : 0);
	if (t->err[0])
		tui_put_line(3, t->err, COLOR_PAIR(C_ERROR) | A_BOLD);
	else
		tui_put_line(3, t->msg, 0);
}

static const char footer[] =
	"Enter:open Esc:back t:threads s/</>:sort R:reverse d:delay p:pid "
	"/:name space:pause r:reset h:help q:quit";

/* Rebuild the rows the current view shows. */
void tui_select_rows(struct tui *t)
{
	struct row_filter f = { .pids = t->pids, .nr_pids = t->nr_pids,
				.comm = t->comm };
	enum view v = cur_view(t);

	free(t->procs);
	free(t->sites);
	t->procs = NULL;
	t->sites = NULL;
	t->nr_procs = t->nr_sites = 0;
	t->proc = NULL;
	if (v == V_PROCS) {
		t->nr_procs = model_select_procs(t->m, &f, t->sort[0],
						 t->reverse[0], &t->procs);
		if (t->nr_procs < 0)
			t->nr_procs = 0;
		return;
	}
	t->proc = model_find_proc(t->m, t->pid);
	if (t->proc && v != V_THREADS) {
		t->nr_sites = model_select_sites(t->proc, t->sort[1],
						 t->reverse[1], &t->sites);
		if (t->nr_sites < 0)
			t->nr_sites = 0;
	}
}

/*
 * The last sample failed: what failed on the message line, and what to do
 * about it ("anonstat.ko is not loaded: sudo insmod anonstat.ko") on the
 * next, over the view's title, so that both fit an 80-column terminal.
 */
static void draw_error(const struct tui *t)
{
	const char *fix = strstr(t->err, "; ");
	char what[LINE_MAX_];

	if (!t->err[0])
		return;
	snprintf(what, sizeof(what), "%.*s", fix ? (int)(fix - t->err) : LINE_MAX_,
		 t->err);
	tui_put_line(3, what, COLOR_PAIR(C_ERROR) | A_BOLD);
	if (fix)
		tui_put_line(4, fix + 2, COLOR_PAIR(C_ERROR) | A_BOLD);
}

void tui_draw(struct tui *t)
{
	erase();
	if (t->help) {
		draw_help();
		refresh();
		return;
	}
	tui_select_rows(t);
	draw_top(t);
	switch (cur_view(t)) {
	case V_PROCS:
		draw_procs(t);
		break;
	case V_SITES:
		draw_sites(t);
		break;
	case V_DETAIL:
		draw_detail(t);
		break;
	case V_THREADS:
		draw_threads(t);
		break;
	default:
		break;
	}
	draw_error(t);
	tui_put_line(LINES - 1, footer, A_REVERSE);
	refresh();
}
