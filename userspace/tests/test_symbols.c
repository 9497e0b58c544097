// SPDX-License-Identifier: GPL-2.0
/*
 * test_symbols.c - symbolisation (symbols.c) of known addresses: exact
 * symbol and offset in libsymtest.so (.symtab), in its stripped copy
 * (.dynsym, then module+offset for the static function, then the static
 * function again through its debuginfo found by build-id), in a deleted
 * copy; the fallbacks on a fake proc directory (a FIFO, a file that is not
 * ELF, a missing object, [vdso], anonymous memory, no process), all under
 * an alarm so that a hang fails; libc's syscall() as a wrapper; demangled
 * C++ and Rust names in libsymtest_cxx.so, C and bogus names as they are,
 * and the function names without offsets.
 *
 * usage: test_symbols DIR   (DIR: libsymtest.so, stripped/, debug/,
 *                            libsymtest_cxx.so)
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "procfs.h"
#include "symbols.h"

#define OFF 0x10

static const char *dir;
static char tmp[] = "/tmp/anontop-symbols.XXXXXX";

struct lib {
	void *handle;
	uintptr_t alpha, beta, hidden, base;
};

static int load(const char *path, struct lib *l)
{
	uintptr_t (*hidden)(void);
	Dl_info info;

	l->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!l->handle) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return -1;
	}
	l->alpha = (uintptr_t)dlsym(l->handle, "symtest_alpha");
	l->beta = (uintptr_t)dlsym(l->handle, "symtest_beta");
	hidden = (uintptr_t (*)(void))dlsym(l->handle, "symtest_hidden_addr");
	l->hidden = hidden ? hidden() : 0;
	if (!l->alpha || !l->beta || !l->hidden ||
	    !dladdr((void *)l->alpha, &info))
		return -1;
	l->base = (uintptr_t)info.dli_fbase;
	return 0;
}

/* load() a library, then forget the maps read before it was mapped */
static int load_new(struct symbolizer *s, const char *path, struct lib *l)
{
	int ret = load(path, l);

	sym_forget_maps(s);
	return ret;
}

