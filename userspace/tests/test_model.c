// SPDX-License-Identifier: GPL-2.0
/*
 * test_model.c - sampling (model.c): growth and rates between samples,
 * the leak-suspect mark after K samples of growth, history across resets
 * and reused pids, rows of a pid listed twice, sorting and filters, then
 * one sample of this very process (real /proc): resident bytes from
 * pagemap, RssAnon, named frames, and the text and JSON output of it;
 * the identity of processes from a fake proc directory (read once, again
 * after an exec, kept after exit) and the filters on it.
 * A fake clock makes the rates exact.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model.h"
#include "output.h"

#define K 3

static char root[] = "/tmp/anontop-model.XXXXXX";
static double fake_now;

static double fake_clock(void)
{
	return fake_now;
}

static void write_file(const char *name, const char *text)
{
	check_write_file(root, name, text);
}

#define PROCS_H "# pid comm state maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns\n"
#define SITES_H "# pid site kind maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns frames\n"

/* first_ns of process 10 and its sites: 50 s */
#define FIRST_NS 50000000000ull

/*
 * One sample: process 10 with a growing site 1 and a flat site 2 (and
 * process 11), at fake time @t.
 */
static void write_sample(double t, unsigned long maps, unsigned long live,
			 unsigned long first_ns_11)
{
	char procs[1024], sites[1024];

	snprintf(procs, sizeof(procs), PROCS_H
		 "10 grower live %lu 0 %lu 0 %lu %lu %lu %llu 2\n"
		 "11 other live 1 0 4096 0 1 4096 4096 %lu 2\n",
		 maps + 1, live + 8192, maps + 1, live + 8192, live + 8192,
		 FIRST_NS, first_ns_11);
	snprintf(sites, sizeof(sites), SITES_H
		 "10 1 private %lu 0 %lu 0 %lu %lu %lu %llu 2 0x1000,0x2000\n"
		 "10 2 private 1 0 8192 0 1 8192 8192 %llu 2 0x1000,0x3000\n"
		 "11 3 brk 1 0 4096 0 1 4096 4096 1 2 0x4000\n"
		 "12 4 private 1 0 4096 0 1 4096 4096 1 2 0x5000\n",
		 maps, live, maps, live, live, FIRST_NS, FIRST_NS);
	write_file("procs", procs);
	write_file("sites", sites);
	fake_now = t;
}

static struct site_row *site(struct model *m, unsigned int id)
{
	size_t i;

	for (i = 0; i < m->nr_sites; i++)
		if (m->sites[i].r->id == id)
			return &m->sites[i];
	return NULL;
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-6 * (fabs(b) + 1);
}

static void test_rates_and_leaks(void)
{
	static struct model m;
	struct proc_row *p;
	struct site_row *s;
	char err[512];
	int i;

	write_file("status", "# key value...\nversion 0.1.0\n");
	CHECK(model_init(&m, root, "/nonexistent", K) == 0);
	CHECK(m.leak_window == 30 && m.leak_highs == 2);
	m.clock = fake_clock;

	/* first sample at 100 s: rates over the 50 s of their lives */
	write_sample(100, 0, 0, 5);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	CHECK_U64(m.nr_procs, 2);
	CHECK_U64(m.nr_sites, 3);	/* pid 12 is not in procs: left out */
	p = model_find_proc(&m, 10);
	s = site(&m, 1);
	CHECK(p && s && !s->leak && s->highs == 0);
	if (!p || !s)
		return;
	CHECK(p->have_rates && p->lifetime_rates && near(p->growth, 8192 / 50.0));
	CHECK(near(p->maps_rate, 1 / 50.0) && p->unmaps_rate == 0);
	CHECK(s->have_rates && s->lifetime_rates && s->growth == 0);
	CHECK(site(&m, 2)->lifetime_rates && near(site(&m, 2)->growth, 8192 / 50.0));
	/* process 11 started 5 ns after boot: 100 s */
	CHECK(near(model_find_proc(&m, 11)->growth, 4096 / 100.0));
	CHECK(p->accum == 0 && s->accum == 0);
	CHECK(p->rss_anon == -1);	/* no such /proc */

	/* three samples of growth, two seconds apart: 64 KiB/s */
	for (i = 1; i <= 3; i++) {
		write_sample(100 + 2 * i, 2 * i, 131072 * i, 5);
		CHECK(model_sample(&m, err, sizeof(err)) == 0);
		p = model_find_proc(&m, 10);
		s = site(&m, 1);
		CHECK(p && s && s->have_rates && p->have_rates);
		if (!p || !s)
			return;
		CHECK(!s->lifetime_rates && !p->lifetime_rates);
		CHECK(fabs(s->growth - 65536) < 1e-6);
		CHECK(fabs(p->growth - 65536) < 1e-6);
		CHECK(fabs(s->maps_rate - 1) < 1e-9);
		CHECK(fabs(p->unmaps_rate) < 1e-9);
		CHECK_U64(s->streak, i);
		CHECK_U64(s->highs, i);		/* every sample a new high */
		CHECK(s->leak == (i >= 2));	/* H = 2 */
		CHECK(p->leak == (i >= 2));
		CHECK(s->accum == 131072 * i && p->accum == 131072 * i);
		CHECK(!site(&m, 2)->leak && site(&m, 2)->highs == 0);
		CHECK(fabs(m.interval - 2) < 1e-9);
	}
	/* no growth: still a suspect (it did not go back) */
	write_sample(108, 6, 393216, 5);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	s = site(&m, 1);
	CHECK(s && s->have_rates && s->growth == 0 && s->streak == 0 && s->leak &&
	      s->highs == 3);

	/* counters went down (a reset): the history starts again */
	write_sample(110, 1, 65536, 5);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	s = site(&m, 1);
	CHECK(s && s->lifetime_rates && s->streak == 0 && !s->leak && s->highs == 0);
	CHECK(s && s->accum == 0);
	CHECK(near(s->growth, 65536 / 60.0));
	write_sample(112, 2, 131072, 5);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	s = site(&m, 1);
	CHECK(s && s->have_rates && !s->lifetime_rates && s->streak == 1);
	CHECK(s && s->highs == 1 && !s->leak && s->accum == 65536);

	/* pid 11 reused (another first_ns): a new process */
	p = model_find_proc(&m, 11);
	CHECK(p && p->have_rates && !p->lifetime_rates);
	write_sample(114, 3, 196608, 77);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	p = model_find_proc(&m, 11);
	CHECK(p && p->lifetime_rates);

	/* model_forget (after writing reset): rates and accum start again */
	model_forget(&m);
	write_sample(116, 4, 262144, 77);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	s = site(&m, 1);
	CHECK(s && s->lifetime_rates && s->streak == 0 && s->highs == 0);
	CHECK(s && s->accum == 0 && model_find_proc(&m, 10)->accum == 0);

	/* a file that breaks the format: the error names it, rows stay */
	write_file("sites", "garbage\n");
	CHECK(model_sample(&m, err, sizeof(err)) == -1);
	CHECK(strstr(err, "/sites:1: not in the anonstat sites format") != NULL);
	CHECK(site(&m, 1) != NULL);
	model_free(&m);
}

