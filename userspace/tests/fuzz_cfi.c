// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_cfi.c - module/cfi.c on inputs nobody wrote: random bytes, and real
 * .eh_frame/.eh_frame_hdr/.debug_frame sections (the objects test_cfi
 * reads) mutated: bit flips, interesting bytes and words, length fields
 * changed, entries cut, duplicated, dropped or spliced in from another
 * object, CFA instructions written over, the header's encodings and count,
 * base, limit, architecture and max_rows changed.  Built with ASan and
 * UBSan (every section is a buffer of exactly its size), and after each
 * compile the invariants of cfi_check_table() must hold: a known return
 * value, rows sorted and in range, the last INVALID, lookups right.
 *
 * usage: fuzz_cfi DIR                  (DIR/cfi/: test_cfi's objects)
 *        fuzz_cfi --write-corpus OUT DIR   the seeds, for libFuzzer
 *        fuzz_cfi --replay FILE...     cases in the corpus format
 *
 * Deterministic: iteration i is a function of the seed and i only.
 * ANONSTAT_CFI_FUZZ_ITERATIONS (default 60000, ~5 s of CPU), ANONSTAT_CFI_FUZZ_SEED
 * (default 1); ANONSTAT_CFI_FUZZ_ONLY=i runs iteration i alone and, with
 * ANONSTAT_CFI_FUZZ_SAVE=FILE, writes it there for --replay.  The
 * iterations run in child processes, 2000 at a time: a sanitizer report
 * ends the child, and that chunk is run again one by one to name the
 * iteration.
 *
 * With -DCFI_LIBFUZZER the same checks are a libFuzzer target
 * (make fuzz-cfi): the input is a case in the corpus format.
 */
#include <errno.h>
#include <link.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cfi_util.h"

/* ---- a case, and its file format (little-endian) ---- */

enum {
	C_ARM64 = 1,
	C_DEBUG_FRAME = 2,
	C_BAD_ARCH = 4,		/* an architecture cfi.c does not know: -EINVAL */
};

struct fuzz_case {
	u8 flags;
	u32 max_rows;
	u64 hdr_vaddr, frame_vaddr, base, limit;
	u8 *hdr;		/* hdr_len 0: none */
	size_t hdr_len;
	u8 *frame;
	size_t frame_len;
};

/* flags(1) pad(3) max_rows(4) hdr_vaddr frame_vaddr base limit (8 each) hdr_len(4) */
#define CASE_HEAD	44

static void put(u8 *p, u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static u64 get(const u8 *p, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		perror("fuzz_cfi: malloc");
		exit(1);
	}
	return p;
}

static u8 *dup_bytes(const u8 *p, size_t n)
{
	u8 *q = xmalloc(n);

	if (n)
		memcpy(q, p, n);
	return q;
}

static void case_free(struct fuzz_case *c)
{
	free(c->hdr);
	free(c->frame);
	c->hdr = c->frame = NULL;
	c->hdr_len = c->frame_len = 0;
}

#ifndef CFI_LIBFUZZER
static void case_copy(struct fuzz_case *dst, const struct fuzz_case *src)
{
	*dst = *src;
	dst->hdr = dup_bytes(src->hdr, src->hdr_len);
	dst->frame = dup_bytes(src->frame, src->frame_len);
}
#endif

static u8 *case_encode(const struct fuzz_case *c, size_t *len)
{
	u8 *p;

	*len = CASE_HEAD + c->hdr_len + c->frame_len;
	p = xmalloc(*len);
	memset(p, 0, CASE_HEAD);
	p[0] = c->flags;
	put(p + 4, c->max_rows, 4);
	put(p + 8, c->hdr_vaddr, 8);
	put(p + 16, c->frame_vaddr, 8);
	put(p + 24, c->base, 8);
	put(p + 32, c->limit, 8);
	put(p + 40, c->hdr_len, 4);
	memcpy(p + CASE_HEAD, c->hdr, c->hdr_len);
	memcpy(p + CASE_HEAD + c->hdr_len, c->frame, c->frame_len);
	return p;
}

/* Any bytes are a case: a short or inconsistent head is read as far as it goes. */
static void case_decode(const u8 *p, size_t len, struct fuzz_case *c)
{
	u8 head[CASE_HEAD] = { 0 };
	size_t hl;

	memcpy(head, p, len < CASE_HEAD ? len : CASE_HEAD);
	p += len < CASE_HEAD ? len : CASE_HEAD;
	len -= len < CASE_HEAD ? len : CASE_HEAD;
	c->flags = head[0];
	c->max_rows = get(head + 4, 4);
	c->hdr_vaddr = get(head + 8, 8);
	c->frame_vaddr = get(head + 16, 8);
	c->base = get(head + 24, 8);
	c->limit = get(head + 32, 8);
	hl = get(head + 40, 4);
	if (hl > len)
		hl = len;
	c->hdr = dup_bytes(p, hl);
	c->hdr_len = hl;
	c->frame = dup_bytes(p + hl, len - hl);
	c->frame_len = len - hl;
}

/* ---- running one case ---- */

static u64 nr_ret[5];		/* 0, -ENOENT, -EINVAL, -E2BIG, -ENOMEM */
static u64 max_rows_seen, total_rows;

/* Compile @c (sections copied to exact sizes); NULL, or what failed. */
static const char *run_case(const struct fuzz_case *c, u64 seed)
{
	struct anonstat_cfi_input in = {
		.arch = c->flags & C_BAD_ARCH ? (enum anonstat_cfi_arch)(2 + (c->flags >> 4)) :
			c->flags & C_ARM64 ? ANONSTAT_CFI_ARM64 : ANONSTAT_CFI_X86_64,
		.debug_frame = c->flags & C_DEBUG_FRAME,
		.base = c->base, .limit = c->limit,
	};
	struct anonstat_cfi_table t = { .max_rows = c->max_rows };
	struct anonstat_cfi_table t2 = { .max_rows = c->max_rows };
	struct anonstat_cfi_stats stats, stats2;
	u8 *hdr = c->hdr_len ? dup_bytes(c->hdr, c->hdr_len) : NULL;
	u8 *frame = dup_bytes(c->frame, c->frame_len);
	const char *bad;
	bool enomem_ok;
	u64 v;
	int ret, ret2;

	in.hdr = (struct anonstat_cfi_section){ hdr, c->hdr_len, c->hdr_vaddr };
	in.frame = (struct anonstat_cfi_section){ frame, c->frame_len, c->frame_vaddr };
	/* small first capacities make the table grow often; sometimes it fails */
	cfi_grow_first = seed % 5 == 0 ? 1024 : 1 + seed % 7;
	cfi_grow_calls = 0;
	cfi_grow_fail_at = (seed >> 8) % 8 == 0 ? 1 + (seed >> 12) % 4 : 0;
	enomem_ok = cfi_grow_fail_at != 0;
	ret = anonstat_cfi_compile(&in, &t, &stats);
	bad = cfi_check_table(&in, &t, ret, enomem_ok, 64, seed);
	if (!bad && (c->flags & C_BAD_ARCH) && ret != -EINVAL)
		bad = "an unknown architecture, and not -EINVAL";
	if (!bad && !ret && (t.nr > t.max_rows ||
			     stats.fdes + stats.fdes_bad > c->frame_len / 8 + c->hdr_len / 8))
		bad = "more rows or FDEs than the input can hold";
	/* the same input again: the same table (no hidden state) */
	if (!bad && !enomem_ok && (seed >> 20) % 8 == 0) {
		ret2 = anonstat_cfi_compile(&in, &t2, &stats2);
		if (ret2 != ret || (!ret && (t2.nr != t.nr ||
		    memcmp(t2.rows, t.rows, (size_t)t.nr * sizeof(*t.rows)) ||
		    memcmp(&stats, &stats2, sizeof(stats)))))
			bad = "a second compile of the same input differs";
	}
	if (!bad && c->hdr_len) {
		int r = anonstat_cfi_hdr_frame(&in.hdr, &v);

		if (r && r != -EINVAL)
			bad = "anonstat_cfi_hdr_frame returned another error";
	}
	switch (ret) {
	case 0:
		nr_ret[0]++;
		total_rows += t.nr;
		if (t.nr > max_rows_seen)
			max_rows_seen = t.nr;
		break;
	case -ENOENT:
		nr_ret[1]++;
		break;
	case -EINVAL:
		nr_ret[2]++;
		break;
	case -E2BIG:
		nr_ret[3]++;
		break;
	default:
		nr_ret[4]++;
	}
	cfi_table_free(&t);
	cfi_table_free(&t2);
	free(hdr);
	free(frame);
	return bad;
}

/* ---- the seeds: real sections ---- */

struct corpus {
	struct fuzz_case *v;
	size_t n, cap;
};

#ifndef CFI_LIBFUZZER
static void corpus_add(struct corpus *cp, const struct fuzz_case *c)
{
	if (cp->n == cp->cap) {
		cp->cap = cp->cap ? 2 * cp->cap : 64;
		cp->v = realloc(cp->v, cp->cap * sizeof(*cp->v));
		if (!cp->v) {
			perror("fuzz_cfi: realloc");
			exit(1);
		}
	}
	case_copy(&cp->v[cp->n++], c);
}

static void corpus_free(struct corpus *cp)
{
	size_t i;

	for (i = 0; i < cp->n; i++)
		case_free(&cp->v[i]);
	free(cp->v);
	*cp = (struct corpus){ 0 };
}
#endif /* !CFI_LIBFUZZER */

/* an entry of a frame section */
struct ent {
	size_t off, len;	/* len: the whole entry, its length field included */
	bool cie;
	size_t cie_off;		/* FDE: its CIE's offset */
};

/* The entries of @p (32-bit DWARF only; stops at a terminator or a bad one). */
static size_t entries(const u8 *p, size_t n, bool debug, struct ent *e, size_t max)
{
	size_t off = 0, k = 0;

	while (k < max && off + 8 <= n) {
		u32 len = get(p + off, 4);
		u32 id = get(p + off + 4, 4);

		if (!len || len == 0xffffffff || len > n - off - 4 || len < 4)
			break;
		e[k].off = off;
		e[k].len = (size_t)len + 4;
		e[k].cie = debug ? id == 0xffffffff : id == 0;
		if (!e[k].cie) {
			if (debug)
				e[k].cie_off = id;
			else
				e[k].cie_off = id <= off + 4 ? off + 4 - id : ~(size_t)0;
		}
		off += e[k].len;
		k++;
	}
	return k;
}

#ifndef CFI_LIBFUZZER
/* the 'R' encoding of the CIE at @p (.eh_frame); 0xff if it has none or is odd */
static u8 cie_fde_enc(const u8 *p, size_t len)
{
	size_t i = 9, a = 9;
	u8 version = p[8];

	if (len < 12)
		return 0xff;
	while (i < len && p[i])
		i++;
	if (i >= len || p[a] != 'z')
		return 0xff;
	i++;
	while (i < len && (p[i] & 0x80))	/* code alignment */
		i++;
	i++;
	while (i < len && (p[i] & 0x80))	/* data alignment */
		i++;
	i++;
	if (version == 1) {
		i++;
	} else {
		while (i < len && (p[i] & 0x80))
			i++;
		i++;
	}
	while (i < len && (p[i] & 0x80))	/* augmentation length */
		i++;
	i++;
	for (a++; i < len && p[a]; a++) {
		if (p[a] == 'R')
			return p[i];
		if (p[a] == 'L')
			i++;
		else if (p[a] == 'P')
			return 0xff;	/* its size depends on its encoding: not worth it */
		else if (p[a] != 'S')
			return 0xff;
	}
	return 0xff;
}

/*
 * A window of @k FDEs from @first of the section @sec of @src, behind the
 * CIEs they use: CIE pointers and pcrel sdata4 initial locations
 * rewritten for their new places, and an .eh_frame_hdr listing them
 * (.eh_frame), so that the compiler gets past the headers.
 */
static void add_window(struct corpus *cp, const struct fuzz_case *src, const struct ent *e,
		       size_t n, size_t first, size_t k)
{
	bool debug = src->flags & C_DEBUG_FRAME;
	size_t cies[16], cie_new[16], nc = 0, i, j, len = 0, nf = 0;
	struct hdr_ent { u64 pc, fde; } tab[64];
	struct fuzz_case c = *src;
	u8 *out;

	if (k > 64)
		k = 64;
	out = xmalloc(src->frame_len + 4);
	for (i = first; i < n && nf < k; i++) {
		const struct ent *f = &e[i];
		size_t at, id_at;
		u8 enc = 0xff;

		if (f->cie)
			continue;
		/* its CIE, once */
		for (j = 0; j < nc && cies[j] != f->cie_off; j++)
			;
		if (j == nc) {
			size_t m;

			for (m = 0; m < n && !(e[m].cie && e[m].off == f->cie_off); m++)
				;
			if (m == n || nc == 16)
				continue;
			cies[nc] = f->cie_off;
			cie_new[nc] = len;
			memcpy(out + len, src->frame + e[m].off, e[m].len);
			len += e[m].len;
			nc++;
		}
		if (!debug) {
			size_t m;

			for (m = 0; m < n && !(e[m].cie && e[m].off == cies[j]); m++)
				;
			enc = m < n ? cie_fde_enc(src->frame + e[m].off, e[m].len) : 0xff;
		}
		at = len;
		id_at = at + 4;
		memcpy(out + at, src->frame + f->off, f->len);
		len += f->len;
		if (debug) {
			put(out + id_at, cie_new[j], 4);
			tab[nf].pc = get(out + at + 8, 8);
		} else {
			u64 old_field = src->frame_vaddr + f->off + 8;
			u64 new_field = src->frame_vaddr + at + 8;
			u64 pc = old_field + (s64)(s32)get(out + at + 8, 4);

			put(out + id_at, id_at - cie_new[j], 4);
			if (enc == 0x1b)
				put(out + at + 8, pc - new_field, 4);
			tab[nf].pc = enc == 0x1b ? pc : 0;
		}
		tab[nf].fde = src->frame_vaddr + at;
		nf++;
	}
	if (!nf) {
		free(out);
		return;
	}
	put(out + len, 0, 4);		/* the terminator */
	len += 4;
	c.frame = out;
	c.frame_len = len;
	c.hdr = NULL;
	c.hdr_len = 0;
	if (!debug) {
		/* version 1, eh_frame_ptr pcrel sdata4, count udata4, table datarel sdata4 */
		u8 *h = xmalloc(12 + 8 * nf);

		c.hdr_vaddr = src->frame_vaddr - 0x10000;
		h[0] = 1;
		h[1] = 0x1b;
		h[2] = 0x03;
		h[3] = 0x3b;
		put(h + 4, c.frame_vaddr - (c.hdr_vaddr + 4), 4);
		put(h + 8, nf, 4);
		for (i = 1; i < nf; i++)	/* sorted by pc */
			for (j = i; j > 0 && tab[j - 1].pc > tab[j].pc; j--) {
				struct hdr_ent t = tab[j];

				tab[j] = tab[j - 1];
				tab[j - 1] = t;
			}
		for (i = 0; i < nf; i++) {
			put(h + 12 + 8 * i, tab[i].pc - c.hdr_vaddr, 4);
			put(h + 16 + 8 * i, tab[i].fde - c.hdr_vaddr, 4);
		}
		c.hdr = h;
		c.hdr_len = 12 + 8 * nf;
	}
	corpus_add(cp, &c);
	free(c.hdr);
	free(out);
}

/* The seeds of one object: the whole of its CFI, then windows of it. */
static void add_object(struct corpus *cp, const char *path, bool debug, u64 *rs)
{
	struct anonstat_cfi_input in;
	struct fuzz_case c = { 0 };
	struct cfi_obj o;
	char err[600];
	struct ent *e;
	size_t n, i;

	if (cfi_obj_open(&o, path, err, sizeof(err))) {
		/* the seeds are what test_cfi checks exists: a missing one only thins them */
		printf("fuzz_cfi: no seeds from %s\n", err);
		cfi_obj_close(&o);
		return;
	}
	if (debug)
		in = (struct anonstat_cfi_input){ .arch = o.arch, .base = o.base,
			.limit = o.limit, .frame = o.debug_frame, .debug_frame = true };
	else
		cfi_obj_input(&o, &in);
	c.flags = (in.arch == ANONSTAT_CFI_ARM64 ? C_ARM64 : 0) |
		  (in.debug_frame ? C_DEBUG_FRAME : 0);
	c.max_rows = 1 << 20;
	c.hdr_vaddr = in.hdr.vaddr;
	c.frame_vaddr = in.frame.vaddr;
	c.base = in.base;
	c.limit = in.limit;
	c.hdr = (u8 *)in.hdr.data;
	c.hdr_len = in.hdr.size;
	c.frame = (u8 *)in.frame.data;
	c.frame_len = in.frame.size;
	if (!c.frame_len) {
		cfi_obj_close(&o);
		return;
	}
	corpus_add(cp, &c);
	e = xmalloc(sizeof(*e) * (c.frame_len / 8 + 1));
	n = entries(c.frame, c.frame_len, debug, e, c.frame_len / 8 + 1);
	/* windows: many for a big object, a few for a small one */
	for (i = 0; n && i < (n > 200 ? 48 : 8); i++)
		add_window(cp, &c, e, n, cfi_rand(rs) % n, 1 + cfi_rand(rs) % 12);
	free(e);
	cfi_obj_close(&o);
}

static char libc_path[512], ldso_path[512];

static int find_libs(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *n = info->dlpi_name, *b = strrchr(n, '/');

	(void)size;
	(void)arg;
	b = b ? b + 1 : n;
	if (!strncmp(b, "libc.so.", 8))
		snprintf(libc_path, sizeof(libc_path), "%s", n);
	else if (!strncmp(b, "ld-linux", 8))
		snprintf(ldso_path, sizeof(ldso_path), "%s", n);
	return 0;
}

static void build_corpus(struct corpus *cp, const char *dir)
{
	static const char *const ours[] = { "o2.so", "o3", "o0.so", "dbg.so", "arm64.so",
					     "arm64", "exotic.so" };
	char p[600];
	u64 rs = 7;
	size_t i;

	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		snprintf(p, sizeof(p), "%s/cfi/%s", dir, ours[i]);
		add_object(cp, p, false, &rs);
		if (!strcmp(ours[i], "dbg.so"))
			add_object(cp, p, true, &rs);
	}
	dl_iterate_phdr(find_libs, NULL);
	if (libc_path[0])
		add_object(cp, libc_path, false, &rs);
	if (ldso_path[0])
		add_object(cp, ldso_path, false, &rs);
	add_object(cp, "/usr/lib/x86_64-linux-gnu/libucm.so.0", false, &rs);
	add_object(cp, "/usr/aarch64-linux-gnu/lib/libc.so.6", false, &rs);
}

