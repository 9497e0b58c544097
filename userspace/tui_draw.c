// SPDX-License-Identifier: GPL-2.0
/*
 * tui_draw.c - the screen of the interactive view: the header lines (the
 * module, totals, counters and settings, the message or error line), the
 * views (processes; call sites of one process with a pane of the selected
 * site's frames; call sites of every process; a site's details; threads;
 * help) and the footer of keys.  Columns are fixed-width and kept by
 * priority: on a narrow terminal the least important are dropped whole
 * (never cut), the name column (the site's name, the command line) takes
 * what is left.  The sort column is highlighted; each list keeps its
 * selection on the same row (pid, site id, tid) across samples and
 * re-sorts.  Colour only adds to what the text says (LEAK is a column),
 * and there is none when NO_COLOR is set (tui.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "tui_int.h"

/*
 * The tables, in the order shown; prio: the order in which columns are
 * kept when the terminal is too narrow for all (lowest first).  At 80
 * columns the process table keeps PID COMM STATE LIVE REGIONS GROWTH/s
 * RSSANON LEAK, the sites table SITE LIVE GROWTH/s RESIDENT LEAK NAME,
 * the node-wide sites table PID COMM LIVE GROWTH/s LEAK NAME.
 */
const struct col proc_cols[15] = {
	{ "PID", 7, false, SORT_PID, F_PID, 0, 0, 0 },
	{ "USER", 8, true, -1, F_USER, 120, 0, 0 },
	{ "COMM", 16, true, SORT_COMM, F_COMM, 10, 0, 0 },
	{ "STATE", 6, true, SORT_STATE, F_STATE, 70, 0, 0 },
	{ "LIVE", 10, false, SORT_LIVE, F_LIVE, 20, 0, 0 },
	{ "REGIONS", 7, false, SORT_REGIONS, F_REGIONS, 80, 0, 0 },
	{ "GROWTH/s", 11, false, SORT_GROWTH, F_GROWTH, 30, COL_GROWTH, 0 },
	{ "ACCUM", 10, false, SORT_ACCUM, F_ACCUM, 130, COL_ACCUM, 0 },
	{ "MAPS/s", 8, false, SORT_MAPS, F_MAPS_RATE, 100, 0, 0 },
	{ "UNMAPS/s", 8, false, SORT_UNMAPS, F_UNMAPS_RATE, 110, 0, 0 },
	{ "PEAK", 10, false, SORT_PEAK, F_PEAK, 90, 0, 0 },
	{ "RSSANON", 10, false, SORT_RSS, F_RSSANON, 50, 0, 0 },
	{ "LEAK", 4, true, SORT_LEAK, F_LEAK, 40, 0, 0 },
	{ "CGROUP", 20, true, -1, F_CGROUP, 140, 0, 0 },
	{ "CMD", 24, true, -1, F_CMD, 60, COL_REST, 0 },
};

const struct col site_cols[12] = {
	{ "SITE", 6, false, SORT_PID, F_SITE, 0, 0, 0 },
	{ "KIND", 7, true, SORT_STATE, F_KIND, 70, 0, 0 },
	{ "LIVE", 10, false, SORT_LIVE, F_LIVE, 10, 0, 0 },
	{ "REGIONS", 7, false, SORT_REGIONS, F_REGIONS, 80, 0, 0 },
	{ "GROWTH/s", 11, false, SORT_GROWTH, F_GROWTH, 20, COL_GROWTH, 0 },
	{ "ACCUM", 10, false, SORT_ACCUM, F_ACCUM, 130, COL_ACCUM, 0 },
	{ "MAPS", 7, false, SORT_MAPS, F_MAPS, 90, 0, 0 },
	{ "UNMAPS", 7, false, SORT_UNMAPS, F_UNMAPS, 100, 0, 0 },
	{ "RESIDENT", 10, false, SORT_RSS, F_RESIDENT, 60, 0, 0 },
	{ "HIGHS", 5, false, -1, F_HIGHS, 110, 0, 0 },
	{ "LEAK", 4, true, SORT_LEAK, F_LEAK, 30, 0, 0 },
	{ "NAME", 30, true, SORT_COMM, F_NAME, 50, COL_REST, 0 },
};

