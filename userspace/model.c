// SPDX-License-Identifier: GPL-2.0
/*
 * model.c - turn snapshots into process and site rows with rates, leak
 * marks, RssAnon, resident bytes and names (see model.h).
 */
#include "model.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "procfs.h"

struct hist_proc {
	int pid;
	uint64_t first_ns;
	uint64_t live, maps, unmaps;
	uint64_t first_live;		/* live bytes when first seen (accum) */
};

/* a level of a site's live bytes from time t on (see leak_eval) */
struct leak_point {
	double t;
	int64_t v;
};

struct hist_site {
	uint64_t id;
	int pid;
	uint64_t live, maps, unmaps, bytes_unmapped, peak;
	uint64_t first_live;		/* live bytes when first seen (accum) */
	unsigned int streak;
	struct site_info *info;		/* owned */
	/*
	 * The leak window: the points where the level changed, oldest first;
	 * points[0] is the base.  NULL with nr_points 0 while the site has
	 * not changed since it was first seen (the level is then live):
	 * sites that do not change cost nothing.  prior is the peak when it
	 * was first seen, if above live (0 otherwise), kept while points[0]
	 * is the first sample.
	 */
	struct leak_point *points;	/* owned */
	unsigned int nr_points, cap_points;
	bool first_base;		/* points[0] is the first sample */
	int64_t prior;
	double seen;			/* when it was first seen */
};

struct model_hist {
	bool valid;			/* counters usable for rates */
	double mono;
	struct hist_proc *procs;	/* by (pid, first_ns) */
	size_t nr_procs;
	struct hist_site *sites;	/* by id */
	size_t nr_sites;
};

/*
 * The identity of a process, read from /proc once (again when its name
 * changes: an exec) and kept while the module lists the process.
 */
struct ident {
	int pid;
	uint64_t first_ns;
	char comm[COMM_MAX];		/* when it was read */
	unsigned long seen;		/* the sample that last listed it */
	bool read;			/* /proc was read (or tried) */
	int64_t uid;
	const char *user;		/* the table's users own the names */
	char *cmdline, *cgroup, *container;
};

struct ident_user {
	unsigned int uid;
	char *name;
};

struct ident_tab {
	struct ident **v;		/* by (pid, first_ns) up to sorted */
	size_t n, cap, sorted;
	struct ident_user *users;	/* uid to name, once each */
	size_t nr_users;
};

static void ident_clear(struct ident *id)
{
	free(id->cmdline);
	free(id->cgroup);
	free(id->container);
	id->cmdline = id->cgroup = id->container = NULL;
	id->user = NULL;
	id->uid = -1;
}

static void ident_tab_free(struct ident_tab *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		ident_clear(t->v[i]);
		free(t->v[i]);
	}
	for (i = 0; i < t->nr_users; i++)
		free(t->users[i].name);
	free(t->users);
	free(t->v);
	free(t);
}

static int cmp_ident(const void *a, const void *b)
{
	const struct ident *x = *(const struct ident *const *)a;
	const struct ident *y = *(const struct ident *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

/* the name of @uid, looked up once; NULL when out of memory */
static const char *ident_user(struct ident_tab *t, unsigned int uid)
{
	struct ident_user *nu;
	size_t i;

	for (i = 0; i < t->nr_users; i++)
		if (t->users[i].uid == uid)
			return t->users[i].name;
	nu = realloc(t->users, (t->nr_users + 1) * sizeof(*nu));
	if (!nu)
		return NULL;
	t->users = nu;
	nu = &t->users[t->nr_users];
	nu->uid = uid;
	if (procfs_user_name(uid, &nu->name))
		return NULL;
	t->nr_users++;
	return nu->name;
}

/* read /proc/PID into @id; what cannot be read stays unknown */
static void ident_read(struct model *m, struct ident *id, const char *comm)
{
	char cid[PROCFS_CONTAINER_LEN + 1];
	unsigned int uid;

	ident_clear(id);
	snprintf(id->comm, sizeof(id->comm), "%s", comm);
	id->read = true;
	if (procfs_cmdline(m->procdir, id->pid, &id->cmdline))
		id->cmdline = NULL;
	if (!procfs_owner(m->procdir, id->pid, &uid)) {
		id->uid = uid;
		id->user = ident_user(m->idents, uid);
	}
	if (procfs_cgroup(m->procdir, id->pid, &id->cgroup))
		id->cgroup = NULL;
	if (id->cgroup && !procfs_container_id(id->cgroup, cid))
		id->container = strdup(cid);
}

/*
 * The identity of @p's process: kept from an earlier sample, or read now
 * if it is alive; NULL when out of memory (the row stays without one).
 */
static struct ident *ident_of(struct model *m, const struct proc_rec *r)
{
	struct ident_tab *t = m->idents;
	struct ident key = { .pid = r->pid, .first_ns = r->c.first_ns };
	struct ident *kp = &key, **found, *id;

	if (!t) {
		t = m->idents = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
	}
	found = t->sorted ? bsearch(&kp, t->v, t->sorted, sizeof(*t->v),
				    cmp_ident) : NULL;
	if (found) {
		id = *found;
	} else {
		if (t->n == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 64;
			struct ident **v = realloc(t->v, cap * sizeof(*v));

			if (!v)
				return NULL;
			t->v = v;
			t->cap = cap;
		}
		id = calloc(1, sizeof(*id));
		if (!id)
			return NULL;
		id->pid = r->pid;
		id->first_ns = r->c.first_ns;
		id->uid = -1;
		/* appended: sorted again after the sample (ident_sweep) */
		t->v[t->n++] = id;
	}
	id->seen = m->samples + 1;
	/* an exited process keeps what was read while it ran */
	if (!r->exited && (!id->read || strcmp(id->comm, r->comm)))
		ident_read(m, id, r->comm);
	return id;
}

/* forget the processes this sample did not list; sort the rest */
static void ident_sweep(struct model *m)
{
	struct ident_tab *t = m->idents;
	size_t i, n = 0;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		if (t->v[i]->seen == m->samples + 1) {
			t->v[n++] = t->v[i];
		} else {
			ident_clear(t->v[i]);
			free(t->v[i]);
		}
	}
	t->n = n;
	qsort(t->v, t->n, sizeof(*t->v), cmp_ident);
	t->sorted = n;
}

static void site_info_free(struct site_info *info)
{
	unsigned int i;

	if (!info)
		return;
	for (i = 0; i < info->nr_frames; i++)
		sym_frame_clear(&info->frames[i]);
	free(info);
}

static void hist_free(struct model_hist *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nr_sites; i++) {
		site_info_free(h->sites[i].info);
		free(h->sites[i].points);
	}
	free(h->procs);
	free(h->sites);
	free(h);
}

