// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_fuzz.c - hostile input to /sys/kernel/debug/anonstat/control.
 *
 * usage: ctl_fuzz [-n WRITES] [-s SEED]
 *
 * Writes random inputs to the control file: random bytes of random length
 * (0 to 8 KiB, embedded NULs), commands split over two writes, and valid
 * words with absurd, signed, overflowing or malformed numbers.  Each
 * write's result is predicted by a reference implementation of the
 * grammar in module/debugfs-format.md (one command per write, at most 127
 * bytes, kstrto*-style numbers): the module must accept exactly what the
 * reference accepts (write returns the full length) and reject the rest
 * with EINVAL.  Prints the inputs, the write(2) calls (a split input is
 * two), how many the module accepted and rejected, and how many did not
 * do what the reference predicts ("unexpected").  The settings the accepted commands made are then compared
 * with the status file.  Ends with "ctl_fuzz: N passed, N failed" and
 * restores the default settings.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONTROL "/sys/kernel/debug/anonstat/control"
#define STATUS "/sys/kernel/debug/anonstat/status"
#define FUZZ_MAX_LEN 8192

struct model {
	bool enabled;
	unsigned int depth, max_regions, max_sites, retain_exited;
	char pids[128];		/* as status shows it: "all" or "1,2" */
	char comm[64];		/* escaped as status shows it, or "all" */
};

static unsigned long long rng_state;

static unsigned int rnd(unsigned int n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return n ? (unsigned int)((rng_state >> 33) % n) : 0;
}

/* kstrtoull(s, 10): optional '+', digits, optional one trailing '\n'. */
static bool k_strtoull(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned int)(*p - '0')) / 10)
			return false;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	if (*p == '\n')
		p++;
	if (*p)
		return false;
	*out = v;
	return true;
}

static bool k_strtouint(const char *s, unsigned int *out)
{
	unsigned long long v;

	if (!k_strtoull(s, &v) || v > UINT_MAX)
		return false;
	*out = (unsigned int)v;
	return true;
}

/* kstrtoint(s, 10): also a leading '-'. */
static bool k_strtoint(const char *s, int *out)
{
	unsigned long long v;

	if (*s == '-') {
		if (!k_strtoull(s + 1, &v) || s[1] == '+' || v > (unsigned long long)INT_MAX + 1)
			return false;
		*out = (int)-(long long)v;
		return true;
	}
	if (!k_strtoull(s, &v) || v > INT_MAX)
		return false;
	*out = (int)v;
	return true;
}

static void escape_comm(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; *src && n + 5 < size; src++) {
		unsigned char c = (unsigned char)*src;

		if (c < 0x21 || c > 0x7e || c == '\\')
			n += (size_t)snprintf(dst + n, size - n, "\\%03o", c);
		else
			dst[n++] = (char)c;
	}
	dst[n] = '\0';
}

static bool ref_pids(const char *arg, struct model *m)
{
	char buf[128], out[128] = "", *cur = buf, *tok;
	unsigned int n = 0;

	if (!strcmp(arg, "all")) {
		strcpy(m->pids, "all");
		return true;
	}
	if (strlen(arg) >= sizeof(buf))
		return false;
	strcpy(buf, arg);
	while ((tok = strsep(&cur, ",")) != NULL) {
		int pid;
		size_t len = strlen(out);

		if (n == 16 || !k_strtoint(tok, &pid) || pid <= 0)
			return false;
		snprintf(out + len, sizeof(out) - len, "%s%d", n ? "," : "", pid);
		n++;
	}
	strcpy(m->pids, out);
	return true;
}

