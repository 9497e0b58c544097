// SPDX-License-Identifier: GPL-2.0
/*
 * acct_mremap.c - mremap and what it does to regions.
 *
 * - grow in place: the site keeps its one region, bytes grow, maps stays 1;
 * - grow with MREMAP_MAYMOVE while the next page is taken: the region moves
 *   to the new address with its site, no unmap, nothing left at the old one;
 * - shrink: one unmap of the tail;
 * - shrink in place of a range over two sites' regions that the kernel
 *   merged into one mapping, ending inside the second: the first keeps its
 *   region, the second loses the page cut off and is two regions (the
 *   part kept and the part past the range);
 * - MREMAP_FIXED onto the middle of another site's region: that region
 *   loses the overlap (unmaps +1, split), the moved one keeps its site;
 * - failing calls (growth into a neighbour without MAYMOVE, overlapping
 *   MREMAP_FIXED, unmapped source): the process's records do not change;
 * - ranges mapped before the reset, regions of the preexisting private
 *   site the reset seeded: growing one in place adds the growth to that
 *   site's region (bytes grown go to the site of the region that grew; no
 *   map), shrinking another releases the tail from that site.
 *
 * usage: acct_mremap   (root, anonstat loaded)
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ
#define RW	(PROT_READ | PROT_WRITE)

static struct as_snap snap, before;

static void *must_mremap(void *old, size_t old_len, size_t new_len, int flags,
			 void *new_addr)
{
	void *p = mremap(old, old_len, new_len, flags, new_addr);

	if (p == MAP_FAILED)
		t_fatal("mremap", "mremap(%p, %zu, %zu, %#x): %s", old, old_len,
			new_len, flags, strerror(errno));
	return p;
}

static bool one_region(const char *check, uint64_t site, void *start, size_t len)
{
	struct range r = { ptr_u64(start), ptr_u64(start) + len };

	return t_site_regions(check, &snap, site, &r, 1);
}

static void test_grow_in_place(void)
{
	char *p = place(test_area(0), 2 * P, RW);
	char *q = must_mremap(p, 2 * P, 4 * P, 0, NULL);
	uint64_t site;

	t_expect(q == p, "grow_in_place_same_address", "moved to %p", (void *)q);
	snap_take(&snap, getpid());
	t_check_maps("grow_in_place.maps", getpid());
	site = site_id_at(&snap, p);
	t_site("grow_in_place", snap_site(&snap, site), &(struct site_expect){
		"private", 1, 0, 4 * P, 0, 1, 4 * P, 4 * P });
	one_region("grow_in_place_regions", site, p, 4 * P);
}

static void test_grow_move(void)
{
	char *p = place(test_area(1), 2 * P, RW);
	char *q;
	uint64_t site;

	place(p + 2 * P, P, PROT_READ);		/* no room to grow in place */
	snap_take(&before, getpid());
	site = site_id_at(&before, p);
	q = must_mremap(p, 2 * P, 4 * P, MREMAP_MAYMOVE, NULL);
	t_expect(q != p, "grow_move_moved", "mremap did not move");
	snap_take(&snap, getpid());
	t_check_maps("grow_move.maps", getpid());
	t_site("grow_move", snap_site(&snap, site), &(struct site_expect){
		"private", 1, 0, 4 * P, 0, 1, 4 * P, 4 * P });
	one_region("grow_move_regions", site, q, 4 * P);
	t_eq("grow_move_old_range_empty",
	     (uint64_t)snap_regions_in(&snap, ptr_u64(p), ptr_u64(p + 2 * P)), 0);
}

static void test_shrink(void)
{
	char *p = map_anon(4 * P, MAP_PRIVATE);
	uint64_t site;

	must_mremap(p, 4 * P, P, 0, NULL);
	snap_take(&snap, getpid());
	t_check_maps("shrink.maps", getpid());
	site = site_id_at(&snap, p);
	t_site("shrink", snap_site(&snap, site), &(struct site_expect){
		"private", 1, 1, 4 * P, 3 * P, 1, P, 4 * P });
	one_region("shrink_regions", site, p, P);
}

/* a call site of its own, for test_shrink_across_sites() */
SITE_FN void *place_second(void *addr, size_t len)
{
	void *p = mmap(addr, len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);

	if (p != addr)
		t_fatal("place_second", "mmap(%p, %zu, MAP_FIXED) = %p", addr, len, p);
	return p;
}

static void test_shrink_across_sites(void)
{
	char *p = place(test_area(6), 4 * P, RW);
	char *q = place_second(p + 4 * P, 4 * P);
	uint64_t a, b;

	snap_take(&before, getpid());
	a = site_id_at(&before, p);
	b = site_id_at(&before, q);
	t_expect(a != b, "shrink_across_two_sites", "one site for both");
	/* [p, p + 6P) lies in one VMA; the call unmaps [p + 5P, p + 6P) */
	must_mremap(p, 6 * P, 5 * P, 0, NULL);
	snap_take(&snap, getpid());
	t_check_maps("shrink_across.maps", getpid());
	t_site("shrink_across_first", snap_site(&snap, a), &(struct site_expect){
		"private", 1, 0, 4 * P, 0, 1, 4 * P, 4 * P });
	one_region("shrink_across_first_regions", a, p, 4 * P);
	t_site("shrink_across_second", snap_site(&snap, b), &(struct site_expect){
		"private", 1, 1, 4 * P, P, 2, 3 * P, 4 * P });
	t_site_regions("shrink_across_second_regions", &snap, b, (struct range[]){
		{ ptr_u64(q), ptr_u64(q + P) },
		{ ptr_u64(q + 2 * P), ptr_u64(q + 4 * P) } }, 2);
}

