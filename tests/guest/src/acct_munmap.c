// SPDX-License-Identifier: GPL-2.0
/*
 * acct_munmap.c - partial releases by munmap.
 *
 * - one 8-page region loses its head page, then its tail page, then a
 *   middle page (it splits: live_regions 2), then the rest in one munmap
 *   over both pieces and the hole between them;
 * - three regions of one site at chosen offsets of a free area, and one
 *   munmap spanning the tail of the first, all of the second, the head of
 *   the third and the holes between them: 3 unmaps, no untracked bytes;
 * - munmap of a range mapped before the reset: only status untracked.
 *
 * Each (munmap, region) pair that releases bytes counts one unmap.
 *
 * usage: acct_munmap   (root, anonstat loaded)
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ

static struct as_snap snap, before;
static struct as_status st0, st1;

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
	snap_take(&snap, getpid());
	site = site_id_at(&snap, area + P);
	t_expect(site_id_at(&snap, area + 5 * P) == site &&
		 site_id_at(&snap, area + 10 * P) == site,
		 "span_one_site", "the three regions are not of one site");
	status_read(&st0);
	unmap(area + 2 * P, 10 * P);
	status_read(&st1);
	snap_take(&snap, getpid());
	t_site("span_site", snap_site(&snap, site), &(struct site_expect){
		"private", 3, 3, 9 * P, 6 * P, 2, 3 * P, 9 * P });
	t_site_pages("span_regions", &snap, site, area, kept, 2);
	t_status_delta("span_no_untracked", &st0, &st1, "untracked munmap", 0);
	unmap(area, 16 * P);
}

static void test_untracked(char *old)
{
	snap_take(&before, getpid());
	status_read(&st0);
	unmap(old, 3 * P);
	status_read(&st1);
	snap_take(&snap, getpid());
	t_status_delta("untracked_munmap", &st0, &st1, "untracked munmap", 3 * P);
	t_same_state("untracked_no_record", &before, &snap, false);
}

int main(void)
{
	char *old;

	t_init("acct_munmap");
	old = map_anon(3 * P, MAP_PRIVATE);	/* before the reset */
	ctl_isolate(ISOLATE_SELF);
	test_head_tail_middle();
	test_span();
	test_untracked(old);
	snap_take(&snap, getpid());
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}
