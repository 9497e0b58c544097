// SPDX-License-Identifier: GPL-2.0
/*
 * anonstat_test.c - helpers shared by the guest test programs (see
 * anonstat_test.h).  Output is formatted into a static buffer and written
 * with write(2); the debugfs files are read into a static buffer: nothing
 * here calls malloc.
 */
#include "anonstat_test.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* output */

static const char *t_prog = "test";
static int t_failed;
static char t_line[4096];

void t_init(const char *prog)
{
	t_prog = prog;
}

static void write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Writes "HEAD" + formatted message as one line (newlines become spaces). */
static void emit(const char *head, const char *fmt, va_list ap)
{
	size_t len = (size_t)snprintf(t_line, sizeof(t_line), "%s", head);
	size_t i;

	if (fmt && len < sizeof(t_line))
		vsnprintf(t_line + len, sizeof(t_line) - len, fmt, ap);
	len = strlen(t_line);
	for (i = 0; i < len; i++)
		if (t_line[i] == '\n')
			t_line[i] = ' ';
	if (len == sizeof(t_line) - 1)
		len--;
	t_line[len++] = '\n';
	write_all(t_line, len);
}

/*
 * emit() with a va_list of its own: a null va_list is not portable (on
 * arm64 va_list is a structure, not a pointer).
 */
static void emit_head(const char *head, ...)
{
	va_list ap;

	va_start(ap, head);
	emit(head, NULL, ap);
	va_end(ap);
}

void t_ok(const char *check)
{
	char head[256];

	snprintf(head, sizeof(head), "ok %s.%s", t_prog, check);
	emit_head(head);
}

static void t_vfail(const char *check, const char *fmt, va_list ap)
{
	char head[256];

	snprintf(head, sizeof(head), "FAIL %s.%s: ", t_prog, check);
	emit(head, fmt, ap);
	t_failed++;
}

void t_fail(const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vfail(check, fmt, ap);
	va_end(ap);
}

bool t_expect(bool cond, const char *check, const char *fmt, ...)
{
	va_list ap;

	if (cond) {
		t_ok(check);
		return true;
	}
	va_start(ap, fmt);
	t_vfail(check, fmt, ap);
	va_end(ap);
	return false;
}

bool t_eq(const char *check, uint64_t seen, uint64_t want)
{
	return t_expect(seen == want, check, "got %" PRIu64 ", want %" PRIu64,
			seen, want);
}

void t_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("# ", fmt, ap);
	va_end(ap);
}

void t_fatal(const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vfail(check, fmt, ap);
	va_end(ap);
	exit(1);
}

int t_failures(void)
{
	return t_failed;
}

void t_add_failures(int n)
{
	t_failed += n;
}

int t_exit_status(void)
{
	return t_failed ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* control */

static pid_t ctl_owner;		/* the process whose exit restores */

int ctl_send(const void *buf, size_t len)
{
	int fd = open(AS_DIR "/control", O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return errno;
	n = write(fd, buf, len);
	err = n < 0 ? errno : (size_t)n == len ? 0 : EIO;
	close(fd);
	return err;
}

static int ctl_vsend(const char *fmt, va_list ap, char *cmd, size_t size)
{
	vsnprintf(cmd, size, fmt, ap);
	return ctl_send(cmd, strlen(cmd));
}

int ctl(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = ctl_vsend(fmt, ap, cmd, sizeof(cmd));
	va_end(ap);
	return err;
}

void ctl_must(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = ctl_vsend(fmt, ap, cmd, sizeof(cmd));
	va_end(ap);
	if (err)
		t_fatal("control", "'%s' refused: %s", cmd, strerror(err));
}

static void ctl_defaults(void)
{
	ctl_must("comm all");
	ctl_must("depth %d", AS_DEFAULT_DEPTH);
	ctl_must("max_regions %d", AS_DEFAULT_MAX_REGIONS);
	ctl_must("max_sites %d", AS_DEFAULT_MAX_SITES);
	ctl_must("retain_exited %d", AS_DEFAULT_RETAIN_EXITED);
	ctl_must("enable");
}

static void ctl_restore_at_exit(void)
{
	if (getpid() == ctl_owner)
		ctl_restore();
}

void ctl_restore(void)
{
	static const char *const cmds[] = {
		"pid all", "comm all", "depth 16", "max_regions 1000000",
		"max_sites 100000", "retain_exited 64", "max_unwind_mib 64",
		"enable",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		int err = ctl("%s", cmds[i]);

		if (err)
			t_fail("restore", "'%s' refused: %s", cmds[i], strerror(err));
	}
}

void ctl_adopt(void)
{
	if (!ctl_owner)
		atexit(ctl_restore_at_exit);
	ctl_owner = getpid();
}

void ctl_isolate(enum isolation how)
{
	ctl_adopt();
	ctl_defaults();
	if (how == ISOLATE_SELF)
		ctl_must("pid %d", (int)getpid());
	else
		ctl_must("pid all");
	ctl_must("reset");
}

/* ------------------------------------------------------------------ */
/* reading and parsing the debugfs files */

static char file_buf[8 << 20];

/* Reads PATH into file_buf (NUL-terminated); fatal on error or overflow. */
static char *read_path(const char *path)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		t_fatal("read", "open %s: %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, file_buf + len, sizeof(file_buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			t_fatal("read", "read %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(file_buf) - 1)
			t_fatal("read", "%s is larger than %zu bytes", path, len);
	}
	close(fd);
	file_buf[len] = '\0';
	return file_buf;
}

static char *read_file(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), AS_DIR "/%s", name);
	return read_path(path);
}

/* Cuts the line at *pos off the buffer; NULL at the end. */
static char *next_line(char **pos)
{
	char *line = *pos, *nl;

	if (!*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*pos = nl + 1;
	} else {
		*pos = line + strlen(line);
	}
	return line;
}

/* Splits line at single spaces; returns the number of fields (all of them). */
static int split(char *line, char **field, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *sp = strchr(p, ' ');

		if (n < max)
			field[n] = p;
		n++;
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	return n;
}

