// SPDX-License-Identifier: GPL-2.0
/*
 * test_cfi.c - the module's CFI compiler (module/cfi.c) against an
 * independent reading of the same CFI: elfutils' libdw.
 *
 * For each object (the host's libc, ld.so, libstdc++, UCX's libucm, the
 * arm64 cross libc, and cfi_sample.c built six ways by the Makefile) the
 * compiler is given what the module gives it (module/unwind.c: the
 * sections through the program headers, base and limit from the
 * executable segments), and for every pc of every executable segment the
 * row anonstat_cfi_lookup() finds is compared with libdw's frame at that
 * pc (dwarf_cfi_addrframe): the row's rules are evaluated on two made-up
 * register sets and memories, libdw's DWARF expressions for the CFA, the
 * return address and the frame pointer on the same, and the CFA, where
 * the return address and the frame pointer are (or that they are the
 * same value, or undefined) must be equal.  A pc the compiler leaves
 * without a row must have no FDE in libdw, or a rule there that is not
 * one the rows can say (a CFA in another register, an expression other
 * than the signal frame's, the stack-realigning (DRAP) one and the PLT's,
 * a return address in a register...); those are counted apart.
 *
 * Then known facts: glibc's __restore_rt (found by its bytes), the PLT,
 * _start (e_entry), and the same table from .eh_frame without its
 * .eh_frame_hdr.
 *
 * usage: test_cfi DIR   (DIR/cfi/: the objects built from cfi_sample.c)
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <link.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cfi_util.h"

#define MAX_SHOWN	5	/* differences printed per object */

/* DWARF register numbers */
struct arch_regs {
	int sp, fp, ra, pc;	/* pc: -1 when the architecture has none */
};

static const struct arch_regs x86_64_regs = { 7, 6, 16, 16 };
static const struct arch_regs arm64_regs = { 31, 29, 30, -1 };

/* a made-up machine state: the registers the rows can use, and a memory */
struct machine {
	u64 sp, fp, pc;
	u64 mem_key;
};

static u64 mem_read(const struct machine *m, u64 addr)
{
	u64 s = addr ^ m->mem_key;

	return cfi_rand(&s);
}

/* ---- libdw's side: DWARF expressions evaluated ---- */

enum value_kind {
	V_FAIL,		/* uses what the rows cannot: another register, an op */
	V_ADDR,		/* a memory location (or for the CFA: its value) */
	V_VALUE,	/* DW_OP_stack_value: a value, not a location */
	V_REG,		/* in another register */
};

static bool reg_value(const struct arch_regs *a, const struct machine *m,
		      u64 reg, u64 *v)
{
	if (reg == (u64)a->sp)
		*v = m->sp;
	else if (reg == (u64)a->fp)
		*v = m->fp;
	else if (a->pc >= 0 && reg == (u64)a->pc)
		*v = m->pc;
	else
		return false;
	return true;
}

static int eval(const struct arch_regs *a, const struct machine *m,
		const Dwarf_Op *ops, size_t n, bool has_cfa, u64 cfa, u64 *out)
{
	u64 st[16], v, x;
	size_t i, sp = 0;
	int kind = V_ADDR;

	for (i = 0; i < n; i++) {
		const Dwarf_Op *op = &ops[i];
		unsigned int at = op->atom;

		if (at >= DW_OP_reg0 && at <= DW_OP_reg31)
			return n == 1 ? V_REG : V_FAIL;
		if (at == DW_OP_regx)
			return n == 1 ? V_REG : V_FAIL;
		if (at == DW_OP_stack_value) {
			if (i + 1 != n)
				return V_FAIL;
			kind = V_VALUE;
			break;
		}
		/* operations that push */
		if (at == DW_OP_call_frame_cfa || (at >= DW_OP_breg0 && at <= DW_OP_breg31) ||
		    at == DW_OP_bregx || (at >= DW_OP_lit0 && at <= DW_OP_lit31) ||
		    at == DW_OP_const1u || at == DW_OP_const1s || at == DW_OP_const2u ||
		    at == DW_OP_const2s || at == DW_OP_const4u || at == DW_OP_const4s ||
		    at == DW_OP_const8u || at == DW_OP_const8s || at == DW_OP_constu ||
		    at == DW_OP_consts) {
			if (sp == 16)
				return V_FAIL;
			if (at == DW_OP_call_frame_cfa) {
				if (!has_cfa)
					return V_FAIL;
				v = cfa;
			} else if (at >= DW_OP_breg0 && at <= DW_OP_breg31) {
				if (!reg_value(a, m, at - DW_OP_breg0, &v))
					return V_FAIL;
				v += op->number;
			} else if (at == DW_OP_bregx) {
				if (!reg_value(a, m, op->number, &v))
					return V_FAIL;
				v += op->number2;
			} else if (at >= DW_OP_lit0 && at <= DW_OP_lit31) {
				v = at - DW_OP_lit0;
			} else {
				v = op->number;
			}
			st[sp++] = v;
			continue;
		}
		if (!sp)
			return V_FAIL;
		switch (at) {
		case DW_OP_plus_uconst:
			st[sp - 1] += op->number;
			continue;
		case DW_OP_deref:
			st[sp - 1] = mem_read(m, st[sp - 1]);
			continue;
		}
		if (sp < 2)
			return V_FAIL;
		x = st[--sp];		/* top */
		v = st[sp - 1];		/* second */
		switch (at) {
		case DW_OP_plus:
			v += x;
			break;
		case DW_OP_minus:
			v -= x;
			break;
		case DW_OP_and:
			v &= x;
			break;
		case DW_OP_or:
			v |= x;
			break;
		case DW_OP_shl:
			v = x < 64 ? v << x : 0;
			break;
		case DW_OP_shr:
			v = x < 64 ? v >> x : 0;
			break;
		case DW_OP_ge:
			v = (s64)v >= (s64)x;
			break;
		case DW_OP_gt:
			v = (s64)v > (s64)x;
			break;
		case DW_OP_le:
			v = (s64)v <= (s64)x;
			break;
		case DW_OP_lt:
			v = (s64)v < (s64)x;
			break;
		case DW_OP_eq:
			v = v == x;
			break;
		case DW_OP_ne:
			v = v != x;
			break;
		default:
			return V_FAIL;
		}
		st[sp - 1] = v;
	}
	if (!sp)
		return V_FAIL;
	*out = st[sp - 1];
	return kind;
}

