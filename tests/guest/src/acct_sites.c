// SPDX-License-Identifier: GPL-2.0
/*
 * acct_sites.c - two call sites: site A maps N_A regions and releases K_A
 * of them, site B maps N_B and releases K_B.  Checks each site's counters,
 * its regions, its frames (the whole stack: frame 0 in libc's mmap, frame 1
 * in the function that called mmap, frame 2 in main, the last in _start),
 * the procs and threads lines, and that the sites add up to the procs line.
 *
 * The reset seeds the process: right after it, its sites are the
 * preexisting ones (no frames, no maps, one per kind) whose regions are
 * its anonymous mappings but [stack]; A and B leave them as they were, so
 * the procs line is that baseline plus what A and B did.
 *
 * usage: acct_sites   (root, anonstat loaded)
 */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define N_A	5
#define LEN_A	(2 * PAGE_SZ)
#define K_A	2
#define N_B	3
#define LEN_B	(5 * PAGE_SZ)
#define K_B	1

static struct as_snap snap, base;

/* site A: n maps of len bytes, mmap called here directly */
SITE_FN void site_a_map(void **p, int n, size_t len)
{
	int i;

	for (i = 0; i < n; i++) {
		p[i] = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p[i] == MAP_FAILED)
			t_fatal("map_a", "mmap failed");
	}
}

/* site B: the same, from another function */
SITE_FN void site_b_map(void **p, int n, size_t len)
{
	int i;

	for (i = 0; i < n; i++) {
		p[i] = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p[i] == MAP_FAILED)
			t_fatal("map_b", "mmap failed");
	}
}

/* All of p[0..n) are regions of one site; returns it (or NULL). */
static const struct as_site *one_site(const char *check, void **p, int n)
{
	const struct as_site *site = snap_site_at(&snap, p[0]);
	int i;

	for (i = 1; i < n && site; i++)
		if (snap_site_at(&snap, p[i]) != site)
			site = NULL;
	t_expect(site, check, "the regions of one call site are not one site");
	return site;
}

static void check_frames(const char *check, const struct as_site *site,
			 const char *caller)
{
	if (!site)
		return;
	/* mmap, the caller, main, 2 frames of libc's start, _start */
	t_expect(site->nframes == 6 &&
		 addr_in_function(site->frames[1], caller) &&
		 addr_in_function(site->frames[2], "main") &&
		 addr_in_function(site->frames[5], "_start"), check,
		 "want 6 frames, frame 1 in %s, frame 2 in main, frame 5 in _start: %s; frame 1 %s",
		 caller, site_str(site),
		 site->nframes > 1 ? addr_str(site->frames[1]) : "-");
}

int main(void)
{
	void *a[N_A], *b[N_B];
	const struct as_site *sa, *sb;
	const struct as_thread *th;
	int i;

	t_init("acct_sites");
	ctl_isolate(ISOLATE_SELF);
	snap_take(&base, getpid());
	t_seeded("seeded", &base, "preexisting");
	site_a_map(a, N_A, LEN_A);
	site_b_map(b, N_B, LEN_B);
	for (i = 0; i < K_A; i++)
		unmap(a[i], LEN_A);
	for (i = 0; i < K_B; i++)
		unmap(b[i], LEN_B);

	snap_take(&snap, getpid());
	t_check_maps("sites.maps", getpid());
	sa = one_site("a_one_site", a + K_A, N_A - K_A);
	sb = one_site("b_one_site", b + K_B, N_B - K_B);
	t_expect(sa && sb && sa != sb, "two_sites", "sites A and B are one");
	t_site("site_a", sa, &(struct site_expect){
		.kind = "private", .maps = N_A, .unmaps = K_A,
		.bytes_mapped = N_A * LEN_A, .bytes_unmapped = K_A * LEN_A,
		.live_regions = N_A - K_A, .live_bytes = (N_A - K_A) * LEN_A,
		.peak_bytes = N_A * LEN_A });
	t_site("site_b", sb, &(struct site_expect){
		.kind = "private", .maps = N_B, .unmaps = K_B,
		.bytes_mapped = N_B * LEN_B, .bytes_unmapped = K_B * LEN_B,
		.live_regions = N_B - K_B, .live_bytes = (N_B - K_B) * LEN_B,
		.peak_bytes = N_B * LEN_B });
	check_frames("site_a_frames", sa, "site_a_map");
	check_frames("site_b_frames", sb, "site_b_map");
	t_expect(sa && sb && sa->frames[0] == sb->frames[0] &&
		 sa->frames[2] != sb->frames[2], "frame0_shared",
		 "frame 0 (libc mmap) differs or frame 2 is equal: %s",
		 site_str(sa));

	/* after the reset only A and B created regions in this process */
	t_expect(snap_origin_sites(&snap, "call") == 2 &&
		 snap.nsites == base.nsites + 2, "only_two_sites",
		 "%d sites, %d of origin call; %d after the reset", snap.nsites,
		 snap_origin_sites(&snap, "call"), base.nsites);
	t_seeded_unchanged("seeded_unchanged", &base, &snap);
	t_proc("procs", &snap, &(struct site_expect){
		.maps = N_A + N_B, .unmaps = K_A + K_B,
		.bytes_mapped = N_A * LEN_A + N_B * LEN_B,
		.bytes_unmapped = K_A * LEN_A + K_B * LEN_B,
		.live_regions = N_A - K_A + N_B - K_B + base.proc.c.live_regions,
		.live_bytes = (N_A - K_A) * LEN_A + (N_B - K_B) * LEN_B +
			base.proc.c.live_bytes,
		.peak_bytes = N_A * LEN_A + N_B * LEN_B + base.proc.c.live_bytes });
	t_expect(snap.has_proc && !strcmp(snap.proc.state, "live") &&
		 !strcmp(snap.proc.comm, "acct_sites"), "procs_comm_state",
		 "comm '%s' state '%s'", snap.proc.comm, snap.proc.state);
	th = snap_thread(&snap, getpid());
	t_expect(th && th->maps == N_A + N_B && th->unmaps == K_A + K_B &&
		 th->bytes_mapped == N_A * LEN_A + N_B * LEN_B &&
		 th->bytes_unmapped == K_A * LEN_A + K_B * LEN_B &&
		 !strcmp(th->comm, "acct_sites"), "thread",
		 "main thread line: %s maps %" PRIu64 " unmaps %" PRIu64
		 " bytes %" PRIu64 "/%" PRIu64, th ? th->comm : "(none)",
		 th ? th->maps : 0, th ? th->unmaps : 0,
		 th ? th->bytes_mapped : 0, th ? th->bytes_unmapped : 0);
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}