static bool parse_dec(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool parse_addr(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (s[0] != '0' || s[1] != 'x' || !s[2])
		return false;
	for (s += 2; *s; s++) {
		int d = hexval(*s);

		if (d < 0 || x >> 60)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return true;
}

static bool parse_pid(const char *s, pid_t *pid)
{
	uint64_t v;

	if (!parse_dec(s, &v) || v > INT32_MAX)
		return false;
	*pid = (pid_t)v;
	return true;
}

static bool copy_word(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size || !*src)
		return false;
	strcpy(dst, src);
	return true;
}

/* Parses field[0..n) as decimal numbers into v[0..n). */
static bool parse_decs(char **field, uint64_t **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!parse_dec(field[i], v[i]))
			return false;
	return true;
}

/* maps .. last_ns of procs and sites, in column order */
static bool parse_counters(char **field, struct as_counters *c)
{
	uint64_t *v[] = {
		&c->maps, &c->unmaps, &c->bytes_mapped, &c->bytes_unmapped,
		&c->live_regions, &c->live_bytes, &c->peak_bytes,
		&c->first_ns, &c->last_ns,
	};

	return parse_decs(field, v, 9);
}

static bool parse_frames(char *list, struct as_site *site)
{
	char *p = list;

	site->nframes = 0;
	/* a site of regions the kernel made (origin exec, preexisting) */
	if (!strcmp(list, "-"))
		return true;
	for (;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (site->nframes == AS_MAX_FRAMES ||
		    !parse_addr(p, &site->frames[site->nframes]))
			return false;
		site->nframes++;
		if (!comma)
			return true;
		p = comma + 1;
	}
}

#define PROCS_HEADER "# pid comm state maps unmaps bytes_mapped " \
	"bytes_unmapped live_regions live_bytes peak_bytes first_ns last_ns"
#define SITES_HEADER "# pid site kind maps unmaps bytes_mapped " \
	"bytes_unmapped live_regions live_bytes peak_bytes first_ns last_ns frames"
#define REGIONS_HEADER "# pid start end site kind inherited"
#define THREADS_HEADER "# pid tid comm maps unmaps bytes_mapped bytes_unmapped"

#define MAX_FIELDS 24

/* parses one record's fields into ctx; false if the record is malformed */
typedef bool (*record_fn)(char **field, int n, void *ctx);

/*
 * Calls parse() for each record of file NAME whose first field is pid
 * (every record if pid is 0); a bad header or record is fatal.
 */
static void for_each_record(const char *name, const char *header,
			    pid_t pid, record_fn parse, void *ctx)
{
	char *pos = read_file(name);
	char *line = next_line(&pos);
	char copy[1024];

	if (!line || strncmp(line, header, strlen(header)) != 0 ||
	    (line[strlen(header)] != '\0' && line[strlen(header)] != ' '))
		t_fatal("format", "%s: header '%s', want '%s'", name,
			line ? line : "(empty file)", header);
	while ((line = next_line(&pos))) {
		char *field[MAX_FIELDS];
		pid_t rec_pid;
		int n;

		snprintf(copy, sizeof(copy), "%s", line);
		n = split(line, field, MAX_FIELDS);
		if (!parse_pid(field[0], &rec_pid))
			t_fatal("format", "%s: bad pid in '%s'", name, copy);
		if (pid && rec_pid != pid)
			continue;
		if (!parse(field, n < MAX_FIELDS ? n : MAX_FIELDS, ctx))
			t_fatal("format", "%s: bad record '%s'", name, copy);
	}
}

static bool parse_proc_fields(char **f, int n, struct as_proc *p)
{
	if (n < 12 || !parse_pid(f[0], &p->pid) ||
	    !copy_word(p->comm, sizeof(p->comm), f[1]) ||
	    !copy_word(p->state, sizeof(p->state), f[2]) ||
	    !parse_counters(f + 3, &p->c))
		return false;
	return !strcmp(p->state, "live") || !strcmp(p->state, "exited");
}

static bool parse_proc(char **f, int n, void *ctx)
{
	struct as_snap *s = ctx;
	struct as_proc p;

	if (!parse_proc_fields(f, n, &p))
		return false;
	/* a pid may be listed twice (reused); the live record comes first */
	if (!s->has_proc) {
		s->proc = p;
		s->has_proc = true;
	}
	return true;
}

static bool valid_kind(const char *kind)
{
	return !strcmp(kind, "private") || !strcmp(kind, "shared") ||
		!strcmp(kind, "huge") || !strcmp(kind, "brk");
}

static bool parse_site(char **f, int n, void *ctx)
{
	struct as_snap *s = ctx;
	struct as_site *site;

	if (s->nsites == SNAP_MAX_SITES)
		t_fatal("snapshot", "more than %d sites", SNAP_MAX_SITES);
	site = &s->sites[s->nsites];
	if (n < 13 || !parse_pid(f[0], &site->pid) ||
	    !parse_dec(f[1], &site->id) ||
	    !copy_word(site->kind, sizeof(site->kind), f[2]) ||
	    !valid_kind(site->kind) || !parse_counters(f + 3, &site->c) ||
	    !parse_frames(f[12], site) ||
	    !copy_word(site->origin, sizeof(site->origin), n > 13 ? f[13] : "call"))
		return false;
	if (strcmp(site->origin, "call") && strcmp(site->origin, "exec") &&
	    strcmp(site->origin, "preexisting"))
		return false;
	/* only the kernel's sites have no frames */
	if (!site->nframes && !strcmp(site->origin, "call"))
		return false;
	s->nsites++;
	return true;
}

