// SPDX-License-Identifier: GPL-2.0
/*
 * procfs.c - RssAnon, resident bytes from pagemap, maps, and the identity
 * (command line, owner, cgroup) of a process.
 */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* ---- identity ---- */

/*
 * The length of the printable UTF-8 character at @s (@n bytes left): 1 for
 * printable ASCII; 0 for anything else (controls, C1 controls, invalid or
 * overlong sequences, surrogates), with *@partial set when @s is the valid
 * start of a character that @n cuts short.
 */
static size_t utf8_char(const unsigned char *s, size_t n, bool *partial)
{
	unsigned int c, min;
	size_t need, i;

	*partial = false;
	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	if (s[0] < 0xe0) {
		need = 1;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] < 0xf0) {
		need = 2;
		c = s[0] & 0x0f;
		min = 0x800;
	} else {
		need = 3;
		c = s[0] & 0x07;
		min = 0x10000;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n) {
			*partial = true;
			return 0;
		}
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
	    c < 0xa0)
		return 0;
	return need + 1;
}

void procfs_printable(char *s, size_t len, bool cut)
{
	unsigned char *u = (unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		bool partial;
		size_t k = utf8_char(u + i, len - i, &partial);

		if (k) {
			i += k;
			continue;
		}
		if (partial && cut) {
			len = i;
			break;
		}
		u[i++] = '?';
	}
	s[len] = '\0';
}

int procfs_cmdline(const char *procdir, int pid, char **out)
{
	char path[4096], *buf;
	size_t len = 0;
	bool cut = false;
	int fd, ret = 0;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%d/cmdline", procdir, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(PROCFS_CMDLINE_MAX + 2);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* one byte more than kept tells whether it was cut */
	while (len < PROCFS_CMDLINE_MAX + 1) {
		ssize_t n = read(fd, buf + len, PROCFS_CMDLINE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > PROCFS_CMDLINE_MAX) {
		len = PROCFS_CMDLINE_MAX;
		cut = true;
	}
	if (!ret) {
		size_t i;

		/* the arguments' NULs, and a rewritten title's padding */
		while (len && (buf[len - 1] == '\0' || buf[len - 1] == ' '))
			len--;
		for (i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		if (!len)
			ret = -ENODATA;
	}
	if (ret) {
		free(buf);
		return ret;
	}
	procfs_printable(buf, len, cut);
	*out = buf;
	return 0;
}

int procfs_cgroup(const char *procdir, int pid, char **out)
{
	char path[4096], *line = NULL, *found = NULL;
	size_t cap = 0;
	bool first = true;
	int ret = 0;
	FILE *f;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%d/cgroup", procdir, pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* "hierarchy-ID:controllers:path"; v2 is "0::path" */
	while (getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool v2;
		size_t len;

		if (!c2)
			continue;
		v2 = c1 == line + 1 && line[0] == '0' && c2 == c1 + 1;
		if (!v2 && !first)
			continue;
		first = false;
		len = strcspn(c2 + 1, "\n");
		free(found);
		found = strndup(c2 + 1, len);
		if (!found) {
			ret = -ENOMEM;
			break;
		}
		procfs_printable(found, len, false);
		if (v2)
			break;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(line);
	fclose(f);
	if (!ret && (!found || !*found))
		ret = -ENODATA;
	if (ret) {
		free(found);
		return ret;
	}
	*out = found;
	return 0;
}

int procfs_owner(const char *procdir, int pid, unsigned int *uid)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%d", procdir, pid);
	if (stat(path, &st))
		return -errno;
	*uid = st.st_uid;
	return 0;
}

int procfs_user_name(unsigned int uid, char **out)
{
	long max = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = max > 0 ? (size_t)max : 1024;
	struct passwd pw, *res = NULL;
	char num[16], *buf;
	int err;

	for (;;) {
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		err = getpwuid_r((uid_t)uid, &pw, buf, size, &res);
		if (err != ERANGE || size >= 1 << 20)
			break;
		free(buf);
		size *= 2;
	}
	/* no name (or no user database): the number, as ps shows it */
	if (err || !res || !res->pw_name || !*res->pw_name) {
		snprintf(num, sizeof(num), "%u", uid);
		*out = strdup(num);
	} else {
		*out = strdup(res->pw_name);
		if (*out)
			procfs_printable(*out, strlen(*out), false);
	}
	free(buf);
	return *out ? 0 : -ENOMEM;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int procfs_container_id(const char *cgroup, char id[PROCFS_CONTAINER_LEN + 1])
{
	size_t end = strlen(cgroup);

	/* components from the innermost out */
	while (end > 0) {
		size_t start = end, i;

		while (start > 0 && cgroup[start - 1] != '/')
			start--;
		for (i = start; i < end;) {
			size_t run = 0;

			while (i + run < end && is_hex(cgroup[i + run]))
				run++;
			if (run == 64) {
				memcpy(id, cgroup + i, PROCFS_CONTAINER_LEN);
				id[PROCFS_CONTAINER_LEN] = '\0';
				return 0;
			}
			i += run ? run : 1;
		}
		end = start ? start - 1 : 0;
	}
	return -ENOENT;
}
