// SPDX-License-Identifier: GPL-2.0
/*
 * test_prom.c - the Prometheus text format (prom.c): label escaping, the
 * whole output of the fixture snapshot against a golden file, the top-K
 * cut with its site="other" sums (exact numbers), a pid that is both
 * exited and live, a process with 1000 sites, and the atomic file write
 * with its errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "prom.h"

static char root[] = "/tmp/anontop-prom.XXXXXX";

#define PROCS_H "# pid comm state maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns\n"
#define SITES_H "# pid site kind maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns frames\n"

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

/* the output of one sample of @dir, in a malloc()ed string */
static char *sample(const char *dir, unsigned int top, const int *pids,
		    size_t nr_pids)
{
	static struct model m;
	struct prom_opts o = { .filter = { .pids = pids, .nr_pids = nr_pids }, .top_sites = top };
	char err[512], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (model_init(&m, dir, "/nonexistent", 3))
		exit(1);
	m.detail = DETAIL_ALL;
	if (model_sample(&m, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	f = open_memstream(&buf, &len);
	CHECK(prom_write(f, &m, &o) == 0);
	fclose(f);
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

#define SITE(metric, pid, comm, labels) \
	"anonstat_site_" metric "{pid=\"" pid "\",comm=\"" comm "\"," labels "} "

static void test_fixture(void)
{
	char *out = sample(FIXTURES "/snap", PROM_TOP_SITES, NULL, 0);

	/* every site fits under 20: the golden file is all of it */
	CHECK_STR(out, read_all(FIXTURES "/snap.prom"));
	free(out);

	/* top 1: the largest site of each process, the rest summed */
	out = sample(FIXTURES "/snap", 1, NULL, 0);
	CHECK(has_line(out, SITE("live_bytes", "4101", "ucx_leak",
		"site=\"13\",kind=\"private\",name=\"0x7f00000012a0\"") "4194304"));
	/* sites 11 and 12 */
	CHECK(has_line(out, SITE("live_bytes", "4101", "ucx_leak",
		"site=\"other\",kind=\"other\",name=\"other\"") "2621440"));
	CHECK(has_line(out, SITE("live_regions", "4101", "ucx_leak",
		"site=\"other\",kind=\"other\",name=\"other\"") "40"));
	CHECK(has_line(out, SITE("maps_total", "4101", "ucx_leak",
		"site=\"other\",kind=\"other\",name=\"other\"") "80"));
	CHECK(has_line(out, SITE("unmaps_total", "4101", "ucx_leak",
		"site=\"other\",kind=\"other\",name=\"other\"") "40"));
	/* site 11's resident bytes are not known (no /proc): no sum either */
	CHECK(!strstr(out, "anonstat_site_resident_bytes{pid=\"4101\""));
	/* site 15 (nothing live: 0 resident) */
	CHECK(has_line(out, SITE("resident_bytes", "4102", "worker",
		"site=\"other\",kind=\"other\",name=\"other\"") "0"));
	CHECK(has_line(out, SITE("maps_total", "4102", "worker",
		"site=\"other\",kind=\"other\",name=\"other\"") "2"));
	/* one site: no "other" */
	CHECK(!strstr(out, "pid=\"4103\",comm=\"my prog\",site=\"other\""));
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
	out = sample(FIXTURES "/snap", 0, NULL, 0);
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{"), 3);
	CHECK(has_line(out, SITE("live_bytes", "4101", "ucx_leak",
		"site=\"other\",kind=\"other\",name=\"other\"") "6815744"));
	free(out);

	/* -p */
	out = sample(FIXTURES "/snap", 20, (const int[]){ 4102 }, 1);
	CHECK_U64(count_lines(out, "anonstat_process_live_bytes{"), 1);
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{"), 2);
	CHECK(has_line(out, "anonstat_drops_total{reason=\"stale\"} 2"));
	CHECK(has_line(out, "anonstat_untracked_bytes_total{reason=\"munmap\"} 8192"));
	free(out);
}

/* a pid both exited and live, a name to escape, and a process of 1000 sites */
static void test_generated(void)
{
	char dir[600], *procs, *sites, *out, line[256];
	size_t cap = 1 << 20, n;
	uint64_t sum = 0, maps = 0;
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
	/* site 100 + i holds (i + 1) pages: the top 20 are 1099..1080 */
	for (i = 0; i < 1000; i++) {
		n += (size_t)snprintf(sites + n, cap - n,
			"30 %u private %u 0 0 0 1 %u %u 1 2 0x%x\n", 100 + i,
			i + 1, (i + 1) * 4096, (i + 1) * 4096, 0x1000 + i);
		if (i < 980) {
			sum += (uint64_t)(i + 1) * 4096;
			maps += i + 1;
		}
	}
	snprintf(sites + n, cap - n, "20 3 private 2 2 8192 8192 0 0 8192 10 20 0x3\n");
	check_write_file(dir, "procs", procs);
	check_write_file(dir, "sites", sites);

	out = sample(dir, 20, NULL, 0);
	CHECK(has_line(out, "anonstat_process_live_bytes{pid=\"20\","
		"comm=\"bad\\\"q\\\\\\nx\xef\xbf\xbd\"} 8192"));
	/* the exited pid 20 is left out: no two series with the same labels */
	CHECK_U64(count_lines(out, "anonstat_process_live_bytes{pid=\"20\""), 1);
	CHECK(!strstr(out, "site=\"3\""));
	CHECK(!strstr(out, "comm=\"old\""));
	CHECK(has_line(out, "anonstat_process_sites{pid=\"30\",comm=\"many\"} 1000"));
	CHECK_U64(count_lines(out, "anonstat_site_live_bytes{pid=\"30\""), 21);
	CHECK_U64(count_lines(out, "anonstat_site_maps_total{pid=\"30\""), 21);
	CHECK(has_line(out, SITE("live_bytes", "30", "many",
		"site=\"1099\",kind=\"private\",name=\"0x13e7\"") "4096000"));
	CHECK(has_line(out, SITE("live_bytes", "30", "many",
		"site=\"1080\",kind=\"private\",name=\"0x13d4\"") "4018176"));
	CHECK(!strstr(out, "site=\"1079\""));
	snprintf(line, sizeof(line), SITE("live_bytes", "30", "many",
		 "site=\"other\",kind=\"other\",name=\"other\"") "%" PRIu64, sum);
	CHECK(has_line(out, line));
	CHECK_U64(sum, 1968906240);	/* 4096 * 980 * 981 / 2 */
	snprintf(line, sizeof(line), SITE("maps_total", "30", "many",
		 "site=\"other\",kind=\"other\",name=\"other\"") "%" PRIu64, maps);
	CHECK(has_line(out, line));
	CHECK(has_line(out, SITE("live_regions", "30", "many",
		"site=\"other\",kind=\"other\",name=\"other\"") "980"));
	free(out);
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
	CHECK(prom_write_file(path, &m, &o, err, sizeof(err)) == 0);
	CHECK_STR(read_all(path), read_all(FIXTURES "/snap.prom"));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	CHECK(access(tmp, F_OK) == -1 && errno == ENOENT);

	/* no such directory: the temporary file is named, with errno */
	snprintf(path, sizeof(path), "%s/missing/anonstat.prom", root);
	CHECK(prom_write_file(path, &m, &o, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s.tmp.%d: No such file or directory "
		 "(errno 2)", path, (int)getpid());
	CHECK_STR(err, want);

	/* a directory in the way: the rename fails, the temporary file goes */
	snprintf(path, sizeof(path), "%s/adir", root);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	mkdir(path, 0700);
	CHECK(prom_write_file(path, &m, &o, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "rename %s to %s: Is a directory (errno 21)",
		 tmp, path);
	CHECK_STR(err, want);
	CHECK(access(tmp, F_OK) == -1 && errno == ENOENT);
	rmdir(path);

	umask(old);
	model_free(&m);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_escape();
	test_fixture();
	test_generated();
	test_file();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "test_prom: could not remove %s\n", root);
	return check_report("test_prom");
}
