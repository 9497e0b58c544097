/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cfi_damage.h - copies of a shared library with its call frame
 * information damaged, for the tests of the module's unwinder against
 * hostile input (acct_hostile_cfi, the stress campaign's unwind_churn).
 *
 * A copy is the library byte for byte except what its damage changes:
 * .eh_frame, .eh_frame_hdr or the PT_GNU_EH_FRAME program header, which
 * the dynamic loader does not read, so every copy still loads and runs.
 * What a damage does is its comment in cfi_damage.c.  The random ones are
 * deterministic: a damage's seed gives the same bytes every time.
 *
 * The library must be ELF64 little-endian (x86-64 or arm64), with 32-bit
 * CFI entries whose FDEs encode addresses pcrel|sdata4 (what gcc and
 * binutils write for both) and an .eh_frame_hdr with binutils' encodings;
 * the damages that need room write into its exported read-only array
 * hostile_pad (tests/guest/shlib/hostilecfi.c).
 * Nothing here allocates memory (one static buffer: not thread-safe).
 */
#ifndef CFI_DAMAGE_H
#define CFI_DAMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cfi_damage_kind {
	DAMAGE_NONE,
	DAMAGE_NO_EH_FRAME,
	DAMAGE_FRAME_RANDOM,
	DAMAGE_FRAME_MUTATE,
	DAMAGE_INSNS_RANDOM,
	DAMAGE_RULES_RANDOM,
	DAMAGE_HDR_TABLE_RANDOM,
	DAMAGE_CIE_SELF,
	DAMAGE_CIE_OUT,
	DAMAGE_LENGTH_HUGE,
	DAMAGE_LENGTH_64,
	DAMAGE_RANGE_ALL,
	DAMAGE_REMEMBER_DEEP,
	DAMAGE_ADVANCE_ONLY,
	DAMAGE_HDR_COUNT_HUGE,
	DAMAGE_PHDR_PAST_EOF,
	DAMAGE_PHDR_STRADDLE,
	DAMAGE_FRAME_IN_TEXT,
	DAMAGE_LONG_CIE,
	DAMAGE_LONG_FDE_HDR,
};

struct cfi_damage {
	const char *name;	/* short, usable in a file name */
	enum cfi_damage_kind kind;
	uint32_t seed;		/* the random ones */
	/*
	 * CFI whose straightforward compilation costs time quadratic in its
	 * size (each FDE runs a long CIE program, or the search table lists
	 * one long FDE many times): what bounds a table's build.
	 */
	bool costly;
};

/* Every damage, the intact copy (DAMAGE_NONE) first, no CFI second. */
extern const struct cfi_damage cfi_damages[];
extern const int cfi_ndamages;

/*
 * Writes a copy of the library src to dst (created, mode 0755; it must
 * not exist), damaged as d says.  0, or -1 with why (the path and errno,
 * or what in src is not as expected) in why[0..whylen).
 */
int cfi_damaged_copy(const char *src, const char *dst,
		     const struct cfi_damage *d, char *why, size_t whylen);

#endif /* CFI_DAMAGE_H */
