// SPDX-License-Identifier: GPL-2.0
/*
 * cfi.c - DWARF call frame information compiled to unwind rows.
 *
 * Owns the parser and interpreter of .eh_frame, .eh_frame_hdr and
 * .debug_frame (DWARF 4 section 6.4, LSB 5.0 "Exception Frames"), and the
 * format of the rows it produces (cfi.h).  For each FDE it runs the CIE's
 * initial instructions and the FDE's instructions once, over the whole
 * address range, and appends a row each time the location advances; the
 * rows of all FDEs are then sorted, rows with the same rules merged, and
 * gaps between FDEs marked INVALID.  What it follows:
 *
 *   CFA       a register (sp or the frame pointer) plus an offset; the
 *             expression of a signal frame (*(sp + N)) and of a function
 *             that realigns its stack (*(fp + N), gcc's DRAP); the x86-64
 *             PLT expression binutils writes for .plt.
 *   return    at CFA + N; at sp + N (signal frame expression); undefined
 *   address   (the outermost frame); on arm64 unchanged (still in x30).
 *   frame     unchanged, at CFA + N, at sp + N, or unknown.
 *   pointer
 *
 * Anything else about those three (a CFA in another register, a general
 * DWARF expression, a value in another register) makes the row INVALID:
 * the walk ends there, or falls back to frame pointers, and says so.
 * Other registers' rules are read past, not followed.
 *
 * The input comes from files any process can map, so nothing is trusted:
 * every read goes through a cursor checked against the end of its section,
 * every loop consumes input or is bounded by a constant, location counters
 * never go backwards, and the number of rows is capped.  This file is also
 * compiled on the host for the unit tests and the fuzzer
 * (userspace/tests/test_cfi.c), so it uses no kernel interface.
 *
 * Locking: none; the caller owns the input and the table.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
/*
 * A table is built in process context: let others run meanwhile, and stop
 * for a task that is being killed.
 */
static bool cfi_stop(void)
{
	cond_resched();
	return fatal_signal_pending(current);
}
#else
#include <errno.h>
#include <stdbool.h>
static bool cfi_stop(void)
{
	return false;
}
#endif

/*
 * CFA operations run per byte of CFI, for the whole build: a CIE's initial
 * instructions run again for each of its FDEs, and .eh_frame_hdr may list
 * one FDE many times, so without a budget a crafted file of N bytes costs
 * N^2.  Real files run about 2 per byte (the libcs of both architectures).
 */
#define OPS_PER_BYTE	16
#define OPS_MIN		65536

#include "cfi.h"

/* pointer encodings (LSB 5.0, 10.5) */
#define DW_EH_PE_absptr		0x00
#define DW_EH_PE_omit		0xff
#define DW_EH_PE_pcrel		0x10
#define DW_EH_PE_datarel	0x30
#define DW_EH_PE_indirect	0x80

/* call frame instructions (DWARF 4, 7.23) */
#define DW_CFA_advance_loc		0x40
#define DW_CFA_offset			0x80
#define DW_CFA_restore			0xc0
#define DW_CFA_nop			0x00
#define DW_CFA_set_loc			0x01
#define DW_CFA_advance_loc1		0x02
#define DW_CFA_advance_loc2		0x03
#define DW_CFA_advance_loc4		0x04
#define DW_CFA_offset_extended		0x05
#define DW_CFA_restore_extended		0x06
#define DW_CFA_undefined		0x07
#define DW_CFA_same_value		0x08
#define DW_CFA_register			0x09
#define DW_CFA_remember_state		0x0a
#define DW_CFA_restore_state		0x0b
#define DW_CFA_def_cfa			0x0c
#define DW_CFA_def_cfa_register		0x0d
#define DW_CFA_def_cfa_offset		0x0e
#define DW_CFA_def_cfa_expression	0x0f
#define DW_CFA_expression		0x10
#define DW_CFA_offset_extended_sf	0x11
#define DW_CFA_def_cfa_sf		0x12
#define DW_CFA_def_cfa_offset_sf	0x13
#define DW_CFA_val_offset		0x14
#define DW_CFA_val_offset_sf		0x15
#define DW_CFA_val_expression		0x16
#define DW_CFA_GNU_window_save		0x2d	/* arm64: AARCH64_negate_ra_state */
#define DW_CFA_GNU_args_size		0x2e
#define DW_CFA_GNU_negative_offset_extended 0x2f

/* DWARF expression operations the CFA and register rules may use */
#define DW_OP_deref	0x06
#define DW_OP_and	0x1a
#define DW_OP_plus	0x22
#define DW_OP_shl	0x24
#define DW_OP_ge	0x2a
#define DW_OP_lit0	0x30
#define DW_OP_breg0	0x70

#define REMEMBER_DEPTH	8	/* DW_CFA_remember_state nesting followed */

