// SPDX-License-Identifier: GPL-2.0
/*
 * ucx_leak.c - the anontop demo program: the UCX pattern of the README.
 *
 * A "progress" thread maps and unmaps transfer buffers through
 * libucmdemo.so (raw syscall() mmaps, like UCX's ucm_mmap); every unmap
 * leaks one 64 KiB pool chunk (ucm_pool_grow).  Beside it, the main thread
 * makes balanced glibc allocations: a few large malloc()s that stay (more
 * live bytes than the leak has at first, but never growing) and one that
 * is freed every cycle.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libucmdemo.h"

#define BUF_LEN		(256 * 1024)	/* a transfer buffer (ucm_mmap) */
#define KEPT_LEN	(1024 * 1024)	/* glibc allocations that stay */
#define NR_KEPT		4
#define TEMP_LEN	(512 * 1024)	/* a glibc allocation freed at once */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long cycles_wanted, cycles_done;	/* under lock */
static volatile sig_atomic_t stop;

static void die(const char *what)
{
	fprintf(stderr, "ucx_leak: %s: %s (errno %d)\n", what, strerror(errno),
		errno);
	exit(1);
}

/* one cycle of the progress engine: a buffer mapped, used and unmapped */
__attribute__((noipa)) static void progress_cycle(void)
{
	char *buf = ucm_mmap(BUF_LEN);

	if (!buf)
		die("ucm_mmap");
	memset(buf, 1, BUF_LEN);
	if (ucm_munmap(buf, BUF_LEN))
		die("ucm_munmap");
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
			printf("leaked %zu\n", ucm_pool_bytes());
		}
		return 0;
	}
	printf("ucx_leak: pid %d; a progress thread maps and unmaps a %d KiB "
	       "buffer every %ld ms through libucmdemo.so, and each unmap leaks "
	       "a %d KiB pool chunk\n", (int)getpid(), BUF_LEN / 1024, interval,
	       UCM_POOL_CHUNK / 1024);
	while (!stop && (!seconds || n * interval < seconds * 1000)) {
		cycles(1);
		if (++n % (1000 / interval > 0 ? 1000 / interval : 1) == 0)
			printf("ucx_leak: leaked %zu bytes in %zu pool chunks\n",
			       ucm_pool_bytes(), ucm_pool_bytes() / UCM_POOL_CHUNK);
		sleep_ms(interval);
	}
	printf("ucx_leak: leaked %zu bytes\n", ucm_pool_bytes());
	return 0;
}
