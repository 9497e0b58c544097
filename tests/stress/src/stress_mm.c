// SPDX-License-Identifier: GPL-2.0
/*
 * stress_mm.c - concurrent random mm load with a shadow model.
 *
 * usage: stress_mm [-t THREADS] [-n OPS] [-s SEED] [--verify] [--make-it-fail]
 *
 * Each thread works in an address window of its own (test_area(i)) and
 * does OPS random operations there: anonymous private and shared mmaps of
 * 4 KiB to 8 MiB from four call sites, MAP_FIXED over its own ranges and
 * holes, partial and spanning munmaps, and mremap grow in place, shrink and
 * move (MREMAP_FIXED inside the window).  Thread 0 also moves the break with
 * brk.  Every thread keeps a shadow model of its regions: what the module
 * must show.
 *
 * --verify (isolates the process: pid filter, depth 2, reset) checks at
 * the end that the module's regions inside the windows and of kind brk are
 * exactly the shadow models, that each (call site, kind) of the model is
 * one module site whose live bytes and regions are the model's, that the
 * records follow the format's rules, and that every region lies inside
 * anonymous mappings of /proc/self/maps; then the oracle of issue 13
 * (lib/oracle.c): the regions are the anonymous VMAs, in the windows
 * (stress_mm.maps_windows) and over the whole process (stress_mm.maps).
 * --make-it-fail sets /proc/self/make-it-fail (failslab's task filter)
 * before the threads start.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "anonstat_test.h"

#define MAX_THREADS	8
#define MAX_REGIONS	512		/* per thread */
#define WINDOW_PAGES	65536		/* 256 MiB */
#define MAX_LEN_PAGES	2048		/* 8 MiB */
#define NR_SITES	4
#define BRK_SITE	NR_SITES	/* "call site" index of the brk calls */
#define BRK_MAX_PAGES	256

struct shadow_region {
	uint64_t start, end;
	int site;		/* 0..NR_SITES-1, or BRK_SITE */
	int shared;
};

struct shadow {
	int n;
	struct shadow_region r[MAX_REGIONS];
};

struct worker {
	pthread_t thread;
	int idx;
	uint64_t base;
	unsigned long long rng;
	long ops;
	long done[8];
	struct shadow model;
};

static struct worker workers[MAX_THREADS];
static pthread_barrier_t start_line;
static struct shadow brk_model;
static uint64_t brk_floor;	/* the break when the threads started */

static unsigned int rnd(struct worker *w, unsigned int n)
{
	w->rng = w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return n ? (unsigned int)((w->rng >> 33) % n) : 0;
}

/* ---- the shadow model ---- */

/* Take [start, end) out of @m, splitting what straddles the ends. */
static void shadow_release(struct shadow *m, uint64_t start, uint64_t end)
{
	struct shadow_region out[MAX_REGIONS + 2];
	int i, n = 0;

	for (i = 0; i < m->n; i++) {
		struct shadow_region r = m->r[i];

		if (r.end <= start || r.start >= end) {
			out[n++] = r;
			continue;
		}
		if (r.start < start) {
			out[n] = r;
			out[n++].end = start;
		}
		if (r.end > end) {
			out[n] = r;
			out[n++].start = end;
		}
	}
	if (n > MAX_REGIONS)
		t_fatal("stress_mm.model", "more than %d regions", MAX_REGIONS);
	memcpy(m->r, out, (size_t)n * sizeof(out[0]));
	m->n = n;
}

static void shadow_add(struct shadow *m, uint64_t start, uint64_t end,
		       int site, int shared)
{
	int i = m->n;

	if (m->n == MAX_REGIONS)
		t_fatal("stress_mm.model", "more than %d regions", MAX_REGIONS);
	while (i > 0 && m->r[i - 1].start > start) {
		m->r[i] = m->r[i - 1];
		i--;
	}
	m->r[i] = (struct shadow_region){ start, end, site, shared };
	m->n++;
}

static bool shadow_free(const struct shadow *m, uint64_t start, uint64_t end)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].start < end && m->r[i].end > start)
			return false;
	return true;
}

/* ---- the call sites: one mmap call instruction each ---- */

typedef void *(*map_fn)(void *addr, size_t len, int flags);

