// SPDX-License-Identifier: GPL-2.0
/*
 * acct_hostile_cfi.c - the unwinder against hostile call frame information,
 * and its caps (issue 14).
 *
 * A process chooses the files it maps, so it chooses the CFI the module
 * compiles into unwind tables.  This test makes copies of libhostilecfi.so
 * (built without frame pointers; hostile_map() maps through libc's mmap()
 * from an inner function) in a directory of its own under /tmp, each with
 * its CFI damaged differently (lib/cfi_damage.c: random bytes, lengths,
 * CIE pointers, FDE ranges, CFA programs, .eh_frame_hdr, PT_GNU_EH_FRAME,
 * no .eh_frame at all), dlopen()s them (distinct files: distinct tables)
 * and maps through each one twice.  Then:
 *
 *   hostile.maps            the mappings are accounted exactly: the regions
 *                           are the anonymous VMAs (/proc/PID/maps), and
 *   hostile.consistent      the records follow the format's rules;
 *   hostile.walks_ended     every call's walk ended: the status "walk"
 *                           counters grew by the number of calls, exactly;
 *   hostile.tables          unwind_objects + unwind_objects_without_cfi
 *   hostile.dropped         grew by the number of copies, exactly (the
 *                           program, libc and the loader had tables
 *                           before), and nothing was dropped;
 *   COPY.frame1             every copy's site: frame 0 is not in the copy,
 *                           frame 1 (the return address into the copy,
 *                           from libc's CFI) is;
 *   frames_are_code         every frame of every site (k >= 1: the call
 *                           instruction before it) is in an executable
 *                           mapping: nothing the damaged CFI pointed at
 *                           was kept as a frame;
 *   intact.*                the intact copy: one more table, both walks
 *                           complete, one site of 2 maps whose stack has
 *                           two frames in the copy and reaches main;
 *   no_eh_frame.*           the copy without CFI: a file without a table
 *                           (unwind_objects_without_cfi + 1), both walks
 *                           end no_cfi (its frame pointer register holds
 *                           0), two frames (libc, the copy);
 *   long_cie.bounded,       the costly copies (cfi_damage.h): 128 KiB of
 *   long_fde_hdr.bounded    CFI whose straightforward compilation runs
 *                           hundreds of millions of CFA instructions; the
 *                           calls through each (the first builds the
 *                           table) take less than BUILD_BOUND_S seconds;
 *
 * The caps, each time through a copy no walk has seen:
 *
 *   cap0_fp.*       max_unwind_mib 0, through a copy of libhostilecfi-fp.so
 *                   (frame pointers): unwind_dropped + 1, no table; its two
 *                   frames stepped over by the frame pointer (frames fp + 2:
 *                   frame 1, the return address into it, comes from libc's
 *                   CFI) and the walk completes, reaching main;
 *   cap0_nofp.*     max_unwind_mib 0, through a copy of libhostilecfi.so:
 *                   unwind_dropped + 1, the walk ends no_cfi, 2 frames;
 *   cap64_nofp.*,   max_unwind_mib 64 again, the same two copies: their
 *   cap64_fp.*      tables are built (unwind_objects + 1 each), nothing
 *                   dropped, the walks complete by CFI (frames fp + 0);
 *   depth1.*        depth 1, through a new copy: no walk (no "walk" or
 *                   "frames" counter moves, no table built), the site has
 *                   frame 0 only, in libc; depth 16 again: the next call
 *                   walks and builds its table;
 *   caps.maps       the mappings are accounted exactly.
 *
 * The kernel must log nothing (tests/vm/run fails on any Oops, WARNING,
 * KASAN or lockdep line).  Each copy's tables and walks are noted ("# ").
 *
 * usage: acct_hostile_cfi   (root, anonstat loaded; the libraries next to
 * the program)
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "anonstat_test.h"
#include "cfi_damage.h"

#define LEN		(2 * PAGE_SZ)
#define CALLS		2	/* per copy */
#define MAX_COPIES	32
#define MAX_EXEC	256
/*
 * Seconds the calls through a costly copy may take (the first builds its
 * table): 128 KiB of CFI.  A build whose work is linear in its input takes
 * milliseconds even under QEMU's TCG; the quadratic one, 4 to 40 s.
 */
#define BUILD_BOUND_S	2.0

