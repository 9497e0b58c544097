// SPDX-License-Identifier: GPL-2.0
/*
 * output.c - the text and JSON batch output of one sample (see output.h).
 */
#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"

#define PROC_HEADER "%7s %-16s %-6s %10s %8s %11s %8s %8s %10s %10s %11s %5s %4s  %s\n"
#define SITE_COLS "%7s %-8s %10s %8s %11s %8s %8s %10s %10s %11s %5s %4s  %s\n"
#define CMD_WIDTH 60	/* the text CMD column, at most */

/* the rates of a row are known: since the last sample, or over its life */
static bool rates_known(bool have_rates, bool lifetime_rates)
{
	return have_rates || lifetime_rates;
}

/* a process's new highs: the most of any of its sites */
static unsigned int proc_highs(const struct proc_row *p)
{
	unsigned int h = 0;
	size_t i;

	for (i = 0; i < p->nr_sites; i++)
		if (p->sites[i].highs > h)
			h = p->sites[i].highs;
	return h;
}

/* the text CMD column: "-" when unknown or empty, else escaped, cut at CMD_WIDTH */
static char *fmt_cmd(char buf[CMD_WIDTH + 1], const char *cmd)
{
	char full[CMD_WIDTH * 4 + 8];
	size_t n, cut;

	if (!cmd || !*cmd) {
		snprintf(buf, CMD_WIDTH + 1, "-");
		return buf;
	}
	fmt_name(full, sizeof(full), cmd, true);
	n = strlen(full);
	if (n <= CMD_WIDTH) {
		memcpy(buf, full, n + 1);
		return buf;
	}
	/* "..." at the end; never half of a \ooo escape before it */
	cut = CMD_WIDTH - 3;
	for (n = cut > 3 ? cut - 3 : 0; n < cut; n++)
		if (full[n] == '\\')
			cut = n;
	memcpy(buf, full, cut);
	memcpy(buf + cut, "...", 4);
	return buf;
}

static void text_header(FILE *out, struct model *m, const struct output_opts *o)
{
	const struct status *st = &m->snap.st;
	char when[64], b1[FMT_MAX], b2[FMT_MAX], b3[FMT_MAX];
	time_t t = (time_t)m->snap.wall;
	struct tm tm;
	unsigned int i;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "anontop %s  %s  sample %lu", o->version, when, m->samples);
	if (m->samples > 1)
		fprintf(out, ", %.2f s after the last", m->interval);
	for (i = 0; i < m->nr_procs; i++)
		if (m->procs[i].lifetime_rates)
			break;
	if (i < m->nr_procs)
		fputs(", rates since first seen by the module", out);
	fprintf(out, ", leak rule %u highs in %g s", m->leak_highs,
		m->leak_window);
	fprintf(out, "\nanonstat %s on %s: %s, depth %" PRIu64 ", pids %s, comm %s\n",
		st->version, st->kernel[0] ? st->kernel : "?",
		st->enabled == 0 ? "disabled" : "enabled", st->depth,
		st->filter_pids[0] ? st->filter_pids : "all",
		st->filter_comm[0] ? st->filter_comm : "all");
	fprintf(out, "processes %" PRIu64 " (%" PRIu64 " exited), sites %" PRIu64
		", regions %" PRIu64 ", live %s, module memory %s\n",
		st->processes, st->processes_exited, st->sites, st->regions,
		fmt_bytes(b1, m->live_bytes), fmt_bytes(b2, st->memory_bytes));
	fprintf(out, "untracked %s", fmt_bytes(b3, m->untracked_bytes));
	for (i = 0; i < st->nr_untracked; i++)
		if (st->untracked[i].value)
			fprintf(out, " %s=%s", st->untracked[i].reason,
				fmt_bytes(b1, st->untracked[i].value));
	fprintf(out, ", drops %" PRIu64, m->drops);
	for (i = 0; i < st->nr_drops; i++)
		if (st->drops[i].value)
			fprintf(out, " %s=%" PRIu64, st->drops[i].reason,
				st->drops[i].value);
	fprintf(out, ", probe misses %" PRIu64 "\n", m->probes_missed);
	if (o->probes) {
		fprintf(out, "\n%-32s %-10s %-9s %14s %10s\n", "PROBE", "TYPE",
			"STATE", "HITS", "MISSED");
		for (i = 0; i < st->nr_probes; i++) {
			const struct status_probe *p = &st->probes[i];

			fprintf(out, "%-32s %-10s %-9s %14" PRIu64 " %10" PRIu64 "\n",
				p->symbol, p->type,
				p->attached ? "attached" : "detached", p->hits,
				p->missed);
		}
	}
}