static bool parse_region(char **f, int n, void *ctx)
{
	struct as_snap *s = ctx;
	struct as_region *r;
	uint64_t inherited;

	if (s->nregions == SNAP_MAX_REGIONS)
		t_fatal("snapshot", "more than %d regions", SNAP_MAX_REGIONS);
	r = &s->regions[s->nregions];
	if (n < 6 || !parse_pid(f[0], &r->pid) || !parse_addr(f[1], &r->start) ||
	    !parse_addr(f[2], &r->end) || !parse_dec(f[3], &r->site) ||
	    !copy_word(r->kind, sizeof(r->kind), f[4]) || !valid_kind(r->kind) ||
	    !parse_dec(f[5], &inherited) || inherited > 1)
		return false;
	r->inherited = (int)inherited;
	s->nregions++;
	return true;
}

static bool parse_thread(char **f, int n, void *ctx)
{
	struct as_snap *s = ctx;
	struct as_thread *t;

	if (s->nthreads == SNAP_MAX_THREADS)
		t_fatal("snapshot", "more than %d threads", SNAP_MAX_THREADS);
	t = &s->threads[s->nthreads];
	if (n < 7 || !parse_pid(f[0], &t->pid) || !parse_pid(f[1], &t->tid) ||
	    !copy_word(t->comm, sizeof(t->comm), f[2]) ||
	    !parse_dec(f[3], &t->maps) || !parse_dec(f[4], &t->unmaps) ||
	    !parse_dec(f[5], &t->bytes_mapped) ||
	    !parse_dec(f[6], &t->bytes_unmapped))
		return false;
	s->nthreads++;
	return true;
}

void snap_take(struct as_snap *s, pid_t pid)
{
	s->pid = pid;
	s->has_proc = false;
	s->nsites = 0;
	s->nregions = 0;
	s->nthreads = 0;
	for_each_record("procs", PROCS_HEADER, pid, parse_proc, s);
	for_each_record("sites", SITES_HEADER, pid, parse_site, s);
	for_each_record("regions", REGIONS_HEADER, pid, parse_region, s);
	for_each_record("threads", THREADS_HEADER, pid, parse_thread, s);
}

struct exited_list {
	pid_t *pids;
	int n, max;
};

static bool parse_exited(char **f, int n, void *ctx)
{
	struct exited_list *l = ctx;
	struct as_proc p;

	if (!parse_proc_fields(f, n, &p))
		return false;
	if (!strcmp(p.state, "exited") && l->n < l->max)
		l->pids[l->n++] = p.pid;
	return true;
}

int procs_exited(pid_t *pids, int max)
{
	struct exited_list l = { pids, 0, max };

	for_each_record("procs", PROCS_HEADER, 0, parse_exited, &l);
	return l.n;
}

const struct as_site *snap_site(const struct as_snap *s, uint64_t id)
{
	int i;

	for (i = 0; i < s->nsites; i++)
		if (s->sites[i].id == id)
			return &s->sites[i];
	return NULL;
}

const struct as_region *snap_region_at(const struct as_snap *s, uint64_t addr)
{
	int i;

	for (i = 0; i < s->nregions; i++)
		if (s->regions[i].start <= addr && addr < s->regions[i].end)
			return &s->regions[i];
	return NULL;
}

const struct as_site *snap_site_at(const struct as_snap *s, const void *addr)
{
	const struct as_region *r = snap_region_at(s, ptr_u64(addr));

	return r ? snap_site(s, r->site) : NULL;
}

/*
 * The preexisting private site that holds @addr in @s (a range mapped
 * before the test's reset), or NULL after a FAIL line for @check.
 */
const struct as_site *t_preexisting_site_at(const char *check,
					    const struct as_snap *s,
					    const void *addr)
{
	const struct as_site *seeded = snap_site_at(s, addr);

	if (!t_expect(seeded && !strcmp(seeded->origin, "preexisting") &&
		      !strcmp(seeded->kind, "private"), check,
		      "the range mapped before the reset is not in a "
		      "preexisting private site: %s", site_str(seeded)))
		return NULL;
	return seeded;
}

uint64_t site_id_at(const struct as_snap *s, const void *addr)
{
	const struct as_region *r = snap_region_at(s, ptr_u64(addr));

	if (!r)
		t_fatal("region", "no region holds %p", addr);
	return r->site;
}

const struct as_thread *snap_thread(const struct as_snap *s, pid_t tid)
{
	int i;

	for (i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return &s->threads[i];
	return NULL;
}

int snap_regions_in(const struct as_snap *s, uint64_t start, uint64_t end)
{
	int i, n = 0;

	for (i = 0; i < s->nregions; i++)
		if (s->regions[i].start < end && s->regions[i].end > start)
			n++;
	return n;
}

uint64_t snap_live_bytes(const struct as_snap *s)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < s->nregions; i++)
		sum += s->regions[i].end - s->regions[i].start;
	return sum;
}

/* ------------------------------------------------------------------ */
/* status */

void status_read(struct as_status *st)
{
	char *pos = read_file("status");
	char *line = next_line(&pos);

	if (!line || strcmp(line, "# key value..."))
		t_fatal("format", "status: header '%s'", line ? line : "(empty)");
	st->n = 0;
	while ((line = next_line(&pos))) {
		if (st->n == STATUS_MAX_LINES)
			t_fatal("format", "status: more than %d lines",
				STATUS_MAX_LINES);
		snprintf(st->lines[st->n++], STATUS_LINE_MAX, "%s", line);
	}
}

const char *status_get(const struct as_status *st, const char *key)
{
	size_t len = strlen(key);
	int i;

	for (i = 0; i < st->n; i++)
		if (!strncmp(st->lines[i], key, len) && st->lines[i][len] == ' ')
			return st->lines[i] + len + 1;
	return NULL;
}

uint64_t status_num(const struct as_status *st, const char *key)
{
	const char *v = status_get(st, key);
	uint64_t n;

	if (!v || !parse_dec(v, &n))
		t_fatal("format", "status: no number for '%s' (%s)", key,
			v ? v : "no such record");
	return n;
}

