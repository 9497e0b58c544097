/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output.h - batch output of a sample: aligned text for people, or one
 * JSON document per sample (JSON Lines) for scripts.  The JSON shape is
 * documented in anontop.8 (its version is JSON_FORMAT); text columns are
 * fixed, every field is one word ("-" when unknown) but the last (CMD,
 * NAME), so awk can read them too.
 */
#ifndef ANONTOP_OUTPUT_H
#define ANONTOP_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

/*
 * The "format" of every JSON document: 1 was the shape before the key
 * existed; in 2 leak_suspect follows the leak window (-w, -k) instead of
 * a streak of samples, and leak_rule, accum_bytes, highs, lifetime_rates,
 * cmdline, user, cgroup and the node-wide "sites" came.  Bump it when a
 * key changes meaning or goes; new keys may come without a bump.
 */
#define JSON_FORMAT 2

struct output_opts {
	struct row_filter filter;
	enum sort_key sort;
	bool reverse;
	bool sites;		/* the call sites of every process shown */
	bool all_sites;		/* every site of those processes, one table */
	bool probes;		/* text: the module's probe table too */
	const char *version;	/* anontop's */
};

/* 0, or -1 (errno set) when writing failed or memory ran out */
int output_text(FILE *out, struct model *m, const struct output_opts *o);
int output_json(FILE *out, struct model *m, const struct output_opts *o);

/* JSON string literal of @s (escaped, valid UTF-8) */
void json_string(FILE *out, const char *s);

#endif /* ANONTOP_OUTPUT_H */
