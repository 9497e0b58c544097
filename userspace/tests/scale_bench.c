// SPDX-License-Identifier: GPL-2.0
/*
 * scale_bench.c - how long anontop's samples take on a large debugfs
 * directory (leaksim --scale: 1,000 processes, 100,000 sites, 1,000,000
 * regions): each file read and parsed alone, then model_sample() as the
 * process view takes it (status, procs, sites) and as --sites takes it
 * (regions too, resident bytes and names of every site), SAMPLES times
 * each.  Prints the figures; asserts nothing about them (tests/test_scale.sh).
 *
 * usage: scale_bench ROOT [SAMPLES [sites]]  (sites: only --sites)
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "snapshot.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of this process (the machine may be busy: wall > CPU) */
static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"status", "procs", "threads", "sites", "regions",
	};
	int samples = argc > 2 ? atoi(argv[2]) : 3, i, pass;
	char err[4096];
	unsigned int f;

	if (argc < 2 || samples < 1) {
		fprintf(stderr, "usage: scale_bench ROOT [SAMPLES]\n");
		return 2;
	}
	bool only_sites = argc > 3 && !strcmp(argv[3], "sites");

	for (f = 0; f < 5 && !only_sites; f++) {
		struct snapshot s = { 0 };
		double t0 = now(), c0 = cpu();

		if (snapshot_read(argv[1], 1u << f, &s, err, sizeof(err))) {
			fprintf(stderr, "scale_bench: %s\n", err);
			return 1;
		}
		printf("read+parse %-8s %7.3f s, CPU %7.3f s  (%zu records)\n",
		       names[f], now() - t0, cpu() - c0, f == 1 ? s.nr_procs : f == 2 ? s.nr_threads :
		       f == 3 ? s.nr_sites : f == 4 ? s.nr_regions : 1);
		snapshot_free(&s);
	}
	for (pass = only_sites; pass < 2; pass++) {
		static struct model m;

		if (model_init(&m, argv[1], "/proc", 3)) {
			fprintf(stderr, "scale_bench: out of memory\n");
			return 1;
		}
		m.files_monotonic = true;
		m.detail = pass ? DETAIL_ALL : DETAIL_NONE;
		for (i = 1; i <= samples; i++) {
			double t0 = now(), c0 = cpu();

			if (model_sample(&m, err, sizeof(err))) {
				fprintf(stderr, "scale_bench: %s\n", err);
				return 1;
			}
			printf("%-13s sample %d %7.3f s, CPU %7.3f s  (%zu processes, "
			       "%zu sites, %zu regions)\n",
			       pass ? "--sites" : "process view", i, now() - t0,
			       cpu() - c0, m.nr_procs, m.nr_sites,
			       pass ? (size_t)m.snap.st.regions : 0);
		}
		model_free(&m);
	}
	return 0;
}