static void text_proc(FILE *out, const struct proc_row *p)
{
	char comm[COMM_MAX * 4], b[7][FMT_MAX], cmd[CMD_WIDTH + 1];
	bool known = rates_known(p->have_rates, p->lifetime_rates);

	fprintf(out, "%7d %-16s %-6s %10s %8" PRIu64 " %11s %8s %8s %10s %10s"
		" %11s %5u %4s  %s\n",
		p->r->pid, fmt_name(comm, sizeof(comm), p->r->comm, false),
		p->r->exited ? "exited" : "live",
		fmt_bytes(b[0], p->r->c.live_bytes), p->r->c.live_regions,
		fmt_growth(b[1], known, p->growth),
		fmt_rate(b[2], known, p->maps_rate),
		fmt_rate(b[3], known, p->unmaps_rate),
		fmt_bytes(b[4], p->r->c.peak_bytes),
		fmt_bytes_opt(b[5], p->rss_anon),
		fmt_growth(b[6], true, (double)p->accum), proc_highs(p),
		p->leak ? "yes" : "no", fmt_cmd(cmd, p->cmdline));
}

/* a site's columns from SITE on (the tables' indent or PID and COMM before) */
static void text_site(FILE *out, const struct site_row *s)
{
	char b[5][FMT_MAX], addr[32];

	snprintf(addr, sizeof(addr), "0x%" PRIx64, s->r->frames[0]);
	fprintf(out, "%7" PRIu64 " %-8s %10s %8" PRIu64 " %11s %8" PRIu64 " %8" PRIu64
		" %10s %10s %11s %5u %4s  %s\n",
		s->r->id, s->r->kind, fmt_bytes(b[0], s->r->c.live_bytes),
		s->r->c.live_regions,
		fmt_growth(b[1], rates_known(s->have_rates, s->lifetime_rates),
			   s->growth),
		s->r->c.maps, s->r->c.unmaps, fmt_bytes(b[2], s->r->c.peak_bytes),
		fmt_bytes_opt(b[3], s->resident),
		fmt_growth(b[4], true, (double)s->accum), s->highs,
		s->leak ? "yes" : "no", s->info ? s->info->name : addr);
}

static void site_header(FILE *out)
{
	fprintf(out, SITE_COLS, "SITE", "KIND", "LIVE", "REGIONS", "GROWTH/s",
		"MAPS", "UNMAPS", "PEAK", "RESIDENT", "ACCUM", "HIGHS", "LEAK",
		"NAME");
}

static int text_sites(FILE *out, struct proc_row *p, const struct output_opts *o)
{
	char comm[COMM_MAX * 4];
	struct site_row **v;
	long n, i;

	n = model_select_sites(p, o->sort, o->reverse, &v);
	if (n < 0)
		return -1;
	fprintf(out, "\nsites of %d %s (%ld):\n", p->r->pid,
		fmt_name(comm, sizeof(comm), p->r->comm, false), n);
	fputs("  ", out);
	site_header(out);
	for (i = 0; i < n; i++) {
		fputs("  ", out);
		text_site(out, v[i]);
	}
	free(v);
	return 0;
}

/* -S: every site of the processes let through, one table */
static int text_all_sites(FILE *out, struct model *m, const struct output_opts *o)
{
	char comm[COMM_MAX * 4];
	struct site_row **v;
	long n, i;

	n = model_select_all_sites(m, &o->filter, o->sort, o->reverse, &v);
	if (n < 0)
		return -1;
	fprintf(out, "\nsites of all processes (%ld):\n%7s %-16s ", n, "PID",
		"COMM");
	site_header(out);
	for (i = 0; i < n; i++) {
		fprintf(out, "%7d %-16s ", v[i]->proc->r->pid,
			fmt_name(comm, sizeof(comm), v[i]->proc->r->comm, false));
		text_site(out, v[i]);
	}
	free(v);
	return 0;
}

int output_text(FILE *out, struct model *m, const struct output_opts *o)
{
	struct proc_row **v;
	long n, i;
	int ret = 0;

	text_header(out, m, o);
	if (o->all_sites) {
		ret = text_all_sites(out, m, o);
		fputc('\n', out);
		if (fflush(out) || ferror(out))
			return -1;
		return ret;
	}
	n = model_select_procs(m, &o->filter, o->sort, o->reverse, &v);
	if (n < 0)
		return -1;
	fprintf(out, "\n" PROC_HEADER, "PID", "COMM", "STATE", "LIVE", "REGIONS",
		"GROWTH/s", "MAPS/s", "UNMAPS/s", "PEAK", "RSSANON", "ACCUM",
		"HIGHS", "LEAK", "CMD");
	for (i = 0; i < n; i++)
		text_proc(out, v[i]);
	for (i = 0; o->sites && i < n && !ret; i++)
		ret = text_sites(out, v[i], o);
	free(v);
	fputc('\n', out);
	if (fflush(out) || ferror(out))
		return -1;
	return ret;
}