#endif /* !CFI_LIBFUZZER */

/* ---- mutations ---- */

static const u8 interesting8[] = { 0, 1, 2, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xfe, 0xff };
static const u32 interesting32[] = { 0, 1, 4, 8, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
				     0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffe, 0xffffffff };

/* the CFA operations with operands that look right */
static size_t random_insn(u8 *p, u64 *rs)
{
	static const u8 ops[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
				  0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
				  0x14, 0x15, 0x16, 0x2d, 0x2e, 0x2f, 0x41, 0x86, 0x90, 0x9d,
				  0xc6, 0xd0, 0x3e };
	static const u8 regs[] = { 6, 7, 16, 29, 30, 31, 3, 200 };
	u64 r = cfi_rand(rs);
	size_t n = 0;

	p[n++] = ops[r % sizeof(ops)];
	r >>= 8;
	switch (p[0]) {
	case 0x05: case 0x09: case 0x0c: case 0x11: case 0x12: case 0x14: case 0x15: case 0x2f:
		p[n++] = regs[r % sizeof(regs)];
		p[n++] = (r >> 8) & 0x7f;
		break;
	case 0x06: case 0x07: case 0x08: case 0x0d:
		p[n++] = regs[r % sizeof(regs)];
		break;
	case 0x0e: case 0x13: case 0x2e: case 0x02:
		p[n++] = r & 0xff;
		break;
	case 0x03:
		p[n++] = r;
		p[n++] = r >> 8;
		break;
	case 0x0f:		/* breg7 off; deref, or junk */
		p[n++] = 3;
		p[n++] = 0x77;
		p[n++] = (r >> 8) & 0x7f;
		p[n++] = r & 0x100 ? 0x06 : r;
		break;
	case 0x10: case 0x16:
		p[n++] = regs[r % sizeof(regs)];
		p[n++] = 2;
		p[n++] = 0x77;
		p[n++] = (r >> 8) & 0x7f;
		break;
	}
	return n;
}

