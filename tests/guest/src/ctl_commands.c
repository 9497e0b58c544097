// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_commands.c - the control file's commands.
 *
 * Every command is accepted (with and without a trailing newline) and
 * shows in status: enable, disable, pid lists and all, comm NAME (escaped)
 * and all, depth 1..16, the caps at both ends of their ranges; reset
 * empties the tables, zeroes the counters and seeds again the processes
 * the filters want (with a pid filter: this one, its anonymous mappings
 * as regions of its preexisting sites, nothing else).  Bad input fails with EINVAL
 * and leaves every setting as it was: unknown words, empty writes, a lone
 * newline, extra words, missing arguments, negative, malformed and
 * overflowing numbers (also ones that would wrap to a valid value), depth
 * 0 and 17, values past the caps' ranges, 17 pids, a 16-byte comm, more
 * than 127 bytes, embedded NUL bytes.
 *
 * usage: ctl_commands   (root, anonstat loaded)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

struct accept {
	const char *cmd;
	const char *key, *want;	/* status record KEY must read WANT */
};

static const struct accept accepts[] = {
	{ "disable", "enabled", "0" },
	{ "enable", "enabled", "1" },
	{ "disable\n", "enabled", "0" },
	{ "enable\n", "enabled", "1" },
	{ "pid 1,2,3", "filter_pids", "1,2,3" },
	{ "pid 42", "filter_pids", "42" },
	{ "pid all", "filter_pids", "all" },
	{ "pid 7\n", "filter_pids", "7" },
	{ "pid all\n", "filter_pids", "all" },
	{ "pid 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "filter_pids",
	  "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16" },
	{ "pid all", "filter_pids", "all" },
	{ "comm foo", "filter_comm", "foo" },
	{ "comm a\\b", "filter_comm", "a\\134b" },
	{ "comm 123456789012345", "filter_comm", "123456789012345" },
	{ "comm bar\n", "filter_comm", "bar" },
	{ "comm all", "filter_comm", "all" },
	{ "depth 5\n", "depth", "5" },
	{ "max_regions 0", "max_regions", "0" },
	{ "max_regions 16777216", "max_regions", "16777216" },
	{ "max_regions 1000000\n", "max_regions", "1000000" },
	{ "max_sites 0", "max_sites", "0" },
	{ "max_sites 1048576", "max_sites", "1048576" },
	{ "max_sites 100000\n", "max_sites", "100000" },
	{ "retain_exited 0", "retain_exited", "0" },
	{ "retain_exited 4096", "retain_exited", "4096" },
	{ "retain_exited 64\n", "retain_exited", "64" },
	{ "depth 32", "depth", "32" },
	{ "depth 16", "depth", "16" },
	{ "max_unwind_mib 0", "max_unwind_mib", "0" },
	{ "max_unwind_mib 4096", "max_unwind_mib", "4096" },
	{ "max_unwind_mib 64\n", "max_unwind_mib", "64" },
};

#define CMD(s)	{ s, sizeof(s) - 1 }

struct reject {
	const char *cmd;
	size_t len;
};

static const struct reject rejects[] = {
	CMD(""), CMD("\n"), CMD("\n\n"), CMD("frobnicate"), CMD("ENABLE"),
	CMD("enable now"), CMD("enable\n\n"), CMD("disable 1"), CMD("reset all"),
	CMD("depth"), CMD("depth 0"), CMD("depth 33"), CMD("depth -1"),
	CMD("depth 4 5"), CMD("depth x"), CMD("depth 5x"),
	CMD("depth 99999999999999999999"), CMD("depth 4294967300"),
	CMD("max_regions -5"), CMD("max_regions 16777217"),
	CMD("max_regions 4294967396"), CMD("max_regions 18446744073709551616"),
	CMD("max_sites 1048577"), CMD("max_sites -1"),
	CMD("retain_exited 4097"), CMD("retain_exited 18446744073709551615"),
	CMD("max_unwind_mib 4097"), CMD("max_unwind_mib -1"), CMD("max_unwind_mib"),
	CMD("pid"), CMD("pid "), CMD("pid x"), CMD("pid -1"), CMD("pid 1,,2"),
	CMD("pid 1,"), CMD("pid ,1"), CMD("pid 1 2"), CMD("pid all 1"),
	CMD("pid 1,all"), CMD("pid 4294967297"), CMD("pid 99999999999999999999"),
	CMD("pid 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"),
	CMD("comm"), CMD("comm "), CMD("comm a b"), CMD("comm 1234567890123456"),
	CMD("dep\0th 5"), CMD("depth\0 5"), CMD("depth 5\0"), CMD("depth 5\0\n"),
};

/* settings that a rejected command must leave as they were */
static const char *const settings[] = {
	"enabled", "depth", "filter_pids", "filter_comm", "max_regions",
	"max_sites", "retain_exited", "max_unwind_mib",
};

static struct as_status st;

static void settings_str(char *buf, size_t size)
{
	size_t i, len = 0;

	status_read(&st);
	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(settings) && len < size; i++) {
		const char *v = status_get(&st, settings[i]);

		len += (size_t)snprintf(buf + len, size - len, "%s%s %s",
					i ? ", " : "", settings[i], v ? v : "?");
	}
}

