// SPDX-License-Identifier: GPL-2.0
/*
 * cfi_damage.c - copies of a shared library with damaged call frame
 * information (see cfi_damage.h).
 *
 * The sections are found by the section headers (.eh_frame, .eh_frame_hdr)
 * and PT_GNU_EH_FRAME by the program headers; the CIEs and FDEs of
 * .eh_frame are listed once, from the intact bytes, before a damage
 * changes them.
 */
#include "cfi_damage.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef PT_GNU_EH_FRAME
#define PT_GNU_EH_FRAME	0x6474e550
#endif

#define MAX_LIB		(1 << 20)
#define MAX_ENTRIES	64

/* pcrel | sdata4: FDE addresses, .eh_frame_hdr's eh_frame_ptr */
#define ENC_PCREL_SDATA4	0x1b
#define ENC_UDATA4		0x03
#define ENC_DATAREL_SDATA4	0x3b
#define ENC_OMIT		0xff

#define CFA_ADVANCE_LOC		0x40
#define CFA_ADVANCE_LOC1	0x02
#define CFA_ADVANCE_LOC2	0x03
#define CFA_ADVANCE_LOC4	0x04
#define CFA_REMEMBER_STATE	0x0a
#define CFA_OFFSET		0x80
#define CFA_UNDEFINED		0x07
#define CFA_SAME_VALUE		0x08
#define CFA_REGISTER		0x09
#define CFA_RESTORE_STATE	0x0b
#define CFA_DEF_CFA		0x0c
#define CFA_DEF_CFA_OFFSET	0x0e
#define CFA_DEF_CFA_EXPRESSION	0x0f
#define CFA_EXPRESSION		0x10
#define CFA_DEF_CFA_SF		0x12
#define CFA_VAL_OFFSET		0x14
#define CFA_GNU_WINDOW_SAVE	0x2d
#define OP_DEREF		0x06
#define OP_BREG0		0x70

