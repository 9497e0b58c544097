// SPDX-License-Identifier: GPL-2.0
/*
 * parse.c - the parser of the anonstat debugfs files (see parse.h and
 * module/debugfs-format.md).
 *
 * One line reader and one field splitter serve every file; each file only
 * says which columns it expects and how to store one record.
 */
#include "parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 64

/* decimal digits only, no sign or space, no overflow */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x" and hex digits only, no overflow */
static int parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int d;

	if (!s || s[0] != '0' || s[1] != 'x' || hex_digit(s[2]) < 0)
		return -EINVAL;
	for (s += 2; (d = hex_digit(*s)) >= 0; s++) {
		if (v >> 60)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_int(const char *s, int *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v > 0x7fffffff)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!s || (strcmp(s, "0") && strcmp(s, "1")))
		return -EINVAL;
	*out = s[0] == '1';
	return 0;
}

static int copy_word(char *dst, size_t size, const char *src)
{
	if (!src || !*src || strlen(src) >= size)
		return -EINVAL;
	strcpy(dst, src);
	return 0;
}

static int octal(char c)
{
	return c >= '0' && c <= '7' ? c - '0' : -1;
}

int comm_unescape(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	if (!src || !*src || size == 0)
		return -EINVAL;
	while (*src) {
		int c = (unsigned char)*src;

		if (c == '\\') {
			int a = octal(src[1]), b, d;

			b = a < 0 ? -1 : octal(src[2]);
			d = b < 0 ? -1 : octal(src[3]);
			if (d < 0 || a > 3)
				return -EINVAL;
			c = a * 64 + b * 8 + d;
			src += 4;
		} else {
			src++;
		}
		if (c == 0)	/* "\000": the empty name */
			break;
		if (n + 1 >= size)
			return -EINVAL;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return 0;
}

/* Split @line in place into at most MAX_FIELDS fields; returns their count. */
static unsigned int split(char *line, char **w)
{
	unsigned int n = 0;
	char *p = line;

	while (n < MAX_FIELDS) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (!*p)
			break;
		*p++ = '\0';
	}
	return n;
}

/*
 * The lines of a file, read 1 MiB at a time (one read() for thousands of
 * lines: the regions file has a million at the module's caps), each line
 * handed out in place.
 */
#define LINES_CHUNK	(1u << 20)

struct lines {
	FILE *f;
	char *buf;
	size_t len, pos, cap;
	bool eof, error, nomem;
};

static int lines_open(FILE *f, struct lines *l)
{
	memset(l, 0, sizeof(*l));
	l->f = f;
	l->cap = LINES_CHUNK;
	l->buf = malloc(l->cap + 1);
	return l->buf ? 0 : -ENOMEM;
}

/* Read more after what is left of the buffer; false at the end or on error. */
static bool lines_fill(struct lines *l)
{
	size_t n;

	if (l->eof)
		return false;
	memmove(l->buf, l->buf + l->pos, l->len - l->pos);
	l->len -= l->pos;
	l->pos = 0;
	if (l->len == l->cap) {		/* a line longer than the buffer */
		char *nb = realloc(l->buf, 2 * l->cap + 1);

		if (!nb) {
			l->nomem = true;
			return false;
		}
		l->buf = nb;
		l->cap *= 2;
	}
	n = fread(l->buf + l->len, 1, l->cap - l->len, l->f);
	l->len += n;
	if (n == 0) {
		l->eof = true;
		l->error = ferror(l->f) != 0;
		return false;
	}
	return true;
}

/*
 * The next line of @l, in place, without its newline, in *@line.  Returns
 * 1 for a line, 0 at the end of the file, -EINVAL for a last line without
 * a newline (or with a NUL byte), -EIO on a read error, -ENOMEM.
 */
