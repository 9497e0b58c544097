// SPDX-License-Identifier: GPL-2.0
/*
 * symbols.c - call-site frames to "object!symbol+offset" with libdwfl.
 *
 * Every object gets a Dwfl session of its own holding one module reported
 * at address 0, so module addresses are the object's ELF virtual addresses
 * and one session serves every process that maps the object.  A process
 * address becomes an ELF address through its mapping (file offset) and the
 * object's PT_LOAD program headers.
 *
 * C++ and Rust (legacy and v0) symbols are demangled with libiberty's
 * demangler, the one of GNU binutils' c++filt.
 *
 * Each object remembers what its addresses resolved to (symbol, demangled,
 * and offset), so an address met again, in this process or in any other
 * mapping the object, costs a hash lookup instead of a search of the
 * symbol table and a demangling: 1,000 processes of one program share
 * their frames' names.  At most MEMO_MAX addresses an object.
 */
#include "symbols.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libiberty/demangle.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"

struct load_seg {
	uint64_t offset, vaddr, filesz;
};

/* an address of an object and what it resolved to */
struct sym_memo {
	GElf_Addr lookup;	/* the module address searched for */
	bool used;
	char *symbol;		/* demangled; NULL: no symbol covers it */
	GElf_Off symoff;
};

#define MEMO_MAX	(1u << 20)

/* one mapped object, read once */
struct object {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	GElf_Addr bias;
	struct load_seg *segs;
	size_t nr_segs;
	struct sym_memo *memo;	/* open addressing, a power of two */
	size_t memo_size, memo_used;
};

/* the maps of one process, and the object of each mapping once opened */
struct pid_maps {
	int pid;
	int err;			/* maps could not be read */
	struct map_ent *maps;
	struct object **objs;		/* NULL: not tried; &no_object: failed */
	size_t nr;
};

struct symbolizer {
	char *procdir;
	char *debuginfo_path;
	Dwfl_Callbacks callbacks;
	struct object **objects;
	size_t nr_objects;
	struct pid_maps *pids;
	size_t nr_pids;
};

static struct object no_object;

struct symbolizer *sym_new(const char *procdir, const char *debuginfo_path)
{
	struct symbolizer *sym = calloc(1, sizeof(*sym));

	/* dwfl_standard_find_debuginfo() would ask debuginfod servers */
	unsetenv("DEBUGINFOD_URLS");
	if (!sym)
		return NULL;
	sym->procdir = strdup(procdir);
	sym->debuginfo_path = debuginfo_path ? strdup(debuginfo_path) : NULL;
	if (!sym->procdir || (debuginfo_path && !sym->debuginfo_path)) {
		sym_free(sym);
		return NULL;
	}
	sym->callbacks.find_elf = dwfl_build_id_find_elf;
	sym->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	sym->callbacks.section_address = dwfl_offline_section_address;
	sym->callbacks.debuginfo_path = &sym->debuginfo_path;
	return sym;
}

static void object_free(struct object *o)
{
	size_t i;

	if (o->dwfl)
		dwfl_end(o->dwfl);
	for (i = 0; i < o->memo_size; i++)
		free(o->memo[i].symbol);
	free(o->memo);
	free(o->segs);
	free(o);
}

static size_t memo_slot(const struct sym_memo *v, size_t size,
			GElf_Addr lookup)
{
	size_t i = (size_t)((lookup * 0x9e3779b97f4a7c15ull) >> 20) & (size - 1);

	while (v[i].used && v[i].lookup != lookup)
		i = (i + 1) & (size - 1);
	return i;
}

/* The memo of @lookup in @o, or NULL. */
static const struct sym_memo *memo_find(const struct object *o,
					GElf_Addr lookup)
{
	const struct sym_memo *e;

	if (!o->memo_size)
		return NULL;
	e = &o->memo[memo_slot(o->memo, o->memo_size, lookup)];
	return e->used ? e : NULL;
}