/* a buffer that may grow: mutations insert */
struct buf {
	u8 *p;
	size_t len;
};

static void buf_insert(struct buf *b, size_t at, const u8 *src, size_t n)
{
	u8 *p = xmalloc(b->len + n);

	memcpy(p, b->p, at);
	memcpy(p + at, src, n);
	memcpy(p + at + n, b->p + at, b->len - at);
	free(b->p);
	b->p = p;
	b->len += n;
}

static void buf_delete(struct buf *b, size_t at, size_t n)
{
	memmove(b->p + at, b->p + at + n, b->len - at - n);
	b->len -= n;
}

static void mutate_bytes(struct buf *b, const struct corpus *cp, bool debug, u64 *rs)
{
	u64 r = cfi_rand(rs);
	struct ent e[256];
	size_t n, at;
	u8 tmp[16];

	if (!b->len) {
		u8 junk[32];
		size_t i;

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = cfi_rand(rs);
		buf_insert(b, 0, junk, 1 + r % sizeof(junk));
		return;
	}
	at = (r >> 8) % b->len;
	switch (r % 12) {
	case 0:		/* bit flip */
		b->p[at] ^= 1 << ((r >> 40) & 7);
		break;
	case 1:
		b->p[at] = interesting8[(r >> 40) % sizeof(interesting8)];
		break;
	case 2:		/* a word */
		if (b->len >= 4) {
			at = (r >> 8) % (b->len - 3);
			put(b->p + at, interesting32[(r >> 40) % 15], 4);
		}
		break;
	case 3:		/* an entry's length field */
	case 4:
		n = entries(b->p, b->len, debug, e, 256);
		if (n) {
			struct ent *x = &e[(r >> 16) % n];
			u32 len = get(b->p + x->off, 4);
			static const int d[] = { -8, -4, -2, -1, 1, 2, 4, 8 };

			if ((r >> 40) % 4)
				len += d[(r >> 44) % 8];
			else
				len = interesting32[(r >> 44) % 15];
			put(b->p + x->off, len, 4);
		}
		break;
	case 5:		/* cut */
		b->len = (r >> 8) % b->len;
		break;
	case 6:		/* an entry dropped, or doubled */
		n = entries(b->p, b->len, debug, e, 256);
		if (n) {
			struct ent *x = &e[(r >> 16) % n];

			if (r & (1ULL << 40))
				buf_delete(b, x->off, x->len);
			else
				buf_insert(b, x->off, b->p + x->off, x->len);
		}
		break;
	case 7:		/* an entry of another case spliced in at an entry's place */
		if (cp && cp->n) {
			const struct fuzz_case *o = &cp->v[(r >> 16) % cp->n];
			struct ent oe[256];
			size_t on = entries(o->frame, o->frame_len,
					    o->flags & C_DEBUG_FRAME, oe, 256);

			n = entries(b->p, b->len, debug, e, 256);
			if (on) {
				struct ent *x = &oe[(r >> 32) % on];

				buf_insert(b, n ? e[(r >> 48) % n].off : 0,
					   o->frame + x->off, x->len);
			}
		}
		break;
	case 8:		/* CFA instructions written over */
	case 9:
		n = random_insn(tmp, rs);
		if (at + n <= b->len)
			memcpy(b->p + at, tmp, n);
		else
			buf_insert(b, at, tmp, n);
		break;
	case 10:	/* random bytes in */
		for (n = 0; n < 8; n++)
			tmp[n] = cfi_rand(rs);
		buf_insert(b, at, tmp, 1 + (r >> 40) % 8);
		break;
	default:	/* bytes out */
		n = 1 + (r >> 40) % 8;
		buf_delete(b, at, n < b->len - at ? n : b->len - at);
	}
}

