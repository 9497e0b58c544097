// SPDX-License-Identifier: GPL-2.0
/*
 * test_parse.c - the parsers of procs, threads, sites and regions against
 * module/debugfs-format.md: the fixtures (tests/fixtures/snap, made by
 * hand to the spec, and tests/fixtures/vm-6.1, read from the module in
 * the 6.1 VM), the rules (escaped comm, columns past the known ones), and
 * lines that break the format.  Runs under ASan/UBSan.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "parse.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

typedef int (*parse_fn)(FILE *f, void **v, size_t *n, unsigned int *bad);

static FILE *open_text(const char *text)
{
	return fmemopen((void *)text, strlen(text), "r");
}

static FILE *open_fixture(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", FIXTURES, dir, name);
	f = fopen(path, "re");
	if (!f)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	return f;
}

/* parse @text with @fn; returns its result, *bad the line it names */
static int parse_with(parse_fn fn, const char *text, size_t *n,
		      unsigned int *bad)
{
	FILE *f = open_text(text);
	void *v = NULL;
	int ret;

	*bad = 0;
	ret = fn(f, &v, n, bad);
	fclose(f);
	free(v);
	return ret;
}

static void test_snap_fixture(void)
{
	struct proc_rec *p = NULL;
	struct thread_rec *t = NULL;
	struct site_rec *s = NULL;
	struct region_rec *r = NULL;
	size_t np = 0, nt = 0, ns = 0, nr = 0, i, j;
	unsigned int bad = 0;
	struct status st;
	FILE *f;

	f = open_fixture("snap", "status");
	CHECK(f && status_parse(f, &st, &bad) == 0);
	if (f)
		fclose(f);
	CHECK(st.enabled == 1);
	CHECK_U64(st.depth, 4);
	CHECK_STR(st.filter_pids, "all");
	CHECK_U64(st.regions, 47);
	CHECK_U64(st.nr_untracked, 5);
	CHECK_STR(st.untracked[0].reason, "munmap");
	CHECK_U64(st.untracked[0].value, 8192);
	CHECK_U64(st.nr_drops, 5);
	CHECK_STR(st.drops[4].reason, "stale");
	CHECK_U64(st.drops[4].value, 2);
	CHECK_U64(st.nr_probes, 6);

	f = open_fixture("snap", "procs");
	CHECK(f && procs_parse(f, &p, &np, &bad) == 0);
	if (f)
		fclose(f);
	CHECK_U64(np, 4);
	if (np == 4) {
		CHECK(p[0].pid == 4101 && !p[0].exited);
		CHECK_STR(p[0].comm, "ucx_leak");
		CHECK_U64(p[0].c.maps, 84);
		CHECK_U64(p[0].c.live_bytes, 6815744);
		CHECK_U64(p[0].c.last_ns, 9000000000ull);
		CHECK_STR(p[2].comm, "my prog");	/* \040 */
		CHECK(p[3].exited);
	}

	f = open_fixture("snap", "threads");
	CHECK(f && threads_parse(f, &t, &nt, &bad) == 0);
	if (f)
		fclose(f);
	CHECK_U64(nt, 5);
	if (nt == 5) {
		CHECK(t[1].pid == 4101 && t[1].tid == 4105);
		CHECK_STR(t[1].comm, "ucx_progress");
		CHECK_U64(t[1].bytes_unmapped, 10485760);
	}

	f = open_fixture("snap", "sites");
	CHECK(f && sites_parse(f, &s, &ns, &bad) == 0);
	if (f)
		fclose(f);
	CHECK_U64(ns, 7);
	if (ns == 7) {
		CHECK(s[0].pid == 4101 && s[0].id == 11);
		CHECK_STR(s[0].kind, "private");
		CHECK_U64(s[0].nr_frames, 4);
		CHECK_U64(s[0].frames[0], 0x7f00000011d9ull);
		CHECK_U64(s[0].frames[3], 0x5600000011a0ull);
		CHECK_STR(s[4].kind, "brk");
		CHECK_U64(s[4].nr_frames, 1);
		CHECK_STR(s[5].kind, "huge");
	}

	f = open_fixture("snap", "regions");
	CHECK(f && regions_parse(f, &r, &nr, &bad) == 0);
	if (f)
		fclose(f);
	CHECK_U64(nr, 47);
	if (nr == 47) {
		CHECK_U64(r[0].start, 0x7f1000000000ull);
		CHECK_U64(r[0].end, 0x7f1000010000ull);
		CHECK(r[44].inherited && !r[45].inherited);
	}

	/* the spec: per process, the sites add up to the procs line, and the
	 * regions of a site add up to its live bytes */
	for (i = 0; i < np; i++) {
		uint64_t maps = 0, unmaps = 0, live = 0, regions = 0;

		for (j = 0; j < ns; j++) {
			if (s[j].pid != p[i].pid)
				continue;
			maps += s[j].c.maps;
			unmaps += s[j].c.unmaps;
			live += s[j].c.live_bytes;
			regions += s[j].c.live_regions;
		}
		CHECK_U64(maps, p[i].c.maps);
		CHECK_U64(unmaps, p[i].c.unmaps);
		CHECK_U64(live, p[i].c.live_bytes);
		CHECK_U64(regions, p[i].c.live_regions);
	}
	for (j = 0; j < ns; j++) {
		uint64_t live = 0, n = 0;

		for (i = 0; i < nr; i++) {
			if (r[i].pid == s[j].pid && r[i].site == s[j].id) {
				live += r[i].end - r[i].start;
				n++;
				CHECK_STR(r[i].kind, s[j].kind);
			}
		}
		CHECK_U64(live, s[j].c.live_bytes);
		CHECK_U64(n, s[j].c.live_regions);
	}
	free(p);
	free(t);
	free(s);
	free(r);
}