/* What libdw says at one pc. */
enum frame_status {
	F_NOFDE,	/* no FDE covers the pc */
	F_ERROR,	/* libdw could not read the FDE */
	F_FRAME,
};

enum reg_kind {
	R_SAME,
	R_UNDEF,
	R_EXPR,
};

struct dw_reg {
	int kind;
	Dwarf_Op mem[3];
	Dwarf_Op *ops;
	size_t n;
};

struct expect {
	int status;
	Dwarf_Frame *frame;
	bool signal;
	int ra_col;		/* the return address column of the CIE */
	bool cfa_ok;		/* dwarf_frame_cfa() succeeded */
	Dwarf_Op *cfa_ops;
	size_t cfa_n;
	struct dw_reg ra, fp;
	const char *err;	/* F_ERROR: libdw's message */
};

/* a register's offset a row can say: 8-byte units in an s16 (cfi.h) */
static bool fits16(s64 v)
{
	return !(v & 7) && v >= -32768 * 8 && v <= 32767 * 8;
}

static int get_reg(Dwarf_Frame *f, int regno, struct dw_reg *r)
{
	if (dwarf_frame_register(f, regno, r->mem, &r->ops, &r->n))
		return -1;
	if (!r->n)
		r->kind = r->ops ? R_UNDEF : R_SAME;
	else
		r->kind = R_EXPR;
	return 0;
}

static void expect_free(struct expect *e)
{
	free(e->frame);
	e->frame = NULL;
}

static void expect_at(Dwarf_CFI *cfi, const struct arch_regs *a, u64 pc,
		      struct expect *e)
{
	Dwarf_Addr start, end;

	memset(e, 0, sizeof(*e));
	if (dwarf_cfi_addrframe(cfi, pc, &e->frame)) {
		const char *msg = dwarf_errmsg(-1);

		e->frame = NULL;
		e->status = msg && !strcmp(msg, "no matching address range") ?
			    F_NOFDE : F_ERROR;
		e->err = msg;
		return;
	}
	e->status = F_FRAME;
	e->ra_col = dwarf_frame_info(e->frame, &start, &end, &e->signal);
	if (e->ra_col < 0 || get_reg(e->frame, e->ra_col, &e->ra) ||
	    get_reg(e->frame, a->fp, &e->fp)) {
		e->status = F_ERROR;
		e->err = dwarf_errmsg(-1);
		return;
	}
	e->cfa_ok = !dwarf_frame_cfa(e->frame, &e->cfa_ops, &e->cfa_n) && e->cfa_n;
}