/* cmd[0..len) with \n, \0 and the like escaped, for names and messages */
static void printable(const char *cmd, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)cmd[i];

		if (c < 0x21 || c > 0x7e)
			o += (size_t)snprintf(out + o, size - o, "\\%03o", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* a check name from a command: "PREFIXnn_word_word" */
static void check_name(const char *prefix, int idx, const char *cmd,
		       size_t len, char *out, size_t size)
{
	size_t i, o;

	o = (size_t)snprintf(out, size, "%s%02d_", prefix, idx);
	for (i = 0; i < len && i < 24 && o + 1 < size; i++) {
		char c = cmd[i];

		out[o++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
	}
	out[o] = '\0';
}

static void test_accept(int idx, const char *cmd, const char *key,
			const char *want)
{
	char check[64], shown[64];
	const char *seen;
	int err = ctl_send(cmd, strlen(cmd));

	check_name("accept", idx, cmd, strlen(cmd), check, sizeof(check));
	printable(cmd, strlen(cmd), shown, sizeof(shown));
	if (err) {
		t_fail(check, "'%s' refused: %s", shown, strerror(err));
		return;
	}
	status_read(&st);
	seen = status_get(&st, key);
	t_expect(seen && !strcmp(seen, want), check, "after '%s' status %s is "
		 "'%s', want '%s'", shown, key, seen ? seen : "(none)", want);
}

static void test_accepts(void)
{
	char cmd[32], want[8];
	size_t i;
	int d;

	for (i = 0; i < ARRAY_SIZE(accepts); i++)
		test_accept((int)i, accepts[i].cmd, accepts[i].key, accepts[i].want);
	for (d = 1; d <= 16; d++) {
		snprintf(cmd, sizeof(cmd), "depth %d", d);
		snprintf(want, sizeof(want), "%d", d);
		test_accept(d, cmd, "depth", want);
	}
}

static struct as_snap snap;

static void test_reset(void)
{
	static const char *const zero[] = {
		"processes_exited", "threads", "drop regions_cap",
		"drop sites_cap", "drop nomem", "drop stale", "threads_other",
	};
	size_t i;

	ctl_must("pid %d", (int)getpid());
	/* something to drop: this process's region, and its release */
	unmap(map_anon(PAGE_SZ, MAP_PRIVATE), PAGE_SZ);
	if (ctl("reset")) {
		t_fail("reset", "'reset' refused");
		return;
	}
	status_read(&st);
	snap_take(&snap, getpid());
	for (i = 0; i < ARRAY_SIZE(zero); i++) {
		if (status_num(&st, zero[i])) {
			t_fail("reset", "status %s is %s after reset", zero[i],
			       status_get(&st, zero[i]));
			return;
		}
	}
	t_ok("reset");
	/* the one process the filter wants, seeded */
	t_expect(status_num(&st, "processes") == 1 &&
		 status_num(&st, "sites") == (uint64_t)snap.nsites &&
		 status_num(&st, "regions") == (uint64_t)snap.nregions &&
		 snap.nsites > 0, "reset_seeds",
		 "status processes %s sites %s regions %s; this process has %d "
		 "sites and %d regions", status_get(&st, "processes"),
		 status_get(&st, "sites"), status_get(&st, "regions"),
		 snap.nsites, snap.nregions);
	t_seeded("reset_seeded", &snap, "preexisting");
	t_eq("reset_no_threads", (uint64_t)snap.nthreads, 0);
}

static void test_reject(int idx, const struct reject *r)
{
	char check[64], shown[64], before[512], after[512];
	int err;

	check_name("reject", idx, r->cmd, r->len, check, sizeof(check));
	printable(r->cmd, r->len, shown, sizeof(shown));
	settings_str(before, sizeof(before));
	err = ctl_send(r->cmd, r->len);
	settings_str(after, sizeof(after));
	if (err != EINVAL)
		t_fail(check, "'%s' (%zu bytes): %s, want EINVAL", shown, r->len,
		       err ? strerror(err) : "accepted");
	else
		t_expect(!strcmp(before, after), check, "'%s' changed settings "
			 "[%s] to [%s]", shown, before, after);
}

/* 128 bytes: "max_sites 000...042" */
static void test_overlong(int idx)
{
	static char cmd[128];
	struct reject r = { cmd, sizeof(cmd) };

	memset(cmd, '0', sizeof(cmd));
	memcpy(cmd, "max_sites ", 10);
	memcpy(cmd + sizeof(cmd) - 2, "42", 2);
	test_reject(idx, &r);
}

static void test_rejects(void)
{
	size_t i;

	/* settings unlike the defaults, so that a partial change shows */
	ctl_must("depth 7");
	ctl_must("max_regions 12345");
	ctl_must("max_sites 2345");
	ctl_must("retain_exited 33");
	ctl_must("pid 2,3");
	ctl_must("comm zzz");
	ctl_must("disable");
	for (i = 0; i < ARRAY_SIZE(rejects); i++)
		test_reject((int)i, &rejects[i]);
	test_overlong((int)i);
}

int main(void)
{
	t_init("ctl_commands");
	ctl_isolate(ISOLATE_SELF);
	test_accepts();
	test_reset();
	test_rejects();
	return t_exit_status();
}
