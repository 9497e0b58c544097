// SPDX-License-Identifier: GPL-2.0
/*
 * oracle.c - the invariant of issue 13, checked from user space: when none
 * of a process's system calls is in flight, the union of its live regions
 * in the regions file equals byte for byte the union of its anonymous VMAs
 * in /proc/PID/maps (see anonstat_test.h, as_maps_match()).
 *
 * Both files are read in chunks into a static buffer and parsed line by
 * line; the ranges go to static arrays: nothing here allocates, so a test
 * can check its own address space without changing it.
 */
#include "anonstat_test.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* vm.max_map_count defaults to 65530 */
#define OR_MAX		65536
#define OR_LABEL	40

struct or_vma {
	uint64_t start, end;
	char label[OR_LABEL];	/* the path, or "anon after FILE" */
};

static struct range or_maps[OR_MAX], or_regs[OR_MAX];
static struct or_vma or_raw[OR_MAX];
static int or_nmaps, or_nregs, or_nraw;
static uint64_t or_maps_bytes, or_regs_bytes;

/* ---- a line reader over a file, without allocation ---- */

struct lines {
	int fd;
	size_t len, pos;
	bool eof;
	char buf[1 << 16];
};

static struct lines or_in;

static bool lines_open(struct lines *l, const char *path)
{
	l->fd = open(path, O_RDONLY | O_CLOEXEC);
	l->len = l->pos = 0;
	l->eof = false;
	return l->fd >= 0;
}

/* The next line (NUL-terminated, no newline), or NULL at the end. */
static char *lines_next(struct lines *l)
{
	for (;;) {
		char *start = l->buf + l->pos;
		char *nl = memchr(start, '\n', l->len - l->pos);
		ssize_t n;

		if (nl) {
			*nl = '\0';
			l->pos = (size_t)(nl - l->buf) + 1;
			return start;
		}
		if (l->eof) {
			if (l->pos == l->len)
				return NULL;
			l->buf[l->len] = '\0';	/* a last line without '\n' */
			l->pos = l->len;
			return start;
		}
		/* keep the partial line, read more after it */
		memmove(l->buf, start, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;
		if (l->len == sizeof(l->buf) - 1)
			return NULL;		/* a line this long is not ours */
		n = read(l->fd, l->buf + l->len, sizeof(l->buf) - 1 - l->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			l->eof = true;
		else
			l->len += (size_t)n;
	}
}

static void lines_close(struct lines *l)
{
	close(l->fd);
}

/* ---- classification ---- */

bool maps_path_anon(const char *path)
{
	if (!*path || !strcmp(path, "[heap]") ||
	    !strcmp(path, "/dev/zero (deleted)") ||
	    !strcmp(path, "/anon_hugepage (deleted)"))
		return true;
	/* [anon:NAME] and [anon_shmem:NAME] (prctl PR_SET_VMA_ANON_NAME) */
	if (!strncmp(path, "[anon:", 6) || !strncmp(path, "[anon_shmem:", 12))
		return true;
	/* [stack], [vdso], [vvar], [vsyscall], [uprobes], files */
	return false;
}

/* Adds [start, end) clipped to [lo, hi) to the union r[0..*n), in order. */
static bool union_add(struct range *r, int *n, uint64_t start, uint64_t end,
		      uint64_t lo, uint64_t hi)
{
	if (start < lo)
		start = lo;
	if (end > hi)
		end = hi;
	if (start >= end)
		return true;
	if (*n && start <= r[*n - 1].end) {
		if (start < r[*n - 1].start)
			return false;	/* out of order */
		if (end > r[*n - 1].end)
			r[*n - 1].end = end;
		return true;
	}
	if (*n == OR_MAX)
		return false;
	r[*n].start = start;
	r[*n].end = end;
	(*n)++;
	return true;
}

static uint64_t union_bytes(const struct range *r, int n)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += r[i].end - r[i].start;
	return sum;
}

/* Splits off the next space-separated field of *p (NULL if none). */
static char *field(char **p)
{
	char *f = *p, *sp;

	while (*f == ' ')
		f++;
	if (!*f)
		return NULL;
	sp = strchr(f, ' ');
	if (sp) {
		*sp = '\0';
		*p = sp + 1;
	} else {
		*p = f + strlen(f);
	}
	return f;
}

static bool hex_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return false;
	if (s[0] == '0' && s[1] == 'x')
		s += 2;
	for (; *s; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;

		if (d < 0 || x >> 60)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return true;
}

static bool dec_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > UINT64_MAX / 10 - 1)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