/* resolve and format in one go; the frame stays in *f */
static const char *name(struct symbolizer *s, int pid, uintptr_t addr,
			bool after_call, struct sym_frame *f)
{
	static char buf[512];

	sym_frame_clear(f);
	if (sym_resolve(s, pid, addr, after_call, f))
		return "(ENOMEM)";
	sym_format(f, buf, sizeof(buf));
	return buf;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = s ? strlen(s) : 0, b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

static void test_symtab(struct symbolizer *s)
{
	struct sym_frame f = { 0 };
	char path[PATH_MAX];
	struct lib l;

	snprintf(path, sizeof(path), "%s/libsymtest.so", dir);
	CHECK(load_new(s, path, &l) == 0);
	if (!l.handle)
		return;
	CHECK_STR(name(s, getpid(), l.alpha + OFF, false, &f),
		  "libsymtest.so!symtest_alpha+0x10");
	CHECK_STR(f.symbol, "symtest_alpha");
	CHECK_U64(f.offset, OFF);
	CHECK(ends_with(f.module, "/libsymtest.so"));
	/* a return address: looked up at addr - 1, offset still from addr */
	CHECK_STR(name(s, getpid(), l.beta + 0x20, true, &f),
		  "libsymtest.so!symtest_beta+0x20");
	CHECK_STR(name(s, getpid(), l.alpha, false, &f),
		  "libsymtest.so!symtest_alpha+0x0");
	/* a static function: .symtab only */
	CHECK_STR(name(s, getpid(), l.hidden + 0x20, true, &f),
		  "libsymtest.so!symtest_hidden+0x20");
	CHECK_U64(f.offset, 0x20);
	sym_frame_clear(&f);
}

/*
 * The memo of resolved addresses: 2,048 addresses of libsymtest.so (its
 * functions and past them), resolved twice by one symbolizer (the second
 * time from its memo, grown and rehashed on the way), give what a fresh
 * symbolizer finds by searching for each address once.
 */
#define MEMO_ADDRS 2048
static void test_memo(struct symbolizer *s)
{
	static char first[MEMO_ADDRS][512];
	struct symbolizer *fresh = sym_new("/proc", NULL);
	struct sym_frame f = { 0 };
	char path[PATH_MAX];
	unsigned int i, differ = 0, named = 0;
	struct lib l;

	snprintf(path, sizeof(path), "%s/libsymtest.so", dir);
	CHECK(fresh != NULL);
	CHECK(load_new(s, path, &l) == 0);
	if (!l.handle || !fresh)
		goto out;
	for (i = 0; i < MEMO_ADDRS; i++)
		snprintf(first[i], sizeof(first[i]), "%s",
			 name(s, getpid(), l.alpha + i, i & 1, &f));
	for (i = MEMO_ADDRS; i-- > 0;) {
		const char *again = name(s, getpid(), l.alpha + i, i & 1, &f);
		char once[512];

		snprintf(once, sizeof(once), "%s", again);
		again = name(fresh, getpid(), l.alpha + i, i & 1, &f);
		if (strcmp(once, again) || strcmp(first[i], again)) {
			if (!differ++)
				fprintf(stderr, "memo: %#x: %s, then %s; fresh %s\n",
					i, first[i], once, again);
		}
		named += !!strchr(again, '!');
	}
	CHECK_U64(differ, 0);
	/* the addresses named some functions, and some lay past them */
	CHECK(named > 0 && named < MEMO_ADDRS);
out:
	sym_frame_clear(&f);
	sym_free(fresh);
}

static void test_stripped(struct symbolizer *s)
{
	struct sym_frame f = { 0 };
	char path[PATH_MAX], want[256];
	struct symbolizer *dbg;
	struct lib l;

	snprintf(path, sizeof(path), "%s/stripped/libsymtest.so", dir);
	CHECK(load_new(s, path, &l) == 0);
	if (!l.handle)
		return;
	/* exported: .dynsym survives strip */
	CHECK_STR(name(s, getpid(), l.alpha + OFF, true, &f),
		  "libsymtest.so!symtest_alpha+0x10");
	/* static: no symbol; the object's address, as addr2line takes it */
	snprintf(want, sizeof(want), "libsymtest.so+0x%lx",
		 (unsigned long)(l.hidden + 0x20 - l.base));
	CHECK_STR(name(s, getpid(), l.hidden + 0x20, true, &f), want);
	CHECK(f.symbol == NULL);
	CHECK_U64(f.offset, l.hidden + 0x20 - l.base);
	CHECK(ends_with(f.module, "/stripped/libsymtest.so"));

	/* the separate debuginfo, found by build-id under debug/ */
	snprintf(path, sizeof(path), "%s/debug", dir);
	dbg = sym_new("/proc", path);
	CHECK(dbg != NULL);
	if (dbg) {
		CHECK_STR(name(dbg, getpid(), l.hidden + 0x20, true, &f),
			  "libsymtest.so!symtest_hidden+0x20");
		sym_free(dbg);
	}
	sym_frame_clear(&f);
}

static void test_deleted(struct symbolizer *s)
{
	char src[PATH_MAX], dst[PATH_MAX], cmd[2 * PATH_MAX + 16];
	struct sym_frame f = { 0 };
	const char *n;
	struct lib l;

	snprintf(src, sizeof(src), "%s/libsymtest.so", dir);
	snprintf(dst, sizeof(dst), "%s/libdeleted.so", tmp);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
	CHECK(system(cmd) == 0);
	CHECK(load_new(s, dst, &l) == 0);
	if (!l.handle)
		return;
	CHECK(unlink(dst) == 0);
	n = name(s, getpid(), l.alpha + OFF, true, &f);
	CHECK(ends_with(f.module, "/libdeleted.so"));
	/* root reaches it through /proc/PID/map_files; others get mod+off */
	if (geteuid() == 0)
		CHECK_STR(n, "libdeleted.so!symtest_alpha+0x10");
	else
		CHECK(f.symbol == NULL || !strcmp(f.symbol, "symtest_alpha"));
	sym_frame_clear(&f);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* the r-xp mapping of @path in this process */
static int own_text(const char *path, struct map_ent *out)
{
	struct map_ent *v;
	size_t n, i;
	int ret = -1;

	if (procfs_maps("/proc", getpid(), &v, &n))
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i].exec && v[i].path && !strcmp(v[i].path, path)) {
			*out = v[i];
			out->path = NULL;
			ret = 0;
			break;
		}
	}
	procfs_maps_free(v, n);
	return ret;
}