/* "saved at CFA + off": DW_OP_call_frame_cfa [DW_OP_plus_uconst off] */
static bool offset_form(const struct dw_reg *r, s64 *off)
{
	if (r->kind != R_EXPR || r->ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (r->n == 1) {
		*off = 0;
		return true;
	}
	if (r->n == 2 && r->ops[1].atom == DW_OP_plus_uconst) {
		*off = (s64)r->ops[1].number;
		return true;
	}
	return false;
}

/* "saved at sp + off" (DW_CFA_expression: DW_OP_bregSP off) */
static bool sp_form(const struct arch_regs *a, const struct dw_reg *r, s64 *off)
{
	if (r->kind != R_EXPR || r->n != 2 || r->ops[0].atom != DW_OP_call_frame_cfa ||
	    r->ops[1].atom != DW_OP_breg0 + a->sp)
		return false;
	*off = (s64)r->ops[1].number;
	return true;
}

/* binutils' x86-64 .plt CFA: sp + 8 + ((rip & 15) >= N) << 3 */
static bool plt_form(const struct expect *e)
{
	static const unsigned int want[] = {
		DW_OP_breg7, DW_OP_breg16, DW_OP_lit15, DW_OP_and, 0, DW_OP_ge,
		DW_OP_lit3, DW_OP_shl, DW_OP_plus };
	size_t i;

	if (e->cfa_n != 9 || e->cfa_ops[0].number != 8 || e->cfa_ops[1].number)
		return false;
	for (i = 0; i < 9; i++) {
		unsigned int at = e->cfa_ops[i].atom;

		if (i == 4 ? at < DW_OP_lit0 || at > DW_OP_lit15 : at != want[i])
			return false;
	}
	return true;
}

/*
 * Whether libdw's rules at this pc are ones a row can say: then the
 * compiler must not leave the pc INVALID.  @why: what is not, otherwise.
 */
static bool simple_rules(const struct arch_regs *a, bool x86, const struct expect *e,
			 const char **why)
{
	s64 off;

	if (e->ra_col != a->ra) {
		*why = "return address in another column";
		return false;
	}
	if (e->ra.kind == R_EXPR && (offset_form(&e->ra, &off) || sp_form(a, &e->ra, &off)) &&
	    !fits16(off)) {
		*why = "return address offset out of range";
		return false;
	}
	if (e->fp.kind == R_EXPR && (offset_form(&e->fp, &off) || sp_form(a, &e->fp, &off)) &&
	    !fits16(off)) {
		*why = "fp offset out of range (the return address's is not)";
		return false;
	}
	if (e->ra.kind == R_UNDEF)
		return true;
	if (!e->cfa_ok) {
		*why = "no CFA";
		return false;
	}
	if (e->cfa_n == 1 && e->cfa_ops[0].atom == DW_OP_bregx) {
		if (e->cfa_ops[0].number != (u64)a->sp && e->cfa_ops[0].number != (u64)a->fp) {
			*why = "CFA in another register";
			return false;
		}
		off = (s64)e->cfa_ops[0].number2;
		if (off < INT32_MIN || off > INT32_MAX) {
			*why = "CFA offset out of range";
			return false;
		}
	} else if (!(e->cfa_n == 2 && (e->cfa_ops[0].atom == DW_OP_breg0 + a->sp ||
					e->cfa_ops[0].atom == DW_OP_breg0 + a->fp) &&
		     e->cfa_ops[1].atom == DW_OP_deref) && !(x86 && plt_form(e))) {
		*why = "CFA expression";
		return false;
	}
	if (e->ra.kind == R_SAME && !x86)
		return true;
	if (offset_form(&e->ra, &off) || sp_form(a, &e->ra, &off))
		return true;
	*why = e->ra.kind == R_SAME ? "return address same value" :
	       "return address rule";
	return false;
}

/* The CFA the row says, as module/callsite.c computes it. */
static bool row_cfa(const struct anonstat_unwind_row *r, const struct machine *m, u64 *cfa)
{
	switch (r->cfa) {
	case ANONSTAT_CFA_SP:
		*cfa = m->sp + r->cfa_off;
		return true;
	case ANONSTAT_CFA_FP:
		*cfa = m->fp + r->cfa_off;
		return true;
	case ANONSTAT_CFA_DEREF_SP:
		*cfa = mem_read(m, m->sp + r->cfa_off);
		return true;
	case ANONSTAT_CFA_DEREF_FP:
		*cfa = mem_read(m, m->fp + r->cfa_off);
		return true;
	case ANONSTAT_CFA_PLT:
		*cfa = m->sp + 8 + ((m->pc & 15) >= (u64)(r->flags >> 4) ? 8 : 0);
		return true;
	}
	return false;
}

/* Where the row says a register is, against libdw's rule; NULL if they agree. */
static const char *cmp_reg(const struct arch_regs *a, const struct machine *m,
			   u8 rule, s64 off, u64 cfa, const struct dw_reg *r,
			   bool is_fp)
{
	u64 want, loc;
	s64 o;
	int k;

	switch (rule) {
	case ANONSTAT_REG_SAME:
		return r->kind == R_SAME ? NULL : "SAME where libdw has another rule";
	case ANONSTAT_REG_AT_CFA:
	case ANONSTAT_REG_AT_SP:
		if (r->kind != R_EXPR)
			return "a location where libdw has same value or undefined";
		loc = (rule == ANONSTAT_REG_AT_CFA ? cfa : m->sp) + off;
		k = eval(a, m, r->ops, r->n, true, cfa, &want);
		if (k != V_ADDR)
			return "a location where libdw has no location";
		return loc == want ? NULL : "another location than libdw's";
	case ANONSTAT_REG_UNKNOWN:
		if (!is_fp)
			return "return address UNKNOWN";
		if (r->kind == R_SAME)
			return "fp UNKNOWN where libdw has same value";
		if (offset_form(r, &o) || sp_form(a, r, &o))
			return "fp UNKNOWN where libdw has a location";
		return NULL;
	}
	return "rule out of range";
}

static const char *compare(const struct arch_regs *a, bool x86, u64 pc,
			   const struct anonstat_unwind_row *row,
			   const struct expect *e, const char **invalid_why)
{
	static const struct machine set[2] = {
		{ 0x00007ffd12340000ULL, 0x00007ffd12345670ULL, 0, 0x1234 },
		{ 0x00007f0000100008ULL, 0x0000555500000010ULL, 0, 0xabcdef },
	};
	const char *why = NULL, *d;
	unsigned int i;

	*invalid_why = NULL;
	if (e->status == F_NOFDE)
		return row ? "a row where libdw has no FDE" : NULL;
	if (e->status == F_ERROR) {
		*invalid_why = "libdw cannot read the FDE";
		return row ? "a row where libdw cannot read the FDE" : NULL;
	}
	if (!row) {
		if (simple_rules(a, x86, e, &why))
			return "INVALID where libdw has rules a row can say";
		*invalid_why = why;
		return NULL;
	}
	if (e->ra_col != a->ra)
		return "a row where libdw's return address is in another column";
	if (row->cfa == ANONSTAT_CFA_END)
		return e->ra.kind == R_UNDEF ? NULL :
		       "END where libdw's return address is not undefined";
	if (e->ra.kind == R_UNDEF)
		return "a row where libdw's return address is undefined";
	if (!!(row->flags & ANONSTAT_ROW_SIGNAL) != e->signal)
		return "the signal frame flag differs";
	if (!e->cfa_ok)
		return "a CFA where libdw has none";
	for (i = 0; i < 2; i++) {
		struct machine m = set[i];
		u64 cfa, want;

		m.pc = pc;
		if (!row_cfa(row, &m, &cfa))
			return "CFA rule out of range";
		if (eval(a, &m, e->cfa_ops, e->cfa_n, false, 0, &want) != V_ADDR)
			return "a CFA where libdw's is not computable from sp, fp and pc";
		if (cfa != want)
			return "another CFA than libdw's";
		d = cmp_reg(a, &m, row->ra, anonstat_row_ra_off(row), cfa, &e->ra, false);
		if (d)
			return d;
		d = cmp_reg(a, &m, row->fp, anonstat_row_fp_off(row), cfa, &e->fp, true);
		if (d)
			return d;
	}
	return NULL;
}

static void print_ops(const char *what, const Dwarf_Op *ops, size_t n)
{
	size_t i;

	fprintf(stderr, " %s[", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%#x:%lld:%lld", i ? " " : "", ops[i].atom,
			(long long)ops[i].number, (long long)ops[i].number2);
	fprintf(stderr, "]");
}

static void print_expect(const struct expect *e)
{
	static const char *const kinds[] = { "same", "undef", "expr" };

	if (e->status == F_NOFDE) {
		fprintf(stderr, "libdw: no FDE\n");
		return;
	}
	if (e->status == F_ERROR) {
		fprintf(stderr, "libdw: error %s\n", e->err ? e->err : "?");
		return;
	}
	fprintf(stderr, "libdw: signal %d", e->signal);
	if (e->cfa_ok)
		print_ops("cfa", e->cfa_ops, e->cfa_n);
	else
		fprintf(stderr, " cfa none");
	fprintf(stderr, " ra %s", kinds[e->ra.kind]);
	if (e->ra.kind == R_EXPR)
		print_ops("", e->ra.ops, e->ra.n);
	fprintf(stderr, " fp %s", kinds[e->fp.kind]);
	if (e->fp.kind == R_EXPR)
		print_ops("", e->fp.ops, e->fp.n);
	fprintf(stderr, "\n");
}

/* ---- one object ---- */

enum {
	OBJ_OPTIONAL = 1,	/* may be missing: a skip, said so */
	OBJ_DEBUG_FRAME = 2,	/* .debug_frame, not .eh_frame */
	OBJ_OURS = 4,		/* built from cfi_sample.c: every FDE followed */
};

static bool verbose;		/* ANONSTAT_CFI_VERBOSE: the INVALID ranges */

struct result {
	struct anonstat_cfi_table t;
	struct anonstat_cfi_input in;
	struct anonstat_cfi_stats stats;
	int ret;
};

static u64 total_pcs, total_agree;

static bool same_table(const struct anonstat_cfi_table *a, const struct anonstat_cfi_table *b)
{
	return a->nr == b->nr && !memcmp(a->rows, b->rows, a->nr * sizeof(*a->rows));
}

/* Compile @in into @r; checks the invariants. */
static int compile(const char *label, const struct anonstat_cfi_input *in, struct result *r)
{
	const char *bad;

	r->in = *in;
	r->t = (struct anonstat_cfi_table){ .max_rows = 1 << 24 };
	r->ret = anonstat_cfi_compile(in, &r->t, &r->stats);
	bad = cfi_check_table(in, &r->t, r->ret, false, 10000, 42);
	if (bad)
		fprintf(stderr, "%s: %s\n", label, bad);
	CHECK(!bad);
	return r->ret;
}

static const struct anonstat_unwind_row *lookup(const struct cfi_obj *o,
						const struct result *r, u64 vaddr)
{
	if (vaddr < o->base || vaddr - o->base >= o->limit)
		return NULL;
	return anonstat_cfi_lookup(r->t.rows, r->t.nr, vaddr - o->base);
}

/* Every pc of the executable segments, against libdw. */
static void oracle(const char *label, const struct cfi_obj *o, const struct result *r,
		   Dwarf_CFI *cfi)
{
	const struct arch_regs *a = o->arch == ANONSTAT_CFI_X86_64 ? &x86_64_regs : &arm64_regs;
	bool x86 = o->arch == ANONSTAT_CFI_X86_64;
	u64 pcs = 0, agree = 0, nofde = 0, valid = 0, end = 0, invalid_ok = 0;
	unsigned int shown = 0, i;
	struct why_count { const char *why; u64 n; } whys[8];
	unsigned int nwhys = 0;
	const char *run_why = NULL;
	u64 run_start = 0, run_end = 0;

	for (i = 0; i < o->nr_segs; i++) {
		u64 pc = o->segs[i].vaddr, stop = o->segs[i].vaddr + o->segs[i].filesz;

		if (stop > o->base + o->limit)
			stop = o->base + o->limit;
		for (; pc < stop; pc++) {
			const struct anonstat_unwind_row *row = lookup(o, r, pc);
			const char *diff, *why;
			struct expect e;
			char buf[128];
			unsigned int k;

			expect_at(cfi, a, pc, &e);
			diff = compare(a, x86, pc, row, &e, &why);
			pcs++;
			if (!diff) {
				agree++;
				if (e.status == F_NOFDE) {
					nofde++;
				} else if (!row) {
					invalid_ok++;
					if (verbose && (why != run_why || pc != run_end)) {
						if (run_why)
							printf("  INVALID %#llx..%#llx: %s\n",
							       (unsigned long long)run_start,
							       (unsigned long long)run_end, run_why);
						run_why = why;
						run_start = pc;
					}
					run_end = pc + 1;
					for (k = 0; k < nwhys && strcmp(whys[k].why, why); k++)
						;
					if (k == nwhys && nwhys < 8)
						whys[nwhys++] = (struct why_count){ why, 0 };
					if (k < nwhys)
						whys[k].n++;
				} else if (row->cfa == ANONSTAT_CFA_END) {
					end++;
				} else {
					valid++;
				}
			} else if (shown++ < MAX_SHOWN) {
				fprintf(stderr, "%s: pc %#llx: %s\n  row %s\n  ", label,
					(unsigned long long)pc, diff,
					cfi_row_str(row, buf, sizeof(buf)));
				print_expect(&e);
			}
			expect_free(&e);
		}
	}
	if (run_why)
		printf("  INVALID %#llx..%#llx: %s\n", (unsigned long long)run_start,
		       (unsigned long long)run_end, run_why);
	printf("%s: %llu pcs compared, %llu agree (%llu with a row, %llu END, "
	       "%llu without FDE, %llu INVALID where libdw has no rule a row can say",
	       label, (unsigned long long)pcs, (unsigned long long)agree,
	       (unsigned long long)valid, (unsigned long long)end,
	       (unsigned long long)nofde, (unsigned long long)invalid_ok);
	for (i = 0; i < nwhys; i++)
		printf("%s%s %llu", i ? ", " : ": ", whys[i].why, (unsigned long long)whys[i].n);
	printf(")\n");
	total_pcs += pcs;
	total_agree += agree;
	CHECK(pcs > 0);
	CHECK_U64(agree, pcs);
	CHECK(valid > 0);
}

static void print_stats(const char *label, const struct result *r)
{
	printf("%s: %u rows from %u FDEs (%u unreadable, %u partial), %llu bytes of %s\n",
	       label, r->t.nr, r->stats.fdes, r->stats.fdes_bad, r->stats.fdes_partial,
	       (unsigned long long)r->in.frame.size,
	       r->in.debug_frame ? ".debug_frame" :
	       r->in.hdr.size ? ".eh_frame with .eh_frame_hdr" : ".eh_frame");
}

/* The known facts of one object, beyond the oracle: see run_object's callers. */
typedef void (*facts_fn)(const char *label, const struct cfi_obj *o, const struct result *r);

static void run_object(const char *label, const char *path, int flags, facts_fn facts)
{
	struct anonstat_cfi_input in;
	struct result r = { 0 }, lin = { 0 };
	struct cfi_obj o;
	char err[600];
	Dwarf_CFI *cfi = NULL;
	Dwarf *dbg = NULL;
	Elf *elf = NULL;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cfi_obj_open(&o, path, err, sizeof(err))) {
		if ((flags & OBJ_OPTIONAL) && access(path, F_OK)) {
			printf("%s: skipped: %s is not installed\n", label, path);
			return;
		}
		fprintf(stderr, "%s: %s\n", label, err);
		CHECK(!"object opened");
		cfi_obj_close(&o);
		return;
	}
	if (flags & OBJ_DEBUG_FRAME) {
		in = (struct anonstat_cfi_input){
			.arch = o.arch, .base = o.base, .limit = o.limit,
			.frame = o.debug_frame, .debug_frame = true,
		};
		CHECK(o.debug_frame.size > 0);
	} else {
		cfi_obj_input(&o, &in);
		/* the module's way: PT_GNU_EH_FRAME and where it points */
		CHECK(in.hdr.size > 0);
		CHECK_U64(in.frame.vaddr, o.eh_frame.vaddr);
	}
	if (compile(label, &in, &r)) {
		fprintf(stderr, "%s: compile returned %d\n", label, r.ret);
		CHECK(!"compiled");
		goto out;
	}
	print_stats(label, &r);
	if (flags & OBJ_DEBUG_FRAME) {
		/* the 9 functions of cfi_sample.c, nothing else */
		CHECK_U64(r.stats.fdes, 9);
	} else {
		CHECK(r.stats.fdes >= 6);
	}
	if (flags & OBJ_OURS) {
		CHECK_U64(r.stats.fdes_bad, 0);
		CHECK_U64(r.stats.fdes_partial, 0);
	}

	/* .eh_frame alone (no .eh_frame_hdr: module/unwind.c's fallback) gives the same rows */
	if (!(flags & OBJ_DEBUG_FRAME)) {
		struct anonstat_cfi_input lin_in = {
			.arch = o.arch, .base = o.base, .limit = o.limit, .frame = o.eh_frame,
		};
		char l2[160];

		snprintf(l2, sizeof(l2), "%s (.eh_frame alone)", label);
		CHECK(compile(l2, &lin_in, &lin) == 0);
		CHECK(same_table(&r.t, &lin.t));
		CHECK_U64(lin.stats.fdes, r.stats.fdes);
	}

	elf = elf_begin(o.fd, ELF_C_READ_MMAP, NULL);
	if (flags & OBJ_DEBUG_FRAME) {
		dbg = elf ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
		cfi = dbg ? dwarf_getcfi(dbg) : NULL;
	} else {
		cfi = elf ? dwarf_getcfi_elf(elf) : NULL;
	}
	if (!cfi) {
		fprintf(stderr, "%s: libdw has no CFI: %s\n", label, dwarf_errmsg(-1));
		CHECK(!"libdw CFI");
		goto out;
	}
	oracle(label, &o, &r, cfi);
	if (facts)
		facts(label, &o, &r);
out:
	if (dbg)
		dwarf_end(dbg);
	else if (cfi)
		dwarf_cfi_end(cfi);
	if (elf)
		elf_end(elf);
	cfi_table_free(&r.t);
	cfi_table_free(&lin.t);
	cfi_obj_close(&o);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s: %.1f s\n", label, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* ---- known facts ---- */

static void check_row(const char *label, const char *what, const struct anonstat_unwind_row *row,
		      const struct anonstat_unwind_row *want)
{
	char a[128], b[128];

	if (row && row->cfa == want->cfa && row->cfa_off == want->cfa_off &&
	    row->ra == want->ra && row->ra_off8 == want->ra_off8 && row->fp == want->fp &&
	    row->fp_off8 == want->fp_off8 && row->flags == want->flags) {
		CHECK(true);
		return;
	}
	fprintf(stderr, "%s: %s: row %s, want %s\n", label, what,
		cfi_row_str(row, a, sizeof(a)), cfi_row_str(want, b, sizeof(b)));
	CHECK(!"the known row");
}

/* The value of symbol @name (.symtab), 0 if none. */
static u64 sym_addr(const struct cfi_obj *o, const char *name)
{
	Elf *elf = elf_memory((char *)o->image, o->image_size);
	Elf_Scn *scn = NULL;
	u64 v = 0;

	while (elf && !v && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Shdr sh;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !d)
			continue;
		for (i = 0; i < sh.sh_size / (sh.sh_entsize ? sh.sh_entsize : 1); i++) {
			GElf_Sym sym;
			const char *n;

			if (gelf_getsym(d, i, &sym) &&
			    (n = elf_strptr(elf, sh.sh_link, sym.st_name)) && !strcmp(n, name)) {
				v = sym.st_value;
				break;
			}
		}
	}
	elf_end(elf);
	return v;
}

