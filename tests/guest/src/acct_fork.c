// SPDX-License-Identifier: GPL-2.0
/*
 * acct_fork.c - regions inherited at fork.
 *
 * The parent maps two plain private regions, a shared one, one with
 * MADV_DONTFORK, one with MADV_WIPEONFORK and one whose middle pages are
 * MADV_DONTFORK.  The child checks its own records: the regions it really
 * has are listed for it with the same bounds, `inherited 1`, owned by child
 * sites with the parent sites' frames and kind, counted in live bytes but
 * not in maps (the WIPEONFORK one too: the child has the range, empty);
 * the DONTFORK one and the DONTFORK middle are absent.  The regions the reset seeded in the parent (its preexisting
 * sites) are inherited the same way: a child site of the same kind and
 * origin per parent one, with the same regions, all inherited, and no
 * maps.  The child's procs line is the sum of both, and its first call
 * finds nothing to fill in (no site of origin exec).  The child unmaps one
 * region and exits.  The parent then checks that its own records did not
 * change and that the child's procs line says exited with nothing live,
 * every region it had released (the seeded ones too).
 *
 * usage: acct_fork   (root, anonstat loaded; uses `pid all`)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ

static struct as_snap parent, child, after;
static struct range seeded_want[SNAP_MAX_REGIONS];
/* the parent's seeded regions at the fork: how many, their bytes */
static int seeded_regions;
static uint64_t seeded_bytes;

enum { PLAIN1, PLAIN2, SHARED, DONTFORK, WIPEONFORK, HOLED, NR_MAPS };

struct fork_map {
	const char *name;
	char *addr;
	size_t len;
	/* page ranges the child has, relative to addr */
	struct range kept[2];
	int nkept;
};

static struct fork_map maps[NR_MAPS] = {
	[PLAIN1] = { "plain1", NULL, 2 * P, { { 0, 2 } }, 1 },
	[PLAIN2] = { "plain2", NULL, 3 * P, { { 0, 3 } }, 1 },
	[SHARED] = { "shared", NULL, 2 * P, { { 0, 2 } }, 1 },
	[DONTFORK] = { "dontfork", NULL, P, { { 0, 0 } }, 0 },
	/* the child has the range, empty: it counts */
	[WIPEONFORK] = { "wipeonfork", NULL, P, { { 0, 1 } }, 1 },
	[HOLED] = { "holed", NULL, 4 * P, { { 0, 1 }, { 3, 4 } }, 2 },
};

static void advise(void *addr, size_t len, int advice)
{
	if (madvise(addr, len, advice))
		t_fatal("madvise", "madvise(%p, %zu, %d) failed", addr, len, advice);
}

/* one call site per mapping */
static void map_all(void)
{
	maps[PLAIN1].addr = map_anon(maps[PLAIN1].len, MAP_PRIVATE);
	maps[PLAIN2].addr = map_anon(maps[PLAIN2].len, MAP_PRIVATE);
	maps[SHARED].addr = map_anon(maps[SHARED].len, MAP_SHARED);
	maps[DONTFORK].addr = map_anon(maps[DONTFORK].len, MAP_PRIVATE);
	maps[WIPEONFORK].addr = map_anon(maps[WIPEONFORK].len, MAP_PRIVATE);
	maps[HOLED].addr = map_anon(maps[HOLED].len, MAP_PRIVATE);
	advise(maps[DONTFORK].addr, P, MADV_DONTFORK);
	advise(maps[WIPEONFORK].addr, P, MADV_WIPEONFORK);
	advise(maps[HOLED].addr + P, 2 * P, MADV_DONTFORK);
}

static uint64_t kept_bytes(const struct fork_map *m)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < m->nkept; i++)
		sum += (m->kept[i].end - m->kept[i].start) * P;
	return sum;
}

/* the child's copy of m: same bounds, inherited, a site like the parent's */
static void check_inherited(const struct fork_map *m)
{
	const struct as_site *ps = snap_site_at(&parent, m->addr);
	const struct as_region *r = snap_region_at(&child,
			ptr_u64(m->addr + m->kept[0].start * P));
	const struct as_site *cs = r ? snap_site(&child, r->site) : NULL;
	char check[64];
	int i;

	snprintf(check, sizeof(check), "child_%s_site", m->name);
	if (!t_expect(ps && cs, check, "no parent site or no child region"))
		return;
	t_expect(cs->id != ps->id && !strcmp(cs->kind, ps->kind) &&
		 cs->nframes == ps->nframes &&
		 !memcmp(cs->frames, ps->frames, sizeof(ps->frames[0]) *
			 (size_t)ps->nframes), check,
		 "child site %" PRIu64 " %s vs parent site %" PRIu64 " %s",
		 cs->id, cs->kind, ps->id, ps->kind);
	snprintf(check, sizeof(check), "child_%s_counters", m->name);
	t_site(check, cs, &(struct site_expect){ ps->kind, 0, 0, 0, 0,
		(uint64_t)m->nkept, kept_bytes(m), kept_bytes(m) });
	for (i = 0; i < m->nkept; i++) {
		r = snap_region_at(&child, ptr_u64(m->addr + m->kept[i].start * P));
		snprintf(check, sizeof(check), "child_%s_inherited%d", m->name, i);
		t_expect(r && r->inherited == 1, check, "region not marked inherited");
	}
	snprintf(check, sizeof(check), "child_%s_regions", m->name);
	t_site_pages(check, &child, cs->id, m->addr, m->kept, m->nkept);
}

static void check_absent(const struct fork_map *m)
{
	char check[64];

	snprintf(check, sizeof(check), "child_%s_absent", m->name);
	t_eq(check, (uint64_t)snap_regions_in(&child, ptr_u64(m->addr),
					      ptr_u64(m->addr + m->len)), 0);
}

