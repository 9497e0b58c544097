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
 * usage: acct_exec   (root, anonstat loaded)
 *        acct_exec --after-exec SITE FIRST_NS FAILURES   (internal)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define N	4
#define LEN	(2 * PAGE_SZ)

static struct as_snap snap;

static __attribute__((noreturn)) void exec_self(uint64_t site, uint64_t first_ns)
{
	char path[4096], site_arg[32], first_arg[32], fail_arg[16];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char name[] = "acct_exec", flag[] = "--after-exec";
	char *argv[] = { name, flag, site_arg, first_arg, fail_arg, NULL };

	if (n <= 0)
		t_fatal("exec", "readlink /proc/self/exe: %s", strerror(errno));
	path[n] = '\0';
	snprintf(site_arg, sizeof(site_arg), "%" PRIu64, site);
	snprintf(first_arg, sizeof(first_arg), "%" PRIu64, first_ns);
	snprintf(fail_arg, sizeof(fail_arg), "%d", t_failures());
	execv(path, argv);
	t_fatal("exec", "execv %s: %s", path, strerror(errno));
}

static int before_exec(void)
{
	char *p[N];
	uint64_t site;
	int i, same = 1;

	ctl_isolate(ISOLATE_SELF);
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
	exec_self(site, snap.proc.c.first_ns);
}

static int after_exec(char **argv)
{
	uint64_t site = strtoull(argv[2], NULL, 10);
	uint64_t first_ns = strtoull(argv[3], NULL, 10);
	const struct as_site *s;

	t_add_failures(atoi(argv[4]));
	ctl_adopt();
	snap_take(&snap, getpid());
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
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	return t_exit_status();
}

int main(int argc, char **argv)
{
	t_init("acct_exec");
	if (argc == 5 && !strcmp(argv[1], "--after-exec"))
		return after_exec(argv);
	return before_exec();
}