static void mutate(struct fuzz_case *c, const struct corpus *cp, u64 *rs)
{
	u64 r = cfi_rand(rs);
	unsigned int k, rounds = 1 + r % 4;

	for (k = 0; k < rounds; k++) {
		struct buf b;

		r = cfi_rand(rs);
		switch (r % 16) {
		case 0:		/* the head */
			switch ((r >> 8) % 6) {
			case 0:
				/* arch, .debug_frame, now and then a bad arch */
				c->flags ^= 1 << ((r >> 16) % 2 + ((r >> 20) % 16 == 0 ? 2 : 0));
				break;
			case 1:
				c->max_rows = (r >> 16) % 3 ? 1 + (r >> 20) % 64 : (r >> 20);
				break;
			case 2: {
				static const u64 lim[] = { 0, 1, 16, 0xffffffff, 0x100000000ULL };

				c->limit = (r >> 16) % 2 ? lim[(r >> 20) % 5] :
					   c->limit + (s64)(s8)(r >> 24) * 64;
				break;
			}
			case 3:
				c->base = (r >> 16) % 2 ? ~0ULL - (r >> 40) :
					  c->base + (s64)(s8)(r >> 24) * 64;
				break;
			case 4:
				c->frame_vaddr += (s64)(s8)(r >> 24);
				break;
			default:
				c->hdr_vaddr += (s64)(s8)(r >> 24);
			}
			break;
		case 1:
		case 2:
		case 3:		/* the header */
			if (c->hdr_len) {
				b = (struct buf){ c->hdr, c->hdr_len };
				if ((r >> 8) % 3 == 0 && b.len >= 12)	/* its count */
					put(b.p + 8, interesting32[(r >> 16) % 15] +
					    (r >> 24) % 3, 4);
				else if ((r >> 8) % 3 == 1)		/* an encoding */
					b.p[(r >> 16) % (b.len < 4 ? b.len : 4)] =
						interesting8[(r >> 24) % sizeof(interesting8)] ^
						((r >> 32) & 0x1b);
				else
					mutate_bytes(&b, NULL, false, rs);
				c->hdr = b.p;
				c->hdr_len = b.len;
				break;
			}
			/* fall through */
		default:
			b = (struct buf){ c->frame, c->frame_len };
			mutate_bytes(&b, cp, c->flags & C_DEBUG_FRAME, rs);
			c->frame = b.p;
			c->frame_len = b.len;
		}
	}
}

