// SPDX-License-Identifier: GPL-2.0
/*
 * prom.c - a sample in the Prometheus text format, written atomically for
 * node_exporter's textfile collector, and the exporter's error log (see
 * prom.h).
 */
#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"

/* ---- a growing string ---- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool nomem;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->nomem = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* @str escaped as a label value, at most @max bytes of it (whole characters) */
static void sb_label(struct sbuf *b, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t used = 0;

	while (*s) {
		size_t n = utf8_seq_len(s);

		if (used + (n ? n : 1) > max)
			break;
		used += n ? n : 1;
		if (*s == '\\' || *s == '"') {
			char esc[2] = { '\\', (char)*s++ };

			sb_add(b, esc, 2);
		} else if (*s == '\n') {
			sb_add(b, "\\n", 2);
			s++;
		} else if (n) {
			sb_add(b, (const char *)s, n);
			s += n;
		} else {
			sb_add(b, "\xef\xbf\xbd", 3);	/* U+FFFD */
			s++;
		}
	}
}

void prom_label_value(FILE *out, const char *s)
{
	struct sbuf b = { 0 };

	sb_label(&b, s, SIZE_MAX);
	if (b.s)
		fputs(b.s, out);
	free(b.s);
}

/* ---- labels ---- */

int prom_parse_labels(const char *list, unsigned int *labels)
{
	static const struct { const char *name; unsigned int bit; } names[] = {
		{ "cmdline", PROM_L_CMDLINE },
		{ "user", PROM_L_USER },
		{ "cgroup", PROM_L_CGROUP },
	};
	const char *p = list;

	*labels = 0;
	for (;;) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (len == strlen(names[i].name) &&
			    !strncmp(p, names[i].name, len))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -1;
		*labels |= names[i].bit;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/*
 * The function of the frame the site is named after (sym_function_name():
 * no offset, no address); a seeded site has no frames, only its origin.
 */
void prom_function(const struct site_row *s, char *buf, size_t size)
{
	const struct site_info *info = s->info;

	if (info && info->name_frame >= 0 &&
	    (unsigned int)info->name_frame < info->nr_frames)
		sym_function_name(&info->frames[info->name_frame], buf, size);
	else if (info && info->name[0] == '[')
		snprintf(buf, size, "%s", info->name);
	else
		snprintf(buf, size, "[unknown]");
}

/* ---- grouping: one series per key ---- */

/* the sum of some sites: one function of one process (or of a comm) */
struct fgroup {
	char *function;
	struct counts c;
	int64_t resident;	/* -1: one of them not known */
};

/* one process series: a pid, or with aggregate a comm (+ labels) */
struct pgroup {
	char *labels;		/* escaped: pid="1",comm="x"... */
	int pid;		/* the lowest, for the order */
	long nr_procs, nr_sites;
	struct counts c;
	int64_t rss;		/* -1: one of them not known */
	struct fgroup *f;	/* the top ones, by live bytes */
	size_t nr_top;
	bool has_other;
	struct fgroup other;
};

static void add_counts(struct counts *to, const struct counts *c)
{
	to->maps += c->maps;
	to->unmaps += c->unmaps;
	to->live_regions += c->live_regions;
	to->live_bytes += c->live_bytes;
}

static int64_t add_known(int64_t sum, int64_t x)
{
	return sum < 0 || x < 0 ? -1 : sum + x;
}

static char *proc_labels(const struct proc_row *p, const struct prom_opts *o)
{
	struct sbuf b = { 0 };
	char pid[32];

	if (!o->aggregate) {
		snprintf(pid, sizeof(pid), "pid=\"%d\",", p->r->pid);
		sb_str(&b, pid);
	}
	sb_str(&b, "comm=\"");
	sb_label(&b, p->r->comm, SIZE_MAX);
	sb_str(&b, "\"");
	if (o->labels & PROM_L_CMDLINE) {
		sb_str(&b, ",cmdline=\"");
		sb_label(&b, p->cmdline ? p->cmdline : "", PROM_LABEL_MAX);
		sb_str(&b, "\"");
	}
	if (o->labels & PROM_L_USER) {
		sb_str(&b, ",user=\"");
		sb_label(&b, p->user ? p->user : "", PROM_LABEL_MAX);
		sb_str(&b, "\"");
	}
	if (o->labels & PROM_L_CGROUP) {
		sb_str(&b, ",cgroup=\"");
		sb_label(&b, p->cgroup ? p->cgroup : "", PROM_LABEL_MAX);
		sb_str(&b, "\"");
	}
	if (b.nomem) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

struct pentry {
	char *labels;
	struct proc_row *p;
};

static int cmp_pentry(const void *a, const void *b)
{
	const struct pentry *x = a, *y = b;
	int c = strcmp(x->labels, y->labels);

	return c ? c : (x->p->r->pid > y->p->r->pid) - (x->p->r->pid < y->p->r->pid);
}

static int cmp_pgroup_pid(const void *a, const void *b)
{
	const struct pgroup *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

struct fentry {
	char *function;
	const struct site_row *s;
};

static int cmp_fentry(const void *a, const void *b)
{
	const struct fentry *x = a, *y = b;

	return strcmp(x->function, y->function);
}

/* by live bytes, largest first; ties by function */
static int cmp_fgroup(const void *a, const void *b)
{
	const struct fgroup *x = a, *y = b;

	if (x->c.live_bytes != y->c.live_bytes)
		return x->c.live_bytes < y->c.live_bytes ? 1 : -1;
	return strcmp(x->function, y->function);
}

/* the functions of the processes in @e[0..n): summed, cut at @top */
static int group_sites(struct pgroup *g, const struct pentry *e, size_t n,
		       unsigned int top)
{
	struct fentry *fe;
	size_t nr = 0, i, j, nf = 0;
	char name[512];

	for (i = 0; i < n; i++)
		nr += e[i].p->nr_sites;
	fe = calloc(nr + 1, sizeof(*fe));
	g->f = calloc(nr + 1, sizeof(*g->f));
	if (!fe || !g->f) {
		free(fe);
		return -1;
	}
	nr = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < e[i].p->nr_sites; j++) {
			const struct site_row *s = &e[i].p->sites[j];

			prom_function(s, name, sizeof(name));
			fe[nr].function = strdup(name);
			fe[nr].s = s;
			if (!fe[nr].function)
				goto nomem;
			nr++;
		}
	}
	qsort(fe, nr, sizeof(*fe), cmp_fentry);
	/* sum each function's sites (they may have several: other stacks, kinds) */
	for (i = 0; i < nr; i++) {
		const struct site_row *s = fe[i].s;

		if (!nf || strcmp(g->f[nf - 1].function, fe[i].function)) {
			g->f[nf].function = fe[i].function;
			fe[i].function = NULL;
			nf++;
		}
		add_counts(&g->f[nf - 1].c, &s->r->c);
		g->f[nf - 1].resident = add_known(g->f[nf - 1].resident,
						  s->resident);
	}
	qsort(g->f, nf, sizeof(*g->f), cmp_fgroup);
	/* the top ones stay in g->f, the rest (and a function named "other") go */
	g->other.function = NULL;
	for (i = 0; i < nf; i++) {
		struct fgroup *f = &g->f[i];

		if (g->nr_top < top && strcmp(f->function, "other")) {
			g->f[g->nr_top++] = *f;
			continue;
		}
		add_counts(&g->other.c, &f->c);
		g->other.resident = add_known(g->has_other ? g->other.resident : 0,
					      f->resident);
		g->has_other = true;
		free(f->function);
	}
	for (i = 0; i < nr; i++)
		free(fe[i].function);
	free(fe);
	return 0;
nomem:
	for (i = 0; i < nr; i++)
		free(fe[i].function);
	free(fe);
	return -1;
}

static void free_groups(struct pgroup *g, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < g[i].nr_top; j++)
			free(g[i].f[j].function);
		free(g[i].f);
		free(g[i].labels);
	}
	free(g);
}