int model_init(struct model *m, const char *root, const char *procdir,
	       unsigned int leak_samples)
{
	/*
	 * Every sample allocates arrays of the same sizes (tens of MiB at
	 * the module's caps) and frees the previous ones: keep them in the
	 * heap for reuse instead of mapping fresh pages every time (faulting
	 * them in was most of a sample's time)
	 */
	mallopt(M_MMAP_MAX, 0);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	memset(m, 0, sizeof(*m));
	m->root = root;
	m->procdir = procdir;
	m->leak_samples = leak_samples;
	m->leak_window = LEAK_WINDOW_DEFAULT;
	m->leak_highs = LEAK_HIGHS_DEFAULT;
	m->sym = sym_new(procdir, NULL);
	return m->sym ? 0 : -ENOMEM;
}

void model_free(struct model *m)
{
	hist_free(m->hist);
	ident_tab_free(m->idents);
	m->idents = NULL;
	free(m->pm);
	m->pm = NULL;
	sym_free(m->sym);
	snapshot_free(&m->snap);
	free(m->procs);
	free(m->sites);
	m->hist = NULL;
	m->sym = NULL;
	m->procs = NULL;
	m->sites = NULL;
}

void model_forget(struct model *m)
{
	if (m->hist)
		m->hist->valid = false;
}

static int cmp_hist_proc(const void *a, const void *b)
{
	const struct hist_proc *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

static int cmp_hist_site(const void *a, const void *b)
{
	const struct hist_site *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct hist_proc *hist_proc_find(struct model_hist *h,
					const struct proc_rec *r)
{
	struct hist_proc key = { .pid = r->pid, .first_ns = r->c.first_ns };

	if (!h)
		return NULL;
	return bsearch(&key, h->procs, h->nr_procs, sizeof(key), cmp_hist_proc);
}

static struct hist_site *hist_site_find(struct model_hist *h,
					const struct site_rec *r)
{
	struct hist_site key = { .id = r->id }, *s;

	if (!h)
		return NULL;
	s = bsearch(&key, h->sites, h->nr_sites, sizeof(key), cmp_hist_site);
	return s && s->pid == r->pid ? s : NULL;
}

static bool info_matches(const struct site_info *info, const struct site_rec *r)
{
	unsigned int i;

	if (info->nr_frames != r->nr_frames)
		return false;
	for (i = 0; i < r->nr_frames; i++)
		if (info->frames[i].addr != r->frames[i])
			return false;
	return true;
}

/* the rates of counters @now against @then over @dt seconds */
static bool rates(uint64_t live, uint64_t maps, uint64_t unmaps, uint64_t plive,
		  uint64_t pmaps, uint64_t punmaps, double dt, double *growth,
		  double *maps_rate, double *unmaps_rate)
{
	if (dt <= 0 || maps < pmaps || unmaps < punmaps)
		return false;
	*growth = ((double)live - (double)plive) / dt;
	*maps_rate = (double)(maps - pmaps) / dt;
	*unmaps_rate = (double)(unmaps - punmaps) / dt;
	return true;
}

/* a row's lifetime is shorter than this: no lifetime rates */
#define LIFETIME_MIN_S	1.0

/*
 * Now on the clock of the files' first_ns (CLOCK_MONOTONIC of the kernel
 * that wrote them), or NAN when unknown: the module's debugfs files are
 * on this machine's clock; files elsewhere (--root) only if the settings
 * say so, or a test drives the clock.
 */
static double files_now(const struct model *m)
{
	if (m->clock || m->files_monotonic || m->snap.same_clock)
		return m->snap.mono;
	return NAN;
}

/*
 * Rates over a row's whole life (first_ns to now, or to last_ns for an
 * exited process): live bytes, maps and unmaps per second.
 */
static bool lifetime(const struct counts *c, bool exited, double now,
		     double *growth, double *maps_rate, double *unmaps_rate)
{
	double end = exited ? (double)c->last_ns / 1e9 : now;
	double age = end - (double)c->first_ns / 1e9;

	if (isnan(now) || !(age >= LIFETIME_MIN_S))
		return false;
	*growth = (double)c->live_bytes / age;
	*maps_rate = (double)c->maps / age;
	*unmaps_rate = (double)c->unmaps / age;
	return true;
}

/*
 * The row owning a run of records of @pid: the next process with that pid
 * from @cursor on (records come in the order of procs), else any one not
 * owning a run yet; NULL when procs does not list the pid.
 */
static struct proc_row *run_owner(struct model *m, int pid, size_t *cursor,
				  bool threads)
{
	size_t i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = pass ? 0 : *cursor; i < m->nr_procs; i++) {
			struct proc_row *p = &m->procs[i];
			bool taken = threads ? p->threads != NULL : p->sites != NULL;

			if (p->r->pid == pid && !taken) {
				*cursor = i + 1;
				return p;
			}
		}
	}
	return NULL;
}