/* without a clock of the files' (not debugfs, no test clock): no rates */
static void test_no_lifetime_rates(void)
{
	static struct model m;
	char err[512];

	write_sample(0, 2, 65536, 5);
	CHECK(model_init(&m, root, "/nonexistent", K) == 0);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	CHECK(!m.snap.same_clock);
	CHECK(m.nr_sites && !m.sites[0].have_rates && !m.sites[0].lifetime_rates);
	CHECK(!model_find_proc(&m, 10)->have_rates);
	model_free(&m);
	/* files_monotonic: this machine's clock (far past 50 s since boot) */
	CHECK(model_init(&m, root, "/nonexistent", K) == 0);
	m.files_monotonic = true;
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	CHECK(model_find_proc(&m, 10)->lifetime_rates);
	model_free(&m);
}

/* ---- the leak rule over scenarios (sites of process 50) ---- */

struct sim {
	uint64_t live, maps, unmaps, mapped, unmapped, peak;
	uint64_t bufs[64];		/* live buffers, for churn */
	unsigned int nr_bufs;
	bool ever_leak;			/* flagged in some sample */
	double first_leak;		/* when first flagged */
};

static uint64_t lcg_state = 12345;

static uint64_t lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	return lcg_state >> 33;
}

static void sim_map(struct sim *s, uint64_t bytes)
{
	s->maps++;
	s->mapped += bytes;
	s->live += bytes;
	if (s->live > s->peak)
		s->peak = s->live;
	if (s->nr_bufs < 64)
		s->bufs[s->nr_bufs++] = bytes;
}

static void sim_unmap_buf(struct sim *s, unsigned int i)
{
	s->unmaps++;
	s->unmapped += s->bufs[i];
	s->live -= s->bufs[i];
	s->bufs[i] = s->bufs[--s->nr_bufs];
}

static void sim_unmap_all(struct sim *s)
{
	while (s->nr_bufs)
		sim_unmap_buf(s, 0);
}

#define NSIM 16
#define MiB 1048576ull

/* write the sites of @v (ids 1..@n) and sample at @t */
static void sim_sample(struct model *m, struct sim *v, unsigned int n, double t)
{
	char *sites = NULL, procs[512], err[512];
	uint64_t live = 0, maps = 0, unmaps = 0, mapped = 0, unmapped = 0;
	size_t len = 0;
	unsigned int i;
	FILE *f = open_memstream(&sites, &len);

	fputs(SITES_H, f);
	for (i = 0; i < n; i++) {
		fprintf(f, "50 %u private %" PRIu64 " %" PRIu64 " %" PRIu64 " %"
			PRIu64 " %u %" PRIu64 " %" PRIu64 " 1 2 0x%x\n", i + 1,
			v[i].maps, v[i].unmaps, v[i].mapped, v[i].unmapped,
			v[i].nr_bufs, v[i].live, v[i].peak, 0x1000 + i);
		live += v[i].live;
		maps += v[i].maps;
		unmaps += v[i].unmaps;
		mapped += v[i].mapped;
		unmapped += v[i].unmapped;
	}
	fclose(f);
	snprintf(procs, sizeof(procs), PROCS_H "50 sim live %" PRIu64 " %" PRIu64
		 " %" PRIu64 " %" PRIu64 " 1 %" PRIu64 " %" PRIu64 " 1 2\n",
		 maps, unmaps, mapped, unmapped, live, live);
	write_file("procs", procs);
	write_file("sites", sites);
	free(sites);
	fake_now = t;
	if (model_sample(m, err, sizeof(err)))
		fprintf(stderr, "sample: %s\n", err);
	for (i = 0; i < n; i++) {
		struct site_row *s = site(m, i + 1);

		if (s && s->leak && !v[i].ever_leak) {
			v[i].ever_leak = true;
			v[i].first_leak = t;
		}
	}
}

