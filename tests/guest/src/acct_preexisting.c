// SPDX-License-Identifier: GPL-2.0
/*
 * acct_preexisting.c - releases of anonymous bytes mapped before the reset,
 * which the reset seeded into the process's preexisting sites.
 *
 * - many holes: 21 pages mapped before the reset, alone in their part of
 *   the address space: one region [area, area + 21 pages) of the
 *   preexisting private site.  Then 10 regions of a new site are put over
 *   the odd pages with MAP_FIXED (the preexisting site: 10 unmaps of one
 *   page each, its region split in 11), then one munmap of all 21 pages:
 *   the new site's 10 regions are released, and the preexisting site's 11
 *   regions of one page each, all 11 counted (11 unmaps, 11 pages: more
 *   holes than the module keeps ranges for in one go);
 * - shared: a MAP_SHARED | MAP_ANONYMOUS range mapped before the reset is
 *   a region of the preexisting shared site; unmapping it counts its 3
 *   pages there, as a private one's are.
 * No other seeded site changes, and the procs line is the sum.
 *
 * usage: acct_preexisting   (root, anonstat loaded)
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ
#define PAGES	21

static struct as_snap snap, before, base;

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

/* the preexisting site of kind that holds addr in s, or a FAIL line */
static const struct as_site *seeded_at(const char *check,
				       const struct as_snap *s, void *addr,
				       const char *kind)
{
	const struct as_site *site = snap_site_at(s, addr);
	bool good = site && !strcmp(site->origin, "preexisting") &&
		!strcmp(site->kind, kind) &&
		site == snap_seeded_site(s, "preexisting", kind);

	t_expect(good, check, "%p is not in the preexisting %s site: %s", addr,
		 kind, site_str(site));
	return good ? site : NULL;
}

static void test_holes(char *area)
{
	const struct as_site *seeded = seeded_at("holes_seeded", &base, area,
						 "private");
	struct range even[PAGES / 2 + 1];
	uint64_t site, sid;
	int i;

	if (!seeded)
		return;
	sid = seeded->id;
	t_expect(snap_region_at(&base, ptr_u64(area))->start == ptr_u64(area) &&
		 snap_region_at(&base, ptr_u64(area))->end ==
		 ptr_u64(area + PAGES * P), "holes_seeded_region",
		 "the seeded region is not the %d pages mapped: %s", PAGES,
		 regions_str(&base, sid));

	snap_take(&before, getpid());
	map_odd_pages(area, PAGES);
	snap_take(&snap, getpid());
	t_check_maps("holes_mapped.maps", getpid());
	t_site_delta("holes_mmap_fixed", &before, &snap, sid,
		     &(struct site_delta){ 0, PAGES / 2, 0, (PAGES / 2) * P,
					   PAGES / 2, -(int64_t)(PAGES / 2) * P, 0 });
	for (i = 0; i < PAGES / 2 + 1; i++)
		even[i] = (struct range){ ptr_u64(area + 2 * i * P),
					  ptr_u64(area + (2 * i + 1) * P) };
	site = site_id_at(&snap, area + P);
	for (i = 3; i < PAGES; i += 2)
		if (site_id_at(&snap, area + i * P) != site)
			t_fatal("holes_one_site", "page %d has another site", i);
	t_expect(snap_regions_in(&snap, ptr_u64(area),
				 ptr_u64(area + PAGES * P)) == PAGES,
		 "holes_regions", "%d regions in the area, want %d",
		 snap_regions_in(&snap, ptr_u64(area), ptr_u64(area + PAGES * P)),
		 PAGES);
	{
		int k = 0;

		/* the seeded site's regions in the area are the even pages */
		for (i = 0; i < snap.nregions; i++) {
			const struct as_region *r = &snap.regions[i];

			if (r->site != sid || r->end <= ptr_u64(area) ||
			    r->start >= ptr_u64(area + PAGES * P))
				continue;
			if (k > PAGES / 2 || r->start != even[k].start ||
			    r->end != even[k].end)
				break;
			k++;
		}
		t_expect(i == snap.nregions && k == PAGES / 2 + 1,
			 "holes_seeded_regions", "the preexisting site's regions "
			 "in the area are not its %d even pages: %s",
			 PAGES / 2 + 1, regions_str(&snap, sid));
	}

	before = snap;
	unmap(area, PAGES * P);
	snap_take(&snap, getpid());
	t_check_maps("holes.maps", getpid());
	t_site("holes_site", snap_site(&snap, site), &(struct site_expect){
		"private", PAGES / 2, PAGES / 2, (PAGES / 2) * P, (PAGES / 2) * P,
		0, 0, (PAGES / 2) * P });
	t_site_released("holes_released", &before, &snap, sid, ptr_u64(area),
			ptr_u64(area + PAGES * P), (PAGES / 2 + 1) * P);
	t_site_delta("holes_eleven_unmaps", &before, &snap, sid,
		     &(struct site_delta){ 0, PAGES / 2 + 1, 0,
					   (PAGES / 2 + 1) * P,
					   -(PAGES / 2 + 1),
					   -(int64_t)(PAGES / 2 + 1) * P, 0 });
}

static void test_shared(char *shared)
{
	const struct as_site *seeded = seeded_at("shared_seeded", &base, shared,
						 "shared");

	if (!seeded)
		return;
	snap_take(&before, getpid());
	unmap(shared, 3 * P);
	snap_take(&snap, getpid());
	t_check_maps("shared.maps", getpid());
	t_site_released("shared_released", &before, &snap, seeded->id,
			ptr_u64(shared), ptr_u64(shared + 3 * P), 3 * P);
}

int main(void)
{
	char *area, *shared;
	int i;

	t_init("acct_preexisting");
	/* before the reset */
	area = place(test_area(0), PAGES * P, PROT_READ | PROT_WRITE);
	shared = map_anon(3 * P, MAP_SHARED);
	ctl_isolate(ISOLATE_SELF);
	snap_take(&base, getpid());
	t_check_maps("seeded.maps", getpid());
	t_seeded("seeded", &base, "preexisting");
	test_holes(area);
	test_shared(shared);
	snap_take(&snap, getpid());
	t_check_maps("end.maps", getpid());
	/* the other seeded sites did not change */
	for (i = 0; i < base.nsites; i++) {
		const struct as_site *s = &base.sites[i];
		const struct as_site *now = snap_site(&snap, s->id);

		if (!strcmp(s->kind, "private") || !strcmp(s->kind, "shared"))
			continue;
		if (!now || now->c.unmaps || now->c.live_bytes != s->c.live_bytes) {
			t_fail("other_seeded_unchanged", "%s", site_str(now));
			break;
		}
	}
	if (i == base.nsites)
		t_ok("other_seeded_unchanged");
	t_proc("procs", &snap, &(struct site_expect){
		/* the new site's, then the preexisting ones' */
		NULL, PAGES / 2, PAGES / 2 + PAGES / 2 + (PAGES / 2 + 1) + 1,
		(PAGES / 2) * P,
		(PAGES / 2) * P + (PAGES / 2) * P + (PAGES / 2 + 1) * P + 3 * P,
		base.proc.c.live_regions - 1 - 1,
		base.proc.c.live_bytes - PAGES * P - 3 * P,
		base.proc.c.peak_bytes });
	t_consistent("consistent", &snap);
	t_matches_maps("matches_maps", &snap);
	return t_exit_status();
}
