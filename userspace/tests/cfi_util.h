/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cfi_util.h - what test_cfi and fuzz_cfi share around module/cfi.c: the
 * anonstat_cfi_grow() the compiler needs, an ELF object's CFI sections
 * taken the way the module takes them (module/unwind.c), and the
 * invariants every compiled table must meet.
 */
#ifndef ANONTOP_CFI_UTIL_H
#define ANONTOP_CFI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfi.h"

/*
 * anonstat_cfi_grow() as the module's: doubling, never past max_rows.
 * The first capacity, and a failure injected at the Nth call (0: none),
 * are for the fuzzer.
 */
extern u32 cfi_grow_first;
extern unsigned long cfi_grow_fail_at;
extern unsigned long cfi_grow_calls;

void cfi_table_free(struct anonstat_cfi_table *t);

#define CFI_MAX_SEGS	8

/*
 * One ELF object, its CFI sections each copied into a buffer of exactly
 * its size (so that ASan sees a read past the end).
 */
struct cfi_obj {
	char path[512];
	int fd;
	u8 *image;		/* the whole file */
	size_t image_size;
	u16 machine;		/* EM_X86_64 or EM_AARCH64 */
	enum anonstat_cfi_arch arch;
	u64 entry;		/* e_entry */
	u64 base, limit;	/* as the module's: the executable PT_LOADs */
	unsigned int nr_segs;
	struct { u64 vaddr, filesz; } segs[CFI_MAX_SEGS];
	/* PT_GNU_EH_FRAME, and .eh_frame from its pointer to the segment's end */
	struct anonstat_cfi_section phdr_hdr, phdr_frame;
	/* the sections by name (size 0: none) */
	struct anonstat_cfi_section eh_frame, eh_frame_hdr, debug_frame;
	struct anonstat_cfi_section plt;	/* data NULL: only vaddr and size */
};

/* Open @path; 0, or -1 with a message in @err. */
int cfi_obj_open(struct cfi_obj *o, const char *path, char *err, size_t errlen);
void cfi_obj_close(struct cfi_obj *o);

/* The module's input for @o: from the program headers, else .eh_frame, else .debug_frame. */
void cfi_obj_input(const struct cfi_obj *o, struct anonstat_cfi_input *in);

/* A tiny deterministic generator (splitmix64). */
static inline u64 cfi_rand(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * The invariants of a compile that returned @ret into @t: a known return
 * value; on success rows sorted by pc strictly increasing, in the range,
 * enums in range, no two neighbours with the same rules, the last INVALID;
 * lookups of @lookups pseudo-random pcs (from @seed) agree with a linear
 * scan.  NULL when they hold, else what failed (a static string).
 */
const char *cfi_check_table(const struct anonstat_cfi_input *in,
			    const struct anonstat_cfi_table *t, int ret,
			    bool enomem_ok, unsigned int lookups, u64 seed);

/* "cfa SP+16 ra CFA-8 fp SAME flags 0" for messages */
const char *cfi_row_str(const struct anonstat_unwind_row *r, char *buf, size_t len);

#endif /* ANONTOP_CFI_UTIL_H */
