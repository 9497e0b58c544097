// SPDX-License-Identifier: GPL-2.0
/*
 * selfsnap.c - a process that describes itself in anonstat's debugfs
 * format, for the tests that need a live process behind a fixture (the
 * interactive test's site view, with names, resident bytes, RssAnon).
 *
 * It maps two regions (64 KiB all touched, 128 KiB half touched), names a
 * thread "selfsnap_worker", writes DIR/{status,procs,threads,sites,regions}
 * with frames inside libc's syscall() and mmap() and libsymtest.so's
 * functions, prints "ready PID" and waits for the end of its input.
 * Site 3 (mapped and unmapped: nothing live) has a whole stack of 32
 * frames, the module's largest depth: libc's syscall(), three frames in
 * an object named like UCX's hooks (libucm.so.0, tests/libucmfake.c),
 * libsymtest.so's functions and, last, this program's main().
 *
 * usage: selfsnap DIR
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "snapfmt.h"

int symtest_alpha(int n);
int symtest_beta(int n);
uintptr_t symtest_hidden_addr(void);
int ucm_orig_mmap_syscall(int n);
int ucm_event_dispatch(int n);
int ucm_override_mmap(int n);

static const char *dir;

/* DIR/NAME replaced atomically (tests/snapfmt.h) */
static void out(const char *name, const char *text)
{
	snap_write(dir, name, text, strlen(text));
}

static void *worker(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

int main(int argc, char **argv)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uintptr_t sc = libc ? (uintptr_t)dlsym(libc, "syscall") : 0;
	uintptr_t mm = libc ? (uintptr_t)dlsym(libc, "mmap") : 0;
	uintptr_t a, b, deep[32];
	char text[8192], line[64], *at;
	int k;
	pthread_t th;
	int pid = getpid(), tid;
	char *p, *q;

	if (argc != 2 || !sc || !mm) {
		fprintf(stderr, "usage: selfsnap DIR\n");
		return 2;
	}
	dir = argv[1];
	p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q = mmap(NULL, 131072, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || q == MAP_FAILED)
		return 1;
	madvise(p, 65536, MADV_NOHUGEPAGE);
	madvise(q, 131072, MADV_NOHUGEPAGE);
	memset(p, 1, 65536);
	memset(q, 1, 65536);
	if (pthread_create(&th, NULL, worker, NULL))
		return 1;
	pthread_setname_np(th, "selfsnap_worker");
	tid = pid + 1;	/* shown only; any number will do */
	a = (uintptr_t)p;
	b = (uintptr_t)q;

	out("status", "# key value...\nversion 0.1.0\nkernel test\nenabled 1\n"
	    "depth 32\nprocesses 1\nprocesses_exited 0\nthreads 2\nsites 3\n"
	    "regions 2\nmemory_bytes 4096\n");
	snprintf(text, sizeof(text),
		 "# pid comm state maps unmaps bytes_mapped bytes_unmapped "
		 "live_regions live_bytes peak_bytes first_ns last_ns\n"
		 "%d selfsnap live 3 1 200704 4096 2 196608 196608 1000 2000\n", pid);
	out("procs", text);
	snprintf(text, sizeof(text),
		 "# pid tid comm maps unmaps bytes_mapped bytes_unmapped\n"
		 "%d %d selfsnap 2 1 69632 4096\n"
		 "%d %d selfsnap_worker 1 0 131072 0\n", pid, pid, pid, tid);
	out("threads", text);
	snprintf(text, sizeof(text),
		 "# pid site kind maps unmaps bytes_mapped bytes_unmapped "
		 "live_regions live_bytes peak_bytes first_ns last_ns frames\n"
		 "%d 1 private 1 0 65536 0 1 65536 65536 1000 2000 "
		 "0x%lx,0x%lx,0x%lx\n"
		 "%d 2 private 1 0 131072 0 1 131072 131072 1000 2000 "
		 "0x%lx,0x%lx\n",
		 pid, (unsigned long)sc + 0x1d,
		 (unsigned long)symtest_hidden_addr() + 0x20,
		 (unsigned long)(uintptr_t)symtest_beta + 0x10,
		 pid, (unsigned long)mm + 0x10,
		 (unsigned long)(uintptr_t)symtest_alpha + 0x10);
	deep[0] = sc + 0x1d;
	deep[1] = (uintptr_t)ucm_orig_mmap_syscall + 0x20;
	deep[2] = (uintptr_t)ucm_event_dispatch + 0x10;
	deep[3] = (uintptr_t)ucm_override_mmap + 0x10;
	for (k = 4; k < 31; k++)	/* symtest_beta+0x18, symtest_alpha+0x3, ... */
		deep[k] = k % 2 ? (uintptr_t)symtest_alpha + 1 + k / 2 :
			  (uintptr_t)symtest_beta + 0x16 + k / 2;
	deep[31] = (uintptr_t)main + 0x10;
	at = text + strlen(text);
	at += snprintf(at, sizeof(text) - (size_t)(at - text),
		       "%d 3 private 1 1 4096 4096 0 0 4096 1000 2000 ", pid);
	for (k = 0; k < 32; k++)
		at += snprintf(at, sizeof(text) - (size_t)(at - text), "%s0x%lx",
			       k ? "," : "", (unsigned long)deep[k]);
	snprintf(at, sizeof(text) - (size_t)(at - text), "\n");
	out("sites", text);
	snprintf(text, sizeof(text), "# pid start end site kind inherited\n"
		 "%d 0x%lx 0x%lx 1 private 0\n%d 0x%lx 0x%lx 2 private 0\n",
		 pid, (unsigned long)a, (unsigned long)a + 65536,
		 pid, (unsigned long)b, (unsigned long)b + 131072);
	out("regions", text);
	out("control", "");
	printf("ready %d\n", pid);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