static int lines_next(struct lines *l, char **line)
{
	char *start, *nl;

	for (;;) {
		start = l->buf + l->pos;
		nl = memchr(start, '\n', l->len - l->pos);
		if (nl)
			break;
		if (!lines_fill(l)) {
			if (l->nomem)
				return -ENOMEM;
			if (l->error)
				return -EIO;
			return l->pos == l->len ? 0 : -EINVAL;
		}
	}
	*nl = '\0';
	l->pos = (size_t)(nl - l->buf) + 1;
	if (memchr(start, '\0', (size_t)(nl - start)))
		return -EINVAL;		/* a NUL byte in the line */
	*line = start;
	return 1;
}

/* ---- status ---- */

static int parse_probe(char **w, unsigned int nw, struct status *st)
{
	struct status_probe *p;

	if (nw < 6 || st->nr_probes >= STATUS_MAX_PROBES)
		return -EINVAL;
	p = &st->probes[st->nr_probes];
	if (copy_word(p->symbol, sizeof(p->symbol), w[1]) ||
	    copy_word(p->type, sizeof(p->type), w[2]) ||
	    parse_u64(w[4], &p->hits) || parse_u64(w[5], &p->missed))
		return -EINVAL;
	if (!strcmp(w[3], "attached"))
		p->attached = true;
	else if (!strcmp(w[3], "detached"))
		p->attached = false;
	else
		return -EINVAL;
	st->nr_probes++;
	return 0;
}

static int parse_counter(char **w, unsigned int nw, struct status_counter *c,
			 unsigned int *nr)
{
	if (nw < 3 || *nr >= STATUS_MAX_COUNTERS)
		return -EINVAL;
	if (copy_word(c[*nr].reason, sizeof(c[*nr].reason), w[1]) ||
	    parse_u64(w[2], &c[*nr].value))
		return -EINVAL;
	(*nr)++;
	return 0;
}

static int status_record(char **w, unsigned int nw, struct status *st)
{
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {
#define NUM(k) { #k, offsetof(struct status, k) }
		NUM(depth), NUM(max_regions), NUM(max_sites),
		NUM(retain_exited), NUM(processes), NUM(processes_exited),
		NUM(threads), NUM(sites), NUM(regions), NUM(memory_bytes),
#undef NUM
	};
	const char *key = w[0], *val = nw > 1 ? w[1] : NULL;
	unsigned int i;
	bool b;

	if (!strcmp(key, "probe"))
		return parse_probe(w, nw, st);
	if (!strcmp(key, "untracked"))
		return parse_counter(w, nw, st->untracked, &st->nr_untracked);
	if (!strcmp(key, "drop"))
		return parse_counter(w, nw, st->drops, &st->nr_drops);
	if (!strcmp(key, "version"))
		return copy_word(st->version, sizeof(st->version), val);
	if (!strcmp(key, "kernel"))
		return copy_word(st->kernel, sizeof(st->kernel), val);
	if (!strcmp(key, "filter_pids"))
		return copy_word(st->filter_pids, sizeof(st->filter_pids), val);
	if (!strcmp(key, "filter_comm"))
		return comm_unescape(st->filter_comm, sizeof(st->filter_comm), val);
	if (!strcmp(key, "enabled")) {
		if (parse_bool(val, &b))
			return -EINVAL;
		st->enabled = b;
		return 0;
	}
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (!strcmp(key, nums[i].key))
			return parse_u64(val, (uint64_t *)((char *)st + nums[i].off));
	return 0;	/* a key for newer readers: skip it */
}

int status_parse(FILE *f, struct status *st, unsigned int *bad_line)
{
	char *line = NULL, *w[MAX_FIELDS];
	struct lines l;
	unsigned int n = 0, nw;
	int ret;

	memset(st, 0, sizeof(*st));
	st->enabled = -1;
	if (lines_open(f, &l))
		return -ENOMEM;
	while ((ret = lines_next(&l, &line)) > 0) {
		n++;
		if (n == 1) {
			if (strncmp(line, "# ", 2))
				goto bad;
			continue;
		}
		nw = split(line, w);
		if (nw == 0 || status_record(w, nw, st))
			goto bad;
	}
	if (ret == -EIO || ret == -ENOMEM)
		goto out;
	if (ret < 0) {
		n++;
		goto bad;
	}
	if (n == 0 || !st->version[0]) {
		n++;
		goto bad;
	}
	free(l.buf);
	return 0;
bad:
	*bad_line = n;
	ret = -EINVAL;
out:
	free(l.buf);
	return ret;
}