typedef void *(*map_fn)(size_t);

struct copy {
	const char *name;
	const struct cfi_damage *damage;
	char path[PATH_MAX];
	void *handle;
	map_fn map;
	void *maps[CALLS + 1];
	int nmaps;
};

static struct as_snap snap;
static struct as_status st0, st1, st2;
static struct copy copies[MAX_COPIES + 8];
static int ncopies;
static char dir[64], lib_nofp[PATH_MAX], lib_fp[PATH_MAX];

/* ---- status ---- */

static const char *const walk_keys[] = {
	"walk complete", "walk no_cfi", "walk unreadable", "walk depth",
	"walk budget", "walk invalid",
};

/* All "walk END" counters, the ends this test knows and any other. */
static uint64_t walks(const struct as_status *st)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < st->n; i++) {
		const char *sp = strrchr(st->lines[i], ' ');

		if (!strncmp(st->lines[i], "walk ", 5) && sp)
			sum += strtoull(sp + 1, NULL, 10);
	}
	return sum;
}

static uint64_t tables(const struct as_status *st)
{
	return status_num(st, "unwind_objects") +
		status_num(st, "unwind_objects_without_cfi");
}

static uint64_t delta(const struct as_status *a, const struct as_status *b,
		      const char *key)
{
	return status_num(b, key) - status_num(a, key);
}

/* How the walks between a and b ended, and what tables they built. */
static void note_walks(const char *what, const struct as_status *a,
		       const struct as_status *b)
{
	char buf[512];
	size_t len = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(walk_keys); i++) {
		uint64_t d = delta(a, b, walk_keys[i]);

		if (d)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						" %s+%" PRIu64, walk_keys[i] + 5, d);
	}
	t_note("%s: walks%s; frames cfi +%" PRIu64 " fp +%" PRIu64
	       "; unwind_objects +%" PRIu64 " without_cfi +%" PRIu64
	       " dropped +%" PRIu64 " bytes +%" PRIu64, what, len ? buf : " none",
	       delta(a, b, "frames cfi"), delta(a, b, "frames fp"),
	       delta(a, b, "unwind_objects"),
	       delta(a, b, "unwind_objects_without_cfi"),
	       delta(a, b, "unwind_dropped"), delta(a, b, "unwind_bytes"));
}

/* ---- the copies ---- */

static void lib_paths(void)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		t_fatal("setup", "readlink /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	if (snprintf(lib_nofp, sizeof(lib_nofp), "%s/libhostilecfi.so", exe) >=
	    (int)sizeof(lib_nofp) ||
	    snprintf(lib_fp, sizeof(lib_fp), "%s/libhostilecfi-fp.so", exe) >=
	    (int)sizeof(lib_fp))
		t_fatal("setup", "%s: path too long", exe);
	snprintf(dir, sizeof(dir), "/tmp/acct_hostile_cfi.%d", (int)getpid());
	if (mkdir(dir, 0700))
		t_fatal("setup", "mkdir %s: %s", dir, strerror(errno));
}

static struct copy *make_copy(const char *src, const char *name,
			      const struct cfi_damage *d)
{
	struct copy *c = &copies[ncopies++];
	char why[512];

	c->name = name;
	c->damage = d;
	if (snprintf(c->path, sizeof(c->path), "%s/%02d-%s.so", dir, ncopies,
		     name) >= (int)sizeof(c->path))
		t_fatal("setup", "%s: path too long", dir);
	if (cfi_damaged_copy(src, c->path, d, why, sizeof(why)))
		t_fatal("setup", "copy of %s as %s: %s", src, name, why);
	return c;
}

/* dlopen() maps the copy (and its .bss: a walk from the loader's mmap()). */
static void load_copy(struct copy *c)
{
	c->handle = dlopen(c->path, RTLD_NOW | RTLD_LOCAL);
	if (!c->handle)
		t_fatal("setup", "dlopen %s: %s", c->path, dlerror());
	c->map = (map_fn)dlsym(c->handle, "hostile_map");
	if (!c->map)
		t_fatal("setup", "%s: no hostile_map: %s", c->path, dlerror());
}

SITE_FN void *call_through(map_fn map, size_t len)
{
	void *p = map(len);

	if (!p)
		t_fatal("map", "hostile_map(%zu): %s", len, strerror(errno));
	return p;
}