static void test_fake_proc(struct symbolizer *real)
{
	char proc[PATH_MAX], path[PATH_MAX], lib[PATH_MAX], fifo[PATH_MAX];
	char notelf[PATH_MAX], maps[5 * PATH_MAX];
	struct sym_frame f = { 0 };
	struct symbolizer *s;
	struct map_ent text;
	size_t before;
	struct lib l;

	snprintf(lib, sizeof(lib), "%s/libsymtest.so", dir);
	if (!realpath(lib, path) || load(path, &l) || own_text(path, &text)) {
		CHECK(!"libsymtest.so mapped");
		return;
	}
	snprintf(lib, sizeof(lib), "%s", path);
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	snprintf(path, sizeof(path), "%s/proc/4242", tmp);
	snprintf(fifo, sizeof(fifo), "%s/fifo.so", tmp);
	snprintf(notelf, sizeof(notelf), "%s/notelf.so", tmp);
	mkdir(proc, 0755);
	mkdir(path, 0755);
	CHECK(mkfifo(fifo, 0644) == 0);
	write_file(notelf, "not an ELF object\n");
	/* libsymtest.so's text at another address, same file offset */
	snprintf(maps, sizeof(maps),
		 "100000-101000 r-xp 00000000 00:00 1 %s\n"
		 "200000-201000 r-xp 00001000 00:00 2 %s\n"
		 "300000-301000 r-xp 00000000 00:00 3 /nonexistent/libgone.so\n"
		 "400000-402000 r-xp 00002000 00:00 4 /nonexistent/libold.so (deleted)\n"
		 "500000-501000 rw-p 00000000 00:00 0 \n"
		 "600000-601000 rw-p 00000000 00:00 5 %s\n"
		 "7e0000000000-%lx r-xp %lx 00:00 6 %s\n"
		 "7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0 [vdso]\n",
		 fifo, notelf, lib,
		 (unsigned long)(0x7e0000000000 + text.end - text.start),
		 (unsigned long)text.offset, lib);
	snprintf(path, sizeof(path), "%s/proc/4242/maps", tmp);
	write_file(path, maps);

	s = sym_new(proc, NULL);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(name(s, 4242, 0x100010, true, &f), "fifo.so+0x10");
	CHECK(f.symbol == NULL && ends_with(f.module, "/fifo.so"));
	CHECK_STR(name(s, 4242, 0x200020, true, &f), "notelf.so+0x1020");
	CHECK_STR(name(s, 4242, 0x300030, true, &f), "libgone.so+0x30");
	CHECK_STR(name(s, 4242, 0x401000, true, &f), "libold.so+0x3000");
	CHECK_STR(f.module, "/nonexistent/libold.so");
	CHECK_STR(name(s, 4242, 0x500010, true, &f), "0x500010");
	CHECK(f.module == NULL && f.symbol == NULL && f.offset == 0);
	/* data of an object: frames from before an exec; no lookup */
	CHECK_STR(name(s, 4242, 0x600010, true, &f), "libsymtest.so+0x10");
	CHECK_STR(name(s, 4242, 0x7ffd00000a10, true, &f), "[vdso]+0xa10");
	CHECK_STR(name(s, 4242, 0x900000, true, &f), "0x900000");
	CHECK_STR(name(s, 4243, 0x100010, true, &f), "0x100010");
	CHECK(f.module == NULL);
	/* the maps offset and the ELF program headers place the address */
	CHECK_STR(name(s, 4242, 0x7e0000000000 + l.alpha + OFF - text.start,
		       true, &f), "libsymtest.so!symtest_alpha+0x10");
	sym_free(s);

	/* one object, however many processes map it */
	CHECK_STR(name(real, getpid(), l.alpha + OFF, true, &f),
		  "libsymtest.so!symtest_alpha+0x10");
	before = sym_nr_objects(real);
	sym_forget_maps(real);
	CHECK_STR(name(real, getpid(), l.beta + OFF, true, &f),
		  "libsymtest.so!symtest_beta+0x10");
	CHECK_U64(sym_nr_objects(real), before);
	sym_frame_clear(&f);
}