bool t_status_delta(const char *check, const struct as_status *a,
		    const struct as_status *b, const char *key, uint64_t want)
{
	uint64_t before = status_num(a, key), after = status_num(b, key);

	return t_expect(after - before == want, check,
			"status '%s' %" PRIu64 " -> %" PRIu64 ", want +%" PRIu64,
			key, before, after, want);
}

/* ------------------------------------------------------------------ */
/* checks */

const char *site_str(const struct as_site *site)
{
	static char buf[1024];
	size_t len;
	int i;

	if (!site)
		return "(no site)";
	len = (size_t)snprintf(buf, sizeof(buf),
		"site %" PRIu64 " %s maps %" PRIu64 " unmaps %" PRIu64
		" bytes_mapped %" PRIu64 " bytes_unmapped %" PRIu64
		" live_regions %" PRIu64 " live_bytes %" PRIu64
		" peak_bytes %" PRIu64 "%s%s frames%s",
		site->id, site->kind, site->c.maps, site->c.unmaps,
		site->c.bytes_mapped, site->c.bytes_unmapped,
		site->c.live_regions, site->c.live_bytes, site->c.peak_bytes,
		site->origin[0] ? " origin " : "", site->origin,
		site->nframes ? "" : " -");
	for (i = 0; i < site->nframes && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%#" PRIx64,
					i ? "," : " ", site->frames[i]);
	return buf;
}

const char *regions_str(const struct as_snap *s, uint64_t site)
{
	static char buf[2048];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < s->nregions && len < sizeof(buf); i++) {
		const struct as_region *r = &s->regions[i];

		if (r->site != site)
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s[%#" PRIx64 ",%#" PRIx64 ")%s",
					len ? " " : "", r->start, r->end,
					r->inherited ? "i" : "");
	}
	return len ? buf : "(none)";
}

struct field_cmp {
	const char *name;
	uint64_t seen, want;
};

/* Appends "name seen (want W)" for each mismatch; returns the mismatches. */
static int compare_fields(const struct field_cmp *f, int n, char *msg, size_t size)
{
	size_t len = strlen(msg);
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		if (f[i].want == AS_ANY || f[i].seen == f[i].want)
			continue;
		bad++;
		if (len < size)
			len += (size_t)snprintf(msg + len, size - len,
				"%s %" PRIu64 " (want %" PRIu64 "), ",
				f[i].name, f[i].seen, f[i].want);
	}
	return bad;
}

static int compare_counters(const struct as_counters *c,
			    const struct site_expect *e, char *msg, size_t size)
{
	const struct field_cmp f[] = {
		{ "maps", c->maps, e->maps },
		{ "unmaps", c->unmaps, e->unmaps },
		{ "bytes_mapped", c->bytes_mapped, e->bytes_mapped },
		{ "bytes_unmapped", c->bytes_unmapped, e->bytes_unmapped },
		{ "live_regions", c->live_regions, e->live_regions },
		{ "live_bytes", c->live_bytes, e->live_bytes },
		{ "peak_bytes", c->peak_bytes, e->peak_bytes },
	};

	return compare_fields(f, (int)(ARRAY_SIZE(f)), msg, size);
}

bool t_site(const char *check, const struct as_site *site,
	    const struct site_expect *e)
{
	char msg[1024] = "";
	int bad;

	if (!site) {
		t_fail(check, "no site found");
		return false;
	}
	bad = compare_counters(&site->c, e, msg, sizeof(msg));
	if (e->kind && strcmp(site->kind, e->kind)) {
		size_t len = strlen(msg);

		snprintf(msg + len, sizeof(msg) - len, "kind %s (want %s), ",
			 site->kind, e->kind);
		bad++;
	}
	return t_expect(!bad, check, "%s[%s]", msg, site_str(site));
}

bool t_proc(const char *check, const struct as_snap *s,
	    const struct site_expect *e)
{
	char msg[1024] = "";

	if (!s->has_proc) {
		t_fail(check, "no procs line for pid %d", (int)s->pid);
		return false;
	}
	return t_expect(!compare_counters(&s->proc.c, e, msg, sizeof(msg)),
			check, "%sstate %s", msg, s->proc.state);
}

bool t_site_regions(const char *check, const struct as_snap *s,
		    uint64_t site, const struct range *want, int n)
{
	int i, k = 0;
	bool same = true;

	for (i = 0; i < s->nregions; i++) {
		const struct as_region *r = &s->regions[i];

		if (r->site != site)
			continue;
		if (k >= n || r->start != want[k].start || r->end != want[k].end)
			same = false;
		k++;
	}
	if (k == n && same) {
		t_ok(check);
		return true;
	}
	{
		char wanted[1024];
		size_t len = 0;

		wanted[0] = '\0';
		for (i = 0; i < n && len < sizeof(wanted); i++)
			len += (size_t)snprintf(wanted + len, sizeof(wanted) - len,
				"%s[%#" PRIx64 ",%#" PRIx64 ")", i ? " " : "",
				want[i].start, want[i].end);
		t_fail(check, "site %" PRIu64 " regions %s, want %s", site,
		       regions_str(s, site), n ? wanted : "(none)");
	}
	return false;
}

bool t_site_pages(const char *check, const struct as_snap *s, uint64_t site,
		  const void *base, const struct range *pages, int n)
{
	struct range want[16];
	int i;

	if (n > (int)ARRAY_SIZE(want))
		t_fatal(check, "more than %zu ranges", ARRAY_SIZE(want));
	for (i = 0; i < n; i++) {
		want[i].start = ptr_u64(base) + pages[i].start * PAGE_SZ;
		want[i].end = ptr_u64(base) + pages[i].end * PAGE_SZ;
	}
	return t_site_regions(check, s, site, want, n);
}

