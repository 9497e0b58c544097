/* SPDX-License-Identifier: GPL-2.0 */
/*
 * anonstat_test.h - helpers shared by the guest test programs.
 *
 * - "ok PROG.CHECK" / "FAIL PROG.CHECK: why" lines written with write(2);
 * - commands to /sys/kernel/debug/anonstat/control, and the isolation every
 *   accounting test starts with (reset, pid filter) and undoes at exit;
 * - snapshots of one process's records in the procs, sites, regions and
 *   threads files, and of the status file, parsed as
 *   module/debugfs-format.md specifies them;
 * - checks over snapshots: a site's counters, a site's regions, the
 *   consistency rules of the format (sites add up to the procs line, ...);
 * - mapping helpers that fail loudly.
 *
 * Nothing here allocates memory: buffers are static, so a test can count
 * its own regions exactly without the helpers adding brk or mmap regions.
 * The helpers are not thread-safe; threads of a test must not call them.
 */
#ifndef ANONSTAT_TEST_H
#define ANONSTAT_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PAGE_SZ		4096UL
#define AS_DIR		"/sys/kernel/debug/anonstat"

/* In an expectation: do not check this field. */
#define AS_ANY		UINT64_MAX

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define AS_MAX_FRAMES	32
#define AS_COMM_MAX	64	/* an escaped comm: 15 bytes, 4 each, NUL */
#define AS_WORD_MAX	16	/* state, kind */

/*
 * A function that is a call site of its own: never inlined, cloned or
 * merged with an identical function, and its arguments never propagated
 * into it.  Maps that must share a site are made by a loop inside such a
 * function whose count is an argument: gcc -O2 unrolls short loops with
 * constant counts, which would give every iteration its own call site.
 * Test functions whose address must show up as a frame are also global,
 * so that dladdr() can name them (the programs are linked with -rdynamic).
 */
#define SITE_FN		__attribute__((noipa))

/* Default values of the settings, restored when a test ends. */
#define AS_DEFAULT_DEPTH		16
#define AS_DEFAULT_MAX_REGIONS		1000000
#define AS_DEFAULT_MAX_SITES		100000
#define AS_DEFAULT_RETAIN_EXITED	64

/* ---- output ---- */

void t_init(const char *prog);
void t_ok(const char *check);
void t_fail(const char *check, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool t_expect(bool cond, const char *check, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool t_eq(const char *check, uint64_t seen, uint64_t want);
void t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 2, 3)))
void t_fatal(const char *check, const char *fmt, ...);
int t_failures(void);
void t_add_failures(int n);
int t_exit_status(void);

/* ---- control ---- */