/*
 * Remember that @lookup resolved to @symbol (taken over; may be NULL) at
 * @symoff.  When the memo is full or memory runs out the symbol is freed
 * and nothing is remembered: the next lookup searches again.
 */
static void memo_add(struct object *o, GElf_Addr lookup, char *symbol,
		     GElf_Off symoff)
{
	struct sym_memo *e;

	if ((o->memo_used + 1) * 2 > o->memo_size) {
		size_t size = o->memo_size ? o->memo_size * 2 : 256, i;
		struct sym_memo *v;

		if (size > 2 * (size_t)MEMO_MAX ||
		    !(v = calloc(size, sizeof(*v)))) {
			free(symbol);
			return;
		}
		for (i = 0; i < o->memo_size; i++)
			if (o->memo[i].used)
				v[memo_slot(v, size, o->memo[i].lookup)] =
					o->memo[i];
		free(o->memo);
		o->memo = v;
		o->memo_size = size;
	}
	e = &o->memo[memo_slot(o->memo, o->memo_size, lookup)];
	e->used = true;
	e->lookup = lookup;
	e->symbol = symbol;
	e->symoff = symoff;
	o->memo_used++;
}

/*
 * The symbol covering module address @lookup of @o, demangled, malloc()ed
 * into *@symbol (NULL: none), and the offset into it in *@symoff; 0 or
 * -ENOMEM.
 */
static int object_symbol(struct object *o, GElf_Addr lookup, char **symbol,
			 GElf_Off *symoff)
{
	const struct sym_memo *e = memo_find(o, lookup);
	const char *name;
	char *memo;
	GElf_Sym s;

	*symbol = NULL;
	*symoff = 0;
	if (e) {
		*symoff = e->symoff;
		if (e->symbol && !(*symbol = strdup(e->symbol)))
			return -ENOMEM;
		return 0;
	}
	name = dwfl_module_addrinfo(o->mod, lookup, symoff, &s, NULL, NULL,
				    NULL);
	if (!name || !*name) {
		*symoff = 0;
		memo_add(o, lookup, NULL, 0);
		return 0;
	}
	*symbol = sym_demangle(name);
	if (!*symbol)
		*symbol = strdup(name);
	if (!*symbol)
		return -ENOMEM;
	memo = strdup(*symbol);
	if (memo)
		memo_add(o, lookup, memo, *symoff);
	return 0;
}

void sym_forget_maps(struct symbolizer *sym)
{
	size_t i;

	for (i = 0; i < sym->nr_pids; i++) {
		procfs_maps_free(sym->pids[i].maps, sym->pids[i].nr);
		free(sym->pids[i].objs);
	}
	free(sym->pids);
	sym->pids = NULL;
	sym->nr_pids = 0;
}

void sym_free(struct symbolizer *sym)
{
	size_t i;

	if (!sym)
		return;
	sym_forget_maps(sym);
	for (i = 0; i < sym->nr_objects; i++)
		object_free(sym->objects[i]);
	free(sym->objects);
	free(sym->procdir);
	free(sym->debuginfo_path);
	free(sym);
}

void sym_frame_clear(struct sym_frame *f)
{
	free(f->module);
	free(f->symbol);
	memset(f, 0, sizeof(*f));
}

static struct pid_maps *pid_maps(struct symbolizer *sym, int pid)
{
	struct pid_maps *pm;
	size_t i;

	for (i = 0; i < sym->nr_pids; i++)
		if (sym->pids[i].pid == pid)
			return &sym->pids[i];
	pm = realloc(sym->pids, (sym->nr_pids + 1) * sizeof(*pm));
	if (!pm)
		return NULL;
	sym->pids = pm;
	pm = &sym->pids[sym->nr_pids];
	memset(pm, 0, sizeof(*pm));
	pm->pid = pid;
	pm->err = procfs_maps(sym->procdir, pid, &pm->maps, &pm->nr);
	if (!pm->err) {
		pm->objs = calloc(pm->nr ? pm->nr : 1, sizeof(*pm->objs));
		if (!pm->objs) {
			procfs_maps_free(pm->maps, pm->nr);
			return NULL;
		}
	} else {
		pm->maps = NULL;
		pm->nr = 0;
	}
	sym->nr_pids++;
	return pm;
}