/* First violation of a site's own rules, or NULL. */
static const char *site_problem(const struct as_snap *s, const struct as_site *site)
{
	static char why[512];
	uint64_t n = 0, bytes = 0;
	int i;

	for (i = 0; i < s->nregions; i++) {
		const struct as_region *r = &s->regions[i];

		if (r->site != site->id)
			continue;
		n++;
		bytes += r->end - r->start;
		if (strcmp(r->kind, site->kind)) {
			snprintf(why, sizeof(why), "region [%#" PRIx64
				 ",...) kind %s, its site's %s",
				 r->start, r->kind, site->kind);
			return why;
		}
	}
	if (n != site->c.live_regions || bytes != site->c.live_bytes) {
		snprintf(why, sizeof(why), "its regions hold %" PRIu64 " / %"
			 PRIu64 " bytes: %s", n, bytes, site_str(site));
		return why;
	}
	if (site->c.peak_bytes < site->c.live_bytes ||
	    (site->nframes < 1 && !strcmp(site->origin, "call"))) {
		snprintf(why, sizeof(why), "peak or frames: %s", site_str(site));
		return why;
	}

	return NULL;
}

/* First problem of the regions list (order, bounds, owner), or NULL. */
static const char *regions_problem(const struct as_snap *s)
{
	static char why[256];
	int i;

	for (i = 0; i < s->nregions; i++) {
		const struct as_region *r = &s->regions[i];
		const char *what = NULL;

		if (r->start >= r->end || (r->start | r->end) % PAGE_SZ)
			what = "bad bounds";
		else if (i && r->start < s->regions[i - 1].end)
			what = "overlaps or out of order";
		else if (!snap_site(s, r->site))
			what = "site not listed";
		if (what) {
			snprintf(why, sizeof(why), "region [%#" PRIx64 ",%#"
				 PRIx64 ") site %" PRIu64 ": %s",
				 r->start, r->end, r->site, what);
			return why;
		}
	}
	return NULL;
}

/* The procs line is the sum of the sites and holds the regions, or why not. */
static const char *proc_problem(const struct as_snap *s)
{
	static char why[1024];
	struct site_expect e = { .peak_bytes = AS_ANY };
	char msg[768] = "";
	int i;

	for (i = 0; i < s->nsites; i++) {
		const struct as_counters *c = &s->sites[i].c;

		e.maps += c->maps;
		e.unmaps += c->unmaps;
		e.bytes_mapped += c->bytes_mapped;
		e.bytes_unmapped += c->bytes_unmapped;
	}
	e.live_regions = (uint64_t)s->nregions;
	e.live_bytes = snap_live_bytes(s);
	if (!compare_counters(&s->proc.c, &e, msg, sizeof(msg)) &&
	    s->proc.c.peak_bytes >= s->proc.c.live_bytes)
		return NULL;
	snprintf(why, sizeof(why), "procs line vs the sum of %d sites and %d "
		 "regions: %speak %" PRIu64, s->nsites, s->nregions, msg,
		 s->proc.c.peak_bytes);
	return why;
}

/*
 * The format's rules: per process the sites' counters add up to the procs
 * line; each site's live counters are what its regions hold; regions are
 * ordered, page-aligned, disjoint and owned by a listed site of their kind;
 * peaks are at least the live bytes.
 */
const char *snap_problem(const struct as_snap *s)
{
	static char why[64];
	const char *problem = NULL;
	int i;

	if (!s->has_proc) {
		snprintf(why, sizeof(why), "no procs line for pid %d", (int)s->pid);
		return why;
	}
	for (i = 0; i < s->nsites && !problem; i++)
		problem = site_problem(s, &s->sites[i]);
	if (!problem)
		problem = regions_problem(s);
	if (!problem)
		problem = proc_problem(s);
	return problem;
}

bool t_consistent(const char *check, const struct as_snap *s)
{
	const char *why = snap_problem(s);

	return t_expect(!why, check, "%s", why);
}

bool t_times(const char *check, const struct as_snap *s)
{
	int i;

	if (s->has_proc && (!s->proc.c.first_ns ||
			    s->proc.c.first_ns > s->proc.c.last_ns)) {
		t_fail(check, "procs line: first_ns %" PRIu64 " last_ns %" PRIu64,
		       s->proc.c.first_ns, s->proc.c.last_ns);
		return false;
	}
	for (i = 0; i < s->nsites; i++) {
		const struct as_counters *c = &s->sites[i].c;

		if (!c->first_ns || c->first_ns > c->last_ns) {
			t_fail(check, "site %" PRIu64 ": first_ns %" PRIu64
			       " last_ns %" PRIu64, s->sites[i].id, c->first_ns,
			       c->last_ns);
			return false;
		}
	}
	t_ok(check);
	return true;
}