const struct cfi_damage cfi_damages[] = {
	/* the library as built */
	{ "intact", DAMAGE_NONE, 0, false },
	/* no PT_GNU_EH_FRAME (PT_NULL), .eh_frame and .eh_frame_hdr renamed
	 * .xx_frame and .xx_frame_hdr, their bytes zeroed */
	{ "no_eh_frame", DAMAGE_NO_EH_FRAME, 0, false },
	/* random bytes over all of .eh_frame */
	{ "frame_random1", DAMAGE_FRAME_RANDOM, 1, false },
	{ "frame_random2", DAMAGE_FRAME_RANDOM, 2, false },
	{ "frame_random3", DAMAGE_FRAME_RANDOM, 3, false },
	/* 8 random bytes of .eh_frame changed to random values */
	{ "frame_mutate1", DAMAGE_FRAME_MUTATE, 11, false },
	{ "frame_mutate2", DAMAGE_FRAME_MUTATE, 12, false },
	{ "frame_mutate3", DAMAGE_FRAME_MUTATE, 13, false },
	/* random bytes over every FDE's CFA program (the entries intact) */
	{ "insns_random1", DAMAGE_INSNS_RANDOM, 31, false },
	{ "insns_random2", DAMAGE_INSNS_RANDOM, 32, false },
	/* every FDE's CFA program random instructions about the CFA, the
	 * return address and the frame pointer, with random operands: rows
	 * that send the walk anywhere in the stack and beyond */
	{ "rules_random1", DAMAGE_RULES_RANDOM, 41, false },
	{ "rules_random2", DAMAGE_RULES_RANDOM, 42, false },
	{ "rules_random3", DAMAGE_RULES_RANDOM, 43, false },
	{ "rules_random4", DAMAGE_RULES_RANDOM, 44, false },
	/* random bytes over .eh_frame_hdr's search table (past its header) */
	{ "hdr_table_random1", DAMAGE_HDR_TABLE_RANDOM, 21, false },
	{ "hdr_table_random2", DAMAGE_HDR_TABLE_RANDOM, 22, false },
	/* every FDE's CIE pointer points at the FDE itself */
	{ "cie_self", DAMAGE_CIE_SELF, 0, false },
	/* CIE pointers before the section, far past it, 0 (the FDE reads
	 * as a CIE), into the middle of the CIE */
	{ "cie_out", DAMAGE_CIE_OUT, 0, false },
	/* lengths 0xfffffff0, 0x7fffffff, one byte past the section's end */
	{ "length_huge", DAMAGE_LENGTH_HUGE, 0, false },
	/* every length 0xffffffff: 64-bit entries whose length is what
	 * follows (the CIE id or pointer and the next fields) */
	{ "length_64", DAMAGE_LENGTH_64, 0, false },
	/* FDE ranges of 2^64 - 1 bytes, from 0 or from the FDE's start, and
	 * of 2 GiB */
	{ "range_all", DAMAGE_RANGE_ALL, 0, false },
	/* FDE programs of DW_CFA_remember_state only, or remember_state
	 * and advance_loc alternately: nested as deep as they are long */
	{ "remember_deep", DAMAGE_REMEMBER_DEEP, 0, false },
	/* FDE programs of advance_loc, advance_loc1, 2 and 4 only */
	{ "advance_only", DAMAGE_ADVANCE_ONLY, 0, false },
	/* .eh_frame_hdr's fde_count 0xffffffff */
	{ "hdr_count_huge", DAMAGE_HDR_COUNT_HUGE, 0, false },
	/* PT_GNU_EH_FRAME's offset 64 KiB past the file's end */
	{ "phdr_past_eof", DAMAGE_PHDR_PAST_EOF, 0, false },
	/* PT_GNU_EH_FRAME's offset 8 bytes before the file's end */
	{ "phdr_straddle", DAMAGE_PHDR_STRADDLE, 0, false },
	/* .eh_frame_hdr's eh_frame_ptr at the start of the executable
	 * segment and no search table (fde_count omitted): machine code
	 * read as CFI, entry after entry */
	{ "frame_in_text", DAMAGE_FRAME_IN_TEXT, 0, false },
	/* in hostile_pad, read as .eh_frame (eh_frame_ptr there, no search
	 * table): a CIE whose initial instructions are 64 KiB of DW_CFA_nop,
	 * then 3,276 FDEs of that CIE: each FDE runs the CIE's instructions,
	 * 215 million instructions for 128 KiB of CFI */
	{ "long_cie", DAMAGE_LONG_CIE, 0, true },
	/* PT_GNU_EH_FRAME moved to hostile_pad: a search table of 8,190
	 * entries that all point at one FDE whose program is 64 KiB of
	 * DW_CFA_nop: 537 million instructions for 128 KiB of CFI */
	{ "long_fde_hdr", DAMAGE_LONG_FDE_HDR, 0, true },
};
const int cfi_ndamages = sizeof(cfi_damages) / sizeof(cfi_damages[0]);

static unsigned char lib[MAX_LIB];

struct entry {
	size_t off;		/* of the length field, in .eh_frame */
	uint32_t len;
	bool cie;
	/* FDEs: the offsets of the fields, in .eh_frame */
	size_t begin, range, insns, end;
};

struct image {
	size_t size;
	unsigned int sp, fp, ra;	/* DWARF register numbers */
	Elf64_Phdr *ph_eh;		/* PT_GNU_EH_FRAME */
	Elf64_Phdr *ph_text;		/* the first executable PT_LOAD */
	Elf64_Shdr *frame, *hdr;	/* .eh_frame, .eh_frame_hdr */
	size_t pad_off, pad_size;	/* hostile_pad, in the file */
	uint64_t pad_vaddr;
	char *frame_name, *hdr_name;
	int nentries;
	struct entry entries[MAX_ENTRIES];
};

static char *why_buf;
static size_t why_len;

__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, why_len, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t rnd_state;

/* xorshift32: the same bytes for the same seed on every machine */
static uint32_t rnd(void)
{
	uint32_t x = rnd_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rnd_state = x;
	return x;
}

static uint32_t get32(size_t off)
{
	uint32_t v;

	memcpy(&v, lib + off, 4);
	return v;
}

static void put32(size_t off, uint32_t v)
{
	memcpy(lib + off, &v, 4);
}