static void build_procs(struct model *m, double dt, struct model_hist *nh)
{
	double now = files_now(m);
	size_t i;

	m->live_bytes = 0;
	m->live_regions = 0;
	for (i = 0; i < m->snap.nr_procs; i++) {
		struct proc_row *p = &m->procs[i];
		const struct hist_proc *h;
		const struct ident *id;
		uint64_t rss, first_live;

		memset(p, 0, sizeof(*p));
		p->r = &m->snap.procs[i];
		p->rss_anon = -1;
		m->live_bytes += p->r->c.live_bytes;
		m->live_regions += p->r->c.live_regions;
		h = m->hist && m->hist->valid ? hist_proc_find(m->hist, p->r) : NULL;
		if (h)
			p->have_rates = rates(p->r->c.live_bytes, p->r->c.maps,
					      p->r->c.unmaps, h->live, h->maps,
					      h->unmaps, dt, &p->growth,
					      &p->maps_rate, &p->unmaps_rate);
		if (!p->have_rates)
			p->have_rates = p->lifetime_rates =
				lifetime(&p->r->c, p->r->exited, now, &p->growth,
					 &p->maps_rate, &p->unmaps_rate);
		first_live = h ? h->first_live : p->r->c.live_bytes;
		p->accum = (int64_t)(p->r->c.live_bytes - first_live);
		nh->procs[i] = (struct hist_proc){ p->r->pid, p->r->c.first_ns,
			p->r->c.live_bytes, p->r->c.maps, p->r->c.unmaps,
			first_live };
		if (!p->r->exited &&
		    !procfs_rss_anon(m->procdir, p->r->pid, &rss))
			p->rss_anon = (int64_t)rss;
		id = ident_of(m, p->r);
		p->uid = id ? id->uid : -1;
		if (id) {
			p->cmdline = id->cmdline;
			p->user = id->user;
			p->cgroup = id->cgroup;
			p->container = id->container;
		}
	}
	m->nr_procs = m->snap.nr_procs;
	ident_sweep(m);
	nh->nr_procs = m->nr_procs;
}

/* ---- the leak rule (model.h) ---- */

/* points kept per site; past it the oldest go (a shorter window) */
#define LEAK_MAX_POINTS	128

/* Append level @v from time @t on, unless it is the level already. */
static void leak_add(struct hist_site *h, double t, int64_t v)
{
	if (h->nr_points && h->points[h->nr_points - 1].v == v)
		return;
	if (h->nr_points == LEAK_MAX_POINTS) {
		memmove(h->points, h->points + 1,
			(h->nr_points - 1) * sizeof(*h->points));
		h->nr_points--;
		h->first_base = false;
	}
	if (h->nr_points == h->cap_points) {
		unsigned int cap = h->cap_points ? 2 * h->cap_points : 8;
		struct leak_point *np = realloc(h->points, cap * sizeof(*np));

		if (!np) {	/* out of memory: forget the window */
			free(h->points);
			h->points = NULL;
			h->nr_points = h->cap_points = 0;
			h->first_base = false;
			return;
		}
		h->points = np;
		h->cap_points = cap;
	}
	h->points[h->nr_points++] = (struct leak_point){ t, v };
}

/*
 * Add to @h's window the levels of the sample of @r at @t after the
 * previous one (@old, at @tprev): the lowest it can have been in between (the previous live
 * bytes less every byte unmapped since, as if the unmaps came first), the
 * highest (the peak, when it rose past both samples), then live bytes.
 */
static void leak_sample(struct hist_site *h, const struct hist_site *old,
			const struct site_rec *r, double tprev, double t)
{
	int64_t prev = (int64_t)old->live, live = (int64_t)r->c.live_bytes;
	uint64_t unmapped = r->c.bytes_unmapped - old->bytes_unmapped;
	int64_t lo = prev < live ? prev : live, hi = prev > live ? prev : live;

	if (prev == live && !unmapped && r->c.peak_bytes == old->peak)
		return;		/* no change: nothing to store */
	if (!h->nr_points)
		leak_add(h, tprev, prev);	/* the base */
	if (unmapped) {
		int64_t floor = (uint64_t)prev > unmapped ?
				prev - (int64_t)unmapped : 0;

		if (floor < lo)
			leak_add(h, t, floor);
	}
	if (r->c.peak_bytes > old->peak && (int64_t)r->c.peak_bytes > hi)
		leak_add(h, t, (int64_t)r->c.peak_bytes);
	leak_add(h, t, live);
}

/*
 * The rule over the window [@now - @window, @now]: the base is the last
 * level at or before the window's start (or the first one seen); a new
 * high is a level above every earlier one since the base (and above the
 * peak the site had when first seen, while the base is that first
 * sample).  Before the first new high, a level below the base breaks the
 * rule; after one, a level at or below the high before it does.  Drops
 * the points before the base.
 */