/* the process series of the live processes @o lets through, in *@out */
static long build_groups(struct model *m, const struct prom_opts *o,
			 struct pgroup **out)
{
	struct proc_row **procs;
	struct pentry *e;
	struct pgroup *g;
	long n, i;
	size_t nr = 0, ng = 0, k;

	*out = NULL;
	n = model_select_procs(m, &o->filter, SORT_PID, false, &procs);
	if (n < 0)
		return -1;
	e = calloc((size_t)n + 1, sizeof(*e));
	g = calloc((size_t)n + 1, sizeof(*g));
	if (!e || !g)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (procs[i]->r->exited)
			continue;
		e[nr].p = procs[i];
		e[nr].labels = proc_labels(procs[i], o);
		if (!e[nr].labels)
			goto nomem;
		nr++;
	}
	qsort(e, nr, sizeof(*e), cmp_pentry);
	for (k = 0; k < nr; ) {
		size_t end = k;
		struct pgroup *pg = &g[ng++];

		while (end < nr && !strcmp(e[end].labels, e[k].labels))
			end++;
		pg->labels = e[k].labels;
		e[k].labels = NULL;
		pg->pid = e[k].p->r->pid;
		pg->nr_procs = (long)(end - k);
		for (i = (long)k; i < (long)end; i++) {
			add_counts(&pg->c, &e[i].p->r->c);
			pg->rss = add_known(pg->rss, e[i].p->rss_anon);
			pg->nr_sites += (long)e[i].p->nr_sites;
		}
		if (group_sites(pg, &e[k], end - k, o->top_sites))
			goto nomem;
		k = end;
	}
	if (!o->aggregate)
		qsort(g, ng, sizeof(*g), cmp_pgroup_pid);
	for (k = 0; k < nr; k++)
		free(e[k].labels);
	free(e);
	free(procs);
	*out = g;
	return (long)ng;
