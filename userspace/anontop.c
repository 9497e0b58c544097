// SPDX-License-Identifier: GPL-2.0
/*
 * anontop.c - show what anonstat.ko accounts: which processes and call
 * sites hold anonymous memory mappings, and which keep growing.
 *
 * This file holds the command line and the batch loop; the rest is in
 * parse.c (the debugfs files), snapshot.c (reading them), model.c (rates,
 * leak marks, sorting), procfs.c and symbols.c (/proc and ELF symbols),
 * format.c and output.c (text and JSON), prom.c (the Prometheus text format
 * for node_exporter), tui.c (the interactive view).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "output.h"
#include "prom.h"
#include "snapshot.h"
#include "tui.h"

#define ANONTOP_VERSION "0.1.0"
#define MAX_PIDS 64

/* exit status (anontop.8, EXIT STATUS) */
#define EXIT_RUNTIME 1		/* a read or write failed: one line on stderr */
#define EXIT_USAGE 2		/* a bad option or argument */
#define EXIT_UNTRACKED 3	/* batch: a -p PID the module does not track */
#define LEAK_HIGHS_MAX 1000

struct options {
	const char *root;
	const char *procdir;
	bool batch;
	bool json;
	bool sites;
	bool probes;
	bool reverse;
	long iterations;	/* 0: until interrupted */
	bool iterations_set;
	double delay;		/* seconds */
	bool delay_set;
	unsigned int leak_samples;
	double leak_window;	/* seconds */
	unsigned int leak_highs;
	enum sort_key sort;
	bool sort_set;
	bool accumulated;	/* -a: sort by accum unless -s says otherwise */
	bool all_sites;		/* -S: one table of every site */
	int pids[MAX_PIDS];
	size_t nr_pids;
	const char *comm;
	const char *cmdline;
	const char *user;
	const char *cgroup;
	const char *openmetrics;	/* FILE, or NULL */
	unsigned int top_sites;
	bool prom_aggregate;
	unsigned int prom_labels;	/* PROM_L_* */
};

static volatile sig_atomic_t stop;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: anontop [-b] [options] [interval [count]]\n"
		"       anontop -b [-S | --sites] [-o text|json] [-p PID[,PID...]] [-s KEY]\n"
		"       anontop --openmetrics FILE [-n N] [-d SECS] [--top-sites K]\n"
		"               [--prom-aggregate] [--prom-labels LIST] [options]\n"
		"\n"
		"Show which processes and call sites hold anonymous memory mappings,\n"
		"as accounted by the anonstat kernel module, and which keep growing.\n"
		"Without -b: an interactive top-like view (press h for its keys).\n"
		"interval and count are -d and -n, as for vmstat: \"anontop -b 2 5\"\n"
		"prints 5 samples 2 s apart; an interval without a count: until\n"
		"interrupted.\n"
		"\n"
		"  -b, --batch          print samples instead of the interactive view\n"
		"  -n, --iterations N   batch: stop after N samples (default 1; 0: never)\n"
		"  -d, --delay SECS     seconds between samples, fractional (default 1)\n"
		"  -p, --pid PID[,PID]  only these processes (up to %d); batch: a PID\n"
		"                       the module does not track is named on stderr\n"
		"                       and the exit status is 3\n"
		"  -c, --comm TEXT      only processes whose name contains TEXT\n"
		"      --cmdline TEXT   only processes whose command line contains TEXT\n"
		"  -u, --user USER      only processes of USER (a name or a uid)\n"
		"      --cgroup TEXT    only processes whose cgroup path contains TEXT\n"
		"  -s, --sort KEY       sort by KEY (default live); -s help lists them\n"
		"      --reverse        reverse the sort order\n"
		"  -a, --accumulated    sort by ACCUM, the growth since anontop started\n"
		"      --sites          batch: the call sites of each process, named\n"
		"  -S, --all-sites      batch: every call site of every process in one\n"
		"                       table (with PID and COMM), sorted by KEY\n"
		"  -o, --output FORMAT  text (default) or json: one JSON document per\n"
		"                       sample (JSON Lines); implies -b\n"
		"  -w, --leak-window SECS\n"
		"                       the leak rule's window (default 30, fractional)\n"
		"  -k, --leak-highs N   a site is a leak suspect when its live bytes set\n"
		"                       N new highs within the window (default 2)\n"
		"      --leak-samples K the streak shown as grown_samples in JSON: live\n"
		"                       bytes grew in each of the last K samples\n"
		"                       (default 3)\n"
		"      --probes         text: the module's probes and their hits too\n"
		"      --openmetrics FILE\n"
		"                       write each sample to FILE, atomically, in the\n"
		"                       Prometheus text format (for node_exporter's\n"
		"                       textfile collector) instead of printing it;\n"
		"                       implies -b; without -n, until SIGINT or SIGTERM\n"
		"      --top-sites K    --openmetrics: the K functions of each process with\n"
		"                       the most live bytes, the rest summed as\n"
		"                       function=\"other\"\n"
		"                       (default %d)\n"
		"      --prom-aggregate --openmetrics: one series per command name and\n"
		"                       function, summed over processes, without pid\n"
		"      --prom-labels LIST\n"
		"                       --openmetrics: add these labels: cmdline,user,cgroup\n"
		"      --root DIR       read the debugfs files from DIR\n"
		"                       (default " DEFAULT_ROOT ")\n"
		"      --proc DIR       read /proc/PID files from DIR (default /proc)\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n"
		"\n"
		"Exit status: 0; 1 after a one-line error naming the path and errno;\n"
		"2 for a bad option or argument; 3 when a -p PID is not tracked (batch).\n"
		"See anontop(8).\n", MAX_PIDS, PROM_TOP_SITES);
}