static void test_wrappers(struct symbolizer *s)
{
	/* libc's own, not the sanitizer's interceptors */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uintptr_t sc = libc ? (uintptr_t)dlsym(libc, "syscall") : 0;
	uintptr_t mm = libc ? (uintptr_t)dlsym(libc, "mmap") : 0;
	struct sym_frame f = { 0 };

	CHECK(sc && mm);
	if (!sc || !mm)
		return;
	name(s, getpid(), sc + 0x1d, true, &f);
	CHECK_STR(f.symbol, "syscall");
	CHECK(sym_is_wrapper(&f));
	name(s, getpid(), mm + 0x10, true, &f);
	if (!f.symbol || !sym_is_wrapper(&f))
		fprintf(stderr, "mmap: %s in %s\n", f.symbol, f.module);
	CHECK(f.symbol && sym_is_wrapper(&f));
	name(s, getpid(), (uintptr_t)test_wrappers + 8, true, &f);
	CHECK_STR(f.symbol, "test_wrappers");
	CHECK(!sym_is_wrapper(&f));
	sym_frame_clear(&f);
}

/*
 * The site name skips libc's wrappers and UCX's hook library (libucm and
 * its modules), by object; nothing else: not libucs (its registration
 * cache is a real caller), not a libc function that is no wrapper.
 */
static void test_hooks(void)
{
	static const struct {
		const char *module, *symbol;
		bool wrapper, hook;
	} cases[] = {
		{ "/usr/lib/x86_64-linux-gnu/libc.so.6", "syscall", true, false },
		{ "/usr/lib/x86_64-linux-gnu/libc.so.6", "mmap64", true, false },
		{ "/usr/lib/x86_64-linux-gnu/libc.so.6", "sysmalloc", false, false },
		{ "/usr/lib/x86_64-linux-gnu/libc.so.6", NULL, false, false },
		{ "/lib/x86_64-linux-gnu/libucm.so.0", "ucm_orig_mmap_syscall", false, true },
		{ "/lib/x86_64-linux-gnu/libucm.so.0", "ucm_event_dispatch", false, true },
		{ "/lib/x86_64-linux-gnu/libucm.so.0", NULL, false, true },
		{ "/opt/wheel/libucx/lib/libucm.so", "ucm_mmap", false, true },
		{ "/usr/lib/ucx/libucm_cuda.so.0", "ucm_cuMemAlloc", false, true },
		{ "/lib/x86_64-linux-gnu/libucs.so.0", "ucs_rcache_mp_chunk_alloc", false, false },
		{ "/usr/bin/libucmx", "f", false, false },
		{ "/usr/lib/libucma.so", "f", false, false },
		{ NULL, NULL, false, false },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sym_frame f = {
			.addr = 0x1000, .module = (char *)cases[i].module,
			.symbol = (char *)cases[i].symbol,
		};
		bool w = sym_is_wrapper(&f), h = sym_is_hook(&f);

		if (w != cases[i].wrapper || h != cases[i].hook)
			fprintf(stderr, "case %u: %s!%s wrapper %d hook %d\n", i,
				cases[i].module, cases[i].symbol, w, h);
		CHECK(w == cases[i].wrapper && h == cases[i].hook);
		CHECK(sym_skip_for_name(&f) == (cases[i].wrapper || cases[i].hook));
	}
}

