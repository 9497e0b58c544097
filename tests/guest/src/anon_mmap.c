// SPDX-License-Identifier: GPL-2.0
/*
 * anon_mmap.c - map and unmap N anonymous 4 KiB ranges.
 *
 * usage: anon_mmap N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	long i, n;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: anon_mmap N\n");
		return 2;
	}
	n = strtol(argv[1], &end, 10);
	if (*end || n < 0) {
		fprintf(stderr, "anon_mmap: bad count '%s'\n", argv[1]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			fprintf(stderr, "anon_mmap: mmap: %s\n", strerror(errno));
			return 1;
		}
		if (munmap(p, 4096)) {
			fprintf(stderr, "anon_mmap: munmap: %s\n", strerror(errno));
			return 1;
		}
	}
	return 0;
}