/*
 * Random sites in their steady state: 2, buffers that each go with
 * p 1/2, 0..3 new ones a second; 3, one buffer more or less now and
 * then, around 12 (a buffer goes with p n/24, one comes with p 1/2).
 */
static void sim_random(struct sim *v)
{
	unsigned int k;

	for (k = v[2].nr_bufs; k-- > 0;)
		if (lcg() % 2)
			sim_unmap_buf(&v[2], k);
	for (k = (unsigned int)(lcg() % 4); k > 0 && v[2].nr_bufs < 60; k--)
		sim_map(&v[2], 4096 * (1 + lcg() % 256));
	if (v[3].nr_bufs && lcg() % 24 < v[3].nr_bufs)
		sim_unmap_buf(&v[3], (unsigned int)(lcg() % v[3].nr_bufs));
	if (lcg() % 2 && v[3].nr_bufs < 60)
		sim_map(&v[3], 4096 * (1 + lcg() % 1024));
}

/*
 * Half an hour sampled every second: a step leak of 1 MiB every 2.5 s from
 * 100 s to 600 s (then it stops), and sites that must never be flagged:
 * churn (all unmapped, a new 64 KiB..4 MiB mapped: leaksim's), random
 * buffers coming and going, sawtooths (a ramp of 8 samples by maps, then
 * all unmapped; 9 phases, first seen after a cycle), and growth once
 * (at 200 s), then flat.
 */
static void test_leak_scenarios(void)
{
	static struct model m;
	static struct sim v[NSIM];
	const double t0 = 1000, leak_start = t0 + 100.5, leak_end = t0 + 600;
	double t, last_step_seen = 0, prev_step_seen = 0, unflag_at = 0;
	unsigned int i, k, steps = 0, n = 15, flagged_samples = 0;
	bool leak_ok = true, unflag_ok = true;
	struct site_row *s;

	memset(v, 0, sizeof(v));
	write_file("status", "# key value...\nversion 0.1.0\n");
	CHECK(model_init(&m, root, "/nonexistent", K) == 0);
	m.clock = fake_clock;
	sim_map(&v[0], MiB);		/* the leak's first MiB */
	sim_map(&v[4], 2 * MiB);	/* growth once: 2 MiB, later 34 */
	/* sawtooths 6..14: one whole cycle before anontop starts */
	for (i = 6; i < 15; i++)
		for (k = 0; k < 18; k++) {	/* as at times -18..-1 */
			if ((k + (i - 6)) % 9 == 8)
				sim_unmap_all(&v[i]);
			else
				sim_map(&v[i], 512 * 1024);
		}
	for (k = 0; k < 600; k++)	/* ten minutes before anontop starts */
		sim_random(v);
	for (t = t0; t < t0 + 1800; t += 1) {
		/* the leak: a step at leak_start + 2.5 k, until leak_end */
		while (leak_start + 2.5 * steps <= t && leak_start + 2.5 * steps < leak_end) {
			sim_map(&v[0], MiB);
			steps++;
			prev_step_seen = last_step_seen;
			last_step_seen = t;
		}
		/* churn: leaksim's */
		sim_unmap_all(&v[1]);
		sim_map(&v[1], (64 * 1024 + lcg() % (4 * MiB - 64 * 1024)) & ~4095ull);
		sim_random(v);
		/* growth once */
		if (t == t0 + 200)
			sim_map(&v[4], 32 * MiB);
		/* sawtooths */
		for (i = 6; i < 15; i++) {
			if ((unsigned long)(t - t0 + (i - 6)) % 9 == 8)
				sim_unmap_all(&v[i]);
			else
				sim_map(&v[i], 512 * 1024);
		}
		sim_sample(&m, v, n, t);
		s = site(&m, 1);
		if (!s)
			break;
		flagged_samples += s->leak;
		/* flagged from its second step on while it leaks */
		if (steps >= 2 && t < leak_end && !s->leak)
			leak_ok = false;
		/* after the stop: flagged until the window passes the
		 * next-to-last step, then never */
		if (t >= leak_end) {
			bool want = t < prev_step_seen + m.leak_window;

			if (s->leak != want)
				unflag_ok = false;
			if (!want && !unflag_at)
				unflag_at = t;
		}
	}
	CHECK(v[0].ever_leak);
	/* the first step (seen at 101) and the second (at 103): within two
	 * periods (5 s) of the first */
	CHECK(v[0].first_leak == t0 + 103);
	CHECK(v[0].first_leak - leak_start <= 5);
	CHECK(leak_ok);
	CHECK(unflag_ok);
	CHECK(unflag_at == t0 + 626 && unflag_at - leak_end <= m.leak_window);
	for (i = 1; i < n; i++)
		if (v[i].ever_leak)
			fprintf(stderr, "site %u flagged at %.0f\n", i + 1,
				v[i].first_leak - t0);
	CHECK(!v[1].ever_leak);		/* churn */
	CHECK(!v[2].ever_leak && !v[3].ever_leak);	/* random */
	CHECK(!v[4].ever_leak);		/* growth once */
	for (i = 6; i < 15; i++)
		CHECK(!v[i].ever_leak);	/* sawtooths */
	/* at most 3 levels a sample in the window, and the base */
	CHECK(m.leak_points > 0 && m.leak_points <= 12 * (3 * 30 + 1));
	/* when nothing changes for a window, nothing is stored */
	for (k = 0; k <= 30; k++, t++)
		sim_sample(&m, v, n, t);
	CHECK_U64(m.leak_points, 0);
	model_free(&m);
}