/* Open a regular file without blocking (a FIFO or a device never hangs us). */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file of mapping @m of @pid: map_files, then root/PATH, then PATH. */
static int open_mapped(struct symbolizer *sym, int pid, const struct map_ent *m,
		       struct stat *st, char *name, size_t size)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%d/map_files/%" PRIx64 "-%" PRIx64,
		 sym->procdir, pid, m->start, m->end);
	fd = open_regular(path, st);
	snprintf(name, size, "%s", m->path);
	if (fd >= 0 || m->deleted)
		return fd;
	snprintf(path, sizeof(path), "%s/%d/root%s", sym->procdir, pid, m->path);
	fd = open_regular(path, st);
	if (fd >= 0) {
		snprintf(name, size, "%s", path);
		return fd;
	}
	return open_regular(m->path, st);
}

static int load_segments(struct object *o)
{
	Elf *elf = dwfl_module_getelf(o->mod, &o->bias);
	size_t i, n;

	if (!elf || elf_getphdrnum(elf, &n))
		return -EINVAL;
	o->segs = calloc(n ? n : 1, sizeof(*o->segs));
	if (!o->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, (int)i, &mem);

		if (!ph || ph->p_type != PT_LOAD)
			continue;
		o->segs[o->nr_segs++] = (struct load_seg){
			ph->p_offset, ph->p_vaddr, ph->p_filesz,
		};
	}
	return 0;
}

/* The cached object of mapping @m, read now if new; &no_object if none. */
static struct object *object_of(struct symbolizer *sym, int pid,
				const struct map_ent *m)
{
	char name[4096];
	struct object *o, **objs;
	struct stat st;
	size_t i;
	int fd;

	if (!m->path || m->path[0] != '/')
		return &no_object;
	fd = open_mapped(sym, pid, m, &st, name, sizeof(name));
	if (fd < 0)
		return &no_object;
	for (i = 0; i < sym->nr_objects; i++) {
		o = sym->objects[i];
		if (o->dev == st.st_dev && o->ino == st.st_ino &&
		    o->size == st.st_size &&
		    o->mtime.tv_sec == st.st_mtim.tv_sec &&
		    o->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			close(fd);
			return o->mod ? o : &no_object;
		}
	}
	o = calloc(1, sizeof(*o));
	objs = realloc(sym->objects, (sym->nr_objects + 1) * sizeof(*objs));
	if (!o || !objs) {
		free(o);
		if (objs)
			sym->objects = objs;
		close(fd);
		return &no_object;
	}
	sym->objects = objs;
	sym->objects[sym->nr_objects++] = o;
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->size = st.st_size;
	o->mtime = st.st_mtim;
	o->dwfl = dwfl_begin(&sym->callbacks);
	if (!o->dwfl) {
		close(fd);
		return &no_object;
	}
	/* on success the session owns fd; base 0: module address = ELF address */
	o->mod = dwfl_report_elf(o->dwfl, strrchr(m->path, '/') + 1, name, fd,
				 0, true);
	if (!o->mod)
		close(fd);
	dwfl_report_end(o->dwfl, NULL, NULL);
	if (o->mod && load_segments(o))
		o->mod = NULL;
	return o->mod ? o : &no_object;
}

/* The ELF address of file offset @off of @o, or -1 if no segment holds it. */
static int elf_address(const struct object *o, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < o->nr_segs; i++) {
		const struct load_seg *s = &o->segs[i];

		if (off >= s->offset && off - s->offset < s->filesz) {
			*vaddr = off - s->offset + s->vaddr;
			return 0;
		}
	}
	return -1;
}