#define DEFINE_SITE(n)							\
SITE_FN void *map_site##n(void *addr, size_t len, int flags)		\
{									\
	return mmap(addr, len, PROT_READ | PROT_WRITE,			\
		    flags | MAP_ANONYMOUS, -1, 0);			\
}
DEFINE_SITE(0)
DEFINE_SITE(1)
DEFINE_SITE(2)
DEFINE_SITE(3)

static const map_fn sites[NR_SITES] = { map_site0, map_site1, map_site2, map_site3 };

SITE_FN long brk_site(uint64_t addr)
{
	return syscall(SYS_brk, addr);
}

/* ---- operations ---- */

static uint64_t pages(uint64_t n)
{
	return n * PAGE_SZ;
}

static uint64_t rnd_len(struct worker *w)
{
	/* mostly small, sometimes up to 8 MiB */
	return pages(1 + (rnd(w, 4) ? rnd(w, 16) : rnd(w, MAX_LEN_PAGES)));
}

static uint64_t rnd_addr(struct worker *w, uint64_t len)
{
	return w->base + pages(rnd(w, WINDOW_PAGES - (unsigned int)(len / PAGE_SZ)));
}

static void op_map(struct worker *w, bool fixed)
{
	uint64_t len = rnd_len(w), addr = rnd_addr(w, len);
	int site = (int)rnd(w, NR_SITES), shared = (int)rnd(w, 4) == 0;
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) |
		    (fixed ? MAP_FIXED : MAP_FIXED_NOREPLACE);
	void *p;

	if (!fixed && !shadow_free(&w->model, addr, addr + len))
		return;
	if (w->model.n >= MAX_REGIONS - 4)
		return;
	p = sites[site]((void *)(uintptr_t)addr, len, flags);
	if (p == MAP_FAILED)
		return;
	if (ptr_u64(p) != addr)
		t_fatal("stress_mm.map", "mmap at %#lx gave %p", (unsigned long)addr, p);
	shadow_release(&w->model, addr, addr + len);
	shadow_add(&w->model, addr, addr + len, site, shared);
	w->done[fixed]++;
}

static void op_munmap(struct worker *w)
{
	uint64_t len = rnd_len(w), addr = rnd_addr(w, len);

	if (w->model.n >= MAX_REGIONS - 4)
		return;
	if (munmap((void *)(uintptr_t)addr, len))
		return;
	shadow_release(&w->model, addr, addr + len);
	w->done[2]++;
}

static struct shadow_region *pick(struct worker *w)
{
	return w->model.n ? &w->model.r[rnd(w, (unsigned int)w->model.n)] : NULL;
}

static void op_shrink(struct worker *w)
{
	struct shadow_region *r = pick(w);
	uint64_t len, keep;

	if (!r || r->end - r->start < pages(2))
		return;
	len = r->end - r->start;
	keep = pages(1 + rnd(w, (unsigned int)(len / PAGE_SZ) - 1));
	if (mremap((void *)(uintptr_t)r->start, len, keep, 0) == MAP_FAILED)
		return;
	r->end = r->start + keep;
	w->done[3]++;
}

static void op_grow(struct worker *w)
{
	struct shadow_region *r = pick(w);
	uint64_t len, grow;

	if (!r)
		return;
	len = r->end - r->start;
	grow = pages(1 + rnd(w, 16));
	if (r->end + grow > w->base + pages(WINDOW_PAGES) ||
	    !shadow_free(&w->model, r->end, r->end + grow))
		return;
	if (mremap((void *)(uintptr_t)r->start, len, len + grow, 0) == MAP_FAILED)
		return;
	r->end += grow;
	w->done[4]++;
}

static void op_move(struct worker *w)
{
	struct shadow_region *r = pick(w), moved;
	uint64_t len, new_len, dest;

	if (!r || w->model.n >= MAX_REGIONS - 4)
		return;
	len = r->end - r->start;
	new_len = rnd(w, 2) ? len : pages(1 + rnd(w, MAX_LEN_PAGES / 8));
	dest = rnd_addr(w, new_len);
	if (dest < r->end && dest + new_len > r->start)
		return;		/* overlapping source and target: EINVAL */
	if (mremap((void *)(uintptr_t)r->start, len, new_len,
		   MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)(uintptr_t)dest) == MAP_FAILED)
		return;
	moved = *r;
	shadow_release(&w->model, moved.start, moved.end);
	shadow_release(&w->model, dest, dest + new_len);
	shadow_add(&w->model, dest, dest + new_len, moved.site, moved.shared);
	w->done[5]++;
}