/* what the module printed in the 6.1 VM parses, and adds up */
static void test_vm_fixture(void)
{
	static const char *const names[] = { "procs", "threads", "sites", "regions" };
	static const parse_fn fns[] = {
		(parse_fn)procs_parse, (parse_fn)threads_parse,
		(parse_fn)sites_parse, (parse_fn)regions_parse,
	};
	unsigned int bad = 0, i;
	struct status st;
	FILE *f;

	f = open_fixture("vm-6.1", "status");
	CHECK(f && status_parse(f, &st, &bad) == 0);
	if (f)
		fclose(f);
	CHECK_STR(st.kernel, "6.1.0-56-amd64");
	CHECK(st.nr_probes >= 6);
	for (i = 0; i < 4; i++) {
		void *v = NULL;
		size_t n = 0;

		f = open_fixture("vm-6.1", names[i]);
		CHECK(f && fns[i](f, &v, &n, &bad) == 0);
		if (f)
			fclose(f);
		CHECK(n > 0);
		free(v);
	}
}

static void test_comm(void)
{
	char buf[COMM_MAX];

	CHECK(comm_unescape(buf, sizeof(buf), "plain") == 0);
	CHECK_STR(buf, "plain");
	CHECK(comm_unescape(buf, sizeof(buf), "\\000") == 0);
	CHECK_STR(buf, "");
	CHECK(comm_unescape(buf, sizeof(buf), "a\\040b\\134c\\011") == 0);
	CHECK_STR(buf, "a b\\c\t");
	CHECK(comm_unescape(buf, sizeof(buf), "\\303\\251") == 0);
	CHECK_STR(buf, "\xc3\xa9");
	CHECK(comm_unescape(buf, sizeof(buf), "\\08") != 0);
	CHECK(comm_unescape(buf, sizeof(buf), "\\400") != 0);
	CHECK(comm_unescape(buf, sizeof(buf), "a\\") != 0);
	CHECK(comm_unescape(buf, sizeof(buf), "a\\04") != 0);
	CHECK(comm_unescape(buf, 4, "abcd") != 0);
}

#define PROCS_H "# pid comm state maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns\n"
#define SITES_H "# pid site kind maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns frames\n"
#define REGIONS_H "# pid start end site kind inherited\n"
#define THREADS_H "# pid tid comm maps unmaps bytes_mapped bytes_unmapped\n"

