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
	unsigned int leak_samples;
	enum sort_key sort;
	int pids[MAX_PIDS];
	size_t nr_pids;
	const char *comm;
	const char *openmetrics;	/* FILE, or NULL */
	unsigned int top_sites;
	bool prom_aggregate;
	unsigned int prom_labels;	/* PROM_L_* */
};

static volatile sig_atomic_t stop;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: anontop [-b] [-n N] [-d SECS] [-p PID[,PID...]] [-s KEY] [--sites]\n"
		"               [-o text|json] [--root DIR] [options]\n"
		"       anontop --openmetrics FILE [-n N] [-d SECS] [--top-sites K]\n"
		"               [--prom-aggregate] [--prom-labels LIST] [options]\n"
		"\n"
		"Show which processes and call sites hold anonymous memory mappings,\n"
		"as accounted by the anonstat kernel module, and which keep growing.\n"
		"Without -b: an interactive top-like view (press h for its keys).\n"
		"\n"
		"  -b, --batch          print samples instead of the interactive view\n"
		"  -n, --iterations N   batch: stop after N samples (default 1; 0: never)\n"
		"  -d, --delay SECS     seconds between samples, fractional (default 1)\n"
		"  -p, --pid PID[,PID]  only these processes (up to %d)\n"
		"  -c, --comm TEXT      only processes whose name contains TEXT\n"
		"  -s, --sort KEY       pid comm state live regions growth maps unmaps\n"
		"                       peak rss leak (default live; sites: id name kind\n"
		"                       resident too)\n"
		"      --reverse        reverse the sort order\n"
		"      --sites          batch: the call sites of each process, named\n"
		"  -o, --output FORMAT  text (default) or json: one JSON document per\n"
		"                       sample (JSON Lines); implies -b\n"
		"  -k, --leak-samples K a site is a leak suspect when its live bytes\n"
		"                       grew in each of the last K samples (default 3)\n"
		"      --probes         text: the module's probes and their hits too\n"
		"      --openmetrics FILE\n"
		"                       write each sample to FILE, atomically, in the\n"
		"                       Prometheus text format (for node_exporter's\n"
		"                       textfile collector) instead of printing it;\n"
		"                       implies -b; without -n, until SIGINT or SIGTERM\n"
		"      --top-sites K    --openmetrics: the K sites of each process with the\n"
		"                       most live bytes, the rest summed as site=\"other\"\n"
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
		"Exit status: 0, or 1 with a one-line error naming the path and errno.\n"
		"See anontop(8).\n", MAX_PIDS, PROM_TOP_SITES);
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

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_ROOT = 256, OPT_PROC, OPT_SITES, OPT_PROBES, OPT_REVERSE,
	       OPT_OPENMETRICS, OPT_TOP_SITES, OPT_PROM_AGGREGATE,
	       OPT_PROM_LABELS };
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, OPT_REVERSE },
		{ "sites", no_argument, NULL, OPT_SITES },
		{ "output", required_argument, NULL, 'o' },
		{ "leak-samples", required_argument, NULL, 'k' },
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

	while ((c = getopt_long(argc, argv, "bn:d:p:c:s:o:k:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'b':
			o->batch = true;
			break;
		case 'n':
			errno = 0;
			o->iterations = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o->iterations < 0)
				return bad_arg("-n", optarg);
			o->iterations_set = true;
			break;
		case 'd':
			errno = 0;
			o->delay = strtod(optarg, &end);
			if (errno || *end || end == optarg || !isfinite(o->delay) ||
			    o->delay < 0 || o->delay > 86400)
				return bad_arg("-d", optarg);
			break;
		case 'p':
			if (parse_pids(optarg, o))
				return -1;
			break;
		case 'c':
			o->comm = optarg;
			break;
		case 's':
			if (sort_key_parse(optarg, &o->sort))
				return bad_arg("-s", optarg);
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
		case 'k':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > 1000)
				return bad_arg("-k", optarg);
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
	if (optind != argc) {
		fprintf(stderr, "anontop: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
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

static int batch(struct model *m, const struct options *o)
{
	struct output_opts out = {
		.filter = { .pids = o->pids, .nr_pids = o->nr_pids, .comm = o->comm },
		.sort = o->sort,
		.reverse = o->reverse,
		.sites = o->sites,
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
	long n;

	if (o->sites || o->openmetrics) {
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
		if ((o->json ? output_json : output_text)(stdout, m, &out)) {
			int e = errno;

			fprintf(stderr, "anontop: standard output: %s (errno %d)\n",
				strerror(e), e);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct options o = {
		.root = DEFAULT_ROOT,
		.procdir = "/proc",
		.delay = 1,
		.leak_samples = 3,
		.sort = SORT_LIVE,
		.top_sites = PROM_TOP_SITES,
	};
	static struct model m;
	int ret;

	if (parse_args(argc, argv, &o))
		return 1;
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
		};

		ret = tui_run(&m, &t);
	}
	model_free(&m);
	return ret;
}
