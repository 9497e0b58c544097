// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot.c - read the anonstat debugfs files of a directory into a
 * struct snapshot, and write commands to its control file.
 */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define DEBUGFS_MAGIC	0x64626720
#define DEBUGFS_DIR	"/sys/kernel/debug"

static double clock_seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the user can do about errno @err on a file of @root. */
static const char *hint(const char *root, int err)
{
	struct statfs sfs;

	if (err == EACCES || err == EPERM)
		return "; permission denied: run anontop as root (sudo anontop)";
	if (err != ENOENT || strcmp(root, DEFAULT_ROOT))
		return "";
	if (statfs(DEBUGFS_DIR, &sfs) || sfs.f_type != DEBUGFS_MAGIC)
		return "; debugfs is not mounted: sudo mount -t debugfs none "
		       DEBUGFS_DIR;
	return "; anonstat.ko is not loaded: sudo insmod anonstat.ko";
}

static const char *const file_names[] = {
	"status", "procs", "threads", "sites", "regions",
};

/* Read file @i (the bit 1 << @i of SNAP_*) of @root into @s. */
static int read_one(const char *root, unsigned int i, struct snapshot *s,
		    char *err, size_t errsize)
{
	const char *name = file_names[i];
	char path[4096];
	unsigned int bad_line = 0;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "re");
	if (!f) {
		int e = errno;

		snprintf(err, errsize, "%s: %s (errno %d)%s", path, strerror(e),
			 e, hint(root, e));
		return -1;
	}
	switch (1u << i) {
	case SNAP_STATUS:
		ret = status_parse(f, &s->st, &bad_line);
		break;
	case SNAP_PROCS:
		ret = procs_parse(f, &s->procs, &s->nr_procs, &bad_line);
		break;
	case SNAP_THREADS:
		ret = threads_parse(f, &s->threads, &s->nr_threads, &bad_line);
		break;
	case SNAP_SITES:
		ret = sites_parse(f, &s->sites, &s->nr_sites, &bad_line);
		break;
	default:
		ret = regions_parse(f, &s->regions, &s->nr_regions, &bad_line);
		break;
	}
	if (ret == -EIO || ferror(f)) {
		int e = errno;

		snprintf(err, errsize, "%s: read error: %s (errno %d)", path,
			 strerror(e), e);
		ret = -1;
	} else if (ret == -ENOMEM) {
		snprintf(err, errsize, "%s: %s (errno %d)", path,
			 strerror(ENOMEM), ENOMEM);
	} else if (ret) {
		snprintf(err, errsize, "%s:%u: not in the anonstat %s format",
			 path, bad_line, name);
	}
	fclose(f);
	return ret ? -1 : 0;
}

void snapshot_free(struct snapshot *s)
{
	free(s->procs);
	free(s->threads);
	free(s->sites);
	free(s->regions);
	memset(s, 0, sizeof(*s));
}

int snapshot_read(const char *root, unsigned int what, struct snapshot *s,
		  char *err, size_t errsize)
{
	struct statfs sfs;
	unsigned int i;

	snapshot_free(s);
	s->what = what;
	s->same_clock = !statfs(root, &sfs) && sfs.f_type == DEBUGFS_MAGIC;
	s->mono = clock_seconds(CLOCK_MONOTONIC);
	s->wall = clock_seconds(CLOCK_REALTIME);
	for (i = 0; i < sizeof(file_names) / sizeof(file_names[0]); i++) {
		if (!(what & (1u << i)))
			continue;
		if (read_one(root, i, s, err, errsize)) {
			snapshot_free(s);
			return -1;
		}
	}
	return 0;
}

int snapshot_control(const char *root, const char *cmd, char *err,
		     size_t errsize)
{
	char path[4096];
	size_t len = strlen(cmd);
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "%s/control", root);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errsize, "%s: %s (errno %d)%s", path, strerror(e),
			 e, hint(root, e));
		return -1;
	}
	n = write(fd, cmd, len);
	e = errno;
	close(fd);
	if (n != (ssize_t)len) {
		if (n >= 0)
			e = EIO;
		snprintf(err, errsize, "%s: write '%s': %s (errno %d)", path, cmd,
			 strerror(e), e);
		return -1;
	}
	return 0;
}