/* _start: the return address undefined */
static void facts_entry(const char *label, const struct cfi_obj *o, const struct result *r)
{
	const struct anonstat_unwind_row *row = lookup(o, r, o->entry);
	const struct anonstat_unwind_row want = { .cfa = ANONSTAT_CFA_END };

	check_row(label, "_start (e_entry)", row, &want);
}

/*
 * binutils' .plt (lazy binding): PLT0 pushes (CFA sp+16, sp+24 from its
 * jmp), the entries the expression with "lit11": the CFA is sp + 16 from
 * the 12th byte of each 16-byte entry (its push) on.
 */
static void facts_plt(const char *label, const struct cfi_obj *o, const struct result *r)
{
	struct anonstat_unwind_row sp16 = { .cfa = ANONSTAT_CFA_SP, .cfa_off = 16,
		.ra = ANONSTAT_REG_AT_CFA, .ra_off8 = -1 };
	struct anonstat_unwind_row sp24 = sp16, plt = sp16;
	u64 entry;

	sp24.cfa_off = 24;
	plt.cfa = ANONSTAT_CFA_PLT;
	plt.cfa_off = 8;
	plt.flags = 11 << 4;
	CHECK(o->plt.size >= 32);
	if (o->plt.size < 32)
		return;
	check_row(label, ".plt+0", lookup(o, r, o->plt.vaddr), &sp16);
	check_row(label, ".plt+5", lookup(o, r, o->plt.vaddr + 5), &sp16);
	check_row(label, ".plt+6", lookup(o, r, o->plt.vaddr + 6), &sp24);
	check_row(label, ".plt+15", lookup(o, r, o->plt.vaddr + 15), &sp24);
	for (entry = 16; entry + 16 <= o->plt.size; entry += 16) {
		check_row(label, ".plt entry", lookup(o, r, o->plt.vaddr + entry), &plt);
		check_row(label, ".plt entry+15", lookup(o, r, o->plt.vaddr + entry + 15), &plt);
	}
}

