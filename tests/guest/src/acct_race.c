// SPDX-License-Identifier: GPL-2.0
/*
 * acct_race.c - four threads racing over one window (issue 13).
 *
 * The threads share a 64-page window at a free address and do N operations
 * in all (N/4 each, random, seeded): MAP_FIXED mmaps (private, sometimes
 * shared) of 1..8 pages, munmaps of 1..8 pages, mremap moves (MAYMOVE |
 * FIXED to another place of the window) and mremap grows or shrinks in
 * place, all overlapping whatever the others have mapped; many fail
 * (EFAULT, EINVAL, ENOMEM), which is part of the test.  Nothing leaves the
 * window.  Once the threads are joined:
 *
 *   .maps_window  the regions in the window are the anonymous VMAs there;
 *   .maps         the same over the whole process;
 *   .consistent   per site the live bytes are what its regions hold, and
 *                 the sites add up to the procs line;
 *   .unmap_all    after munmap of the window nothing is left in it, and
 *                 the oracle holds again.
 *
 * usage: acct_race [N [SEED]]   (default 20000 operations, seed 1)
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P		PAGE_SZ
#define RW		(PROT_READ | PROT_WRITE)
#define WINDOW_PAGES	64
#define NTHREADS	4
#define MAX_LEN		8

struct worker {
	pthread_t thread;
	uint64_t seed;
	long ops;
	long done[5], failed[5];
};

static char *window;
static struct worker workers[NTHREADS];
static struct as_snap snap;

static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* A random start page and length (1..MAX_LEN pages) inside the window. */
static void pick(uint64_t *s, unsigned int *start, unsigned int *len)
{
	*len = 1 + (unsigned int)(next_rand(s) % MAX_LEN);
	*start = (unsigned int)(next_rand(s) % (WINDOW_PAGES - *len + 1));
}

SITE_FN static void *op_map(char *addr, size_t len, int flags)
{
	return mmap(addr, len, RW, MAP_FIXED | MAP_ANONYMOUS | flags, -1, 0);
}

SITE_FN static int op_unmap(char *addr, size_t len)
{
	return munmap(addr, len);
}

SITE_FN static void *op_move(char *from, size_t old_len, size_t new_len,
			     char *to)
{
	return mremap(from, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
}

SITE_FN static void *op_resize(char *addr, size_t old_len, size_t new_len)
{
	return mremap(addr, old_len, new_len, 0);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	long i;

	for (i = 0; i < w->ops; i++) {
		unsigned int a, la, b, lb, op = (unsigned int)(next_rand(&w->seed) % 10);
		bool ok;

		pick(&w->seed, &a, &la);
		pick(&w->seed, &b, &lb);
		switch (op) {
		case 0: case 1: case 2:		/* private */
			ok = op_map(window + a * P, la * P, MAP_PRIVATE) != MAP_FAILED;
			op = 0;
			break;
		case 3:				/* shared */
			ok = op_map(window + a * P, la * P, MAP_SHARED) != MAP_FAILED;
			op = 1;
			break;
		case 4: case 5: case 6:
			ok = !op_unmap(window + a * P, la * P);
			op = 2;
			break;
		case 7: case 8:			/* move, maybe resized */
			ok = op_move(window + a * P, la * P, lb * P,
				     window + b * P) != MAP_FAILED;
			op = 3;
			break;
		default:			/* grow or shrink in place */
			if (a + lb > WINDOW_PAGES)
				lb = WINDOW_PAGES - a;
			ok = op_resize(window + a * P, la * P, lb * P) != MAP_FAILED;
			op = 4;
			break;
		}
		if (ok)
			w->done[op]++;
		else
			w->failed[op]++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"map_private", "map_shared", "munmap", "mremap_move",
		"mremap_resize",
	};
	long n = argc > 1 ? atol(argv[1]) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	int i, k, err;

	t_init("acct_race");
	if (n < NTHREADS)
		t_fatal("usage", "acct_race [N [SEED]]: N at least %d", NTHREADS);
	ctl_isolate(ISOLATE_SELF);
	window = test_area(0);
	for (i = 0; i < NTHREADS; i++) {
		workers[i].seed = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)i + 1;
		workers[i].ops = n / NTHREADS + (i < n % NTHREADS);
	}
	for (i = 0; i < NTHREADS; i++) {
		err = pthread_create(&workers[i].thread, NULL, work, &workers[i]);
		if (err)
			t_fatal("threads", "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(workers[i].thread, NULL);
	for (k = 0; k < 5; k++) {
		long done = 0, failed = 0;

		for (i = 0; i < NTHREADS; i++) {
			done += workers[i].done[k];
			failed += workers[i].failed[k];
		}
		t_note("acct_race: %s %ld done, %ld failed", names[k], done, failed);
	}
	t_check_maps_in("maps_window", getpid(), window,
			window + WINDOW_PAGES * P);
	t_check_maps("maps", getpid());
	snap_take(&snap, getpid());
	t_consistent("consistent", &snap);
	t_note("acct_race: %d regions in the window",
	       snap_regions_in(&snap, ptr_u64(window),
			       ptr_u64(window) + WINDOW_PAGES * P));
	unmap(window, WINDOW_PAGES * P);
	snap_take(&snap, getpid());
	t_eq("unmap_all", (uint64_t)snap_regions_in(&snap, ptr_u64(window),
			ptr_u64(window) + WINDOW_PAGES * P), 0);
	t_check_maps("unmap_all.maps", getpid());
	t_consistent("unmap_all.consistent", &snap);
	return t_exit_status();
}