char *sym_demangle(const char *name)
{
	/* C++ "_Z...", Rust v0 "_R..." (legacy Rust is "_ZN...17h...E") */
	if (strncmp(name, "_Z", 2) && strncmp(name, "_R", 2))
		return NULL;
	/*
	 * Without DMGL_NO_RECURSE_LIMIT, the demangler refuses names whose
	 * arrays on its stack (2 entries a byte) would pass its recursion
	 * limit, 2048: a name of a process can never exhaust our stack.
	 */
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}

int sym_resolve(struct symbolizer *sym, int pid, uint64_t addr, bool after_call,
		struct sym_frame *out)
{
	const struct map_ent *m;
	struct pid_maps *pm;
	struct object *o;
	uint64_t off, vaddr;
	size_t idx;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	pm = pid_maps(sym, pid);
	if (!pm)
		return -ENOMEM;
	m = procfs_maps_find(pm->maps, pm->nr, addr);
	if (!m || !m->path)
		return 0;
	out->module = strdup(m->path);
	if (!out->module)
		return -ENOMEM;
	off = addr - m->start + m->offset;
	out->offset = off;
	if (m->path[0] != '/') {		/* [vdso], [heap], ... */
		out->offset = addr - m->start;
		return 0;
	}
	/* only code is worth a lookup; data means stale frames (exec) */
	if (!m->exec)
		return 0;
	idx = (size_t)(m - pm->maps);
	if (!pm->objs[idx])
		pm->objs[idx] = object_of(sym, pid, m);
	o = pm->objs[idx];
	if (o == &no_object || elf_address(o, off, &vaddr))
		return 0;
	out->offset = vaddr;
	{
		GElf_Addr lookup = vaddr + o->bias - (after_call ? 1 : 0);
		GElf_Off symoff;

		if (object_symbol(o, lookup, &out->symbol, &symoff))
			return -ENOMEM;
		if (out->symbol)
			out->offset = symoff + (after_call ? 1 : 0);
	}
	return 0;
}

size_t sym_nr_objects(const struct symbolizer *sym)
{
	return sym->nr_objects;
}

static const char *module_base(const struct sym_frame *f)
{
	const char *base = strrchr(f->module, '/');

	return base ? base + 1 : f->module;
}

bool sym_function_name(const struct sym_frame *f, char *buf, size_t size)
{
	if (!f->module) {
		snprintf(buf, size, "[unknown]");
		return false;
	}
	if (!f->symbol) {
		snprintf(buf, size, "%s", module_base(f));
		return false;
	}
	snprintf(buf, size, "%s!%s", module_base(f), f->symbol);
	return true;
}

void sym_format(const struct sym_frame *f, char *buf, size_t size)
{
	const char *base;

	if (!f->module) {
		snprintf(buf, size, "0x%" PRIx64, f->addr);
		return;
	}
	base = strrchr(f->module, '/');
	base = base ? base + 1 : f->module;
	if (f->symbol)
		snprintf(buf, size, "%s!%s+0x%" PRIx64, base, f->symbol, f->offset);
	else
		snprintf(buf, size, "%s+0x%" PRIx64, base, f->offset);
}


bool sym_is_wrapper(const struct sym_frame *f)
{
	static const char *const wrappers[] = {
		"mmap", "mmap64", "__mmap", "__mmap64", "__GI___mmap64",
		"munmap", "__munmap", "mremap", "__mremap", "brk", "__brk",
		"sbrk", "__sbrk", "syscall", "__syscall", "__GI_syscall",
	};
	const char *base;
	size_t i;

	if (!f->module || !f->symbol)
		return false;
	base = module_base(f);
	if (strncmp(base, "libc.so", 7) && strncmp(base, "libc-", 5))
		return false;
	for (i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (!strcmp(f->symbol, wrappers[i]))
			return true;
	return false;
}

bool sym_is_hook(const struct sym_frame *f)
{
	const char *base;

	if (!f->module)
		return false;
	base = module_base(f);
	return !strncmp(base, "libucm.so", 9) || !strncmp(base, "libucm_", 7);
}

bool sym_skip_for_name(const struct sym_frame *f)
{
	return sym_is_wrapper(f) || sym_is_hook(f);
}
