// SPDX-License-Identifier: GPL-2.0
/*
 * anonbench.c - the guest microbenchmarks of `make bench` (issue 6).
 *
 * Run in a guest booted with `tests/vm/run --icount`, where the guest clock
 * counts instructions (1 ns each): a CLOCK_MONOTONIC delta is the number of
 * guest instructions executed in between, in any context (user, kernel,
 * interrupts).  Each benchmark runs REPS repeats of OPS operations and
 * prints the median (and min, max) of the per-repeat instructions per op.
 *
 *   anonbench micro CONFIG          benchmarks 1-5 (see the op_* functions)
 *   anonbench scale CONFIG N...     6: munmap with N live regions (N ascending;
 *                                   median of all timed munmaps)
 *                                   7: read `regions` at each N (module loaded)
 *   anonbench sites CONFIG N...     7: read `sites` with N sites of this
 *                                   process (N ascending, module loaded)
 *   anonbench frames CONFIG X...    the 4 KiB mmap+munmap pair of 1 (mmap4k)
 *                                   with X extra frames below it (X noinline
 *                                   calls of a recursive function), for the
 *                                   cost of the module per frame walked
 *   anonbench first CONFIG LIB N... the first mmap through an object the
 *                                   module has not seen: N fresh copies of
 *                                   the library LIB (bench/src/firstlib.c),
 *                                   dlopened one by one, and the first and the
 *                                   second call of its mmap() caller in each
 *
 * Output, one record per line (CONFIG is only a label):
 *   bench NAME CONFIG instr_per_op MEDIAN min MIN max MAX reps R ops K
 *   read FILE N CONFIG instr_per_line X lines L bytes B
 *   status CONFIG TAG memory_bytes M regions R sites S
 *   walks NAME CONFIG walks W frames_per_walk F END N...
 *         (module loaded: the walks of benchmark NAME, by how they ended,
 *         from the `walk` and `frames` deltas of status)
 *   first LIB K CONFIG first F second S eh_frame E fdes D objects O unwind_bytes U
 *         (copy K of LIB: instructions of the first and of the second mmap
 *         through it, its .eh_frame bytes and FDEs, and the deltas of
 *         status' unwind_objects and unwind_bytes over the first call, -1
 *         when the module is not loaded)
 *
 * Regions made here are distinct mappings: neighbours alternate between
 * PROT_READ and PROT_READ|PROT_WRITE, so the kernel never merges them.
 * Environment: ANONBENCH_REPS (default 21) repeats per benchmark;
 * ANONBENCH_ONLY="NAME..." runs only these benchmarks of `micro`.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anonbench.h"

#define DEBUGFS "/sys/kernel/debug/anonstat/"
#define PAGE 4096UL
#define MAX_REPS 101

static const char *config = "?";
static const char *only;
static int reps = 21;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "anonbench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

/* guest instructions since boot (with -icount shift=0) */
static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* median, min and max of the @n values of @v */
static void report(const char *name, double *v, int n, long ops)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("bench %s %s instr_per_op %.0f min %.0f max %.0f reps %d ops %ld\n",
	       name, config, v[n / 2], v[0], v[n - 1], reps, ops);
	fflush(stdout);
}

/* REPS repeats of @fn(@ops) after one warm-up round */
static void measure(const char *name, void (*fn)(long), long ops)
{
	double v[MAX_REPS];
	size_t len = strlen(name);
	const char *o;
	int r;

	for (o = only; o && (o = strstr(o, name)); o += len) {
		if ((o == only || o[-1] == ' ') && (!o[len] || o[len] == ' '))
			break;
	}
	if (only && !o)
		return;
	fn(ops);
	for (r = 0; r < reps; r++) {
		uint64_t t0 = now();

		fn(ops);
		v[r] = (double)(now() - t0) / (double)ops;
	}
	report(name, v, reps, ops);
}

static void *map_anon(void *addr, size_t len, int prot, int flags)
{
	void *p = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (p == MAP_FAILED || (addr && p != addr))
		die("mmap %zu bytes", len);
	return p;
}

static void unmap(void *p, size_t len)
{
	if (munmap(p, len))
		die("munmap");
}

/* ---- 1-5: micro ---- */

/* 1: a 4 KiB anonymous mmap + munmap pair */
static void op_mmap4k(long n)
{
	for (long i = 0; i < n; i++)
		unmap(map_anon(NULL, PAGE, PROT_READ | PROT_WRITE, 0), PAGE);
}