/* ---- JSON ---- */

void json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n = utf8_seq_len(s);

		if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s++);
		} else if (n) {
			fwrite(s, 1, n, out);
			s += n;
		} else {
			/* not UTF-8: keep the byte as a code point */
			fprintf(out, "\\u%04x", *s++);
		}
	}
	fputc('"', out);
}

static void json_rate(FILE *out, const char *key, bool known, double v)
{
	if (known && isfinite(v))
		fprintf(out, ",\"%s\":%.1f", key, v);
	else
		fprintf(out, ",\"%s\":null", key);
}

static void json_opt(FILE *out, const char *key, int64_t v)
{
	if (v >= 0)
		fprintf(out, ",\"%s\":%" PRId64, key, v);
	else
		fprintf(out, ",\"%s\":null", key);
}

/* a string that may be unknown: null */
static void json_string_opt(FILE *out, const char *key, const char *v)
{
	fprintf(out, ",\"%s\":", key);
	if (v)
		json_string(out, v);
	else
		fputs("null", out);
}

/* accum_bytes, highs, lifetime_rates: the leak columns */
static void json_leak(FILE *out, int64_t accum, unsigned int highs,
		      bool lifetime_rates)
{
	fprintf(out, ",\"accum_bytes\":%" PRId64 ",\"highs\":%u"
		",\"lifetime_rates\":%s", accum, highs,
		lifetime_rates ? "true" : "false");
}

static void json_counts(FILE *out, const struct counts *c)
{
	fprintf(out, ",\"maps\":%" PRIu64 ",\"unmaps\":%" PRIu64
		",\"bytes_mapped\":%" PRIu64 ",\"bytes_unmapped\":%" PRIu64
		",\"live_regions\":%" PRIu64 ",\"live_bytes\":%" PRIu64
		",\"peak_bytes\":%" PRIu64 ",\"first_ns\":%" PRIu64
		",\"last_ns\":%" PRIu64,
		c->maps, c->unmaps, c->bytes_mapped, c->bytes_unmapped,
		c->live_regions, c->live_bytes, c->peak_bytes, c->first_ns,
		c->last_ns);
}

static void json_frame(FILE *out, const struct site_row *s, unsigned int i)
{
	const struct sym_frame *f = s->info ? &s->info->frames[i] : NULL;

	fprintf(out, "%s{\"addr\":\"0x%" PRIx64 "\",\"module\":", i ? "," : "",
		s->r->frames[i]);
	if (f && f->module)
		json_string(out, f->module);
	else
		fputs("null", out);
	fputs(",\"symbol\":", out);
	if (f && f->symbol)
		json_string(out, f->symbol);
	else
		fputs("null", out);
	fprintf(out, ",\"offset\":%" PRIu64 "}", f ? f->offset : 0);
}

/* @owner: the node-wide list, where each site names its process */
static void json_site(FILE *out, const struct site_row *s, bool first,
		      bool owner)
{
	bool known = rates_known(s->have_rates, s->lifetime_rates);
	unsigned int i;

	fputs(first ? "{" : ",{", out);
	if (owner) {
		fprintf(out, "\"pid\":%d,\"comm\":", s->proc->r->pid);
		json_string(out, s->proc->r->comm);
		fputc(',', out);
	}
	fprintf(out, "\"id\":%" PRIu64 ",\"kind\":", s->r->id);
	json_string(out, s->r->kind);
	fputs(",\"origin\":", out);
	json_string(out, s->r->origin);
	json_counts(out, &s->r->c);
	json_opt(out, "resident_bytes", s->resident);
	json_rate(out, "growth_bytes_per_s", known, s->growth);
	json_rate(out, "maps_per_s", known, s->maps_rate);
	json_rate(out, "unmaps_per_s", known, s->unmaps_rate);
	json_leak(out, s->accum, s->highs, s->lifetime_rates);
	fprintf(out, ",\"grown_samples\":%u,\"leak_suspect\":%s,\"name\":",
		s->streak, s->leak ? "true" : "false");
	if (s->info)
		json_string(out, s->info->name);
	else
		fputs("null", out);
	/* the frame the name is (none for the kernel's sites) */
	if (s->info && s->info->name_frame >= 0)
		fprintf(out, ",\"name_frame\":%d", s->info->name_frame);
	else
		fputs(",\"name_frame\":null", out);
	fputs(",\"frames\":[", out);
	for (i = 0; i < s->r->nr_frames; i++)
		json_frame(out, s, i);
	fputs("]}", out);
}