static void op_brk(struct worker *w)
{
	uint64_t cur = (uint64_t)brk_site(0), want;

	if (rnd(w, 2) || cur <= brk_floor)
		want = cur + pages(1 + rnd(w, 8));
	else
		want = cur - pages(1 + rnd(w, (unsigned int)((cur - brk_floor) / PAGE_SZ)));
	if (want > brk_floor + pages(BRK_MAX_PAGES) || want < brk_floor)
		return;
	if ((uint64_t)brk_site(want) != want)
		return;
	if (want > cur)
		shadow_add(&brk_model, cur, want, BRK_SITE, 0);
	else
		shadow_release(&brk_model, want, cur);
	w->done[6]++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long i;

	pthread_barrier_wait(&start_line);
	for (i = 0; i < w->ops; i++) {
		switch (rnd(w, w->idx == 0 ? 9 : 8)) {
		case 0: case 1: op_map(w, false); break;
		case 2: op_map(w, true); break;
		case 3: case 4: op_munmap(w); break;
		case 5: op_shrink(w); break;
		case 6: op_grow(w); break;
		case 7: op_move(w); break;
		default: op_brk(w); break;
		}
	}
	return NULL;
}

/* ---- verification ---- */

static struct as_snap snap;
static struct vma vmas[16384];

static bool in_windows(const struct as_region *r, int nthreads)
{
	int i;

	for (i = 0; i < nthreads; i++)
		if (r->start >= workers[i].base &&
		    r->end <= workers[i].base + pages(WINDOW_PAGES))
			return true;
	return false;
}

/* The module site of each (site, shared) pair of the model, or 0. */
static uint64_t site_of[NR_SITES + 1][2];

static bool match_region(const struct shadow_region *want, const struct as_region *got)
{
	const char *kind = want->site == BRK_SITE ? "brk" :
			   want->shared ? "shared" : "private";
	uint64_t *id = &site_of[want->site][want->shared];

	if (got->start != want->start || got->end != want->end ||
	    strcmp(got->kind, kind))
		return false;
	if (!*id)
		*id = got->site;
	return *id == got->site;
}