static void facts_exe(const char *label, const struct cfi_obj *o, const struct result *r)
{
	facts_entry(label, o, r);
	facts_plt(label, o, r);
}

/*
 * glibc's x86-64 __restore_rt: "mov $15, %rax; syscall" (rt_sigreturn),
 * its CFI the signal frame's: CFA *(sp + 160) (uc_mcontext.rsp), rip at
 * sp + 168, rbp at sp + 120; the FDE starts one byte before it, so that a
 * lookup at "return address - 1" finds it too.
 */
static void facts_libc(const char *label, const struct cfi_obj *o, const struct result *r)
{
	static const u8 restore_rt[] = { 0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05 };
	const struct anonstat_unwind_row want = {
		.cfa = ANONSTAT_CFA_DEREF_SP, .cfa_off = 160,
		.ra = ANONSTAT_REG_AT_SP, .ra_off8 = 21,
		.fp = ANONSTAT_REG_AT_SP, .fp_off8 = 15, .flags = ANONSTAT_ROW_SIGNAL };
	Elf *elf = elf_memory((char *)o->image, o->image_size);
	unsigned int found = 0;
	size_t i, nph = 0;

	facts_plt(label, o, r);
	if (elf)
		elf_getphdrnum(elf, &nph);
	for (i = 0; i < nph; i++) {
		GElf_Phdr ph;
		u64 k;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || ph.p_offset + ph.p_filesz > o->image_size)
			continue;
		for (k = 0; k + sizeof(restore_rt) <= ph.p_filesz; k++) {
			u64 pc = ph.p_vaddr + k;

			if (memcmp(o->image + ph.p_offset + k, restore_rt, sizeof(restore_rt)))
				continue;
			found++;
			check_row(label, "__restore_rt", lookup(o, r, pc), &want);
			check_row(label, "__restore_rt-1", lookup(o, r, pc - 1), &want);
			check_row(label, "__restore_rt+8 (syscall)", lookup(o, r, pc + 7), &want);
		}
	}
	elf_end(elf);
	printf("%s: __restore_rt found %u time(s)\n", label, found);
	CHECK_U64(found, 1);
}