static bool same_counters(const struct as_counters *a, const struct as_counters *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static bool same_site(const struct as_site *a, const struct as_site *b)
{
	return a->pid == b->pid && a->id == b->id && !strcmp(a->kind, b->kind) &&
		!strcmp(a->origin, b->origin) && same_counters(&a->c, &b->c) && a->nframes == b->nframes &&
		!memcmp(a->frames, b->frames,
			(size_t)a->nframes * sizeof(a->frames[0]));
}

static bool same_region(const struct as_region *a, const struct as_region *b)
{
	return a->start == b->start && a->end == b->end && a->site == b->site &&
		!strcmp(a->kind, b->kind) && a->inherited == b->inherited;
}

static bool same_proc(const struct as_proc *a, const struct as_proc *b,
		      bool procs_time)
{
	struct as_counters cb = b->c;

	if (!procs_time)
		cb.last_ns = a->c.last_ns;
	return same_counters(&a->c, &cb) && !strcmp(a->state, b->state) &&
		!strcmp(a->comm, b->comm);
}

bool t_same_state(const char *check, const struct as_snap *a,
		  const struct as_snap *b, bool procs_time)
{
	int i;

	if (a->has_proc != b->has_proc ||
	    (a->has_proc && !same_proc(&a->proc, &b->proc, procs_time))) {
		t_fail(check, "procs line changed: maps %" PRIu64 "->%" PRIu64
		       " unmaps %" PRIu64 "->%" PRIu64 " live_bytes %" PRIu64
		       "->%" PRIu64 " last_ns %" PRIu64 "->%" PRIu64,
		       a->proc.c.maps, b->proc.c.maps, a->proc.c.unmaps,
		       b->proc.c.unmaps, a->proc.c.live_bytes,
		       b->proc.c.live_bytes, a->proc.c.last_ns, b->proc.c.last_ns);
		return false;
	}
	if (a->nsites != b->nsites || a->nregions != b->nregions) {
		t_fail(check, "%d sites / %d regions became %d / %d",
		       a->nsites, a->nregions, b->nsites, b->nregions);
		return false;
	}
	for (i = 0; i < a->nsites; i++) {
		const struct as_site *sb = snap_site(b, a->sites[i].id);

		if (!sb || !same_site(&a->sites[i], sb)) {
			char was[1024];

			snprintf(was, sizeof(was), "%s", site_str(&a->sites[i]));
			t_fail(check, "site changed: [%s] -> [%s]", was, site_str(sb));
			return false;
		}
	}
	for (i = 0; i < a->nregions; i++) {
		if (!same_region(&a->regions[i], &b->regions[i])) {
			t_fail(check, "region [%#" PRIx64 ",%#" PRIx64 ") site %"
			       PRIu64 " became [%#" PRIx64 ",%#" PRIx64 ") site %"
			       PRIu64, a->regions[i].start, a->regions[i].end,
			       a->regions[i].site, b->regions[i].start,
			       b->regions[i].end, b->regions[i].site);
			return false;
		}
	}
	t_ok(check);
	return true;
}

/* ------------------------------------------------------------------ */
/* address space */

static bool special_mapping(const char *path)
{
	return !strcmp(path, "[vdso]") || !strcmp(path, "[vvar]") ||
		!strcmp(path, "[vvar_vclock]") || !strcmp(path, "[vsyscall]") ||
		!strcmp(path, "[uprobes]");
}

/* the path of a maps line names anonymous memory (module/debugfs-format.md) */
static bool anon_path(const char *line, const char *path, uint64_t inode)
{
	bool deleted = strstr(line, " (deleted)") != NULL;

	if (inode == 0)
		return !special_mapping(path);
	return !strncmp(path, "[anon_shmem:", 12) ||
		(deleted && (!strcmp(path, "/dev/zero") ||
			     !strcmp(path, "/anon_hugepage")));
}

int maps_read(struct vma *v, int max)
{
	char *pos = read_path("/proc/self/maps");
	char *line;
	int n = 0;

	while ((line = next_line(&pos))) {
		unsigned long long start, end, inode;
		char path[256] = "";

		if (sscanf(line, "%llx-%llx %*s %*s %*s %llu %255s", &start, &end,
			   &inode, path) < 3)
			t_fatal("maps", "bad line '%s'", line);
		if (n == max)
			t_fatal("maps", "more than %d mappings", max);
		v[n].start = start;
		v[n].end = end;
		v[n].anon = anon_path(line, path, inode);
		v[n].stack = !strcmp(path, "[stack]");
		n++;
	}
	return n;
}

bool maps_anon_covers(const struct vma *v, int n, uint64_t start, uint64_t end)
{
	int i;

	for (i = 0; i < n && start < end; i++) {
		if (v[i].end <= start)
			continue;
		if (v[i].start > start || !v[i].anon)
			return false;
		start = v[i].end;
	}
	return start >= end;
}

/* 16 TiB: below where PIE programs and the heap start, far below mmap_base */
#define TEST_AREA_BASE		0x100000000000UL
#define TEST_AREA_STRIDE	0x40000000UL

void *test_area(unsigned int idx)
{
	return (void *)(uintptr_t)(TEST_AREA_BASE + idx * TEST_AREA_STRIDE);
}

void *place(void *addr, size_t len, int prot)
{
	void *p = mmap(addr, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != addr)
		t_fatal("place", "mmap(%p, %zu, FIXED_NOREPLACE) = %p: %s",
			addr, len, p, p == MAP_FAILED ? strerror(errno) : "moved");
	return p;
}

void *map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fatal("map", "mmap(%zu, %#x): %s", len, flags, strerror(errno));
	return p;
}

void unmap(void *addr, size_t len)
{
	if (munmap(addr, len))
		t_fatal("unmap", "munmap(%p, %zu): %s", addr, len, strerror(errno));
}

SITE_FN void map_n(char **out, int n, size_t len, int flags)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = map_anon(len, flags);
}

SITE_FN void place_n(char *base, const struct range *pages, int n, int prot)
{
	int i;

	for (i = 0; i < n; i++)
		place(base + pages[i].start * PAGE_SZ,
		      (pages[i].end - pages[i].start) * PAGE_SZ, prot);
}

bool addr_in_function(uint64_t addr, const char *name)
{
	Dl_info info;

	return dladdr((void *)(uintptr_t)addr, &info) && info.dli_sname &&
		!strcmp(info.dli_sname, name);
}

const char *addr_str(uint64_t addr)
{
	static char buf[256];
	Dl_info info;

	if (!dladdr((void *)(uintptr_t)addr, &info) || !info.dli_fname) {
		snprintf(buf, sizeof(buf), "%#" PRIx64 " (?)", addr);
		return buf;
	}
	if (info.dli_sname)
		snprintf(buf, sizeof(buf), "%s+%#" PRIx64 " (%s)", info.dli_sname,
			 addr - ptr_u64(info.dli_saddr), info.dli_fname);
	else
		snprintf(buf, sizeof(buf), "%#" PRIx64 " (%s+%#" PRIx64 ")", addr,
			 info.dli_fname, addr - ptr_u64(info.dli_fbase));
	return buf;
}

void escape_comm(const char *comm, char *out)
{
	size_t len = 0;

	if (!*comm) {
		strcpy(out, "\\000");
		return;
	}
	for (; *comm && len + 5 <= AS_COMM_MAX; comm++) {
		unsigned char c = (unsigned char)*comm;

		if (c < 0x21 || c > 0x7e || c == '\\')
			len += (size_t)snprintf(out + len, AS_COMM_MAX - len,
						"\\%03o", c);
		else
			out[len++] = (char)c;
	}
	out[len] = '\0';
}