/* ---- the tables ---- */

struct table {
	const char *const *cols;	/* the columns we know, in order */
	unsigned int nr_cols;
	size_t rec_size;
	size_t zero_size;		/* what must be zero before record() */
	/* store fields @w (@nw of them, at least nr_cols) into @rec */
	int (*record)(char **w, unsigned int nw, void *rec);
};

static bool header_ok(char *line, const struct table *t)
{
	char *w[MAX_FIELDS];
	unsigned int nw, i;

	if (strncmp(line, "# ", 2))
		return false;
	nw = split(line + 2, w);
	if (nw < t->nr_cols)
		return false;
	for (i = 0; i < t->nr_cols; i++)
		if (strcmp(w[i], t->cols[i]))
			return false;
	return true;
}

static int table_parse(FILE *f, const struct table *t, void **v, size_t *nr,
		       unsigned int *bad_line)
{
	char *line = NULL, *w[MAX_FIELDS];
	size_t alloc = 0;
	unsigned int n = 0, nw;
	char *recs = NULL;
	struct lines l;
	int ret;

	*v = NULL;
	*nr = 0;
	if (lines_open(f, &l))
		return -ENOMEM;
	while ((ret = lines_next(&l, &line)) > 0) {
		n++;
		if (n == 1) {
			if (!header_ok(line, t))
				goto bad;
			continue;
		}
		if (*nr == alloc) {
			size_t na = alloc ? 2 * alloc : 64;
			char *nrecs = realloc(recs, na * t->rec_size);

			if (!nrecs) {
				ret = -ENOMEM;
				goto out;
			}
			recs = nrecs;
			alloc = na;
		}
		memset(recs + *nr * t->rec_size, 0, t->zero_size);
		nw = split(line, w);
		if (nw < t->nr_cols || t->record(w, nw, recs + *nr * t->rec_size))
			goto bad;
		(*nr)++;
	}
	if (ret == -EIO || ret == -ENOMEM)
		goto out;
	if (ret < 0 || n == 0) {
		n++;
		goto bad;
	}
	free(l.buf);
	*v = recs;
	return 0;
bad:
	*bad_line = n;
	ret = -EINVAL;
out:
	free(l.buf);
	free(recs);
	*nr = 0;
	return ret;
}

static int parse_counts(char **w, struct counts *c)
{
	return parse_u64(w[0], &c->maps) || parse_u64(w[1], &c->unmaps) ||
	       parse_u64(w[2], &c->bytes_mapped) ||
	       parse_u64(w[3], &c->bytes_unmapped) ||
	       parse_u64(w[4], &c->live_regions) ||
	       parse_u64(w[5], &c->live_bytes) ||
	       parse_u64(w[6], &c->peak_bytes) ||
	       parse_u64(w[7], &c->first_ns) || parse_u64(w[8], &c->last_ns) ?
	       -EINVAL : 0;
}

#define COUNTS_COLS "maps", "unmaps", "bytes_mapped", "bytes_unmapped", \
	"live_regions", "live_bytes", "peak_bytes", "first_ns", "last_ns"

static const char *const procs_cols[] = {
	"pid", "comm", "state", COUNTS_COLS,
};

static int procs_record(char **w, unsigned int nw, void *rec)
{
	struct proc_rec *p = rec;

	(void)nw;
	if (parse_int(w[0], &p->pid) ||
	    comm_unescape(p->comm, sizeof(p->comm), w[1]))
		return -EINVAL;
	if (!strcmp(w[2], "exited"))
		p->exited = true;
	else if (strcmp(w[2], "live"))
		return -EINVAL;
	return parse_counts(w + 3, &p->c);
}

static const char *const threads_cols[] = {
	"pid", "tid", "comm", "maps", "unmaps", "bytes_mapped", "bytes_unmapped",
};