/* DWARF register numbers: the stack pointer, the frame pointer, the return address */
struct cfi_regs {
	unsigned int sp, fp, ra;
	bool ra_in_reg;		/* the return address starts out in a register (arm64) */
};

static const struct cfi_regs cfi_regs_x86_64 = { 7, 6, 16, false };
static const struct cfi_regs cfi_regs_arm64 = { 31, 29, 30, true };

/* A position in one section; reads past its end set bad and return 0. */
struct cursor {
	const u8 *p;
	const u8 *end;
	const struct anonstat_cfi_section *sec;
	bool bad;
};

static void cursor_init(struct cursor *c, const struct anonstat_cfi_section *sec,
			u64 off, u64 len)
{
	c->sec = sec;
	c->bad = off > sec->size || len > sec->size - off;
	c->p = sec->data + (c->bad ? 0 : off);
	c->end = c->bad ? c->p : c->p + len;
}

static u64 cursor_off(const struct cursor *c)
{
	return c->p - c->sec->data;
}

static u64 rd_fixed(struct cursor *c, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	if (c->bad || (u64)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (u64)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static u8 rd_u8(struct cursor *c)
{
	return rd_fixed(c, 1);
}

/* The bits of a LEB128 number: *shift is how many were read, *last the last byte. */
static u64 rd_leb(struct cursor *c, unsigned int *shift, u8 *last)
{
	u64 v = 0;
	u8 b;

	*shift = 0;
	do {
		b = rd_u8(c);
		if (*shift < 64)
			v |= (u64)(b & 0x7f) << *shift;
		*shift += 7;
	} while ((b & 0x80) && !c->bad);
	*last = b;
	return v;
}

static u64 rd_uleb(struct cursor *c)
{
	unsigned int shift;
	u8 last;

	return rd_leb(c, &shift, &last);
}

static s64 rd_sleb(struct cursor *c)
{
	unsigned int shift;
	u8 last;
	u64 v = rd_leb(c, &shift, &last);

	if (shift < 64 && (last & 0x40))
		v |= ~0ULL << shift;
	return (s64)v;
}

static void skip(struct cursor *c, u64 n)
{
	if (c->bad || (u64)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	c->p += n;
}

/*
 * An encoded pointer.  pcrel is relative to the field's own address;
 * datarel (only .eh_frame_hdr uses it) to @datarel.  An indirect pointer
 * cannot be followed here: bad, unless the value is not needed.
 */
static u64 rd_encoded(struct cursor *c, u8 enc, u64 datarel, bool need_value)
{
	u64 field = c->sec->vaddr + cursor_off(c);
	u64 v;

	switch (enc & 0x0f) {
	case 0x00:			/* absptr, 64-bit */
	case 0x04:			/* udata8 */
	case 0x0c:			/* sdata8 */
		v = rd_fixed(c, 8);
		break;
	case 0x01:			/* uleb128 */
		v = rd_uleb(c);
		break;
	case 0x02:			/* udata2 */
		v = rd_fixed(c, 2);
		break;
	case 0x03:			/* udata4 */
		v = rd_fixed(c, 4);
		break;
	case 0x09:			/* sleb128 */
		v = rd_sleb(c);
		break;
	case 0x0a:			/* sdata2 */
		v = (s64)(s16)rd_fixed(c, 2);
		break;
	case 0x0b:			/* sdata4 */
		v = (s64)(s32)rd_fixed(c, 4);
		break;
	default:
		c->bad = true;
		return 0;
	}
	switch (enc & 0x70) {
	case 0x00:
		break;
	case DW_EH_PE_pcrel:
		v += field;
		break;
	case DW_EH_PE_datarel:
		v += datarel;
		break;
	default:				/* textrel, funcrel, aligned */
		if (need_value)
			c->bad = true;
	}
	if ((enc & DW_EH_PE_indirect) && need_value)
		c->bad = true;
	return v;
}

/* What a CIE says, for the FDEs that use it. */
struct cie {
	u64 off;		/* in the section; ~0: none read yet */
	u64 code_align;
	s64 data_align;
	u8 fde_enc;
	bool has_aug_data;	/* 'z': FDEs have an augmentation length */
	bool signal;		/* 'S' */
	const u8 *insns;
	const u8 *insns_end;
};

/* The header of an entry: its length and its CIE id / CIE pointer. */
struct entry {
	u64 off;		/* of the length field */
	u64 id;
	u64 id_off;		/* of the id field */
	bool is64;
	struct cursor body;	/* from after the id to the end of the entry */
};

/* The entry at @off; false at the end (a zero terminator) or when unreadable. */
static bool read_entry(const struct anonstat_cfi_section *sec, u64 off,
		       struct entry *e)
{
	struct cursor c;
	u64 len;

	cursor_init(&c, sec, off, sec->size > off ? sec->size - off : 0);
	len = rd_fixed(&c, 4);
	e->is64 = len == 0xffffffff;
	if (e->is64)
		len = rd_fixed(&c, 8);
	if (c.bad || len == 0 || len > (u64)(c.end - c.p))
		return false;
	e->off = off;
	e->id_off = cursor_off(&c);
	cursor_init(&e->body, sec, e->id_off, len);
	e->id = rd_fixed(&e->body, e->is64 ? 8 : 4);
	return !e->body.bad;
}

static u64 entry_end(const struct entry *e)
{
	return e->body.end - e->body.sec->data;
}

static bool is_cie(const struct entry *e, bool debug_frame)
{
	if (!debug_frame)
		return e->id == 0;
	return e->id == (e->is64 ? ~0ULL : 0xffffffffULL);
}

static bool parse_cie(const struct anonstat_cfi_input *in,
		      const struct cfi_regs *regs, u64 off, struct cie *cie)
{
	const struct anonstat_cfi_section *sec = &in->frame;
	const u8 *aug, *aug_end;
	struct entry e;
	struct cursor *c = &e.body;
	u8 version;
	u64 ra;

	if (cie->off == off)
		return true;
	cie->off = ~0ULL;
	if (!read_entry(sec, off, &e) || !is_cie(&e, in->debug_frame))
		return false;
	version = rd_u8(c);
	if (version != 1 && version != 3 && !(in->debug_frame && version == 4))
		return false;
	aug = c->p;
	while (c->p < c->end && *c->p)
		c->p++;
	aug_end = c->p;
	skip(c, 1);
	/* an augmentation without 'z' cannot be skipped ("eh": gcc 2.x) */
	if (aug != aug_end && *aug != 'z')
		return false;
	if (version == 4) {
		if (rd_u8(c) != 8 || rd_u8(c) != 0)	/* address, segment size */
			return false;
	}
	cie->code_align = rd_uleb(c);
	cie->data_align = rd_sleb(c);
	ra = version == 1 ? rd_u8(c) : rd_uleb(c);
	if (ra != regs->ra)
		return false;
	cie->fde_enc = DW_EH_PE_absptr;
	cie->has_aug_data = false;
	cie->signal = false;
	if (aug != aug_end) {
		u64 len = rd_uleb(c);
		const u8 *data_end;

		if (c->bad || len > (u64)(c->end - c->p))
			return false;
		data_end = c->p + len;
		cie->has_aug_data = true;
		for (aug++; aug < aug_end && !c->bad; aug++) {
			if (*aug == 'R') {
				cie->fde_enc = rd_u8(c);
			} else if (*aug == 'L') {
				rd_u8(c);
			} else if (*aug == 'P') {
				u8 enc = rd_u8(c);

				rd_encoded(c, enc, 0, false);
			} else if (*aug == 'S') {
				cie->signal = true;
			} else if (*aug != 'B' && *aug != 'G') {
				break;		/* unknown: its data is skipped below */
			}
		}
		if (c->bad || c->p > data_end)
			return false;
		c->p = data_end;
	}
	if (c->bad || !cie->code_align)
		return false;
	cie->insns = c->p;
	cie->insns_end = c->end;
	cie->off = off;
	return true;
}

/* ---- the interpreter ---- */

enum rule {
	RULE_SAME,		/* unset, or same value */
	RULE_AT_CFA,
	RULE_AT_SP,
	RULE_UNDEF,
	RULE_OTHER,		/* in a way not followed */
};

enum cfa_kind {
	CFA_REG,
	CFA_DEREF_SP,
	CFA_DEREF_FP,
	CFA_PLT,
	CFA_OTHER,
};

struct reg_rule {
	u8 rule;
	s64 off;
};

struct frame_state {
	u8 cfa_kind;
	u8 plt_ge;
	u64 cfa_reg;
	s64 cfa_off;
	struct reg_rule ra;
	struct reg_rule fp;
};

struct interp {
	const struct anonstat_cfi_input *in;
	const struct cfi_regs *regs;
	const struct cie *cie;
	struct anonstat_cfi_table *t;
	struct frame_state st;
	struct frame_state initial;	/* after the CIE's instructions: DW_CFA_restore */
	struct frame_state stack[REMEMBER_DEPTH];
	unsigned int depth;
	u64 loc;
	u64 end;
	u32 fde_first;		/* the FDE's first row in the table */
	bool signal;
	bool partial;		/* stopped at something not followed */
	int err;		/* from the table or the budget: stop everything */
	u64 ops;		/* operations left in the build's budget */
};

static struct reg_rule *tracked(struct interp *ip, u64 reg)
{
	if (reg == ip->regs->ra)
		return &ip->st.ra;
	if (reg == ip->regs->fp)
		return &ip->st.fp;
	return NULL;
}

static void set_rule(struct interp *ip, u64 reg, u8 rule, s64 off)
{
	struct reg_rule *r = tracked(ip, reg);

	if (r) {
		r->rule = rule;
		r->off = off;
	}
}

static void restore_rule(struct interp *ip, u64 reg)
{
	if (reg == ip->regs->ra)
		ip->st.ra = ip->initial.ra;
	else if (reg == ip->regs->fp)
		ip->st.fp = ip->initial.fp;
}

static bool fits(s64 v, s64 lo, s64 hi)
{
	return v >= lo && v <= hi;
}

/* The row for the current state. */
static void make_row(const struct interp *ip, struct anonstat_unwind_row *row)
{
	const struct frame_state *st = &ip->st;
	const struct reg_rule *rules[2] = { &st->ra, &st->fp };
	u8 out[2];
	s16 offs[2] = { 0, 0 };
	unsigned int i;

	*row = (struct anonstat_unwind_row){ .cfa = ANONSTAT_CFA_INVALID };
	for (i = 0; i < 2; i++) {
		switch (rules[i]->rule) {
		case RULE_SAME:
			out[i] = ANONSTAT_REG_SAME;
			break;
		case RULE_AT_CFA:
		case RULE_AT_SP:
			/* in 8-byte units (cfi.h) */
			if ((rules[i]->off & 7) ||
			    !fits(rules[i]->off, -32768 * 8, 32767 * 8))
				return;
			out[i] = rules[i]->rule == RULE_AT_CFA ?
				 ANONSTAT_REG_AT_CFA : ANONSTAT_REG_AT_SP;
			offs[i] = rules[i]->off / 8;
			break;
		default:
			out[i] = ANONSTAT_REG_UNKNOWN;
		}
	}
	if (st->ra.rule == RULE_UNDEF) {
		row->cfa = ANONSTAT_CFA_END;
		return;
	}
	/* where the return address is must be known (arm64: x30 itself) */
	if (out[0] == ANONSTAT_REG_UNKNOWN ||
	    (out[0] == ANONSTAT_REG_SAME && !ip->regs->ra_in_reg))
		return;
	if (!fits(st->cfa_off, -0x7fffffffLL - 1, 0x7fffffffLL))
		return;
	switch (st->cfa_kind) {
	case CFA_REG:
		if (st->cfa_reg == ip->regs->sp)
			row->cfa = ANONSTAT_CFA_SP;
		else if (st->cfa_reg == ip->regs->fp)
			row->cfa = ANONSTAT_CFA_FP;
		else
			return;
		break;
	case CFA_DEREF_SP:
		row->cfa = ANONSTAT_CFA_DEREF_SP;
		break;
	case CFA_DEREF_FP:
		row->cfa = ANONSTAT_CFA_DEREF_FP;
		break;
	case CFA_PLT:
		row->cfa = ANONSTAT_CFA_PLT;
		row->flags = st->plt_ge << 4;
		break;
	default:
		return;
	}
	row->cfa_off = st->cfa_off;
	row->ra = out[0];
	row->ra_off8 = offs[0];
	row->fp = out[1];
	row->fp_off8 = offs[1];
	if (ip->signal)
		row->flags |= ANONSTAT_ROW_SIGNAL;
}

static bool same_rules(const struct anonstat_unwind_row *a,
		       const struct anonstat_unwind_row *b)
{
	return a->cfa == b->cfa && a->cfa_off == b->cfa_off && a->ra == b->ra &&
	       a->fp == b->fp && a->flags == b->flags &&
	       a->ra_off8 == b->ra_off8 && a->fp_off8 == b->fp_off8;
}

static void append(struct interp *ip, u64 pc, const struct anonstat_unwind_row *row)
{
	struct anonstat_cfi_table *t = ip->t;

	if (ip->err)
		return;
	if (t->nr >= t->max_rows) {
		ip->err = -E2BIG;
		return;
	}
	if (t->nr >= t->cap) {
		ip->err = anonstat_cfi_grow(t);
		if (!ip->err && t->nr >= t->cap)
			ip->err = -ENOMEM;
		if (ip->err)
			return;
	}
	t->rows[t->nr] = *row;
	t->rows[t->nr].pc = pc - ip->in->base;
	t->nr++;
}

/* The state holds from ip->loc to @to: a row, unless the FDE's last says the same. */
static void emit(struct interp *ip, u64 to)
{
	struct anonstat_cfi_table *t = ip->t;
	struct anonstat_unwind_row row;

	if (to > ip->end)
		to = ip->end;
	if (ip->loc >= to)
		return;
	make_row(ip, &row);
	if (!(t->nr > ip->fde_first && same_rules(&t->rows[t->nr - 1], &row)))
		append(ip, ip->loc, &row);
	ip->loc = to;
}

/*
 * A CFA expression: the two the toolchains write for code that has no
 * register-plus-offset CFA (the signal trampoline, the PLT).
 */
static void cfa_expression(struct interp *ip, struct cursor *c, u64 len)
{
	struct cursor e = *c;
	u8 breg_sp = DW_OP_breg0 + ip->regs->sp;
	u8 breg_fp = DW_OP_breg0 + ip->regs->fp;
	s64 off;
	u8 op;

	skip(c, len);
	if (c->bad)
		return;
	e.end = e.p + len;
	ip->st.cfa_kind = CFA_OTHER;
	op = rd_u8(&e);
	if (op != breg_sp && op != breg_fp)
		return;
	off = rd_sleb(&e);
	if (e.bad)
		return;
	/* *(sp + N): a signal frame; *(fp + N): gcc's DRAP, after realigning */
	if (e.end - e.p == 1 && *e.p == DW_OP_deref) {
		ip->st.cfa_kind = op == breg_sp ? CFA_DEREF_SP : CFA_DEREF_FP;
		ip->st.cfa_off = off;
		return;
	}
	if (op != breg_sp)
		return;
	/* sp + 8 + (((rip & 15) >= N) << 3) */
	if (ip->in->arch == ANONSTAT_CFI_X86_64 && off == 8 && e.end - e.p == 9 &&
	    e.p[0] == DW_OP_breg0 + 16 && e.p[1] == 0 &&
	    e.p[2] == DW_OP_lit0 + 15 && e.p[3] == DW_OP_and &&
	    e.p[4] >= DW_OP_lit0 && e.p[4] <= DW_OP_lit0 + 15 &&
	    e.p[5] == DW_OP_ge && e.p[6] == DW_OP_lit0 + 3 &&
	    e.p[7] == DW_OP_shl && e.p[8] == DW_OP_plus) {
		ip->st.cfa_kind = CFA_PLT;
		ip->st.cfa_off = 8;
		ip->st.plt_ge = e.p[4] - DW_OP_lit0;
	}
}

/* A register's expression: only "the value is saved at sp + N" is followed. */
static void reg_expression(struct interp *ip, struct cursor *c, u64 reg, u64 len)
{
	struct cursor e = *c;
	s64 off;

	skip(c, len);
	if (c->bad || !tracked(ip, reg))
		return;
	e.end = e.p + len;
	if (rd_u8(&e) == DW_OP_breg0 + ip->regs->sp) {
		off = rd_sleb(&e);
		if (!e.bad && e.p == e.end) {
			set_rule(ip, reg, RULE_AT_SP, off);
			return;
		}
	}
	set_rule(ip, reg, RULE_OTHER, 0);
}

/*
 * An operand times the data alignment factor, wrapping: past 64 bits the
 * input is garbage (that the range checks of make_row() leave out), not a
 * signed overflow, which is undefined behaviour.
 */
static s64 scaled(u64 v, s64 factor)
{
	return (s64)(v * (u64)factor);
}

/* Move the location on by @delta; instructions of a CIE may not. */
static void advance(struct interp *ip, struct cursor *c, u64 delta, bool in_cie)
{
	if (in_cie) {
		ip->partial = true;
		c->bad = true;
		return;
	}
	emit(ip, delta > ip->end - ip->loc ? ip->end : ip->loc + delta);
}

/*
 * Run one instruction sequence (the CIE's initial instructions, or an
 * FDE's) from ip->loc.  Returns false when it stopped early: at the end of
 * the FDE's range, or at something it does not follow (ip->partial).
 */
static bool run(struct interp *ip, const u8 *p, const u8 *end, bool in_cie)
{
	const struct cie *cie = ip->cie;
	struct cursor c = { .p = p, .end = end, .sec = &ip->in->frame };
	u64 reg, len;
	s64 off;

	while (c.p < c.end && !c.bad && !ip->err && ip->loc < ip->end) {
		u8 op;

		if (!ip->ops--) {
			ip->err = -E2BIG;
			break;
		}
		if (!(ip->ops & 0xffff) && cfi_stop()) {
			ip->err = -EINTR;
			break;
		}
		op = rd_u8(&c);

		switch (op & 0xc0) {
		case DW_CFA_advance_loc:
			advance(ip, &c, (op & 0x3f) * cie->code_align, in_cie);
			continue;
		case DW_CFA_offset:
			off = scaled(rd_uleb(&c), cie->data_align);
			set_rule(ip, op & 0x3f, RULE_AT_CFA, off);
			continue;
		case DW_CFA_restore:
			restore_rule(ip, op & 0x3f);
			continue;
		}
		switch (op) {
		case DW_CFA_nop:
			break;
		case DW_CFA_set_loc: {
			u64 to = ip->in->debug_frame ? rd_fixed(&c, 8) :
				 rd_encoded(&c, cie->fde_enc, 0, true);

			if (c.bad || in_cie || to < ip->loc) {
				ip->partial = !c.bad;
				c.bad = true;
				break;
			}
			advance(ip, &c, to - ip->loc, false);
			break;
		}
		case DW_CFA_advance_loc1:
			advance(ip, &c, rd_fixed(&c, 1) * cie->code_align, in_cie);
			break;
		case DW_CFA_advance_loc2:
			advance(ip, &c, rd_fixed(&c, 2) * cie->code_align, in_cie);
			break;
		case DW_CFA_advance_loc4:
			advance(ip, &c, rd_fixed(&c, 4) * cie->code_align, in_cie);
			break;
		case DW_CFA_offset_extended:
			reg = rd_uleb(&c);
			off = scaled(rd_uleb(&c), cie->data_align);
			set_rule(ip, reg, RULE_AT_CFA, off);
			break;
		case DW_CFA_restore_extended:
			restore_rule(ip, rd_uleb(&c));
			break;
		case DW_CFA_undefined:
			set_rule(ip, rd_uleb(&c), RULE_UNDEF, 0);
			break;
		case DW_CFA_same_value:
			set_rule(ip, rd_uleb(&c), RULE_SAME, 0);
			break;
		case DW_CFA_register:
			reg = rd_uleb(&c);
			rd_uleb(&c);
			set_rule(ip, reg, RULE_OTHER, 0);
			break;
		case DW_CFA_remember_state:
			if (ip->depth == REMEMBER_DEPTH) {
				ip->partial = true;
				c.bad = true;
				break;
			}
			ip->stack[ip->depth++] = ip->st;
			break;
		case DW_CFA_restore_state:
			if (!ip->depth) {
				ip->partial = true;
				c.bad = true;
				break;
			}
			ip->st = ip->stack[--ip->depth];
			break;
		case DW_CFA_def_cfa:
			ip->st.cfa_kind = CFA_REG;
			ip->st.cfa_reg = rd_uleb(&c);
			ip->st.cfa_off = rd_uleb(&c);
			break;
		case DW_CFA_def_cfa_sf:
			ip->st.cfa_kind = CFA_REG;
			ip->st.cfa_reg = rd_uleb(&c);
			ip->st.cfa_off = scaled(rd_sleb(&c), cie->data_align);
			break;
		case DW_CFA_def_cfa_register:
			/* the offset stays; only meaningful after a register CFA */
			if (ip->st.cfa_kind != CFA_REG)
				ip->st.cfa_kind = CFA_OTHER;
			ip->st.cfa_reg = rd_uleb(&c);
			break;
		case DW_CFA_def_cfa_offset:
			if (ip->st.cfa_kind != CFA_REG)
				ip->st.cfa_kind = CFA_OTHER;
			ip->st.cfa_off = rd_uleb(&c);
			break;
		case DW_CFA_def_cfa_offset_sf:
			if (ip->st.cfa_kind != CFA_REG)
				ip->st.cfa_kind = CFA_OTHER;
			ip->st.cfa_off = scaled(rd_sleb(&c), cie->data_align);
			break;
		case DW_CFA_def_cfa_expression:
			len = rd_uleb(&c);
			cfa_expression(ip, &c, len);
			break;
		case DW_CFA_expression:
			reg = rd_uleb(&c);
			len = rd_uleb(&c);
			reg_expression(ip, &c, reg, len);
			break;
		case DW_CFA_offset_extended_sf:
			reg = rd_uleb(&c);
			off = scaled(rd_sleb(&c), cie->data_align);
			set_rule(ip, reg, RULE_AT_CFA, off);
			break;
		case DW_CFA_val_offset:
		case DW_CFA_val_offset_sf:
			reg = rd_uleb(&c);
			if (op == DW_CFA_val_offset)
				rd_uleb(&c);
			else
				rd_sleb(&c);
			set_rule(ip, reg, RULE_OTHER, 0);
			break;
		case DW_CFA_val_expression:
			reg = rd_uleb(&c);
			len = rd_uleb(&c);
			skip(&c, len);
			set_rule(ip, reg, RULE_OTHER, 0);
			break;
		case DW_CFA_GNU_window_save:
			/* arm64: the return address is signed from here; stripped by the walk */
			if (ip->in->arch != ANONSTAT_CFI_ARM64) {
				ip->partial = true;
				c.bad = true;
			}
			break;
		case DW_CFA_GNU_args_size:
			rd_uleb(&c);
			break;
		case DW_CFA_GNU_negative_offset_extended:
			reg = rd_uleb(&c);
			off = scaled(0 - rd_uleb(&c), cie->data_align);
			set_rule(ip, reg, RULE_AT_CFA, off);
			break;
		default:
			ip->partial = true;
			c.bad = true;
		}
	}
	if (c.bad)
		ip->partial = true;
	return !c.bad;
}

/* Compile the FDE at @off of the frame section into rows. */
static void compile_fde(struct interp *ip, struct cie *cie, u64 off,
			struct anonstat_cfi_stats *stats)
{
	const struct anonstat_cfi_input *in = ip->in;
	struct anonstat_unwind_row invalid = { .cfa = ANONSTAT_CFA_INVALID };
	struct entry e;
	struct cursor *c = &e.body;
	u64 begin, range, cie_off, hi = in->base + in->limit;

	if (!read_entry(&in->frame, off, &e) || is_cie(&e, in->debug_frame))
		goto bad;
	if (in->debug_frame) {
		cie_off = e.id;
	} else {
		if (e.id > e.id_off)
			goto bad;
		cie_off = e.id_off - e.id;
	}
	if (!parse_cie(in, ip->regs, cie_off, cie))
		goto bad;
	if (in->debug_frame) {
		begin = rd_fixed(c, 8);
		range = rd_fixed(c, 8);
	} else {
		begin = rd_encoded(c, cie->fde_enc, 0, true);
		range = rd_encoded(c, cie->fde_enc & 0x0f, 0, true);
	}
	if (cie->has_aug_data)
		skip(c, rd_uleb(c));
	if (c->bad)
		goto bad;
	/* outside the object's text, or empty: nothing to unwind */
	if (begin < in->base || begin >= hi || !range)
		return;
	ip->cie = cie;
	ip->loc = begin;
	ip->end = range > hi - begin ? hi : begin + range;
	ip->signal = cie->signal;
	ip->partial = false;
	ip->depth = 0;
	ip->fde_first = ip->t->nr;
	ip->st = (struct frame_state){ .cfa_kind = CFA_OTHER };
	run(ip, cie->insns, cie->insns_end, true);
	ip->initial = ip->st;
	ip->depth = 0;
	if (!ip->partial && ip->loc == begin)
		run(ip, c->p, c->end, false);
	if (ip->partial) {
		/* from where it stopped on, this FDE is not followed */
		stats->fdes_partial++;
	} else {
		emit(ip, ip->end);
	}
	append(ip, ip->loc, &invalid);
	stats->fdes++;
	return;
bad:
	stats->fdes_bad++;
}

/* ---- sorting and merging ---- */

/* pc first; at the same pc an FDE's end comes before the next one's start */
static bool row_before(const struct anonstat_unwind_row *a,
		       const struct anonstat_unwind_row *b)
{
	if (a->pc != b->pc)
		return a->pc < b->pc;
	return a->cfa == ANONSTAT_CFA_INVALID && b->cfa != ANONSTAT_CFA_INVALID;
}

static void swap_rows(struct anonstat_unwind_row *a, struct anonstat_unwind_row *b)
{
	struct anonstat_unwind_row t = *a;

	*a = *b;
	*b = t;
}

static void sift_down(struct anonstat_unwind_row *v, u32 root, u32 n)
{
	for (;;) {
		u32 child = 2 * root + 1;

		if (child >= n)
			return;
		if (child + 1 < n && row_before(&v[child], &v[child + 1]))
			child++;
		if (!row_before(&v[root], &v[child]))
			return;
		swap_rows(&v[root], &v[child]);
		root = child;
	}
}

/* Heap sort: no recursion, no allocation, O(n log n) whatever the input. */
static void sort_rows(struct anonstat_unwind_row *v, u32 n)
{
	u32 i;

	for (i = 1; i < n; i++)
		if (row_before(&v[i], &v[i - 1]))
			break;
	if (i >= n)
		return;			/* already sorted: the usual case */
	for (i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (i = n; i-- > 1;) {
		if (!(i & 4095))
			cfi_stop();	/* only to yield: the sort ends soon */
		swap_rows(&v[0], &v[i]);
		sift_down(v, 0, i);
	}
}

/* One row per pc (the last), none that repeats its predecessor's rules. */
static void merge_rows(struct anonstat_cfi_table *t)
{
	struct anonstat_unwind_row *v = t->rows;
	u32 i, n = 0;

	for (i = 0; i < t->nr; i++) {
		if (i + 1 < t->nr && v[i + 1].pc == v[i].pc)
			continue;
		if (n && same_rules(&v[n - 1], &v[i]))
			continue;
		v[n++] = v[i];
	}
	t->nr = n;
}

/* ---- the entry points ---- */

/* The FDEs listed in .eh_frame_hdr's search table; -ENOENT if it has none usable. */
static int compile_from_hdr(struct interp *ip, struct cie *cie,
			    struct anonstat_cfi_stats *stats)
{
	const struct anonstat_cfi_input *in = ip->in;
	struct cursor c;
	u8 version, ptr_enc, count_enc, table_enc;
	u64 count, i;

	cursor_init(&c, &in->hdr, 0, in->hdr.size);
	version = rd_u8(&c);
	ptr_enc = rd_u8(&c);
	count_enc = rd_u8(&c);
	table_enc = rd_u8(&c);
	if (c.bad || version != 1)
		return -EINVAL;
	rd_encoded(&c, ptr_enc, in->hdr.vaddr, false);
	if (count_enc == DW_EH_PE_omit)
		return -ENOENT;
	count = rd_encoded(&c, count_enc, in->hdr.vaddr, true);
	/* datarel sdata4 is all binutils, lld and gold write */
	if (c.bad || table_enc != (DW_EH_PE_datarel | 0x0b))
		return -ENOENT;
	if (count > (u64)(c.end - c.p) / 8)
		return -EINVAL;
	for (i = 0; i < count && !ip->err; i++) {
		u64 fde;

		if (!(i & 1023) && cfi_stop()) {
			ip->err = -EINTR;
			break;
		}
		if (!ip->ops--) {
			ip->err = -E2BIG;
			break;
		}
		rd_fixed(&c, 4);		/* initial location: the FDE has it */
		fde = in->hdr.vaddr + (s64)(s32)rd_fixed(&c, 4);
		if (fde < in->frame.vaddr || fde - in->frame.vaddr >= in->frame.size) {
			stats->fdes_bad++;
			continue;
		}
		compile_fde(ip, cie, fde - in->frame.vaddr, stats);
	}
	return 0;
}

/* Every FDE of the section, in order. */
static void compile_linear(struct interp *ip, struct cie *cie,
			   struct anonstat_cfi_stats *stats)
{
	const struct anonstat_cfi_input *in = ip->in;
	unsigned int n = 0;
	struct entry e;
	u64 off = 0;

	while (!ip->err && read_entry(&in->frame, off, &e)) {
		if (!(++n & 1023) && cfi_stop()) {
			ip->err = -EINTR;
			break;
		}
		if (!ip->ops--) {
			ip->err = -E2BIG;
			break;
		}
		if (!is_cie(&e, in->debug_frame))
			compile_fde(ip, cie, off, stats);
		off = entry_end(&e);
	}
}

int anonstat_cfi_compile(const struct anonstat_cfi_input *in,
			 struct anonstat_cfi_table *t,
			 struct anonstat_cfi_stats *stats)
{
	static const struct anonstat_unwind_row invalid = { .cfa = ANONSTAT_CFA_INVALID };
	struct interp ip = { .in = in, .t = t };
	u64 bytes = in->frame.size + in->hdr.size;
	struct cie cie = { .off = ~0ULL };
	int ret = -ENOENT;

	*stats = (struct anonstat_cfi_stats){ 0 };
	t->nr = 0;
	switch (in->arch) {
	case ANONSTAT_CFI_X86_64:
		ip.regs = &cfi_regs_x86_64;
		break;
	case ANONSTAT_CFI_ARM64:
		ip.regs = &cfi_regs_arm64;
		break;
	default:
		return -EINVAL;
	}
	if (!in->frame.size || !in->limit || in->limit > 0xffffffffULL ||
	    in->base > ~0ULL - in->limit)
		return -ENOENT;
	ip.ops = bytes < (~0ULL - OPS_MIN) / OPS_PER_BYTE ?
		 bytes * OPS_PER_BYTE + OPS_MIN : ~0ULL;
	if (in->hdr.size && !in->debug_frame)
		ret = compile_from_hdr(&ip, &cie, stats);
	if (!ip.err && (ret == -ENOENT || ret == -EINVAL)) {
		t->nr = 0;
		*stats = (struct anonstat_cfi_stats){ 0 };
		compile_linear(&ip, &cie, stats);
	}
	if (ip.err)
		return ip.err;
	if (!stats->fdes)
		return -ENOENT;
	sort_rows(t->rows, t->nr);
	merge_rows(t);
	if (!t->nr || t->rows[t->nr - 1].cfa != ANONSTAT_CFA_INVALID) {
		ip.loc = in->base + in->limit;
		append(&ip, ip.loc, &invalid);
		if (ip.err)
			return ip.err;
	}
	return 0;
}

int anonstat_cfi_hdr_frame(const struct anonstat_cfi_section *hdr, u64 *vaddr)
{
	struct cursor c;
	u8 ptr_enc;

	cursor_init(&c, hdr, 0, hdr->size);
	if (rd_u8(&c) != 1)
		return -EINVAL;
	ptr_enc = rd_u8(&c);
	rd_fixed(&c, 2);		/* the count's and the table's encodings */
	*vaddr = rd_encoded(&c, ptr_enc, hdr->vaddr, true);
	return c.bad ? -EINVAL : 0;
}

const struct anonstat_unwind_row *
anonstat_cfi_lookup(const struct anonstat_unwind_row *rows, u32 nr, u32 pc)
{
	u32 lo = 0, hi = nr;

	/* the last row at or before pc */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || rows[lo - 1].cfa == ANONSTAT_CFA_INVALID)
		return NULL;
	return &rows[lo - 1];
}
