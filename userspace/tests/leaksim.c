// SPDX-License-Identifier: GPL-2.0
/*
 * leaksim.c - a live scenario for anontop's leak rule: a process that
 * describes itself and its children in anonstat's debugfs format
 * (module/debugfs-format.md, written with tests/snapfmt.h), replacing
 * DIR/{status,procs,threads,sites,regions} atomically at every tick.
 *
 * Normal mode, the issue's node:
 *   - this process ("leaksim"), with
 *     site 1, a step leak: ucx::Pool::grow(unsigned long) in
 *       libleakpool.so (tests/leakpool.cc) maps 1 MiB (touched) every
 *       PERIOD seconds and never unmaps it; its frames are real addresses
 *       of this process (libc's mmap, the C++ function, leaksim's loop),
 *       so anontop names and demangles them; live bytes start at 1 MiB;
 *     site 2, churn: every tick it unmaps what it had and maps a new
 *       amount, 64 KiB to 4 MiB (pages, seeded), so live bytes go up and
 *       down by a varying amount;
 *   - N children (default 30) named python3, command line
 *     "python3 -m worker --rank R" (this program run again under that
 *     argv), each with three larger sites: 64 MiB + R * 4 MiB flat,
 *     16 MiB flat or, for odd ranks (or every rank with --noise noisy),
 *     16 MiB plus 0..8 MiB changing every tick, and 1 MiB flat.  Their
 *     regions lie inside a reservation of the child (untouched: resident
 *     0), their frames are libc's mmap and worker functions of the child.
 *
 * --scale: 1,000 processes (this one and 999 forked children named
 * python3), 100 sites each (100,000), 10 regions of 16 KiB per site
 * (1,000,000), frames among a few real functions; written once, for
 * timing anontop (tests/test_scale.sh).  --scale-procs N changes the count.
 *
 * Everything but the times is a function of the seed and the tick number:
 * two runs with the same options write the same bytes apart from times,
 * pids and addresses.  first_ns/last_ns are CLOCK_MONOTONIC nanoseconds
 * like the module's.  Prints "ready PID" once the files are written,
 * then runs until SIGINT, SIGTERM, --duration or (--stdin) the end of its
 * input; the children go with it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snapfmt.h"

#define MIB		(1024ul * 1024)
#define KIB		1024ul
#define MAX_WORKERS	4096

void *leakpool_grow(unsigned long bytes);
uintptr_t leakpool_grow_addr(void);

static struct {
	const char *dir;
	double period, tick, duration;
	unsigned int workers;
	unsigned long seed;
	long leak_steps;		/* -1: no end */
	enum { NOISE_MIXED, NOISE_FLAT, NOISE_NOISY } noise;
	bool scale, use_stdin;
	unsigned int scale_procs;
} opt = {
	.period = 2.5, .tick = 0.5, .workers = 30, .seed = 1,
	.leak_steps = -1, .scale_procs = 1000,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* splitmix64: the one source of randomness, from the seed */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* a number for (stream, index), the same in every run with the seed */
static uint64_t rnd(uint64_t stream, uint64_t i)
{
	return mix(mix(opt.seed * 0x100000001b3ull + stream) ^ i);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uintptr_t libc_sym(const char *name)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uintptr_t a = libc ? (uintptr_t)dlsym(libc, name) : 0;

	if (!a) {
		fprintf(stderr, "leaksim: libc.so.6: no %s\n", name);
		exit(1);
	}
	return a;
}

/* functions whose addresses are frames (noinline: real, distinct code) */
__attribute__((noinline)) void worker_load_model(volatile int *x) { *x += 1; *x *= 3; }
__attribute__((noinline)) void worker_batch(volatile int *x) { *x += 2; *x *= 5; }
__attribute__((noinline)) void worker_cache(volatile int *x) { *x += 3; *x *= 7; }
__attribute__((noinline)) void leaksim_churn(volatile int *x) { *x += 4; *x *= 11; }
__attribute__((noinline)) void leaksim_tick(volatile int *x) { *x += 5; *x *= 13; }

static uintptr_t fn(void (*f)(volatile int *))
{
	return (uintptr_t)f;
}

/* ---- the children ---- */

/* what a worker reports through its pipe */
struct worker_info {
	int pid;
	uint64_t mmap_addr;		/* libc's mmap in the child */
	uint64_t fns[3];		/* worker_* in the child */
	uint64_t reserve;		/* its reservation for the regions */
};

struct worker {
	struct worker_info in;
	unsigned int rank;		/* its --rank */
	uint64_t first_ns;
	uint64_t sizes[3];		/* live bytes of its sites now */
	uint64_t peak[3], proc_peak;
	uint64_t maps[3], unmaps[3], mapped[3], unmapped[3];
};

static struct worker workers[MAX_WORKERS];
static int scale_pids[100000];	/* --scale: every process, this one too */

#define WORKER_RESERVE(rank)	((64 + 4 * (rank)) * MIB + 24 * MIB + MIB)

/* "python3 -m worker --rank R": report, then wait for the parent to go */
static int worker_main(int rank)
{
	struct worker_info in = {
		.pid = getpid(),
		.mmap_addr = libc_sym("mmap"),
		.fns = { fn(worker_load_model), fn(worker_batch), fn(worker_cache) },
	};
	const char *fd_s = getenv("LEAKSIM_FD");
	void *r;

	prctl(PR_SET_NAME, "python3");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1 || !fd_s)
		return 1;
	r = mmap(NULL, WORKER_RESERVE(rank), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return 1;
	in.reserve = (uintptr_t)r;
	if (write(atoi(fd_s), &in, sizeof(in)) != (ssize_t)sizeof(in))
		return 1;
	close(atoi(fd_s));
	for (;;)
		pause();
}

static void start_workers(char *self)
{
	unsigned int r;

	for (r = 0; r < opt.workers; r++) {
		int fds[2];
		pid_t pid;

		if (pipe(fds)) {
			perror("leaksim: pipe");
			exit(1);
		}
		pid = fork();
		if (pid < 0) {
			perror("leaksim: fork");
			exit(1);
		}
		if (pid == 0) {
			char rank[16], fd_s[16];
			char *argv[] = { "python3", "-m", "worker", "--rank",
					 rank, NULL };

			close(fds[0]);
			snprintf(rank, sizeof(rank), "%u", r);
			snprintf(fd_s, sizeof(fd_s), "%d", fds[1]);
			setenv("LEAKSIM_FD", fd_s, 1);
			execv(self, argv);
			_exit(127);
		}
		close(fds[1]);
		if (read(fds[0], &workers[r].in, sizeof(workers[r].in)) !=
		    (ssize_t)sizeof(workers[r].in)) {
			fprintf(stderr, "leaksim: worker %u did not report\n", r);
			exit(1);
		}
		close(fds[0]);
		workers[r].rank = r;
	}
}

static void stop_workers(void)
{
	unsigned int r;

	for (r = 0; r < opt.workers; r++)
		if (workers[r].in.pid > 0)
			kill(workers[r].in.pid, SIGKILL);
	for (r = 0; r < opt.scale_procs && opt.scale; r++)
		if (scale_pids[r] > 0 && scale_pids[r] != getpid())
			kill(scale_pids[r], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
}

/* ---- normal mode ---- */

#define CHURN_MAX	(4 * MIB)

struct self {
	int pid;
	uint64_t t0;
	uintptr_t mmap_addr, grow_addr;
	/* site 1: the leak */
	void **leak;
	long leak_n;
	/* site 2: churn */
	void *churn;
	uint64_t churn_size, churn_peak;
	uint64_t churn_maps, churn_unmaps, churn_mapped, churn_unmapped;
	uint64_t peak, last_ns, leak_last_ns;
};

static uint64_t page_round(uint64_t x)
{
	return (x + 4095) & ~4095ull;
}

static void self_tick(struct self *s, unsigned long tick, uint64_t t)
{
	double age = (double)(t - s->t0) / 1e9;
	long want = (long)floor(age / opt.period);
	uint64_t size;

	if (opt.leak_steps >= 0 && want > opt.leak_steps)
		want = opt.leak_steps;
	while (s->leak_n < want + 1) {
		void **nl = realloc(s->leak, (size_t)(s->leak_n + 1) * sizeof(*nl));

		if (!nl || !(nl[s->leak_n] = leakpool_grow(MIB))) {
			fprintf(stderr, "leaksim: out of memory (errno %d)\n", ENOMEM);
			exit(1);
		}
		s->leak = nl;
		s->leak_n++;
		s->leak_last_ns = t;
	}
	/* churn: what it had goes, a new amount comes */
	size = page_round(64 * KIB + rnd(2, tick) % (CHURN_MAX - 64 * KIB));
	if (s->churn) {
		munmap(s->churn, s->churn_size);
		s->churn_unmaps++;
		s->churn_unmapped += s->churn_size;
	}
	s->churn = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->churn == MAP_FAILED) {
		perror("leaksim: mmap");
		exit(1);
	}
	s->churn_size = size;
	s->churn_maps++;
	s->churn_mapped += size;
	if (size > s->churn_peak)
		s->churn_peak = size;
	s->last_ns = t;
}

static uint64_t worker_base(unsigned int rank, int site)
{
	return site == 0 ? (64 + 4 * (uint64_t)rank) * MIB :
	       site == 1 ? 16 * MIB : MIB;
}

static bool worker_noisy(unsigned int rank)
{
	return opt.noise == NOISE_NOISY ||
	       (opt.noise == NOISE_MIXED && rank % 2 == 1);
}

static void worker_tick(struct worker *w, unsigned long tick)
{
	unsigned int rank = w->rank;
	uint64_t total = 0;
	int j;

	for (j = 0; j < 3; j++) {
		uint64_t size = worker_base(rank, j);

		if (j == 1 && worker_noisy(rank))
			size += page_round(rnd(100 + rank, tick) % (8 * MIB));
		if (tick == 0) {
			w->maps[j] = 1;
			w->mapped[j] = size;
		} else if (size != w->sizes[j]) {
			/* a new buffer for the batch, the old one freed */
			w->maps[j]++;
			w->mapped[j] += size;
			w->unmaps[j]++;
			w->unmapped[j] += w->sizes[j];
		}
		w->sizes[j] = size;
		if (size > w->peak[j])
			w->peak[j] = size;
		total += size;
	}
	if (total > w->proc_peak)
		w->proc_peak = total;
}

struct files {
	struct sbuf st, pr, th, si, re;
};

static void files_write(struct files *f)
{
	snap_write_sb(opt.dir, "status", &f->st);
	snap_write_sb(opt.dir, "procs", &f->pr);
	snap_write_sb(opt.dir, "threads", &f->th);
	snap_write_sb(opt.dir, "sites", &f->si);
	snap_write_sb(opt.dir, "regions", &f->re);
	free(f->st.s);
	free(f->pr.s);
	free(f->th.s);
	free(f->si.s);
	free(f->re.s);
}

struct span {
	uint64_t start, end, site;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* this process's lines */
static void emit_self(struct files *f, struct self *s)
{
	uint64_t leak_live = (uint64_t)s->leak_n * MIB;
	uint64_t live = leak_live + s->churn_size;
	struct span *v = calloc((size_t)s->leak_n + 1, sizeof(*v));
	long i;

	if (!v) {
		fprintf(stderr, "leaksim: out of memory (errno %d)\n", ENOMEM);
		exit(1);
	}
	if (live > s->peak)
		s->peak = live;
	sb_printf(&f->pr, "%d leaksim live %lu %lu %lu %lu %lu %lu %lu %lu %lu\n",
		  s->pid, (unsigned long)(s->leak_n + s->churn_maps),
		  (unsigned long)s->churn_unmaps,
		  (unsigned long)(leak_live + s->churn_mapped),
		  (unsigned long)s->churn_unmapped, (unsigned long)s->leak_n + 1,
		  (unsigned long)live, (unsigned long)s->peak,
		  (unsigned long)s->t0, (unsigned long)s->last_ns);
	sb_printf(&f->th, "%d %d leaksim %lu %lu %lu %lu\n", s->pid, s->pid,
		  (unsigned long)(s->leak_n + s->churn_maps),
		  (unsigned long)s->churn_unmaps,
		  (unsigned long)(leak_live + s->churn_mapped),
		  (unsigned long)s->churn_unmapped);
	sb_printf(&f->si, "%d 1 private %ld 0 %lu 0 %ld %lu %lu %lu %lu "
		  "0x%lx,0x%lx,0x%lx call\n", s->pid, s->leak_n,
		  (unsigned long)leak_live, s->leak_n, (unsigned long)leak_live,
		  (unsigned long)leak_live, (unsigned long)s->t0,
		  (unsigned long)s->leak_last_ns,
		  (unsigned long)s->mmap_addr + 0x10,
		  (unsigned long)s->grow_addr + 0x16,
		  (unsigned long)fn(leaksim_tick) + 0x8);
	sb_printf(&f->si, "%d 2 private %lu %lu %lu %lu 1 %lu %lu %lu %lu "
		  "0x%lx,0x%lx,0x%lx call\n", s->pid,
		  (unsigned long)s->churn_maps, (unsigned long)s->churn_unmaps,
		  (unsigned long)s->churn_mapped,
		  (unsigned long)s->churn_unmapped,
		  (unsigned long)s->churn_size, (unsigned long)s->churn_peak,
		  (unsigned long)s->t0, (unsigned long)s->last_ns,
		  (unsigned long)s->mmap_addr + 0x10,
		  (unsigned long)fn(leaksim_churn) + 0x8,
		  (unsigned long)fn(leaksim_tick) + 0x8);
	for (i = 0; i < s->leak_n; i++)
		v[i] = (struct span){ (uintptr_t)s->leak[i],
				      (uintptr_t)s->leak[i] + MIB, 1 };
	v[i++] = (struct span){ (uintptr_t)s->churn,
				(uintptr_t)s->churn + s->churn_size, 2 };
	qsort(v, (size_t)i, sizeof(*v), cmp_span);
	for (i = 0; i <= s->leak_n; i++)
		sb_printf(&f->re, "%d 0x%lx 0x%lx %lu private 0\n", s->pid,
			  (unsigned long)v[i].start, (unsigned long)v[i].end,
			  (unsigned long)v[i].site);
	free(v);
}

/* worker @w's lines */
static void emit_worker(struct files *f, struct worker *w, uint64_t t)
{
	uint64_t maps = 0, unmaps = 0, mapped = 0, unmapped = 0, tot = 0, off;
	unsigned int id0 = 100 + 3 * w->rank;
	int j;

	for (j = 0; j < 3; j++) {
		maps += w->maps[j];
		unmaps += w->unmaps[j];
		mapped += w->mapped[j];
		unmapped += w->unmapped[j];
		tot += w->sizes[j];
	}
	sb_printf(&f->pr, "%d python3 live %lu %lu %lu %lu 3 %lu %lu %lu %lu\n",
		  w->in.pid, (unsigned long)maps, (unsigned long)unmaps,
		  (unsigned long)mapped, (unsigned long)unmapped,
		  (unsigned long)tot, (unsigned long)w->proc_peak,
		  (unsigned long)w->first_ns, (unsigned long)t);
	sb_printf(&f->th, "%d %d python3 %lu %lu %lu %lu\n", w->in.pid,
		  w->in.pid, (unsigned long)maps, (unsigned long)unmaps,
		  (unsigned long)mapped, (unsigned long)unmapped);
	off = w->in.reserve;
	for (j = 0; j < 3; j++) {
		sb_printf(&f->si, "%d %u private %lu %lu %lu %lu 1 %lu %lu %lu "
			  "%lu 0x%lx,0x%lx call\n", w->in.pid, id0 + (unsigned)j,
			  (unsigned long)w->maps[j], (unsigned long)w->unmaps[j],
			  (unsigned long)w->mapped[j],
			  (unsigned long)w->unmapped[j],
			  (unsigned long)w->sizes[j], (unsigned long)w->peak[j],
			  (unsigned long)w->first_ns, (unsigned long)t,
			  (unsigned long)w->in.mmap_addr + 0x10,
			  (unsigned long)w->in.fns[j] + 0x8);
		sb_printf(&f->re, "%d 0x%lx 0x%lx %u private 0\n", w->in.pid,
			  (unsigned long)off, (unsigned long)(off + w->sizes[j]),
			  id0 + (unsigned)j);
		off += worker_base(w->rank, j) + (j == 1 ? 8 * MIB : 0);
	}
}

static void write_normal(struct self *s, uint64_t t)
{
	struct files f = { 0 };
	unsigned int r, nsites = 2 + 3 * opt.workers;
	unsigned long nregions = (unsigned long)s->leak_n + 1 + 3ul * opt.workers;
	bool self_done = false;

	sb_printf(&f.st, SNAP_STATUS_H "version 0.1.0\nkernel leaksim\n"
		  "enabled 1\ndepth 16\nfilter_pids all\nfilter_comm all\n"
		  "max_regions 1048576\nmax_sites 131072\nretain_exited 64\n"
		  "processes %u\nprocesses_exited 0\nthreads %u\nsites %u\n"
		  "regions %lu\nmemory_bytes %lu\ndrop regions_cap 0\n"
		  "drop sites_cap 0\ndrop nomem 0\ndrop stale 0\n",
		  opt.workers + 1, opt.workers + 1, nsites, nregions,
		  4096ul + 128ul * nregions);
	sb_printf(&f.pr, SNAP_PROCS_H);
	sb_printf(&f.th, SNAP_THREADS_H);
	sb_printf(&f.si, SNAP_SITES_H);
	sb_printf(&f.re, SNAP_REGIONS_H);
	/* ordered by pid, as the module writes them (workers are sorted) */
	for (r = 0; r < opt.workers; r++) {
		if (!self_done && s->pid < workers[r].in.pid) {
			emit_self(&f, s);
			self_done = true;
		}
		emit_worker(&f, &workers[r], t);
	}
	if (!self_done)
		emit_self(&f, s);
	files_write(&f);
}

static int cmp_worker_pid(const void *a, const void *b)
{
	const struct worker *x = a, *y = b;

	return (x->in.pid > y->in.pid) - (x->in.pid < y->in.pid);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* ---- scale mode ---- */

#define SCALE_SITES	100
#define SCALE_REGIONS	10	/* per site */
#define SCALE_REGION	(16 * KIB)


static void scale_run(void)
{
	unsigned int np = opt.scale_procs, p, s, k;
	size_t per = (size_t)SCALE_SITES * SCALE_REGIONS * SCALE_REGION;
	uintptr_t mm = libc_sym("mmap"), fns[6] = {
		fn(worker_load_model), fn(worker_batch), fn(worker_cache),
		fn(leaksim_churn), fn(leaksim_tick), leakpool_grow_addr(),
	};
	struct sbuf st = { 0 }, pr = { 0 }, th = { 0 }, si = { 0 }, re = { 0 };
	uint64_t t = now_ns();
	char *area;

	if (np < 1 || np > sizeof(scale_pids) / sizeof(scale_pids[0])) {
		fprintf(stderr, "leaksim: bad --scale-procs %u\n", np);
		exit(2);
	}
	/* every process has this reservation at the same address (fork) */
	area = mmap(NULL, per, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED) {
		perror("leaksim: mmap");
		exit(1);
	}
	scale_pids[0] = getpid();
	for (p = 1; p < np; p++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("leaksim: fork");
			exit(1);
		}
		if (pid == 0) {
			prctl(PR_SET_NAME, "python3");
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		scale_pids[p] = pid;
	}
	sb_printf(&st, SNAP_STATUS_H "version 0.1.0\nkernel leaksim-scale\n"
		  "enabled 1\ndepth 16\nfilter_pids all\nfilter_comm all\n"
		  "max_regions 16777216\nmax_sites 1048576\nretain_exited 64\n"
		  "processes %u\nprocesses_exited 0\nthreads %u\nsites %u\n"
		  "regions %u\nmemory_bytes %u\n", np, np, np * SCALE_SITES,
		  np * SCALE_SITES * SCALE_REGIONS, np * 4096u);
	sb_printf(&pr, SNAP_PROCS_H);
	sb_printf(&th, SNAP_THREADS_H);
	sb_printf(&si, SNAP_SITES_H);
	sb_printf(&re, SNAP_REGIONS_H);
	/* pids ascending, as the module orders them */
	qsort(scale_pids, np, sizeof(int), cmp_int);
	for (p = 0; p < np; p++) {
		unsigned long live = SCALE_SITES * SCALE_REGIONS * SCALE_REGION;

		sb_printf(&pr, "%d %s live %u 0 %lu 0 %u %lu %lu %lu %lu\n",
			  scale_pids[p], scale_pids[p] == getpid() ? "leaksim" :
			  "python3", SCALE_SITES * SCALE_REGIONS, live,
			  SCALE_SITES * SCALE_REGIONS, live, live,
			  (unsigned long)t, (unsigned long)t);
		sb_printf(&th, "%d %d %s %u 0 %lu 0\n", scale_pids[p],
			  scale_pids[p], scale_pids[p] == getpid() ? "leaksim" :
			  "python3", SCALE_SITES * SCALE_REGIONS, live);
		for (s = 0; s < SCALE_SITES; s++) {
			uint64_t id = 1 + (uint64_t)p * SCALE_SITES + s;
			unsigned int nf = 3 + (unsigned int)(rnd(7, id) % 6);

			sb_printf(&si, "%d %lu private %u 0 %lu 0 %u %lu %lu %lu "
				  "%lu 0x%lx", scale_pids[p], (unsigned long)id,
				  SCALE_REGIONS, SCALE_REGIONS * SCALE_REGION,
				  SCALE_REGIONS, SCALE_REGIONS * SCALE_REGION,
				  SCALE_REGIONS * SCALE_REGION, (unsigned long)t,
				  (unsigned long)t, (unsigned long)mm + 0x10);
			for (k = 1; k < nf; k++)
				sb_printf(&si, ",0x%lx", (unsigned long)
					  fns[rnd(8, id * 32 + k) % 6] + 4 +
					  rnd(9, id * 32 + k) % 8);
			sb_printf(&si, " call\n");
		}
		/* regions by start: site s holds every SCALE_SITES-th one */
		for (k = 0; k < SCALE_SITES * SCALE_REGIONS; k++) {
			uintptr_t a = (uintptr_t)area + (uintptr_t)k * SCALE_REGION;

			sb_printf(&re, "%d 0x%lx 0x%lx %lu private 0\n",
				  scale_pids[p], (unsigned long)a,
				  (unsigned long)(a + SCALE_REGION),
				  (unsigned long)(1 + (uint64_t)p * SCALE_SITES +
						  k % SCALE_SITES));
		}
	}
	snap_write_sb(opt.dir, "status", &st);
	snap_write_sb(opt.dir, "procs", &pr);
	snap_write_sb(opt.dir, "threads", &th);
	snap_write_sb(opt.dir, "sites", &si);
	snap_write_sb(opt.dir, "regions", &re);
	free(st.s);
	free(pr.s);
	free(th.s);
	free(si.s);
	free(re.s);
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: leaksim DIR [-p PERIOD] [-t TICK] [-n WORKERS] [--seed N]\n"
		"               [--noise mixed|flat|noisy] [--leak-steps N]\n"
		"               [--duration SECS] [--stdin]\n"
		"       leaksim DIR --scale [--scale-procs N] [--duration SECS] [--stdin]\n"
		"  -p, --period SECS  the leak maps 1 MiB every SECS (default 2.5)\n"
		"  -t, --tick SECS    files replaced every SECS (default 0.5)\n"
		"  -n, --workers N    python3 children (default 30, at most %d)\n"
		"      --seed N       the churn and noise (default 1)\n"
		"      --noise MODE   workers' second site: mixed (odd ranks noisy,\n"
		"                     default), flat or noisy\n"
		"      --leak-steps N the leak stops after N steps (default never)\n"
		"      --duration S   exit after S seconds (default: at SIGINT/SIGTERM)\n"
		"      --stdin        exit at the end of standard input too\n"
		"      --scale        1,000 processes, 100,000 sites, 1,000,000 regions,\n"
		"                     written once\n"
		"      --scale-procs N  processes in --scale (default 1000)\n",
		MAX_WORKERS);
}

static double num_arg(const char *name, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "leaksim: bad %s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

static bool wait_tick(uint64_t deadline_ns)
{
	for (;;) {
		uint64_t t = now_ns();
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		int ms, n;

		if (stop)
			return false;
		if (t >= deadline_ns)
			return true;
		ms = (int)((deadline_ns - t + 999999) / 1000000);
		if (!opt.use_stdin) {
			struct timespec ts = { (time_t)(ms / 1000),
					       (long)(ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		n = poll(&pfd, 1, ms);
		if (n > 0) {
			char buf[256];

			if (read(0, buf, sizeof(buf)) <= 0)
				return false;
		}
	}
}

int main(int argc, char **argv)
{
	enum { O_SEED = 256, O_NOISE, O_STEPS, O_DURATION, O_STDIN, O_SCALE,
	       O_SCALE_PROCS };
	static const struct option longopts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "tick", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, O_SEED },
		{ "noise", required_argument, NULL, O_NOISE },
		{ "leak-steps", required_argument, NULL, O_STEPS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "stdin", no_argument, NULL, O_STDIN },
		{ "scale", no_argument, NULL, O_SCALE },
		{ "scale-procs", required_argument, NULL, O_SCALE_PROCS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	static struct self s;
	uint64_t start, end_ns = 0;
	unsigned long tick;
	unsigned int r;
	int c;

	if (argc == 5 && !strcmp(argv[1], "-m") && !strcmp(argv[2], "worker"))
		return worker_main(atoi(argv[4]));
	while ((c = getopt_long(argc, argv, "p:t:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opt.period = num_arg("-p", optarg, 0.01, 86400);
			break;
		case 't':
			opt.tick = num_arg("-t", optarg, 0.01, 86400);
			break;
		case 'n':
			opt.workers = (unsigned int)num_arg("-n", optarg, 0,
							    MAX_WORKERS);
			break;
		case O_SEED:
			opt.seed = (unsigned long)num_arg("--seed", optarg, 0, 1e15);
			break;
		case O_NOISE:
			if (!strcmp(optarg, "mixed"))
				opt.noise = NOISE_MIXED;
			else if (!strcmp(optarg, "flat"))
				opt.noise = NOISE_FLAT;
			else if (!strcmp(optarg, "noisy"))
				opt.noise = NOISE_NOISY;
			else {
				fprintf(stderr, "leaksim: bad --noise '%s'\n", optarg);
				return 2;
			}
			break;
		case O_STEPS:
			opt.leak_steps = (long)num_arg("--leak-steps", optarg, 0, 1e6);
			break;
		case O_DURATION:
			opt.duration = num_arg("--duration", optarg, 0, 1e7);
			break;
		case O_STDIN:
			opt.use_stdin = true;
			break;
		case O_SCALE:
			opt.scale = true;
			break;
		case O_SCALE_PROCS:
			opt.scale_procs = (unsigned int)num_arg("--scale-procs",
							optarg, 1, 100000);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	opt.dir = argv[optind];
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	start = now_ns();
	if (opt.duration > 0)
		end_ns = start + (uint64_t)(opt.duration * 1e9);
	if (opt.scale) {
		opt.workers = 0;
		scale_run();
		printf("ready %d\n", getpid());
		fflush(stdout);
		while (wait_tick(end_ns ? end_ns : UINT64_MAX))
			if (end_ns && now_ns() >= end_ns)
				break;
		stop_workers();
		return 0;
	}
	start_workers("/proc/self/exe");
	s.pid = getpid();
	s.t0 = start;
	s.mmap_addr = libc_sym("mmap");
	s.grow_addr = leakpool_grow_addr();
	for (r = 0; r < opt.workers; r++) {
		/* older workers: started a minute apart before us */
		uint64_t back = (uint64_t)(r + 1) * 60000000000ull;

		workers[r].first_ns = start > back ? start - back : start;
	}
	qsort(workers, opt.workers, sizeof(workers[0]), cmp_worker_pid);
	/* after the sort: ranks are positions by pid (deterministic sizes) */
	for (tick = 0;; tick++) {
		uint64_t t = now_ns();

		self_tick(&s, tick, t);
		for (r = 0; r < opt.workers; r++)
			worker_tick(&workers[r], tick);
		write_normal(&s, t);
		if (tick == 0) {
			printf("ready %d\n", s.pid);
			fflush(stdout);
		}
		if (end_ns && t >= end_ns)
			break;
		if (!wait_tick(start + (uint64_t)((double)(tick + 1) *
						   opt.tick * 1e9)))
			break;
		if (end_ns && now_ns() >= end_ns)
			break;
	}
	stop_workers();
	return 0;
}