static void test_fixed_onto_other(void)
{
	char *src = place(test_area(2), 2 * P, RW);
	char *dst = place(test_area(2) + 16 * P, 6 * P, RW);
	uint64_t a, b;

	snap_take(&before, getpid());
	a = site_id_at(&before, src);
	b = site_id_at(&before, dst);
	must_mremap(src, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 2 * P);
	snap_take(&snap, getpid());
	t_check_maps("fixed.maps", getpid());
	t_site("fixed_moved_site", snap_site(&snap, a), &(struct site_expect){
		"private", 1, 0, 2 * P, 0, 1, 2 * P, 2 * P });
	one_region("fixed_moved_regions", a, dst + 2 * P, 2 * P);
	t_site("fixed_target_site", snap_site(&snap, b), &(struct site_expect){
		"private", 1, 1, 6 * P, 2 * P, 2, 4 * P, 6 * P });
	t_site_regions("fixed_target_regions", &snap, b, (struct range[]){
		{ ptr_u64(dst), ptr_u64(dst + 2 * P) },
		{ ptr_u64(dst + 4 * P), ptr_u64(dst + 6 * P) } }, 2);
}

/* mremap(...) must fail */
static void expect_failure(const char *check, void *old, size_t old_len,
			   size_t new_len, int flags, void *new_addr)
{
	void *p = mremap(old, old_len, new_len, flags, new_addr);

	t_expect(p == MAP_FAILED, check, "mremap(%p, %zu, %zu, %#x) = %p, "
		 "want a failure", old, old_len, new_len, flags, p);
}

static void test_failures(void)
{
	char *f = place(test_area(3), 2 * P, RW);

	place(f + 2 * P, P, PROT_READ);
	snap_take(&before, getpid());
	expect_failure("fail_grow_blocked", f, 2 * P, 4 * P, 0, NULL);
	expect_failure("fail_fixed_overlap", f, 2 * P, 2 * P,
		       MREMAP_MAYMOVE | MREMAP_FIXED, f + P);
	expect_failure("fail_unmapped", f + 8 * P, P, 2 * P, MREMAP_MAYMOVE, NULL);
	snap_take(&snap, getpid());
	t_check_maps("fail.maps", getpid());
	t_same_state("fail_unchanged", &before, &snap, false);
	/* "A failed mremap changes nothing": not even the time of the last event */
	t_same_state("fail_unchanged_time", &before, &snap, true);
}

/* the preexisting private site holds [addr, addr + len) as one region */
static const struct as_site *seeded_region(const char *check,
					   const struct as_snap *s, char *addr,
					   size_t len)
{
	const struct as_region *r = snap_region_at(s, ptr_u64(addr));
	const struct as_site *site = r ? snap_site(s, r->site) : NULL;
	bool good = site && site == snap_seeded_site(s, "preexisting", "private") &&
		r->start == ptr_u64(addr) && r->end == ptr_u64(addr) + len;

	t_expect(good, check, "[%p,+%zu) is not a region of the preexisting "
		 "private site: %s, its regions %s", addr, len, site_str(site),
		 site ? regions_str(s, site->id) : "-");
	return good ? site : NULL;
}

/* grow and shrink ranges mapped before the reset */
static void test_preexisting(char *grow, char *shrink)
{
	const struct as_site *seeded;
	uint64_t id, peak;

	snap_take(&before, getpid());
	seeded = seeded_region("preexisting_grow_seeded", &before, grow, 2 * P);
	if (!seeded)
		return;
	id = seeded->id;
	peak = seeded->c.live_bytes + 2 * P > seeded->c.peak_bytes ?
		seeded->c.live_bytes + 2 * P : seeded->c.peak_bytes;
	must_mremap(grow, 2 * P, 4 * P, 0, NULL);
	snap_take(&snap, getpid());
	t_check_maps("preexisting_grow.maps", getpid());
	seeded_region("preexisting_grow_region", &snap, grow, 4 * P);
	t_site_delta("preexisting_grow_site", &before, &snap, id,
		     &(struct site_delta){ 0, 0, 2 * P, 0, 0, 2 * P,
			(int64_t)(peak - seeded->c.peak_bytes) });
	t_eq("preexisting_grow_no_site", (uint64_t)snap.nsites,
	     (uint64_t)before.nsites);

	snap_take(&before, getpid());
	if (!seeded_region("preexisting_shrink_seeded", &before, shrink, 4 * P))
		return;
	must_mremap(shrink, 4 * P, P, 0, NULL);
	snap_take(&snap, getpid());
	t_check_maps("preexisting_shrink.maps", getpid());
	t_site_released("preexisting_shrink", &before, &snap, id,
			ptr_u64(shrink + P), ptr_u64(shrink + 4 * P), 3 * P);
}

int main(void)
{
	char *grow, *shrink;

	t_init("acct_mremap");
	grow = place(test_area(4), 2 * P, RW);		/* before the reset */
	shrink = place(test_area(5), 4 * P, RW);
	ctl_isolate(ISOLATE_SELF);
	test_grow_in_place();
	test_grow_move();
	test_shrink();
	test_shrink_across_sites();
	test_fixed_onto_other();
	test_failures();
	test_preexisting(grow, shrink);
	snap_take(&snap, getpid());
	t_check_maps("end.maps", getpid());
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}