/* Reads the anonymous VMAs of pid into or_maps (union) and or_raw. */
static bool read_maps(pid_t pid, uint64_t lo, uint64_t hi, char *why,
		      size_t whylen)
{
	char path[64], last_file[OR_LABEL] = "";
	uint64_t last_file_end = 0;
	char *line;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	or_nmaps = or_nraw = 0;
	if (!lines_open(&or_in, path)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	while ((line = lines_next(&or_in))) {
		char *p = line, *range = field(&p), *dash, *name;
		uint64_t start, end;
		int i;

		for (i = 0; i < 4; i++)	/* perms offset dev inode */
			field(&p);
		while (*p == ' ')
			p++;
		name = p;
		dash = range ? strchr(range, '-') : NULL;
		if (!dash)
			goto bad;
		*dash = '\0';
		if (!hex_u64(range, &start) || !hex_u64(dash + 1, &end))
			goto bad;
		if (!maps_path_anon(name)) {
			if (name[0] == '/') {
				const char *base = strrchr(name, '/') + 1;

				snprintf(last_file, sizeof(last_file), "%s", base);
				last_file_end = end;
			}
			continue;
		}
		if (!union_add(or_maps, &or_nmaps, start, end, lo, hi))
			goto bad;
		if (or_nraw < OR_MAX) {
			struct or_vma *v = &or_raw[or_nraw++];

			v->start = start;
			v->end = end;
			if (*name)
				snprintf(v->label, sizeof(v->label), "%s", name);
			else if (start == last_file_end)
				snprintf(v->label, sizeof(v->label), "anon after %s",
					 last_file);
			else
				snprintf(v->label, sizeof(v->label), "anon");
		}
	}
	lines_close(&or_in);
	or_maps_bytes = union_bytes(or_maps, or_nmaps);
	return true;
bad:
	lines_close(&or_in);
	snprintf(why, whylen, "%s: bad or unordered line, or more than %d "
		 "mappings", path, OR_MAX);
	return false;
}

/* Reads pid's live regions from the regions file into or_regs (union). */
static bool read_regions(pid_t pid, uint64_t lo, uint64_t hi, char *why,
			 size_t whylen)
{
	const char *path = AS_DIR "/regions";
	char *line;
	bool first = true;

	or_nregs = 0;
	if (!lines_open(&or_in, path)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	while ((line = lines_next(&or_in))) {
		char *p = line, *f_pid, *f_start, *f_end;
		uint64_t rpid, start, end;

		if (first) {
			first = false;
			if (line[0] == '#')
				continue;
		}
		f_pid = field(&p);
		f_start = field(&p);
		f_end = field(&p);
		if (!f_end || !dec_u64(f_pid, &rpid) || !hex_u64(f_start, &start) ||
		    !hex_u64(f_end, &end) || start >= end)
			goto bad;
		if (rpid != (uint64_t)pid)
			continue;
		if (!union_add(or_regs, &or_nregs, start, end, lo, hi))
			goto bad;
	}
	lines_close(&or_in);
	or_regs_bytes = union_bytes(or_regs, or_nregs);
	return true;
bad:
	lines_close(&or_in);
	snprintf(why, whylen, "%s: bad or unordered record '%s' for pid %d",
		 path, line, (int)pid);
	return false;
}

static const char *vma_label(uint64_t addr)
{
	int i;

	for (i = 0; i < or_nraw; i++)
		if (or_raw[i].start <= addr && addr < or_raw[i].end)
			return or_raw[i].label;
	return "?";
}

/* Compares or_maps and or_regs over [lo, hi); the first difference in why. */
static bool compare(pid_t pid, uint64_t lo, uint64_t hi, char *why,
		    size_t whylen)
{
	uint64_t pos = lo, first_start = 0, first_end = 0, diff_bytes = 0;
	int i = 0, j = 0, ndiff = 0;
	bool first_maps = false;

	while (pos < hi) {
		uint64_t next_a = hi, next_b = hi, next;
		bool in_a = false, in_b = false;

		while (i < or_nmaps && or_maps[i].end <= pos)
			i++;
		while (j < or_nregs && or_regs[j].end <= pos)
			j++;
		if (i < or_nmaps) {
			in_a = or_maps[i].start <= pos;
			next_a = in_a ? or_maps[i].end : or_maps[i].start;
		}
		if (j < or_nregs) {
			in_b = or_regs[j].start <= pos;
			next_b = in_b ? or_regs[j].end : or_regs[j].start;
		}
		if (i >= or_nmaps && j >= or_nregs)
			break;
		next = next_a < next_b ? next_a : next_b;
		if (next > hi)
			next = hi;
		if (in_a != in_b) {
			if (!ndiff) {
				first_start = pos;
				first_end = next;
				first_maps = in_a;
			}
			ndiff++;
			diff_bytes += next - pos;
		}
		pos = next;
	}
	if (!ndiff)
		return true;
	if (first_maps)
		snprintf(why, whylen, "pid %d: [%#" PRIx64 ",%#" PRIx64 ") %" PRIu64
			 " bytes anonymous in maps (%s) but in no region; %d "
			 "differences, %" PRIu64 " bytes; maps %" PRIu64
			 " bytes, regions %" PRIu64, (int)pid, first_start,
			 first_end, first_end - first_start,
			 vma_label(first_start), ndiff, diff_bytes,
			 or_maps_bytes, or_regs_bytes);
	else
		snprintf(why, whylen, "pid %d: [%#" PRIx64 ",%#" PRIx64 ") %" PRIu64
			 " bytes in regions but not an anonymous mapping; %d "
			 "differences, %" PRIu64 " bytes; maps %" PRIu64
			 " bytes, regions %" PRIu64, (int)pid, first_start,
			 first_end, first_end - first_start, ndiff, diff_bytes,
			 or_maps_bytes, or_regs_bytes);
	return false;
}

bool as_maps_match_in(pid_t pid, uint64_t lo, uint64_t hi, char *why,
		      size_t whylen)
{
	if (whylen)
		why[0] = '\0';
	or_maps_bytes = or_regs_bytes = 0;
	if (!read_maps(pid, lo, hi, why, whylen) ||
	    !read_regions(pid, lo, hi, why, whylen))
		return false;
	return compare(pid, lo, hi, why, whylen);
}

bool as_maps_match(pid_t pid, char *why, size_t whylen)
{
	return as_maps_match_in(pid, 0, UINT64_MAX, why, whylen);
}

void as_maps_last_bytes(uint64_t *maps_bytes, uint64_t *regions_bytes)
{
	*maps_bytes = or_maps_bytes;
	*regions_bytes = or_regs_bytes;
}

bool t_check_maps(const char *check, pid_t pid)
{
	char why[512];
	bool same = as_maps_match(pid, why, sizeof(why));

	return t_expect(same, check, "%s", why);
}

bool t_check_maps_in(const char *check, pid_t pid, const void *lo,
		     const void *hi)
{
	char why[512];
	bool same = as_maps_match_in(pid, ptr_u64(lo), ptr_u64(hi), why,
				     sizeof(why));

	return t_expect(same, check, "%s", why);
}
