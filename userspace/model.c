// SPDX-License-Identifier: GPL-2.0
/*
 * model.c - turn snapshots into process and site rows with rates, leak
 * marks, RssAnon, resident bytes and names (see model.h).
 */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "procfs.h"

struct hist_proc {
	int pid;
	uint64_t first_ns;
	uint64_t live, maps, unmaps;
};

struct hist_site {
	uint64_t id;
	int pid;
	uint64_t live, maps, unmaps;
	unsigned int streak;
	struct site_info *info;		/* owned */
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
	for (i = 0; i < h->nr_sites; i++)
		site_info_free(h->sites[i].info);
	free(h->procs);
	free(h->sites);
	free(h);
}

int model_init(struct model *m, const char *root, const char *procdir,
	       unsigned int leak_samples)
{
	memset(m, 0, sizeof(*m));
	m->root = root;
	m->procdir = procdir;
	m->leak_samples = leak_samples;
	m->sym = sym_new(procdir, NULL);
	return m->sym ? 0 : -ENOMEM;
}

void model_free(struct model *m)
{
	hist_free(m->hist);
	ident_tab_free(m->idents);
	m->idents = NULL;
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

static void build_procs(struct model *m, double dt)
{
	size_t i;

	m->live_bytes = 0;
	m->live_regions = 0;
	for (i = 0; i < m->snap.nr_procs; i++) {
		struct proc_row *p = &m->procs[i];
		const struct hist_proc *h;
		const struct ident *id;
		uint64_t rss;

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
}

static void build_sites(struct model *m, double dt)
{
	size_t i, cursor = 0;
	struct proc_row *owner = NULL;

	m->nr_sites = 0;
	for (i = 0; i < m->snap.nr_sites; i++) {
		const struct site_rec *r = &m->snap.sites[i];
		struct site_row *s;
		struct hist_site *h;

		if (i == 0 || r->pid != m->snap.sites[i - 1].pid)
			owner = run_owner(m, r->pid, &cursor, false);
		if (!owner)
			continue;	/* not in procs when it was read */
		s = &m->sites[m->nr_sites++];
		memset(s, 0, sizeof(*s));
		s->r = r;
		s->proc = owner;
		s->resident = -1;
		if (!owner->sites)
			owner->sites = s;
		owner->nr_sites++;
		h = hist_site_find(m->hist, r);
		if (h && m->hist->valid)
			s->have_rates = rates(r->c.live_bytes, r->c.maps,
					      r->c.unmaps, h->live, h->maps,
					      h->unmaps, dt, &s->growth,
					      &s->maps_rate, &s->unmaps_rate);
		if (s->have_rates && r->c.live_bytes > h->live)
			s->streak = h->streak + 1;
		if (h && h->info && info_matches(h->info, r)) {
			s->info = h->info;	/* moves to the new history */
			h->info = NULL;
		}
		s->leak = m->leak_samples && s->streak >= m->leak_samples;
		owner->leak |= s->leak;
	}
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

/* The history of this sample; frees the previous one. */
static int build_hist(struct model *m)
{
	struct model_hist *h = calloc(1, sizeof(*h));
	size_t i;

	if (!h)
		return -ENOMEM;
	h->valid = true;
	h->mono = m->snap.mono;
	h->procs = calloc(m->nr_procs + 1, sizeof(*h->procs));
	h->sites = calloc(m->nr_sites + 1, sizeof(*h->sites));
	if (!h->procs || !h->sites) {
		hist_free(h);
		return -ENOMEM;
	}
	for (i = 0; i < m->nr_procs; i++) {
		const struct proc_rec *r = m->procs[i].r;

		h->procs[i] = (struct hist_proc){ r->pid, r->c.first_ns,
			r->c.live_bytes, r->c.maps, r->c.unmaps };
	}
	h->nr_procs = m->nr_procs;
	for (i = 0; i < m->nr_sites; i++) {
		const struct site_row *s = &m->sites[i];

		h->sites[i] = (struct hist_site){ s->r->id, s->r->pid,
			s->r->c.live_bytes, s->r->c.maps, s->r->c.unmaps,
			s->streak, s->info };
	}
	h->nr_sites = m->nr_sites;
	qsort(h->procs, h->nr_procs, sizeof(*h->procs), cmp_hist_proc);
	qsort(h->sites, h->nr_sites, sizeof(*h->sites), cmp_hist_site);
	hist_free(m->hist);
	m->hist = h;
	return 0;
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
	if (!procs || !sites) {
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
	build_procs(m, dt);
	build_sites(m, dt);
	build_threads(m);
	status_totals(m);
	m->samples++;
	if (build_hist(m)) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
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

/* resident bytes of every site of @p from its regions in the snapshot */
static void resident(struct model *m, struct proc_row *p)
{
	size_t i;
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
	for (i = 0; i < m->snap.nr_regions; i++) {
		const struct region_rec *r = &m->snap.regions[i];
		struct site_rec key_rec = { .id = r->site };
		struct site_row key = { .r = &key_rec }, *s;
		uint64_t bytes;

		if (r->pid != p->r->pid)
			continue;
		s = bsearch(&key, p->sites, p->nr_sites, sizeof(key),
			    cmp_site_row_id);
		if (!s || s->resident < 0)
			continue;
		if (procfs_resident(fd, r->start, r->end, &bytes))
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

int model_detail(struct model *m, char *err, size_t errsize)
{
	size_t i, j;

	unsigned int missing = 0;

	if (!m->nr_procs)
		return 0;
	if (m->want_threads && !(m->snap.what & SNAP_THREADS))
		missing |= SNAP_THREADS;
	if (m->detail != DETAIL_NONE && !(m->snap.what & SNAP_REGIONS))
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
	if (m->detail == DETAIL_NONE)
		return 0;
	for (i = 0; i < m->nr_procs; i++) {
		struct proc_row *p = &m->procs[i];

		if (!wants_detail(m, p->r->pid) || p->detail)
			continue;
		p->detail = true;
		resident(m, p);
		for (j = 0; j < p->nr_sites; j++) {
			if (p->sites[j].info)
				continue;
			if (name_site(m, &p->sites[j]) == -ENOMEM) {
				snprintf(err, errsize, "out of memory");
				return -1;
			}
		}
	}
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
	case SORT_LEAK:
		c = cmp_u64(x->streak, y->streak);
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