static void leak_eval(struct hist_site *h, double now, double window,
		      unsigned int *highs, bool *broken)
{
	unsigned int b = 0, i;
	int64_t base, high, prev = 0;

	*highs = 0;
	*broken = false;
	while (b + 1 < h->nr_points && h->points[b + 1].t <= now - window)
		b++;
	if (b) {
		memmove(h->points, h->points + b,
			(h->nr_points - b) * sizeof(*h->points));
		h->nr_points -= b;
		h->first_base = false;
	}
	if (h->nr_points == 1 && h->points[0].t <= now - window) {
		/* only the base: the site costs nothing again */
		free(h->points);
		h->points = NULL;
		h->nr_points = h->cap_points = 0;
		h->first_base = false;
	}
	if (!h->first_base)
		h->prior = 0;
	if (h->nr_points < 2)
		return;
	base = h->points[0].v;
	high = base > h->prior ? base : h->prior;
	for (i = 1; i < h->nr_points; i++) {
		int64_t v = h->points[i].v;

		if (v > high) {
			(*highs)++;
			prev = high;
			high = v;
		} else if (*highs == 0 ? v < base : v <= prev) {
			*broken = true;
		}
	}
}

static void build_sites(struct model *m, double dt, struct model_hist *nh)
{
	double now = files_now(m), t = m->snap.mono;
	double tprev = m->hist ? m->hist->mono : t;
	size_t i, cursor = 0;
	struct proc_row *owner = NULL;

	m->nr_sites = 0;
	m->leak_points = 0;
	for (i = 0; i < m->snap.nr_sites; i++) {
		const struct site_rec *r = &m->snap.sites[i];
		struct site_row *s;
		struct hist_site *h, *n;
		bool go_on, broken;

		if (i == 0 || r->pid != m->snap.sites[i - 1].pid)
			owner = run_owner(m, r->pid, &cursor, false);
		if (!owner)
			continue;	/* not in procs when it was read */
		n = &nh->sites[m->nr_sites];
		s = &m->sites[m->nr_sites++];
		memset(s, 0, sizeof(*s));
		s->r = r;
		s->proc = owner;
		s->resident = -1;
		if (!owner->sites)
			owner->sites = s;
		owner->nr_sites++;
		h = hist_site_find(m->hist, r);
		/* the same site as before, its counters only went up */
		go_on = h && m->hist->valid && r->c.maps >= h->maps &&
			r->c.unmaps >= h->unmaps &&
			r->c.bytes_unmapped >= h->bytes_unmapped &&
			r->c.peak_bytes >= h->peak;
		if (go_on)
			s->have_rates = rates(r->c.live_bytes, r->c.maps,
					      r->c.unmaps, h->live, h->maps,
					      h->unmaps, dt, &s->growth,
					      &s->maps_rate, &s->unmaps_rate);
		if (!s->have_rates)
			s->have_rates = s->lifetime_rates =
				lifetime(&r->c, owner->r->exited, now, &s->growth,
					 &s->maps_rate, &s->unmaps_rate);
		if (go_on && !s->lifetime_rates && r->c.live_bytes > h->live)
			s->streak = h->streak + 1;
		*n = (struct hist_site){ .id = r->id, .pid = r->pid,
			.live = r->c.live_bytes, .maps = r->c.maps,
			.unmaps = r->c.unmaps,
			.bytes_unmapped = r->c.bytes_unmapped,
			.peak = r->c.peak_bytes, .first_live = r->c.live_bytes,
			.streak = s->streak, .first_base = true, .seen = t,
			.prior = r->c.peak_bytes > r->c.live_bytes ?
				 (int64_t)r->c.peak_bytes : 0 };
		if (h && h->info && info_matches(h->info, r)) {
			s->info = h->info;	/* moves to the new history */
			h->info = NULL;
		}
		n->info = s->info;
		if (go_on) {
			/* the window moves to the new history too */
			n->first_live = h->first_live;
			n->points = h->points;
			n->nr_points = h->nr_points;
			n->cap_points = h->cap_points;
			n->first_base = h->first_base;
			n->prior = h->prior;
			n->seen = h->seen;
			h->points = NULL;
			h->nr_points = h->cap_points = 0;
			if (n->seen <= t - m->leak_window)
				n->first_base = false;	/* first seen before it */
			leak_sample(n, h, r, tprev, t);
			leak_eval(n, t, m->leak_window, &s->highs, &broken);
			s->leak = !broken && s->highs >= m->leak_highs;
		}
		s->accum = (int64_t)(r->c.live_bytes - n->first_live);
		m->leak_points += n->nr_points;
		owner->leak |= s->leak;
	}
	nh->nr_sites = m->nr_sites;
}

static void build_threads(struct model *m)
{
	size_t i, cursor = 0;
	struct proc_row *owner = NULL;

	for (i = 0; i < m->snap.nr_threads; i++) {
		const struct thread_rec *t = &m->snap.threads[i];

		if (i == 0 || t->pid != m->snap.threads[i - 1].pid) {
			owner = run_owner(m, t->pid, &cursor, true);
			if (owner)
				owner->threads = t;
		}
		if (owner)
			owner->nr_threads++;
	}
}