/* -s help: the keys of both views */
static void sort_help(FILE *out)
{
	static const struct {
		enum sort_key key;
		const char *site_alias;	/* the sites' name for it, or NULL */
		const char *procs, *sites;
	} keys[] = {
		{ SORT_PID, "id", "process id, ascending", "site id, ascending" },
		{ SORT_COMM, "name", "name, ascending", "site name, ascending" },
		{ SORT_STATE, "kind", "live before exited", "kind, ascending" },
		{ SORT_LIVE, NULL, "live bytes (default)", "live bytes (default)" },
		{ SORT_REGIONS, NULL, "live regions", "live regions" },
		{ SORT_GROWTH, NULL, "GROWTH/s", "GROWTH/s" },
		{ SORT_MAPS, NULL, "MAPS/s, then maps", "maps" },
		{ SORT_UNMAPS, NULL, "UNMAPS/s, then unmaps", "unmaps" },
		{ SORT_PEAK, NULL, "peak live bytes", "peak live bytes" },
		{ SORT_RSS, "resident", "RssAnon", "resident bytes" },
		{ SORT_LEAK, NULL, "leak suspects first",
		  "leak suspects first, then HIGHS" },
		{ SORT_ACCUM, NULL, "ACCUM, growth since start",
		  "ACCUM, growth since start" },
	};
	unsigned int i;

	fprintf(out, "sort keys (-s KEY; numbers largest first, --reverse turns "
		"it round):\n%-10s %-27s %-10s %s\n", "KEY", "PROCESSES",
		"SITES KEY", "SITES");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		fprintf(out, "%-10s %-27s %-10s %s\n", sort_key_name(keys[i].key),
			keys[i].procs, keys[i].site_alias ? keys[i].site_alias :
			sort_key_name(keys[i].key), keys[i].sites);
}

static int bad_arg(const char *opt, const char *arg)
{
	fprintf(stderr, "anontop: bad %s '%s' (see anontop --help)\n", opt, arg);
	return -1;
}

static int parse_pids(const char *s, struct options *o)
{
	const char *p = s;
	char *end;

	for (;;) {
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || end == p || v <= 0 || v > 0x7fffffff ||
		    o->nr_pids >= MAX_PIDS || (*end && *end != ','))
			return bad_arg("-p", s);
		o->pids[o->nr_pids++] = (int)v;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

/* -d SECS or the interval */
static int parse_delay(const char *s, struct options *o)
{
	char *end;

	errno = 0;
	o->delay = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(o->delay) ||
	    o->delay < 0 || o->delay > 86400)
		return -1;
	o->delay_set = true;
	return 0;
}