const struct col all_site_cols[16] = {
	{ "PID", 7, false, SORT_PID, F_PID, 0, 0, 0 },
	{ "COMM", 16, true, -1, F_COMM, 10, 0, 0 },
	{ "USER", 8, true, -1, F_USER, 120, 0, 0 },
	{ "SITE", 6, false, -1, F_SITE, 70, 0, 0 },
	{ "KIND", 7, true, SORT_STATE, F_KIND, 80, 0, 0 },
	{ "LIVE", 10, false, SORT_LIVE, F_LIVE, 20, 0, 0 },
	{ "REGIONS", 7, false, SORT_REGIONS, F_REGIONS, 90, 0, 0 },
	{ "GROWTH/s", 11, false, SORT_GROWTH, F_GROWTH, 30, COL_GROWTH, 0 },
	{ "ACCUM", 10, false, SORT_ACCUM, F_ACCUM, 130, COL_ACCUM, 0 },
	{ "MAPS", 7, false, SORT_MAPS, F_MAPS, 100, 0, 0 },
	{ "UNMAPS", 7, false, SORT_UNMAPS, F_UNMAPS, 105, 0, 0 },
	{ "RESIDENT", 10, false, SORT_RSS, F_RESIDENT, 60, 0, 0 },
	{ "HIGHS", 5, false, -1, F_HIGHS, 110, 0, 0 },
	{ "LEAK", 4, true, SORT_LEAK, F_LEAK, 40, 0, 0 },
	{ "CMD", 30, true, -1, F_CMD, 140, 0, 0 },
	{ "NAME", 24, true, SORT_COMM, F_NAME, 50, COL_REST, 40 },
};

static const struct col thread_cols[] = {
	{ "TID", 7, false, -1, F_PID, 0, 0, 0 },
	{ "NAME", 16, true, -1, F_COMM, 0, 0, 0 },
	{ "MAPS", 10, false, -1, F_MAPS, 0, 0, 0 },
	{ "UNMAPS", 10, false, -1, F_UNMAPS, 0, 0, 0 },
	{ "MAPPED", 10, false, -1, F_LIVE, 0, 0, 0 },
	{ "UNMAPPED", 10, false, -1, F_LIVE, 0, 0, 0 },
};

/* colours, when tui.c started them (NO_COLOR unset, a colour terminal) */
static bool color;
#define CP(n) (color ? COLOR_PAIR(n) : 0)

const struct col *tui_cols(enum view v, int *nc)
{
	switch (v) {
	case V_PROCS:
		*nc = NCOLS(proc_cols);
		return proc_cols;
	case V_SITES:
		*nc = NCOLS(site_cols);
		return site_cols;
	case V_ALLSITES:
		*nc = NCOLS(all_site_cols);
		return all_site_cols;
	default:
		*nc = NCOLS(thread_cols);
		return thread_cols;
	}
}

/*
 * The columns of view @v that fit COLS: in the order of prio, each that
 * still fits whole (with its separating space) is kept; the COL_REST
 * column gets the rest of the line; columns kept after it leave it its
 * want (if any) too.  After 'a', ACCUM and GROWTH/s swap priorities.
 */