static int threads_record(char **w, unsigned int nw, void *rec)
{
	struct thread_rec *t = rec;

	(void)nw;
	return parse_int(w[0], &t->pid) || parse_int(w[1], &t->tid) ||
	       comm_unescape(t->comm, sizeof(t->comm), w[2]) ||
	       parse_u64(w[3], &t->maps) || parse_u64(w[4], &t->unmaps) ||
	       parse_u64(w[5], &t->bytes_mapped) ||
	       parse_u64(w[6], &t->bytes_unmapped) ? -EINVAL : 0;
}

static const char *const sites_cols[] = {
	"pid", "site", "kind", COUNTS_COLS, "frames",
};

static int parse_frames(char *s, struct site_rec *site)
{
	/* regions the kernel made (origin exec or preexisting) have none */
	if (!strcmp(s, "-"))
		return 0;
	if (!*s || s[strlen(s) - 1] == ',')
		return -EINVAL;
	while (*s) {
		char *comma = strchr(s, ',');

		if (comma == s) {	/* an empty frame: ",," or a leading ',' */
			s++;
			continue;
		}
		if (comma)
			*comma = '\0';
		if (site->nr_frames >= MAX_FRAMES ||
		    parse_hex(s, &site->frames[site->nr_frames]))
			return -EINVAL;
		site->nr_frames++;
		if (!comma)
			break;
		s = comma + 1;
	}
	return site->nr_frames ? 0 : -EINVAL;
}

static int sites_record(char **w, unsigned int nw, void *rec)
{
	struct site_rec *s = rec;

	if (parse_int(w[0], &s->pid) || parse_u64(w[1], &s->id) ||
	    copy_word(s->kind, sizeof(s->kind), w[2]) ||
	    parse_counts(w + 3, &s->c) || parse_frames(w[12], s) ||
	    copy_word(s->origin, sizeof(s->origin), nw > 13 ? w[13] : "call"))
		return -EINVAL;
	/* only the kernel's sites have no frames */
	return !s->nr_frames && !strcmp(s->origin, "call") ? -EINVAL : 0;
}

static const char *const regions_cols[] = {
	"pid", "start", "end", "site", "kind", "inherited",
};

static int regions_record(char **w, unsigned int nw, void *rec)
{
	struct region_rec *r = rec;

	(void)nw;
	if (parse_int(w[0], &r->pid) || parse_hex(w[1], &r->start) ||
	    parse_hex(w[2], &r->end) || parse_u64(w[3], &r->site) ||
	    copy_word(r->kind, sizeof(r->kind), w[4]) ||
	    parse_bool(w[5], &r->inherited))
		return -EINVAL;
	return r->end > r->start ? 0 : -EINVAL;
}

#define TABLE(name, type, zero) {					\
	.cols = name##_cols,						\
	.nr_cols = sizeof(name##_cols) / sizeof(name##_cols[0]),	\
	.rec_size = sizeof(type),					\
	.zero_size = zero,						\
	.record = name##_record,					\
}

static const struct table procs_table =
	TABLE(procs, struct proc_rec, sizeof(struct proc_rec));
static const struct table threads_table =
	TABLE(threads, struct thread_rec, sizeof(struct thread_rec));
/* frames past nr_frames are left as they are (most of a record) */
static const struct table sites_table =
	TABLE(sites, struct site_rec, offsetof(struct site_rec, frames));
static const struct table regions_table =
	TABLE(regions, struct region_rec, sizeof(struct region_rec));

int procs_parse(FILE *f, struct proc_rec **v, size_t *n, unsigned int *bad_line)
{
	return table_parse(f, &procs_table, (void **)v, n, bad_line);
}

int threads_parse(FILE *f, struct thread_rec **v, size_t *n,
		  unsigned int *bad_line)
{
	return table_parse(f, &threads_table, (void **)v, n, bad_line);
}

int sites_parse(FILE *f, struct site_rec **v, size_t *n, unsigned int *bad_line)
{
	return table_parse(f, &sites_table, (void **)v, n, bad_line);
}

int regions_parse(FILE *f, struct region_rec **v, size_t *n,
		  unsigned int *bad_line)
{
	return table_parse(f, &regions_table, (void **)v, n, bad_line);
}