static int json_proc(FILE *out, struct proc_row *p, const struct output_opts *o,
		     bool first)
{
	bool known = rates_known(p->have_rates, p->lifetime_rates);
	struct site_row **v;
	long n, i;

	fprintf(out, "%s{\"pid\":%d,\"comm\":", first ? "" : ",", p->r->pid);
	json_string(out, p->r->comm);
	json_string_opt(out, "cmdline", p->cmdline);
	json_string_opt(out, "user", p->user);
	json_string_opt(out, "cgroup", p->cgroup);
	json_string_opt(out, "container", p->container);
	fprintf(out, ",\"state\":\"%s\",\"exited\":%s",
		p->r->exited ? "exited" : "live",
		p->r->exited ? "true" : "false");
	json_counts(out, &p->r->c);
	json_rate(out, "growth_bytes_per_s", known, p->growth);
	json_rate(out, "maps_per_s", known, p->maps_rate);
	json_rate(out, "unmaps_per_s", known, p->unmaps_rate);
	json_opt(out, "rss_anon_bytes", p->rss_anon);
	json_leak(out, p->accum, proc_highs(p), p->lifetime_rates);
	fprintf(out, ",\"leak_suspect\":%s", p->leak ? "true" : "false");
	if (o->sites) {
		n = model_select_sites(p, o->sort, o->reverse, &v);
		if (n < 0)
			return -1;
		fputs(",\"sites\":[", out);
		for (i = 0; i < n; i++)
			json_site(out, v[i], i == 0, false);
		fputc(']', out);
		free(v);
	}
	fputc('}', out);
	return 0;
}

static void json_counters(FILE *out, const char *key,
			  const struct status_counter *c, unsigned int n)
{
	unsigned int i;

	fprintf(out, ",\"%s\":{", key);
	for (i = 0; i < n; i++) {
		fputs(i ? "," : "", out);
		json_string(out, c[i].reason);
		fprintf(out, ":%" PRIu64, c[i].value);
	}
	fputc('}', out);
}

int output_json(FILE *out, struct model *m, const struct output_opts *o)
{
	const struct status *st = &m->snap.st;
	struct proc_row **v;
	long n, i;
	int ret = 0;

	n = model_select_procs(m, &o->filter, o->sort, o->reverse, &v);
	if (n < 0)
		return -1;
	fprintf(out, "{\"format\":%d,\"time\":%.3f,\"sample\":%lu", JSON_FORMAT,
		m->snap.wall, m->samples);
	json_rate(out, "interval_s", m->samples > 1, m->interval);
	fprintf(out, ",\"leak_rule\":{\"window_s\":%g,\"highs\":%u}",
		m->leak_window, m->leak_highs);
	fputs(",\"module\":{\"version\":", out);
	json_string(out, st->version);
	fputs(",\"kernel\":", out);
	json_string(out, st->kernel);
	fprintf(out, ",\"enabled\":%s,\"depth\":%" PRIu64 ",\"filter_pids\":",
		st->enabled == 0 ? "false" : "true", st->depth);
	json_string(out, st->filter_pids[0] ? st->filter_pids : "all");
	fputs(",\"filter_comm\":", out);
	json_string(out, st->filter_comm[0] ? st->filter_comm : "all");
	fprintf(out, ",\"memory_bytes\":%" PRIu64 "}", st->memory_bytes);
	fprintf(out, ",\"totals\":{\"processes\":%" PRIu64
		",\"processes_exited\":%" PRIu64 ",\"threads\":%" PRIu64
		",\"sites\":%" PRIu64 ",\"regions\":%" PRIu64
		",\"live_bytes\":%" PRIu64 ",\"untracked_bytes\":%" PRIu64
		",\"drops\":%" PRIu64 ",\"probe_misses\":%" PRIu64 "}",
		st->processes, st->processes_exited, st->threads, st->sites,
		st->regions, m->live_bytes, m->untracked_bytes, m->drops,
		m->probes_missed);
	json_counters(out, "untracked", st->untracked, st->nr_untracked);
	json_counters(out, "drops", st->drops, st->nr_drops);
	fputs(",\"processes\":[", out);
	for (i = 0; i < n && !ret; i++)
		ret = json_proc(out, v[i], o, i == 0);
	fputc(']', out);
	free(v);
	if (o->all_sites && !ret) {
		struct site_row **sv;

		n = model_select_all_sites(m, &o->filter, o->sort, o->reverse,
					   &sv);
		if (n < 0)
			return -1;
		fputs(",\"sites\":[", out);
		for (i = 0; i < n; i++)
			json_site(out, sv[i], i == 0, true);
		fputc(']', out);
		free(sv);
	}
	fputs("}\n", out);
	if (fflush(out) || ferror(out))
		return -1;
	return ret;
}