/* The reference: does the module accept @buf[0..len), and what changes? */
static bool reference(const char *in, size_t len, struct model *m)
{
	char buf[128], *cmd = buf, *word, *arg;
	unsigned int v;

	if (len == 0 || len >= sizeof(buf) || memchr(in, '\0', len))
		return false;
	memcpy(buf, in, len);
	if (buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	word = strsep(&cmd, " ");
	arg = strsep(&cmd, " ");
	if (!*word || (arg && !*arg) || cmd)
		return false;
	if (!arg) {
		if (!strcmp(word, "enable"))
			m->enabled = true;
		else if (!strcmp(word, "disable"))
			m->enabled = false;
		else if (strcmp(word, "reset"))
			return false;
		return true;
	}
	if (!strcmp(word, "pid"))
		return ref_pids(arg, m);
	if (!strcmp(word, "comm")) {
		if (!strcmp(arg, "all")) {
			strcpy(m->comm, "all");
			return true;
		}
		if (strlen(arg) > 15)
			return false;
		escape_comm(m->comm, sizeof(m->comm), arg);
		return true;
	}
	if (!k_strtouint(arg, &v))
		return false;
	if (!strcmp(word, "depth") && v >= 1 && v <= 32)
		m->depth = v;
	else if (!strcmp(word, "max_regions") && v <= 16777216)
		m->max_regions = v;
	else if (!strcmp(word, "max_sites") && v <= 1048576)
		m->max_sites = v;
	else if (!strcmp(word, "retain_exited") && v <= 4096)
		m->retain_exited = v;
	else
		return false;
	return true;
}

static const char *const words[] = {
	"enable", "disable", "reset", "pid", "comm", "depth", "max_regions",
	"max_sites", "retain_exited", "all", "", "Depth", "pids", "enable1",
};

static const char *const numbers[] = {
	"0", "1", "4", "16", "17", "32", "33", "-1", "+3", "007", "4294967295",
	"4294967296", "18446744073709551615", "18446744073709551616",
	"99999999999999999999999", "1e3", "0x10", " 5", "5 ", "4\n", "2147483647",
	"2147483648", "-2147483648", "1,2,3", "1,,2", ",", "all", "",
	"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
	"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "4096", "4097",
	"16777216", "16777217", "1048576", "1048577",
};

/* One random input into @buf; returns its length. */
static size_t make_input(char *buf)
{
	size_t len, i;

	switch (rnd(4)) {
	case 0:	/* random bytes, NULs included */
		len = rnd(4) ? rnd(160) : rnd(FUZZ_MAX_LEN + 1);
		for (i = 0; i < len; i++)
			buf[i] = rnd(8) ? (char)(' ' + rnd(95)) : (char)rnd(256);
		return len;
	case 1:	/* a word alone, maybe with a newline */
		len = (size_t)sprintf(buf, "%s%s", words[rnd(sizeof(words) / sizeof(words[0]))],
				      rnd(2) ? "\n" : "");
		return len;
	default: /* word + number-ish argument, sometimes with extras */
		len = (size_t)sprintf(buf, "%s%s%s%s%s",
				      words[rnd(sizeof(words) / sizeof(words[0]))],
				      rnd(8) ? " " : "  ",
				      numbers[rnd(sizeof(numbers) / sizeof(numbers[0]))],
				      rnd(6) ? "" : " x",
				      rnd(2) ? "\n" : "");
		if (!rnd(10) && len > 1)
			buf[rnd((unsigned int)len)] = '\0';	/* embedded NUL */
		return len;
	}
}

static int write_control(int fd, const char *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static bool status_value(const char *status, const char *key, char *out, size_t size)
{
	const char *p = status;
	size_t klen = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			size_t n = strcspn(p + klen + 1, "\n");

			if (n >= size)
				return false;
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static int check_status(const struct model *m)
{
	static char status[65536];
	char val[128], want[128];
	int fd = open(STATUS, O_RDONLY), fails = 0;
	ssize_t n;
	const struct {
		const char *key;
		const char *fmt;
		unsigned int v;
	} nums[] = {
		{ "enabled", "%u", m->enabled },
		{ "depth", "%u", m->depth },
		{ "max_regions", "%u", m->max_regions },
		{ "max_sites", "%u", m->max_sites },
		{ "retain_exited", "%u", m->retain_exited },
	};
	size_t i;

	if (fd < 0 || (n = read(fd, status, sizeof(status) - 1)) < 0) {
		printf("FAIL ctl_fuzz.status: %s: %s\n", STATUS, strerror(errno));
		return 1;
	}
	status[n] = '\0';
	close(fd);
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		snprintf(want, sizeof(want), nums[i].fmt, nums[i].v);
		if (!status_value(status, nums[i].key, val, sizeof(val)) || strcmp(val, want)) {
			printf("FAIL ctl_fuzz.status_%s: status says '%s', accepted commands say '%s'\n",
			       nums[i].key, val, want);
			fails++;
		}
	}
	if (!status_value(status, "filter_pids", val, sizeof(val)) || strcmp(val, m->pids)) {
		printf("FAIL ctl_fuzz.status_pids: '%s', want '%s'\n", val, m->pids);
		fails++;
	}
	if (!status_value(status, "filter_comm", val, sizeof(val)) || strcmp(val, m->comm)) {
		printf("FAIL ctl_fuzz.status_comm: '%s', want '%s'\n", val, m->comm);
		fails++;
	}
	return fails;
}

int main(int argc, char **argv)
{
	static char buf[FUZZ_MAX_LEN + 64];
	struct model m = {
		.enabled = true, .depth = 16, .max_regions = 1000000,
		.max_sites = 100000, .retain_exited = 64,
		.pids = "all", .comm = "all",
	};
	unsigned long writes = 10000, calls = 0, accepted = 0, rejected = 0;
	unsigned long wrong = 0, i;
	int fd, opt, pass = 0, fail = 0;
	static const char *const restore[] = {
		"enable", "pid all", "comm all", "depth 16", "max_regions 1000000",
		"max_sites 100000", "retain_exited 64",
	};

	rng_state = 1;
	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			writes = strtoul(optarg, NULL, 10);
		else if (opt == 's')
			rng_state = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	fd = open(CONTROL, O_WRONLY);
	if (fd < 0) {
		printf("FAIL ctl_fuzz.open: %s: %s\n", CONTROL, strerror(errno));
		return 1;
	}
	for (i = 0; i < writes; i++) {
		struct model next = m;
		size_t len = make_input(buf);
		bool want = reference(buf, len, &next);
		int got;

		if (rnd(20) == 0 && len > 2) {
			/* a command split over two writes: two commands */
			size_t cut = 1 + rnd((unsigned int)len - 1);
			struct model mid = m;
			bool w1 = reference(buf, cut, &mid), w2;
			int g1 = write_control(fd, buf, cut), g2;

			next = mid;
			w2 = reference(buf + cut, len - cut, &next);
			g2 = write_control(fd, buf + cut, len - cut);
			if ((w1 ? 0 : -EINVAL) != g1 || (w2 ? 0 : -EINVAL) != g2) {
				if (wrong++ < 10)
					printf("FAIL ctl_fuzz.split: write %lu: want %d/%d, got %d/%d\n",
					       i, w1 ? 0 : -EINVAL, w2 ? 0 : -EINVAL, g1, g2);
				next = w2 && !g2 ? next : (w1 && !g1 ? mid : m);
			}
			calls += 2;
			accepted += (g1 == 0) + (g2 == 0);
			rejected += (g1 == -EINVAL) + (g2 == -EINVAL);
			m = next;
			continue;
		}
		got = write_control(fd, buf, len);
		calls++;
		if (got == 0)
			accepted++;
		else if (got == -EINVAL)
			rejected++;
		if (got != (want ? 0 : -EINVAL)) {
			if (wrong++ < 10)
				printf("FAIL ctl_fuzz.write: write %lu of %zu bytes '%.*s': want %d, got %d\n",
				       i, len, (int)(len < 60 ? len : 60), buf,
				       want ? 0 : -EINVAL, got);
			continue;	/* model unchanged only if rejected */
		}
		m = next;
	}
	printf("ctl_fuzz: %lu inputs, %lu write calls, %lu accepted, %lu rejected, %lu unexpected\n",
	       writes, calls, accepted, rejected, wrong);
	if (wrong) {
		fail++;
	} else {
		printf("ok ctl_fuzz.every_write_as_specified\n");
		pass++;
	}
	if (check_status(&m)) {
		fail++;
	} else {
		printf("ok ctl_fuzz.status_matches_accepted_commands\n");
		pass++;
	}
	for (i = 0; i < sizeof(restore) / sizeof(restore[0]); i++)
		write_control(fd, restore[i], strlen(restore[i]));
	close(fd);
	printf("ctl_fuzz: %d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