nomem:
	for (k = 0; e && k < nr; k++)
		free(e[k].labels);
	free(e);
	if (g)
		free_groups(g, ng);
	free(procs);
	return -1;
}

/* ---- writing ---- */

enum field { F_LIVE_BYTES, F_LIVE_REGIONS, F_MAPS, F_UNMAPS, F_EXTRA, F_SITES,
	     F_PROCS };

struct family {
	const char *name, *type, *help;
	enum field field;
};

static const struct family proc_families[] = {
	{ "anonstat_process_live_bytes", "gauge",
	  "Bytes the process's anonymous regions hold now.", F_LIVE_BYTES },
	{ "anonstat_process_live_regions", "gauge",
	  "Anonymous regions the process holds now.", F_LIVE_REGIONS },
	{ "anonstat_process_maps_total", "counter",
	  "Anonymous regions the process created.", F_MAPS },
	{ "anonstat_process_unmaps_total", "counter",
	  "Releases of the process's anonymous regions.", F_UNMAPS },
	{ "anonstat_process_rss_anon_bytes", "gauge",
	  "RssAnon of /proc/PID/status: resident anonymous memory.", F_EXTRA },
	{ "anonstat_process_sites", "gauge",
	  "Call sites of the process (function series: only the top ones, "
	  "the rest as function=\"other\").", F_SITES },
};

static const struct family aggregate_family = {
	"anonstat_processes", "gauge",
	"Live processes summed into the series (--prom-aggregate).", F_PROCS,
};

static const struct family site_families[] = {
	{ "anonstat_site_live_bytes", "gauge",
	  "Bytes the function's anonymous regions hold now.", F_LIVE_BYTES },
	{ "anonstat_site_live_regions", "gauge",
	  "Anonymous regions the function holds now.", F_LIVE_REGIONS },
	{ "anonstat_site_maps_total", "counter",
	  "Anonymous regions the function created.", F_MAPS },
	{ "anonstat_site_unmaps_total", "counter",
	  "Releases of the function's anonymous regions.", F_UNMAPS },
	{ "anonstat_site_resident_bytes", "gauge",
	  "Bytes of the function's regions resident in RAM (pagemap).",
	  F_EXTRA },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* the value of @f, or -1 when not known */
static int64_t value(enum field f, const struct counts *c, int64_t extra)
{
	switch (f) {
	case F_LIVE_BYTES:
		return (int64_t)c->live_bytes;
	case F_LIVE_REGIONS:
		return (int64_t)c->live_regions;
	case F_MAPS:
		return (int64_t)c->maps;
	case F_UNMAPS:
		return (int64_t)c->unmaps;
	default:
		return extra;
	}
}

static void family_header(FILE *out, const struct family *f)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
		f->type);
}

