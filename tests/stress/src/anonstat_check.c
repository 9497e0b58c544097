// SPDX-License-Identifier: GPL-2.0
/*
 * anonstat_check.c - the rules of the format, over every process listed.
 *
 * usage: anonstat_check
 *
 * For each process in procs: its sites add up to its procs line, its
 * regions add up to its sites' live counts, regions do not overlap, no
 * counter looks negative, and an exited process holds nothing.  Run it
 * when the processes it reads are not mapping (the files are read one
 * after the other); a process that changed between the reads is read
 * again, up to three times.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "anonstat_test.h"

#define MAX_PIDS 4096

static struct as_snap snap;

static int procs_pids(pid_t *pids, int max)
{
	FILE *f = fopen(AS_DIR "/procs", "r");
	char line[512];
	int n = 0;

	if (!f)
		t_fatal("anonstat_check.procs", AS_DIR "/procs: %m");
	while (fgets(line, sizeof(line), f) && n < max) {
		int pid;

		if (line[0] != '#' && sscanf(line, "%d", &pid) == 1)
			pids[n++] = pid;
	}
	fclose(f);
	return n;
}

static bool negative(const struct as_counters *c)
{
	const uint64_t big = 1ULL << 62;

	return c->maps > big || c->unmaps > big || c->bytes_mapped > big ||
	       c->bytes_unmapped > big || c->live_regions > big ||
	       c->live_bytes > big || c->peak_bytes > big;
}

/* Quietly: do the rules hold for this snapshot? */
static bool holds(const struct as_snap *s)
{
	int i;

	if (!s->has_proc || negative(&s->proc.c))
		return false;
	for (i = 0; i < s->nsites; i++)
		if (negative(&s->sites[i].c))
			return false;
	if (!strcmp(s->proc.state, "exited") &&
	    (s->proc.c.live_bytes || s->proc.c.live_regions || s->nregions))
		return false;
	return true;
}

int main(void)
{
	static pid_t pids[MAX_PIDS];
	int n, i, try, checked = 0, bad = 0;

	t_init("anonstat_check");
	n = procs_pids(pids, MAX_PIDS);
	for (i = 0; i < n; i++) {
		for (try = 0; try < 3; try++) {
			snap_take(&snap, pids[i]);
			if (!snap.has_proc)
				break;		/* gone meanwhile */
			if (holds(&snap) && !snap_problem(&snap))
				break;
		}
		if (!snap.has_proc)
			continue;
		checked++;
		if (try == 3) {
			bad++;
			t_fail("anonstat_check.process", "pid %d: %s", (int)pids[i],
			       holds(&snap) ? snap_problem(&snap) :
			       "a counter below zero, or an exited process holding memory");
		}
	}
	t_expect(checked > 0 && !bad, "anonstat_check.every_process",
		 "%d of %d processes break the rules", bad, checked);
	t_note("anonstat_check: %d processes checked", checked);
	return t_exit_status();
}
