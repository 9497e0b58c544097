// SPDX-License-Identifier: GPL-2.0
/*
 * ucx_leak.c - the anontop demo program: the UCX case of the README, with
 * the real UCX memory hooks (Debian's libucm, UCX 1.13).
 *
 * libucm patches libc's mmap and munmap (bistro mode) and reports every
 * call to the handlers installed with ucm_set_event_handler(), from inside
 * its hooks; one of priority 0, as here, after the system call libucm
 * makes itself (syscall(SYS_munmap); ucm.h: ">= 0 - called after the
 * original implementation").  This program installs one, the way UCX's
 * registration cache does: a munmap of a registered buffer queues an
 * invalidation entry in a pool.
 * Its bug, the one the demo shows (vLLM's leak through UCX's rcache): the
 * pool grows by one 64 KiB chunk for each such event and never gives one
 * back.  Like UCX's pool (ucs_rcache_mp_chunk_alloc), it maps its chunks
 * with ucm_orig_mmap(), which bypasses the events: libucm's raw
 * syscall(SYS_mmap), invisible to heap profilers and libc interposers.
 *
 * A "progress" thread maps a 256 KiB transfer buffer (through the hooks),
 * registers it, uses it and unmaps it: balanced, but every unmap leaks a
 * chunk (rcache_chunk_alloc, called from the handler inside libucm's
 * munmap hook).  Beside it, the main thread makes balanced glibc
 * allocations: a few large malloc()s that stay (more live bytes than the
 * leak has at first, but never growing) and one that is freed every cycle.
 * None of them is registered: the handler ignores their unmaps.
 *
 * Built like the programs it imitates: no frame pointers (plain -O2), so
 * anonstat's call stacks come from the call frame information.
 *
 * usage: ucx_leak [-i MS] [-t SECS]   run, one cycle every MS ms (default
 *                                     100), for SECS seconds (default: until
 *                                     SIGINT/SIGTERM); a status line a second
 *        ucx_leak --step [-c N]       for each line read on stdin, N cycles
 *                                     (default 4), then "leaked BYTES"; first
 *                                     "ready PID"; exits at end of input
 *
 * "leaked BYTES" is exactly what the leaking call site holds live.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ucm/api/ucm.h>

#define BUF_LEN		(256 * 1024)	/* a transfer buffer */
#define CHUNK_LEN	(64 * 1024)	/* a pool chunk: one per invalidation */
#define KEPT_LEN	(1024 * 1024)	/* glibc allocations that stay */
#define NR_KEPT		4
#define TEMP_LEN	(512 * 1024)	/* a glibc allocation freed at once */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long cycles_wanted, cycles_done;	/* under lock */
static volatile sig_atomic_t stop;

/* the registration cache: one registered region at a time, the buffer
 * (BUF_LEN bytes at reg_start; 0: none) */
static _Atomic uintptr_t reg_start;
static atomic_size_t pool_bytes;

static void die(const char *what)
{
	fprintf(stderr, "ucx_leak: %s: %s (errno %d)\n", what, strerror(errno),
		errno);
	exit(1);
}

/* the pool grows by one chunk, mapped around the hooks; never freed */
__attribute__((noipa)) static void *rcache_chunk_alloc(void)
{
	void *p = ucm_orig_mmap(NULL, CHUNK_LEN, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, CHUNK_LEN);	/* in use: resident */
	atomic_fetch_add(&pool_bytes, CHUNK_LEN);
	return p;
}

/*
 * libucm's munmap event, called inside its hook after the system call:
 * the unmap of the registered buffer (its start and length) ends the
 * registration and queues an invalidation entry, in a new pool chunk (the
 * leak).  Exactly, not any overlap: the main thread's free() is reported
 * once its memory is unmapped, by when the progress thread may have mapped
 * and registered its next buffer in the same place; and claimed with a
 * compare-and-exchange, once.
 */
