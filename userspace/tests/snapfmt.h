/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapfmt.h - writing anonstat's debugfs format (module/debugfs-format.md)
 * from the test programs that describe themselves (selfsnap.c, leaksim.c):
 * the column headers, a growing text buffer, and a file replaced
 * atomically (written to DIR/.NAME.tmp, then renamed), so that a reader
 * never sees half a file.
 */
#ifndef ANONTOP_TESTS_SNAPFMT_H
#define ANONTOP_TESTS_SNAPFMT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP_STATUS_H	"# key value...\n"
#define SNAP_PROCS_H	"# pid comm state maps unmaps bytes_mapped " \
	"bytes_unmapped live_regions live_bytes peak_bytes first_ns last_ns\n"
#define SNAP_THREADS_H	"# pid tid comm maps unmaps bytes_mapped bytes_unmapped\n"
#define SNAP_SITES_H	"# pid site kind maps unmaps bytes_mapped " \
	"bytes_unmapped live_regions live_bytes peak_bytes first_ns last_ns " \
	"frames origin\n"
#define SNAP_REGIONS_H	"# pid start end site kind inherited\n"

struct sbuf {
	char *s;
	size_t len, cap;
};

/* Append; exits with a message when out of memory. */
static inline void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			perror("vsnprintf");
			exit(1);
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap ? 2 * b->cap : 65536;
		while (b->cap - b->len <= (size_t)n)
			b->cap *= 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s) {
			fprintf(stderr, "out of memory (errno %d)\n", ENOMEM);
			exit(1);
		}
	}
}

/* Write @len bytes of @text to DIR/NAME atomically; exits on an error. */
static inline void snap_write(const char *dir, const char *name,
			      const char *text, size_t len)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "we");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		int e = errno;

		fprintf(stderr, "%s: %s (errno %d)\n", tmp, strerror(e), e);
		exit(1);
	}
	if (rename(tmp, path)) {
		int e = errno;

		fprintf(stderr, "%s: rename: %s (errno %d)\n", path, strerror(e), e);
		exit(1);
	}
}

static inline void snap_write_sb(const char *dir, const char *name,
				 const struct sbuf *b)
{
	snap_write(dir, name, b->s ? b->s : "", b->len);
}

#endif /* ANONTOP_TESTS_SNAPFMT_H */