static int read_lib(const char *src, size_t *size)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return fail("open %s: %s", src, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, lib + len, sizeof(lib) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return fail("read %s: %s", src, strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(lib)) {
			close(fd);
			return fail("%s: larger than %zu bytes", src, sizeof(lib));
		}
	}
	close(fd);
	*size = len;
	return 0;
}

/* The CIEs and FDEs of .eh_frame, as built. */
static int list_entries(struct image *im)
{
	size_t base = im->frame->sh_offset, size = im->frame->sh_size, off = 0;
	uint8_t enc = 0;

	im->nentries = 0;
	while (off + 4 <= size) {
		struct entry *e = &im->entries[im->nentries];
		uint32_t len = get32(base + off);
		uint32_t id;

		if (len == 0)
			break;			/* the terminator */
		if (len == 0xffffffff || len < 4 || len > size - off - 4)
			return fail(".eh_frame entry at %#zx: length %#x", off, len);
		if (im->nentries == MAX_ENTRIES)
			return fail(".eh_frame: more than %d entries", MAX_ENTRIES);
		id = get32(base + off + 4);
		*e = (struct entry){ .off = off, .len = len, .cie = id == 0 };
		e->end = off + 4 + len;
		if (e->cie) {
			/* version 1, "zR", code and data alignment, return
			 * column, augmentation length, the FDE encoding */
			const unsigned char *p = lib + base + off + 8;

			if (p[0] != 1 || strcmp((const char *)p + 1, "zR"))
				return fail(".eh_frame CIE at %#zx: not version 1 \"zR\"", off);
			p += 4;
			while (*p++ & 0x80)	/* code alignment */
				;
			while (*p++ & 0x80)	/* data alignment */
				;
			p++;			/* return address column */
			if (*p != 1)
				return fail(".eh_frame CIE at %#zx: augmentation length %u", off, *p);
			enc = p[1];
		} else {
			if (enc != ENC_PCREL_SDATA4)
				return fail(".eh_frame FDE at %#zx: encoding %#x", off, enc);
			e->begin = off + 8;
			e->range = off + 12;
			if (lib[base + off + 16] != 0)
				return fail(".eh_frame FDE at %#zx: augmentation data", off);
			e->insns = off + 17;
			if (e->insns > e->end)
				return fail(".eh_frame FDE at %#zx: too short", off);
		}
		im->nentries++;
		off = e->end;
	}
	return 0;
}