static void test_extra_columns(void)
{
	struct site_rec *s = NULL;
	unsigned int bad = 0;
	size_t n = 0;
	FILE *f;

	f = open_text("# pid site kind maps unmaps bytes_mapped bytes_unmapped "
		      "live_regions live_bytes peak_bytes first_ns last_ns "
		      "frames future\n"
		      "1 2 private 1 0 4096 0 1 4096 4096 5 6 0x10,0x20 later\n");
	CHECK(sites_parse(f, &s, &n, &bad) == 0);
	fclose(f);
	CHECK_U64(n, 1);
	if (n == 1) {
		CHECK_U64(s[0].nr_frames, 2);
		CHECK_U64(s[0].frames[1], 0x20);
	}
	free(s);
	CHECK(parse_with((parse_fn)procs_parse, PROCS_H
			 "1 a live 1 0 4096 0 1 4096 4096 5 6 7 8\n", &n, &bad) == 0);
	CHECK(parse_with((parse_fn)regions_parse, REGIONS_H, &n, &bad) == 0 &&
	      n == 0);	/* a header alone: no records */
}

/* site ids are 64-bit: the module's counter does not wrap at 2^32 */
static void test_site_id_64(void)
{
	struct region_rec *r = NULL;
	struct site_rec *s = NULL;
	unsigned int bad = 0;
	size_t n = 0;
	FILE *f;

	f = open_text("# pid site kind maps unmaps bytes_mapped bytes_unmapped "
		      "live_regions live_bytes peak_bytes first_ns last_ns "
		      "frames\n"
		      "1 4294967297 private 1 0 4096 0 1 4096 4096 5 6 0x10\n");
	CHECK(sites_parse(f, &s, &n, &bad) == 0);
	fclose(f);
	CHECK_U64(n, 1);
	if (n == 1)
		CHECK_U64(s[0].id, 4294967297ULL);
	free(s);
	f = open_text(REGIONS_H "1 0x1000 0x2000 4294967297 private 0\n");
	CHECK(regions_parse(f, &r, &n, &bad) == 0);
	fclose(f);
	CHECK_U64(n, 1);
	if (n == 1)
		CHECK_U64(r[0].site, 4294967297ULL);
	free(r);
}

/* the frame of depth d, frame k, of test_deep_stacks (distinct values) */
static uint64_t deep_frame(unsigned int d, unsigned int k)
{
	return 0x7f0000000000ULL + (uint64_t)d * 0x100000 + k * 0x1010 + 0x1d;
}

/*
 * Whole stacks (depth 16 by default, up to 32): lines of 1, 16, 17, 31 and
 * 32 frames each parse, frame for frame in order, into one array with
 * sites of other depths around them.
 */
static void test_deep_stacks(void)
{
	static const unsigned int depths[] = { 16, 1, 32, 17, 31 };
	char text[8192], *at = text, *end = text + sizeof(text);
	struct site_rec *s = NULL;
	unsigned int bad = 0, i, k, wrong = 0;
	size_t n = 0;
	FILE *f;

	at += snprintf(at, (size_t)(end - at), "%s", SITES_H);
	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		at += snprintf(at, (size_t)(end - at),
			       "7 %u private 1 0 4096 0 1 4096 4096 5 6 ", i + 1);
		for (k = 0; k < depths[i]; k++)
			at += snprintf(at, (size_t)(end - at), "%s0x%llx",
				       k ? "," : "",
				       (unsigned long long)deep_frame(depths[i], k));
		at += snprintf(at, (size_t)(end - at), " call\n");
	}
	CHECK(at < end);
	f = open_text(text);
	CHECK(sites_parse(f, &s, &n, &bad) == 0);
	fclose(f);
	CHECK_U64(n, sizeof(depths) / sizeof(depths[0]));
	for (i = 0; i < n; i++) {
		CHECK_U64(s[i].id, i + 1);
		CHECK_U64(s[i].nr_frames, depths[i]);
		for (k = 0; k < s[i].nr_frames && k < MAX_FRAMES; k++)
			wrong += s[i].frames[k] != deep_frame(depths[i], k);
		CHECK_STR(s[i].origin, "call");
	}
	CHECK_U64(wrong, 0);
	free(s);
}

