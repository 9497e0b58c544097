// SPDX-License-Identifier: GPL-2.0
/*
 * acct_concurrency.c - concurrent mapping and releasing.
 *
 * NWORKERS threads each run OPS random operations (fixed seeds) on their
 * own ranges: map (NULL hint), munmap of the whole range, its head, tail
 * or a middle page (the range splits in two), mremap shrinking and growing
 * (MREMAP_MAYMOVE).  Each keeps a shadow model: the ranges it holds, each
 * of which is one region.  Meanwhile two more threads race on a fixed
 * RACE_PAGES area far from the rest: one maps random ranges there with
 * MAP_FIXED, the other unmaps random ranges.
 *
 * At the end: the module's regions outside the race area are exactly the
 * union of the shadow models; inside it they cover exactly the pages
 * /proc/self/maps shows mapped there; every region lies in anonymous
 * mappings; the sites add up to the procs line; nothing was dropped as
 * stale (see check_status() for what may be untracked).
 *
 * usage: acct_concurrency   (root, anonstat loaded)
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define NWORKERS	8
#define OPS		500
#define SLOTS		32
#define MAX_PAGES	8		/* a range grows no further */
#define RACE_PAGES	32
#define RACE_OPS	3000
#define P		PAGE_SZ
#define RW		(PROT_READ | PROT_WRITE)

struct worker {
	uint64_t rng;
	struct range slot[SLOTS];	/* start 0: free */
	int ops;
	char error[128];
};

static struct worker workers[NWORKERS + 2];
static pthread_barrier_t start;
static char *race_area;
static struct as_snap snap;
static struct as_status st0, st1;
static struct vma vmas[4096];
static struct range shadow[NWORKERS * SLOTS];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static bool fail(struct worker *w, const char *call)
{
	snprintf(w->error, sizeof(w->error), "%s failed at op %d: errno %d",
		 call, w->ops, errno);
	return false;
}

static int free_slot(const struct worker *w)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (!w->slot[i].start)
			return i;
	return -1;
}

static bool map_range(struct worker *w, struct range *r)
{
	size_t len = (1 + rnd(&w->rng) % 4) * P;
	char *p = mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return fail(w, "mmap");
	r->start = ptr_u64(p);
	r->end = r->start + len;
	return true;
}

static bool unmap_part(struct worker *w, uint64_t start, uint64_t len)
{
	return munmap((void *)(uintptr_t)start, len) ? fail(w, "munmap") : true;
}

static bool remap(struct worker *w, struct range *r, uint64_t new_len, int flags)
{
	char *p = mremap((void *)(uintptr_t)r->start, r->end - r->start,
			 new_len, flags);

	if (p == MAP_FAILED)
		return fail(w, "mremap");
	r->start = ptr_u64(p);
	r->end = r->start + new_len;
	return true;
}

/* One operation on an occupied range r, keeping the shadow model. */
static bool change_range(struct worker *w, struct range *r)
{
	uint64_t start = r->start, len = r->end - r->start;
	int op = (int)(rnd(&w->rng) % 6), spare = free_slot(w);

	if ((op >= 1 && op <= 4 && len == P) ||
	    (op == 3 && (len < 3 * P || spare < 0)) ||
	    (op == 5 && len >= MAX_PAGES * P))
		op = 0;
	switch (op) {
	case 0:		/* all of it */
		r->start = 0;
		return unmap_part(w, start, len);
	case 1:		/* head */
		r->start += P;
		return unmap_part(w, start, P);
	case 2:		/* tail */
		r->end -= P;
		return unmap_part(w, r->end, P);
	case 3:		/* a middle page: the rest becomes another range */
		w->slot[spare] = (struct range){ start + 2 * P, r->end };
		r->end = start + P;
		return unmap_part(w, start + P, P);
	case 4:		/* shrink */
		return remap(w, r, len - P, 0);
	default:	/* grow, moving if need be */
		return remap(w, r, len + P, MREMAP_MAYMOVE);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start);
	for (w->ops = 0; w->ops < OPS; w->ops++) {
		struct range *r = &w->slot[rnd(&w->rng) % SLOTS];
		bool ok = r->start ? change_range(w, r) : map_range(w, r);

		if (!ok)
			break;
	}
	return NULL;
}

/* random [off, off + len) pages of the race area */
static void race_pick(struct worker *w, char **addr, size_t *len)
{
	uint64_t off = rnd(&w->rng) % RACE_PAGES;
	uint64_t n = 1 + rnd(&w->rng) % 4;

	if (off + n > RACE_PAGES)
		n = RACE_PAGES - off;
	*addr = race_area + off * P;
	*len = n * P;
}

static void *race_mapper(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start);
	for (w->ops = 0; w->ops < RACE_OPS; w->ops++) {
		char *addr;
		size_t len;

		race_pick(w, &addr, &len);
		if (mmap(addr, len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) != addr) {
			fail(w, "mmap(MAP_FIXED)");
			break;
		}
	}
	return NULL;
}

static void *race_unmapper(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start);
	for (w->ops = 0; w->ops < RACE_OPS; w->ops++) {
		char *addr;
		size_t len;

		race_pick(w, &addr, &len);
		if (munmap(addr, len)) {
			fail(w, "munmap");
			break;
		}
	}
	return NULL;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool in_race_area(uint64_t addr)
{
	return addr >= ptr_u64(race_area) &&
		addr < ptr_u64(race_area) + RACE_PAGES * P;
}