/* a pid listed twice (exited and live again): each row gets its own sites */
static void test_pid_twice(void)
{
	static struct model m;
	struct proc_row *live = NULL, *old = NULL;
	char err[512];
	size_t i;

	write_file("procs", PROCS_H
		   "20 new live 1 0 4096 0 1 4096 4096 50 60\n"
		   "21 x live 1 0 4096 0 1 4096 4096 50 60\n"
		   "20 old exited 2 2 8192 8192 0 0 8192 10 20\n");
	write_file("sites", SITES_H
		   "20 7 private 1 0 4096 0 1 4096 4096 50 60 0x1\n"
		   "21 8 private 1 0 4096 0 1 4096 4096 50 60 0x1\n"
		   "20 5 private 1 1 4096 4096 0 0 4096 10 20 0x1\n"
		   "20 6 brk 1 1 4096 4096 0 0 4096 10 20 0x1\n");
	CHECK(model_init(&m, root, "/nonexistent", K) == 0);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	for (i = 0; i < m.nr_procs; i++) {
		if (m.procs[i].r->pid == 20 && m.procs[i].r->exited)
			old = &m.procs[i];
		else if (m.procs[i].r->pid == 20)
			live = &m.procs[i];
	}
	CHECK(live && old && model_find_proc(&m, 20) == live);
	CHECK(live && live->nr_sites == 1 && live->sites[0].r->id == 7);
	CHECK(old && old->nr_sites == 2 && old->sites[0].r->id == 5);
	model_free(&m);
}

static void test_sort_and_filter(void)
{
	static const struct {
		int pid;
		const char *comm;
		uint64_t live;
		double growth;
		bool rates, exited;
	} d[] = {
		{ 30, "beta", 100, 5, true, false },
		{ 10, "Alpha", 300, -1, true, false },
		{ 20, "gamma", 200, 0, false, false },
		{ 40, "alphabet", 300, 50, true, true },
	};
	struct proc_rec recs[4];
	struct proc_row rows[4], *v[4];
	struct row_filter f = { 0 };
	int pids[] = { 20, 40 };
	enum sort_key key;
	int i;

	memset(recs, 0, sizeof(recs));
	memset(rows, 0, sizeof(rows));
	for (i = 0; i < 4; i++) {
		recs[i].pid = d[i].pid;
		snprintf(recs[i].comm, sizeof(recs[i].comm), "%s", d[i].comm);
		recs[i].c.live_bytes = d[i].live;
		recs[i].exited = d[i].exited;
		rows[i].r = &recs[i];
		rows[i].growth = d[i].growth;
		rows[i].have_rates = d[i].rates;
		rows[i].rss_anon = i == 2 ? -1 : 1000 * i;
	}
#define ORDER(a, b, c, e) (v[0]->r->pid == a && v[1]->r->pid == b &&	\
			   v[2]->r->pid == c && v[3]->r->pid == e)
#define SORT(k, rev) do {						\
	for (i = 0; i < 4; i++)						\
		v[i] = &rows[i];					\
	sort_procs(v, 4, k, rev);					\
} while (0)
	SORT(SORT_LIVE, false);
	CHECK(ORDER(10, 40, 20, 30));	/* largest first, ties by pid */
	SORT(SORT_LIVE, true);
	CHECK(ORDER(30, 20, 40, 10));
	SORT(SORT_PID, false);
	CHECK(ORDER(10, 20, 30, 40));
	SORT(SORT_COMM, false);
	CHECK(ORDER(10, 40, 30, 20));	/* "Alpha" < "alphabet" < ... */
	SORT(SORT_GROWTH, false);
	CHECK(ORDER(40, 30, 10, 20));	/* unknown growth last */
	SORT(SORT_STATE, false);
	CHECK(ORDER(10, 20, 30, 40));	/* live first */
	SORT(SORT_RSS, false);
	CHECK(ORDER(40, 10, 30, 20));
	CHECK(sort_key_parse("growth", &key) == 0 && key == SORT_GROWTH);
	CHECK(sort_key_parse("RSS", &key) == 0 && key == SORT_RSS);
	CHECK(sort_key_parse("resident", &key) == 0 && key == SORT_RSS);
	CHECK(sort_key_parse("id", &key) == 0 && key == SORT_PID);
	CHECK(sort_key_parse("name", &key) == 0 && key == SORT_COMM);
	CHECK(sort_key_parse("bogus", &key) == -EINVAL);
	CHECK_STR(sort_key_name(SORT_UNMAPS), "unmaps");

	CHECK(filter_match(&f, &rows[0]));
	f.comm = "ALPHA";
	CHECK(filter_match(&f, &rows[1]) && filter_match(&f, &rows[3]) &&
	      !filter_match(&f, &rows[0]));
	f.comm = NULL;
	f.pids = pids;
	f.nr_pids = 2;
	CHECK(!filter_match(&f, &rows[0]) && filter_match(&f, &rows[2]) &&
	      filter_match(&f, &rows[3]));
	f.comm = "gam";
	CHECK(filter_match(&f, &rows[2]) && !filter_match(&f, &rows[3]));
}