static void test_bad(void)
{
	static const struct {
		parse_fn fn;
		const char *text;
		unsigned int line;
	} cases[] = {
		{ (parse_fn)procs_parse, "", 1 },
		{ (parse_fn)procs_parse, "1 a live 1 0 4096 0 1 4096 4096 5 6\n", 1 },
		{ (parse_fn)procs_parse, "# pid comm state maps\n", 1 },
		{ (parse_fn)procs_parse, "# pid COMM state maps unmaps bytes_mapped "
		  "bytes_unmapped live_regions live_bytes peak_bytes first_ns last_ns\n", 1 },
		{ (parse_fn)procs_parse, PROCS_H "1 a live 1 0 4096 0 1 4096 4096 5\n", 2 },
		{ (parse_fn)procs_parse, PROCS_H "1 a dead 1 0 4096 0 1 4096 4096 5 6\n", 2 },
		{ (parse_fn)procs_parse, PROCS_H "-1 a live 1 0 4096 0 1 4096 4096 5 6\n", 2 },
		{ (parse_fn)procs_parse, PROCS_H "1 a live 1 0 0x10 0 1 4096 4096 5 6\n", 2 },
		{ (parse_fn)procs_parse, PROCS_H "1 a\\9 live 1 0 4096 0 1 4096 4096 5 6\n", 2 },
		{ (parse_fn)procs_parse, PROCS_H "1 a live 1 0 4096 0 1 4096 4096 5 6", 2 },
		{ (parse_fn)procs_parse, PROCS_H "1 a live 1 0 4096 0 1 4096 4096 5 6\n"
		  "2 b live 1 0 4096 0 1 4096 4096 5 x\n", 3 },
		{ (parse_fn)threads_parse, THREADS_H "1 x a 1 0 0 0\n", 2 },
		{ (parse_fn)threads_parse, THREADS_H "1 1 a 1 0 0\n", 2 },
		{ (parse_fn)sites_parse, SITES_H "1 2 private 1 0 4096 0 1 4096 4096 5 6\n", 2 },
		{ (parse_fn)sites_parse, SITES_H "1 2 private 1 0 4096 0 1 4096 4096 5 6 0x10,\n", 2 },
		{ (parse_fn)sites_parse, SITES_H "1 2 private 1 0 4096 0 1 4096 4096 5 6 16\n", 2 },
		{ (parse_fn)sites_parse, SITES_H "1 2 private 1 0 4096 0 1 4096 4096 5 6 0x\n", 2 },
		{ (parse_fn)sites_parse, SITES_H "1 2 private 1 0 4096 0 1 4096 4096 5 6 0xg\n", 2 },
		/* 33 frames: more than the module's largest depth */
		{ (parse_fn)sites_parse, SITES_H "1 2 private 1 0 4096 0 1 4096 4096 5 6 "
		  "0x1,0x2,0x3,0x4,0x5,0x6,0x7,0x8,0x9,0xa,0xb,0xc,0xd,0xe,0xf,0x10,"
		  "0x11,0x12,0x13,0x14,0x15,0x16,0x17,0x18,0x19,0x1a,0x1b,0x1c,0x1d,"
		  "0x1e,0x1f,0x20,0x21\n", 2 },
		{ (parse_fn)sites_parse, SITES_H "1 18446744073709551616 private 1 0 4096 0 1 4096 4096 5 6 0x1\n", 2 },
		{ (parse_fn)regions_parse, REGIONS_H "1 0x2000 0x1000 3 private 0\n", 2 },
		{ (parse_fn)regions_parse, REGIONS_H "1 0x1000 0x2000 3 private 2\n", 2 },
		{ (parse_fn)regions_parse, REGIONS_H "1 4096 0x2000 3 private 0\n", 2 },
		{ (parse_fn)regions_parse, REGIONS_H "1 0x1000 0x2000 3 private\n", 2 },
	};
	unsigned int i, bad;
	size_t n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = parse_with(cases[i].fn, cases[i].text, &n, &bad);

		if (ret != -EINVAL || bad != cases[i].line)
			fprintf(stderr, "bad case %u: ret %d line %u, want line %u\n",
				i, ret, bad, cases[i].line);
		CHECK(ret == -EINVAL);
		CHECK_U64(bad, cases[i].line);
	}
}

int main(void)
{
	test_snap_fixture();
	test_vm_fixture();
	test_comm();
	test_extra_columns();
	test_site_id_64();
	test_deep_stacks();
	test_bad();
	return check_report("test_parse");
}
