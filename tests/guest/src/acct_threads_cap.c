// SPDX-License-Identifier: GPL-2.0
/*
 * acct_threads_cap.c - more threads than a process keeps records for.
 *
 * A process keeps at most 4096 thread records.  The main thread maps a
 * page (its record comes first), then NWORKERS threads run one after the
 * other, each mapping and unmapping one page of its own.  Workers 1-4095
 * get records; the last NWORKERS - 4095 have none, and their calls must be
 * added up on the process's tid 0 line of threads:
 *
 *   .records        status threads is 4096 and the process has 4096 lines
 *                   with a tid of their own;
 *   .other_line     the tid 0 line (comm "-") has exactly their maps,
 *                   unmaps and bytes;
 *   .threads_other  status threads_other counts their calls (2 each);
 *   .no_drop        every drop counter is still 0: no region was lost;
 *   .sum            the process's threads lines add up to its procs line
 *                   (maps, unmaps, bytes).
 *
 * The files are read with read(2) into static buffers: no allocation (the
 * snapshot helpers keep at most 256 threads).
 *
 * usage: acct_threads_cap   (root, anonstat loaded)
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define CAP		4096
#define NWORKERS	4100
#define NOTHER		(NWORKERS - (CAP - 1))
#define P		PAGE_SZ

static char text[4 << 20];
static struct as_status st0, st1;
static int worker_errors;

static void *worker_main(void *arg)
{
	void *p = mmap(NULL, P, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	if (p == MAP_FAILED || munmap(p, P))
		__atomic_add_fetch(&worker_errors, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* The whole of AS_DIR/name in text[], NUL-terminated. */
static void read_file(const char *name)
{
	char path[128];
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), AS_DIR "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		t_fatal("read", "open %s failed", path);
	while ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0 || len == sizeof(text) - 1)
		t_fatal("read", "reading %s failed or too long", path);
	text[len] = '\0';
}

struct sums {
	uint64_t lines, maps, unmaps, bytes_mapped, bytes_unmapped;
	bool has_other;
	uint64_t other[4];
	char other_comm[AS_COMM_MAX];
};

static void threads_sums(pid_t pid, struct sums *s)
{
	char *line, *save = NULL;

	memset(s, 0, sizeof(*s));
	read_file("threads");
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t c[4];
		char comm[AS_COMM_MAX];
		int p, tid;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%d %d %63s %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64, &p, &tid, comm, &c[0], &c[1], &c[2],
			   &c[3]) != 7)
			t_fatal("threads", "bad line '%s'", line);
		if (p != pid)
			continue;
		if (tid == 0) {
			s->has_other = true;
			memcpy(s->other, c, sizeof(c));
			strcpy(s->other_comm, comm);
		} else {
			s->lines++;
		}
		s->maps += c[0];
		s->unmaps += c[1];
		s->bytes_mapped += c[2];
		s->bytes_unmapped += c[3];
	}
}

int main(void)
{
	static const char *const drops[] = {
		"drop regions_cap", "drop sites_cap", "drop nomem", "drop stale",
	};
	pthread_attr_t attr;
	struct sums s;
	size_t i, stack;
	bool same;

	t_init("acct_threads_cap");
	ctl_isolate(ISOLATE_SELF);
	unmap(map_anon(P, MAP_PRIVATE), P);	/* the main thread's record */
	/* 64 KiB stacks, or the smallest there is (128 KiB on aarch64) */
	stack = 64 << 10;
	if (sysconf(_SC_THREAD_STACK_MIN) > (long)stack)
		stack = (size_t)sysconf(_SC_THREAD_STACK_MIN);
	if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, stack))
		t_fatal("attr", "pthread_attr_setstacksize(%zu) failed", stack);
	status_read(&st0);
	for (i = 0; i < NWORKERS; i++) {
		pthread_t th;

		if (pthread_create(&th, &attr, worker_main, NULL) ||
		    pthread_join(th, NULL))
			t_fatal("threads", "pthread_create/join %zu failed", i);
	}
	status_read(&st1);
	if (worker_errors)
		t_fatal("threads", "%d workers' mmap or munmap failed", worker_errors);

	threads_sums(getpid(), &s);
	t_expect(status_num(&st1, "threads") == CAP && s.lines == CAP, "records",
		 "status threads %" PRIu64 ", %" PRIu64 " lines with a tid, want %d",
		 status_num(&st1, "threads"), s.lines, CAP);
	t_expect(s.has_other && s.other[0] == NOTHER && s.other[1] == NOTHER &&
		 s.other[2] == NOTHER * P && s.other[3] == NOTHER * P &&
		 !strcmp(s.other_comm, "-"), "other_line",
		 "tid 0 line %s: comm %s maps %" PRIu64 " unmaps %" PRIu64
		 " bytes %" PRIu64 " %" PRIu64 ", want %d and %lu each",
		 s.has_other ? "present" : "missing", s.other_comm, s.other[0],
		 s.other[1], s.other[2], s.other[3], NOTHER, NOTHER * P);
	t_status_delta("threads_other", &st0, &st1, "threads_other", 2 * NOTHER);
	same = true;
	for (i = 0; i < ARRAY_SIZE(drops); i++)
		same &= status_num(&st1, drops[i]) == 0;
	t_expect(same, "no_drop", "a drop counter is not 0");
	/* the workers are joined */
	t_check_maps("joined.maps", getpid());

	threads_sums(getpid(), &s);
	read_file("procs");
	{
		char *line, *save = NULL;
		bool found = false;

		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			uint64_t c[4];
			char comm[AS_COMM_MAX], state[AS_WORD_MAX];
			int p;

			if (line[0] == '#' ||
			    sscanf(line, "%d %63s %15s %" SCNu64 " %" SCNu64
				   " %" SCNu64 " %" SCNu64, &p, comm, state,
				   &c[0], &c[1], &c[2], &c[3]) != 7 ||
			    p != getpid())
				continue;
			found = true;
			t_expect(c[0] == s.maps && c[1] == s.unmaps &&
				 c[2] == s.bytes_mapped && c[3] == s.bytes_unmapped,
				 "sum", "procs maps %" PRIu64 " unmaps %" PRIu64
				 " bytes %" PRIu64 " %" PRIu64 ", threads lines add up to %"
				 PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
				 c[0], c[1], c[2], c[3], s.maps, s.unmaps,
				 s.bytes_mapped, s.bytes_unmapped);
		}
		if (!found)
			t_fail("sum", "no procs line for %d", (int)getpid());
	}
	return t_exit_status();
}