void tui_layout(const struct tui *t, enum view v, struct layout *lay)
{
	int nc, order[MAX_COLS], prio[MAX_COLS], i, j, used = 0, extra = 0;
	int accum = -1, growth = -1;
	const struct col *c = tui_cols(v, &nc);
	bool on[MAX_COLS] = { false };

	for (i = 0; i < nc; i++) {
		prio[i] = c[i].prio;
		if (c[i].flags & COL_ACCUM)
			accum = i;
		if (c[i].flags & COL_GROWTH)
			growth = i;
	}
	if (t->accum && accum >= 0 && growth >= 0) {
		prio[accum] = c[growth].prio;
		prio[growth] = c[accum].prio;
	}
	for (i = 0; i < nc; i++) {
		for (j = i; j > 0 && prio[order[j - 1]] > prio[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < nc; i++) {
		const struct col *o = &c[order[i]];
		int need = o->width + (used ? 1 : 0);

		if (used + need + extra <= COLS) {
			on[order[i]] = true;
			used += need;
			if ((o->flags & COL_REST) && o->want > o->width)
				extra = o->want - o->width;
		}
	}
	lay->n = 0;
	for (i = 0; i < nc; i++) {
		if (!on[i])
			continue;
		lay->idx[lay->n] = i;
		lay->width[lay->n] = c[i].width +
				     (c[i].flags & COL_REST ? COLS - used : 0);
		lay->n++;
	}
}

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

/*
 * Pad @cells (one per column of @lay) into @buf: text left-aligned and cut
 * to its column, numbers right-aligned (never cut).  Returns @buf.
 */
static char *compose(char *buf, size_t size, const struct col *c,
		     const struct layout *lay, char cells[][LINE_MAX_])
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < lay->n && n < size; i++) {
		int w = lay->width[i];

		if (c[lay->idx[i]].left)
			n += (size_t)snprintf(buf + n, size - n, "%s%-*.*s",
					      i ? " " : "", w, w, cells[i]);
		else
			n += (size_t)snprintf(buf + n, size - n, "%s%*s",
					      i ? " " : "", w, cells[i]);
	}
	return buf;
}