static void test_sort_sites(void)
{
	struct site_rec recs[3];
	struct site_row rows[3], *v[3];
	struct site_info info[3];
	int i;

	memset(recs, 0, sizeof(recs));
	memset(rows, 0, sizeof(rows));
	memset(info, 0, sizeof(info));
	for (i = 0; i < 3; i++) {
		recs[i].id = (unsigned int)i + 1;
		recs[i].c.live_bytes = 100 * (uint64_t)(3 - i);
		rows[i].r = &recs[i];
		rows[i].info = &info[i];
		rows[i].have_rates = i != 0;
		rows[i].growth = 10.0 * i;
		rows[i].highs = (unsigned int)(i == 1 ? 7 : i == 2 ? 3 : 3);
		rows[i].leak = i == 2;
		rows[i].resident = i == 2 ? -1 : 50 * i;
	}
	snprintf(info[0].name, sizeof(info[0].name), "libz.so!b+0x1");
	snprintf(info[1].name, sizeof(info[1].name), "liba.so!c+0x1");
	snprintf(info[2].name, sizeof(info[2].name), "libm.so!a+0x1");
#define SSORT(k) do {							\
	for (i = 0; i < 3; i++)						\
		v[i] = &rows[i];					\
	sort_sites(v, 3, k, false);					\
} while (0)
#define SORDER(a, b, c) (v[0]->r->id == a && v[1]->r->id == b && v[2]->r->id == c)
	SSORT(SORT_GROWTH);
	CHECK(SORDER(3, 2, 1));
	SSORT(SORT_LIVE);
	CHECK(SORDER(1, 2, 3));
	/* suspects first, then new highs, then growth (unknown last) */
	SSORT(SORT_LEAK);
	CHECK(SORDER(3, 2, 1));
	rows[2].leak = false;
	SSORT(SORT_LEAK);
	CHECK(SORDER(2, 3, 1));
	rows[0].highs = 7;
	SSORT(SORT_LEAK);
	CHECK(SORDER(2, 1, 3));		/* 1 has no growth */
	SSORT(SORT_COMM);
	CHECK(SORDER(2, 3, 1));
	SSORT(SORT_RSS);
	CHECK(SORDER(2, 1, 3));
}

/* a call site of this process, to be named from the real /proc */
static volatile int sink;

__attribute__((noinline, used)) static void known_caller(int n)
{
	int i;

	for (i = 0; i < n; i++)
		sink += i * 3 + sink / 7;
}

static void test_own_process(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uintptr_t sc = libc ? (uintptr_t)dlsym(libc, "syscall") : 0;
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char text[2048], err[512], *buf = NULL;
	struct output_opts o = { .sort = SORT_LIVE, .sites = true,
				 .version = "test" };
	static struct model m;
	struct proc_row *row;
	size_t len = 0;
	FILE *out;
	int pid = getpid();

	CHECK(sc && p != MAP_FAILED);
	if (!sc || p == MAP_FAILED)
		return;
	madvise(p, 16 * pg, MADV_NOHUGEPAGE);
	memset(p + 2 * pg, 1, 5 * pg);
	snprintf(text, sizeof(text), PROCS_H
		 "%d test_model live 1 0 %ld 0 1 %ld %ld 1 2\n", pid, 16 * pg,
		 16 * pg, 16 * pg);
	write_file("procs", text);
	snprintf(text, sizeof(text), SITES_H
		 "%d 9 private 1 0 %ld 0 1 %ld %ld 1 2 0x%lx,0x%lx\n", pid,
		 16 * pg, 16 * pg, 16 * pg, (unsigned long)sc + 0x1d,
		 (unsigned long)(uintptr_t)known_caller + 4);
	write_file("sites", text);
	snprintf(text, sizeof(text), "# pid start end site kind inherited\n"
		 "%d 0x%lx 0x%lx 9 private 0\n", pid,
		 (unsigned long)(uintptr_t)p, (unsigned long)(uintptr_t)p + 16 * pg);
	write_file("regions", text);

	CHECK(model_init(&m, root, "/proc", K) == 0);
	m.detail = DETAIL_ALL;
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	row = model_find_proc(&m, pid);
	CHECK(row && row->detail && row->nr_sites == 1);
	if (!row || row->nr_sites != 1)
		goto out;
	CHECK(row->rss_anon > 0);
	CHECK_U64(row->sites[0].resident, 5 * pg);
	CHECK(row->sites[0].info != NULL);
	if (row->sites[0].info) {
		struct site_info *info = row->sites[0].info;

		CHECK_STR(info->frames[0].symbol, "syscall");
		CHECK_STR(info->frames[1].symbol, "known_caller");
		CHECK_U64(info->frames[1].offset, 4);
		CHECK(info->name_frame == 1);	/* syscall() is a wrapper */
		CHECK_STR(info->name, "test_model!known_caller+0x4");
	}

	out = open_memstream(&buf, &len);
	CHECK(output_text(out, &m, &o) == 0);
	fclose(out);
	CHECK(strstr(buf, "test_model!known_caller+0x4") != NULL);
	CHECK(strstr(buf, "sites of ") != NULL);
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &len);
	CHECK(output_json(out, &m, &o) == 0);
	fclose(out);
	CHECK(strstr(buf, "\"symbol\":\"known_caller\",\"offset\":4}") != NULL);
	CHECK(strstr(buf, "\"resident_bytes\":") != NULL);
	CHECK(len > 0 && buf[len - 1] == '\n' && !strchr(buf, '\n')[1]);
	free(buf);
	known_caller(0);