static void write_proc_family(FILE *out, const struct family *f,
			      const struct pgroup *g, size_t n)
{
	size_t i;

	family_header(out, f);
	for (i = 0; i < n; i++) {
		int64_t x = f->field == F_SITES ? g[i].nr_sites :
			f->field == F_PROCS ? g[i].nr_procs :
			value(f->field, &g[i].c, g[i].rss);

		if (x >= 0)
			fprintf(out, "%s{%s} %" PRId64 "\n", f->name,
				g[i].labels, x);
	}
}

static void write_site(FILE *out, const struct family *f,
		       const struct pgroup *g, const struct fgroup *fg,
		       const char *function)
{
	int64_t x = value(f->field, &fg->c, fg->resident);

	if (x < 0)
		return;
	fprintf(out, "%s{%s,function=\"", f->name, g->labels);
	prom_label_value(out, function);
	fprintf(out, "\"} %" PRId64 "\n", x);
}

static void write_groups(FILE *out, const struct pgroup *g, size_t n,
			 const struct prom_opts *o)
{
	size_t i, j, k;

	for (k = 0; k < ARRAY_SIZE(proc_families); k++)
		write_proc_family(out, &proc_families[k], g, n);
	if (o->aggregate)
		write_proc_family(out, &aggregate_family, g, n);
	for (k = 0; k < ARRAY_SIZE(site_families); k++) {
		const struct family *f = &site_families[k];

		family_header(out, f);
		for (i = 0; i < n; i++) {
			for (j = 0; j < g[i].nr_top; j++)
				write_site(out, f, &g[i], &g[i].f[j],
					   g[i].f[j].function);
			if (g[i].has_other)
				write_site(out, f, &g[i], &g[i].other, "other");
		}
	}
}

static void write_module(FILE *out, const struct model *m)
{
	const struct status *st = &m->snap.st;
	unsigned int i;

	if (st->enabled >= 0)
		fprintf(out, "# HELP anonstat_enabled Whether the module's probes "
			"are armed.\n# TYPE anonstat_enabled gauge\n"
			"anonstat_enabled %d\n", st->enabled);
	fprintf(out, "# HELP anonstat_module_memory_bytes Memory the module "
		"holds for its tables.\n"
		"# TYPE anonstat_module_memory_bytes gauge\n"
		"anonstat_module_memory_bytes %" PRIu64 "\n", st->memory_bytes);
	fputs("# HELP anonstat_drops_total Regions the module did not track "
	      "or lost, by reason.\n# TYPE anonstat_drops_total counter\n", out);
	for (i = 0; i < st->nr_drops; i++) {
		fputs("anonstat_drops_total{reason=\"", out);
		prom_label_value(out, st->drops[i].reason);
		fprintf(out, "\"} %" PRIu64 "\n", st->drops[i].value);
	}
	/* modules that seed every process report none (debugfs-format.md) */
	if (!st->nr_untracked)
		return;
	fputs("# HELP anonstat_untracked_bytes_total Anonymous bytes released "
	      "that no tracked region held, by the call that released them.\n"
	      "# TYPE anonstat_untracked_bytes_total counter\n", out);
	for (i = 0; i < st->nr_untracked; i++) {
		fputs("anonstat_untracked_bytes_total{reason=\"", out);
		prom_label_value(out, st->untracked[i].reason);
		fprintf(out, "\"} %" PRIu64 "\n", st->untracked[i].value);
	}
}