/*
 * arm64 with -mbranch-protection=standard: the object has paciasp (so
 * DW_CFA_AARCH64_negate_ra_state in its CFI) and the compiler followed
 * every FDE to its end.
 */
static void facts_arm64_signed(const char *label, const struct cfi_obj *o,
			       const struct result *r)
{
	static const u8 paciasp[] = { 0x3f, 0x23, 0x03, 0xd5 };
	unsigned int found = 0;
	size_t k;

	for (k = 0; k + 4 <= o->image_size; k += 4)
		found += !memcmp(o->image + k, paciasp, 4);
	printf("%s: %u paciasp\n", label, found);
	CHECK(found > 5);
	CHECK_U64(r->stats.fdes_partial, 0);
}

/*
 * arm64's _start says x30 undefined after its first instruction (bti c):
 * from there on, where __libc_start_main returns to, the walk is complete.
 */
static void facts_arm64_exe(const char *label, const struct cfi_obj *o,
			    const struct result *r)
{
	const struct anonstat_unwind_row want = { .cfa = ANONSTAT_CFA_END };

	facts_arm64_signed(label, o, r);
	check_row(label, "_start+4 (e_entry)", lookup(o, r, o->entry + 4), &want);
}

/*
 * cfi_exotic.S: 7 FDEs (8 with -DEXOTIC_UNKNOWN_OP), one (another return address column) not read, one
 * (restore_state with nothing remembered) followed up to there; rows that
 * the oracle checks too, here as numbers.
 */
