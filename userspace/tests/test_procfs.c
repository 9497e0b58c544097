// SPDX-License-Identifier: GPL-2.0
/*
 * test_procfs.c - resident bytes from pagemap (exact, on this process's
 * own mappings), RssAnon, and the maps parser, on /proc and on a fake proc
 * directory.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "procfs.h"

static char tmp[] = "/tmp/anontop-procfs.XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void test_resident(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t start = (uintptr_t)p, bytes = 0;
	int fd = procfs_pagemap_open("/proc", getpid());

	CHECK(p != MAP_FAILED && fd >= 0);
	if (p == MAP_FAILED || fd < 0)
		return;
	madvise(p, 16 * pg, MADV_NOHUGEPAGE);
	CHECK(procfs_resident(fd, start, start + 16 * pg, &bytes) == 0);
	CHECK_U64(bytes, 0);
	p[0] = p[3 * pg] = p[4 * pg] = p[15 * pg] = 1;
	CHECK(procfs_resident(fd, start, start + 16 * pg, &bytes) == 0);
	CHECK_U64(bytes, 4 * pg);
	CHECK(procfs_resident(fd, start + pg, start + 5 * pg, &bytes) == 0);
	CHECK_U64(bytes, 2 * pg);
	madvise(p + 3 * pg, pg, MADV_DONTNEED);
	CHECK(procfs_resident(fd, start, start + 16 * pg, &bytes) == 0);
	CHECK_U64(bytes, 3 * pg);
	close(fd);
	munmap(p, 16 * pg);
	CHECK(procfs_pagemap_open("/proc", 0x7ffffff0) == -ENOENT);
	CHECK(procfs_pagemap_open(tmp, 1) == -ENOENT);
}

static void test_rss_anon(void)
{
	char path[256];
	uint64_t bytes = 0;

	CHECK(procfs_rss_anon("/proc", getpid(), &bytes) == 0);
	CHECK(bytes > 0);
	snprintf(path, sizeof(path), "%s/77", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/77/status", tmp);
	write_file(path, "Name:\tx\nRssFile:\t  9 kB\nRssAnon:\t    1234 kB\n");
	CHECK(procfs_rss_anon(tmp, 77, &bytes) == 0);
	CHECK_U64(bytes, 1234 * 1024);
	write_file(path, "Name:\tkthread\n");
	CHECK(procfs_rss_anon(tmp, 77, &bytes) == -ENOENT);
	CHECK(procfs_rss_anon(tmp, 78, &bytes) == -ENOENT);
}

static void test_maps(void)
{
	const struct map_ent *m;
	struct map_ent *v = NULL;
	char path[256];
	size_t n = 0;

	CHECK(procfs_maps("/proc", getpid(), &v, &n) == 0);
	m = procfs_maps_find(v, n, (uintptr_t)test_maps);
	CHECK(m && m->exec && m->path && m->inode);
	procfs_maps_free(v, n);

	snprintf(path, sizeof(path), "%s/77/maps", tmp);
	write_file(path,
		   "00400000-00401000 r--p 00000000 fd:01 1234      /usr/bin/a b\n"
		   "00401000-00405000 r-xp 00001000 fd:01 1234      /usr/bin/a b\n"
		   "00500000-00501000 rw-p 00000000 00:00 0 \n"
		   "7f0000000000-7f0000010000 r-xp 00002000 08:02 99     /lib/x.so (deleted)\n"
		   "7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0      [vdso]\n");
	CHECK(procfs_maps(tmp, 77, &v, &n) == 0);
	CHECK_U64(n, 5);
	if (n == 5) {
		CHECK_STR(v[1].path, "/usr/bin/a b");
		CHECK(v[1].exec && !v[0].exec);
		CHECK_U64(v[1].offset, 0x1000);
		CHECK(v[1].dev_major == 0xfd && v[1].dev_minor == 1);
		CHECK(v[2].path == NULL);
		CHECK_STR(v[3].path, "/lib/x.so");
		CHECK(v[3].deleted && !v[1].deleted);
		CHECK_STR(v[4].path, "[vdso]");
		CHECK(procfs_maps_find(v, n, 0x400fff) == &v[0]);
		CHECK(procfs_maps_find(v, n, 0x401000) == &v[1]);
		CHECK(procfs_maps_find(v, n, 0x405000) == NULL);
		CHECK(procfs_maps_find(v, n, 0x3fffff) == NULL);
		CHECK(procfs_maps_find(v, n, 0x7ffd00001fff) == &v[4]);
	}
	procfs_maps_free(v, n);
	write_file(path, "garbage\n");
	CHECK(procfs_maps(tmp, 77, &v, &n) == -EINVAL);
	CHECK(procfs_maps(tmp, 78, &v, &n) == -ENOENT);
}

int main(void)
{
	char cmd[128];
	int ret;

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_resident();
	test_rss_anon();
	test_maps();
	ret = check_report("test_procfs");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "test_procfs: could not remove %s\n", tmp);
	return ret;
}
