// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_caps.c - the caps.
 *
 * Seeded regions and sites count against the caps: after each reset the
 * process already has its preexisting sites and regions (S of them), so
 * the caps are set to S plus what the test means to allow.
 *
 * - max_regions S + 100, then 1000 one-page maps from one site: exactly
 *   the first 100 are tracked (site maps 100, status regions S + 100),
 *   drop regions_cap +900; unmapping all 1000: the site counts 100 unmaps,
 *   the procs line 100 unmaps in all (the 900 dropped regions are no
 *   region's), nothing more is dropped and the seeded sites do not change;
 * - max_regions S: nothing new is tracked (drop regions_cap +3; no region
 *   nor map of a call site), the procs line and seeded sites stay as the
 *   reset left them;
 * - max_sites S + 2, maps from three sites: the third one's regions are
 *   dropped (drop sites_cap), and its releases count nowhere: the procs
 *   line has the first two sites' 4 unmaps only;
 * - retain_exited 2 (processes of this name only), three children that
 *   map and exit one after the other: procs keeps the last two, oldest
 *   exit first.
 *
 * usage: ctl_caps   (root, anonstat loaded)
 */
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P		PAGE_SZ
#define NMAPS		1000
#define CAP		100

static struct as_snap snap, base;
static struct as_status st0, st1;
static char *pages[NMAPS];

static void unmap_pages(int n)
{
	int i;

	for (i = 0; i < n; i++)
		unmap(pages[i], P);
}

/* pages[0..n) are tracked, pages[n..total) are not */
static void check_first_tracked(const char *check, int n, int total)
{
	int i;

	for (i = 0; i < total; i++) {
		bool tracked = snap_region_at(&snap, ptr_u64(pages[i])) != NULL;

		if (tracked != (i < n)) {
			t_fail(check, "map %d of %d %s tracked", i, total,
			       tracked ? "is" : "is not");
			return;
		}
	}
	t_ok(check);
}

/* the snapshot base of this process right after a reset, checked */
static void take_base(const char *check)
{
	snap_take(&base, getpid());
	status_read(&st0);
	if (!t_seeded(check, &base, "preexisting"))
		t_fatal(check, "no seeded baseline");
	if (status_num(&st0, "regions") != (uint64_t)base.nregions ||
	    status_num(&st0, "sites") != (uint64_t)base.nsites)
		t_fatal(check, "status regions %s sites %s, this process %d / %d",
			status_get(&st0, "regions"), status_get(&st0, "sites"),
			base.nregions, base.nsites);
}

static void test_regions_cap(void)
{
	uint64_t site;

	take_base("regions_cap_seeded");
	ctl_must("max_regions %d", base.nregions + CAP);
	status_read(&st0);
	map_n(pages, NMAPS, P, MAP_PRIVATE);
	status_read(&st1);
	snap_take(&snap, getpid());
	site = site_id_at(&snap, pages[0]);
	t_site("regions_cap_site", snap_site(&snap, site), &(struct site_expect){
		"private", CAP, 0, CAP * P, 0, CAP, CAP * P, CAP * P });
	check_first_tracked("regions_cap_first", CAP, NMAPS);
	t_eq("regions_cap_status_regions", status_num(&st1, "regions"),
	     (uint64_t)base.nregions + CAP);
	t_status_delta("regions_cap_drops", &st0, &st1, "drop regions_cap",
		       NMAPS - CAP);
	t_seeded_unchanged("regions_cap_seeded_unchanged", &base, &snap);

	status_read(&st0);
	unmap_pages(NMAPS);
	status_read(&st1);
	snap_take(&snap, getpid());
	t_site("regions_cap_unmapped", snap_site(&snap, site), &(struct site_expect){
		"private", CAP, CAP, CAP * P, CAP * P, 0, 0, CAP * P });
	t_proc("regions_cap_unmapped_procs", &snap, &(struct site_expect){
		NULL, CAP, CAP, CAP * P, CAP * P, base.proc.c.live_regions,
		base.proc.c.live_bytes, base.proc.c.live_bytes + CAP * P });
	t_status_delta("regions_cap_unmapped_no_drop", &st0, &st1,
		       "drop regions_cap", 0);
	t_seeded_unchanged("regions_cap_unmapped_seeded", &base, &snap);
}

static void test_zero_regions(void)
{
	uint64_t bytes, maps = 0;
	int i, n;

	ctl_must("reset");
	take_base("zero_regions_seeded");
	ctl_must("max_regions %d", base.nregions);
	status_read(&st0);
	map_n(pages, 3, P, MAP_PRIVATE);
	status_read(&st1);
	snap_take(&snap, getpid());
	n = snap_origin_regions(&snap, "call", &bytes);
	for (i = 0; i < snap.nsites; i++)
		maps += snap.sites[i].c.maps;
	t_expect(!n && !maps, "zero_regions_tracked", "%d regions, %" PRIu64
		 " maps of call sites", n, maps);
	t_eq("zero_regions_status", status_num(&st1, "regions"),
	     (uint64_t)base.nregions);
	t_status_delta("zero_regions_drops", &st0, &st1, "drop regions_cap", 3);
	t_seeded_unchanged("zero_regions_seeded_unchanged", &base, &snap);
	t_proc("zero_regions_procs", &snap, &(struct site_expect){
		NULL, 0, 0, 0, 0, base.proc.c.live_regions,
		base.proc.c.live_bytes, base.proc.c.peak_bytes });
	unmap_pages(3);
	ctl_must("max_regions %d", AS_DEFAULT_MAX_REGIONS);
}

static void test_sites_cap(void)
{
	char *a[2], *b[2], *c[2];
	int i;

	ctl_must("reset");
	take_base("sites_cap_seeded");
	ctl_must("max_sites %d", base.nsites + 2);
	status_read(&st0);
	map_n(a, 2, P, MAP_PRIVATE);		/* three call sites */
	map_n(b, 2, P, MAP_PRIVATE);
	map_n(c, 2, P, MAP_PRIVATE);
	status_read(&st1);
	snap_take(&snap, getpid());
	t_expect(snap_origin_sites(&snap, "call") == 2 &&
		 snap.nsites == base.nsites + 2 &&
		 snap.nregions == base.nregions + 4 &&
		 snap_region_at(&snap, ptr_u64(a[1])) &&
		 snap_region_at(&snap, ptr_u64(b[1])) &&
		 !snap_region_at(&snap, ptr_u64(c[0])) &&
		 !snap_region_at(&snap, ptr_u64(c[1])), "sites_cap_tracked",
		 "%d sites (%d of origin call), %d regions, %d seeded sites and "
		 "regions %d; want the first 2 sites' 4 regions", snap.nsites,
		 snap_origin_sites(&snap, "call"), snap.nregions, base.nsites,
		 base.nregions);
	t_eq("sites_cap_status_sites", status_num(&st1, "sites"),
	     (uint64_t)base.nsites + 2);
	t_status_delta("sites_cap_drops", &st0, &st1, "drop sites_cap", 2);
	status_read(&st0);
	for (i = 0; i < 2; i++) {
		unmap(a[i], P);
		unmap(b[i], P);
		unmap(c[i], P);
	}
	status_read(&st1);
	snap_take(&snap, getpid());
	t_proc("sites_cap_unmapped_procs", &snap, &(struct site_expect){
		NULL, 4, 4, 4 * P, 4 * P, base.proc.c.live_regions,
		base.proc.c.live_bytes, base.proc.c.live_bytes + 4 * P });
	t_status_delta("sites_cap_unmapped_no_drop", &st0, &st1,
		       "drop sites_cap", 0);
	t_seeded_unchanged("sites_cap_seeded_unchanged", &base, &snap);
	ctl_must("max_sites %d", AS_DEFAULT_MAX_SITES);
}

static pid_t run_child(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		t_fatal("fork", "fork failed");
	if (pid == 0) {
		map_anon(P, MAP_PRIVATE);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || status)
		t_fatal("child", "child %d status %#x", (int)pid, status);
	return pid;
}

static void test_retain_exited(void)
{
	pid_t child[3], listed[8];
	char comm[16] = "";
	int i, n;

	if (prctl(PR_GET_NAME, comm))
		t_fatal("prctl", "PR_GET_NAME failed");
	/*
	 * Every process of this name: the children (forks, named as this
	 * program), but no process of the guest's own that happens to exit
	 * meanwhile and would take a retained slot.
	 */
	ctl_must("pid all");
	ctl_must("comm %s", comm);
	ctl_must("reset");
	ctl_must("retain_exited 2");
	for (i = 0; i < 3; i++)
		child[i] = run_child();
	n = procs_exited(listed, 8);
	status_read(&st1);
	t_expect(n == 2 && listed[0] == child[1] && listed[1] == child[2],
		 "retain_exited", "%d exited records (first %d, %d); want "
		 "children %d then %d", n, n > 0 ? (int)listed[0] : 0,
		 n > 1 ? (int)listed[1] : 0, (int)child[1], (int)child[2]);
	t_eq("retain_exited_status", status_num(&st1, "processes_exited"), 2);
}

int main(void)
{
	t_init("ctl_caps");
	ctl_isolate(ISOLATE_SELF);
	test_regions_cap();
	test_zero_regions();
	test_sites_cap();
	test_retain_exited();
	return t_exit_status();
}
