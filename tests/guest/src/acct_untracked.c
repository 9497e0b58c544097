// SPDX-License-Identifier: GPL-2.0
/*
 * acct_untracked.c - releases of anonymous bytes that no region held.
 *
 * - many holes: 21 pages mapped before the reset (untracked), then 10
 *   regions put over the odd pages with MAP_FIXED (10 untracked pages
 *   released by mmap_fixed), then one munmap of all 21 pages: 10 regions
 *   released and 11 holes of one untracked page each, all 11 counted as
 *   untracked munmap bytes (more holes than the module keeps ranges for:
 *   the rest must be counted too, and not as unclassified);
 * - shared: a MAP_SHARED | MAP_ANONYMOUS range mapped before the reset,
 *   then unmapped: its 3 pages are untracked munmap bytes, as a private
 *   one's are.
 *
 * usage: acct_untracked   (root, anonstat loaded)
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ
#define PAGES	21

static struct as_snap snap;
static struct as_status st0, st1;

/* MAP_FIXED private anonymous pages over the odd pages of base: one site */
static SITE_FN void map_odd_pages(char *base, int pages)
{
	int i;

	for (i = 1; i < pages; i += 2)
		if (mmap(base + i * P, P, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		    base + i * P)
			t_fatal("holes_map", "MAP_FIXED mmap of page %d failed", i);
}

static void test_holes(char *area)
{
	uint64_t site;
	int i;

	status_read(&st0);
	map_odd_pages(area, PAGES);
	status_read(&st1);
	t_status_delta("holes_mmap_fixed", &st0, &st1, "untracked mmap_fixed",
		       (PAGES / 2) * P);
	snap_take(&snap, getpid());
	site = site_id_at(&snap, area + P);
	for (i = 3; i < PAGES; i += 2)
		if (site_id_at(&snap, area + i * P) != site)
			t_fatal("holes_one_site", "page %d has another site", i);
	t_expect(snap_regions_in(&snap, ptr_u64(area),
				 ptr_u64(area + PAGES * P)) == PAGES / 2,
		 "holes_regions", "%d regions in the area, want %d",
		 snap_regions_in(&snap, ptr_u64(area), ptr_u64(area + PAGES * P)),
		 PAGES / 2);

	status_read(&st0);
	unmap(area, PAGES * P);
	status_read(&st1);
	snap_take(&snap, getpid());
	t_site("holes_site", snap_site(&snap, site), &(struct site_expect){
		"private", PAGES / 2, PAGES / 2, (PAGES / 2) * P, (PAGES / 2) * P,
		0, 0, (PAGES / 2) * P });
	t_status_delta("holes_untracked", &st0, &st1, "untracked munmap",
		       (PAGES / 2 + 1) * P);
	t_status_delta("holes_not_unclassified", &st0, &st1,
		       "untracked unclassified", 0);
}

static void test_shared(char *shared)
{
	status_read(&st0);
	unmap(shared, 3 * P);
	status_read(&st1);
	t_status_delta("shared_untracked", &st0, &st1, "untracked munmap", 3 * P);
	t_status_delta("shared_not_unclassified", &st0, &st1,
		       "untracked unclassified", 0);
}

int main(void)
{
	char *area, *shared;

	t_init("acct_untracked");
	/* before the reset: untracked */
	area = place(test_area(0), PAGES * P, PROT_READ | PROT_WRITE);
	shared = map_anon(3 * P, MAP_SHARED);
	ctl_isolate(ISOLATE_SELF);
	test_holes(area);
	test_shared(shared);
	snap_take(&snap, getpid());
	t_consistent("consistent", &snap);
	return t_exit_status();
}