/* ------------------------------------------------------------------ */
/* seeded regions */

bool site_seeded(const struct as_site *site)
{
	return strcmp(site->origin, "call") != 0;
}

const struct as_site *snap_seeded_site(const struct as_snap *s,
				       const char *origin, const char *kind)
{
	int i;

	for (i = 0; i < s->nsites; i++)
		if (!strcmp(s->sites[i].origin, origin) &&
		    !strcmp(s->sites[i].kind, kind))
			return &s->sites[i];
	return NULL;
}

int snap_origin_sites(const struct as_snap *s, const char *origin)
{
	int i, n = 0;

	for (i = 0; i < s->nsites; i++)
		if (!strcmp(s->sites[i].origin, origin))
			n++;
	return n;
}

int snap_origin_regions(const struct as_snap *s, const char *origin,
			uint64_t *bytes)
{
	int i, n = 0;

	*bytes = 0;
	for (i = 0; i < s->nregions; i++) {
		const struct as_site *site = snap_site(s, s->regions[i].site);

		if (site && !strcmp(site->origin, origin)) {
			n++;
			*bytes += s->regions[i].end - s->regions[i].start;
		}
	}
	return n;
}

static struct vma seed_vmas[8192];
static struct range seed_union[SNAP_MAX_REGIONS];

/* merges adjacent ranges of r[0..n) in place (r sorted, disjoint) */
static int merge_ranges(struct range *r, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (k && r[k - 1].end == r[i].start)
			r[k - 1].end = r[i].end;
		else
			r[k++] = r[i];
	}
	return k;
}

bool t_matches_maps(const char *check, const struct as_snap *s)
{
	int i, k = 0, nr, nv = maps_read(seed_vmas, (int)ARRAY_SIZE(seed_vmas));
	uint64_t start = 0, end = 0;

	for (i = 0; i < s->nregions; i++)
		seed_union[i] = (struct range){ s->regions[i].start,
						s->regions[i].end };
	nr = merge_ranges(seed_union, s->nregions);
	/* walk the anonymous, non-stack vmas, merged, against seed_union */
	for (i = 0; i <= nv; i++) {
		bool take = i < nv && seed_vmas[i].anon && !seed_vmas[i].stack;

		if (take && end == seed_vmas[i].start && end) {
			end = seed_vmas[i].end;
			continue;
		}
		if (end) {
			if (k == nr || seed_union[k].start != start ||
			    seed_union[k].end != end) {
				t_fail(check, "anonymous mappings [%#" PRIx64
				       ",%#" PRIx64 "), regions %s[%#" PRIx64
				       ",%#" PRIx64 ")", start, end,
				       k < nr ? "" : "(none past) ",
				       k < nr ? seed_union[k].start : 0,
				       k < nr ? seed_union[k].end : 0);
				return false;
			}
			k++;
			end = 0;
		}
		if (take) {
			start = seed_vmas[i].start;
			end = seed_vmas[i].end;
		}
	}
	return t_expect(k == nr, check, "regions [%#" PRIx64 ",%#" PRIx64
			") and on are in no anonymous mapping",
			k < nr ? seed_union[k].start : 0,
			k < nr ? seed_union[k].end : 0);
}

bool t_seeded(const char *check, const struct as_snap *s, const char *origin)
{
	const char *why = snap_problem(s);
	int i, j;

	if (why) {
		t_fail(check, "%s", why);
		return false;
	}
	for (i = 0; i < s->nsites; i++) {
		const struct as_site *site = &s->sites[i];
		const struct as_counters *c = &site->c;

		if (strcmp(site->origin, origin) || site->nframes ||
		    c->maps || c->unmaps || c->bytes_mapped ||
		    c->bytes_unmapped || c->peak_bytes != c->live_bytes ||
		    !c->live_regions) {
			t_fail(check, "site of origin %s, want a seeded one of "
			       "origin %s: %s", site->origin, origin,
			       site_str(site));
			return false;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(s->sites[j].kind, site->kind)) {
				t_fail(check, "two seeded sites of kind %s: %"
				       PRIu64 " and %" PRIu64, site->kind,
				       s->sites[j].id, site->id);
				return false;
			}
		}
	}
	if (s->proc.c.maps || s->proc.c.unmaps || s->proc.c.bytes_mapped ||
	    s->proc.c.bytes_unmapped ||
	    s->proc.c.peak_bytes != s->proc.c.live_bytes || !s->nsites) {
		t_fail(check, "procs line maps %" PRIu64 " unmaps %" PRIu64
		       " peak %" PRIu64 " live %" PRIu64 " with %d sites",
		       s->proc.c.maps, s->proc.c.unmaps, s->proc.c.peak_bytes,
		       s->proc.c.live_bytes, s->nsites);
		return false;
	}
	if (s->pid == getpid())
		return t_matches_maps(check, s);
	t_ok(check);
	return true;
}

static uint64_t plus(uint64_t want, uint64_t base)
{
	return want == AS_ANY ? AS_ANY : want + base;
}

struct site_expect expect_plus_base(const struct site_expect *e,
				    const struct as_snap *base)
{
	const struct as_counters *c = &base->proc.c;
	struct site_expect r = *e;

	r.maps = plus(e->maps, c->maps);
	r.unmaps = plus(e->unmaps, c->unmaps);
	r.bytes_mapped = plus(e->bytes_mapped, c->bytes_mapped);
	r.bytes_unmapped = plus(e->bytes_unmapped, c->bytes_unmapped);
	r.live_regions = plus(e->live_regions, c->live_regions);
	r.live_bytes = plus(e->live_bytes, c->live_bytes);
	r.peak_bytes = plus(e->peak_bytes, c->peak_bytes);
	return r;
}

