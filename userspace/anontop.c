// SPDX-License-Identifier: GPL-2.0
/*
 * anontop.c - show what anonstat.ko accounts.
 *
 * This first version prints the module's status (version, kernel, probes
 * with their hits) once per interval; the process and call-site views build
 * on the same debugfs readers.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"

#define ANONTOP_VERSION "0.1.0"
#define DEFAULT_ROOT "/sys/kernel/debug/anonstat"

struct options {
	const char *root;
	long iterations;	/* 0: forever */
	double delay;		/* seconds */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: anontop [-b] [-n N] [-d SECS] [--root DIR]\n"
		"\n"
		"Show anonymous-mapping accounting from the anonstat kernel module.\n"
		"\n"
		"  -b, --batch        batch output (the default for now)\n"
		"  -n, --iterations N stop after N samples (default: 1)\n"
		"  -d, --delay SECS   seconds between samples (default: 1)\n"
		"      --root DIR     read the debugfs files from DIR\n"
		"                     (default " DEFAULT_ROOT ")\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "root", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "bn:d:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			break;
		case 'n':
			errno = 0;
			o->iterations = strtol(optarg, &end, 10);
			if (errno || *end || o->iterations < 0) {
				fprintf(stderr, "anontop: bad -n '%s'\n", optarg);
				return -1;
			}
			break;
		case 'd':
			errno = 0;
			o->delay = strtod(optarg, &end);
			if (errno || *end || !isfinite(o->delay) ||
			    o->delay < 0 || o->delay > 86400) {
				fprintf(stderr, "anontop: bad -d '%s'\n", optarg);
				return -1;
			}
			break;
		case 'R':
			o->root = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("anontop %s\n", ANONTOP_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "anontop: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int read_status(const char *root, struct status *st)
{
	char path[4096];
	unsigned int bad_line;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/status", root);
	f = fopen(path, "re");
	if (!f) {
		int err = errno;

		fprintf(stderr, "anontop: %s: %s (errno %d)%s\n", path,
			strerror(err), err,
			err == ENOENT ? "; is anonstat.ko loaded and debugfs mounted"
					" (mount -t debugfs none /sys/kernel/debug)?" :
			err == EACCES ? "; run as root" : "");
		return -1;
	}
	ret = status_parse(f, st, &bad_line);
	if (ferror(f)) {
		int err = errno;

		fprintf(stderr, "anontop: %s: read error: %s (errno %d)\n", path,
			strerror(err), err);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (ret) {
		fprintf(stderr, "anontop: %s:%u: not in the anonstat status format\n",
			path, bad_line);
		return -1;
	}
	return 0;
}

static void print_status(const struct status *st)
{
	unsigned int i;

	printf("anonstat %s on %s\n", st->version, st->kernel);
	printf("%-32s %-10s %-9s %14s %10s\n", "PROBE", "TYPE", "STATE", "HITS",
	       "MISSED");
	for (i = 0; i < st->nr_probes; i++) {
		const struct status_probe *p = &st->probes[i];

		printf("%-32s %-10s %-9s %14llu %10llu\n", p->symbol, p->type,
		       p->attached ? "attached" : "detached",
		       (unsigned long long)p->hits,
		       (unsigned long long)p->missed);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct options o = { .root = DEFAULT_ROOT, .iterations = 1, .delay = 1 };
	static struct status st;
	long n;

	if (parse_args(argc, argv, &o))
		return 1;
	for (n = 0; o.iterations == 0 || n < o.iterations; n++) {
		if (n > 0) {
			struct timespec ts = {
				.tv_sec = (time_t)o.delay,
				.tv_nsec = (long)((o.delay - (time_t)o.delay) * 1e9),
			};
			nanosleep(&ts, NULL);
		}
		if (read_status(o.root, &st))
			return 1;
		print_status(&st);
	}
	return 0;
}