out:
	model_free(&m);
	munmap(p, 16 * pg);
}

__attribute__((noinline, used)) static void other_caller(int n)
{
	int i;

	for (i = 0; i < n; i++)
		sink += i * 5 + sink / 3;
}

/*
 * The JSON object of site @id in @json holds exactly the frames @want, in
 * that order: its "frames" list has n entries, entry k with address want[k]
 * (the site's list ends at the first "}]}" after it: frames hold no list).
 */
static bool json_frames_are(const char *json, unsigned int id,
			    const uint64_t *want, unsigned int n)
{
	char key[64];
	const char *s, *end, *next;
	unsigned int i;

	snprintf(key, sizeof(key), "{\"id\":%u,", id);
	s = json ? strstr(json, key) : NULL;
	s = s ? strstr(s, ",\"frames\":[") : NULL;
	end = s ? strstr(s, "}]}") : NULL;	/* the last frame, the site */
	if (!end)
		return false;
	for (i = 0, next = s; (next = strstr(next + 1, "{\"addr\"")) &&
	     next < end; i++)
		;
	if (i != n)
		return false;
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%c{\"addr\":\"0x%llx\",",
			 i ? ',' : '[', (unsigned long long)want[i]);
		s = strstr(s, key);
		if (!s || s > end)
			return false;
		s += strlen(key);
	}
	return true;
}

/*
 * Whole stacks of this process, named from the real /proc: site 5 has 32
 * frames (the module's largest depth): libc's syscall(), three frames of
 * an object named libucm.so.0 (UCX's hooks, tests/libucmfake.c), then 28
 * frames of this program; site 6 has 16 (the default depth) of which only
 * the last is outside libc and libucm; site 7 is libc and libucm only.
 * The name is the first frame outside libc's wrappers and libucm, or the
 * last frame; every frame is named, and the JSON output lists them all in
 * order, with the index of the naming frame.
 */
static void test_deep_stacks(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *ucm = dlopen(UCMFAKE, RTLD_NOW | RTLD_LOCAL);
	uintptr_t sc = libc ? (uintptr_t)dlsym(libc, "syscall") : 0;
	uintptr_t ucm_sys = ucm ? (uintptr_t)dlsym(ucm, "ucm_orig_mmap_syscall") : 0;
	uintptr_t ucm_disp = ucm ? (uintptr_t)dlsym(ucm, "ucm_event_dispatch") : 0;
	uintptr_t ucm_ovr = ucm ? (uintptr_t)dlsym(ucm, "ucm_override_mmap") : 0;
	uint64_t f5[32], f6[16], f7[3];
	static const unsigned int want_name[] = { 4, 15, 2 };
	struct output_opts o = { .sort = SORT_PID, .sites = true,
				 .version = "test" };
	char text[8192], *at, err[512], *buf = NULL;
	static struct model m;
	struct proc_row *row;
	unsigned int i, k, wrong = 0;
	size_t len = 0;
	FILE *out;
	int pid = getpid();

	CHECK(sc && ucm_sys && ucm_disp && ucm_ovr);
	if (!sc || !ucm_sys || !ucm_disp || !ucm_ovr)
		return;
	f5[0] = sc + 0x1d;
	f5[1] = ucm_sys + 0x20;
	f5[2] = ucm_disp + 0x10;
	f5[3] = ucm_ovr + 0x10;
	for (k = 4; k < 32; k++)	/* known_caller+0x4, other_caller+0x5, ... */
		f5[k] = (k % 2 ? (uintptr_t)other_caller : (uintptr_t)known_caller) + k / 2 + 2;
	f6[0] = sc + 0x1d;
	for (k = 1; k < 15; k++)
		f6[k] = (k % 3 == 1 ? ucm_sys : k % 3 == 2 ? ucm_disp : ucm_ovr) + 0x10 + k;
	f6[15] = (uintptr_t)other_caller + 6;
	f7[0] = sc + 0x1d;
	f7[1] = ucm_sys + 0x20;
	f7[2] = ucm_disp + 0x10;

	snprintf(text, sizeof(text), PROCS_H
		 "%d test_model live 3 0 12288 0 3 12288 12288 1 2\n", pid);
	write_file("procs", text);
	at = text + snprintf(text, sizeof(text), "%s", SITES_H);
	for (i = 0; i < 3; i++) {
		const uint64_t *f = i == 0 ? f5 : i == 1 ? f6 : f7;
		unsigned int n = i == 0 ? 32 : i == 1 ? 16 : 3;

		at += snprintf(at, sizeof(text) - (size_t)(at - text),
			       "%d %u private 1 0 4096 0 1 4096 4096 1 2 ", pid, 5 + i);
		for (k = 0; k < n; k++)
			at += snprintf(at, sizeof(text) - (size_t)(at - text),
				       "%s0x%llx", k ? "," : "", (unsigned long long)f[k]);
		at += snprintf(at, sizeof(text) - (size_t)(at - text), "\n");
	}
	CHECK((size_t)(at - text) < sizeof(text) - 1);
	write_file("sites", text);
	write_file("regions", "# pid start end site kind inherited\n");

	CHECK(model_init(&m, root, "/proc", K) == 0);
	m.detail = DETAIL_ALL;
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	row = model_find_proc(&m, pid);
	CHECK(row && row->detail && row->nr_sites == 3);
	if (!row || row->nr_sites != 3)
		goto out;
	for (i = 0; i < 3; i++) {
		struct site_row *sr = site(&m, 5 + i);
		struct site_info *info = sr ? sr->info : NULL;
		unsigned int n = i == 0 ? 32 : i == 1 ? 16 : 3;

		CHECK(info != NULL);
		if (!info)
			continue;
		CHECK_U64(info->nr_frames, n);
		CHECK_U64(info->name_frame, want_name[i]);
		for (k = 0; k < info->nr_frames; k++)
			wrong += !info->frames[k].symbol || !info->frames[k].module;
	}
	CHECK_U64(wrong, 0);
	if (site(&m, 5) && site(&m, 5)->info) {
		struct site_info *info = site(&m, 5)->info;

		CHECK_STR(info->name, "test_model!known_caller+0x4");
		CHECK_STR(info->frames[1].symbol, "ucm_orig_mmap_syscall");
		CHECK_U64(info->frames[1].offset, 0x20);
		CHECK_STR(info->frames[3].symbol, "ucm_override_mmap");
		CHECK(strstr(info->frames[3].module, "/libucm.so.0") != NULL);
		CHECK_STR(info->frames[31].symbol, "other_caller");
		CHECK_U64(info->frames[31].offset, 17);
	}
	if (site(&m, 6) && site(&m, 6)->info)
		CHECK_STR(site(&m, 6)->info->name, "test_model!other_caller+0x6");
	if (site(&m, 7) && site(&m, 7)->info)	/* no frame outside: the last */
		CHECK_STR(site(&m, 7)->info->name, "libucm.so.0!ucm_event_dispatch+0x10");

	out = open_memstream(&buf, &len);
	CHECK(output_json(out, &m, &o) == 0);
	fclose(out);
	CHECK(json_frames_are(buf, 5, f5, 32));
	CHECK(json_frames_are(buf, 6, f6, 16));
	CHECK(json_frames_are(buf, 7, f7, 3));
	CHECK(!json_frames_are(buf, 5, f5, 31));	/* the check can fail */
	CHECK(buf && strstr(buf, "\"name\":\"test_model!known_caller+0x4\",\"name_frame\":4,"));
	CHECK(buf && strstr(buf, "\"name\":\"test_model!other_caller+0x6\",\"name_frame\":15,"));
	CHECK(buf && strstr(buf, "\"name\":\"libucm.so.0!ucm_event_dispatch+0x10\",\"name_frame\":2,"));
	free(buf);
	other_caller(0);
out:
	model_free(&m);
	if (ucm)
		dlclose(ucm);
}