/* -n N or the count */
static int parse_count(const char *s, struct options *o)
{
	char *end;

	errno = 0;
	o->iterations = strtol(s, &end, 10);
	if (errno || *end || end == s || o->iterations < 0)
		return -1;
	o->iterations_set = true;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_ROOT = 256, OPT_PROC, OPT_SITES, OPT_PROBES, OPT_REVERSE,
	       OPT_OPENMETRICS, OPT_TOP_SITES, OPT_LEAK_SAMPLES, OPT_CMDLINE,
	       OPT_CGROUP, OPT_PROM_AGGREGATE, OPT_PROM_LABELS };
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "user", required_argument, NULL, 'u' },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, OPT_REVERSE },
		{ "accumulated", no_argument, NULL, 'a' },
		{ "sites", no_argument, NULL, OPT_SITES },
		{ "all-sites", no_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "leak-window", required_argument, NULL, 'w' },
		{ "leak-highs", required_argument, NULL, 'k' },
		{ "leak-samples", required_argument, NULL, OPT_LEAK_SAMPLES },
		{ "probes", no_argument, NULL, OPT_PROBES },
		{ "openmetrics", required_argument, NULL, OPT_OPENMETRICS },
		{ "top-sites", required_argument, NULL, OPT_TOP_SITES },
		{ "prom-aggregate", no_argument, NULL, OPT_PROM_AGGREGATE },
		{ "prom-labels", required_argument, NULL, OPT_PROM_LABELS },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "proc", required_argument, NULL, OPT_PROC },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool output_set = false;
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "bn:d:p:c:u:s:aSo:w:k:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'b':
			o->batch = true;
			break;
		case 'n':
			if (parse_count(optarg, o))
				return bad_arg("-n", optarg);
			break;
		case 'd':
			if (parse_delay(optarg, o))
				return bad_arg("-d", optarg);
			break;
		case 'p':
			if (parse_pids(optarg, o))
				return -1;
			break;
		case 'c':
			o->comm = optarg;
			break;
		case OPT_CMDLINE:
			o->cmdline = optarg;
			break;
		case 'u':
			if (!*optarg)
				return bad_arg("-u", optarg);
			o->user = optarg;
			break;
		case OPT_CGROUP:
			o->cgroup = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "help")) {
				sort_help(stdout);
				exit(0);
			}
			if (sort_key_parse(optarg, &o->sort))
				return bad_arg("-s", optarg);
			o->sort_set = true;
			break;
		case 'a':
			o->accumulated = true;
			break;
		case 'S':
			o->all_sites = true;
			break;
		case 'o':
			if (!strcmp(optarg, "json"))
				o->json = true;
			else if (!strcmp(optarg, "text"))
				o->json = false;
			else
				return bad_arg("-o", optarg);
			output_set = true;
			break;
		case 'w':
			errno = 0;
			o->leak_window = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !isfinite(o->leak_window) || o->leak_window <= 0 ||
			    o->leak_window > 86400)
				return bad_arg("-w", optarg);
			break;
		case 'k':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 ||
			    v > LEAK_HIGHS_MAX)
				return bad_arg("-k", optarg);
			o->leak_highs = (unsigned int)v;
			break;
		case OPT_LEAK_SAMPLES:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > 1000)
				return bad_arg("--leak-samples", optarg);
			o->leak_samples = (unsigned int)v;
			break;
		case OPT_REVERSE:
			o->reverse = true;
			break;
		case OPT_SITES:
			o->sites = true;
			break;
		case OPT_PROBES:
			o->probes = true;
			break;
		case OPT_OPENMETRICS:
			if (!*optarg)
				return bad_arg("--openmetrics", optarg);
			o->openmetrics = optarg;
			break;
		case OPT_TOP_SITES:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0 ||
			    v > PROM_TOP_SITES_MAX)
				return bad_arg("--top-sites", optarg);
			o->top_sites = (unsigned int)v;
			break;
		case OPT_PROM_AGGREGATE:
			o->prom_aggregate = true;
			break;
		case OPT_PROM_LABELS:
			if (prom_parse_labels(optarg, &o->prom_labels))
				return bad_arg("--prom-labels", optarg);
			break;
		case OPT_ROOT:
			o->root = optarg;
			break;
		case OPT_PROC:
			o->procdir = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("anontop %s\n", ANONTOP_VERSION);
			exit(0);
		default:
			fprintf(stderr, "anontop: see anontop --help\n");
			return -1;
		}
	}
	/* interval [count], as vmstat and the bcc tools take them */
	if (optind < argc) {
		if (o->delay_set) {
			fprintf(stderr, "anontop: an interval and -d: give one "
				"(see anontop --help)\n");
			return -1;
		}
		if (parse_delay(argv[optind], o))
			return bad_arg("interval", argv[optind]);
		optind++;
		if (optind < argc) {
			if (o->iterations_set) {
				fprintf(stderr, "anontop: a count and -n: give "
					"one (see anontop --help)\n");
				return -1;
			}
			if (parse_count(argv[optind], o))
				return bad_arg("count", argv[optind]);
			optind++;
		} else if (!o->iterations_set) {
			o->iterations = 0;	/* until interrupted */
			o->iterations_set = true;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "anontop: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->all_sites && o->sites) {
		fprintf(stderr, "anontop: --sites and --all-sites: give one "
			"(see anontop --help)\n");
		return -1;
	}
	if (o->accumulated && !o->sort_set)
		o->sort = SORT_ACCUM;
	if (o->openmetrics && output_set) {
		fprintf(stderr, "anontop: --openmetrics writes FILE, not standard "
			"output: -o does not apply (see anontop --help)\n");
		return -1;
	}
	if (o->json || o->openmetrics)
		o->batch = true;
	return 0;
}