int ctl_send(const void *buf, size_t len);
int ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctl_must(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctl_restore(void);

enum isolation {
	ISOLATE_SELF,	/* pid filter: this process only */
	ISOLATE_ALL,	/* every process gets new regions */
};

/*
 * Default settings, the pid filter, then "reset"; ctl_restore() runs at
 * the exit() of this process (not of its children, nor after exec).
 */
void ctl_isolate(enum isolation how);
/* After an exec: this image restores the settings at exit. */
void ctl_adopt(void);

/* ---- records ---- */

struct as_counters {
	uint64_t maps, unmaps, bytes_mapped, bytes_unmapped;
	uint64_t live_regions, live_bytes, peak_bytes;
	uint64_t first_ns, last_ns;
};

struct as_proc {
	pid_t pid;
	char comm[AS_COMM_MAX];
	char state[AS_WORD_MAX];
	struct as_counters c;
};

struct as_site {
	pid_t pid;
	uint64_t id;
	char kind[AS_WORD_MAX];
	char origin[AS_WORD_MAX];	/* call, exec or preexisting (no frames) */
	struct as_counters c;
	int nframes;			/* 0 for a seeded site (frames "-") */
	uint64_t frames[AS_MAX_FRAMES];
};

struct as_region {
	pid_t pid;
	uint64_t start, end, site;
	char kind[AS_WORD_MAX];
	int inherited;
};

struct as_thread {
	pid_t pid, tid;
	char comm[AS_COMM_MAX];
	uint64_t maps, unmaps, bytes_mapped, bytes_unmapped;
};

#define SNAP_MAX_SITES		1024
#define SNAP_MAX_REGIONS	8192
#define SNAP_MAX_THREADS	256

/* One process's records, read one file after the other. */
struct as_snap {
	pid_t pid;
	bool has_proc;
	struct as_proc proc;
	int nsites, nregions, nthreads;
	struct as_site sites[SNAP_MAX_SITES];
	struct as_region regions[SNAP_MAX_REGIONS];
	struct as_thread threads[SNAP_MAX_THREADS];
};

/* Fills *s with pid's records; a read or format error is fatal. */
void snap_take(struct as_snap *s, pid_t pid);

const struct as_site *snap_site(const struct as_snap *s, uint64_t id);
const struct as_region *snap_region_at(const struct as_snap *s, uint64_t addr);
const struct as_site *snap_site_at(const struct as_snap *s, const void *addr);
const struct as_site *t_preexisting_site_at(const char *check,
					    const struct as_snap *s,
					    const void *addr);
/* The site of the region at addr; fatal if no region holds addr. */
uint64_t site_id_at(const struct as_snap *s, const void *addr);
const struct as_thread *snap_thread(const struct as_snap *s, pid_t tid);
/* How many regions of s overlap [start, end). */
int snap_regions_in(const struct as_snap *s, uint64_t start, uint64_t end);
uint64_t snap_live_bytes(const struct as_snap *s);

/* pids of the exited records of procs, in file order; returns how many */
int procs_exited(pid_t *pids, int max);

#define STATUS_MAX_LINES	256
#define STATUS_LINE_MAX		160

struct as_status {
	int n;
	char lines[STATUS_MAX_LINES][STATUS_LINE_MAX];
};

void status_read(struct as_status *st);
/* The text after "KEY " ("drop stale" is a key), or NULL. */
const char *status_get(const struct as_status *st, const char *key);
/* The number after "KEY "; fatal if absent or not a number. */
uint64_t status_num(const struct as_status *st, const char *key);
/* "KEY" of a and b differ by want (b - a), or a FAIL line. */
bool t_status_delta(const char *check, const struct as_status *a,
		    const struct as_status *b, const char *key, uint64_t want);

/* ---- checks over snapshots ---- */

struct site_expect {
	const char *kind;	/* NULL: not checked */
	uint64_t maps, unmaps, bytes_mapped, bytes_unmapped;
	uint64_t live_regions, live_bytes, peak_bytes;
};

struct range {
	uint64_t start, end;
};

/* site's counters are *e (AS_ANY fields are not checked). */
bool t_site(const char *check, const struct as_site *site,
	    const struct site_expect *e);
/* site's regions in s are exactly want[0..n), in address order. */
bool t_site_regions(const char *check, const struct as_snap *s,
		    uint64_t site, const struct range *want, int n);
/* the same, with want given as page ranges [start, end) from base */
bool t_site_pages(const char *check, const struct as_snap *s, uint64_t site,
		  const void *base, const struct range *pages, int n);
/*
 * The first rule of the format that s breaks, or NULL: per process the
 * sites' counters add up to the procs line; each site's live counters are
 * what its regions hold; regions are ordered, page-aligned, disjoint and
 * owned by a listed site of their kind; peaks are at least the live bytes.
 */
const char *snap_problem(const struct as_snap *s);
/* snap_problem(s) is NULL, or a FAIL line saying what it is. */
bool t_consistent(const char *check, const struct as_snap *s);
/* Every record's first_ns is set and no later than its last_ns. */
bool t_times(const char *check, const struct as_snap *s);
/*
 * a and b hold the same records, field for field; with procs_time false
 * the procs line's last_ns may differ (the format does not say whether a
 * call that changes no record, like the munmap of a file, updates it).
 */
bool t_same_state(const char *check, const struct as_snap *a,
		  const struct as_snap *b, bool procs_time);
/* the procs line's counters (not the times) are *e. */
bool t_proc(const char *check, const struct as_snap *s,
	    const struct site_expect *e);

/* One-line descriptions for messages (static buffers, one per call kind). */
const char *site_str(const struct as_site *site);
const char *regions_str(const struct as_snap *s, uint64_t site);

/* ---- seeded regions (origin exec and preexisting) ---- */

/* site holds regions the kernel made (origin exec or preexisting) */
bool site_seeded(const struct as_site *site);
/* The site of s of this origin and kind, or NULL (there is one at most). */
const struct as_site *snap_seeded_site(const struct as_snap *s,
				       const char *origin, const char *kind);
/* How many sites of s have this origin. */
int snap_origin_sites(const struct as_snap *s, const char *origin);
/* The regions of s whose site has this origin: how many, and their bytes. */
int snap_origin_regions(const struct as_snap *s, const char *origin,
			uint64_t *bytes);
/*
 * s is what seeding this process just left (the reset or enable before it,
 * no call since): every site has origin `origin`, no frames, no maps,
 * unmaps or bytes mapped and unmapped, a peak of its live bytes, and is the
 * only one of its kind; the procs line is their sum, with no maps either;
 * and if s is this process's, the union of its regions is the union of the
 * anonymous mappings /proc/self/maps lists except [stack].
 */
bool t_seeded(const char *check, const struct as_snap *s, const char *origin);
/*
 * The union of s's regions (s is this process's snapshot, taken with no
 * call since) is that of the anonymous mappings of /proc/self/maps except
 * [stack]: the invariant of module/debugfs-format.md.
 */
bool t_matches_maps(const char *check, const struct as_snap *s);
/*
 * e plus the counters of base's procs line (a snapshot right after the
 * reset: its seeded regions), for the fields e checks: what the procs line
 * is when the test's own calls did e and left the seeded regions alone.
 */
struct site_expect expect_plus_base(const struct site_expect *e,
				    const struct as_snap *base);
/* Every site of a that is not of origin call is in b as it was, with the
 * same regions (counters, times, frames, regions). */
bool t_seeded_unchanged(const char *check, const struct as_snap *a,
			const struct as_snap *b);

/* What one site's counters did between two snapshots (b - a). */
struct site_delta {
	int64_t maps, unmaps, bytes_mapped, bytes_unmapped;
	int64_t live_regions, live_bytes, peak_bytes;
};
/* site id in b is site id in a plus *d, field by field. */
bool t_site_delta(const char *check, const struct as_snap *a,
		  const struct as_snap *b, uint64_t id,
		  const struct site_delta *d);
/*
 * One call released [start, end) from site id, and did nothing else to it:
 * its regions in b are those of a minus [start, end), it counts one unmap
 * per region of a that overlapped the range, bytes_unmapped grows and
 * live_bytes shrinks by what they held there, which must be want_bytes;
 * maps, bytes_mapped and peak_bytes stay as they were.
 */
bool t_site_released(const char *check, const struct as_snap *a,
		     const struct as_snap *b, uint64_t id, uint64_t start,
		     uint64_t end, uint64_t want_bytes);

/* ---- address space ---- */

struct vma {
	uint64_t start, end;
	/*
	 * anonymous as module/debugfs-format.md defines it: no file (not
	 * [vdso] and the like), [heap], [anon:NAME], [anon_shmem:NAME],
	 * /dev/zero (deleted), /anon_hugepage (deleted), [stack]
	 */
	bool anon;
	bool stack;	/* the main thread's [stack], which is never a region */
};

int maps_read(struct vma *v, int max);
/* [start, end) lies in contiguous anonymous vmas of v[0..n). */
bool maps_anon_covers(const struct vma *v, int n, uint64_t start, uint64_t end);

/* ---- the oracle (oracle.c): regions against /proc/PID/maps ---- */

/*
 * A maps path that names an anonymous VMA: "" (private or brk-less
 * anonymous), "[heap]", "[anon:NAME]", "[anon_shmem:NAME]",
 * "/dev/zero (deleted)" (shared anonymous), "/anon_hugepage (deleted)"
 * (MAP_HUGETLB); not "[stack]" nor any other "[...]" pseudo mapping.
 */
bool maps_path_anon(const char *path);
/*
 * The invariant of issue 13: the union of pid's live regions (the regions
 * file) equals the union of its anonymous VMAs (/proc/PID/maps), byte for
 * byte.  Only meaningful when none of pid's system calls is in flight.
 * false with the first difference (range, which side, bytes, the VMA's
 * name) and the totals in why; also false, with why, if a file cannot be
 * read or parsed.
 */
bool as_maps_match(pid_t pid, char *why, size_t whylen);
/* The same, both unions clipped to [lo, hi). */
bool as_maps_match_in(pid_t pid, uint64_t lo, uint64_t hi, char *why,
		      size_t whylen);
/* Bytes of the two unions the last as_maps_match*() read. */
void as_maps_last_bytes(uint64_t *maps_bytes, uint64_t *regions_bytes);
/* as_maps_match*() as an ok/FAIL line. */
bool t_check_maps(const char *check, pid_t pid);
bool t_check_maps_in(const char *check, pid_t pid, const void *lo,
		     const void *hi);

/* A free, page-aligned address far from where mmap(NULL, ...) puts things. */
void *test_area(unsigned int idx);
/* MAP_FIXED_NOREPLACE private anonymous mapping; fatal unless at addr. */
void *place(void *addr, size_t len, int prot);
/* mmap(NULL, len, RW, flags | MAP_ANONYMOUS); fatal on failure. */
void *map_anon(size_t len, int flags);
void unmap(void *addr, size_t len);
/* out[i] = map_anon(len, flags) for i < n: one call site for all of them */
void map_n(char **out, int n, size_t len, int flags);
/* place() the page ranges pages[0..n) of base: one call site */
void place_n(char *base, const struct range *pages, int n, int prot);

/* The function containing addr is name (dladdr()). */
bool addr_in_function(uint64_t addr, const char *name);
/* "symbol+0xoff (object)" or "0xaddr (?)"; static buffer. */
const char *addr_str(uint64_t addr);

/* comm as the debugfs files escape it; out has AS_COMM_MAX bytes. */
void escape_comm(const char *comm, char *out);

static inline uint64_t ptr_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#endif /* ANONSTAT_TEST_H */