/* The column header, with the sort column (if any) highlighted. */
static void draw_header(int y, const struct col *c, const struct layout *lay,
			int sort_key)
{
	char cells[MAX_COLS][LINE_MAX_], line[LINE_MAX_];
	int i, x = 0;

	for (i = 0; i < lay->n; i++)
		snprintf(cells[i], LINE_MAX_, "%s", c[lay->idx[i]].title);
	compose(line, sizeof(line), c, lay, cells);
	tui_put_line(y, line, CP(C_HEADER) | A_REVERSE);
	if (sort_key < 0)
		return;
	for (i = 0; i < lay->n; i++) {
		int w = lay->width[i];

		if (c[lay->idx[i]].key == sort_key && x < COLS) {
			attr_t a = CP(C_SORT) | A_BOLD | A_REVERSE |
				   (color ? 0 : A_UNDERLINE);

			move(y, x);
			attron(a);
			addnstr(line + x, w < COLS - x ? w : COLS - x);
			attroff(a);
			break;
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

/* @s for the terminal: bytes outside printable ASCII as '?' */
static void printable(char *buf, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ?
			 '?' : s[i];
	buf[i] = '\0';
}

/* the command line, or the name when it is not known */
static void command(char *buf, size_t size, const struct proc_row *p)
{
	if (p->cmdline && p->cmdline[0])
		printable(buf, size, p->cmdline);
	else
		fmt_name(buf, size, p->r->comm, true);
}

/*
 * A site's name in @w columns, when it does not fit as it is: without its
 * object ("ucx::Pool::grow(unsigned long)+0x16"), then without a C++
 * parameter list ("ucx::Pool::grow()+0x16"); the caller cuts what is
 * still too long from the front.
 */
static void compact_name(char *buf, int w)
{
	char *bang, *open, *close;
	size_t len = strlen(buf);

	if (len <= (size_t)w)
		return;
	bang = strchr(buf, '!');
	if (bang) {
		memmove(buf, bang + 1, strlen(bang + 1) + 1);
		len = strlen(buf);
	}
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (len > (size_t)w && open && close && close > open + 1)
		memmove(open + 1, close, strlen(close) + 1);
}

/* One cell of a process row (@s NULL) or of a site row of @p. */
static void cell(char *buf, enum field f, int w, const struct proc_row *p,
		 const struct site_row *s)
{
	const struct counts *c = s ? &s->r->c : &p->r->c;
	const size_t size = LINE_MAX_;
	char b[FMT_MAX];
	size_t len;

	buf[0] = '\0';
	switch (f) {
	case F_PID:
		snprintf(buf, size, "%d", p->r->pid);
		break;
	case F_COMM:
		fmt_name(buf, size, p->r->comm, true);
		break;
	case F_USER:
		printable(buf, size, p->user ? p->user : "-");
		break;
	case F_STATE:
		snprintf(buf, size, "%s", p->r->exited ? "exited" : "live");
		break;
	case F_LIVE:
		snprintf(buf, size, "%s", fmt_bytes(b, c->live_bytes));
		break;
	case F_REGIONS:
		snprintf(buf, size, "%" PRIu64, c->live_regions);
		break;
	case F_GROWTH:
		snprintf(buf, size, "%s", s ? fmt_growth(b, s->have_rates, s->growth) :
			 fmt_growth(b, p->have_rates, p->growth));
		break;
	case F_ACCUM:
		snprintf(buf, size, "%s",
			 fmt_growth(b, true, (double)(s ? s->accum : p->accum)));
		break;
	case F_MAPS_RATE:
		snprintf(buf, size, "%s", fmt_rate(b, p->have_rates, p->maps_rate));
		break;
	case F_UNMAPS_RATE:
		snprintf(buf, size, "%s", fmt_rate(b, p->have_rates, p->unmaps_rate));
		break;
	case F_PEAK:
		snprintf(buf, size, "%s", fmt_bytes(b, c->peak_bytes));
		break;
	case F_RSSANON:
		snprintf(buf, size, "%s", fmt_bytes_opt(b, p->rss_anon));
		break;
	case F_LEAK:
		snprintf(buf, size, "%s", (s ? s->leak : p->leak) ? "LEAK" : "");
		break;
	case F_CGROUP:
		printable(buf, size, p->cgroup ? p->cgroup : "-");
		break;
	case F_CMD:
		command(buf, size, p);
		break;
	case F_SITE:
		snprintf(buf, size, "%" PRIu64, s->r->id);
		break;
	case F_KIND:
		snprintf(buf, size, "%s", s->r->kind);
		break;
	case F_MAPS:
		snprintf(buf, size, "%" PRIu64, c->maps);
		break;
	case F_UNMAPS:
		snprintf(buf, size, "%" PRIu64, c->unmaps);
		break;
	case F_RESIDENT:
		snprintf(buf, size, "%s", fmt_bytes_opt(b, s->resident));
		break;
	case F_HIGHS:
		snprintf(buf, size, "%u", s->highs);
		break;
	case F_NAME:
		if (s->info)
			snprintf(buf, size, "%s", s->info->name);
		else if (s->r->nr_frames)
			snprintf(buf, size, "0x%" PRIx64, s->r->frames[0]);
		compact_name(buf, w);
		break;
	}
	/*
	 * The end of a cgroup path or a site's name says most: when it does
	 * not fit, "...e/docker-1234.scope", "...est_hidden_function+0x20".
	 */
	len = strlen(buf);
	if ((f == F_CGROUP || f == F_NAME) && w > 3 && len > (size_t)w) {
		memmove(buf + 3, buf + len - (size_t)(w - 3), (size_t)(w - 3) + 1);
		memcpy(buf, "...", 3);
	}
}

/* the first line of a view's list: under its title and column header */
long tui_list_top(enum view v)
{
	return v == V_SITES ? HEADER_LINES + 1 : HEADER_LINES;
}

/* rows of the list area for a view, the sites view leaving room for frames */
long tui_list_rows(enum view v, int *pane)
{
	long rows = LINES - tui_list_top(v) - 1;

	*pane = 0;
	if (v == V_SITES) {
		*pane = MAX_FRAMES + 2;
		if (*pane > rows / 2)
			*pane = (int)(rows / 2);
		rows -= *pane;
	}
	return rows > 0 ? rows : 0;
}

/* the identity of a row of view @v, for a selection to follow it */
static uint64_t row_id(const struct tui *t, enum view v, long k)
{
	if (v == V_PROCS)
		return (uint64_t)(unsigned int)t->procs[k]->r->pid << 1 |
		       t->procs[k]->r->exited;
	return t->sites[k]->r->id;
}

/*
 * The list of the processes, of one process's sites or of every site, its
 * column header on the line above @top; returns the rows it has.
 */
static long draw_table(struct tui *t, enum view v)
{
	char cells[MAX_COLS][LINE_MAX_], line[LINE_MAX_];
	const struct col *c;
	struct list *l = &t->lists[v];
	long n = v == V_PROCS ? t->nr_procs : t->nr_sites;
	long i, found = -1, rows, top = tui_list_top(v);
	struct layout lay;
	int pane, nc, j;

	c = tui_cols(v, &nc);
	tui_layout(t, v, &lay);
	for (i = 0; l->has_id && i < n; i++)
		if (row_id(t, v, i) == l->id)
			found = i;
	rows = tui_list_rows(v, &pane);
	list_fix(l, n, rows, found);
	draw_header((int)top - 1, c, &lay, (int)t->sort[sort_slot(t, v)]);
	for (i = 0; i < rows; i++) {
		const struct site_row *s = NULL;
		const struct proc_row *p;
		long k = l->top + i;
		attr_t a = 0;

		if (k >= n) {
			tui_put_line((int)(top + i), "", 0);
			continue;
		}
		if (v == V_PROCS) {
			p = t->procs[k];
		} else {
			s = t->sites[k];
			p = s->proc;
		}
		for (j = 0; j < lay.n; j++)
			cell(cells[j], c[lay.idx[j]].field, lay.width[j], p, s);
		compose(line, sizeof(line), c, &lay, cells);
		if (s ? s->leak : p->leak)
			a |= CP(C_LEAK) | A_BOLD;
		if (k == l->sel)
			a |= A_REVERSE;
		tui_put_line((int)(top + i), line, a);
	}
	return rows;
}

/* ---- the views ---- */

static void draw_procs(struct tui *t)
{
	char line[LINE_MAX_];

	snprintf(line, sizeof(line), "Processes (%ld shown) - Enter: call sites, "
		 "S: every call site, t: threads", t->nr_procs);
	tui_put_line(4, line, A_BOLD);
	draw_table(t, V_PROCS);
}

static void draw_allsites(struct tui *t)
{
	char line[LINE_MAX_];

	snprintf(line, sizeof(line), "Call sites of every process (%ld shown) - "
		 "Enter: details, S: processes", t->nr_sites);
	tui_put_line(4, line, A_BOLD);
	draw_table(t, V_ALLSITES);
}

/* "/system.slice/docker-0123456789ab....scope (container 0123456789ab)" */
static void cgroup(char *buf, size_t size, const struct proc_row *p)
{
	char cg[LINE_MAX_ / 4], ct[32];

	printable(cg, sizeof(cg), p->cgroup ? p->cgroup : "-");
	printable(ct, sizeof(ct), p->container ? p->container : "");
	snprintf(buf, size, "%s%s%s%s", cg, ct[0] ? " (container " : "", ct,
		 ct[0] ? ")" : "");
}

/* "user alice  cgroup /system.slice/x.service  command python3 -m w" */
static void identity(char *buf, size_t size, const struct proc_row *p)
{
	char user[FILTER_MAX], cg[LINE_MAX_ / 3], cmd[LINE_MAX_ / 2];

	printable(user, sizeof(user), p->user ? p->user : "-");
	cgroup(cg, sizeof(cg), p);
	command(cmd, sizeof(cmd), p);
	snprintf(buf, size, "user %.64s  cgroup %.300s  command %.512s", user, cg,
		 cmd);
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
		tui_put_line(y, " Frames", CP(C_TITLE) | A_REVERSE);
		for (i = 1; (int)i < height; i++)
			tui_put_line(y + (int)i, "", 0);
		return;
	}
	snprintf(line, sizeof(line), " Frames of site %" PRIu64 " (Enter: details)",
		 s->r->id);
	tui_put_line(y, line, CP(C_TITLE) | A_REVERSE);
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
	char line[LINE_MAX_], comm[COMM_MAX * 4];
	long rows;
	int pane;

	if (t->proc) {
		snprintf(line, sizeof(line), "Call sites of %d %s (%ld)%s - Enter: "
			 "details, Esc: back", t->pid,
			 fmt_name(comm, sizeof(comm), t->proc->r->comm, true),
			 t->nr_sites, t->proc->r->exited ? ", exited" : "");
		tui_put_line(4, line, A_BOLD);
		identity(line, sizeof(line), t->proc);
		tui_put_line(5, line, 0);
	} else {
		snprintf(line, sizeof(line), "Call sites of %d: the process is "
			 "gone - Esc: back", t->pid);
		tui_put_line(4, line, A_BOLD);
		tui_put_line(5, "", 0);
	}
	rows = draw_table(t, V_SITES);
	tui_list_rows(V_SITES, &pane);
	draw_pane(t->nr_sites ? t->sites[t->lists[V_SITES].sel] : NULL,
		  (int)(tui_list_top(V_SITES) + rows), pane);
}

static struct site_row *find_site(struct tui *t, uint64_t id)
{
	long i;

	for (i = 0; i < t->nr_sites; i++)
		if (t->sites[i]->r->id == id)
			return t->sites[i];
	return NULL;
}

/* The details of one site: its process, counters, then every frame; scrolls. */
static void draw_detail(struct tui *t)
{
	const struct site_row *s = find_site(t, t->site_id);
	struct list *l = &t->lists[V_DETAIL];
	char lines[20 + MAX_FRAMES][LINE_MAX_], b[2][FMT_MAX], comm[COMM_MAX * 4];
	char user[FILTER_MAX], cmd[LINE_MAX_ / 2];
	long n = 0, i, rows = LINES - 5 - 1, leak_line = -1;
	const struct counts *c;

	snprintf(lines[0], LINE_MAX_, "Site %" PRIu64 " of %d - Esc: back", t->site_id,
		 t->pid);
	tui_put_line(4, lines[0], A_BOLD);
	if (!s) {
		snprintf(lines[n++], LINE_MAX_, "  the site is gone");
		goto show;
	}
	c = &s->r->c;
	printable(user, sizeof(user), s->proc->user ? s->proc->user : "-");
	snprintf(lines[n++], LINE_MAX_, "  process     %d %s%s, user %s", t->pid,
		 fmt_name(comm, sizeof(comm), s->proc->r->comm, true),
		 s->proc->r->exited ? " (exited)" : "", user);
	command(cmd, sizeof(cmd), s->proc);
	snprintf(lines[n++], LINE_MAX_, "  command     %s", cmd);
	cgroup(cmd, sizeof(cmd), s->proc);
	snprintf(lines[n++], LINE_MAX_, "  cgroup      %s", cmd);
	snprintf(lines[n++], LINE_MAX_, "  name        %s",
		 s->info ? s->info->name : "(not named yet)");
	snprintf(lines[n++], LINE_MAX_, "  kind        %s", s->r->kind);
	snprintf(lines[n++], LINE_MAX_, "  live        %s in %" PRIu64
		 " regions, peak %s", fmt_bytes(b[0], c->live_bytes),
		 c->live_regions, fmt_bytes(b[1], c->peak_bytes));
	snprintf(lines[n++], LINE_MAX_, "  resident    %s",
		 fmt_bytes_opt(b[0], s->resident));
	snprintf(lines[n++], LINE_MAX_,
		 "  growth      %s/s; %s since anontop first saw it",
		 fmt_growth(b[0], s->have_rates, s->growth),
		 fmt_growth(b[1], true, (double)s->accum));
	leak_line = n;
	if (t->m->leak_window > 0)
		snprintf(b[0], FMT_MAX, "%g s", t->m->leak_window);
	else
		snprintf(b[0], FMT_MAX, "the window");
	snprintf(lines[n++], LINE_MAX_,
		 "  leak        %s: %u new highs within %s; grew %u samples in a row",
		 s->leak ? "LEAK SUSPECT" : "no", s->highs, b[0], s->streak);
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
		attr_t a = s && s->leak && k == leak_line ? CP(C_LEAK) | A_BOLD : 0;

		tui_put_line(5 + (int)i, k < n ? lines[k] : "", a);
	}
}

static void draw_threads(struct tui *t)
{
	char cells[NCOLS(thread_cols)][LINE_MAX_], line[LINE_MAX_], b[FMT_MAX];
	struct list *l = &t->lists[V_THREADS];
	const struct proc_row *p = t->proc;
	long i, n = p ? (long)p->nr_threads : 0, found = -1, rows;
	struct layout lay;
	int pane, j;

	tui_layout(t, V_THREADS, &lay);
	for (i = 0; l->has_id && i < n; i++)
		if ((uint64_t)p->threads[i].tid == l->id)
			found = i;
	rows = tui_list_rows(V_THREADS, &pane);
	list_fix(l, n, rows, found);
	snprintf(line, sizeof(line), "Threads of %d (%ld) - what each thread's "
		 "system calls mapped and unmapped - Esc: back", t->pid, n);
	tui_put_line(4, line, A_BOLD);
	draw_header(5, thread_cols, &lay, -1);
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
		for (j = 0; j < lay.n; j++)	/* the columns that fit */
			if (lay.idx[j] != j)
				memcpy(cells[j], cells[lay.idx[j]], LINE_MAX_);
		compose(line, sizeof(line), thread_cols, &lay, cells);
		tui_put_line(HEADER_LINES + (int)i, line, k == l->sel ? A_REVERSE : 0);
	}
}

