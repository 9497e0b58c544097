/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cfi.h - DWARF call frame information compiled to unwind rows.
 *
 * cfi.c turns the call frame information of one ELF object (.eh_frame with
 * .eh_frame_hdr, or .debug_frame) into a sorted table of rows: from row.pc
 * up to the next row's pc, how to find the caller's stack pointer (the
 * CFA), its return address and its frame pointer.  Only those three are
 * followed: they are all a walk from a system call to main needs.  The
 * rows are computed once per object (unwind.c) and the walk (callsite.c)
 * only binary-searches them: no CFI program runs per event.
 *
 * The same source is compiled into the module and into the host's unit
 * tests and fuzzer (userspace/tests/test_cfi.c), so it uses nothing but
 * the fixed-size types below and the grow function its user provides.
 * The input is untrusted (a process maps whatever file it likes): every
 * read is checked against the section's end, every loop consumes input,
 * and the output is capped.
 */
#ifndef ANONSTAT_CFI_H
#define ANONSTAT_CFI_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
/* the host's unit tests and fuzzer: the UAPI types */
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
#endif

enum anonstat_cfi_arch {
	ANONSTAT_CFI_X86_64,
	ANONSTAT_CFI_ARM64,
};

/* How the CFA (the caller's stack pointer) is found. */
enum anonstat_cfa_rule {
	ANONSTAT_CFA_INVALID,	/* no CFI here, or CFI this unwinder does not follow */
	ANONSTAT_CFA_SP,	/* sp + cfa_off */
	ANONSTAT_CFA_FP,	/* fp + cfa_off */
	ANONSTAT_CFA_DEREF_SP,	/* *(sp + cfa_off): a signal frame's saved sp */
	ANONSTAT_CFA_PLT,	/* x86-64 PLT: sp + 8, + 8 when (pc & 15) >= plt_ge */
	ANONSTAT_CFA_END,	/* the outermost frame: the return address is undefined */
	ANONSTAT_CFA_DEREF_FP,	/* *(fp + cfa_off): a stack-realigning function (DRAP) */
};

/* Where the return address or the caller's frame pointer is. */
enum anonstat_reg_rule {
	ANONSTAT_REG_SAME,	/* unchanged (arm64 return address: still in x30) */
	ANONSTAT_REG_AT_CFA,	/* saved at CFA + off */
	ANONSTAT_REG_AT_SP,	/* saved at sp + off (signal frames) */
	ANONSTAT_REG_UNKNOWN,	/* undefined, or in a way not followed */
};

#define ANONSTAT_ROW_SIGNAL	0x01	/* a signal trampoline: the caller's pc is exact */

/*
 * 16 bytes; pc is relative to the object's table base (see unwind.c).  The
 * offsets of the saved return address and frame pointer are in 8-byte
 * units (both architectures save them 8-byte aligned: a row whose offset
 * is not a multiple of 8 is INVALID), so that a frame of up to 256 KiB
 * fits.
 */
struct anonstat_unwind_row {
	u32 pc;
	s32 cfa_off;
	u8 cfa;			/* enum anonstat_cfa_rule */
	u8 ra;			/* enum anonstat_reg_rule */
	u8 fp;			/* enum anonstat_reg_rule */
	u8 flags;		/* ANONSTAT_ROW_*; for ANONSTAT_CFA_PLT: plt_ge << 4 */
	s16 ra_off8;
	s16 fp_off8;
};

/* The offsets of a row in bytes. */
static inline s64 anonstat_row_ra_off(const struct anonstat_unwind_row *row)
{
	return (s64)row->ra_off8 * 8;
}

static inline s64 anonstat_row_fp_off(const struct anonstat_unwind_row *row)
{
	return (s64)row->fp_off8 * 8;
}

/* One section of the object, as loaded: its bytes and its virtual address. */
struct anonstat_cfi_section {
	const u8 *data;
	u64 size;
	u64 vaddr;
};

struct anonstat_cfi_input {
	enum anonstat_cfi_arch arch;
	struct anonstat_cfi_section hdr;	/* .eh_frame_hdr; size 0: none */
	struct anonstat_cfi_section frame;	/* .eh_frame or .debug_frame */
	bool debug_frame;			/* frame is .debug_frame */
	u64 base;		/* vaddr of row pc 0 */
	u64 limit;		/* pcs at or past base + limit are left out (<= 4 GiB) */
};

struct anonstat_cfi_table {
	struct anonstat_unwind_row *rows;
	u32 nr;
	u32 cap;
	u32 max_rows;		/* compile fails with -E2BIG beyond this */
	void *owner;		/* for anonstat_cfi_grow() */
};

struct anonstat_cfi_stats {
	u32 fdes;		/* FDEs compiled */
	u32 fdes_bad;		/* FDEs (or CIEs) that could not be read: left out */
	u32 fdes_partial;	/* FDEs with an operation not followed: INVALID from there */
};

/*
 * Grow t->rows to hold at least one more row (t->cap > t->nr afterwards);
 * 0 or a negative errno.  Provided by the user of cfi.c.
 */
int anonstat_cfi_grow(struct anonstat_cfi_table *t);

/*
 * Compile @in into @t (rows appended from t->nr = 0, then sorted, merged
 * and ended by an INVALID row).  Returns 0, -ENOENT when there is no
 * usable CFI (a malformed .eh_frame_hdr is passed over: .eh_frame is read
 * in order then), -E2BIG past t->max_rows, -EINVAL for an unknown
 * architecture, or what anonstat_cfi_grow() returned.
 */
int anonstat_cfi_compile(const struct anonstat_cfi_input *in,
			 struct anonstat_cfi_table *t,
			 struct anonstat_cfi_stats *stats);

/* The virtual address of .eh_frame, from .eh_frame_hdr; 0 or -EINVAL. */
int anonstat_cfi_hdr_frame(const struct anonstat_cfi_section *hdr, u64 *vaddr);

/* The row for @pc (relative to the base), or NULL when it has no CFI. */
const struct anonstat_unwind_row *
anonstat_cfi_lookup(const struct anonstat_unwind_row *rows, u32 nr, u32 pc);

#endif /* ANONSTAT_CFI_H */