/* 2: a 2 MiB anonymous mmap, one page touched, munmap */
static void op_mmap2m(long n)
{
	for (long i = 0; i < n; i++) {
		volatile char *p = map_anon(NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);

		p[0] = 1;
		unmap((void *)p, 2 << 20);
	}
}

/* 3: mremap grow (1 MiB -> 2 MiB) then shrink back; room is left above */
static char *mremap_base;

static void op_mremap(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = mremap(mremap_base, 1 << 20, 2 << 20, MREMAP_MAYMOVE);

		if (p == MAP_FAILED)
			die("mremap grow");
		mremap_base = mremap(p, 2 << 20, 1 << 20, 0);
		if (mremap_base == MAP_FAILED)
			die("mremap shrink");
	}
}

/* 4: brk grow by 64 KiB then shrink back */
static void op_brk(long n)
{
	for (long i = 0; i < n; i++) {
		if (sbrk(64 << 10) == (void *)-1 || sbrk(-(64 << 10)) == (void *)-1)
			die("sbrk");
	}
}

/* 5: fork + child exit (+ wait), in a process holding the regions below */
static void op_fork(long n)
{
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
	}
}

/* ---- live regions: 4 KiB each, neighbours with different protections ---- */

static char **regions;
static long nr_regions, max_regions;

