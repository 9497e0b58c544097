// SPDX-License-Identifier: GPL-2.0
/*
 * unwind_churn.c - unwind tables built, raced and thrown away under load
 * (issue 14), for stress.sh's unwind phase.
 *
 * Makes COPIES copies of libhostilecfi.so (next to this program) in a
 * directory of its own under /tmp: the intact library and every damage of
 * tests/guest/lib/cfi_damage.c in turn (but the costly ones, whose build
 * time acct_hostile_cfi checks), so distinct files with distinct unwind
 * tables, some with hostile CFI.  Then PROCS processes of THREADS threads
 * each, in two stages.
 *
 * The churn: every thread, ITERS times (with --until FILE, and then until
 * FILE exists), dlopen()s a copy, maps 1 to 4 pages through its
 * hostile_map(), writes them, and dlclose()s it (the last close of a
 * process unmaps the copy: the next dlopen maps it again, elsewhere).
 * Each thread keeps its last 4 mappings, unmapping the older ones, and
 * unmaps them all at the end.  In their first COPIES iterations all
 * threads of all processes go through the copies in the same order, so
 * that the first walks through a copy, which build its table, race each
 * other; then in an order of their own (SEED).  Nothing here reads the
 * module in this stage: the caller may unload and load it meanwhile.
 *
 * With --hold READY RELEASE, once every process has done the churn (its
 * threads joined), the parent creates the file READY and waits for the
 * file RELEASE: the processes are still there, with no call in flight,
 * for the caller to load the module and check them (stress.sh runs
 * anonstat_oracle -a).
 *
 * The check: in each process its threads again, each mapping once through
 * every copy, all in the same order, keeping the mappings; then the
 * process checks its regions against its maps (the oracle of issue 13,
 * t_check_maps): one "ok unwind_churn.pN.maps" line each, or FAIL, and a
 * line "# unwind_churn pN: N calls, N dlopen".  The module must stay
 * loaded through this stage (its settings may change).  Last
 * "ok unwind_churn.processes" if every process exited 0.
 *
 * usage: unwind_churn [-p PROCS] [-t THREADS] [-c COPIES] [-n ITERS]
 *                     [-s SEED] [--until FILE] [--hold READY RELEASE]
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anonstat_test.h"
#include "cfi_damage.h"

#define MAX_COPIES	256
#define MAX_PROCS	64
#define MAX_THREADS	64
#define LIVE		4

typedef void *(*map_fn)(size_t);

static int nprocs = 4, nthreads = 4, ncopies = 24, iters = 200;
static unsigned int seed = 1;
static const char *ready_path, *release_path, *until_path;
static char dir[64];
static char paths[MAX_COPIES][128];

struct worker {
	pthread_t thread;
	int proc, tid;
	uint32_t rng;
	long calls, opens;
	void *live[LIVE];
	size_t live_len[LIVE];
	int nkept;
	void *kept[MAX_COPIES];	/* the check's mappings */
	char err[256];		/* the first error, if any */
};

static struct worker workers[MAX_THREADS];
static pthread_barrier_t start;

static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void usage(void)
{
	fprintf(stderr, "usage: unwind_churn [-p PROCS] [-t THREADS] [-c COPIES] "
		"[-n ITERS] [-s SEED] [--until FILE] [--hold READY RELEASE]\n");
	exit(2);
}

/* One call through copy k; false with w->err set. */
static bool call_copy(struct worker *w, int k, size_t len, void **out)
{
	void *h = dlopen(paths[k], RTLD_NOW | RTLD_LOCAL);
	map_fn map;
	void *p;

	if (!h) {
		snprintf(w->err, sizeof(w->err), "dlopen %s: %s", paths[k], dlerror());
		return false;
	}
	w->opens++;
	map = (map_fn)dlsym(h, "hostile_map");
	if (!map) {
		snprintf(w->err, sizeof(w->err), "%s: no hostile_map", paths[k]);
		dlclose(h);
		return false;
	}
	p = map(len);
	if (!p) {
		snprintf(w->err, sizeof(w->err), "hostile_map(%zu) of %s: %s", len,
			 paths[k], strerror(errno));
		dlclose(h);
		return false;
	}
	w->calls++;
	memset(p, 0x5a, len);
	if (dlclose(h)) {
		snprintf(w->err, sizeof(w->err), "dlclose %s: %s", paths[k], dlerror());
		return false;
	}
	*out = p;
	return true;
}

static void *churn(void *arg)
{
	struct worker *w = arg;
	int i;

	pthread_barrier_wait(&start);
	for (i = 0; (i < iters || (until_path && access(until_path, F_OK))) &&
	     !w->err[0]; i++) {
		int k = i < ncopies ? (int)((i + seed) % ncopies) :
			(int)(rnd(&w->rng) % ncopies);
		size_t len = PAGE_SZ * (1 + rnd(&w->rng) % 4);
		int slot = i % LIVE;
		void *p;

		if (!call_copy(w, k, len, &p))
			break;
		if (w->live[slot] && munmap(w->live[slot], w->live_len[slot])) {
			snprintf(w->err, sizeof(w->err), "munmap: %s", strerror(errno));
			break;
		}
		w->live[slot] = p;
		w->live_len[slot] = len;
	}
	for (i = 0; i < LIVE; i++) {
		if (w->live[i] && munmap(w->live[i], w->live_len[i]) && !w->err[0])
			snprintf(w->err, sizeof(w->err), "munmap: %s", strerror(errno));
		w->live[i] = NULL;
	}
	return NULL;
}

static void *check(void *arg)
{
	struct worker *w = arg;
	int k;

	pthread_barrier_wait(&start);
	for (k = 0; k < ncopies; k++) {
		if (!call_copy(w, (int)((k + seed) % ncopies), PAGE_SZ, &w->kept[k]))
			break;
		w->nkept++;
	}
	return NULL;
}

