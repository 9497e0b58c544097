// SPDX-License-Identifier: GPL-2.0
/*
 * acct_exec.c - exec releases the old image's regions; the process record
 * goes on.
 *
 * The first image maps N regions from one call site, notes the site id
 * and the procs line's first_ns, and execs itself with them in argv.  The
 * new image checks that the site now has N unmaps and nothing live, that
 * no region of it is listed, and that the procs line for its pid is the
 * same record (same first_ns, still live).
 *
 * The sites of the old image are retired: a new region of the new image
 * gets a site of its own even when its call stack has the same addresses
 * as an old site's, also after the process's site table has grown.  Both
 * images run without address space randomization (the program re-execs
 * itself with ADDR_NO_RANDOMIZE first), and map one region from the same
 * call path (map_common() called from main()); the new image makes it
 * after 40 sites of other call paths, enough to grow the table (it starts
 * with 16 buckets and grows past 32 sites).  The old site must keep its
 * one map and one unmap, and the new region's site must be another one
 * with the same frames.
 *
 * Issue 13: the ranges the kernel made at exec (the .bss of the program
 * and of ld.so) are seeded at the new image's first mapping call (ld.so's)
 * on a site of origin "exec" with frames "-": in the new image, before
 * any call of its own, the oracle holds (after_exec_start.maps) and the
 * anonymous VMA holding this program's .bss is all on exec sites
 * (exec_seeded); the oracle is checked again at each later step.
 *
 * usage: acct_exec   (root, anonstat loaded)
 *        acct_exec --after-exec SITE FIRST_NS FAILURES COMMON_SITE (internal)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#include "anonstat_test.h"

#define N	4
#define LEN	(2 * PAGE_SZ)
#define NR_OTHER_SITES	40

static struct as_snap snap;

static void self_path(char *path, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", path, size - 1);

	if (n <= 0)
		t_fatal("exec", "readlink /proc/self/exe: %s", strerror(errno));
	path[n] = '\0';
}

static __attribute__((noreturn)) void exec_self(uint64_t site, uint64_t first_ns,
						uint64_t common)
{
	char path[4096], site_arg[32], first_arg[32], fail_arg[16], common_arg[32];
	char name[] = "acct_exec", flag[] = "--after-exec";
	char *argv[] = { name, flag, site_arg, first_arg, fail_arg, common_arg,
			 NULL };

	self_path(path, sizeof(path));
	snprintf(site_arg, sizeof(site_arg), "%" PRIu64, site);
	snprintf(first_arg, sizeof(first_arg), "%" PRIu64, first_ns);
	snprintf(fail_arg, sizeof(fail_arg), "%d", t_failures());
	snprintf(common_arg, sizeof(common_arg), "%" PRIu64, common);
	execv(path, argv);
	t_fatal("exec", "execv %s: %s", path, strerror(errno));
}

/* The same call path in both images: main() -> map_common() -> map_anon(). */
SITE_FN char *map_common(void)
{
	return map_anon(LEN, MAP_PRIVATE);
}