static void write_exporter(FILE *out, const struct prom_state *st)
{
	fprintf(out,
		"# HELP anonstat_up Whether the last sample of the module's "
		"files could be read (0: no other anonstat series in this file).\n"
		"# TYPE anonstat_up gauge\n"
		"anonstat_up %d\n"
		"# HELP anonstat_last_success_timestamp_seconds When a sample was "
		"last read, in Unix seconds (0: never).\n"
		"# TYPE anonstat_last_success_timestamp_seconds gauge\n"
		"anonstat_last_success_timestamp_seconds %" PRId64 "\n"
		"# HELP anonstat_exporter_samples_total Samples anontop tried "
		"to read.\n"
		"# TYPE anonstat_exporter_samples_total counter\n"
		"anonstat_exporter_samples_total %" PRIu64 "\n"
		"# HELP anonstat_exporter_errors_total Samples that could not be "
		"read, files that could not be written.\n"
		"# TYPE anonstat_exporter_errors_total counter\n"
		"anonstat_exporter_errors_total{stage=\"read\"} %" PRIu64 "\n"
		"anonstat_exporter_errors_total{stage=\"write\"} %" PRIu64 "\n",
		st->up ? 1 : 0, st->last_success, st->samples, st->read_errors,
		st->write_errors);
}

int prom_write(FILE *out, struct model *m, const struct prom_opts *o,
	       const struct prom_state *st)
{
	struct pgroup *g = NULL;
	long n = 0;

	if (st->up) {
		n = build_groups(m, o, &g);
		if (n < 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	write_exporter(out, st);
	if (st->up) {
		write_groups(out, g, (size_t)n, o);
		write_module(out, m);
		free_groups(g, (size_t)n);
	}
	if (fflush(out) || ferror(out))
		return -1;
	return 0;
}

int prom_write_file(const char *path, struct model *m,
		    const struct prom_opts *o, const struct prom_state *st,
		    char *err, size_t errsize)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
			     (int)getpid()) >= sizeof(tmp)) {
		snprintf(err, errsize, "%s: %s (errno %d)", path,
			 strerror(ENAMETOOLONG), ENAMETOOLONG);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		e = errno;
		snprintf(err, errsize, "%s: %s (errno %d)", tmp, strerror(e), e);
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		goto fail;
	}
	errno = 0;
	if (prom_write(f, m, o, st) || fsync(fileno(f))) {
		e = errno ? errno : EIO;
		fclose(f);
		goto fail;
	}
	if (fclose(f)) {
		e = errno;
		goto fail;
	}
	if (rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		snprintf(err, errsize, "rename %s to %s: %s (errno %d)", tmp,
			 path, strerror(e), e);
		return -1;
	}
	return 0;
fail:
	unlink(tmp);
	snprintf(err, errsize, "%s: %s (errno %d)", tmp, strerror(e), e);
	return -1;
}

/* ---- the error log ---- */

void prom_log_error(struct prom_log *l, FILE *out, double now, const char *msg)
{
	unsigned int i, oldest = 0;

	l->failed++;
	for (i = 0; i < l->nr; i++) {
		if (strncmp(l->slot[i].msg, msg, PROM_LOG_MSG - 1))
			continue;
		if (now - l->slot[i].logged < PROM_LOG_INTERVAL) {
			l->slot[i].quiet++;
			return;
		}
		fprintf(out, "anontop: %s (%lu times since it was logged "
			"%.0f s ago)\n", msg, l->slot[i].quiet + 1,
			now - l->slot[i].logged);
		l->slot[i].logged = now;
		l->slot[i].quiet = 0;
		fflush(out);
		return;
	}
	fprintf(out, "anontop: %s\n", msg);
	fflush(out);
	if (l->nr < PROM_LOG_SLOTS) {
		i = l->nr++;
	} else {
		for (i = 1; i < PROM_LOG_SLOTS; i++)
			if (l->slot[i].logged < l->slot[oldest].logged)
				oldest = i;
		i = oldest;
	}
	snprintf(l->slot[i].msg, PROM_LOG_MSG, "%s", msg);
	l->slot[i].logged = now;
	l->slot[i].quiet = 0;
}

void prom_log_ok(struct prom_log *l, FILE *out)
{
	if (!l->failed)
		return;
	fprintf(out, "anontop: sampling again after %lu error%s\n",
		l->failed, l->failed == 1 ? "" : "s");
	fflush(out);
	l->failed = 0;
	l->nr = 0;
}
