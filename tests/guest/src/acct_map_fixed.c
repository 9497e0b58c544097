// SPDX-License-Identifier: GPL-2.0
/*
 * acct_map_fixed.c - releases by mmap(MAP_FIXED), and reservations.
 *
 * - site A maps 8 pages; site B maps 2 pages over A's middle (A loses them:
 *   unmaps +1, split in 2 regions; B owns the new region); site C maps over
 *   A's tail page and one free page; site D maps over A, B, A at once
 *   (A: 2 more unmaps, B: 1);
 * - MAP_FIXED over a range mapped before the reset: the preexisting
 *   private site that the reset seeded with it releases it, and the new
 *   site owns the whole new region;
 * - a PROT_NONE reservation committed piecewise with MAP_FIXED is counted
 *   once: the process's live bytes grow by the reservation's size; then
 *   mprotect and madvise change nothing.
 *
 * usage: acct_map_fixed   (root, anonstat loaded)
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ
#define RW	(PROT_READ | PROT_WRITE)

static struct as_snap snap, before;

SITE_FN void *map_fixed(void *addr, size_t len, int prot)
{
	void *p = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);

	if (p != addr)
		t_fatal("map_fixed", "mmap(%p, %zu, MAP_FIXED) = %p", addr, len, p);
	return p;
}

/* MAP_FIXED maps of the page ranges pages[0..n) of base: one call site */
SITE_FN void map_fixed_n(char *base, const struct range *pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		map_fixed(base + pages[i].start * P,
			  (pages[i].end - pages[i].start) * P, RW);
}

static void test_over_other_sites(void)
{
	char *area = test_area(0);
	uint64_t a, b, c, d;

	place(area, 8 * P, RW);
	map_fixed(area + 2 * P, 2 * P, RW);
	snap_take(&snap, getpid());
	t_check_maps("middle.maps", getpid());
	a = site_id_at(&snap, area);
	b = site_id_at(&snap, area + 2 * P);
	t_expect(a != b, "middle_two_sites", "A and B are one site");
	t_site("middle_a", snap_site(&snap, a), &(struct site_expect){
		"private", 1, 1, 8 * P, 2 * P, 2, 6 * P, 8 * P });
	t_site_pages("middle_a_regions", &snap, a, area,
		     (struct range[]){ { 0, 2 }, { 4, 8 } }, 2);
	t_site("middle_b", snap_site(&snap, b), &(struct site_expect){
		"private", 1, 0, 2 * P, 0, 1, 2 * P, 2 * P });
	t_site_pages("middle_b_regions", &snap, b, area,
		     (struct range[]){ { 2, 4 } }, 1);

	snap_take(&before, getpid());
	map_fixed(area + 7 * P, 2 * P, RW);
	snap_take(&snap, getpid());
	t_check_maps("tail.maps", getpid());
	c = site_id_at(&snap, area + 7 * P);
	t_site("tail_a", snap_site(&snap, a), &(struct site_expect){
		"private", 1, 2, 8 * P, 3 * P, 2, 5 * P, 8 * P });
	t_site_pages("tail_a_regions", &snap, a, area,
		     (struct range[]){ { 0, 2 }, { 4, 7 } }, 2);
	t_site("tail_c", snap_site(&snap, c), &(struct site_expect){
		"private", 1, 0, 2 * P, 0, 1, 2 * P, 2 * P });
	t_site_pages("tail_c_regions", &snap, c, area,
		     (struct range[]){ { 7, 9 } }, 1);
	t_seeded_unchanged("tail_seeded_unchanged", &before, &snap);

	map_fixed(area + 1 * P, 4 * P, RW);
	snap_take(&snap, getpid());
	t_check_maps("span.maps", getpid());
	d = site_id_at(&snap, area + 1 * P);
	t_site("span_a", snap_site(&snap, a), &(struct site_expect){
		"private", 1, 4, 8 * P, 5 * P, 2, 3 * P, 8 * P });
	t_site_pages("span_a_regions", &snap, a, area,
		     (struct range[]){ { 0, 1 }, { 5, 7 } }, 2);
	t_site("span_b", snap_site(&snap, b), &(struct site_expect){
		"private", 1, 1, 2 * P, 2 * P, 0, 0, 2 * P });
	t_site("span_d", snap_site(&snap, d), &(struct site_expect){
		"private", 1, 0, 4 * P, 0, 1, 4 * P, 4 * P });
	t_site_pages("span_d_regions", &snap, d, area,
		     (struct range[]){ { 1, 5 } }, 1);
}

static void test_over_preexisting(char *old)
{
	const struct as_site *seeded;
	uint64_t e;

	snap_take(&before, getpid());
	seeded = t_preexisting_site_at("preexisting_site", &before, old);
	if (!seeded)
		return;
	map_fixed(old, 3 * P, RW);
	snap_take(&snap, getpid());
	t_check_maps("preexisting.maps", getpid());
	e = site_id_at(&snap, old);
	t_site_released("preexisting_mmap_fixed", &before, &snap, seeded->id,
			ptr_u64(old), ptr_u64(old + 3 * P), 3 * P);
	t_site("preexisting_new_site", snap_site(&snap, e), &(struct site_expect){
		"private", 1, 0, 3 * P, 0, 1, 3 * P, 3 * P });
	t_site_pages("preexisting_new_regions", &snap, e, old,
		     (struct range[]){ { 0, 3 } }, 1);
}

/* commits of pages [0,4) [8,10) [14,16) in a 16-page PROT_NONE reservation */
static void test_reservation(void)
{
	static const struct range commits[] = { { 0, 4 }, { 8, 10 }, { 14, 16 } };
	char *area = test_area(1);
	uint64_t live0, r, c;

	snap_take(&before, getpid());
	live0 = before.proc.c.live_bytes;
	place(area, 16 * P, PROT_NONE);
	map_fixed_n(area, commits, 3);
	snap_take(&snap, getpid());
	t_check_maps("reserve.maps", getpid());
	r = site_id_at(&snap, area + 4 * P);
	c = site_id_at(&snap, area);
	t_eq("reserve_counted_once", snap.proc.c.live_bytes - live0, 16 * P);
	t_site("reserve_site", snap_site(&snap, r), &(struct site_expect){
		"private", 1, 3, 16 * P, 8 * P, 2, 8 * P, 16 * P });
	t_site_pages("reserve_regions", &snap, r, area,
		     (struct range[]){ { 4, 8 }, { 10, 14 } }, 2);
	t_site("commit_site", snap_site(&snap, c), &(struct site_expect){
		"private", 3, 0, 8 * P, 0, 3, 8 * P, 8 * P });
	t_site_pages("commit_regions", &snap, c, area, commits, 3);

	snap_take(&before, getpid());
	if (mprotect(area + 4 * P, 4 * P, RW) ||
	    madvise(area, 16 * P, MADV_DONTNEED))
		t_fatal("mprotect", "mprotect/madvise failed");
	snap_take(&snap, getpid());
	t_check_maps("mprotect_madvise.maps", getpid());
	t_same_state("mprotect_madvise_unchanged", &before, &snap,
		     false);
}

int main(void)
{
	char *old;

	t_init("acct_map_fixed");
	old = map_anon(3 * P, MAP_PRIVATE);	/* before the reset */
	ctl_isolate(ISOLATE_SELF);
	test_over_other_sites();
	test_over_preexisting(old);
	test_reservation();
	snap_take(&snap, getpid());
	t_check_maps("end.maps", getpid());
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}
