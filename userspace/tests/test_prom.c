// SPDX-License-Identifier: GPL-2.0
/*
 * test_prom.c - the Prometheus text format (prom.c): label escaping, the
 * function label, the whole output of the fixture snapshot against golden
 * files (as anontop writes it, and with names given to its sites: sites of
 * one function summed), the file when the module cannot be read (only the
 * exporter's series), the top-K cut with its function="other" sums (exact
 * numbers), --prom-aggregate and --prom-labels, a pid that is both exited
 * and live, a process with 1000 sites, the atomic file write with its
 * errors, and the error log's rate limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "prom.h"

static char root[] = "/tmp/anontop-prom.XXXXXX";

#define PROCS_H "# pid comm state maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns\n"
#define SITES_H "# pid site kind maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns frames\n"

/* the state anontop has after one sample read and written */
static const struct prom_state one_ok = {
	.up = true, .last_success = 1795000000, .samples = 1,
};

static char *label(const char *s)
{
	static char buf[256];
	FILE *f;

	buf[0] = '\0';
	f = fmemopen(buf, sizeof(buf), "w");

	prom_label_value(f, s);
	fclose(f);
	return buf;
}

static void test_escape(void)
{
	CHECK_STR(label("ucx_leak"), "ucx_leak");
	CHECK_STR(label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
	CHECK_STR(label("tab\there"), "tab\there");	/* allowed as is */
	CHECK_STR(label("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9b"),
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9b");
	/* not UTF-8: one U+FFFD per byte */
	CHECK_STR(label("a\xff" "b"), "a\xef\xbf\xbd" "b");
	CHECK_STR(label("\xc0\x80"), "\xef\xbf\xbd\xef\xbf\xbd");	/* overlong */
	CHECK_STR(label("\xed\xa0\x80"),		/* a surrogate */
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_STR(label("\xf4\x90\x80\x80"),		/* past U+10FFFF */
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_STR(label("x\xe2\x82"), "x\xef\xbf\xbd\xef\xbf\xbd"); /* cut short */
	CHECK_STR(label(""), "");
}

/* the label of a site named after a frame in @module (NULL: none) */
static char *function(const char *module, const char *symbol, uint64_t addr)
{
	static struct site_info info;
	static char buf[512];
	struct site_row s = { .info = &info };

	memset(&info, 0, sizeof(info));
	info.nr_frames = 1;
	info.frames[0] = (struct sym_frame){ .addr = addr, .module = (char *)module,
		.symbol = (char *)symbol, .offset = 0x23 };
	sym_format(&info.frames[0], info.name, sizeof(info.name));
	prom_function(&s, buf, sizeof(buf));
	return buf;
}

static void test_function(void)
{
	struct site_info seeded = { .name_frame = -1, .name = "[preexisting]" };
	struct site_row s = { 0 };
	char buf[64];
	unsigned int l;

	CHECK_STR(function("/usr/bin/ucx_leak", "rcache_chunk_alloc", 0x1234),
		  "ucx_leak!rcache_chunk_alloc");
	/* demangled by symbols.c: as it is */
	CHECK_STR(function("/opt/a.out", "ns::Pool::grow(unsigned long)", 1),
		  "a.out!ns::Pool::grow(unsigned long)");
	/* no symbol: the object's basename */
	CHECK_STR(function("/usr/lib/libfoo.so", NULL, 0x7f0000001234), "libfoo.so");
	/* an address in no object */
	CHECK_STR(function(NULL, NULL, 0x7f0012345678), "[unknown]");
	/* not symbolised */
	prom_function(&s, buf, sizeof(buf));
	CHECK_STR(buf, "[unknown]");
	/* a seeded site: no frames, its origin */
	s.info = &seeded;
	prom_function(&s, buf, sizeof(buf));
	CHECK_STR(buf, "[preexisting]");

	CHECK(prom_parse_labels("cmdline", &l) == 0 && l == PROM_L_CMDLINE);
	CHECK(prom_parse_labels("cgroup,user,cmdline", &l) == 0 &&
	      l == (PROM_L_CMDLINE | PROM_L_USER | PROM_L_CGROUP));
	CHECK(prom_parse_labels("user,user", &l) == 0 && l == PROM_L_USER);
	CHECK(prom_parse_labels("", &l) == -1);
	CHECK(prom_parse_labels("user,", &l) == -1);
	CHECK(prom_parse_labels("pid", &l) == -1);
	CHECK(prom_parse_labels("users", &l) == -1);
}

/* the frame each of the fixture's sites is named after, by id */
struct fname {
	const char *module, *symbol;	/* NULL: no object, no symbol */
	uint64_t addr;			/* 0: the site is not symbolised */
};

static const struct fname fixture_names[] = {
	[11] = { "/usr/bin/ucx_leak", "rcache_chunk_alloc", 0x11d9 },
	[12] = { "/usr/bin/ucx_leak", "rcache_chunk_alloc", 0x11d9 }, /* another stack */
	[13] = { "/usr/lib/libucs.so.0", "ucs_mpool_grow", 0x12a0 },
	[14] = { "/opt/w/libworker.so", NULL, 0x1300 },
	[15] = { NULL, NULL, 0x7f0000001400 },	/* in no object */
	[16] = { NULL, NULL, 0 },		/* not symbolised */
};

/* site i's frame: names[i], or with @many "many!f<(i - 100) % many>" */
static struct site_info *infos;
static char (*many_syms)[32];

static void name_sites(struct model *m, const struct fname *names, size_t n,
		       unsigned int many)
{
	size_t i;

	free(infos);
	free(many_syms);
	infos = calloc(m->nr_sites + 1, sizeof(*infos));
	many_syms = calloc(m->nr_sites + 1, sizeof(*many_syms));
	if (!infos || !many_syms)
		exit(1);
	for (i = 0; i < m->nr_sites; i++) {
		uint64_t id = m->sites[i].r->id;
		struct sym_frame *f = &infos[i].frames[0];

		m->sites[i].info = NULL;
		if (many && id >= 100) {
			snprintf(many_syms[i], sizeof(many_syms[i]), "f%u",
				 (unsigned int)(id - 100) % many);
			*f = (struct sym_frame){ .addr = id, .module = "/usr/bin/many",
				.symbol = many_syms[i], .offset = id };
		} else if (id < n && names[id].addr) {
			*f = (struct sym_frame){ .addr = names[id].addr,
				.module = (char *)names[id].module,
				.symbol = (char *)names[id].symbol, .offset = 0x23 };
		} else {
			continue;
		}
		infos[i].nr_frames = 1;
		sym_format(f, infos[i].name, sizeof(infos[i].name));
		m->sites[i].info = &infos[i];
	}
}

struct sample_opts {
	unsigned int top;
	const int *pids;
	size_t nr_pids;
	const struct fname *names;	/* site frames by id, if set */
	size_t nr_names;
	unsigned int many;		/* site id >= 100: "many!f<(id - 100) % many>" */
	bool aggregate;
	unsigned int labels;
	const char *const *user;	/* by pid - 10, if set */
	const char *cmdline;		/* for every process, if set */
	bool known;			/* RssAnon and resident bytes, as /proc would */
};

/* the output of one sample of @dir, in a malloc()ed string */
static char *sample(const char *dir, const struct sample_opts *so)
{
	static struct model m;
	struct prom_opts o = {
		.filter = { .pids = so->pids, .nr_pids = so->nr_pids },
		.top_sites = so->top, .aggregate = so->aggregate,
		.labels = so->labels,
	};
	char err[512], *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if (model_init(&m, dir, "/nonexistent", 3))
		exit(1);
	m.detail = DETAIL_ALL;
	if (model_sample(&m, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	if (so->names || so->many)
		name_sites(&m, so->names, so->nr_names, so->many);
	for (i = 0; so->known && i < m.nr_sites; i++)
		m.sites[i].resident = 4096;
	for (i = 0; i < m.nr_procs; i++) {
		if (so->known)
			m.procs[i].rss_anon = 8192;
		if (so->user)
			m.procs[i].user = so->user[m.procs[i].r->pid - 10];
		if (so->cmdline)
			m.procs[i].cmdline = so->cmdline;
	}
	f = open_memstream(&buf, &len);
	CHECK(prom_write(f, &m, &o, &one_ok) == 0);
	fclose(f);
	/* the test's strings are not the model's to free */
	for (i = 0; i < m.nr_procs; i++) {
		m.procs[i].user = NULL;
		m.procs[i].cmdline = NULL;
	}
	model_free(&m);
	return buf;
}

static char *read_all(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		perror(path);
		exit(1);
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* lines of @text starting with @prefix */
static unsigned int count_lines(const char *text, const char *prefix)
{
	unsigned int n = 0;
	size_t len = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, prefix, len))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
		p += len;
	}
	return false;
}

#define SITE(metric, pid, comm, function) \
	"anonstat_site_" metric "{pid=\"" pid "\",comm=\"" comm "\"," \
	"function=\"" function "\"} "

static void test_fixture(void)
{
	struct sample_opts so = { .top = PROM_TOP_SITES };
	char *out;

	/* as anontop writes it: no /proc, so no names (one "[unknown]" each) */
	out = sample(FIXTURES "/snap", &so);
	CHECK_STR(out, read_all(FIXTURES "/snap.prom"));
	free(out);

	/* named: 11 and 12 are one function, summed; 15 and 16 unknown */
	so.names = fixture_names;
	so.nr_names = sizeof(fixture_names) / sizeof(fixture_names[0]);
	out = sample(FIXTURES "/snap", &so);
	CHECK_STR(out, read_all(FIXTURES "/snap-named.prom"));
	free(out);

	/* top 1: the largest function of each process, the rest summed */
	so.top = 1;
	out = sample(FIXTURES "/snap", &so);
	CHECK(has_line(out, SITE("live_bytes", "4101", "ucx_leak",
		"libucs.so.0!ucs_mpool_grow") "4194304"));
	/* sites 11 and 12 */
	CHECK(has_line(out, SITE("live_bytes", "4101", "ucx_leak", "other")
		"2621440"));
	CHECK(has_line(out, SITE("live_regions", "4101", "ucx_leak", "other")
		"40"));
	CHECK(has_line(out, SITE("maps_total", "4101", "ucx_leak", "other")
		"80"));
	CHECK(has_line(out, SITE("unmaps_total", "4101", "ucx_leak", "other")
		"40"));
	/* site 11's resident bytes are not known (no /proc): no sum either */
	CHECK(!strstr(out, "anonstat_site_resident_bytes{pid=\"4101\""));
	/* site 15 (nothing live: 0 resident) */
	CHECK(has_line(out, SITE("resident_bytes", "4102", "worker", "other")
		"0"));
	CHECK(has_line(out, SITE("maps_total", "4102", "worker", "other") "2"));
	CHECK(has_line(out, SITE("live_bytes", "4102", "worker", "libworker.so")
		"16384"));
	/* one function: no "other" */
	CHECK(!strstr(out, "pid=\"4103\",comm=\"my prog\",function=\"other\""));
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{"), 5);
	/* the process series do not depend on the cut */
	CHECK(has_line(out, "anonstat_process_live_bytes{pid=\"4101\","
		"comm=\"ucx_leak\"} 6815744"));
	CHECK(has_line(out, "anonstat_process_sites{pid=\"4101\","
		"comm=\"ucx_leak\"} 3"));
	/* the exited process is left out */
	CHECK(!strstr(out, "4099"));
	free(out);

	/* top 0: only "other" */
	so.top = 0;
	out = sample(FIXTURES "/snap", &so);
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{"), 3);
	CHECK(has_line(out, SITE("live_bytes", "4101", "ucx_leak", "other")
		"6815744"));
	free(out);

	/* -p */
	so.top = 20;
	so.pids = (const int[]){ 4102 };
	so.nr_pids = 1;
	out = sample(FIXTURES "/snap", &so);
	CHECK_U64(count_lines(out, "anonstat_process_live_bytes{"), 1);
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{"), 2);
	CHECK(has_line(out, "anonstat_drops_total{reason=\"stale\"} 2"));
	CHECK(has_line(out, "anonstat_untracked_bytes_total{reason=\"munmap\"} 8192"));
	free(out);
}

/* the module cannot be read: the exporter's series, nothing else */
static void test_down(void)
{
	static const char want[] =
		"# HELP anonstat_up Whether the last sample of the module's files "
		"could be read (0: no other anonstat series in this file).\n"
		"# TYPE anonstat_up gauge\n"
		"anonstat_up 0\n"
		"# HELP anonstat_last_success_timestamp_seconds When a sample was "
		"last read, in Unix seconds (0: never).\n"
		"# TYPE anonstat_last_success_timestamp_seconds gauge\n"
		"anonstat_last_success_timestamp_seconds 1795000042\n"
		"# HELP anonstat_exporter_samples_total Samples anontop tried to "
		"read.\n"
		"# TYPE anonstat_exporter_samples_total counter\n"
		"anonstat_exporter_samples_total 9\n"
		"# HELP anonstat_exporter_errors_total Samples that could not be "
		"read, files that could not be written.\n"
		"# TYPE anonstat_exporter_errors_total counter\n"
		"anonstat_exporter_errors_total{stage=\"read\"} 3\n"
		"anonstat_exporter_errors_total{stage=\"write\"} 1\n";
	static struct model m;
	struct prom_state st = {
		.up = false, .last_success = 1795000042, .samples = 9,
		.read_errors = 3, .write_errors = 1,
	};
	struct prom_opts o = { .top_sites = 20 };
	char err[512], *buf = NULL, path[600];
	size_t len = 0;
	FILE *f;

	/* a model whose last sample failed: the module is gone */
	snprintf(path, sizeof(path), "%s/gone", root);
	CHECK(model_init(&m, path, "/nonexistent", 3) == 0);
	m.detail = DETAIL_ALL;
	CHECK(model_sample(&m, err, sizeof(err)) == -1);
	f = open_memstream(&buf, &len);
	CHECK(prom_write(f, &m, &o, &st) == 0);
	fclose(f);
	CHECK_STR(buf, want);
	free(buf);
	model_free(&m);

	/* the same after a sample that was read: nothing of it is written */
	CHECK(model_init(&m, FIXTURES "/snap", "/nonexistent", 3) == 0);
	m.detail = DETAIL_ALL;
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK(prom_write(f, &m, &o, &st) == 0);
	fclose(f);
	CHECK_STR(buf, want);
	free(buf);
	model_free(&m);

	/* never read: 0 */
	st.last_success = 0;
	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK(prom_write(f, &m, &o, &st) == 0);
	fclose(f);
	CHECK(has_line(buf, "anonstat_last_success_timestamp_seconds 0"));
	free(buf);
}

/*
 * --prom-aggregate: pids 10 and 11 are "py", 12 is "sh", 13 an exited
 * "py"; sites 1, 3 and 4 are function A, 2 function B.
 */
static void write_aggregate_fixture(const char *dir)
{
	mkdir(dir, 0700);
	check_write_file(dir, "status", "# key value...\nversion 0.1.0\n");
	check_write_file(dir, "regions", "# pid start end site kind inherited\n");
	check_write_file(dir, "procs", PROCS_H
		"10 py live 3 1 16384 4096 2 12288 12288 50 60\n"
		"11 py live 3 0 12288 0 3 12288 12288 50 60\n"
		"12 sh live 1 0 4096 0 1 4096 4096 50 60\n"
		"13 py exited 5 5 20480 20480 0 0 8192 10 20\n");
	check_write_file(dir, "sites", SITES_H
		"10 1 private 1 0 4096 0 1 4096 4096 50 60 0x1\n"
		"10 2 private 2 1 12288 4096 1 8192 8192 50 60 0x2\n"
		"11 3 private 3 0 12288 0 3 12288 12288 50 60 0x3\n"
		"12 4 private 1 0 4096 0 1 4096 4096 50 60 0x4\n"
		"13 5 private 5 5 20480 20480 0 0 8192 10 20 0x5\n");
}

static void test_aggregate(void)
{
	static const char *const users[] = { "alice", "bob", "alice", "carol" };
	static const struct fname names[] = {
		[1] = { "/usr/bin/py", "A", 1 }, [2] = { "/usr/bin/py", "B", 2 },
		[3] = { "/usr/bin/py", "A", 9 }, [4] = { "/lib/libx.so", "A", 1 },
	};
	struct sample_opts so = { .top = 20, .aggregate = true };
	char dir[600], *out, line[1024], cmdline[400];

	snprintf(dir, sizeof(dir), "%s/agg", root);
	write_aggregate_fixture(dir);
	/* unnamed: every site is "[unknown]", one series per comm */
	out = sample(dir, &so);
	CHECK(has_line(out, "anonstat_process_live_bytes{comm=\"py\"} 24576"));
	CHECK(has_line(out, "anonstat_process_live_bytes{comm=\"sh\"} 4096"));
	CHECK(has_line(out, "anonstat_process_maps_total{comm=\"py\"} 6"));
	CHECK(has_line(out, "anonstat_process_unmaps_total{comm=\"py\"} 1"));
	CHECK(has_line(out, "anonstat_process_sites{comm=\"py\"} 3"));
	CHECK(has_line(out, "anonstat_processes{comm=\"py\"} 2"));
	CHECK(has_line(out, "anonstat_processes{comm=\"sh\"} 1"));
	CHECK(has_line(out, "anonstat_site_live_bytes{comm=\"py\","
		"function=\"[unknown]\"} 24576"));
	CHECK(has_line(out, "anonstat_site_maps_total{comm=\"py\","
		"function=\"[unknown]\"} 6"));
	CHECK(has_line(out, "anonstat_site_live_regions{comm=\"py\","
		"function=\"[unknown]\"} 5"));
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{"), 2);
	CHECK(!strstr(out, "pid="));
	free(out);

	/* with users: py splits in two (alice: 10; bob: 11), sh stays */
	so.labels = PROM_L_USER;
	so.user = users;
	out = sample(dir, &so);
	CHECK(has_line(out, "anonstat_process_live_bytes{comm=\"py\","
		"user=\"alice\"} 12288"));
	CHECK(has_line(out, "anonstat_process_live_bytes{comm=\"py\","
		"user=\"bob\"} 12288"));
	CHECK(has_line(out, "anonstat_processes{comm=\"sh\",user=\"alice\"} 1"));
	CHECK(has_line(out, "anonstat_site_unmaps_total{comm=\"py\","
		"user=\"alice\",function=\"[unknown]\"} 1"));
	CHECK_U64(count_lines(out, "anonstat_process_live_bytes{"), 3);
	free(out);

	/* not aggregated, with every identity label: NULL is "" */
	so.aggregate = false;
	so.labels = PROM_L_CMDLINE | PROM_L_USER | PROM_L_CGROUP;
	so.cmdline = "python3 -m worker --id \"7\"";
	out = sample(dir, &so);
	CHECK(has_line(out, "anonstat_process_live_bytes{pid=\"11\",comm=\"py\","
		"cmdline=\"python3 -m worker --id \\\"7\\\"\",user=\"bob\","
		"cgroup=\"\"} 12288"));
	CHECK(!strstr(out, "anonstat_processes"));
	free(out);

	/* a long command line: cut at PROM_LABEL_MAX bytes, whole characters */
	memset(cmdline, 'x', sizeof(cmdline));
	memcpy(cmdline + PROM_LABEL_MAX - 1, "\xc3\xa9", 2);	/* é across it */
	cmdline[sizeof(cmdline) - 1] = '\0';
	so.cmdline = cmdline;
	so.labels = PROM_L_CMDLINE;
	so.user = NULL;
	out = sample(dir, &so);
	snprintf(line, sizeof(line), "anonstat_process_live_bytes{pid=\"12\","
		 "comm=\"sh\",cmdline=\"%.*s\"} 4096", PROM_LABEL_MAX - 1, cmdline);
	CHECK(has_line(out, line));
	free(out);

	/* named: function A summed over 10 and 11, B alone; then cut at 1 */
	so = (struct sample_opts){ .top = 20, .aggregate = true,
		.names = names, .nr_names = 5 };
	out = sample(dir, &so);
	CHECK(has_line(out, "anonstat_site_live_bytes{comm=\"py\","
		"function=\"py!A\"} 16384"));
	CHECK(has_line(out, "anonstat_site_maps_total{comm=\"py\","
		"function=\"py!A\"} 4"));
	CHECK(has_line(out, "anonstat_site_live_bytes{comm=\"py\","
		"function=\"py!B\"} 8192"));
	CHECK(has_line(out, "anonstat_site_live_bytes{comm=\"sh\","
		"function=\"libx.so!A\"} 4096"));
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{"), 3);
	free(out);
	so.top = 1;
	out = sample(dir, &so);
	CHECK(has_line(out, "anonstat_site_live_bytes{comm=\"py\","
		"function=\"py!A\"} 16384"));
	CHECK(has_line(out, "anonstat_site_live_bytes{comm=\"py\","
		"function=\"other\"} 8192"));
	CHECK(has_line(out, "anonstat_site_unmaps_total{comm=\"py\","
		"function=\"other\"} 1"));
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{"), 3);
	free(out);
}

/* a pid both exited and live, a name to escape, and a process of 1000 sites */
static void test_generated(void)
{
	struct sample_opts so = { .top = 20 };
	char dir[600], *procs, *sites, *out, line[256];
	size_t cap = 1 << 20, n;
	unsigned int i;

	snprintf(dir, sizeof(dir), "%s/gen", root);
	mkdir(dir, 0700);
	check_write_file(dir, "status", "# key value...\nversion 0.1.0\n");
	check_write_file(dir, "regions", "# pid start end site kind inherited\n");
	procs = calloc(1, cap);
	sites = calloc(1, cap);
	if (!procs || !sites)
		exit(1);
	snprintf(procs, cap, PROCS_H
		 "20 bad\\042q\\134\\012x\\377 live 2 0 8192 0 2 8192 8192 50 60\n"
		 "30 many live 1000 0 0 0 1000 0 0 50 60\n"
		 "20 old exited 2 2 8192 8192 0 0 8192 10 20\n");
	n = (size_t)snprintf(sites, cap, SITES_H
		 "20 1 private 1 0 4096 0 1 4096 4096 50 60 0x1\n"
		 "20 2 brk 1 0 4096 0 1 4096 4096 50 60 0x2\n");
	/* site 100 + i holds (i + 1) pages */
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(sites + n, cap - n,
			"30 %u private %u 0 0 0 1 %u %u 1 2 0x%x\n", 100 + i,
			i + 1, (i + 1) * 4096, (i + 1) * 4096, 0x1000 + i);
	snprintf(sites + n, cap - n, "20 3 private 2 2 8192 8192 0 0 8192 10 20 0x3\n");
	check_write_file(dir, "procs", procs);
	check_write_file(dir, "sites", sites);

	out = sample(dir, &so);
	CHECK(has_line(out, "anonstat_process_live_bytes{pid=\"20\","
		"comm=\"bad\\\"q\\\\\\nx\xef\xbf\xbd\"} 8192"));
	/* the exited pid 20 is left out: no two series with the same labels */
	CHECK_U64(count_lines(out, "anonstat_process_live_bytes{pid=\"20\""), 1);
	CHECK(!strstr(out, "comm=\"old\""));
	CHECK(has_line(out, "anonstat_process_sites{pid=\"30\",comm=\"many\"} 1000"));
	/* 1000 unnamed sites: one series, the sum (4096 * 1000 * 1001 / 2) */
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{pid=\"30\""), 1);
	CHECK(has_line(out, SITE("live_bytes", "30", "many", "[unknown]")
		"2050048000"));
	CHECK(has_line(out, SITE("maps_total", "30", "many", "[unknown]")
		"500500"));
	CHECK(has_line(out, SITE("live_regions", "30", "many", "[unknown]")
		"1000"));
	/* pid 20's two live sites (a private and a brk one) are one series */
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{pid=\"20\""), 1);
	snprintf(line, sizeof(line), "anonstat_site_live_bytes{pid=\"20\","
		 "comm=\"bad\\\"q\\\\\\nx\xef\xbf\xbd\",function=\"[unknown]\"} 8192");
	CHECK(has_line(out, line));
	free(out);
	/* named: sites i and i + 500 are one function, f0..f499; the top 20 */
	so.many = 500;
	out = sample(dir, &so);
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{pid=\"30\""), 21);
	/* f499: sites 599 and 1099, 500 + 1000 pages */
	CHECK(has_line(out, SITE("live_bytes", "30", "many", "many!f499")
		"6144000"));
	CHECK(has_line(out, SITE("maps_total", "30", "many", "many!f499")
		"1500"));
	CHECK(has_line(out, SITE("live_regions", "30", "many", "many!f499")
		"2"));
	/* f480: 481 + 981 pages */
	CHECK(has_line(out, SITE("live_bytes", "30", "many", "many!f480")
		"5988352"));
	CHECK(!strstr(out, "many!f479\""));
	/* the other 480 functions: 4096 * (500500 - 29620) */
	CHECK(has_line(out, SITE("live_bytes", "30", "many", "other")
		"1928724480"));
	CHECK(has_line(out, SITE("maps_total", "30", "many", "other")
		"470880"));
	CHECK(has_line(out, SITE("live_regions", "30", "many", "other")
		"960"));
	free(out);
	free(procs);
	free(sites);
}

/*
 * The series budget of anontop(8): 500 processes of 30 functions each, in
 * 50 names; exact counts, and the time it took (recorded, not checked).
 */
static void test_budget(void)
{
	struct sample_opts so = { .top = 20, .many = 30, .known = true };
	char dir[600], *procs, *sites, *out;
	size_t cap = 4 << 20, np = 0, ns = 0;
	struct timespec t0, t1;
	unsigned int i, j;

	snprintf(dir, sizeof(dir), "%s/budget", root);
	mkdir(dir, 0700);
	check_write_file(dir, "status", "# key value...\nversion 0.1.0\n");
	check_write_file(dir, "regions", "# pid start end site kind inherited\n");
	procs = calloc(1, cap);
	sites = calloc(1, cap);
	if (!procs || !sites)
		exit(1);
	np = (size_t)snprintf(procs, cap, PROCS_H);
	ns = (size_t)snprintf(sites, cap, SITES_H);
	for (i = 0; i < 500; i++) {
		np += (size_t)snprintf(procs + np, cap - np,
			"%u w%u live 30 0 0 0 30 122880 122880 50 60\n",
			1000 + i, i % 50);
		for (j = 0; j < 30; j++)
			ns += (size_t)snprintf(sites + ns, cap - ns,
				"%u %u private 1 0 4096 0 1 4096 4096 50 60 0x%x\n",
				1000 + i, 100 + i * 30 + j, 0x1000 + j);
	}
	check_write_file(dir, "procs", procs);
	check_write_file(dir, "sites", sites);

	for (i = 0; i < 4; i++) {
		static const unsigned int k[] = { 20, 5, 1, 0 };
		unsigned int want;

		so.top = k[i];
		so.aggregate = false;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		out = sample(dir, &so);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* 5 of the exporter, 1 of the module (this status has no more) */
		want = 500 * (6 + 5 * (k[i] + 1)) + 6;
		CHECK_U64(count_lines(out, "anonstat_"), want);
		printf("test_prom: 500 processes x 30 functions, --top-sites %u: "
		       "%u series (%.0f ms)\n", k[i], count_lines(out, "anonstat_"),
		       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
		free(out);
		so.aggregate = true;
		out = sample(dir, &so);
		want = 50 * (7 + 5 * (k[i] + 1)) + 6;
		CHECK_U64(count_lines(out, "anonstat_"), want);
		printf("test_prom: the same in 50 names, --prom-aggregate: %u series\n",
		       count_lines(out, "anonstat_"));
		free(out);
	}
	free(procs);
	free(sites);
}

static void test_file(void)
{
	static struct model m;
	struct prom_opts o = { .top_sites = 20 };
	char path[600], tmp[700], want[2048], err[2048];
	struct stat st;
	mode_t old = umask(022);

	CHECK(model_init(&m, FIXTURES "/snap", "/nonexistent", 3) == 0);
	m.detail = DETAIL_ALL;
	CHECK(model_sample(&m, err, sizeof(err)) == 0);

	snprintf(path, sizeof(path), "%s/anonstat.prom", root);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	check_write_file(root, "anonstat.prom", "old\n");
	CHECK(prom_write_file(path, &m, &o, &one_ok, err, sizeof(err)) == 0);
	CHECK_STR(read_all(path), read_all(FIXTURES "/snap.prom"));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	CHECK(access(tmp, F_OK) == -1 && errno == ENOENT);

	/* no such directory: the temporary file is named, with errno */
	snprintf(path, sizeof(path), "%s/missing/anonstat.prom", root);
	CHECK(prom_write_file(path, &m, &o, &one_ok, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s.tmp.%d: No such file or directory "
		 "(errno 2)", path, (int)getpid());
	CHECK_STR(err, want);

	/* a directory in the way: the rename fails, the temporary file goes */
	snprintf(path, sizeof(path), "%s/adir", root);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	mkdir(path, 0700);
	CHECK(prom_write_file(path, &m, &o, &one_ok, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "rename %s to %s: Is a directory (errno 21)",
		 tmp, path);
	CHECK_STR(err, want);
	CHECK(access(tmp, F_OK) == -1 && errno == ENOENT);
	rmdir(path);

	umask(old);
	model_free(&m);
}

/* the error log: what reaches standard error, at which (fake) times */
static void test_log(void)
{
	static struct prom_log l;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	prom_log_ok(&l, f);			/* nothing failed: silent */
	prom_log_error(&l, f, 100, "A: gone (errno 2)");
	prom_log_error(&l, f, 101, "A: gone (errno 2)");	/* quiet */
	prom_log_error(&l, f, 102, "B: busy (errno 16)");	/* another one */
	prom_log_error(&l, f, 399, "A: gone (errno 2)");	/* quiet */
	prom_log_error(&l, f, 400, "A: gone (errno 2)");	/* 300 s on */
	prom_log_error(&l, f, 401, "A: gone (errno 2)");	/* quiet */
	prom_log_ok(&l, f);
	prom_log_ok(&l, f);			/* once */
	prom_log_error(&l, f, 402, "A: gone (errno 2)");	/* a new outage */
	prom_log_ok(&l, f);
	fclose(f);
	CHECK_STR(buf,
		"anontop: A: gone (errno 2)\n"
		"anontop: B: busy (errno 16)\n"
		"anontop: A: gone (errno 2) (3 times since it was logged 300 s ago)\n"
		"anontop: sampling again after 6 errors\n"
		"anontop: A: gone (errno 2)\n"
		"anontop: sampling again after 1 error\n");
	free(buf);

	/* more distinct messages than slots: the oldest is forgotten */
	buf = NULL;
	f = open_memstream(&buf, &len);
	for (unsigned int i = 0; i <= PROM_LOG_SLOTS; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "E%u", i);
		prom_log_error(&l, f, 500 + i, msg);
	}
	prom_log_error(&l, f, 600, "E0");	/* forgotten: logged again */
	prom_log_error(&l, f, 601, "E8");	/* remembered: quiet */
	fclose(f);
	CHECK_STR(buf, "anontop: E0\nanontop: E1\nanontop: E2\nanontop: E3\n"
		  "anontop: E4\nanontop: E5\nanontop: E6\nanontop: E7\n"
		  "anontop: E8\nanontop: E0\n");
	free(buf);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_escape();
	test_function();
	test_fixture();
	test_down();
	test_aggregate();
	test_generated();
	test_budget();
	test_file();
	test_log();
	free(infos);
	free(many_syms);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "test_prom: could not remove %s\n", root);
	return check_report("test_prom");
}