static int parse(struct image *im)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)lib;
	Elf64_Shdr *sh, *strtab;
	int i;

	if (im->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail("not an ELF64 little-endian file");
	if (eh->e_machine == EM_X86_64) {
		im->sp = 7;
		im->fp = 6;
		im->ra = 16;
	} else if (eh->e_machine == EM_AARCH64) {
		im->sp = 31;
		im->fp = 29;
		im->ra = 30;
	} else {
		return fail("not x86-64 nor arm64: e_machine %u", eh->e_machine);
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) > im->size ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff + eh->e_shnum * sizeof(Elf64_Shdr) > im->size ||
	    eh->e_shstrndx >= eh->e_shnum)
		return fail("program or section headers out of the file");
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(lib + eh->e_phoff) + i;

		if (ph->p_type == PT_GNU_EH_FRAME)
			im->ph_eh = ph;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && !im->ph_text)
			im->ph_text = ph;
	}
	sh = (Elf64_Shdr *)(lib + eh->e_shoff);
	strtab = &sh[eh->e_shstrndx];
	for (i = 0; i < eh->e_shnum; i++) {
		char *name = (char *)lib + strtab->sh_offset + sh[i].sh_name;

		if (sh[i].sh_name >= strtab->sh_size ||
		    strtab->sh_offset + strtab->sh_size > im->size ||
		    !memchr(name, 0, strtab->sh_size - sh[i].sh_name))
			continue;
		if (!strcmp(name, ".eh_frame")) {
			im->frame = &sh[i];
			im->frame_name = name;
		} else if (!strcmp(name, ".eh_frame_hdr")) {
			im->hdr = &sh[i];
			im->hdr_name = name;
		}
	}
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *str = &sh[sh[i].sh_link < eh->e_shnum ? sh[i].sh_link : 0];
		size_t k;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[i].sh_offset + sh[i].sh_size > im->size ||
		    str->sh_offset + str->sh_size > im->size)
			continue;
		for (k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++) {
			const Elf64_Sym *sym = (const Elf64_Sym *)(lib + sh[i].sh_offset) + k;
			int j;

			if (sym->st_name >= str->sh_size ||
			    strncmp((const char *)lib + str->sh_offset + sym->st_name,
				    "hostile_pad", str->sh_size - sym->st_name))
				continue;
			for (j = 0; j < eh->e_phnum; j++) {
				const Elf64_Phdr *ph = (Elf64_Phdr *)(lib + eh->e_phoff) + j;

				if (ph->p_type == PT_LOAD && sym->st_value >= ph->p_vaddr &&
				    sym->st_value + sym->st_size <= ph->p_vaddr + ph->p_filesz) {
					im->pad_off = ph->p_offset + (sym->st_value - ph->p_vaddr);
					im->pad_vaddr = sym->st_value;
					im->pad_size = sym->st_size;
				}
			}
		}
	}
	if (!im->ph_eh || !im->ph_text || !im->frame || !im->hdr)
		return fail("no PT_GNU_EH_FRAME, executable PT_LOAD, .eh_frame or .eh_frame_hdr");
	if (im->frame->sh_offset + im->frame->sh_size > im->size ||
	    im->hdr->sh_offset + im->hdr->sh_size > im->size || im->hdr->sh_size < 12)
		return fail(".eh_frame or .eh_frame_hdr out of the file");
	if (im->ph_eh->p_offset != im->hdr->sh_offset)
		return fail("PT_GNU_EH_FRAME is not .eh_frame_hdr");
	/* version 1, eh_frame_ptr pcrel sdata4, fde_count udata4, table datarel sdata4 */
	if (memcmp(lib + im->hdr->sh_offset, (unsigned char[]){ 1, ENC_PCREL_SDATA4,
		   ENC_UDATA4, ENC_DATAREL_SDATA4 }, 4))
		return fail(".eh_frame_hdr: not binutils' encodings");
	return list_entries(im);
}

static void fill_random(size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		lib[off + i] = (unsigned char)(rnd() >> 24);
}

/*
 * Fills [off, end) with the instructions of pattern (lens[i] bytes each),
 * in turn; where one does not fit, with fill (a one-byte instruction).
 */
static void fill_insns(size_t off, size_t end, const unsigned char *pattern,
		       const unsigned char *lens, size_t n, unsigned char fill)
{
	size_t i = 0, at = 0;

	while (off < end) {
		if (off + lens[i] <= end) {
			memcpy(lib + off, pattern + at, lens[i]);
			off += lens[i];
		} else {
			lib[off++] = fill;
		}
		at += lens[i];
		if (++i == n)
			i = at = 0;
	}
}

