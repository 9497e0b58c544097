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

#define PROC_HEADER "%7s %-16s %-6s %10s %8s %11s %8s %8s %10s %10s\n"
#define SITE_HEADER "  %7s %-8s %10s %8s %11s %8s %8s %10s %10s %4s  %s\n"

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
	char comm[COMM_MAX * 4], b[6][FMT_MAX];

	fprintf(out, "%7d %-16s %-6s %10s %8" PRIu64 " %11s %8s %8s %10s %10s\n",
		p->r->pid, fmt_name(comm, sizeof(comm), p->r->comm, false),
		p->r->exited ? "exited" : "live",
		fmt_bytes(b[0], p->r->c.live_bytes), p->r->c.live_regions,
		fmt_growth(b[1], p->have_rates, p->growth),
		fmt_rate(b[2], p->have_rates, p->maps_rate),
		fmt_rate(b[3], p->have_rates, p->unmaps_rate),
		fmt_bytes(b[4], p->r->c.peak_bytes),
		fmt_bytes_opt(b[5], p->rss_anon));
}

static void text_site(FILE *out, const struct site_row *s)
{
	char b[4][FMT_MAX], addr[32];

	snprintf(addr, sizeof(addr), "0x%" PRIx64, s->r->frames[0]);
	fprintf(out, "  %7" PRIu64 " %-8s %10s %8" PRIu64 " %11s %8" PRIu64 " %8" PRIu64
		" %10s %10s %4s  %s\n",
		s->r->id, s->r->kind, fmt_bytes(b[0], s->r->c.live_bytes),
		s->r->c.live_regions, fmt_growth(b[1], s->have_rates, s->growth),
		s->r->c.maps, s->r->c.unmaps, fmt_bytes(b[2], s->r->c.peak_bytes),
		fmt_bytes_opt(b[3], s->resident), s->leak ? "yes" : "no",
		s->info ? s->info->name : addr);
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
	fprintf(out, SITE_HEADER, "SITE", "KIND", "LIVE", "REGIONS", "GROWTH/s",
		"MAPS", "UNMAPS", "PEAK", "RESIDENT", "LEAK", "NAME");
	for (i = 0; i < n; i++)
		text_site(out, v[i]);
	free(v);
	return 0;
}

int output_text(FILE *out, struct model *m, const struct output_opts *o)
{
	struct proc_row **v;
	long n, i;
	int ret = 0;

	n = model_select_procs(m, &o->filter, o->sort, o->reverse, &v);
	if (n < 0)
		return -1;
	text_header(out, m, o);
	fprintf(out, "\n" PROC_HEADER, "PID", "COMM", "STATE", "LIVE", "REGIONS",
		"GROWTH/s", "MAPS/s", "UNMAPS/s", "PEAK", "RSSANON");
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

static void json_site(FILE *out, const struct site_row *s, bool first)
{
	unsigned int i;

	fprintf(out, "%s{\"id\":%" PRIu64 ",\"kind\":", first ? "" : ",",
		s->r->id);
	json_string(out, s->r->kind);
	fputs(",\"origin\":", out);
	json_string(out, s->r->origin);
	json_counts(out, &s->r->c);
	json_opt(out, "resident_bytes", s->resident);
	json_rate(out, "growth_bytes_per_s", s->have_rates, s->growth);
	json_rate(out, "maps_per_s", s->have_rates, s->maps_rate);
	json_rate(out, "unmaps_per_s", s->have_rates, s->unmaps_rate);
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
	struct site_row **v;
	long n, i;

	fprintf(out, "%s{\"pid\":%d,\"comm\":", first ? "" : ",", p->r->pid);
	json_string(out, p->r->comm);
	fprintf(out, ",\"state\":\"%s\",\"exited\":%s",
		p->r->exited ? "exited" : "live",
		p->r->exited ? "true" : "false");
	json_counts(out, &p->r->c);
	json_rate(out, "growth_bytes_per_s", p->have_rates, p->growth);
	json_rate(out, "maps_per_s", p->have_rates, p->maps_rate);
	json_rate(out, "unmaps_per_s", p->have_rates, p->unmaps_rate);
	json_opt(out, "rss_anon_bytes", p->rss_anon);
	fprintf(out, ",\"leak_suspect\":%s", p->leak ? "true" : "false");
	if (o->sites) {
		n = model_select_sites(p, o->sort, o->reverse, &v);
		if (n < 0)
			return -1;
		fputs(",\"sites\":[", out);
		for (i = 0; i < n; i++)
			json_site(out, v[i], i == 0);
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
	fprintf(out, "{\"time\":%.3f,\"sample\":%lu", m->snap.wall, m->samples);
	json_rate(out, "interval_s", m->samples > 1, m->interval);
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
	fputs("]}\n", out);
	free(v);
	if (fflush(out) || ferror(out))
		return -1;
	return ret;
}
