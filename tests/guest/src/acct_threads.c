// SPDX-License-Identifier: GPL-2.0
/*
 * acct_threads.c - the threads file.
 *
 * NTHREADS threads name themselves with pthread_setname_np (names with a
 * space and a backslash, which the file escapes), then thread i maps i + 1
 * one-page regions and unmaps i of them, all maps before any unmap (a
 * barrier between the two): each munmap is accounted when its thread
 * returns to user space, and a page another thread's mmap got back in the
 * meantime would count its release on that thread (module/DESIGN.md,
 * RELIABILITY.md "Known limits").  While they are all still alive
 * the threads file must show each tid with its escaped name and exactly
 * its own maps, unmaps and bytes.
 *
 * usage: acct_threads   (root, anonstat loaded)
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define NTHREADS	4
#define P		PAGE_SZ

static const char *const names[NTHREADS] = {
	"acct-t0", "acct t1", "acct\\t2", "acct-thread-3",
};

struct worker {
	int idx;
	pid_t tid;
	int error;
};

static struct worker workers[NTHREADS];
static pthread_barrier_t all_mapped, mapped, checked;
static struct as_snap snap;

/* maps idx + 1 pages one by one, unmaps idx of them; no helper output */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	void *p[NTHREADS];
	int i;

	w->tid = gettid();
	if (pthread_setname_np(pthread_self(), names[w->idx]))
		w->error = 1;
	for (i = 0; i <= w->idx; i++) {
		p[i] = mmap(NULL, P, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p[i] == MAP_FAILED)
			w->error = 1;
	}
	pthread_barrier_wait(&all_mapped);
	for (i = 0; i < w->idx; i++)
		if (p[i] != MAP_FAILED && munmap(p[i], P))
			w->error = 1;
	pthread_barrier_wait(&mapped);
	pthread_barrier_wait(&checked);
	return NULL;
}

static void check_worker(const struct worker *w)
{
	const struct as_thread *t = snap_thread(&snap, w->tid);
	uint64_t n = (uint64_t)w->idx;
	char name[AS_COMM_MAX], check[32];

	escape_comm(names[w->idx], name);
	snprintf(check, sizeof(check), "thread%d", w->idx);
	if (!t_expect(!w->error && t, check, "thread %d (tid %d): %s", w->idx,
		      (int)w->tid, w->error ? "a call failed" : "no threads line"))
		return;
	t_expect(t->pid == getpid() && !strcmp(t->comm, name) &&
		 t->maps == n + 1 && t->unmaps == n &&
		 t->bytes_mapped == (n + 1) * P && t->bytes_unmapped == n * P,
		 check, "tid %d: pid %d comm %s maps %" PRIu64 " unmaps %" PRIu64
		 " bytes %" PRIu64 "/%" PRIu64 "; want comm %s maps %" PRIu64
		 " unmaps %" PRIu64, (int)t->tid, (int)t->pid, t->comm, t->maps,
		 t->unmaps, t->bytes_mapped, t->bytes_unmapped, name, n + 1, n);
}

int main(void)
{
	pthread_t th[NTHREADS];
	int i;

	t_init("acct_threads");
	ctl_isolate(ISOLATE_SELF);
	pthread_barrier_init(&all_mapped, NULL, NTHREADS);
	pthread_barrier_init(&mapped, NULL, NTHREADS + 1);
	pthread_barrier_init(&checked, NULL, NTHREADS + 1);
	for (i = 0; i < NTHREADS; i++) {
		workers[i].idx = i;
		if (pthread_create(&th[i], NULL, worker_main, &workers[i]))
			t_fatal("pthread_create", "thread %d", i);
	}
	pthread_barrier_wait(&mapped);
	snap_take(&snap, getpid());
	t_check_maps("mapped.maps", getpid());
	for (i = 0; i < NTHREADS; i++)
		check_worker(&workers[i]);
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	pthread_barrier_wait(&checked);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	return t_exit_status();
}
