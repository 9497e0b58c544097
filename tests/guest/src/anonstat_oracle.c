// SPDX-License-Identifier: GPL-2.0
/*
 * anonstat_oracle.c - the invariant of issue 13 for shell scripts and the
 * stress campaign: for each PID, the union of its live regions in the
 * regions file equals the union of its anonymous VMAs in /proc/PID/maps
 * (as_maps_match() in lib/oracle.c says exactly which VMAs count).
 *
 * usage: anonstat_oracle [-b] [-w LO-HI] PID...
 *        anonstat_oracle [-b] [-w LO-HI] -a
 *
 *   -a       every live process of the procs file (not this one; a process
 *            that has exited by the time it is read is skipped, with a
 *            "# " line)
 *   -b       print "PID MAPS_BYTES REGIONS_BYTES" for each PID checked
 *   -w LO-HI compare only [LO, HI) (hexadecimal addresses)
 *
 * The processes must not be in a system call that maps or unmaps while
 * they are read (stopped, blocked, or waiting for a signal).  Exit status
 * 0 when every PID matches; 1 with a "mismatch PID: why" line for each
 * one that does not; 2 on a usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anonstat_test.h"

#define MAX_PIDS 4096

static pid_t pids[MAX_PIDS];

static int usage(void)
{
	fprintf(stderr, "usage: anonstat_oracle [-b] [-w LO-HI] -a | PID...\n");
	return 2;
}

/* The live processes of the procs file, this one left out. */
static int live_pids(void)
{
	FILE *f = fopen(AS_DIR "/procs", "r");
	char line[512], state[32];
	int n = 0, pid;

	if (!f) {
		fprintf(stderr, "anonstat_oracle: " AS_DIR "/procs: %s\n",
			strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f) && n < MAX_PIDS)
		if (line[0] != '#' &&
		    sscanf(line, "%d %*s %31s", &pid, state) == 2 &&
		    !strcmp(state, "live") && pid != getpid())
			pids[n++] = pid;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	uint64_t lo = 0, hi = UINT64_MAX;
	bool all = false, bytes = false;
	int opt, i, n = 0, bad = 0;
	char why[1024];

	while ((opt = getopt(argc, argv, "abw:")) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'b':
			bytes = true;
			break;
		case 'w':
			if (sscanf(optarg, "%" SCNx64 "-%" SCNx64, &lo, &hi) != 2 ||
			    lo >= hi)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (all) {
		if (optind != argc)
			return usage();
		n = live_pids();
	} else {
		if (optind == argc)
			return usage();
		for (i = optind; i < argc && n < MAX_PIDS; i++) {
			char *end;
			long v = strtol(argv[i], &end, 10);

			if (*end || v <= 0)
				return usage();
			pids[n++] = (pid_t)v;
		}
	}
	for (i = 0; i < n; i++) {
		uint64_t mb, rb;
		bool same = as_maps_match_in(pids[i], lo, hi, why, sizeof(why));

		if (!same && all && kill(pids[i], 0) && errno == ESRCH) {
			printf("# %d exited\n", (int)pids[i]);
			continue;
		}
		as_maps_last_bytes(&mb, &rb);
		if (bytes)
			printf("%d %" PRIu64 " %" PRIu64 "\n", (int)pids[i], mb, rb);
		if (!same) {
			printf("mismatch %d: %s\n", (int)pids[i], why);
			bad++;
		}
	}
	fflush(stdout);
	return bad ? 1 : 0;
}