/* the regions outside the race area are the shadow ranges */
static void check_shadow(void)
{
	int i, k, n = 0;

	for (i = 0; i < NWORKERS; i++)
		for (k = 0; k < SLOTS; k++)
			if (workers[i].slot[k].start)
				shadow[n++] = workers[i].slot[k];
	qsort(shadow, (size_t)n, sizeof(shadow[0]), cmp_range);
	for (i = 0, k = 0; i < snap.nregions; i++) {
		const struct as_region *r = &snap.regions[i];

		if (in_race_area(r->start))
			continue;
		if (k == n || r->start != shadow[k].start || r->end != shadow[k].end) {
			t_fail("shadow_regions", "region [%#" PRIx64 ",%#" PRIx64
			       "), shadow model [%#" PRIx64 ",%#" PRIx64 ")",
			       r->start, r->end, k < n ? shadow[k].start : 0,
			       k < n ? shadow[k].end : 0);
			return;
		}
		k++;
	}
	t_expect(k == n, "shadow_regions", "%d of %d shadow ranges are regions",
		 k, n);
}

/* page i of the race area: mapped per /proc/self/maps, held by a region */
static void check_race_area(int nvmas)
{
	int page;

	for (page = 0; page < RACE_PAGES; page++) {
		uint64_t a = ptr_u64(race_area) + (uint64_t)page * P;
		bool mapped = maps_anon_covers(vmas, nvmas, a, a + P);
		bool held = snap_region_at(&snap, a) != NULL;

		if (mapped != held) {
			t_fail("race_regions", "page %d of the race area: %s in "
			       "/proc/self/maps, %s by a region", page,
			       mapped ? "mapped" : "not mapped",
			       held ? "held" : "not held");
			return;
		}
	}
	t_note("race area: %d regions", snap_regions_in(&snap,
		ptr_u64(race_area), ptr_u64(race_area) + RACE_PAGES * P));
	t_ok("race_regions");
}

static void check_in_maps(int nvmas)
{
	int i;

	for (i = 0; i < snap.nregions; i++) {
		const struct as_region *r = &snap.regions[i];

		if (!maps_anon_covers(vmas, nvmas, r->start, r->end)) {
			t_fail("regions_in_maps", "region [%#" PRIx64 ",%#" PRIx64
			       ") is not in anonymous mappings", r->start, r->end);
			return;
		}
	}
	t_ok("regions_in_maps");
}

/*
 * Nothing may be dropped, and no mremap or brk release may be untracked.
 * munmap and MAP_FIXED releases in the race area may be: the module takes
 * ranges out at syscall entry and puts them in at return, so when a munmap
 * enters while a MAP_FIXED of the same pages is between its entry and its
 * return, the munmap finds no region there although the kernel may run it
 * after the map.  The regions themselves are checked exactly above.
 */
static void check_status(void)
{
	static const char *const zero[] = {
		"drop stale", "drop nomem", "untracked mremap", "untracked brk",
	};
	static const char *const noted[] = {
		"untracked munmap", "untracked mmap_fixed", "untracked unclassified",
	};
	char check[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zero); i++) {
		snprintf(check, sizeof(check), "no_%s", zero[i]);
		*strchr(check, ' ') = '_';
		t_status_delta(check, &st0, &st1, zero[i], 0);
	}
	for (i = 0; i < ARRAY_SIZE(noted); i++)
		t_note("%s in the race: %" PRIu64 " bytes", noted[i],
		       status_num(&st1, noted[i]) - status_num(&st0, noted[i]));
}

static void start_threads(pthread_t *th)
{
	pthread_attr_t attr;
	int i;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (i = 0; i < NWORKERS + 2; i++) {
		void *(*fn)(void *) = i < NWORKERS ? worker_main :
			i == NWORKERS ? race_mapper : race_unmapper;

		workers[i].rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		if (pthread_create(&th[i], &attr, fn, &workers[i]))
			t_fatal("pthread_create", "thread %d", i);
	}
	pthread_attr_destroy(&attr);
}

int main(void)
{
	pthread_t th[NWORKERS + 2];
	int i, nvmas;

	t_init("acct_concurrency");
	race_area = test_area(0);
	unmap(place(race_area, RACE_PAGES * P, RW), RACE_PAGES * P);
	pthread_barrier_init(&start, NULL, NWORKERS + 3);
	start_threads(th);
	ctl_isolate(ISOLATE_SELF);
	status_read(&st0);
	pthread_barrier_wait(&start);
	for (i = 0; i < NWORKERS + 2; i++)
		pthread_join(th[i], NULL);
	status_read(&st1);
	snap_take(&snap, getpid());
	nvmas = maps_read(vmas, (int)(ARRAY_SIZE(vmas)));

	for (i = 0; i < NWORKERS + 2; i++) {
		char check[32];

		snprintf(check, sizeof(check), "thread%d", i);
		t_expect(!workers[i].error[0], check, "%s", workers[i].error);
	}
	check_shadow();
	check_race_area(nvmas);
	check_in_maps(nvmas);
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	check_status();
	return t_exit_status();
}