static const char *const help_text[] = {
	"anontop - anonymous memory mappings per process and call site",
	"  Up/Down k/j   move             PgUp/PgDn     page up/down",
	"  Home/End g/G  first/last       Enter/Right   open: call sites, details",
	"  Esc/Left/BS   back             t             threads of the process",
	"  S or Tab      processes <-> every call site of every process",
	"  s or >        next sort column <             previous sort column",
	"  L             sort by leak     R             reverse the sort order",
	"  a             ACCUM before GROWTH/s (as iotop -a; wide screens show both)",
	"  /  c  C       only names, command lines, cgroups containing (empty: all)",
	"  p  u          only these pids (1,2,3), this user (name, uid; empty: all)",
	"  d             delay (seconds)  space         pause/resume sampling",
	"  r             reset the module's counters (asks; writes 'reset')",
	"  h ?           this help        q             quit",
	"GROWTH/s  change of live bytes per second between the last two samples",
	"ACCUM     live bytes now minus when anontop first saw the process or site",
	"LEAK      a leak suspect (anontop.8); HIGHS: new highs in the leak window",
	"RESIDENT  bytes of the site's live regions present in RAM (pagemap)",
	"RSSANON   the process's RssAnon (/proc/PID/status): all its anonymous RAM",
	"NAME      first frame outside libc's mmap/syscall wrappers and UCX's libucm",
	"          hooks: object!symbol+off (Enter: every frame of the stack)",
	"CMD       the command line (the name when /proc does not tell)",
	"Narrow screens drop columns: the last kept are PID COMM LIVE GROWTH/s LEAK.",
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
	char line[LINE_MAX_], b[3][FMT_MAX], filt[LINE_MAX_ / 2] = "";
	int slot = sort_slot(t, cur_view(t));
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
	for (i = 0; i < t->nr_pids && n < 256 - 16; i++)
		n += (size_t)snprintf(filt + n, sizeof(filt) - n, "%s%d",
				      i ? "," : " pid ", t->pids[i]);
	if (t->comm[0])
		n += (size_t)snprintf(filt + n, sizeof(filt) - n, " name '%s'", t->comm);
	if (t->cmdline[0] && n < sizeof(filt))
		n += (size_t)snprintf(filt + n, sizeof(filt) - n, " cmd '%.64s'",
				      t->cmdline);
	if (t->user[0] && n < sizeof(filt))
		n += (size_t)snprintf(filt + n, sizeof(filt) - n, " user '%.32s'",
				      t->user);
	if (t->cgroup[0] && n < sizeof(filt))
		snprintf(filt + n, sizeof(filt) - n, " cgroup '%.64s'", t->cgroup);
	snprintf(line, sizeof(line),
		 "Untracked: %s  Drops: %" PRIu64 "  Probe misses: %" PRIu64
		 "  Sort: %s%s  Filter:%s", fmt_bytes(b[2], m->untracked_bytes),
		 m->drops, m->probes_missed, sort_key_name(t->sort[slot]),
		 t->reverse[slot] ? " (reversed)" : "", filt[0] ? filt : " none");
	tui_put_line(2, line, (m->drops || m->probes_missed) ? CP(C_ERROR) : 0);
	if (t->err[0])
		tui_put_line(3, t->err, CP(C_ERROR) | A_BOLD);
	else
		tui_put_line(3, t->msg, 0);
}

