// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_filters.c - what the settings do.
 *
 * - `pid` and `comm` filters decide which processes get new regions: a
 *   filter that excludes this process makes no region of its maps, one
 *   that names it (alone or in a list) does;
 * - releases of tracked regions are followed whatever the filters say;
 * - `disable` keeps the tables as they were (a munmap and an mmap change
 *   nothing); `enable` after it drops everything and seeds again the one
 *   process the pid filter wants: this one, its anonymous mappings (the
 *   map made while disabled too) as regions of its preexisting sites;
 * - `depth N`: a site created under depth N has exactly N frames (the call
 *   stack is deeper), each list a prefix of the depth-16 one.
 *
 * usage: ctl_filters   (root, anonstat loaded)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ

static struct as_snap snap, before;
static struct as_status st;

/* maps one page under filter command cmd; tracked or not as want */
static void map_under(const char *check, const char *cmd, bool want)
{
	char *p;
	bool tracked;

	ctl_must("%s", cmd);
	p = map_anon(P, MAP_PRIVATE);
	snap_take(&snap, getpid());
	tracked = snap_region_at(&snap, ptr_u64(p)) != NULL;
	t_expect(tracked == want, check, "after '%s' a map is %s, want %s", cmd,
		 tracked ? "tracked" : "not tracked",
		 want ? "tracked" : "not tracked");
}

static void test_filters(void)
{
	char cmd[64], comm[16] = "";

	map_under("pid_other", "pid 1", false);
	snprintf(cmd, sizeof(cmd), "pid %d", (int)getpid());
	map_under("pid_self", cmd, true);
	snprintf(cmd, sizeof(cmd), "pid 1,%d,2", (int)getpid());
	map_under("pid_list", cmd, true);
	map_under("comm_other", "comm nosuchcomm", false);
	prctl(PR_GET_NAME, comm);
	snprintf(cmd, sizeof(cmd), "comm %s", comm);
	map_under("comm_self", cmd, true);
	ctl_must("comm all");
	snprintf(cmd, sizeof(cmd), "pid %d", (int)getpid());
	ctl_must("%s", cmd);
}

static void test_release_followed(void)
{
	char *p = map_anon(2 * P, MAP_PRIVATE);
	uint64_t site;

	snap_take(&snap, getpid());
	site = site_id_at(&snap, p);
	ctl_must("pid 1");
	unmap(p, 2 * P);
	snap_take(&snap, getpid());
	t_site("release_followed", snap_site(&snap, site), &(struct site_expect){
		"private", 1, 1, 2 * P, 2 * P, 0, 0, 2 * P });
	ctl_must("pid %d", (int)getpid());
}

static void test_disable(void)
{
	char *p = map_anon(P, MAP_PRIVATE);

	snap_take(&before, getpid());
	ctl_must("disable");
	status_read(&st);
	t_expect(status_num(&st, "enabled") == 0, "disable", "status enabled %s",
		 status_get(&st, "enabled"));
	unmap(p, P);
	map_anon(P, MAP_PRIVATE);
	snap_take(&snap, getpid());
	t_same_state("disabled_tables_kept", &before, &snap, true);
	ctl_must("enable");
	status_read(&st);
	snap_take(&snap, getpid());
	t_expect(status_num(&st, "enabled") == 1 &&
		 status_num(&st, "processes") == 1 &&
		 status_num(&st, "processes_exited") == 0 &&
		 status_num(&st, "threads") == 0 &&
		 status_num(&st, "sites") == (uint64_t)snap.nsites &&
		 status_num(&st, "regions") == (uint64_t)snap.nregions &&
		 snap.nsites > 0, "enable_drops_all",
		 "after enable: enabled %s processes %s sites %s regions %s; "
		 "this process has %d sites and %d regions",
		 status_get(&st, "enabled"), status_get(&st, "processes"),
		 status_get(&st, "sites"), status_get(&st, "regions"),
		 snap.nsites, snap.nregions);
	t_seeded("enable_seeded", &snap, "preexisting");
}

SITE_FN void *map_for_depth(void)
{
	return mmap(NULL, P, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void test_depth(void)
{
	static const int depths[] = { 16, 1, 2, 3, 4 };
	struct as_site full = { 0 };
	char check[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(depths); i++) {
		int d = depths[i];
		const struct as_site *s;
		void *p;

		ctl_must("depth %d", d);
		p = map_for_depth();
		snap_take(&snap, getpid());
		s = snap_site(&snap, site_id_at(&snap, p));
		snprintf(check, sizeof(check), "depth%d", d);
		if (!s) {
			t_fail(check, "region without a listed site");
			continue;
		}
		if (d == 16) {
			full = *s;
			t_expect(s->nframes >= 4 &&
				 addr_in_function(s->frames[1], "map_for_depth"),
				 check, "want 4 to 16 frames, frame 1 in "
				 "map_for_depth: %s", site_str(s));
			continue;
		}
		t_expect(s->nframes == d && !memcmp(s->frames, full.frames,
				(size_t)d * sizeof(s->frames[0])),
			 check, "want the first %d of the depth-16 frames: %s",
			 d, site_str(s));
	}
	ctl_must("depth %d", AS_DEFAULT_DEPTH);
}

int main(void)
{
	t_init("ctl_filters");
	ctl_isolate(ISOLATE_SELF);
	test_filters();
	test_release_followed();
	test_disable();
	test_depth();
	snap_take(&snap, getpid());
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}