/* n calls from one place: one site, when the walks find the same frames */
SITE_FN void call_copy(struct copy *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		c->maps[c->nmaps++] = call_through(c->map, LEN);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- frames ---- */

static bool in_file(uint64_t addr, const char *path)
{
	Dl_info info;

	return dladdr((void *)(uintptr_t)addr, &info) && info.dli_fname &&
		!strcmp(info.dli_fname, path);
}

static bool reaches(const struct as_site *site, const char *fn)
{
	int i;

	for (i = 0; i < site->nframes; i++)
		if (addr_in_function(site->frames[i], fn))
			return true;
	return false;
}

static int frames_in_file(const struct as_site *site, const char *path)
{
	int i, n = 0;

	for (i = 0; i < site->nframes; i++)
		n += in_file(site->frames[i], path);
	return n;
}

static struct { uint64_t start, end; } exec_maps[MAX_EXEC];
static int nexec;
static char maps_buf[1 << 20];

/* The executable mappings of this process. */
static void read_exec_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	char *line, *save;

	if (fd < 0)
		t_fatal("maps", "open /proc/self/maps: %s", strerror(errno));
	for (;;) {
		ssize_t n = read(fd, maps_buf + len, sizeof(maps_buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			t_fatal("maps", "read /proc/self/maps: %s", strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	maps_buf[len] = '\0';
	nexec = 0;
	for (line = strtok_r(maps_buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, end;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) != 3)
			t_fatal("maps", "bad line '%s'", line);
		if (perms[2] != 'x')
			continue;
		if (nexec == MAX_EXEC)
			t_fatal("maps", "more than %d executable mappings", MAX_EXEC);
		exec_maps[nexec].start = start;
		exec_maps[nexec].end = end;
		nexec++;
	}
}

static bool is_code(uint64_t addr)
{
	int i;

	for (i = 0; i < nexec; i++)
		if (exec_maps[i].start <= addr && addr < exec_maps[i].end)
			return true;
	return false;
}

/* The site of the region at p, or a FAIL line for check. */
static const struct as_site *site_of(const char *check, const void *p)
{
	const struct as_site *site = snap_site_at(&snap, p);

	t_expect(site != NULL, check, "no site holds the mapping at %p", p);
	return site;
}

static void note_site(const char *what, const struct as_site *site)
{
	int i;

	t_note("%s: %s", what, site_str(site));
	for (i = 0; i < site->nframes; i++)
		t_note("  frame %d: %s", i, addr_str(site->frames[i]));
}

/* ---- part 1: hostile CFI ---- */

static void check_copy_sites(void)
{
	char check[128];
	int i, j, k, bad = 0;

	read_exec_maps();
	for (i = 0; i < ncopies; i++) {
		struct copy *c = &copies[i];

		for (j = 0; j < c->nmaps; j++) {
			const struct as_site *site;

			snprintf(check, sizeof(check), "%s.frame1", c->name);
			site = snap_site_at(&snap, c->maps[j]);
			/* a FAIL line for the first call, an ok line for the last */
			if (!site) {
				t_fail(check, "call %d: no site holds the mapping at %p",
				       j, c->maps[j]);
				break;
			}
			if (site->nframes < 2 || in_file(site->frames[0], c->path) ||
			    !in_file(site->frames[1], c->path)) {
				t_fail(check, "call %d: frame 0 not in libc or frame 1 "
				       "not in %s: %s", j, c->path, site_str(site));
				note_site(c->name, site);
				break;
			}
			for (k = 1; k < site->nframes; k++) {
				if (!is_code(site->frames[k] - 1)) {
					bad++;
					t_note("%s call %d: frame %d %#" PRIx64
					       " is in no executable mapping",
					       c->name, j, k, site->frames[k]);
				}
			}
			if (j == c->nmaps - 1)
				t_ok(check);
		}
	}
	t_expect(!bad, "frames_are_code", "%d frames outside executable mappings", bad);
}

static void hostile(void)
{
	struct copy *intact, *none;
	const struct as_site *site;
	int i, first = ncopies, calls = 0;

	intact = make_copy(lib_nofp, "intact", &cfi_damages[0]);
	none = make_copy(lib_nofp, "no_eh_frame", &cfi_damages[1]);
	for (i = 2; i < cfi_ndamages; i++)
		make_copy(lib_nofp, cfi_damages[i].name, &cfi_damages[i]);
	for (i = first; i < ncopies; i++)
		load_copy(&copies[i]);

	/* from here on no call but the copies' makes a region */
	status_read(&st0);
	st1 = st0;
	for (i = first; i < ncopies; i++) {
		struct copy *c = &copies[i];
		char check[128];
		double t0 = now(), t1;

		call_copy(c, CALLS);
		t1 = now();
		calls += CALLS;
		status_read(&st2);
		note_walks(c->name, &st1, &st2);
		if (c->damage->costly) {
			t_note("%s: the calls took %.2f s", c->name, t1 - t0);
			snprintf(check, sizeof(check), "%s.bounded", c->name);
			t_expect(t1 - t0 < BUILD_BOUND_S, check, "the calls (the first "
				 "builds the table) took %.1f s, want less than %.0f s",
				 t1 - t0, BUILD_BOUND_S);
		}
		if (c == intact) {
			t_eq("intact.table", delta(&st1, &st2, "unwind_objects"), 1);
			t_eq("intact.complete", delta(&st1, &st2, "walk complete"), CALLS);
		} else if (c == none) {
			t_eq("no_eh_frame.no_table",
			     delta(&st1, &st2, "unwind_objects_without_cfi"), 1);
			t_eq("no_eh_frame.table", delta(&st1, &st2, "unwind_objects"), 0);
			t_eq("no_eh_frame.no_cfi", delta(&st1, &st2, "walk no_cfi"), CALLS);
		}
		st1 = st2;
	}
	t_eq("hostile.walks_ended", walks(&st2) - walks(&st0), (uint64_t)calls);
	t_eq("hostile.tables", tables(&st2) - tables(&st0),
	     (uint64_t)(ncopies - first));
	t_eq("hostile.dropped", delta(&st0, &st2, "unwind_dropped"), 0);
	t_check_maps("hostile.maps", getpid());

	snap_take(&snap, getpid());
	t_consistent("hostile.consistent", &snap);
	check_copy_sites();
	site = site_of("intact.site", intact->maps[0]);
	if (site) {
		note_site("intact", site);
		t_expect(site == snap_site_at(&snap, intact->maps[1]) &&
			 site->c.maps == CALLS && site->c.live_bytes == CALLS * LEN,
			 "intact.site", "the calls are not one site of %d maps: %s",
			 CALLS, site_str(site));
		t_eq("intact.frames_in_copy", frames_in_file(site, intact->path), 2);
		t_expect(reaches(site, "main"), "intact.reaches_main",
			 "no frame in main: %s", site_str(site));
	}
	site = site_of("no_eh_frame.site", none->maps[0]);
	if (site) {
		note_site("no_eh_frame", site);
		t_eq("no_eh_frame.frames", (uint64_t)site->nframes, 2);
	}
}

/* ---- part 2: the caps ---- */

/* One call through c, between two reads of status; its site. */
static const struct as_site *one_call(const char *what, struct copy *c)
{
	const struct as_site *site;

	status_read(&st1);
	call_copy(c, 1);
	status_read(&st2);
	note_walks(what, &st1, &st2);
	snap_take(&snap, getpid());
	site = snap_site_at(&snap, c->maps[c->nmaps - 1]);
	if (!site)
		t_fatal(what, "no site holds the mapping at %p", c->maps[c->nmaps - 1]);
	note_site(what, site);
	return site;
}

static void check(const char *what, const char *key, uint64_t want)
{
	char name[128];
	const char *k = strchr(key, ' ');

	snprintf(name, sizeof(name), "%s.%s", what, k ? k + 1 : key);
	t_status_delta(name, &st1, &st2, key, want);
}

static void caps(void)
{
	struct copy *fp, *nofp, *d1;
	const struct as_site *site;
	char check_name[128];

	fp = make_copy(lib_fp, "cap_fp", &cfi_damages[0]);
	nofp = make_copy(lib_nofp, "cap_nofp", &cfi_damages[0]);
	d1 = make_copy(lib_nofp, "depth1", &cfi_damages[0]);
	load_copy(fp);
	load_copy(nofp);
	load_copy(d1);

	ctl_must("max_unwind_mib 0");
	site = one_call("cap0_fp", fp);
	check("cap0_fp", "unwind_dropped", 1);
	check("cap0_fp", "unwind_objects", 0);
	check("cap0_fp", "unwind_objects_without_cfi", 0);
	check("cap0_fp", "frames fp", 2);
	check("cap0_fp", "walk complete", 1);
	t_eq("cap0_fp.walks", walks(&st2) - walks(&st1), 1);
	t_eq("cap0_fp.frames_in_copy", frames_in_file(site, fp->path), 2);
	t_expect(reaches(site, "call_through") && reaches(site, "main"),
		 "cap0_fp.reaches_main", "no frame in call_through or main: %s",
		 site_str(site));

	site = one_call("cap0_nofp", nofp);
	check("cap0_nofp", "unwind_dropped", 1);
	check("cap0_nofp", "unwind_objects", 0);
	check("cap0_nofp", "unwind_objects_without_cfi", 0);
	check("cap0_nofp", "frames fp", 0);
	check("cap0_nofp", "walk no_cfi", 1);
	t_eq("cap0_nofp.walks", walks(&st2) - walks(&st1), 1);
	t_eq("cap0_nofp.frames", (uint64_t)site->nframes, 2);
	t_expect(in_file(site->frames[1], nofp->path), "cap0_nofp.frame1",
		 "frame 1 not in %s: %s", nofp->path, site_str(site));

	ctl_must("max_unwind_mib 64");
	site = one_call("cap64_nofp", nofp);
	check("cap64_nofp", "unwind_dropped", 0);
	check("cap64_nofp", "unwind_objects", 1);
	check("cap64_nofp", "frames fp", 0);
	check("cap64_nofp", "walk complete", 1);
	t_eq("cap64_nofp.frames_in_copy", frames_in_file(site, nofp->path), 2);
	t_expect(reaches(site, "main"), "cap64_nofp.reaches_main",
		 "no frame in main: %s", site_str(site));
	site = one_call("cap64_fp", fp);
	check("cap64_fp", "unwind_dropped", 0);
	check("cap64_fp", "unwind_objects", 1);
	check("cap64_fp", "frames fp", 0);
	check("cap64_fp", "walk complete", 1);
	t_expect(reaches(site, "main"), "cap64_fp.reaches_main",
		 "no frame in main: %s", site_str(site));

	ctl_must("depth 1");
	site = one_call("depth1", d1);
	t_eq("depth1.walks", walks(&st2) - walks(&st1), 0);
	check("depth1", "frames cfi", 0);
	check("depth1", "frames fp", 0);
	t_eq("depth1.tables", tables(&st2) - tables(&st1), 0);
	check("depth1", "unwind_dropped", 0);
	snprintf(check_name, sizeof(check_name), "depth1.frame0_only");
	t_expect(site->nframes == 1 && !in_file(site->frames[0], d1->path),
		 check_name, "want frame 0 only, in libc: %s", site_str(site));
	ctl_must("depth %d", AS_DEFAULT_DEPTH);
	site = one_call("depth16", d1);
	check("depth16", "unwind_objects", 1);
	check("depth16", "walk complete", 1);
	t_expect(reaches(site, "main"), "depth16.reaches_main",
		 "no frame in main: %s", site_str(site));
	t_check_maps("caps.maps", getpid());
}

static void cleanup(void)
{
	int i, j;

	for (i = 0; i < ncopies; i++) {
		struct copy *c = &copies[i];

		for (j = 0; j < c->nmaps; j++)
			unmap(c->maps[j], LEN);
		if (dlclose(c->handle))
			t_fail("cleanup", "dlclose %s: %s", c->path, dlerror());
		if (unlink(c->path))
			t_fail("cleanup", "unlink %s: %s", c->path, strerror(errno));
	}
	if (rmdir(dir))
		t_fail("cleanup", "rmdir %s: %s", dir, strerror(errno));
}

int main(void)
{
	t_init("acct_hostile_cfi");
	ctl_isolate(ISOLATE_SELF);
	ctl_must("max_unwind_mib 64");
	lib_paths();
	/* a walk through this program and libc: their tables are built */
	unmap(map_anon(PAGE_SZ, MAP_PRIVATE), PAGE_SZ);
	hostile();
	caps();
	cleanup();
	return t_exit_status();
}
