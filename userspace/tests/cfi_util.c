// SPDX-License-Identifier: GPL-2.0
/*
 * cfi_util.c - see cfi_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfi_util.h"

u32 cfi_grow_first = 1024;
unsigned long cfi_grow_fail_at;
unsigned long cfi_grow_calls;

int anonstat_cfi_grow(struct anonstat_cfi_table *t)
{
	u32 cap = t->cap ? t->cap * 2 : cfi_grow_first;
	struct anonstat_unwind_row *rows;

	if (cap > t->max_rows || cap < t->cap)
		cap = t->max_rows;
	if (cap <= t->cap)
		return -E2BIG;
	if (cfi_grow_fail_at && ++cfi_grow_calls == cfi_grow_fail_at)
		return -ENOMEM;
	/* a new buffer each time, as kvmalloc: ASan sees a stale pointer */
	rows = malloc((size_t)cap * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	if (t->nr)
		memcpy(rows, t->rows, (size_t)t->nr * sizeof(*rows));
	free(t->rows);
	t->rows = rows;
	t->cap = cap;
	return 0;
}

void cfi_table_free(struct anonstat_cfi_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->nr = t->cap = 0;
}

/* @len bytes of the image at @off, copied to a buffer of exactly that size */
static int copy_section(struct cfi_obj *o, struct anonstat_cfi_section *s,
			u64 off, u64 len, u64 vaddr)
{
	u8 *p;

	if (off > o->image_size || len > o->image_size - off || !len)
		return -1;
	p = malloc(len);
	if (!p)
		return -1;
	memcpy(p, o->image + off, len);
	*s = (struct anonstat_cfi_section){ p, len, vaddr };
	return 0;
}

static int read_image(struct cfi_obj *o, char *err, size_t errlen)
{
	struct stat st;
	size_t done = 0;

	o->fd = open(o->path, O_RDONLY | O_CLOEXEC);
	if (o->fd < 0 || fstat(o->fd, &st)) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
		return -1;
	}
	o->image_size = st.st_size;
	o->image = malloc(o->image_size ? o->image_size : 1);
	if (!o->image) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(ENOMEM));
		return -1;
	}
	while (done < o->image_size) {
		ssize_t n = pread(o->fd, o->image + done, o->image_size - done, done);

		if (n <= 0) {
			snprintf(err, errlen, "%s: read: %s", o->path,
				 n ? strerror(errno) : "short file");
			return -1;
		}
		done += n;
	}
	return 0;
}

int cfi_obj_open(struct cfi_obj *o, const char *path, char *err, size_t errlen)
{
	u64 lo = ~0ULL, hi = 0, frame;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t i, nph, shstr;
	Elf *elf;
	int ret = -1;

	memset(o, 0, sizeof(*o));
	snprintf(o->path, sizeof(o->path), "%s", path);
	if (read_image(o, err, errlen))
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)o->image, o->image_size);
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nph) ||
	    elf_getshdrstrndx(elf, &shstr)) {
		snprintf(err, errlen, "%s: not an ELF object: %s", path, elf_errmsg(-1));
		goto out;
	}
	o->machine = eh.e_machine;
	if (eh.e_machine == EM_X86_64) {
		o->arch = ANONSTAT_CFI_X86_64;
	} else if (eh.e_machine == EM_AARCH64) {
		o->arch = ANONSTAT_CFI_ARM64;
	} else {
		snprintf(err, errlen, "%s: machine %u", path, eh.e_machine);
		goto out;
	}
	o->entry = eh.e_entry;
	/* the executable segments: base and limit as module/unwind.c */
	for (i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph))
			continue;
		if (ph.p_type == PT_GNU_EH_FRAME &&
		    copy_section(o, &o->phdr_hdr, ph.p_offset, ph.p_filesz, ph.p_vaddr)) {
			snprintf(err, errlen, "%s: PT_GNU_EH_FRAME out of the file", path);
			goto out;
		}
		if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) || !ph.p_filesz)
			continue;
		if (o->nr_segs == CFI_MAX_SEGS)
			break;
		o->segs[o->nr_segs].vaddr = ph.p_vaddr;
		o->segs[o->nr_segs].filesz = ph.p_filesz;
		o->nr_segs++;
		lo = ph.p_vaddr < lo ? ph.p_vaddr : lo;
		hi = ph.p_vaddr + ph.p_filesz > hi ? ph.p_vaddr + ph.p_filesz : hi;
	}
	if (!o->nr_segs) {
		snprintf(err, errlen, "%s: no executable segment", path);
		goto out;
	}
	o->base = lo;
	o->limit = hi - lo > 0xffffffffULL ? 0xffffffffULL : hi - lo;
	/* .eh_frame through .eh_frame_hdr's pointer, to its segment's end */
	if (o->phdr_hdr.size && !anonstat_cfi_hdr_frame(&o->phdr_hdr, &frame)) {
		for (i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD ||
			    frame - ph.p_vaddr >= ph.p_filesz)
				continue;
			copy_section(o, &o->phdr_frame,
				     ph.p_offset + (frame - ph.p_vaddr),
				     ph.p_vaddr + ph.p_filesz - frame, frame);
			break;
		}
	}
	while ((scn = elf_nextscn(elf, scn))) {
		struct anonstat_cfi_section *s = NULL;
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) ||
		    !(name = elf_strptr(elf, shstr, sh.sh_name)))
			continue;
		if (!strcmp(name, ".plt")) {
			o->plt = (struct anonstat_cfi_section){ NULL, sh.sh_size, sh.sh_addr };
			continue;
		}
		if (sh.sh_type != SHT_PROGBITS)
			continue;
		if (!strcmp(name, ".eh_frame"))
			s = &o->eh_frame;
		else if (!strcmp(name, ".eh_frame_hdr"))
			s = &o->eh_frame_hdr;
		else if (!strcmp(name, ".debug_frame"))
			s = &o->debug_frame;
		if (s && copy_section(o, s, sh.sh_offset, sh.sh_size,
				      s == &o->debug_frame ? 0 : sh.sh_addr)) {
			snprintf(err, errlen, "%s: section %s out of the file", path, name);
			goto out;
		}
	}
	ret = 0;
