// SPDX-License-Identifier: GPL-2.0
/*
 * acct_munmap.c - partial releases by munmap.
 *
 * - one 8-page region loses its head page, then its tail page, then a
 *   middle page (it splits: live_regions 2), then the rest in one munmap
 *   over both pieces and the hole between them;
 * - three regions of one site at chosen offsets of a free area, and one
 *   munmap spanning the tail of the first, all of the second, the head of
 *   the third and the holes between them: 3 unmaps, and no other site
 *   changes;
 * - munmap of a range mapped before the reset: the preexisting private
 *   site that the reset seeded with it releases it (one unmap per region
 *   it held there), and no other site changes.
 *
 * Each (munmap, region) pair that releases bytes counts one unmap.
 *
 * usage: acct_munmap   (root, anonstat loaded)
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ

static struct as_snap snap, before;

/* One step of the head/tail/middle sequence and what it must leave. */
struct cut {
	const char *name;
	uint64_t off, len;		/* pages released, from the region start */
	struct site_expect want;
	struct range left[2];		/* page offsets of what remains */
	int nleft;
};

static const struct cut cuts[] = {
	{ "head", 0, 1, { "private", 1, 1, 8 * P, 1 * P, 1, 7 * P, 8 * P },
	  { { 1, 8 } }, 1 },
	{ "tail", 7, 1, { "private", 1, 2, 8 * P, 2 * P, 1, 6 * P, 8 * P },
	  { { 1, 7 } }, 1 },
	{ "middle", 3, 1, { "private", 1, 3, 8 * P, 3 * P, 2, 5 * P, 8 * P },
	  { { 1, 3 }, { 4, 7 } }, 2 },
	{ "rest", 0, 8, { "private", 1, 5, 8 * P, 8 * P, 0, 0, 8 * P },
	  { { 0, 0 } }, 0 },
};

static void test_head_tail_middle(void)
{
	char *p = map_anon(8 * P, MAP_PRIVATE);
	uint64_t site;
	size_t i;

	snap_take(&snap, getpid());
	site = site_id_at(&snap, p);
	for (i = 0; i < ARRAY_SIZE(cuts); i++) {
		const struct cut *c = &cuts[i];
		char check[64];

		unmap(p + c->off * P, c->len * P);
		snap_take(&snap, getpid());
		snprintf(check, sizeof(check), "%s_site", c->name);
		t_site(check, snap_site(&snap, site), &c->want);
		snprintf(check, sizeof(check), "%s_regions", c->name);
		t_site_pages(check, &snap, site, p, c->left, c->nleft);
		snprintf(check, sizeof(check), "%s.maps_window", c->name);
		t_check_maps_in(check, getpid(), p, p + 8 * P);
		snprintf(check, sizeof(check), "%s.maps", c->name);
		t_check_maps(check, getpid());
	}
}

/* regions at pages [1,3) [5,8) [10,14) of the area; munmap [2,12) */
static void test_span(void)
{
	static const struct range placed[] = { { 1, 3 }, { 5, 8 }, { 10, 14 } };
	static const struct range kept[] = { { 1, 2 }, { 12, 14 } };
	char *area = test_area(0);
	uint64_t site;

	place_n(area, placed, 3, PROT_READ | PROT_WRITE);
	snap_take(&before, getpid());
	t_check_maps_in("span_placed.maps_window", getpid(), area, area + 16 * P);
	t_check_maps("span_placed.maps", getpid());
	site = site_id_at(&before, area + P);
	t_expect(site_id_at(&before, area + 5 * P) == site &&
		 site_id_at(&before, area + 10 * P) == site,
		 "span_one_site", "the three regions are not of one site");
	unmap(area + 2 * P, 10 * P);
	snap_take(&snap, getpid());
	t_site("span_site", snap_site(&snap, site), &(struct site_expect){
		"private", 3, 3, 9 * P, 6 * P, 2, 3 * P, 9 * P });
	t_site_pages("span_regions", &snap, site, area, kept, 2);
	t_seeded_unchanged("span_seeded_unchanged", &before, &snap);
	t_check_maps_in("span.maps_window", getpid(), area, area + 16 * P);
	t_check_maps("span.maps", getpid());
	unmap(area, 16 * P);
	t_check_maps_in("span_all.maps_window", getpid(), area, area + 16 * P);
}

static void test_preexisting(char *old)
{
	const struct as_site *seeded;

	snap_take(&before, getpid());
	seeded = t_preexisting_site_at("preexisting_site", &before, old);
	if (!seeded)
		return;
	unmap(old, 3 * P);
	snap_take(&snap, getpid());
	t_check_maps("preexisting.maps", getpid());
	t_site_released("preexisting_munmap", &before, &snap, seeded->id,
			ptr_u64(old), ptr_u64(old + 3 * P), 3 * P);
	t_eq("preexisting_only_site", (uint64_t)snap.nsites,
	     (uint64_t)before.nsites);
	t_proc("preexisting_procs", &snap, &(struct site_expect){
		NULL, before.proc.c.maps, before.proc.c.unmaps + 1,
		before.proc.c.bytes_mapped, before.proc.c.bytes_unmapped + 3 * P,
		AS_ANY, before.proc.c.live_bytes - 3 * P,
		before.proc.c.peak_bytes });
}

int main(void)
{
	char *old;

	t_init("acct_munmap");
	old = map_anon(3 * P, MAP_PRIVATE);	/* before the reset */
	ctl_isolate(ISOLATE_SELF);
	/* the maps checks follow the invariant of issue 13 (lib/oracle.c) */
	test_head_tail_middle();
	test_span();
	test_preexisting(old);
	snap_take(&snap, getpid());
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}