/* an address 0x10 into each symbol of libsymtest_cxx.so, demangled */
static void test_demangle_lib(struct symbolizer *s)
{
	static const struct {
		const char *mangled, *name;
	} cases[] = {
		{ "_ZN3ucx4Pool4growEm", "ucx::Pool::grow(unsigned long)" },
		{ "_ZN2ns3BoxIiE4pushERKi", "ns::Box<int>::push(int const&)" },
		{ "_ZN2ns4fillIdLm4EEEiPT_", "int ns::fill<double, 4ul>(double*)" },
		{ "_ZNK2ns3VeceqERKS0_", "ns::Vec::operator==(ns::Vec const&) const" },
		/* Rust v0, and legacy (the hash goes) */
		{ "_RNvNtCs1234_7mycrate4pool4grow", "mycrate::pool::grow" },
		{ "_RNvMNtCs1234_7mycrate4poolNtB2_4Pool3new",
		  "<mycrate::pool::Pool>::new" },
		{ "_ZN7mycrate4pool6shrink17h0123456789abcdefE",
		  "mycrate::pool::shrink" },
		/* a C name, and names that only look mangled: as they are */
		{ "symtest_plain", "symtest_plain" },
		{ "_Zbogus", "_Zbogus" },
		{ "_RNvXX", "_RNvXX" },
	};
	char path[PATH_MAX], want[512], fn[512];
	struct sym_frame f = { 0 };
	unsigned int i;
	void *h;

	snprintf(path, sizeof(path), "%s/libsymtest_cxx.so", dir);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CHECK(h != NULL);
	if (!h) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return;
	}
	sym_forget_maps(s);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uintptr_t a = (uintptr_t)dlsym(h, cases[i].mangled);

		CHECK(a != 0);
		if (!a) {
			fprintf(stderr, "dlsym %s: %s\n", cases[i].mangled,
				dlerror());
			continue;
		}
		snprintf(want, sizeof(want), "libsymtest_cxx.so!%s+0x10",
			 cases[i].name);
		CHECK_STR(name(s, getpid(), a + OFF, true, &f), want);
		CHECK_STR(f.symbol, cases[i].name);
		/* the function alone: no offset */
		snprintf(want, sizeof(want), "libsymtest_cxx.so!%s",
			 cases[i].name);
		CHECK(sym_function_name(&f, fn, sizeof(fn)));
		CHECK_STR(fn, want);
	}
	sym_frame_clear(&f);
}

static const char *demangled(const char *mangled)
{
	static char buf[8192];
	char *d = sym_demangle(mangled);

	snprintf(buf, sizeof(buf), "%s", d ? d : "(null)");
	free(d);
	return buf;
}

static void test_demangle(void)
{
	static char big[64 * 1024];
	struct sym_frame f = { .addr = 0x7f0000001234 };
	char fn[64], *p;
	size_t i;

	CHECK_STR(demangled("_ZN3ucx4Pool4growEm"),
		  "ucx::Pool::grow(unsigned long)");
	/* a compiler's clone of a function */
	CHECK_STR(demangled("_ZN3ucx4Pool4growEm.cold"),
		  "ucx::Pool::grow(unsigned long) [clone .cold]");
	CHECK_STR(demangled("main"), "(null)");
	CHECK_STR(demangled("_Z"), "(null)");
	CHECK_STR(demangled("_Z3fooqq"), "(null)");
	CHECK_STR(demangled(""), "(null)");
	/*
	 * a long name (a 1000-letter function); a giant one (the stack of
	 * the demangler grows with it) is left as it is
	 */
	p = big + sprintf(big, "_Z1000");
	for (i = 0; i < 1000; i++)
		*p++ = 'a' + i % 26;
	sprintf(p, "v");
	CHECK_U64(strlen(demangled(big)), 1000 + 2);
	CHECK(!strncmp(demangled(big), "abcdefghijklmnopqrstuvwxyza", 27));
	p = big + sprintf(big, "_ZN");
	for (i = 0; i < 20000; i++)
		p += sprintf(p, "1a");
	sprintf(p, "E");
	CHECK_STR(demangled(big), "(null)");

	/* without a symbol: the object; without one: no address either */
	CHECK(!sym_function_name(&f, fn, sizeof(fn)));
	CHECK_STR(fn, "[unknown]");
	f.module = (char *)"/usr/lib/libfoo.so.1";
	f.offset = 0x1234;
	CHECK(!sym_function_name(&f, fn, sizeof(fn)));
	CHECK_STR(fn, "libfoo.so.1");
	f.symbol = (char *)"foo";
	CHECK(sym_function_name(&f, fn, sizeof(fn)));
	CHECK_STR(fn, "libfoo.so.1!foo");
}

int main(int argc, char **argv)
{
	struct symbolizer *s;
	char cmd[PATH_MAX + 16];
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: test_symbols DIR\n");
		return 2;
	}
	dir = argv[1];
	alarm(60);	/* a hang (a FIFO opened for reading...) fails */
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	s = sym_new("/proc", NULL);
	CHECK(s != NULL);
	if (s) {
		test_symtab(s);
		test_memo(s);
		test_stripped(s);
		test_deleted(s);
		test_fake_proc(s);
		test_wrappers(s);
		test_demangle_lib(s);
		sym_free(s);
	}
	test_hooks();
	test_demangle();
	ret = check_report("test_symbols");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "test_symbols: could not remove %s\n", tmp);
	return ret;
}
