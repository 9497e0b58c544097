/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbols.h - name the user addresses of call-site frames.
 *
 * An address of process PID is looked up in /proc/PID/maps; the mapped
 * object is opened (through /proc/PID/map_files, else /proc/PID/root/PATH,
 * else PATH), reported to elfutils libdwfl, and its symbol table is
 * searched: .symtab, or the one of a separate debuginfo file found by
 * build-id or debuglink under the debuginfo path, or .dynsym.  Objects are
 * cached by identity (device, inode, size, mtime), so each is read once
 * however many processes map it.  An object that cannot be read (gone,
 * deleted and unreachable, not ELF, not a regular file) gives
 * "module+offset"; an address outside any mapping gives the bare address.
 */
#ifndef ANONTOP_SYMBOLS_H
#define ANONTOP_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbolizer;

struct sym_frame {
	uint64_t addr;
	char *module;	/* path of the mapped object, or NULL */
	char *symbol;	/* NULL when no symbol covers the address; demangled */
	/*
	 * From the symbol's start; without a symbol, the object's address
	 * (its ELF virtual address, as addr2line takes it; the file offset
	 * when the object could not be read); without a module, 0.
	 */
	uint64_t offset;
};

/*
 * @procdir is normally "/proc"; @debuginfo_path as in elfutils (NULL: the
 * default, ":.debug:/usr/lib/debug").  Unsets DEBUGINFOD_URLS, so that no
 * lookup ever goes to the network.  NULL when out of memory.
 */
struct symbolizer *sym_new(const char *procdir, const char *debuginfo_path);
void sym_free(struct symbolizer *sym);

/* Forget the cached /proc/PID/maps (the objects stay cached). */
void sym_forget_maps(struct symbolizer *sym);

/*
 * Name @addr of process @pid into @out (free it with sym_frame_clear).
 * @after_call: @addr follows a call or syscall instruction (a return
 * address), so the instruction it belongs to is looked up at @addr - 1.
 * Returns 0, or -ENOMEM.
 */
int sym_resolve(struct symbolizer *sym, int pid, uint64_t addr, bool after_call,
		struct sym_frame *out);
void sym_frame_clear(struct sym_frame *f);

/* objects read so far (each once, however many processes map it) */
size_t sym_nr_objects(const struct symbolizer *sym);

/*
 * "libfoo.so!func+0x1c", "libfoo.so+0x1234" or "0x7f0012345678"; the
 * symbol demangled ("libfoo.so!ns::Pool::grow(unsigned long)+0x16").
 */
void sym_format(const struct sym_frame *f, char *buf, size_t size);

/*
 * The function without the offset, the same in every process and run:
 * "libfoo.so!func" (true); without a symbol the object alone, "libfoo.so",
 * and without an object "[unknown]", never an address (false).
 */
bool sym_function_name(const struct sym_frame *f, char *buf, size_t size);

/*
 * The demangled form of a C++ ("_Z") or Rust (legacy "_ZN...E", v0 "_R")
 * symbol, with parameters as c++filt shows them, malloc()ed; NULL when
 * @name is not mangled, not valid, too long for the demangler's stack
 * guard (over 1024 bytes), or memory ran out.  sym_resolve() gives
 * demangled symbols.
 */
char *sym_demangle(const char *name);

/* Whether @f is inside libc's mmap/munmap/mremap/brk/syscall wrappers. */
bool sym_is_wrapper(const struct sym_frame *f);

/*
 * Whether @f is inside UCX's memory hooks: libucm, and its modules
 * (libucm_cuda, ...), which patch libc's mmap and munmap and issue the
 * system calls themselves.  Every frame of libucm is hook machinery (the
 * patched entry, the event dispatch, the raw syscall wrapper); callers
 * that map through the hooks, or handlers they call (libucs's
 * registration cache), are outside it.
 */
bool sym_is_hook(const struct sym_frame *f);

/*
 * Whether a site's name skips @f: a libc wrapper or a hook frame.  The
 * name is the first frame it does not skip.
 */
bool sym_skip_for_name(const struct sym_frame *f);

#endif /* ANONTOP_SYMBOLS_H */