static int region_prot(long i)
{
	return (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE;
}

static void regions_grow(long n)
{
	if (!regions) {
		max_regions = n;
		regions = map_anon(NULL, n * sizeof(*regions), PROT_READ | PROT_WRITE, 0);
	}
	if (n > max_regions) {
		regions = mremap(regions, max_regions * sizeof(*regions),
				 n * sizeof(*regions), MREMAP_MAYMOVE);
		if (regions == MAP_FAILED)
			die("mremap table");
		max_regions = n;
	}
	for (; nr_regions < n; nr_regions++)
		regions[nr_regions] = map_anon(NULL, PAGE, region_prot(nr_regions), 0);
}

/* ---- anonstat's debugfs files ---- */

static int module_loaded(void)
{
	return access(DEBUGFS "status", R_OK) == 0;
}

/* the value of status record @key, -1 if none */
static long status_value(const char *status, const char *key)
{
	size_t len = strlen(key);
	const char *s;

	for (s = status; s; s = strchr(s, '\n')) {
		if (*s == '\n')
			s++;
		if (!strncmp(s, key, len) && s[len] == ' ')
			return atol(s + len + 1);
	}
	return -1;
}

static char read_buf[1 << 20];

/* read a whole debugfs file; returns the guest instructions spent in read() */
static uint64_t read_file(const char *name, long *lines, long *bytes)
{
	char path[256];
	uint64_t spent = 0;
	int fd;

	snprintf(path, sizeof(path), DEBUGFS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open %s", path);
	*lines = 0;
	*bytes = 0;
	for (;;) {
		uint64_t t0 = now();
		ssize_t n = read(fd, read_buf, sizeof(read_buf));

		spent += now() - t0;
		if (n < 0)
			die("read %s", path);
		if (n == 0)
			break;
		*bytes += n;
		for (char *c = read_buf; (c = memchr(c, '\n', read_buf + n - c)); c++)
			(*lines)++;
	}
	close(fd);
	return spent;
}

static void print_status(const char *tag)
{
	long lines, bytes;

	read_file("status", &lines, &bytes);
	read_buf[bytes < (long)sizeof(read_buf) ? bytes : (long)sizeof(read_buf) - 1] = 0;
	printf("status %s %s memory_bytes %ld regions %ld sites %ld\n", config, tag,
	       status_value(read_buf, "memory_bytes"),
	       status_value(read_buf, "regions"), status_value(read_buf, "sites"));
	fflush(stdout);
}

/* instructions per line of reading @name (the header line excluded) */
static void print_read(const char *name, long n)
{
	long lines, bytes;
	uint64_t spent = read_file(name, &lines, &bytes);

	lines--;
	printf("read %s %ld %s instr_per_line %.0f lines %ld bytes %ld\n", name, n,
	       config, lines > 0 ? (double)spent / (double)lines : 0.0, lines, bytes);
	fflush(stdout);
}

/* ---- 6: munmap with N live regions ---- */

/* instructions of an empty now()..now() interval */
static uint64_t clock_overhead(void)
{
	double v[MAX_REPS];

	for (int i = 0; i < MAX_REPS; i++) {
		uint64_t t0 = now();

		v[i] = (double)(now() - t0);
	}
	qsort(v, MAX_REPS, sizeof(*v), cmp_double);
	return (uint64_t)v[MAX_REPS / 2];
}

/*
 * Unmap OPS regions spread over all of them, each timed alone, and map each
 * back at once (untimed) so that N stays as it is.  Reported: the median of
 * all REPS x OPS timed munmaps (deferred work such as RCU callbacks lands on
 * a few of them at random and makes per-repeat means noisy at 1M regions).
 */
static void measure_munmap(long n)
{
	enum { OPS = 1000 };
	static double v[MAX_REPS * OPS];
	uint64_t overhead = clock_overhead();
	long nv = 0;
	char name[64];

	for (int r = -1; r < reps; r++) {
		for (long j = 0; j < OPS; j++) {
			long i = (j * (n / OPS) + (r + 1) * 7) % n;
			uint64_t t0 = now(), t;

			unmap(regions[i], PAGE);
			t = now() - t0;
			map_anon(regions[i], PAGE, region_prot(i), MAP_FIXED_NOREPLACE);
			if (r >= 0)
				v[nv++] = (double)(t > overhead ? t - overhead : 0);
		}
	}
	snprintf(name, sizeof(name), "munmap_%ld", n);
	report(name, v, nv, OPS);
}

static void scale(int argc, char **argv)
{
	for (int a = 0; a < argc; a++) {
		long n = atol(argv[a]);

		if (n < 100 || n <= nr_regions) {
			errno = EINVAL;
			die("scale: sizes must be ascending and >= 100");
		}
		regions_grow(n);
		measure_munmap(n);
		if (module_loaded()) {
			print_status("regions");
			print_read("regions", n);
		}
	}
}

/* ---- 7: sites ---- */

static void sites(int argc, char **argv)
{
	long made = 0;

	if (!module_loaded()) {
		errno = ENOENT;
		die("sites: anonstat is not loaded");
	}
	print_status("sites_base");
	for (int a = 0; a < argc; a++) {
		long n = atol(argv[a]);

		if (n <= made || n > (long)anonbench_nr_sites) {
			errno = EINVAL;
			die("sites: sizes must be ascending, at most %lu",
			    anonbench_nr_sites);
		}
		for (; made < n; made++) {
			void *p = anonbench_site_fns[made](NULL, PAGE, PROT_READ,
							   MAP_PRIVATE | MAP_ANONYMOUS,
							   -1, 0);
			if (p == MAP_FAILED)
				die("mmap from site %ld", made);
			unmap(p, PAGE);
		}
		print_status("sites");
		print_read("sites", n);
	}
}

/* ---- the module's walks, from status ---- */

static const char *const walk_ends[] = {
	"complete", "no_cfi", "unreadable", "depth", "budget", "invalid",
};
#define NR_WALK_ENDS (sizeof(walk_ends) / sizeof(walk_ends[0]))

struct walk_stats {
	long ends[NR_WALK_ENDS];
	long frames;		/* found after frame 0, by CFI or frame pointer */
	long objects;		/* unwind_objects */
	long bytes;		/* unwind_bytes */
};

/*
 * Number @field of the status line that starts with @key: the number right
 * after @key when @field is NULL, else the one after the word @field on
 * that line; -1 if none.
 */
static long status_field(const char *status, const char *key, const char *field)
{
	size_t len = strlen(key), flen = field ? strlen(field) : 0;
	const char *s, *end, *f;

	for (s = status; s && *s; s = end ? end + 1 : NULL) {
		end = strchr(s, '\n');
		if (strncmp(s, key, len) || s[len] != ' ')
			continue;
		if (!field)
			return atol(s + len + 1);
		for (f = s + len; (f = strstr(f, field)) && (!end || f < end); f++) {
			if (f[-1] == ' ' && f[flen] == ' ')
				return atol(f + flen + 1);
		}
	}
	return -1;
}

/*
 * The walk and unwind-table counters of status.  Parsed leniently: one
 * record per counter (`walk complete N`, `frames cfi N`, `unwind_objects N`,
 * `unwind_bytes N`) or the grouped lines (`unwind walks complete N ...`,
 * `unwind objects N bytes N ...`).
 */
static void walk_stats(struct walk_stats *w)
{
	long lines, bytes, v;
	char key[64];

	read_file("status", &lines, &bytes);
	read_buf[bytes < (long)sizeof(read_buf) ? bytes : (long)sizeof(read_buf) - 1] = 0;
	for (size_t i = 0; i < NR_WALK_ENDS; i++) {
		snprintf(key, sizeof(key), "walk %s", walk_ends[i]);
		v = status_field(read_buf, key, NULL);
		w->ends[i] = v >= 0 ? v : status_field(read_buf, "unwind walks", walk_ends[i]);
	}
	w->frames = 0;
	if ((v = status_field(read_buf, "frames cfi", NULL)) > 0)
		w->frames += v;
	if ((v = status_field(read_buf, "frames fp", NULL)) > 0)
		w->frames += v;
	v = status_field(read_buf, "unwind_objects", NULL);
	w->objects = v >= 0 ? v : status_field(read_buf, "unwind objects", NULL);
	v = status_field(read_buf, "unwind_bytes", NULL);
	w->bytes = v >= 0 ? v : status_field(read_buf, "unwind objects", "bytes");
}

/* the walks between @a and @b, as a `walks` record */
static void print_walks(const char *name, const struct walk_stats *a,
			const struct walk_stats *b)
{
	long walks = 0;

	for (size_t i = 0; i < NR_WALK_ENDS; i++)
		walks += b->ends[i] - a->ends[i];
	printf("walks %s %s walks %ld frames_per_walk %.2f", name, config, walks,
	       walks > 0 ? 1.0 + (double)(b->frames - a->frames) / (double)walks : 0.0);
	for (size_t i = 0; i < NR_WALK_ENDS; i++)
		printf(" %s %ld", walk_ends[i], b->ends[i] - a->ends[i]);
	printf("\n");
	fflush(stdout);
}

/* ---- 1-5: micro (continued) ---- */

static void micro(void)
{
	char *p;

	struct walk_stats a, b;
	int loaded = module_loaded();

	op_mmap4k(1);		/* stdio and the first mmap out of the way */
	if (loaded)
		walk_stats(&a);
	measure("mmap4k", op_mmap4k, 1000);
	if (loaded) {
		walk_stats(&b);
		print_walks("mmap4k", &a, &b);
	}
	measure("mmap2m", op_mmap2m, 200);
	p = map_anon(NULL, 2 << 20, PROT_READ | PROT_WRITE, 0);
	unmap(p + (1 << 20), 1 << 20);
	mremap_base = p;
	measure("mremap", op_mremap, 300);
	unmap(mremap_base, 1 << 20);
	measure("brk", op_brk, 1000);
	regions_grow(1000);
	measure("fork1k", op_fork, 4);
}

/* ---- cost per frame: mmap4k below X extra frames ---- */

static const char *frames_name;

/*
 * @n noinline calls deep, then mmap4k.  Not a tail call (the asm keeps the
 * result opaque), so every level keeps its frame.
 */
__attribute__((noinline)) static int recurse(int n)
{
	int r;

	if (n == 0) {
		measure(frames_name, op_mmap4k, 1000);
		return 0;
	}
	r = recurse(n - 1);
	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

static void frames(int argc, char **argv)
{
	struct walk_stats a, b;
	char name[64];

	op_mmap4k(1);
	for (int i = 0; i < argc; i++) {
		int x = atoi(argv[i]);

		if (x < 0 || x > 64) {
			errno = EINVAL;
			die("frames: extra frames must be 0..64");
		}
		snprintf(name, sizeof(name), "mmap4k_x%d", x);
		frames_name = name;
		if (module_loaded())
			walk_stats(&a);
		recurse(x);
		if (module_loaded()) {
			walk_stats(&b);
			print_walks(name, &a, &b);
		}
	}
}

/* ---- first sight of an object ---- */

typedef void *(*lib_map_fn)(size_t len);

/* .eh_frame bytes and FDEs (from .eh_frame_hdr) of ELF file @path, -1 if unknown */
static void eh_frame_size(const char *path, long *bytes, long *fdes)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	char *names = NULL;
	int fd = open(path, O_RDONLY);

	*bytes = *fdes = -1;
	if (fd < 0)
		die("open %s", path);
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || eh.e_shentsize != sizeof(*sh) ||
	    eh.e_shstrndx >= eh.e_shnum)
		goto out;
	sh = calloc(eh.e_shnum, sizeof(*sh));
	if (!sh || pread(fd, sh, eh.e_shnum * sizeof(*sh), eh.e_shoff) !=
		   (ssize_t)(eh.e_shnum * sizeof(*sh)))
		goto out;
	names = calloc(1, sh[eh.e_shstrndx].sh_size + 1);
	if (!names || pread(fd, names, sh[eh.e_shstrndx].sh_size,
			    sh[eh.e_shstrndx].sh_offset) != (ssize_t)sh[eh.e_shstrndx].sh_size)
		goto out;
	for (int i = 0; i < eh.e_shnum; i++) {
		const char *n = sh[i].sh_name < sh[eh.e_shstrndx].sh_size ?
				names + sh[i].sh_name : "";
		unsigned char hdr[12];

		if (!strcmp(n, ".eh_frame"))
			*bytes = (long)sh[i].sh_size;
		/* version 1, fde_count encoded as udata4 (0x03) */
		if (!strcmp(n, ".eh_frame_hdr") &&
		    pread(fd, hdr, sizeof(hdr), sh[i].sh_offset) == sizeof(hdr) &&
		    hdr[0] == 1 && hdr[2] == 0x03)
			*fdes = (long)(hdr[8] | hdr[9] << 8 | hdr[10] << 16 |
				       (unsigned long)hdr[11] << 24);
	}
out:
	free(names);
	free(sh);
	close(fd);
}

/* a new file with the contents of @src */
static void copy_file(const char *src, const char *dst)
{
	static char buf[1 << 16];
	int in = open(src, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		die("open %s", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0755);
	if (out < 0)
		die("create %s", dst);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, n) != n)
			die("write %s", dst);
	}
	if (n < 0)
		die("read %s", src);
	if (close(out))
		die("close %s", dst);
	close(in);
}