static void facts_exotic(const char *label, const struct cfi_obj *o, const struct result *r,
			 u32 fdes, u32 partial)
{
	const struct anonstat_unwind_row sig = {
		.cfa = ANONSTAT_CFA_DEREF_SP, .cfa_off = 160,
		.ra = ANONSTAT_REG_AT_SP, .ra_off8 = 21,
		.fp = ANONSTAT_REG_AT_SP, .fp_off8 = 15, .flags = ANONSTAT_ROW_SIGNAL };
	const struct anonstat_unwind_row sp16 = { .cfa = ANONSTAT_CFA_SP, .cfa_off = 16,
		.ra = ANONSTAT_REG_AT_CFA, .ra_off8 = -1 };
	const struct anonstat_unwind_row fp16 = { .cfa = ANONSTAT_CFA_FP, .cfa_off = 16,
		.ra = ANONSTAT_REG_AT_CFA, .ra_off8 = -1, .fp = ANONSTAT_REG_AT_CFA, .fp_off8 = -2 };
	const struct anonstat_unwind_row sp8 = { .cfa = ANONSTAT_CFA_SP, .cfa_off = 8,
		.ra = ANONSTAT_REG_AT_CFA, .ra_off8 = -1 };
	struct anonstat_unwind_row fp16_same = fp16, fp16_unknown = fp16;
	u64 sf = sym_addr(o, "exotic_sf"), adv = sym_addr(o, "exotic_advance");
	u64 sg = sym_addr(o, "exotic_signal");

	fp16_same.fp = ANONSTAT_REG_SAME;
	fp16_same.fp_off8 = 0;
	fp16_unknown.fp = ANONSTAT_REG_UNKNOWN;
	fp16_unknown.fp_off8 = 0;
	CHECK(sf && adv && sg);
	CHECK_U64(r->stats.fdes, fdes);
	CHECK_U64(r->stats.fdes_bad, 1);
	CHECK_U64(r->stats.fdes_partial, partial);
	check_row(label, "exotic_sf+1 (def_cfa_offset_sf)", lookup(o, r, sf + 1), &sp16);
	check_row(label, "exotic_advance+104 (after advance_loc1)", lookup(o, r, adv + 104), &fp16);
	check_row(label, "exotic_advance+404 (advance_loc2, remember)", lookup(o, r, adv + 404), &sp8);
	check_row(label, "exotic_advance+70404 (advance_loc4, restore_state)",
		  lookup(o, r, adv + 70404), &fp16);
	check_row(label, "exotic_advance+70405 (restore)", lookup(o, r, adv + 70405), &fp16_same);
	check_row(label, "exotic_advance+70406 (restore_state)", lookup(o, r, adv + 70406), &fp16);
	check_row(label, "exotic_advance+70407 (undefined rbp)", lookup(o, r, adv + 70407),
		  &fp16_unknown);
	check_row(label, "exotic_signal", lookup(o, r, sg), &sig);
	check_row(label, "exotic_signal-1", lookup(o, r, sg - 1), &sig);
}

static void facts_exotic_hdr(const char *label, const struct cfi_obj *o, const struct result *r)
{
	facts_exotic(label, o, r, 6, 1);
}

/* the same with an unknown opcode: ld wrote no search table, cfi.c reads .eh_frame in order */
static void facts_exotic_nohdr(const char *label, const struct cfi_obj *o,
			       const struct result *r)
{
	CHECK_U64(o->phdr_hdr.size, 8);
	facts_exotic(label, o, r, 7, 2);
}

/* ---- hand-made inputs ---- */

/*
 * An .eh_frame at @vaddr: a CIE (zR, pcrel sdata4, code alignment 1,
 * data alignment -8, return address r16; def_cfa rsp+8, rip at cfa-8)
 * and one FDE for [@pc, @pc + 64) with @insns, then the terminator.
 */
static size_t synth_eh_frame(u8 *out, u64 vaddr, u64 pc, const u8 *insns, size_t n)
{
	/* id 0, version 1, "zR", 1, -8, 16, augmentation data: 0x1b; the rules; nops */
	static const u8 cie[] = { 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x1b,
				  0x0c, 7, 8, 0x90, 1, 0, 0 };
	size_t fde = 4 + sizeof(cie), body = 4 + 4 + 4 + 1 + n;
	u32 v;

	body = (body + 3) / 4 * 4;
	memset(out, 0, fde + 4 + body + 4);
	v = sizeof(cie);
	memcpy(out, &v, 4);
	memcpy(out + 4, cie, sizeof(cie));
	v = body;
	memcpy(out + fde, &v, 4);
	v = fde + 4;				/* back to the CIE */
	memcpy(out + fde + 4, &v, 4);
	v = (u32)(pc - (vaddr + fde + 8));	/* pcrel */
	memcpy(out + fde + 8, &v, 4);
	v = 64;
	memcpy(out + fde + 12, &v, 4);
	memcpy(out + fde + 17, insns, n);	/* after augmentation length 0 */
	return fde + 4 + body + 4;		/* and the terminator */
}

/* Compile @insns in a synthetic FDE at 0x1000: the result, rows in @t. */
static int synth_compile(const u8 *insns, size_t n, struct anonstat_cfi_table *t,
			 struct anonstat_cfi_stats *st)
{
	u8 buf[256];
	size_t len = synth_eh_frame(buf, 0x10000, 0x1000, insns, n);
	u8 *frame = malloc(len);
	struct anonstat_cfi_input in = {
		.arch = ANONSTAT_CFI_X86_64, .base = 0x1000, .limit = 0x1000,
	};
	const char *bad;
	int ret;

	memcpy(frame, buf, len);
	in.frame = (struct anonstat_cfi_section){ frame, len, 0x10000 };
	*t = (struct anonstat_cfi_table){ .max_rows = 1000 };
	ret = anonstat_cfi_compile(&in, t, st);
	bad = cfi_check_table(&in, t, ret, false, 1000, 1);
	if (bad)
		fprintf(stderr, "synthetic FDE: %s\n", bad);
	CHECK(!bad);
	free(frame);
	return ret;
}

/*
 * Offsets times the data alignment factor that do not fit in 64 bits:
 * garbage in, but no undefined behaviour (a signed overflow; UBSan stops
 * the test), and no row with the garbage.  Found by fuzz_cfi (seed 2).
 */