static void verify(int nthreads)
{
	struct shadow_region all[MAX_THREADS * MAX_REGIONS + MAX_REGIONS];
	uint64_t live[NR_SITES + 1][2] = { { 0 } }, nreg[NR_SITES + 1][2] = { { 0 } };
	int i, j, n = 0, k = 0, nv, bad = 0;

	for (i = 0; i < nthreads; i++)
		for (j = 0; j < workers[i].model.n; j++)
			all[n++] = workers[i].model.r[j];
	for (j = 0; j < brk_model.n; j++)
		all[n++] = brk_model.r[j];
	for (i = 0; i < n; i++) {
		live[all[i].site][all[i].shared] += all[i].end - all[i].start;
		nreg[all[i].site][all[i].shared]++;
	}

	snap_take(&snap, getpid());
	/* walk the module's regions of the windows and of our brk site */
	for (i = 0; i < snap.nregions; i++) {
		const struct as_region *got = &snap.regions[i];
		bool ours = in_windows(got, nthreads) ||
			    (!strcmp(got->kind, "brk") && got->start >= brk_floor);
		const struct shadow_region *want = NULL;

		if (!ours)
			continue;
		for (j = 0; j < n; j++)
			if (all[j].start == got->start)
				want = &all[j];
		if (!want || !match_region(want, got)) {
			if (bad++ < 5)
				t_note("region [%#lx, %#lx) site %lu %s: model has %s",
				       (unsigned long)got->start, (unsigned long)got->end,
				       (unsigned long)got->site, got->kind,
				       want ? "another region there" : "nothing there");
			continue;
		}
		k++;
	}
	t_expect(!bad && k == n, "stress_mm.regions_equal_model",
		 "%d of %d model regions matched, %d module regions differ", k, n, bad);

	for (i = 0; i <= NR_SITES; i++) {
		for (j = 0; j < 2; j++) {
			const struct as_site *s;

			if (!site_of[i][j])
				continue;
			s = snap_site(&snap, site_of[i][j]);
			if (!s) {
				t_fail("stress_mm.site_live", "site %lu missing",
				       (unsigned long)site_of[i][j]);
				continue;
			}
			t_eq("stress_mm.site_live_bytes", s->c.live_bytes, live[i][j]);
			t_eq("stress_mm.site_live_regions", s->c.live_regions, nreg[i][j]);
		}
	}
	t_consistent("stress_mm.consistent", &snap);

	nv = maps_read(vmas, (int)(sizeof(vmas) / sizeof(vmas[0])));
	bad = 0;
	/* shared anonymous memory shows as "/dev/zero (deleted)" in maps */
	for (i = 0; i < snap.nregions; i++)
		if (strcmp(snap.regions[i].kind, "shared") &&
		    !maps_anon_covers(vmas, nv, snap.regions[i].start, snap.regions[i].end))
			bad++;
	t_expect(!bad, "stress_mm.regions_in_anon_maps",
		 "%d regions not inside anonymous mappings", bad);

	/* the oracle of issue 13: in the threads' windows, then everywhere */
	for (i = 0, bad = 0; i < nthreads && !bad; i++) {
		char why[512];

		if (!as_maps_match_in(getpid(), workers[i].base, workers[i].base +
				      WINDOW_PAGES * PAGE_SZ, why, sizeof(why))) {
			t_fail("stress_mm.maps_windows", "window %d: %s", i, why);
			bad = 1;
		}
	}
	if (!bad)
		t_ok("stress_mm.maps_windows");
	t_check_maps("stress_mm.maps", getpid());
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verify", no_argument, NULL, 'v' },
		{ "make-it-fail", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	long ops = 1000, total[8] = { 0 };
	int nthreads = 8, c, i, j;
	unsigned long long seed = 1;
	bool do_verify = false, make_fail = false;

	t_init("stress_mm");
	while ((c = getopt_long(argc, argv, "t:n:s:", opts, NULL)) != -1) {
		switch (c) {
		case 't': nthreads = atoi(optarg); break;
		case 'n': ops = atol(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'v': do_verify = true; break;
		case 'f': make_fail = true; break;
		default: return 2;
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS)
		t_fatal("stress_mm.args", "1..%d threads", MAX_THREADS);
	if (do_verify) {
		ctl_isolate(ISOLATE_SELF);
		ctl_must("depth 2");
	}
	if (make_fail) {
		FILE *f = fopen("/proc/self/make-it-fail", "w");

		if (!f || fputs("1", f) == EOF || fclose(f))
			t_fatal("stress_mm.make_it_fail", "/proc/self/make-it-fail: %s",
				strerror(errno));
	}
	for (i = 0; i < nthreads; i++) {
		workers[i].idx = i;
		workers[i].base = ptr_u64(test_area((unsigned int)i));
		workers[i].rng = seed * 1000003ULL + (unsigned long long)i;
		workers[i].ops = ops;
	}
	/* the threads exist (and malloc is done with brk) before the floor is set */
	pthread_barrier_init(&start_line, NULL, (unsigned int)nthreads + 1);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
			t_fatal("stress_mm.threads", "pthread_create failed");
	brk_floor = (uint64_t)brk_site(0);
	brk_floor = (brk_floor + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	if ((uint64_t)brk_site(brk_floor) != brk_floor)
		t_fatal("stress_mm.brk", "cannot align the break");
	pthread_barrier_wait(&start_line);
	for (i = 0; i < nthreads; i++)
		pthread_join(workers[i].thread, NULL);
	for (i = 0; i < nthreads; i++)
		for (j = 0; j < 8; j++)
			total[j] += workers[i].done[j];
	t_note("stress_mm: %d threads: %ld mmap, %ld MAP_FIXED, %ld munmap, "
	       "%ld shrink, %ld grow, %ld move, %ld brk", nthreads, total[0],
	       total[1], total[2], total[3], total[4], total[5], total[6]);
	if (do_verify)
		verify(nthreads);
	return t_exit_status();
}