/* names are bytes; JSON strings must be valid UTF-8 */
static void test_json_string(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	json_string(out, "a\"b\\c\001\t\303\251\377\303");
	fclose(out);
	CHECK_STR(buf, "\"a\\\"b\\\\c\\u0001\\u0009\303\251\\u00ff\\u00c3\"");
	free(buf);
}

/* an overlong NUL and a surrogate are not UTF-8: their bytes as code points */
static void test_json_string_not_utf8(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	json_string(out, "\300\200|\355\240\200");
	fclose(out);
	CHECK_STR(buf, "\"\\u00c0\\u0080|\\u00ed\\u00a0\\u0080\"");
	free(buf);
}

/* @len bytes into root/proc/@pid/@name (a fake /proc) */
static void write_proc(int pid, const char *name, const char *data, size_t len)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/proc", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/proc/%d", root, pid);
	mkdir(dir, 0755);
	check_write_bytes(dir, name, data, len);
}

#define PROC_LIT(pid, name, lit) write_proc(pid, name, lit, sizeof(lit) - 1)
#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* procs: 30 (named @comm30), 31 (first_ns @first31, live or exited), 32 */
static void write_ident_sample(const char *comm30, unsigned int first31,
			       bool exited31, bool with32)
{
	char procs[1024];

	snprintf(procs, sizeof(procs), PROCS_H
		 "30 %s live 1 0 4096 0 1 4096 4096 10 20\n"
		 "31 w %s 1 0 4096 0 1 4096 4096 %u 20\n",
		 comm30, exited31 ? "exited" : "live", first31);
	if (with32)
		snprintf(procs + strlen(procs), sizeof(procs) - strlen(procs),
			 "32 gone exited 1 1 4096 4096 0 0 4096 10 20\n");
	write_file("procs", procs);
	write_file("sites", SITES_H
		   "30 1 private 1 0 4096 0 1 4096 4096 10 20 0x1000\n");
}

static struct proc_row *row(struct model *m, int pid)
{
	return model_find_proc(m, pid);
}

static long count_matching(struct model *m, const struct row_filter *f)
{
	struct proc_row **v;
	long n = model_select_procs(m, f, SORT_PID, false, &v);

	free(v);
	return n;
}