/* Sleep until @start + @n * @delay on CLOCK_MONOTONIC: samples stay evenly spaced. */
static void sleep_until(const struct timespec *start, long n, double delay)
{
	double t = start->tv_sec + start->tv_nsec / 1e9 + n * delay;
	struct timespec ts = {
		.tv_sec = (time_t)t,
		.tv_nsec = (long)((t - floor(t)) * 1e9),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !stop)
		;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * --openmetrics: finish the file being written, then exit 0.  SA_RESTART:
 * a read or write under way goes on; the sleep between samples is cut
 * short all the same (clock_nanosleep() is never restarted).
 */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * --openmetrics: every sample writes the file, whether or not the module's
 * files could be read (anonstat_up), and an error is logged and tried again
 * at the next sample, never the end.  Exit 0, or with -n 1 when a sample
 * failed; 0 on SIGINT or SIGTERM.
 */
static int exporter(struct model *m, const struct options *o,
		    const struct prom_opts *prom, long iterations)
{
	static struct prom_log log;
	struct prom_state st = { 0 };
	struct timespec start;
	char err[4096];
	bool failed = false;
	long n;

	catch_signals();
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (n = 0; (iterations == 0 || n < iterations) && !stop; n++) {
		if (n > 0)
			sleep_until(&start, n, o->delay);
		if (stop)
			break;
		st.samples++;
		st.up = !model_sample(m, err, sizeof(err));
		if (st.up) {
			st.last_success = (int64_t)time(NULL);
		} else {
			st.read_errors++;
			failed = true;
			prom_log_error(&log, stderr, monotonic(), err);
		}
		if (prom_write_file(o->openmetrics, m, prom, &st, err,
				    sizeof(err))) {
			st.write_errors++;
			failed = true;
			prom_log_error(&log, stderr, monotonic(), err);
		} else if (st.up) {
			prom_log_ok(&log, stderr);
		}
	}
	return iterations && failed && !stop ? 1 : 0;
}

/*
 * -p PID in batch: name on stderr each pid of @o the last sample has no
 * row for (the module does not track it: never seen, filtered out by the
 * module, or forgotten after exiting), once per pid.  True if one is missing.
 */
static bool report_untracked(struct model *m, const struct options *o)
{
	static bool said[MAX_PIDS];
	bool missing = false;
	size_t i;

	for (i = 0; i < o->nr_pids; i++) {
		if (model_find_proc(m, o->pids[i]))
			continue;
		missing = true;
		if (!said[i])
			fprintf(stderr, "anontop: pid %d: not tracked by anonstat "
				"(no such process in %s/procs)\n", o->pids[i],
				m->root);
		said[i] = true;
	}
	return missing;
}

static int batch(struct model *m, const struct options *o)
{
	struct output_opts out = {
		.filter = { .pids = o->pids, .nr_pids = o->nr_pids, .comm = o->comm,
			    .cmdline = o->cmdline, .user = o->user,
			    .cgroup = o->cgroup },
		.sort = o->sort,
		.reverse = o->reverse,
		.sites = o->sites,
		.all_sites = o->all_sites,
		.probes = o->probes,
		.version = ANONTOP_VERSION,
	};
	struct prom_opts prom = {
		.filter = out.filter,
		.top_sites = o->top_sites,
		.aggregate = o->prom_aggregate,
		.labels = o->prom_labels,
	};
	long iterations = o->iterations_set ? o->iterations :
		o->openmetrics ? 0 : 1;
	struct timespec start;
	char err[4096];
	bool untracked = false;
	long n;

	if (o->sites || o->all_sites || o->openmetrics) {
		m->detail = o->nr_pids ? DETAIL_PIDS : DETAIL_ALL;
		m->detail_pids = o->pids;
		m->nr_detail_pids = o->nr_pids;
	}
	if (o->openmetrics)
		return exporter(m, o, &prom, iterations);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (n = 0; (iterations == 0 || n < iterations) && !stop; n++) {
		if (n > 0)
			sleep_until(&start, n, o->delay);
		if (stop)
			break;
		if (model_sample(m, err, sizeof(err))) {
			fprintf(stderr, "anontop: %s\n", err);
			return 1;
		}
		if (report_untracked(m, o))
			untracked = true;
		if ((o->json ? output_json : output_text)(stdout, m, &out)) {
			int e = errno;

			fprintf(stderr, "anontop: standard output: %s (errno %d)\n",
				strerror(e), e);
			return 1;
		}
	}
	return untracked ? EXIT_UNTRACKED : 0;
}

int main(int argc, char **argv)
{
	static struct options o = {
		.root = DEFAULT_ROOT,
		.procdir = "/proc",
		.delay = 1,
		.leak_samples = 3,
		.leak_window = 30,
		.leak_highs = 2,
		.sort = SORT_LIVE,
		.top_sites = PROM_TOP_SITES,
	};
	static struct model m;
	int ret;

	if (parse_args(argc, argv, &o))
		return EXIT_USAGE;
	if (!o.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "anontop: %s: not a terminal (errno %d); use -b "
			"for batch output\n", isatty(STDIN_FILENO) ?
			"standard output" : "standard input", ENOTTY);
		return 1;
	}
	if (model_init(&m, o.root, o.procdir, o.leak_samples)) {
		fprintf(stderr, "anontop: %s (errno %d)\n", strerror(ENOMEM), ENOMEM);
		return 1;
	}
	m.leak_window = o.leak_window;
	m.leak_highs = o.leak_highs;
	if (o.batch) {
		ret = batch(&m, &o);
	} else {
		struct tui_opts t = {
			.version = ANONTOP_VERSION,
			.delay = o.delay,
			.sort = o.sort,
			.reverse = o.reverse,
			.pids = o.pids,
			.nr_pids = o.nr_pids,
			.comm = o.comm,
			.cmdline = o.cmdline,
			.user = o.user,
			.cgroup = o.cgroup,
		};

		ret = tui_run(&m, &t);
	}
	model_free(&m);
	return ret;
}