/* THREADS threads running fn; the number of them that failed (FAIL lines). */
static int run_threads(int proc, void *(*fn)(void *), const char *stage)
{
	char name[64];
	int i, failed = 0;

	if (pthread_barrier_init(&start, NULL, (unsigned int)nthreads))
		t_fatal(stage, "pthread_barrier_init failed");
	for (i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];

		w->proc = proc;
		w->tid = i;
		w->err[0] = '\0';
		if (pthread_create(&w->thread, NULL, fn, w))
			t_fatal(stage, "pthread_create failed");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(workers[i].thread, NULL);
		if (workers[i].err[0]) {
			snprintf(name, sizeof(name), "p%d.t%d.%s", proc, i, stage);
			t_fail(name, "%s", workers[i].err);
			failed++;
		}
	}
	pthread_barrier_destroy(&start);
	return failed;
}

/* A process of the load; its exit status. */
static int child(int proc, int done_fd, int go_fd)
{
	char name[64], c = 1;
	long calls = 0, opens = 0;
	int i, failed;

	for (i = 0; i < nthreads; i++)
		workers[i] = (struct worker){
			.rng = seed * 2654435761u ^ (uint32_t)(proc * 64 + i + 1) };
	failed = run_threads(proc, churn, "churn");
	/* done (closed: the parent's read ends if a process died); wait
	 * for the go (the parent closes the write end) */
	if (write(done_fd, &c, 1) != 1 || close(done_fd) || read(go_fd, &c, 1) != 0)
		return 1;
	if (!failed)
		failed = run_threads(proc, check, "check");
	snprintf(name, sizeof(name), "p%d.maps", proc);
	if (!failed && !t_check_maps(name, getpid()))
		failed++;
	for (i = 0; i < nthreads; i++) {
		calls += workers[i].calls;
		opens += workers[i].opens;
	}
	printf("# unwind_churn p%d: %ld calls, %ld dlopen\n", proc, calls, opens);
	fflush(stdout);
	return failed ? 1 : 0;
}

static void make_copies(void)
{
	char lib[PATH_MAX], why[512], *slash;
	ssize_t n = readlink("/proc/self/exe", lib, sizeof(lib) - 32);
	int k, next;

	if (n < 0)
		t_fatal("setup", "readlink /proc/self/exe: %s", strerror(errno));
	lib[n] = '\0';
	slash = strrchr(lib, '/');
	strcpy(slash + 1, "libhostilecfi.so");
	snprintf(dir, sizeof(dir), "/tmp/unwind_churn.%d", (int)getpid());
	if (mkdir(dir, 0700))
		t_fatal("setup", "mkdir %s: %s", dir, strerror(errno));
	for (k = 0, next = 0; k < ncopies; k++, next++) {
		const struct cfi_damage *d;

		while (cfi_damages[next % cfi_ndamages].costly)
			next++;
		d = &cfi_damages[next % cfi_ndamages];

		snprintf(paths[k], sizeof(paths[k]), "%s/%03d-%s.so", dir, k, d->name);
		if (cfi_damaged_copy(lib, paths[k], d, why, sizeof(why)))
			t_fatal("setup", "copy %s: %s", paths[k], why);
	}
}

static void remove_copies(void)
{
	int k;

	for (k = 0; k < ncopies; k++)
		if (unlink(paths[k]))
			t_fail("cleanup", "unlink %s: %s", paths[k], strerror(errno));
	if (rmdir(dir))
		t_fail("cleanup", "rmdir %s: %s", dir, strerror(errno));
}

static void hold(void)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int fd = open(ready_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		t_fatal("hold", "create %s: %s", ready_path, strerror(errno));
	close(fd);
	while (access(release_path, F_OK))
		nanosleep(&tick, NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hold", required_argument, NULL, 'H' },
		{ "until", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	pid_t pids[MAX_PROCS];
	int done[2], go[2], c, i, bad = 0;
	char byte;

	t_init("unwind_churn");
	while ((c = getopt_long(argc, argv, "p:t:c:n:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': nprocs = atoi(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 'c': ncopies = atoi(optarg); break;
		case 'n': iters = atoi(optarg); break;
		case 's': seed = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'U': until_path = optarg; break;
		case 'H':
			if (optind >= argc)
				usage();
			ready_path = optarg;
			release_path = argv[optind++];
			break;
		default: usage();
		}
	}
	if (optind != argc || nprocs < 1 || nprocs > MAX_PROCS || nthreads < 1 ||
	    nthreads > MAX_THREADS || ncopies < 1 || ncopies > MAX_COPIES || iters < 0)
		usage();
	make_copies();
	if (pipe(done) || pipe(go))
		t_fatal("setup", "pipe: %s", strerror(errno));
	fflush(stdout);
	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			t_fatal("setup", "fork: %s", strerror(errno));
		if (pids[i] == 0) {
			close(done[0]);
			close(go[1]);
			_exit(child(i, done[1], go[0]));
		}
	}
	close(done[1]);
	close(go[0]);
	for (i = 0; i < nprocs; i++)
		if (read(done[0], &byte, 1) != 1)
			break;
	if (ready_path)
		hold();
	close(go[1]);
	for (i = 0; i < nprocs; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			t_fail("processes", "process %d (pid %d): status %#x", i,
			       (int)pids[i], status);
			bad++;
		}
	}
	remove_copies();
	t_note("unwind_churn: %d processes, %d threads, at least %d iterations each, %d copies",
	       nprocs, nthreads, iters, ncopies);
	if (!bad)
		t_ok("processes");
	return t_exit_status();
}
