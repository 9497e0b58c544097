// SPDX-License-Identifier: GPL-2.0
/*
 * prom.c - a sample in the Prometheus text exposition format, written
 * atomically for node_exporter's textfile collector (see prom.h).
 */
#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"

void prom_label_value(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = utf8_seq_len(s);

		if (*s == '\\' || *s == '"') {
			fputc('\\', out);
			fputc(*s++, out);
		} else if (*s == '\n') {
			fputs("\\n", out);
			s++;
		} else if (n) {
			fwrite(s, 1, n, out);
			s += n;
		} else {
			fputs("\xef\xbf\xbd", out);	/* U+FFFD */
			s++;
		}
	}
}

/* a process and its sites: the top ones, and the rest summed */
struct prom_proc {
	struct proc_row *p;
	struct site_row **sites;	/* by live bytes, largest first */
	long nr_sites, nr_top;
	struct counts other;		/* sums over sites[nr_top..] */
	int64_t other_resident;		/* -1: one of them not known */
};

enum field { F_LIVE_BYTES, F_LIVE_REGIONS, F_MAPS, F_UNMAPS, F_EXTRA, F_SITES };

struct family {
	const char *name, *type, *help;
	enum field field;
};

static const struct family proc_families[] = {
	{ "anonstat_process_live_bytes", "gauge",
	  "Bytes the process's anonymous regions hold now.", F_LIVE_BYTES },
	{ "anonstat_process_live_regions", "gauge",
	  "Anonymous regions the process holds now.", F_LIVE_REGIONS },
	{ "anonstat_process_maps_total", "counter",
	  "Anonymous regions the process created.", F_MAPS },
	{ "anonstat_process_unmaps_total", "counter",
	  "Releases of the process's anonymous regions.", F_UNMAPS },
	{ "anonstat_process_rss_anon_bytes", "gauge",
	  "RssAnon of /proc/PID/status: resident anonymous memory.", F_EXTRA },
	{ "anonstat_process_sites", "gauge",
	  "Call sites of the process (site series: only the top ones, the "
	  "rest as site=\"other\").", F_SITES },
};

static const struct family site_families[] = {
	{ "anonstat_site_live_bytes", "gauge",
	  "Bytes the call site's anonymous regions hold now.", F_LIVE_BYTES },
	{ "anonstat_site_live_regions", "gauge",
	  "Anonymous regions the call site holds now.", F_LIVE_REGIONS },
	{ "anonstat_site_maps_total", "counter",
	  "Anonymous regions the call site created.", F_MAPS },
	{ "anonstat_site_unmaps_total", "counter",
	  "Releases of the call site's anonymous regions.", F_UNMAPS },
	{ "anonstat_site_resident_bytes", "gauge",
	  "Bytes of the call site's regions resident in RAM (pagemap).",
	  F_EXTRA },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* the value of @f, or -1 when not known */
static int64_t value(enum field f, const struct counts *c, int64_t extra)
{
	switch (f) {
	case F_LIVE_BYTES:
		return (int64_t)c->live_bytes;
	case F_LIVE_REGIONS:
		return (int64_t)c->live_regions;
	case F_MAPS:
		return (int64_t)c->maps;
	case F_UNMAPS:
		return (int64_t)c->unmaps;
	default:
		return extra;
	}
}

static void family_header(FILE *out, const struct family *f)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
		f->type);
}

static void proc_labels(FILE *out, const struct proc_row *p)
{
	fprintf(out, "pid=\"%d\",comm=\"", p->r->pid);
	prom_label_value(out, p->r->comm);
	fputc('"', out);
}

static void write_procs(FILE *out, const struct prom_proc *v, size_t n)
{
	size_t i, k;

	for (k = 0; k < ARRAY_SIZE(proc_families); k++) {
		const struct family *f = &proc_families[k];

		family_header(out, f);
		for (i = 0; i < n; i++) {
			int64_t x = f->field == F_SITES ? v[i].nr_sites :
				value(f->field, &v[i].p->r->c, v[i].p->rss_anon);

			if (x < 0)
				continue;
			fprintf(out, "%s{", f->name);
			proc_labels(out, v[i].p);
			fprintf(out, "} %" PRId64 "\n", x);
		}
	}
}

static void write_sites(FILE *out, const struct prom_proc *v, size_t n)
{
	size_t i, k;
	long j;

	for (k = 0; k < ARRAY_SIZE(site_families); k++) {
		const struct family *f = &site_families[k];

		family_header(out, f);
		for (i = 0; i < n; i++) {
			for (j = 0; j < v[i].nr_top; j++) {
				const struct site_row *s = v[i].sites[j];
				int64_t x = value(f->field, &s->r->c, s->resident);
				char addr[32];

				if (x < 0)
					continue;
				snprintf(addr, sizeof(addr), "0x%" PRIx64,
					 s->r->frames[0]);
				fprintf(out, "%s{", f->name);
				proc_labels(out, v[i].p);
				fprintf(out, ",site=\"%" PRIu64 "\",kind=\"",
					s->r->id);
				prom_label_value(out, s->r->kind);
				fputs("\",name=\"", out);
				prom_label_value(out, s->info ? s->info->name : addr);
				fprintf(out, "\"} %" PRId64 "\n", x);
			}
			if (v[i].nr_top < v[i].nr_sites) {
				int64_t x = value(f->field, &v[i].other,
						  v[i].other_resident);

				if (x < 0)
					continue;
				fprintf(out, "%s{", f->name);
				proc_labels(out, v[i].p);
				fprintf(out, ",site=\"other\",kind=\"other\","
					"name=\"other\"} %" PRId64 "\n", x);
			}
		}
	}
}