/* A history for a sample of @nr_procs processes and @nr_sites sites. */
static struct model_hist *hist_new(const struct model *m, size_t nr_procs,
				   size_t nr_sites)
{
	struct model_hist *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->valid = true;
	h->mono = m->snap.mono;
	h->procs = calloc(nr_procs + 1, sizeof(*h->procs));
	h->sites = calloc(nr_sites + 1, sizeof(*h->sites));
	if (!h->procs || !h->sites) {
		hist_free(h);
		return NULL;
	}
	return h;
}

/* @nh (filled by build_procs and build_sites) replaces the history. */
static void hist_replace(struct model *m, struct model_hist *nh)
{
	qsort(nh->procs, nh->nr_procs, sizeof(*nh->procs), cmp_hist_proc);
	qsort(nh->sites, nh->nr_sites, sizeof(*nh->sites), cmp_hist_site);
	hist_free(m->hist);
	m->hist = nh;
}

static void status_totals(struct model *m)
{
	const struct status *st = &m->snap.st;
	unsigned int i;

	m->untracked_bytes = 0;
	m->drops = 0;
	m->probes_missed = 0;
	for (i = 0; i < st->nr_untracked; i++)
		m->untracked_bytes += st->untracked[i].value;
	for (i = 0; i < st->nr_drops; i++)
		m->drops += st->drops[i].value;
	for (i = 0; i < st->nr_probes; i++)
		m->probes_missed += st->probes[i].missed;
}

int model_sample(struct model *m, char *err, size_t errsize)
{
	unsigned int what = SNAP_STATUS | SNAP_PROCS | SNAP_SITES;
	struct snapshot *next = calloc(1, sizeof(*next));
	struct proc_row *procs;
	struct site_row *sites;
	struct model_hist *nh;
	double dt;

	if (!next) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (m->want_threads)
		what |= SNAP_THREADS;
	if (m->detail != DETAIL_NONE)
		what |= SNAP_REGIONS;
	if (snapshot_read(m->root, what, next, err, errsize)) {
		free(next);
		return -1;
	}
	if (m->clock)
		next->mono = m->clock();
	procs = calloc(next->nr_procs + 1, sizeof(*procs));
	sites = calloc(next->nr_sites + 1, sizeof(*sites));
	nh = procs && sites ? hist_new(m, next->nr_procs, next->nr_sites) : NULL;
	if (!nh) {
		free(procs);
		free(sites);
		snapshot_free(next);
		free(next);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	/* the rows point into the snapshot: replace them all together */
	snapshot_free(&m->snap);
	m->snap = *next;
	free(next);
	free(m->procs);
	free(m->sites);
	m->procs = procs;
	m->sites = sites;
	dt = m->hist ? m->snap.mono - m->hist->mono : 0;
	m->interval = dt;
	sym_forget_maps(m->sym);
	nh->mono = m->snap.mono;
	build_procs(m, dt, nh);
	build_sites(m, dt, nh);
	build_threads(m);
	status_totals(m);
	m->samples++;
	hist_replace(m, nh);
	return model_detail(m, err, errsize);
}

struct proc_row *model_find_proc(struct model *m, int pid)
{
	struct proc_row *found = NULL;
	size_t i;

	for (i = 0; i < m->nr_procs; i++) {
		if (m->procs[i].r->pid != pid)
			continue;
		if (!m->procs[i].r->exited)
			return &m->procs[i];
		if (!found)
			found = &m->procs[i];
	}
	return found;
}

static bool wants_detail(const struct model *m, int pid)
{
	size_t i;

	if (m->detail == DETAIL_ALL)
		return true;
	if (m->detail == DETAIL_PIDS)
		for (i = 0; i < m->nr_detail_pids; i++)
			if (m->detail_pids[i] == pid)
				return true;
	return false;
}

static int name_site(struct model *m, struct site_row *s)
{
	struct site_info *info = calloc(1, sizeof(*info));
	struct hist_site *h;
	unsigned int i;

	if (!info)
		return -ENOMEM;
	info->nr_frames = s->r->nr_frames;
	info->name_frame = -1;
	for (i = 0; i < info->nr_frames; i++) {
		if (sym_resolve(m->sym, s->r->pid, s->r->frames[i], true,
				&info->frames[i])) {
			site_info_free(info);
			return -ENOMEM;
		}
		if (info->name_frame < 0 && !sym_skip_for_name(&info->frames[i]))
			info->name_frame = (int)i;
	}
	if (info->name_frame < 0)
		info->name_frame = (int)info->nr_frames - 1;
	if (info->name_frame >= 0)
		sym_format(&info->frames[info->name_frame], info->name,
			   sizeof(info->name));
	else	/* made by the kernel: [exec] or [preexisting] */
		snprintf(info->name, sizeof(info->name), "[%s]", s->r->origin);
	/* the history owns the names, and every row has an entry there */
	h = hist_site_find(m->hist, s->r);
	if (!h || h->info) {
		site_info_free(info);
		return 0;
	}
	h->info = info;
	s->info = info;
	return 0;
}

static int cmp_site_row_id(const void *a, const void *b)
{
	const struct site_row *x = a, *y = b;

	return x->r->id < y->r->id ? -1 : x->r->id > y->r->id;
}

/* ---- resident bytes ---- */

#define PM_PRESENT	(1ull << 63)
#define PM_ENTRIES	4096		/* pagemap entries a read, at most */
#define PM_GAP		64		/* pages of a hole read through */

/* pagemap entries read ahead: [vpn, vpn + n) */
struct pm_cache {
	uint64_t vpn;
	size_t n;
	uint64_t buf[PM_ENTRIES];
};

/*
 * Resident bytes of [@start, @end) from pagemap @fd, reading at once up to
 * @ahead (the end of the regions that follow closely), so that a process's
 * neighbouring regions cost one read.
 */
static int pm_resident(struct pm_cache *c, int fd, uint64_t start,
		       uint64_t end, uint64_t ahead, uint64_t *bytes)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t vpn = start / page, last = (end + page - 1) / page;
	uint64_t stop = (ahead + page - 1) / page;

	*bytes = 0;
	while (vpn < last) {
		uint64_t upto;

		if (vpn < c->vpn || vpn >= c->vpn + c->n) {
			uint64_t want = (stop > last ? stop : last) - vpn;
			ssize_t n;

			if (want > PM_ENTRIES)
				want = PM_ENTRIES;
			if (vpn > (uint64_t)INT64_MAX / sizeof(c->buf[0]))
				return -EINVAL;
			n = pread(fd, c->buf, want * sizeof(c->buf[0]),
				  (off_t)(vpn * sizeof(c->buf[0])));
			if (n < 0)
				return -errno;
			c->vpn = vpn;
			c->n = (size_t)n / sizeof(c->buf[0]);
			if (c->n == 0)
				return -EIO;
		}
		upto = c->vpn + c->n < last ? c->vpn + c->n : last;
		for (; vpn < upto; vpn++)
			if (c->buf[vpn - c->vpn] & PM_PRESENT)
				*bytes += page;
	}
	return 0;
}