__attribute__((noipa)) static void rcache_unmapped(ucm_event_type_t type,
						   ucm_event_t *ev, void *arg)
{
	uintptr_t start = (uintptr_t)ev->munmap.address;

	(void)arg;
	if (type != UCM_EVENT_MUNMAP || !start || ev->munmap.size != BUF_LEN ||
	    !atomic_compare_exchange_strong(&reg_start, &start, 0))
		return;
	if (!rcache_chunk_alloc())
		die("pool chunk");
}

/* one cycle of the progress engine: a buffer mapped, registered, unmapped */
__attribute__((noipa)) static void progress_cycle(void)
{
	char *buf = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		die("mmap");
	atomic_store(&reg_start, (uintptr_t)buf);
	memset(buf, 1, BUF_LEN);
	if (munmap(buf, BUF_LEN))
		die("munmap");
}

__attribute__((noipa)) static void *progress_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (cycles_done == cycles_wanted)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
		progress_cycle();
		pthread_mutex_lock(&lock);
		cycles_done++;
		pthread_cond_broadcast(&cond);
	}
	return NULL;
}

/* balanced glibc use: a large block malloc()ed (mmap) and freed (munmap) */
__attribute__((noipa)) static void glibc_cycle(void)
{
	char *p = malloc(TEMP_LEN);

	if (!p)
		die("malloc");
	memset(p, 2, TEMP_LEN);
	free(p);
}

/* run @n cycles of the progress thread and of glibc, and wait for them */
static void cycles(long n)
{
	long i;

	pthread_mutex_lock(&lock);
	cycles_wanted += n;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < n; i++)
		glibc_cycle();
	pthread_mutex_lock(&lock);
	while (cycles_done != cycles_wanted)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long number(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v <= 0) {
		fprintf(stderr, "ucx_leak: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long interval = 100, seconds = 0, per_step = 4, n = 0;
	static char *kept[NR_KEPT];
	bool step = false;
	pthread_t thread;
	ucs_status_t st;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--step"))
			step = true;
		else if (!strcmp(argv[i], "-i") && i + 1 < argc)
			interval = number(argv[++i], "-i");
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			seconds = number(argv[++i], "-t");
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			per_step = number(argv[++i], "-c");
		else {
			fprintf(stderr, "usage: ucx_leak [-i MS] [-t SECS] | "
				"ucx_leak --step [-c N]\n");
			return 2;
		}
	}
	st = ucm_set_event_handler(UCM_EVENT_MUNMAP, 0, rcache_unmapped, NULL);
	if (st != UCS_OK) {
		fprintf(stderr, "ucx_leak: ucm_set_event_handler: %s\n",
			ucs_status_string(st));
		return 1;
	}
	for (i = 0; i < NR_KEPT; i++) {
		kept[i] = malloc(KEPT_LEN);
		if (!kept[i])
			die("malloc");
		memset(kept[i], 3, KEPT_LEN);
	}
	if (pthread_create(&thread, NULL, progress_thread, NULL))
		die("pthread_create");
	pthread_setname_np(thread, "ucx_progress");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (step) {
		char line[256];

		printf("ready %d\n", (int)getpid());
		while (fgets(line, sizeof(line), stdin)) {
			cycles(per_step);
			printf("leaked %zu\n", atomic_load(&pool_bytes));
		}
		return 0;
	}
	printf("ucx_leak: pid %d; a progress thread maps and unmaps a %d KiB "
	       "buffer every %ld ms through libucm's hooks, and each unmap leaks "
	       "a %d KiB pool chunk\n", (int)getpid(), BUF_LEN / 1024, interval,
	       CHUNK_LEN / 1024);
	while (!stop && (!seconds || n * interval < seconds * 1000)) {
		cycles(1);
		if (++n % (1000 / interval > 0 ? 1000 / interval : 1) == 0)
			printf("ucx_leak: leaked %zu bytes in %zu pool chunks\n",
			       atomic_load(&pool_bytes),
			       atomic_load(&pool_bytes) / CHUNK_LEN);
		sleep_ms(interval);
	}
	printf("ucx_leak: leaked %zu bytes\n", atomic_load(&pool_bytes));
	return 0;
}