static uint64_t child_live_bytes(void)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < NR_MAPS; i++)
		sum += kept_bytes(&maps[i]);
	return sum;
}

static int child_regions(void)
{
	int i, n = 0;

	for (i = 0; i < NR_MAPS; i++)
		n += maps[i].nkept;
	return n;
}

/* the child's copies of the parent's seeded sites and regions */
static void check_inherited_seeded(void)
{
	char check[64];
	int i, k;

	for (i = 0; i < parent.nsites; i++) {
		const struct as_site *ps = &parent.sites[i], *cs;
		int n = 0;

		if (!site_seeded(ps))
			continue;
		cs = snap_seeded_site(&child, ps->origin, ps->kind);
		snprintf(check, sizeof(check), "child_%s_%s_counters",
			 ps->origin, ps->kind);
		t_site(check, cs, &(struct site_expect){ ps->kind, 0, 0, 0, 0,
			ps->c.live_regions, ps->c.live_bytes, ps->c.live_bytes });
		if (!cs)
			continue;
		for (k = 0; k < parent.nregions; k++)
			if (parent.regions[k].site == ps->id)
				seeded_want[n++] = (struct range){
					parent.regions[k].start,
					parent.regions[k].end };
		snprintf(check, sizeof(check), "child_%s_%s_regions",
			 ps->origin, ps->kind);
		t_site_regions(check, &child, cs->id, seeded_want, n);
		for (k = 0; k < child.nregions; k++)
			if (child.regions[k].site == cs->id &&
			    !child.regions[k].inherited)
				break;
		snprintf(check, sizeof(check), "child_%s_%s_inherited",
			 ps->origin, ps->kind);
		t_expect(k == child.nregions, check, "region [%#" PRIx64
			 ",...) not marked inherited",
			 k < child.nregions ? child.regions[k].start : 0);
	}
	t_eq("child_seeded_sites", (uint64_t)(snap_origin_sites(&child,
		"preexisting") + snap_origin_sites(&child, "exec")),
	     (uint64_t)(snap_origin_sites(&parent, "preexisting") +
			snap_origin_sites(&parent, "exec")));
}

static void run_child(void)
{
	const struct fork_map *m = &maps[PLAIN1];
	uint64_t live = child_live_bytes();
	uint64_t site;
	int i;

	snap_take(&child, getpid());
	t_check_maps("child.maps", getpid());
	t_proc("child_procs", &child, &(struct site_expect){
		.maps = 0, .unmaps = 0, .bytes_mapped = 0, .bytes_unmapped = 0,
		.live_regions = (uint64_t)(child_regions() + seeded_regions),
		.live_bytes = live + seeded_bytes,
		.peak_bytes = live + seeded_bytes });
	check_inherited_seeded();
	for (i = 0; i < NR_MAPS; i++) {
		if (maps[i].nkept)
			check_inherited(&maps[i]);
		else
			check_absent(&maps[i]);
	}
	t_consistent("child_consistent", &child);
	t_times("child_times", &child);

	site = site_id_at(&child, m->addr);
	unmap(m->addr, m->len);
	snap_take(&child, getpid());
	t_check_maps("child_unmap.maps", getpid());
	t_site("child_unmap", snap_site(&child, site), &(struct site_expect){
		NULL, 0, 1, 0, m->len, 0, 0, m->len });
	t_consistent("child_unmap_consistent", &child);
	t_eq("child_nothing_filled_in",
	     (uint64_t)snap_origin_sites(&child, "exec"), 0);
	_exit(t_failures() > 255 ? 255 : t_failures());
}

/* the child's record once it has exited */
static void check_exited_child(pid_t pid)
{
	uint64_t live = child_live_bytes();

	snap_take(&child, pid);
	t_expect(child.has_proc && !strcmp(child.proc.state, "exited") &&
		 child.proc.c.live_bytes == 0 && child.proc.c.live_regions == 0,
		 "child_exited", "procs line of child %d: state %s live %" PRIu64
		 " bytes in %" PRIu64, (int)pid, child.proc.state,
		 child.proc.c.live_bytes, child.proc.c.live_regions);
	t_eq("child_exited_no_regions", (uint64_t)child.nregions, 0);
	/* the munmap, then exit releases the other inherited regions */
	t_proc("child_exit_releases", &child, &(struct site_expect){
		.maps = 0,
		.unmaps = (uint64_t)(child_regions() + seeded_regions),
		.bytes_mapped = 0, .bytes_unmapped = live + seeded_bytes,
		.live_regions = 0, .live_bytes = 0,
		.peak_bytes = live + seeded_bytes });
}

int main(void)
{
	int status;
	pid_t pid;

	t_init("acct_fork");
	ctl_isolate(ISOLATE_ALL);
	map_all();
	snap_take(&parent, getpid());
	t_check_maps("parent.maps", getpid());
	seeded_regions = snap_origin_regions(&parent, "preexisting",
					     &seeded_bytes);
	t_eq("parent_seeded_only", (uint64_t)snap_origin_sites(&parent, "exec"),
	     0);
	pid = fork();
	if (pid < 0)
		t_fatal("fork", "fork failed");
	if (pid == 0)
		run_child();
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		t_fatal("child", "child did not exit normally (status %#x)", status);
	t_add_failures(WEXITSTATUS(status));
	snap_take(&after, getpid());
	t_check_maps("parent_after.maps", getpid());
	t_same_state("parent_unchanged", &parent, &after, true);
	check_exited_child(pid);
	return t_exit_status();
}