static void test_overflow(void)
{
	/* sleb128 -2^63 and uleb128 2^63: ten bytes each */
#define BIG 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f
#define UBIG 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01
	static const u8 def_cfa_sf[] = { 0x41, 0x12, 7, BIG };
	static const u8 def_cfa_offset_sf[] = { 0x41, 0x13, BIG };
	static const u8 offset_extended_sf[] = { 0x41, 0x11, 16, BIG };
	static const u8 negative_offset[] = { 0x41, 0x2f, 16, UBIG };
	static const u8 fine[] = { 0x41, 0x0e, 16 };
	static const struct { const char *what; const u8 *p; size_t n; } cases[] = {
		{ "def_cfa_sf", def_cfa_sf, sizeof(def_cfa_sf) },
		{ "def_cfa_offset_sf", def_cfa_offset_sf, sizeof(def_cfa_offset_sf) },
		{ "offset_extended_sf", offset_extended_sf, sizeof(offset_extended_sf) },
		{ "GNU_negative_offset_extended", negative_offset, sizeof(negative_offset) },
	};
	const struct anonstat_unwind_row sp8 = { .cfa = ANONSTAT_CFA_SP, .cfa_off = 8,
		.ra = ANONSTAT_REG_AT_CFA, .ra_off8 = -1 };
	const struct anonstat_unwind_row sp16 = { .cfa = ANONSTAT_CFA_SP, .cfa_off = 16,
		.ra = ANONSTAT_REG_AT_CFA, .ra_off8 = -1 };
	struct anonstat_cfi_table t;
	struct anonstat_cfi_stats st;
	size_t i;

	/* the synthetic FDE itself: sp+8 for a byte, then sp+16 */
	CHECK(synth_compile(fine, sizeof(fine), &t, &st) == 0);
	check_row("synthetic", "pc 0", anonstat_cfi_lookup(t.rows, t.nr, 0), &sp8);
	check_row("synthetic", "pc 1", anonstat_cfi_lookup(t.rows, t.nr, 1), &sp16);
	check_row("synthetic", "pc 63", anonstat_cfi_lookup(t.rows, t.nr, 63), &sp16);
	CHECK(!anonstat_cfi_lookup(t.rows, t.nr, 64));
	cfi_table_free(&t);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct anonstat_unwind_row *r;

		printf("synthetic: %s with an offset past 64 bits\n", cases[i].what);
		CHECK(synth_compile(cases[i].p, cases[i].n, &t, &st) == 0);
		check_row("synthetic", cases[i].what, anonstat_cfi_lookup(t.rows, t.nr, 0), &sp8);
		/* from pc 1 on: a wrapped product is garbage; no row, or one in range */
		r = anonstat_cfi_lookup(t.rows, t.nr, 1);
		CHECK(!r || r->cfa == ANONSTAT_CFA_SP);
		cfi_table_free(&t);
	}
#undef BIG
#undef UBIG
}

/* the paths of this process's own libc and ld.so */
static char libc_path[512], ldso_path[512];

static int find_libs(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *n = info->dlpi_name, *base = strrchr(n, '/');

	(void)size;
	(void)arg;
	base = base ? base + 1 : n;
	if (!strncmp(base, "libc.so.", 8))
		snprintf(libc_path, sizeof(libc_path), "%s", n);
	else if (!strncmp(base, "ld-linux", 8))
		snprintf(ldso_path, sizeof(ldso_path), "%s", n);
	return 0;
}

int main(int argc, char **argv)
{
	char p[600];
	const char *dir;

	if (argc != 2) {
		fprintf(stderr, "usage: test_cfi DIR\n");
		return 2;
	}
	dir = argv[1];
	verbose = getenv("ANONSTAT_CFI_VERBOSE") != NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	elf_version(EV_CURRENT);
	dl_iterate_phdr(find_libs, NULL);
	CHECK(libc_path[0] && ldso_path[0]);

	test_overflow();

	snprintf(p, sizeof(p), "%s/cfi/o2.so", dir);
	run_object("o2.so (-O2 -fomit-frame-pointer)", p, OBJ_OURS, NULL);
	snprintf(p, sizeof(p), "%s/cfi/o3", dir);
	run_object("o3 (-O3, a program)", p, OBJ_OURS, facts_exe);
	snprintf(p, sizeof(p), "%s/cfi/o0.so", dir);
	run_object("o0.so (-O0 -fno-omit-frame-pointer)", p, OBJ_OURS, NULL);
	snprintf(p, sizeof(p), "%s/cfi/dbg.so", dir);
	run_object("dbg.so (.debug_frame)", p, OBJ_OURS | OBJ_DEBUG_FRAME, NULL);
	snprintf(p, sizeof(p), "%s/cfi/arm64.so", dir);
	run_object("arm64.so (-mbranch-protection=standard)", p, OBJ_OURS, facts_arm64_signed);
	snprintf(p, sizeof(p), "%s/cfi/arm64", dir);
	run_object("arm64 (a program)", p, OBJ_OURS, facts_arm64_exe);
	snprintf(p, sizeof(p), "%s/cfi/exotic.so", dir);
	run_object("exotic.so (hand-written CFI)", p, 0, facts_exotic_hdr);
	snprintf(p, sizeof(p), "%s/cfi/exotic-nohdr.so", dir);
	run_object("exotic-nohdr.so (no search table)", p, 0, facts_exotic_nohdr);
	if (libc_path[0])
		run_object(libc_path, libc_path, 0, facts_libc);
	if (ldso_path[0])
		run_object(ldso_path, ldso_path, 0, NULL);
	run_object("libucm.so.0", "/usr/lib/x86_64-linux-gnu/libucm.so.0", 0, NULL);
	run_object("libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
		   OBJ_OPTIONAL, NULL);
	run_object("arm64 libc.so.6", "/usr/aarch64-linux-gnu/lib/libc.so.6", 0, NULL);

	printf("test_cfi: %llu pcs compared, %llu agree\n",
	       (unsigned long long)total_pcs, (unsigned long long)total_agree);
	return check_report("test_cfi");
}
