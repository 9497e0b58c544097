// SPDX-License-Identifier: GPL-2.0
/*
 * acct_brk.c - brk growth and shrinking (kind brk).
 *
 * The break is page-aligned and grown by 2 pages before the reset: the
 * reset seeds that heap as a region of the preexisting brk site, which must
 * be exactly [start, B).  Then, from one call site, the break goes to a
 * sequence of targets above that base B; each growth is a region whose
 * bounds are the page-rounded old and new breaks, each shrink releases
 * from the regions above the page-rounded new break (one unmap per region
 * touched).  The last target is below B: the 2 pages made before the reset
 * are released from the preexisting brk site (one unmap).  A growth into a
 * mapping fails and changes nothing.
 *
 * usage: acct_brk   (root, anonstat loaded)
 */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ

static struct as_snap snap, before, seed;

struct brk_step {
	const char *name;
	uint64_t target;		/* bytes above B */
	struct site_expect want;
	struct range left[2];		/* pages above B */
	int nleft;
};

static const struct brk_step brk_steps[] = {
	{ "grow3", 3 * P, { "brk", 1, 0, 3 * P, 0, 1, 3 * P, 3 * P },
	  { { 0, 3 } }, 1 },
	{ "grow5", 5 * P, { "brk", 2, 0, 5 * P, 0, 2, 5 * P, 5 * P },
	  { { 0, 3 }, { 3, 5 } }, 2 },
	/* 1 page + 100 bytes: the break's page end is B + 2 pages */
	{ "shrink2", P + 100, { "brk", 2, 2, 5 * P, 3 * P, 1, 2 * P, 5 * P },
	  { { 0, 2 } }, 1 },
	{ "grow4", 4 * P, { "brk", 3, 2, 7 * P, 3 * P, 2, 4 * P, 5 * P },
	  { { 0, 2 }, { 2, 4 } }, 2 },
};

static uint64_t sys_brk(uint64_t addr)
{
	return (uint64_t)syscall(SYS_brk, addr);
}

SITE_FN uint64_t set_brk(uint64_t addr)
{
	return sys_brk(addr);
}

/* after step s: the site of the region at base (the first step's) */
static void check_step(const struct brk_step *s, uint64_t base, uint64_t site)
{
	char check[64];

	snprintf(check, sizeof(check), "%s_site", s->name);
	t_site(check, snap_site(&snap, site), &s->want);
	snprintf(check, sizeof(check), "%s_regions", s->name);
	t_site_pages(check, &snap, site, (void *)(uintptr_t)base, s->left,
		     s->nleft);
	snprintf(check, sizeof(check), "%s.maps", s->name);
	t_check_maps(check, getpid());
}

/* steps[0..n) then back to start; a loop with a count that gcc cannot see */
SITE_FN void test_steps(const struct brk_step *steps, size_t n, uint64_t start,
			uint64_t base)
{
	const struct as_site *seeded;
	uint64_t site = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		bool last = i == n;
		uint64_t target = last ? start : base + steps[i].target;

		if (last)
			snap_take(&before, getpid());
		if (set_brk(target) != target)
			t_fatal("brk", "brk(%#lx) failed", (unsigned long)target);
		if (last)
			break;
		snap_take(&snap, getpid());
		if (i == 0)
			site = site_id_at(&snap, (void *)(uintptr_t)base);
		check_step(&steps[i], base, site);
	}
	snap_take(&snap, getpid());
	t_check_maps("shrink_all.maps", getpid());
	t_site("shrink_all_site", snap_site(&snap, site), &(struct site_expect){
		"brk", 3, 4, 7 * P, 7 * P, 0, 0, 5 * P });
	seeded = snap_seeded_site(&before, "preexisting", "brk");
	if (t_expect(seeded, "shrink_all_seeded", "no preexisting brk site"))
		t_site_released("shrink_all_preexisting", &before, &snap,
				seeded->id, start, base, 2 * P);
}

/* a growth into a mapping fails and changes nothing */
static void test_blocked(void)
{
	uint64_t cur = sys_brk(0);
	char *block = place((void *)(uintptr_t)(cur + 4 * P), P, PROT_READ);

	snap_take(&before, getpid());
	t_expect(set_brk(cur + 6 * P) == cur, "blocked_fails",
		 "brk into a mapping succeeded");
	snap_take(&snap, getpid());
	t_check_maps("blocked.maps", getpid());
	t_same_state("blocked_unchanged", &before, &snap, false);
	unmap(block, P);
}

int main(void)
{
	const struct as_site *seeded;
	uint64_t start, base_brk;

	t_init("acct_brk");
	start = sys_brk(0);
	start = (start + P - 1) & ~(P - 1);
	base_brk = start + 2 * P;
	if (sys_brk(base_brk) != base_brk)	/* before the reset: seeded */
		t_fatal("brk", "brk(%#lx) failed", (unsigned long)base_brk);
	ctl_isolate(ISOLATE_SELF);
	snap_take(&seed, getpid());
	t_seeded("seeded", &seed, "preexisting");
	seeded = snap_seeded_site(&seed, "preexisting", "brk");
	t_expect(seeded, "seeded_heap_site", "no preexisting brk site");
	if (seeded)
		t_site_regions("seeded_heap", &seed, seeded->id,
			       &(struct range){ start, base_brk }, 1);
	test_steps(brk_steps, ARRAY_SIZE(brk_steps), start, base_brk);
	test_blocked();
	snap_take(&snap, getpid());
	t_check_maps("end.maps", getpid());
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}