static void write_module(FILE *out, const struct model *m)
{
	const struct status *st = &m->snap.st;
	unsigned int i;

	if (st->enabled >= 0)
		fprintf(out, "# HELP anonstat_enabled Whether the module's probes "
			"are armed.\n# TYPE anonstat_enabled gauge\n"
			"anonstat_enabled %d\n", st->enabled);
	fprintf(out, "# HELP anonstat_module_memory_bytes Memory the module "
		"holds for its tables.\n"
		"# TYPE anonstat_module_memory_bytes gauge\n"
		"anonstat_module_memory_bytes %" PRIu64 "\n", st->memory_bytes);
	fputs("# HELP anonstat_drops_total Regions the module did not track "
	      "or lost, by reason.\n# TYPE anonstat_drops_total counter\n", out);
	for (i = 0; i < st->nr_drops; i++) {
		fputs("anonstat_drops_total{reason=\"", out);
		prom_label_value(out, st->drops[i].reason);
		fprintf(out, "\"} %" PRIu64 "\n", st->drops[i].value);
	}
	/* modules that seed every process report none (debugfs-format.md) */
	if (!st->nr_untracked)
		return;
	fputs("# HELP anonstat_untracked_bytes_total Anonymous bytes released "
	      "that no tracked region held, by the call that released them.\n"
	      "# TYPE anonstat_untracked_bytes_total counter\n", out);
	for (i = 0; i < st->nr_untracked; i++) {
		fputs("anonstat_untracked_bytes_total{reason=\"", out);
		prom_label_value(out, st->untracked[i].reason);
		fprintf(out, "\"} %" PRIu64 "\n", st->untracked[i].value);
	}
}

static void split_sites(struct prom_proc *pp, unsigned int top)
{
	long j;

	pp->nr_top = pp->nr_sites < (long)top ? pp->nr_sites : (long)top;
	memset(&pp->other, 0, sizeof(pp->other));
	pp->other_resident = 0;
	for (j = pp->nr_top; j < pp->nr_sites; j++) {
		const struct site_row *s = pp->sites[j];

		pp->other.live_bytes += s->r->c.live_bytes;
		pp->other.live_regions += s->r->c.live_regions;
		pp->other.maps += s->r->c.maps;
		pp->other.unmaps += s->r->c.unmaps;
		if (s->resident < 0 || pp->other_resident < 0)
			pp->other_resident = -1;
		else
			pp->other_resident += s->resident;
	}
}

int prom_write(FILE *out, struct model *m, const struct prom_opts *o)
{
	struct proc_row **procs;
	struct prom_proc *v;
	long n, i;
	size_t nr = 0;
	int ret = 0;

	n = model_select_procs(m, &o->filter, SORT_PID, false, &procs);
	if (n < 0)
		return -1;
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		free(procs);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct prom_proc *pp = &v[nr];

		if (procs[i]->r->exited)
			continue;
		pp->p = procs[i];
		pp->nr_sites = model_select_sites(pp->p, SORT_LIVE, false,
						  &pp->sites);
		if (pp->nr_sites < 0) {
			ret = -1;
			goto out;
		}
		split_sites(pp, o->top_sites);
		nr++;
	}
	write_procs(out, v, nr);
	write_sites(out, v, nr);
	write_module(out, m);
	if (fflush(out) || ferror(out))
		ret = -1;
out:
	for (i = 0; i <= (long)nr; i++)	/* v[nr]: a failed one, or zeroes */
		free(v[i].sites);
	free(v);
	free(procs);
	return ret;
}

int prom_write_file(const char *path, struct model *m,
		    const struct prom_opts *o, char *err, size_t errsize)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
			     (int)getpid()) >= sizeof(tmp)) {
		snprintf(err, errsize, "%s: %s (errno %d)", path,
			 strerror(ENAMETOOLONG), ENAMETOOLONG);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		e = errno;
		snprintf(err, errsize, "%s: %s (errno %d)", tmp, strerror(e), e);
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		goto fail;
	}
	errno = 0;
	if (prom_write(f, m, o) || fsync(fileno(f))) {
		e = errno ? errno : EIO;
		fclose(f);
		goto fail;
	}
	if (fclose(f)) {
		e = errno;
		goto fail;
	}
	if (rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		snprintf(err, errsize, "rename %s to %s: %s (errno %d)", tmp,
			 path, strerror(e), e);
		return -1;
	}
	return 0;
fail:
	unlink(tmp);
	snprintf(err, errsize, "%s: %s (errno %d)", tmp, strerror(e), e);
	return -1;
}