static int cmp_region_pid(const void *a, const void *b)
{
	const struct region_rec *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* the module lists regions by pid and start; make sure of it, once */
static void regions_by_pid(struct snapshot *snap)
{
	size_t i;

	for (i = 1; i < snap->nr_regions; i++)
		if (cmp_region_pid(&snap->regions[i - 1], &snap->regions[i]) > 0)
			break;
	if (i < snap->nr_regions)
		qsort(snap->regions, snap->nr_regions, sizeof(*snap->regions),
		      cmp_region_pid);
}

/* the first region of @pid (regions ordered by pid) */
static size_t regions_of(const struct snapshot *snap, int pid)
{
	size_t lo = 0, hi = snap->nr_regions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (snap->regions[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* resident bytes of every site of @p from its regions in the snapshot */
static void resident(struct model *m, struct proc_row *p, struct pm_cache *c)
{
	const struct region_rec *regions = m->snap.regions;
	size_t i, j, first, end;
	uint64_t ahead = 0;
	int fd;

	for (i = 0; i < p->nr_sites; i++)
		p->sites[i].resident = p->sites[i].r->c.live_regions ? -1 : 0;
	if (p->r->exited || !(m->snap.what & SNAP_REGIONS))
		return;
	fd = procfs_pagemap_open(m->procdir, p->r->pid);
	if (fd < 0)
		return;
	qsort(p->sites, p->nr_sites, sizeof(*p->sites), cmp_site_row_id);
	for (i = 0; i < p->nr_sites; i++)
		p->sites[i].resident = 0;
	first = regions_of(&m->snap, p->r->pid);
	for (end = first; end < m->snap.nr_regions && regions[end].pid == p->r->pid;
	     end++)
		;
	c->n = 0;
	for (i = first, j = first; i < end; i++) {
		const struct region_rec *r = &regions[i];
		struct site_rec key_rec = { .id = r->site };
		struct site_row key = { .r = &key_rec }, *s;
		uint64_t bytes;

		s = bsearch(&key, p->sites, p->nr_sites, sizeof(key),
			    cmp_site_row_id);
		if (!s || s->resident < 0)
			continue;
		/* read ahead over the regions that follow closely */
		if (j < i + 1)
			j = i + 1;
		ahead = ahead > r->end ? ahead : r->end;
		while (j < end && regions[j].start >= regions[j - 1].start &&
		       regions[j].start - ahead <= PM_GAP * 4096 &&
		       regions[j].end - r->start <= PM_ENTRIES * 4096ull)
			ahead = regions[j++].end;
		if (pm_resident(c, fd, r->start, r->end, ahead, &bytes))
			s->resident = -1;
		else
			s->resident += (int64_t)bytes;
	}
	close(fd);
	/*
	 * regions is read after sites: a region mapped in between would make
	 * a site hold more in RAM than it holds at all
	 */
	for (i = 0; i < p->nr_sites; i++)
		if (p->sites[i].resident > (int64_t)p->sites[i].r->c.live_bytes)
			p->sites[i].resident = (int64_t)p->sites[i].r->c.live_bytes;
}

/*
 * The regions are not needed once resident bytes are known: their memory
 * serves the next sample (a million of them at the module's caps); a
 * process asked for later reads them again.
 */
static void drop_regions(struct model *m)
{
	free(m->snap.regions);
	m->snap.regions = NULL;
	m->snap.nr_regions = 0;
	m->snap.what &= ~(unsigned int)SNAP_REGIONS;
}

/* whether a process wants resident bytes and names it does not have */
static bool detail_wanted(const struct model *m)
{
	size_t i;

	if (m->detail == DETAIL_NONE)
		return false;
	for (i = 0; i < m->nr_procs; i++)
		if (!m->procs[i].detail && wants_detail(m, m->procs[i].r->pid))
			return true;
	return false;
}

int model_detail(struct model *m, char *err, size_t errsize)
{
	size_t i, j;
	unsigned int missing = 0;
	bool wanted;

	if (!m->nr_procs)
		return 0;
	wanted = detail_wanted(m);
	if (m->want_threads && !(m->snap.what & SNAP_THREADS))
		missing |= SNAP_THREADS;
	if (wanted && !(m->snap.what & SNAP_REGIONS))
		missing |= SNAP_REGIONS;
	if (missing) {
		struct snapshot *more = calloc(1, sizeof(*more));

		if (!more || snapshot_read(m->root, missing, more, err, errsize)) {
			if (!more)
				snprintf(err, errsize, "out of memory");
			free(more);
			return -1;
		}
		if (missing & SNAP_THREADS) {
			m->snap.threads = more->threads;
			m->snap.nr_threads = more->nr_threads;
		}
		if (missing & SNAP_REGIONS) {
			m->snap.regions = more->regions;
			m->snap.nr_regions = more->nr_regions;
		}
		m->snap.what |= missing;
		free(more);
		if (missing & SNAP_THREADS)
			build_threads(m);
	}
	if (!wanted) {
		drop_regions(m);
		return 0;
	}
	regions_by_pid(&m->snap);
	if (!m->pm) {
		m->pm = malloc(sizeof(*m->pm));
		if (!m->pm) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
	}
	for (i = 0; i < m->nr_procs; i++) {
		struct proc_row *p = &m->procs[i];

		if (!wants_detail(m, p->r->pid) || p->detail)
			continue;
		p->detail = true;
		resident(m, p, m->pm);
		for (j = 0; j < p->nr_sites; j++) {
			if (p->sites[j].info)
				continue;
			if (name_site(m, &p->sites[j]) == -ENOMEM) {
				snprintf(err, errsize, "out of memory");
				return -1;
			}
		}
	}
	drop_regions(m);
	return 0;
}

/* ---- sorting ---- */

static const char *const sort_names[SORT_NR] = {
	[SORT_PID] = "pid", [SORT_COMM] = "comm", [SORT_STATE] = "state",
	[SORT_LIVE] = "live", [SORT_REGIONS] = "regions",
	[SORT_GROWTH] = "growth", [SORT_MAPS] = "maps",
	[SORT_UNMAPS] = "unmaps", [SORT_PEAK] = "peak", [SORT_RSS] = "rss",
	[SORT_LEAK] = "leak", [SORT_ACCUM] = "accum",
};

int sort_key_parse(const char *name, enum sort_key *key)
{
	static const struct {
		const char *alias;
		enum sort_key key;
	} aliases[] = {
		{ "id", SORT_PID }, { "site", SORT_PID }, { "name", SORT_COMM },
		{ "kind", SORT_STATE }, { "resident", SORT_RSS },
		{ "rssanon", SORT_RSS },
	};
	unsigned int i;

	for (i = 0; i < SORT_NR; i++) {
		if (!strcasecmp(name, sort_names[i])) {
			*key = (enum sort_key)i;
			return 0;
		}
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (!strcasecmp(name, aliases[i].alias)) {
			*key = aliases[i].key;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sort_key_name(enum sort_key key)
{
	return key < SORT_NR ? sort_names[key] : "?";
}

static int cmp_num(double a, double b)
{
	return a < b ? 1 : a > b ? -1 : 0;	/* largest first */
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;	/* largest first */
}

/* unknown rates sort below every known one */
static double rate_or_min(bool have, double v)
{
	return have ? v : -1e300;
}

static enum sort_key cur_key;
static bool cur_reverse;

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_row *x = *(struct proc_row *const *)a;
	const struct proc_row *y = *(struct proc_row *const *)b;
	int c = 0;

	switch (cur_key) {
	case SORT_PID:
		break;
	case SORT_COMM:
		c = strcmp(x->r->comm, y->r->comm);
		break;
	case SORT_STATE:
		c = (int)x->r->exited - (int)y->r->exited;
		break;
	case SORT_LIVE:
		c = cmp_u64(x->r->c.live_bytes, y->r->c.live_bytes);
		break;
	case SORT_REGIONS:
		c = cmp_u64(x->r->c.live_regions, y->r->c.live_regions);
		break;
	case SORT_GROWTH:
		c = cmp_num(rate_or_min(x->have_rates, x->growth),
			    rate_or_min(y->have_rates, y->growth));
		break;
	case SORT_MAPS:
		c = cmp_num(rate_or_min(x->have_rates, x->maps_rate),
			    rate_or_min(y->have_rates, y->maps_rate));
		if (!c)
			c = cmp_u64(x->r->c.maps, y->r->c.maps);
		break;
	case SORT_UNMAPS:
		c = cmp_num(rate_or_min(x->have_rates, x->unmaps_rate),
			    rate_or_min(y->have_rates, y->unmaps_rate));
		if (!c)
			c = cmp_u64(x->r->c.unmaps, y->r->c.unmaps);
		break;
	case SORT_PEAK:
		c = cmp_u64(x->r->c.peak_bytes, y->r->c.peak_bytes);
		break;
	case SORT_RSS:
		c = cmp_num((double)x->rss_anon, (double)y->rss_anon);
		break;
	case SORT_LEAK:
		c = (int)y->leak - (int)x->leak;
		break;
	case SORT_ACCUM:
		c = cmp_num((double)x->accum, (double)y->accum);
		break;
	default:
		break;
	}
	if (!c)
		c = x->r->pid < y->r->pid ? -1 : x->r->pid > y->r->pid;
	if (!c)
		c = (int)x->r->exited - (int)y->r->exited;
	return cur_reverse ? -c : c;
}

static int cmp_site(const void *a, const void *b)
{
	const struct site_row *x = *(struct site_row *const *)a;
	const struct site_row *y = *(struct site_row *const *)b;
	int c = 0;

	switch (cur_key) {
	case SORT_PID:
		break;
	case SORT_COMM:
		c = strcmp(x->info ? x->info->name : "",
			   y->info ? y->info->name : "");
		break;
	case SORT_STATE:
		c = strcmp(x->r->kind, y->r->kind);
		break;
	case SORT_LIVE:
		c = cmp_u64(x->r->c.live_bytes, y->r->c.live_bytes);
		break;
	case SORT_REGIONS:
		c = cmp_u64(x->r->c.live_regions, y->r->c.live_regions);
		break;
	case SORT_GROWTH:
		c = cmp_num(rate_or_min(x->have_rates, x->growth),
			    rate_or_min(y->have_rates, y->growth));
		break;
	case SORT_MAPS:
		c = cmp_u64(x->r->c.maps, y->r->c.maps);
		break;
	case SORT_UNMAPS:
		c = cmp_u64(x->r->c.unmaps, y->r->c.unmaps);
		break;
	case SORT_PEAK:
		c = cmp_u64(x->r->c.peak_bytes, y->r->c.peak_bytes);
		break;
	case SORT_RSS:
		c = cmp_num((double)x->resident, (double)y->resident);
		break;
	case SORT_LEAK:		/* suspects, then new highs, then growth */
		c = (int)y->leak - (int)x->leak;
		if (!c)
			c = cmp_u64(x->highs, y->highs);
		if (!c)
			c = cmp_num(rate_or_min(x->have_rates, x->growth),
				    rate_or_min(y->have_rates, y->growth));
		break;
	case SORT_ACCUM:
		c = cmp_num((double)x->accum, (double)y->accum);
		break;
	default:
		break;
	}
	if (!c)
		c = x->r->pid < y->r->pid ? -1 : x->r->pid > y->r->pid;
	if (!c)
		c = x->r->id < y->r->id ? -1 : x->r->id > y->r->id;
	return cur_reverse ? -c : c;
}

void sort_procs(struct proc_row **v, size_t n, enum sort_key key, bool reverse)
{
	cur_key = key;
	cur_reverse = reverse;
	qsort(v, n, sizeof(*v), cmp_proc);
}

void sort_sites(struct site_row **v, size_t n, enum sort_key key, bool reverse)
{
	cur_key = key;
	cur_reverse = reverse;
	qsort(v, n, sizeof(*v), cmp_site);
}

/* ---- selecting ---- */

/* @want is the owner's name, or its uid in decimal */
static bool user_match(const char *want, const struct proc_row *p)
{
	char *end;
	unsigned long long uid;

	if (p->user && !strcmp(p->user, want))
		return true;
	if (p->uid < 0 || *want < '0' || *want > '9')
		return false;
	errno = 0;
	uid = strtoull(want, &end, 10);
	return !errno && !*end && uid == (unsigned long long)p->uid;
}

bool filter_match(const struct row_filter *f, const struct proc_row *p)
{
	size_t i;

	if (f->nr_pids) {
		for (i = 0; i < f->nr_pids; i++)
			if (f->pids[i] == p->r->pid)
				break;
		if (i == f->nr_pids)
			return false;
	}
	if (f->comm && *f->comm && !strcasestr(p->r->comm, f->comm))
		return false;
	if (f->cmdline && *f->cmdline &&
	    (!p->cmdline || !strcasestr(p->cmdline, f->cmdline)))
		return false;
	if (f->user && *f->user && !user_match(f->user, p))
		return false;
	return !f->cgroup || !*f->cgroup ||
	       (p->cgroup && strstr(p->cgroup, f->cgroup));
}

long model_select_procs(struct model *m, const struct row_filter *f,
			enum sort_key key, bool reverse, struct proc_row ***out)
{
	struct proc_row **v;
	size_t i, n = 0;

	*out = NULL;
	if (!m->nr_procs)
		return 0;
	v = calloc(m->nr_procs, sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < m->nr_procs; i++)
		if (filter_match(f, &m->procs[i]))
			v[n++] = &m->procs[i];
	sort_procs(v, n, key, reverse);
	*out = v;
	return (long)n;
}

long model_select_sites(struct proc_row *p, enum sort_key key, bool reverse,
			struct site_row ***out)
{
	struct site_row **v;
	size_t i;

	*out = NULL;
	if (!p->nr_sites)
		return 0;
	v = calloc(p->nr_sites, sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < p->nr_sites; i++)
		v[i] = &p->sites[i];
	sort_sites(v, p->nr_sites, key, reverse);
	*out = v;
	return (long)p->nr_sites;
}

long model_select_all_sites(struct model *m, const struct row_filter *f,
			    enum sort_key key, bool reverse,
			    struct site_row ***out)
{
	struct site_row **v;
	size_t i, n = 0;

	*out = NULL;
	if (!m->nr_sites)
		return 0;
	v = calloc(m->nr_sites, sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < m->nr_sites; i++)
		if (filter_match(f, m->sites[i].proc))
			v[n++] = &m->sites[i];
	sort_sites(v, n, key, reverse);
	*out = v;
	return (long)n;
}