#ifndef CFI_LIBFUZZER
/* iteration @i: a seed mutated, or random bytes */
static void make_case(const struct corpus *cp, u64 seed, u64 i, struct fuzz_case *c, u64 *rs)
{
	u64 r;

	*rs = seed * 0x9e3779b97f4a7c15ULL ^ (i + 1) * 0xd1b54a32d192ed03ULL;
	r = cfi_rand(rs);
	if (r % 16 == 0 || !cp->n) {
		size_t k;

		memset(c, 0, sizeof(*c));
		c->flags = ((r >> 8) & 3) | ((r >> 10) % 32 ? 0 : C_BAD_ARCH);
		c->max_rows = (r >> 12) % 2 ? 1 + (r >> 16) % 32 : 1 << 16;
		c->frame_vaddr = (r >> 24) % 4 ? 0x10000 : cfi_rand(rs);
		c->hdr_vaddr = c->frame_vaddr - 0x100;
		c->base = (r >> 28) % 4 ? 0x1000 : cfi_rand(rs);
		c->limit = (r >> 32) % 4 ? 0x100000 : cfi_rand(rs) & 0x1ffffffffULL;
		c->frame_len = cfi_rand(rs) % 512;
		c->frame = xmalloc(c->frame_len);
		for (k = 0; k < c->frame_len; k++)
			c->frame[k] = (r >> 40) % 2 ? cfi_rand(rs) : (u8)(cfi_rand(rs) % 0x30);
		if ((r >> 44) % 2) {
			c->hdr_len = cfi_rand(rs) % 64;
			c->hdr = xmalloc(c->hdr_len);
			for (k = 0; k < c->hdr_len; k++)
				c->hdr[k] = cfi_rand(rs);
			if (c->hdr_len)
				c->hdr[0] = 1;
		} else {
			c->hdr = NULL;
		}
		return;
	}
	/* big seeds (whole libraries) seldom: they cost ~100 small ones */
	do {
		r = cfi_rand(rs);
		case_copy(c, &cp->v[r % cp->n]);
		if (c->frame_len <= 16384 || (r >> 32) % 64 == 0)
			break;
		case_free(c);
	} while (1);
	if ((r >> 40) % 4 == 0)
		c->max_rows = 1 + (r >> 44) % 200;
	if ((r >> 48) % 32 != 0)	/* 1 in 32: a seed as it is */
		mutate(c, cp, rs);
}