/* one mmap through @fn, timed; the page is unmapped again, untimed */
static uint64_t time_lib_map(lib_map_fn fn)
{
	uint64_t t0 = now(), t;
	void *p = fn(PAGE);

	t = now() - t0;
	if (p == MAP_FAILED)
		die("mmap through the library");
	unmap(p, PAGE);
	return t;
}

/*
 * For each (LIB, N): N copies of LIB in a new directory (new files: new
 * objects for the module, whose tables are keyed by the file and kept until
 * rmmod), each dlopened (RTLD_NOW: no lazy binding in the timed calls),
 * then the first and the second mmap through it timed.
 */
static void first(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], path[512];
	int loaded = module_loaded();

	if (argc < 2 || argc % 2) {
		errno = EINVAL;
		die("first: LIB N pairs expected");
	}
	snprintf(dir, sizeof(dir), "%s/anonbench-first-%s-%ld", tmp ? tmp : "/tmp",
		 config, (long)getpid());
	if (mkdir(dir, 0755))
		die("mkdir %s", dir);
	op_mmap4k(1);		/* this program's own objects are known */
	for (int a = 0; a < argc; a += 2) {
		const char *lib = argv[a], *base = strrchr(lib, '/');
		long n = atol(argv[a + 1]), eh_bytes, fdes;

		base = base ? base + 1 : lib;
		eh_frame_size(lib, &eh_bytes, &fdes);
		for (long k = 0; k < n; k++) {
			struct walk_stats w0, w1;
			uint64_t t1, t2;
			lib_map_fn fn;
			void *h;

			snprintf(path, sizeof(path), "%s/%ld-%s", dir, k, base);
			copy_file(lib, path);
			h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
			if (!h) {
				errno = ENOENT;
				die("dlopen %s: %s", path, dlerror());
			}
			fn = (lib_map_fn)(uintptr_t)dlsym(h, "anonbench_lib_map");
			if (!fn) {
				errno = ENOENT;
				die("dlsym anonbench_lib_map in %s", path);
			}
			if (loaded)
				walk_stats(&w0);
			t1 = time_lib_map(fn);
			if (loaded)
				walk_stats(&w1);
			t2 = time_lib_map(fn);
			printf("first %s %ld %s first %llu second %llu eh_frame %ld fdes %ld objects %ld unwind_bytes %ld\n",
			       base, k, config, (unsigned long long)t1,
			       (unsigned long long)t2, eh_bytes, fdes,
			       loaded ? w1.objects - w0.objects : -1,
			       loaded ? w1.bytes - w0.bytes : -1);
			fflush(stdout);
		}
	}
}

int main(int argc, char **argv)
{
	const char *e = getenv("ANONBENCH_REPS");

	if (e && atoi(e) > 0)
		reps = atoi(e) < MAX_REPS ? atoi(e) : MAX_REPS;
	only = getenv("ANONBENCH_ONLY");
	if (argc < 3) {
		fprintf(stderr, "usage: anonbench micro|scale|sites|frames|first CONFIG [ARG...]\n");
		return 2;
	}
	config = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "micro"))
		micro();
	else if (!strcmp(argv[1], "scale"))
		scale(argc - 3, argv + 3);
	else if (!strcmp(argv[1], "sites"))
		sites(argc - 3, argv + 3);
	else if (!strcmp(argv[1], "frames"))
		frames(argc - 3, argv + 3);
	else if (!strcmp(argv[1], "first"))
		first(argc - 3, argv + 3);
	else
		return fprintf(stderr, "anonbench: unknown mode %s\n", argv[1]), 2;
	return 0;
}
