// SPDX-License-Identifier: GPL-2.0
/*
 * preexisting_target.c - a process for suite.sh's test_preexisting_insmod,
 * started while anonstat is not loaded.
 *
 * It maps 4 private pages at test_area(0), 2 shared anonymous pages at
 * test_area(1) (both written to) and grows brk by 3 pages, then writes
 * "ready PRIVATE SHARED BRK_START BRK_END" (hexadecimal) to FILE and
 * waits for a signal: SIGUSR1 munmaps the private region and appends
 * "unmapped" to FILE, then it waits again; SIGTERM ends it.  Between the
 * signals it is blocked in sigwaitinfo(), no mapping call in flight.
 *
 * usage: preexisting_target FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ
#define RW	(PROT_READ | PROT_WRITE)

static void say(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		t_fatal("say", "%s: %s", path, strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	char *priv, *shared, *brk0, *brk1, line[256];
	sigset_t set;
	int sig;

	t_init("preexisting_target");
	if (argc != 2)
		t_fatal("usage", "preexisting_target FILE");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	priv = place(test_area(0), 4 * P, RW);
	shared = mmap(test_area(1), 2 * P, RW,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (shared != test_area(1))
		t_fatal("shared", "mmap: %s", strerror(errno));
	memset(priv, 1, 4 * P);
	memset(shared, 2, 2 * P);
	brk0 = sbrk(0);
	if (sbrk((intptr_t)(3 * P)) == (void *)-1)
		t_fatal("brk", "sbrk: %s", strerror(errno));
	brk1 = sbrk(0);
	snprintf(line, sizeof(line), "ready %p %p %p %p\n", (void *)priv,
		 (void *)shared, (void *)brk0, (void *)brk1);
	say(argv[1], line);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGTERM)
			return 0;
		if (sig == SIGUSR1 && priv) {
			unmap(priv, 4 * P);
			priv = NULL;
			say(argv[1], "unmapped\n");
		}
	}
}