/*
 * The footer: the keys, in this order, as many as fit; help and quit
 * always, then the others by their prio (lowest first).
 */
static const struct {
	const char *text;
	int prio;
} footer_keys[] = {
	{ "Enter:open", 2 }, { "Esc:back", 3 }, { "S:all sites", 4 },
	{ "t:threads", 12 }, { "s/</>:sort", 6 }, { "L:leak", 5 },
	{ "R:reverse", 13 }, { "a:accum", 7 }, { "d:delay", 14 },
	{ "p:pid", 11 }, { "/:name", 8 }, { "c:cmd", 9 }, { "u:user", 10 },
	{ "C:cgroup", 17 }, { "space:pause", 15 }, { "r:reset", 16 },
	{ "h:help", 0 },
	{ "q:quit", 1 },
};

static void draw_footer(void)
{
	enum { NK = sizeof(footer_keys) / sizeof(footer_keys[0]) };
	char line[LINE_MAX_];
	bool on[NK] = { false };
	int prio, used = 0;
	size_t i, n = 0;

	for (prio = 0; prio <= 17; prio++)
		for (i = 0; i < NK; i++) {
			int need = (int)strlen(footer_keys[i].text) + (used ? 1 : 0);

			if (footer_keys[i].prio == prio && used + need <= COLS) {
				on[i] = true;
				used += need;
			}
		}
	line[0] = '\0';
	for (i = 0; i < NK; i++)
		if (on[i])
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s",
					      n ? " " : "", footer_keys[i].text);
	tui_put_line(LINES - 1, line, A_REVERSE);
}