/* NR_OTHER_SITES functions, a call site each */
#define OTHER(i) SITE_FN char *other_##i(void) { return map_anon(PAGE_SZ, MAP_PRIVATE); }
#define OTHER10(i) OTHER(i##0) OTHER(i##1) OTHER(i##2) OTHER(i##3) OTHER(i##4) \
	OTHER(i##5) OTHER(i##6) OTHER(i##7) OTHER(i##8) OTHER(i##9)
OTHER10(1) OTHER10(2) OTHER10(3) OTHER10(4)
#define REF10(i) other_##i##0, other_##i##1, other_##i##2, other_##i##3, \
	other_##i##4, other_##i##5, other_##i##6, other_##i##7, other_##i##8, \
	other_##i##9
static char *(*const others[NR_OTHER_SITES])(void) = {
	REF10(1), REF10(2), REF10(3), REF10(4)
};

static int before_exec(char *common)
{
	uint64_t common_site;
	char *p[N];
	uint64_t site;
	int i, same = 1;

	map_n(p, N, LEN, MAP_PRIVATE);
	snap_take(&snap, getpid());
	site = site_id_at(&snap, p[0]);
	for (i = 1; i < N; i++)
		same &= site_id_at(&snap, p[i]) == site;
	t_expect(same, "one_site", "the %d regions are not of one site", N);
	t_site("before_exec", snap_site(&snap, site), &(struct site_expect){
		"private", N, 0, N * LEN, 0, N, N * LEN, N * LEN });
	if (!snap.has_proc)
		t_fatal("before_exec_procs", "no procs line");
	common_site = site_id_at(&snap, common);
	t_check_maps("before_exec.maps", getpid());
	exec_self(site, snap.proc.c.first_ns, common_site);
}

static struct vma vmas[4096];

/*
 * The part of the anonymous VMA holding this image's .bss up to the end of
 * snap (a large .bss object) is covered by regions, all on sites of origin
 * exec with no frames.  (Without randomization maps calls that VMA [heap];
 * growth of brk would merge into it, past snap.)
 */
static void check_exec_seeded(void)
{
	int i, n = maps_read(vmas, (int)ARRAY_SIZE(vmas));
	uint64_t at = ptr_u64(&snap), start = 0, end = 0, held = 0;
	const char *why = NULL;
	char msg[1024];

	for (i = 0; i < n; i++)
		if (vmas[i].start <= at && at < vmas[i].end && vmas[i].anon) {
			start = vmas[i].start;
			end = vmas[i].end;
		}
	if (end > ((ptr_u64(&snap + 1) + PAGE_SZ - 1) & ~(PAGE_SZ - 1)))
		end = (ptr_u64(&snap + 1) + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	if (!end) {
		t_fail("exec_seeded", "no anonymous VMA holds the .bss at %p",
		       (void *)&snap);
		return;
	}
	snap_take(&snap, getpid());
	for (i = 0; i < snap.nregions && !why; i++) {
		const struct as_region *r = &snap.regions[i];
		const struct as_site *site = snap_site(&snap, r->site);

		if (r->end <= start || r->start >= end)
			continue;
		held += (r->end < end ? r->end : end) -
			(r->start > start ? r->start : start);
		if (!site || strcmp(site->origin, "exec") || site->nframes) {
			snprintf(msg, sizeof(msg), "region [%#" PRIx64 ",%#" PRIx64
				 ") of the .bss VMA is on %s", r->start, r->end,
				 site_str(site));
			why = msg;
		}
	}
	if (!why && held != end - start) {
		snprintf(msg, sizeof(msg), "regions hold %" PRIu64 " of the %"
			 PRIu64 " bytes of the .bss [%#" PRIx64 ",%#" PRIx64
			 ")", held, end - start, start, end);
		why = msg;
	}
	t_expect(!why, "exec_seeded", "%s", why);
}

/* The new image, before its map_common(): sites enough to grow the table. */
static void before_common(char **argv)
{
	int i;

	t_add_failures(atoi(argv[4]));
	ctl_adopt();
	/* nothing mapped by this image's code yet: only ld.so's calls */
	t_check_maps("after_exec_start.maps", getpid());
	check_exec_seeded();
	for (i = 0; i < NR_OTHER_SITES; i++)
		others[i]();
}

static bool same_frames(const struct as_site *a, const struct as_site *b)
{
	return a->nframes == b->nframes &&
	       !memcmp(a->frames, b->frames, a->nframes * sizeof(a->frames[0]));
}

static int after_exec(char **argv, char *common)
{
	uint64_t site = strtoull(argv[2], NULL, 10);
	uint64_t first_ns = strtoull(argv[3], NULL, 10);
	uint64_t old_common = strtoull(argv[5], NULL, 10);
	const struct as_site *s, *old, *new;

	snap_take(&snap, getpid());
	t_expect(snap.nsites > 32, "table_grew", "only %d sites", snap.nsites);
	old = snap_site(&snap, old_common);
	t_site("retired_site_kept", old, &(struct site_expect){
		"private", 1, 1, LEN, LEN, 0, 0, LEN });
	new = snap_site_at(&snap, common);
	if (t_expect(new && old && new->id != old_common, "retired_site_not_reused",
		     "the new image's region at %p is of site %" PRIu64
		     ", the old image's", (void *)common, old_common)) {
		if (!same_frames(new, old)) {
			char had[64 * AS_MAX_FRAMES];
			int i, n = 0;

			for (i = 0; i < old->nframes; i++)
				n += snprintf(had + n, sizeof(had) - n,
					      "%s0x%" PRIx64, i ? "," : "",
					      old->frames[i]);
			t_fail("same_frames", "new %s, old frames %s (address space randomized?)",
			       site_str(new), had);
		} else {
			t_ok("same_frames");
		}
		t_site("new_site", new, &(struct site_expect){
			"private", 1, 0, LEN, 0, 1, LEN, LEN });
	}
	s = snap_site(&snap, site);
	t_site("old_site_released", s, &(struct site_expect){
		"private", N, N, N * LEN, N * LEN, 0, 0, N * LEN });
	t_site_regions("old_site_no_regions", &snap, site, NULL, 0);
	t_expect(snap.has_proc && !strcmp(snap.proc.state, "live") &&
		 snap.proc.c.first_ns == first_ns &&
		 !strcmp(snap.proc.comm, "acct_exec"), "same_procs_record",
		 "procs line: comm %s state %s first_ns %" PRIu64
		 " (before exec %" PRIu64 ")", snap.proc.comm, snap.proc.state,
		 snap.proc.c.first_ns, first_ns);
	t_expect(snap.proc.c.maps >= N && snap.proc.c.unmaps >= N,
		 "procs_carries_on", "maps %" PRIu64 " unmaps %" PRIu64,
		 snap.proc.c.maps, snap.proc.c.unmaps);
	t_check_maps("after_exec.maps", getpid());
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}

static SITE_FN void prepare(bool after, char **argv)
{
	if (after)
		before_common(argv);
	else
		ctl_isolate(ISOLATE_SELF);
}

static SITE_FN int finish(bool after, char **argv, char *common)
{
	if (after)
		return after_exec(argv, common);
	return before_exec(common);
}

int main(int argc, char **argv)
{
	bool after = argc == 6 && !strcmp(argv[1], "--after-exec");
	char path[4096], *common;
	int pers = personality(0xffffffff);

	if (pers == -1 || !(pers & ADDR_NO_RANDOMIZE)) {
		/* the same addresses in both images */
		if (pers == -1 || personality(pers | ADDR_NO_RANDOMIZE) == -1)
			t_fatal("personality", "%s", strerror(errno));
		self_path(path, sizeof(path));
		execv(path, argv);
		t_fatal("exec", "execv %s: %s", path, strerror(errno));
	}
	t_init("acct_exec");
	/* no branch around this call: gcc would make it two call sites */
	prepare(after, argv);
	common = map_common();
	return finish(after, argv, common);
}
