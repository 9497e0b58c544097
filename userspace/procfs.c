// SPDX-License-Identifier: GPL-2.0
/*
 * procfs.c - RssAnon, resident bytes from pagemap, and maps of a process.
 */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PM_PRESENT	(1ull << 63)
#define PM_BATCH	512	/* entries per pread() */

int procfs_rss_anon(const char *procdir, int pid, uint64_t *bytes)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/status", procdir, pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long kb;

		if (sscanf(line, "RssAnon: %llu kB", &kb) == 1) {
			*bytes = (uint64_t)kb * 1024;
			ret = 0;
			break;
		}
	}
	if (ret && ferror(f))
		ret = -EIO;
	free(line);
	fclose(f);
	return ret;
}

int procfs_pagemap_open(const char *procdir, int pid)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%d/pagemap", procdir, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int procfs_resident(int fd, uint64_t start, uint64_t end, uint64_t *bytes)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), buf[PM_BATCH];
	uint64_t vpn = start / page, last = (end + page - 1) / page;

	*bytes = 0;
	while (vpn < last) {
		uint64_t want = last - vpn < PM_BATCH ? last - vpn : PM_BATCH;
		ssize_t n, i;

		if (vpn > (uint64_t)INT64_MAX / sizeof(buf[0]))
			return -EINVAL;
		n = pread(fd, buf, want * sizeof(buf[0]),
			  (off_t)(vpn * sizeof(buf[0])));
		if (n < 0)
			return -errno;
		n /= sizeof(buf[0]);
		if (n == 0)
			return -EIO;
		for (i = 0; i < n; i++)
			if (buf[i] & PM_PRESENT)
				*bytes += page;
		vpn += (uint64_t)n;
	}
	return 0;
}

void procfs_maps_free(struct map_ent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* one line of maps: "start-end perms offset major:minor inode [path]" */
static int parse_map_line(char *line, struct map_ent *m)
{
	unsigned long long start, end, off, inode;
	unsigned int maj, min;
	char perms[8];
	int pos = 0;
	size_t len;
	char *path;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end,
		   perms, &off, &maj, &min, &inode, &pos) < 7 || pos == 0)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->start = start;
	m->end = end;
	m->offset = off;
	m->inode = inode;
	m->dev_major = maj;
	m->dev_minor = min;
	m->exec = strlen(perms) >= 3 && perms[2] == 'x';
	path = line + pos;
	len = strlen(path);
	while (len && (path[len - 1] == '\n' || path[len - 1] == ' '))
		path[--len] = '\0';
	if (len > 10 && !strcmp(path + len - 10, " (deleted)")) {
		m->deleted = true;
		path[len - 10] = '\0';
	}
	if (*path) {
		m->path = strdup(path);
		if (!m->path)
			return -ENOMEM;
	}
	return 0;
}

int procfs_maps(const char *procdir, int pid, struct map_ent **v, size_t *n)
{
	char path[4096], *line = NULL;
	struct map_ent *ents = NULL;
	size_t cap = 0, alloc = 0, nr = 0;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/maps", procdir, pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (nr == alloc) {
			size_t na = alloc ? 2 * alloc : 64;
			struct map_ent *ne = realloc(ents, na * sizeof(*ne));

			if (!ne) {
				ret = -ENOMEM;
				break;
			}
			ents = ne;
			alloc = na;
		}
		ret = parse_map_line(line, &ents[nr]);
		if (ret)
			break;
		nr++;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(line);
	fclose(f);
	if (ret) {
		procfs_maps_free(ents, nr);
		return ret;
	}
	*v = ents;
	*n = nr;
	return 0;
}

const struct map_ent *procfs_maps_find(const struct map_ent *v, size_t n,
				       uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < v[mid].start)
			hi = mid;
		else if (addr >= v[mid].end)
			lo = mid + 1;
		else
			return &v[mid];
	}
	return NULL;
}