static void test_identity(void)
{
	static struct model m;
	struct passwd *pw = getpwuid(geteuid());
	struct row_filter f = { 0 };
	char proc[512], dir31[512], uid[32], err[512];
	struct proc_row *p;

	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(uid, sizeof(uid), "%u", (unsigned int)geteuid());
	PROC_LIT(30, "cmdline", "python3\0worker.py\0--ID=1\0");
	PROC_LIT(30, "cgroup", "0::/system.slice/docker-" CID ".scope\n");
	PROC_LIT(31, "cmdline", "python3\0worker.py\0--id=2\0");
	PROC_LIT(31, "cgroup", "12:pids:/v1/only\n");
	PROC_LIT(32, "cmdline", "exited before anontop saw it\0");
	write_file("status", "# key value...\nversion 0.1.0\n");
	CHECK(model_init(&m, root, proc, K) == 0);
	m.clock = fake_clock;
	fake_now = 1;

	write_ident_sample("grower", 5, false, true);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	p = row(&m, 30);
	CHECK(p != NULL);
	if (!p)
		goto out;
	CHECK_STR(p->cmdline, "python3 worker.py --ID=1");
	CHECK(pw && p->user && !strcmp(p->user, pw->pw_name));
	CHECK(p->uid == (int64_t)geteuid());
	CHECK_STR(p->cgroup, "/system.slice/docker-" CID ".scope");
	CHECK_STR(p->container, "0123456789ab");
	p = row(&m, 31);
	CHECK_STR(p->cmdline, "python3 worker.py --id=2");
	CHECK_STR(p->cgroup, "/v1/only");
	CHECK(p->container == NULL);
	/* exited before the first sample: never read */
	p = row(&m, 32);
	CHECK(p && !p->cmdline && !p->user && p->uid == -1 && !p->cgroup);

	/* the filters */
	CHECK_U64(count_matching(&m, &f), 3);
	f.cmdline = "id=1";		/* any case */
	CHECK_U64(count_matching(&m, &f), 1);
	CHECK(filter_match(&f, row(&m, 30)) && !filter_match(&f, row(&m, 31)));
	f.cmdline = "WORKER.PY";
	CHECK_U64(count_matching(&m, &f), 2);	/* not 32: not known */
	f.cmdline = NULL;
	f.cgroup = "docker-";
	CHECK_U64(count_matching(&m, &f), 1);
	f.cgroup = "0123456789ab";	/* a container id */
	CHECK(filter_match(&f, row(&m, 30)) && !filter_match(&f, row(&m, 31)));
	f.cgroup = "/V1";		/* a cgroup path is case-sensitive */
	CHECK_U64(count_matching(&m, &f), 0);
	f.cgroup = NULL;
	f.user = pw ? pw->pw_name : "?";
	CHECK_U64(count_matching(&m, &f), 2);
	f.user = uid;			/* the uid */
	CHECK_U64(count_matching(&m, &f), 2);
	f.user = "4000000123";
	CHECK_U64(count_matching(&m, &f), 0);
	f.user = "nosuchuser";
	CHECK_U64(count_matching(&m, &f), 0);
	f.comm = "grow";		/* all of them together */
	f.user = uid;
	f.cmdline = "worker";
	f.cgroup = "docker";
	CHECK_U64(count_matching(&m, &f), 1);
	memset(&f, 0, sizeof(f));

	/* read once: a change in /proc is not seen by the next sample */
	PROC_LIT(30, "cmdline", "after\0exec\0");
	PROC_LIT(31, "cmdline", "reused\0pid\0");
	fake_now = 2;
	write_ident_sample("grower", 5, false, false);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	CHECK_STR(row(&m, 30)->cmdline, "python3 worker.py --ID=1");
	CHECK_STR(row(&m, 31)->cmdline, "python3 worker.py --id=2");
	CHECK(row(&m, 32) == NULL);

	/* an exec (a new name): read again; an exited process keeps it */
	fake_now = 3;
	write_ident_sample("exec", 5, true, false);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	CHECK_STR(row(&m, 30)->cmdline, "after exec");
	CHECK_STR(row(&m, 30)->container, "0123456789ab");
	p = row(&m, 31);
	CHECK(p && p->r->exited);
	CHECK_STR(p->cmdline, "python3 worker.py --id=2");
	CHECK_STR(p->user, pw ? pw->pw_name : "?");

	/* a new process with the same pid (another first_ns): read anew */
	if (geteuid() == 0) {	/* root gives the fixture an unknown owner */
		snprintf(dir31, sizeof(dir31), "%s/proc/31", root);
		CHECK(chown(dir31, 4000000123u, 0) == 0);
	}
	fake_now = 4;
	write_ident_sample("exec", 6, false, false);
	CHECK(model_sample(&m, err, sizeof(err)) == 0);
	p = row(&m, 31);
	CHECK(p && !p->r->exited);
	CHECK_STR(p->cmdline, "reused pid");
	if (geteuid() == 0) {
		CHECK_STR(p->user, "4000000123");
		CHECK(p->uid == 4000000123);
		f.user = "4000000123";
		CHECK(filter_match(&f, p) && !filter_match(&f, row(&m, 30)));
	}
out:
	model_free(&m);
}

int main(void)
{
	char cmd[128];
	int ret;

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_rates_and_leaks();
	test_no_lifetime_rates();
	test_leak_scenarios();
	test_pid_twice();
	test_sort_and_filter();
	test_sort_sites();
	test_own_process();
	test_deep_stacks();
	test_json_string();
	test_json_string_not_utf8();
	test_identity();
	ret = check_report("test_model");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "test_model: could not remove %s\n", root);
	return ret;
}