static int write_file(const char *path, const struct fuzz_case *c)
{
	size_t len;
	u8 *p = case_encode(c, &len);
	FILE *f = fopen(path, "we");
	int ret = 0;

	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "fuzz_cfi: %s: %s\n", path, strerror(errno));
		ret = -1;
	}
	free(p);
	return ret;
}

#endif /* !CFI_LIBFUZZER */

#ifdef CFI_LIBFUZZER

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
size_t LLVMFuzzerMutate(u8 *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(u8 *data, size_t size, size_t max_size, unsigned int seed);

/* this file's mutations (they know entries and headers), else libFuzzer's own */
size_t LLVMFuzzerCustomMutator(u8 *data, size_t size, size_t max_size, unsigned int seed)
{
	struct fuzz_case c;
	u64 rs = seed;
	size_t len;
	u8 *p;

	if (seed % 4 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	case_decode(data, size, &c);
	mutate(&c, NULL, &rs);
	p = case_encode(&c, &len);
	case_free(&c);
	if (len > max_size) {
		free(p);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data, p, len);
	free(p);
	return len;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_case c;
	const char *bad;
	u64 seed = size;

	case_decode(data, size, &c);
	if (size)
		seed ^= (u64)data[size - 1] << 8 | data[0];
	bad = run_case(&c, seed);
	if (bad) {
		fprintf(stderr, "fuzz_cfi: %s\n", bad);
		abort();
	}
	case_free(&c);
	return 0;
}

#else

/* what a run of iterations found, from the process that ran them */
struct tally {
	u64 ret[5];
	u64 rows, max_rows;
	u64 passed, failed;
	u64 done;		/* iterations finished */
};

static void tally_add(struct tally *a, const struct tally *b)
{
	unsigned int i;

	for (i = 0; i < 5; i++)
		a->ret[i] += b->ret[i];
	a->rows += b->rows;
	a->max_rows = b->max_rows > a->max_rows ? b->max_rows : a->max_rows;
	a->passed += b->passed;
	a->failed += b->failed;
	a->done += b->done;
}

/* Iterations [@first, @last) here; false past 10 failures shown in all. */
static void run_iterations(const struct corpus *cp, u64 seed, u64 first, u64 last,
			   struct tally *tl, unsigned int *shown)
{
	u64 i;

	for (i = first; i < last; i++) {
		struct fuzz_case c;
		const char *bad;
		u64 rs;

		make_case(cp, seed, i, &c, &rs);
		bad = run_case(&c, cfi_rand(&rs));
		if (bad && (*shown)++ < 10)
			fprintf(stderr, "fuzz_cfi: iteration %llu (seed %llu): %s\n",
				(unsigned long long)i, (unsigned long long)seed, bad);
		if (bad)
			tl->failed++;
		else
			tl->passed++;
		tl->done++;
		case_free(&c);
	}
	memcpy(tl->ret, nr_ret, sizeof(nr_ret));
	tl->rows = total_rows;
	tl->max_rows = max_rows_seen;
}

/*
 * Iterations [@first, @last) in a child process, so that a sanitizer's
 * report (which ends the process) or a crash is pinned to its iteration:
 * 0, or -1 when the child died before it told its tally.
 */
static int run_child(const struct corpus *cp, u64 seed, u64 first, u64 last,
		     struct tally *tl, unsigned int shown)
{
	int fds[2], status;
	struct tally got = { 0 };
	ssize_t n;
	pid_t pid;

	if (pipe(fds)) {
		perror("fuzz_cfi: pipe");
		exit(1);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fuzz_cfi: fork");
		exit(1);
	}
	if (!pid) {
		close(fds[0]);
		run_iterations(cp, seed, first, last, &got, &shown);
		n = write(fds[1], &got, sizeof(got));
		_exit(n == sizeof(got) ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], &got, sizeof(got));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(got) || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	/* the child counted its return values from zero: they are its own */
	tally_add(tl, &got);
	return 0;
}

static u64 env_u64(const char *name, u64 def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static int replay(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		struct stat st;
		FILE *f = fopen(argv[i], "re");
		struct fuzz_case c;
		const char *bad;
		u8 *p;

		if (!f || fstat(fileno(f), &st)) {
			fprintf(stderr, "fuzz_cfi: %s: %s\n", argv[i], strerror(errno));
			check_fail++;
			continue;
		}
		p = xmalloc(st.st_size);
		if (fread(p, 1, st.st_size, f) != (size_t)st.st_size) {
			fprintf(stderr, "fuzz_cfi: %s: short read\n", argv[i]);
			check_fail++;
			fclose(f);
			free(p);
			continue;
		}
		fclose(f);
		case_decode(p, st.st_size, &c);
		free(p);
		bad = run_case(&c, st.st_size);
		if (bad)
			fprintf(stderr, "fuzz_cfi: %s: %s\n", argv[i], bad);
		CHECK(!bad);
		case_free(&c);
	}
	return check_report("fuzz_cfi");
}

int main(int argc, char **argv)
{
	struct corpus cp = { 0 };
	struct tally tl = { 0 };
	u64 seed, iterations, only, chunk, i, first, last, crashed = 0;
	const char *save;
	struct timespec t0, t1;
	unsigned int shown = 0;
	double secs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "--replay"))
		return replay(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "--write-corpus")) {
		char p[700];

		build_corpus(&cp, argv[3]);
		for (i = 0; i < cp.n; i++) {
			snprintf(p, sizeof(p), "%s/seed-%04llu", argv[2], (unsigned long long)i);
			if (write_file(p, &cp.v[i])) {
				corpus_free(&cp);
				return 1;
			}
		}
		printf("fuzz_cfi: %zu seeds written to %s\n", cp.n, argv[2]);
		corpus_free(&cp);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_cfi DIR | --write-corpus OUT DIR | --replay FILE...\n");
		return 2;
	}
	seed = env_u64("ANONSTAT_CFI_FUZZ_SEED", 1);
	iterations = env_u64("ANONSTAT_CFI_FUZZ_ITERATIONS", 60000);
	only = env_u64("ANONSTAT_CFI_FUZZ_ONLY", ~0ULL);
	save = getenv("ANONSTAT_CFI_FUZZ_SAVE");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	build_corpus(&cp, argv[1]);
	/* the seeds must have been there: test_cfi checks them one by one */
	CHECK(cp.n >= 100);
	first = only != ~0ULL ? only : 0;
	last = only != ~0ULL ? only + 1 : iterations;
	if (save && only != ~0ULL) {
		struct fuzz_case c;
		u64 rs;

		make_case(&cp, seed, only, &c, &rs);
		if (write_file(save, &c))
			check_fail++;
		case_free(&c);
	}
	/* chunks in children; a chunk that died is run again one by one */
	chunk = 2000;
	for (i = first; i < last; i += chunk) {
		u64 end = i + chunk < last ? i + chunk : last, k;

		if (!run_child(&cp, seed, i, end, &tl, shown))
			continue;
		for (k = i; k < end; k++) {
			if (!run_child(&cp, seed, k, k + 1, &tl, shown))
				continue;
			fprintf(stderr, "fuzz_cfi: iteration %llu (seed %llu) died: "
				"ANONSTAT_CFI_FUZZ_SEED=%llu ANONSTAT_CFI_FUZZ_ONLY=%llu "
				"ANONSTAT_CFI_FUZZ_SAVE=FILE fuzz_cfi DIR writes it for --replay\n",
				(unsigned long long)k, (unsigned long long)seed,
				(unsigned long long)seed, (unsigned long long)k);
			tl.failed++;
			tl.done++;
			if (++crashed == 3)
				break;
		}
		if (crashed >= 3)
			break;
	}
	shown += tl.failed;
	check_pass += tl.passed;
	check_fail += tl.failed;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("fuzz_cfi: %llu iterations from %zu seeds (seed %llu) in %.1f s: "
	       "0 %llu, -ENOENT %llu, -EINVAL %llu, -E2BIG %llu, -ENOMEM %llu; "
	       "rows %llu, at most %llu\n",
	       (unsigned long long)tl.done, cp.n, (unsigned long long)seed, secs,
	       (unsigned long long)tl.ret[0], (unsigned long long)tl.ret[1],
	       (unsigned long long)tl.ret[2], (unsigned long long)tl.ret[3],
	       (unsigned long long)tl.ret[4], (unsigned long long)tl.rows,
	       (unsigned long long)tl.max_rows);
	/* every kind of outcome came up: the mutations reach past the headers */
	if (only == ~0ULL && iterations >= 1000)
		CHECK(tl.ret[0] && tl.ret[1] && tl.ret[2] && tl.ret[3] && tl.ret[4]);
	corpus_free(&cp);
	return check_report("fuzz_cfi");
}

#endif /* CFI_LIBFUZZER */