/* the first region of s from k on whose site is a seeded site of ref */
static int next_seeded(const struct as_snap *ref, const struct as_snap *s,
		       int k)
{
	for (; k < s->nregions; k++) {
		const struct as_site *site = snap_site(ref, s->regions[k].site);

		if (site && site_seeded(site))
			break;
	}
	return k;
}

bool t_seeded_unchanged(const char *check, const struct as_snap *a,
			const struct as_snap *b)
{
	int i, ka = 0, kb = 0;

	for (i = 0; i < a->nsites; i++) {
		const struct as_site *sa = &a->sites[i];
		const struct as_site *sb = snap_site(b, sa->id);
		char was[1024];

		if (!site_seeded(sa))
			continue;
		if (sb && same_site(sa, sb))
			continue;
		snprintf(was, sizeof(was), "%s", site_str(sa));
		t_fail(check, "seeded site changed: [%s] -> [%s]", was,
		       site_str(sb));
		return false;
	}
	/* the regions of the seeded sites of a, in order, are b's */
	for (;;) {
		ka = next_seeded(a, a, ka);
		kb = next_seeded(a, b, kb);
		if (ka == a->nregions || kb == b->nregions)
			break;
		if (!same_region(&a->regions[ka], &b->regions[kb]))
			break;
		ka++;
		kb++;
	}
	if (ka == a->nregions && kb == b->nregions) {
		t_ok(check);
		return true;
	}
	t_fail(check, "seeded region [%#" PRIx64 ",%#" PRIx64 ") site %" PRIu64
	       " became [%#" PRIx64 ",%#" PRIx64 ") site %" PRIu64,
	       ka < a->nregions ? a->regions[ka].start : 0,
	       ka < a->nregions ? a->regions[ka].end : 0,
	       ka < a->nregions ? a->regions[ka].site : 0,
	       kb < b->nregions ? b->regions[kb].start : 0,
	       kb < b->nregions ? b->regions[kb].end : 0,
	       kb < b->nregions ? b->regions[kb].site : 0);
	return false;
}

bool t_site_delta(const char *check, const struct as_snap *a,
		  const struct as_snap *b, uint64_t id,
		  const struct site_delta *d)
{
	const struct as_site *sa = snap_site(a, id), *sb = snap_site(b, id);
	struct site_expect e;
	char msg[1024] = "";

	if (!sa || !sb) {
		t_fail(check, "site %" PRIu64 " is not in both snapshots", id);
		return false;
	}
	e = (struct site_expect){ NULL,
		sa->c.maps + (uint64_t)d->maps,
		sa->c.unmaps + (uint64_t)d->unmaps,
		sa->c.bytes_mapped + (uint64_t)d->bytes_mapped,
		sa->c.bytes_unmapped + (uint64_t)d->bytes_unmapped,
		sa->c.live_regions + (uint64_t)d->live_regions,
		sa->c.live_bytes + (uint64_t)d->live_bytes,
		sa->c.peak_bytes + (uint64_t)d->peak_bytes };
	if (!compare_counters(&sb->c, &e, msg, sizeof(msg)) &&
	    !strcmp(sa->kind, sb->kind) && !strcmp(sa->origin, sb->origin)) {
		t_ok(check);
		return true;
	}
	{
		char was[1024];

		snprintf(was, sizeof(was), "%s", site_str(sa));
		t_fail(check, "%swas [%s] is [%s]", msg, was, site_str(sb));
	}
	return false;
}

static struct range released_want[SNAP_MAX_REGIONS + 1];

bool t_site_released(const char *check, const struct as_snap *a,
		     const struct as_snap *b, uint64_t id, uint64_t start,
		     uint64_t end, uint64_t want_bytes)
{
	uint64_t bytes = 0;
	int i, k, n = 0, cut = 0, pieces = 0;
	char sub[128];

	for (i = 0; i < a->nregions; i++) {
		const struct as_region *r = &a->regions[i];

		if (r->site != id)
			continue;
		if (r->end <= start || r->start >= end) {
			released_want[n++] = (struct range){ r->start, r->end };
			continue;
		}
		cut++;
		bytes += (r->end < end ? r->end : end) -
			(r->start > start ? r->start : start);
		if (r->start < start) {
			released_want[n++] = (struct range){ r->start, start };
			pieces++;
		}
		if (r->end > end) {
			released_want[n++] = (struct range){ end, r->end };
			pieces++;
		}
	}
	if (!t_expect(bytes == want_bytes, check, "site %" PRIu64 " held %"
		      PRIu64 " bytes of [%#" PRIx64 ",%#" PRIx64 "), want %"
		      PRIu64 ": %s", id, bytes, start, end, want_bytes,
		      regions_str(a, id)))
		return false;
	snprintf(sub, sizeof(sub), "%s_counters", check);
	if (!t_site_delta(sub, a, b, id, &(struct site_delta){
			0, cut, 0, (int64_t)bytes, pieces - cut,
			-(int64_t)bytes, 0 }))
		return false;
	/* the regions, all of them when there are not too many to list */
	snprintf(sub, sizeof(sub), "%s_regions", check);
	if (n <= 16)
		return t_site_regions(sub, b, id, released_want, n);
	for (i = 0, k = 0; i < b->nregions; i++) {
		const struct as_region *r = &b->regions[i];

		if (r->site != id)
			continue;
		if (k == n) {
			t_fail(sub, "site %" PRIu64 " has more than the %d "
			       "regions left: [%#" PRIx64 ",%#" PRIx64 ")", id,
			       n, r->start, r->end);
			return false;
		}
		if (r->start != released_want[k].start ||
		    r->end != released_want[n].end) {
			t_fail(sub, "site %" PRIu64 " region %d is [%#" PRIx64
			       ",%#" PRIx64 "), want [%#" PRIx64 ",%#" PRIx64
			       ")", id, k, r->start, r->end,
			       released_want[k].start, released_want[k].end);
			return false;
		}
		k++;
	}
	return t_expect(k == n, sub, "site %" PRIu64 " has %d regions, want %d",
			id, k, n);
}