out:
	elf_end(elf);
	return ret;
}

void cfi_obj_close(struct cfi_obj *o)
{
	free((void *)o->phdr_hdr.data);
	free((void *)o->phdr_frame.data);
	free((void *)o->eh_frame.data);
	free((void *)o->eh_frame_hdr.data);
	free((void *)o->debug_frame.data);
	free(o->image);
	if (o->fd >= 0)
		close(o->fd);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

void cfi_obj_input(const struct cfi_obj *o, struct anonstat_cfi_input *in)
{
	*in = (struct anonstat_cfi_input){
		.arch = o->arch, .base = o->base, .limit = o->limit,
	};
	if (o->phdr_hdr.size && o->phdr_frame.size) {
		in->hdr = o->phdr_hdr;
		in->frame = o->phdr_frame;
	} else if (o->eh_frame.size) {
		in->frame = o->eh_frame;
	} else if (o->debug_frame.size) {
		in->frame = o->debug_frame;
		in->debug_frame = true;
	}
}

static const char *const cfa_names[] = { "INVALID", "SP", "FP", "DEREF_SP", "PLT", "END",
					   "DEREF_FP" };
static const char *const reg_names[] = { "SAME", "CFA", "SP", "UNKNOWN" };

const char *cfi_row_str(const struct anonstat_unwind_row *r, char *buf, size_t len)
{
	if (!r) {
		snprintf(buf, len, "(none)");
		return buf;
	}
	snprintf(buf, len, "cfa %s%+d ra %s%+ld fp %s%+ld flags %#x",
		 r->cfa < 7 ? cfa_names[r->cfa] : "?", r->cfa_off,
		 r->ra < 4 ? reg_names[r->ra] : "?", (long)anonstat_row_ra_off(r),
		 r->fp < 4 ? reg_names[r->fp] : "?", (long)anonstat_row_fp_off(r), r->flags);
	return buf;
}

static bool same_rules(const struct anonstat_unwind_row *a,
		       const struct anonstat_unwind_row *b)
{
	return a->cfa == b->cfa && a->cfa_off == b->cfa_off && a->ra == b->ra &&
	       a->fp == b->fp && a->flags == b->flags &&
	       a->ra_off8 == b->ra_off8 && a->fp_off8 == b->fp_off8;
}

/* the lookup, the obvious way */
static const struct anonstat_unwind_row *
linear_lookup(const struct anonstat_cfi_table *t, u32 pc)
{
	const struct anonstat_unwind_row *found = NULL;
	u32 i;

	for (i = 0; i < t->nr && t->rows[i].pc <= pc; i++)
		found = &t->rows[i];
	return found && found->cfa != ANONSTAT_CFA_INVALID ? found : NULL;
}

const char *cfi_check_table(const struct anonstat_cfi_input *in,
			    const struct anonstat_cfi_table *t, int ret,
			    bool enomem_ok, unsigned int lookups, u64 seed)
{
	static char msg[256];
	u32 i;

	if (ret != 0 && ret != -ENOENT && ret != -E2BIG && ret != -EINVAL &&
	    !(ret == -ENOMEM && enomem_ok)) {
		snprintf(msg, sizeof(msg), "returned %d", ret);
		return msg;
	}
	if (t->nr > t->cap || t->nr > t->max_rows || (t->cap && !t->rows)) {
		snprintf(msg, sizeof(msg), "nr %u cap %u max_rows %u", t->nr, t->cap,
			 t->max_rows);
		return msg;
	}
	if (ret)
		return NULL;
	if (!t->nr)
		return "success with no row";
	if (t->rows[t->nr - 1].cfa != ANONSTAT_CFA_INVALID)
		return "the last row is not INVALID";
	for (i = 0; i < t->nr; i++) {
		const struct anonstat_unwind_row *r = &t->rows[i];
		char buf[128];

		if ((r->cfa > ANONSTAT_CFA_END && r->cfa != ANONSTAT_CFA_DEREF_FP) ||
		    r->ra > ANONSTAT_REG_UNKNOWN ||
		    r->fp > ANONSTAT_REG_UNKNOWN ||
		    (r->flags & ~(r->cfa == ANONSTAT_CFA_PLT ? 0xf1 : 0x01)) ||
		    ((r->cfa == ANONSTAT_CFA_INVALID || r->cfa == ANONSTAT_CFA_END) &&
		     (r->cfa_off || r->ra || r->fp || r->flags || r->ra_off8 || r->fp_off8)) ||
		    (r->ra != ANONSTAT_REG_AT_CFA && r->ra != ANONSTAT_REG_AT_SP && r->ra_off8) ||
		    (r->fp != ANONSTAT_REG_AT_CFA && r->fp != ANONSTAT_REG_AT_SP && r->fp_off8) ||
		    (r->cfa != ANONSTAT_CFA_INVALID && r->cfa != ANONSTAT_CFA_END &&
		     r->ra == ANONSTAT_REG_UNKNOWN) ||
		    (in->arch == ANONSTAT_CFI_X86_64 && r->ra == ANONSTAT_REG_SAME &&
		     r->cfa != ANONSTAT_CFA_INVALID && r->cfa != ANONSTAT_CFA_END) ||
		    (in->arch != ANONSTAT_CFI_X86_64 && r->cfa == ANONSTAT_CFA_PLT)) {
			snprintf(msg, sizeof(msg), "row %u out of range: %s", i,
				 cfi_row_str(r, buf, sizeof(buf)));
			return msg;
		}
		if (r->pc > in->limit ||
		    (r->pc == in->limit && r->cfa != ANONSTAT_CFA_INVALID)) {
			snprintf(msg, sizeof(msg), "row %u at pc %#x, limit %#llx", i,
				 r->pc, (unsigned long long)in->limit);
			return msg;
		}
		if (i && r->pc <= t->rows[i - 1].pc) {
			snprintf(msg, sizeof(msg), "row %u at pc %#x after pc %#x", i,
				 r->pc, t->rows[i - 1].pc);
			return msg;
		}
		if (i && same_rules(r, &t->rows[i - 1])) {
			snprintf(msg, sizeof(msg), "row %u repeats row %u", i, i - 1);
			return msg;
		}
	}
	if (anonstat_cfi_lookup(t->rows, 0, 0) ||
	    anonstat_cfi_lookup(t->rows, t->nr, 0xffffffffU))
		return "a lookup in no rows, or past the end, found a row";
	for (i = 0; i < lookups; i++) {
		u64 r = cfi_rand(&seed);
		u32 pc;
		const struct anonstat_unwind_row *got, *want;

		switch (r & 3) {
		case 0:
			pc = r >> 32;
			break;
		case 1:		/* at, just before and just after a row */
			pc = t->rows[(r >> 8) % t->nr].pc + (u32)((r >> 40) % 3) - 1;
			break;
		default:
			pc = (r >> 32) % (in->limit + 16);
		}
		got = anonstat_cfi_lookup(t->rows, t->nr, pc);
		want = linear_lookup(t, pc);
		if (got != want) {
			snprintf(msg, sizeof(msg), "lookup of pc %#x: row %td, want %td",
				 pc, got ? got - t->rows : -1, want ? want - t->rows : -1);
			return msg;
		}
	}
	return NULL;
}
