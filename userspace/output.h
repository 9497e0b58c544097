/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output.h - batch output of a sample: aligned text for people, or one
 * JSON document per sample (JSON Lines) for scripts.  The JSON shape is
 * documented in anontop.8; text columns are fixed, every field is one
 * word ("-" when unknown), so awk can read them too.
 */
#ifndef ANONTOP_OUTPUT_H
#define ANONTOP_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

struct output_opts {
	struct row_filter filter;
	enum sort_key sort;
	bool reverse;
	bool sites;		/* the call sites of every process shown */
	bool probes;		/* text: the module's probe table too */
	const char *version;	/* anontop's */
};

/* 0, or -1 (errno set) when writing failed or memory ran out */
int output_text(FILE *out, struct model *m, const struct output_opts *o);
int output_json(FILE *out, struct model *m, const struct output_opts *o);

/* JSON string literal of @s (escaped, valid UTF-8) */
void json_string(FILE *out, const char *s);

#endif /* ANONTOP_OUTPUT_H */