/* Rebuild the rows the current view shows. */
void tui_select_rows(struct tui *t)
{
	struct row_filter f = { .pids = t->pids, .nr_pids = t->nr_pids,
				.comm = t->comm,
				.cmdline = t->cmdline[0] ? t->cmdline : NULL,
				.user = t->user[0] ? t->user : NULL,
				.cgroup = t->cgroup[0] ? t->cgroup : NULL };
	enum view v = cur_view(t);

	free(t->procs);
	free(t->sites);
	t->procs = NULL;
	t->sites = NULL;
	t->nr_procs = t->nr_sites = 0;
	t->proc = NULL;
	if (v == V_PROCS) {
		t->nr_procs = model_select_procs(t->m, &f, t->sort[S_PROCS],
						 t->reverse[S_PROCS], &t->procs);
		if (t->nr_procs < 0)
			t->nr_procs = 0;
		return;
	}
	if (v == V_ALLSITES) {
		t->nr_sites = model_select_all_sites(t->m, &f, t->sort[S_ALL],
						     t->reverse[S_ALL], &t->sites);
		if (t->nr_sites < 0)
			t->nr_sites = 0;
		return;
	}
	t->proc = model_find_proc(t->m, t->pid);
	if (t->proc && v != V_THREADS) {
		t->nr_sites = model_select_sites(t->proc, t->sort[S_SITES],
						 t->reverse[S_SITES], &t->sites);
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
	tui_put_line(3, what, CP(C_ERROR) | A_BOLD);
	if (fix)
		tui_put_line(4, fix + 2, CP(C_ERROR) | A_BOLD);
}

void tui_draw(struct tui *t)
{
	color = t->color;
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
	case V_ALLSITES:
		draw_allsites(t);
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
	draw_footer();
	refresh();
}