static size_t put_uleb(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = v & 0x7f;
		v >>= 7;
		if (v)
			p[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

/* An operand: small, a multiple of 8, one of the edges, or anything. */
static uint64_t rnd_operand(void)
{
	static const uint64_t edges[] = {
		0, 8, 16, 0x7fff, 0x8000, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ull, ~0ull,
	};

	switch (rnd() % 4) {
	case 0:
		return rnd() % 64;
	case 1:
		return (rnd() % 512) * 8;
	case 2:
		return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	default:
		return (uint64_t)rnd() << 32 | rnd();
	}
}

/* One random instruction about the CFA, ra or fp into p; its length. */
static size_t rnd_rule(const struct image *im, unsigned char *p)
{
	unsigned int regs[] = { im->sp, im->fp, im->ra, rnd() % 64 };
	unsigned int reg = regs[rnd() % 4];
	size_t n = 0;

	switch (rnd() % 14) {
	case 0:
		p[n++] = CFA_DEF_CFA;
		n += put_uleb(p + n, rnd() % 2 ? im->sp : reg);
		n += put_uleb(p + n, rnd_operand());
		break;
	case 1:
		p[n++] = CFA_DEF_CFA_OFFSET;
		n += put_uleb(p + n, rnd_operand());
		break;
	case 2:
		p[n++] = CFA_OFFSET | im->ra;
		n += put_uleb(p + n, rnd_operand());
		break;
	case 3:
		p[n++] = CFA_OFFSET | im->fp;
		n += put_uleb(p + n, rnd_operand());
		break;
	case 4:			/* *(reg + N): a signal frame's, a DRAP's */
		p[n++] = CFA_DEF_CFA_EXPRESSION;
		p[n++] = 3;
		p[n++] = OP_BREG0 + (rnd() % 2 ? im->sp : im->fp);
		p[n++] = rnd() & 0x7f;	/* sleb128, one byte */
		p[n++] = OP_DEREF;
		break;
	case 5:			/* ra at sp + N */
		p[n++] = CFA_EXPRESSION;
		n += put_uleb(p + n, im->ra);
		p[n++] = 2;
		p[n++] = OP_BREG0 + im->sp;
		p[n++] = rnd() & 0x7f;
		break;
	case 6:
	case 7:
		p[n++] = CFA_ADVANCE_LOC | (1 + rnd() % 63);
		break;
	case 8:
		p[n++] = rnd() % 2 ? CFA_REMEMBER_STATE : CFA_RESTORE_STATE;
		break;
	case 9:
		p[n++] = rnd() % 2 ? CFA_UNDEFINED : CFA_SAME_VALUE;
		n += put_uleb(p + n, rnd() % 2 ? im->ra : im->fp);
		break;
	case 10:
		p[n++] = CFA_REGISTER;
		n += put_uleb(p + n, rnd() % 2 ? im->ra : im->fp);
		n += put_uleb(p + n, reg);
		break;
	case 11:
		p[n++] = CFA_DEF_CFA_SF;
		n += put_uleb(p + n, rnd() % 2 ? im->sp : im->fp);
		p[n++] = rnd() & 0x7f;
		break;
	case 12:
		p[n++] = CFA_VAL_OFFSET;
		n += put_uleb(p + n, rnd() % 2 ? im->ra : im->fp);
		n += put_uleb(p + n, rnd_operand());
		break;
	default:
		p[n++] = CFA_GNU_WINDOW_SAVE;
	}
	return n;
}

/*
 * A CIE at pad offset @at: version 1, "zR", code alignment 1, data
 * alignment -8, the return address column, FDEs pcrel|sdata4; initial
 * instructions: CFA = sp + 8 (x86-64) or sp (arm64), then nops to make the
 * whole entry @len bytes.  Returns the offset after it.
 */
static size_t put_cie(const struct image *im, size_t at, size_t len)
{
	unsigned char *p = lib + im->pad_off + at;
	size_t n = 4;

	put32(im->pad_off + at, (uint32_t)(len - 4));
	memcpy(p + n, (unsigned char[]){ 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78 }, 10);
	n += 10;
	n += put_uleb(p + n, im->ra);
	p[n++] = 1;
	p[n++] = ENC_PCREL_SDATA4;
	p[n++] = CFA_DEF_CFA;
	n += put_uleb(p + n, im->sp);
	n += put_uleb(p + n, im->ra == 16 ? 8 : 0);
	memset(p + n, 0, len - n);	/* DW_CFA_nop */
	return at + len;
}

/*
 * An FDE at pad offset @at of the CIE at pad offset @cie, for the first
 * 16 bytes of the text, its program @insns bytes of nops.  Returns the
 * offset after it.
 */
static size_t put_fde(const struct image *im, size_t at, size_t cie, size_t insns)
{
	size_t off = im->pad_off + at;
	uint64_t vaddr = im->pad_vaddr + at;

	put32(off, (uint32_t)(13 + insns));
	put32(off + 4, (uint32_t)(at + 4 - cie));
	put32(off + 8, (uint32_t)(im->ph_text->p_vaddr - (vaddr + 8)));
	put32(off + 12, 16);
	lib[off + 16] = 0;
	memset(lib + off + 17, 0, insns);
	return at + 17 + insns;
}

static void damage(struct image *im, const struct cfi_damage *d)
{
	size_t fbase = im->frame->sh_offset, fsize = im->frame->sh_size;
	size_t hbase = im->hdr->sh_offset, hsize = im->hdr->sh_size;
	int i, k = 0;

	rnd_state = d->seed * 2654435761u + 1;
	switch (d->kind) {
	case DAMAGE_NONE:
		break;
	case DAMAGE_NO_EH_FRAME:
		im->ph_eh->p_type = PT_NULL;
		memcpy(im->frame_name + 1, "xx", 2);
		memcpy(im->hdr_name + 1, "xx", 2);
		memset(lib + fbase, 0, fsize);
		memset(lib + hbase, 0, hsize);
		break;
	case DAMAGE_FRAME_RANDOM:
		fill_random(fbase, fsize);
		break;
	case DAMAGE_FRAME_MUTATE:
		for (i = 0; i < 8; i++) {
			size_t at = rnd() % fsize;

			lib[fbase + at] ^= (unsigned char)(1 + rnd() % 255);
		}
		break;
	case DAMAGE_INSNS_RANDOM:
		for (i = 0; i < im->nentries; i++)
			if (!im->entries[i].cie)
				fill_random(fbase + im->entries[i].insns,
					    im->entries[i].end - im->entries[i].insns);
		break;
	case DAMAGE_RULES_RANDOM:
		for (i = 0; i < im->nentries; i++) {
			const struct entry *e = &im->entries[i];
			size_t at = fbase + e->insns, end = fbase + e->end;

			if (e->cie)
				continue;
			while (at < end) {
				unsigned char insn[32];
				size_t n = rnd_rule(im, insn);

				if (n > end - at) {
					memset(lib + at, 0, end - at);	/* nops */
					break;
				}
				memcpy(lib + at, insn, n);
				at += n;
			}
		}
		break;
	case DAMAGE_HDR_TABLE_RANDOM:
		fill_random(hbase + 12, hsize - 12);
		break;
	case DAMAGE_CIE_SELF:
		for (i = 0; i < im->nentries; i++)
			if (!im->entries[i].cie)
				put32(fbase + im->entries[i].off + 4, 4);
		break;
	case DAMAGE_CIE_OUT:
		for (i = 0; i < im->nentries; i++) {
			const struct entry *e = &im->entries[i];
			uint32_t id_off = (uint32_t)e->off + 4;
			uint32_t v[] = { id_off + 4, 0x7fffffff, 0xffffffff, 0,
					 id_off - 6 };

			if (!e->cie)
				put32(fbase + id_off, v[k++ % 5]);
		}
		break;
	case DAMAGE_LENGTH_HUGE:
		for (i = 0; i < im->nentries; i++) {
			const struct entry *e = &im->entries[i];
			uint32_t v[] = { 0xfffffff0, 0x7fffffff,
					 (uint32_t)(fsize - e->off - 4 + 1) };

			put32(fbase + e->off, v[i % 3]);
		}
		break;
	case DAMAGE_LENGTH_64:
		for (i = 0; i < im->nentries; i++)
			put32(fbase + im->entries[i].off, 0xffffffff);
		break;
	case DAMAGE_RANGE_ALL:
		for (i = 0; i < im->nentries; i++) {
			const struct entry *e = &im->entries[i];

			if (e->cie)
				continue;
			if (k % 3 == 0)		/* pcrel: from address 0 */
				put32(fbase + e->begin,
				      (uint32_t)-(im->frame->sh_addr + e->begin));
			put32(fbase + e->range, k % 3 == 2 ? 0x7fffffff : 0xffffffff);
			k++;
		}
		break;
	case DAMAGE_REMEMBER_DEEP:
		for (i = 0; i < im->nentries; i++) {
			const struct entry *e = &im->entries[i];
			static const unsigned char stepping[] = {
				CFA_REMEMBER_STATE, CFA_ADVANCE_LOC | 1 };

			if (e->cie)
				continue;
			if (k++ % 2)
				fill_insns(fbase + e->insns, fbase + e->end, stepping,
					   (const unsigned char[]){ 1, 1 }, 2,
					   CFA_REMEMBER_STATE);
			else
				memset(lib + fbase + e->insns, CFA_REMEMBER_STATE,
				       e->end - e->insns);
		}
		break;
	case DAMAGE_ADVANCE_ONLY:
		for (i = 0; i < im->nentries; i++) {
			const struct entry *e = &im->entries[i];
			static const unsigned char advances[] = {
				CFA_ADVANCE_LOC | 1,
				CFA_ADVANCE_LOC4, 0xff, 0xff, 0xff, 0xff,
				CFA_ADVANCE_LOC1, 0x10,
				CFA_ADVANCE_LOC2, 0x00, 0x01,
				CFA_ADVANCE_LOC | 0x3f };

			if (!e->cie)
				fill_insns(fbase + e->insns, fbase + e->end, advances,
					   (const unsigned char[]){ 1, 5, 2, 3, 1 }, 5,
					   CFA_ADVANCE_LOC | 1);
		}
		break;
	case DAMAGE_HDR_COUNT_HUGE:
		put32(hbase + 8, 0xffffffff);
		break;
	case DAMAGE_PHDR_PAST_EOF:
		im->ph_eh->p_offset = im->size + 0x10000;
		break;
	case DAMAGE_PHDR_STRADDLE:
		im->ph_eh->p_offset = im->size - 8;
		break;
	case DAMAGE_LONG_CIE: {
		size_t at = put_cie(im, 0, im->pad_size / 2);

		while (at + 20 + 4 <= im->pad_size)
			at = put_fde(im, at, 0, 3);
		put32(im->pad_off + at, 0);	/* the terminator */
		put32(hbase + 4, (uint32_t)(im->pad_vaddr - (im->hdr->sh_addr + 4)));
		lib[hbase + 2] = ENC_OMIT;
		break;
	}
	case DAMAGE_LONG_FDE_HDR: {
		/* the frame: a CIE and one long FDE, in the second half */
		size_t half = im->pad_size / 2, fde = put_cie(im, half, 32), at;
		size_t end = put_fde(im, fde, half, im->pad_size - fde - 17 - 4);
		uint32_t n = (uint32_t)((half - 12) / 8), i;

		put32(im->pad_off + end, 0);
		/* the header and its table, in the first half */
		memcpy(lib + im->pad_off, (unsigned char[]){ 1, ENC_PCREL_SDATA4,
		       ENC_UDATA4, ENC_DATAREL_SDATA4 }, 4);
		put32(im->pad_off + 4, (uint32_t)(half - 4));
		put32(im->pad_off + 8, n);
		for (i = 0, at = 12; i < n; i++, at += 8) {
			put32(im->pad_off + at, (uint32_t)(im->ph_text->p_vaddr - im->pad_vaddr));
			put32(im->pad_off + at + 4, (uint32_t)fde);
		}
		im->ph_eh->p_offset = im->pad_off;
		im->ph_eh->p_vaddr = im->ph_eh->p_paddr = im->pad_vaddr;
		im->ph_eh->p_filesz = im->ph_eh->p_memsz = half;
		break;
	}
	case DAMAGE_FRAME_IN_TEXT:
		/* eh_frame_ptr is relative to its own address (hdr + 4) */
		put32(hbase + 4, (uint32_t)(im->ph_text->p_vaddr -
					    (im->hdr->sh_addr + 4)));
		lib[hbase + 2] = ENC_OMIT;
		break;
	}
}

static int write_copy(const char *dst, size_t size)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	size_t done = 0;

	if (fd < 0)
		return fail("create %s: %s", dst, strerror(errno));
	while (done < size) {
		ssize_t n = write(fd, lib + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			close(fd);
			return fail("write %s: %s", dst, strerror(err));
		}
		done += (size_t)n;
	}
	if (close(fd))
		return fail("close %s: %s", dst, strerror(errno));
	return 0;
}

int cfi_damaged_copy(const char *src, const char *dst,
		     const struct cfi_damage *d, char *why, size_t whylen)
{
	struct image im = { 0 };

	why_buf = why;
	why_len = whylen;
	if (read_lib(src, &im.size) || parse(&im))
		return -1;
	if ((d->kind == DAMAGE_LONG_CIE || d->kind == DAMAGE_LONG_FDE_HDR) &&
	    im.pad_size < 4096)
		return fail("%s: no hostile_pad", src);
	damage(&im, d);
	return write_copy(dst, im.size);
}
