// SPDX-License-Identifier: GPL-2.0
/*
 * mremap.c - what mremap does to the regions.
 *
 * Owns the rules of mremap(addr, old_len, new_len, flags, new_addr),
 * applied once the call is done (call.c): the regions of the source move
 * with their sites to where the kernel put them, what lies past new_len is
 * released, growth goes to the region that ended at the old end (or, for
 * a range no region held, to the call's site), MREMAP_DONTUNMAP leaves the
 * source in place and gives the target copies of its regions, and a
 * second mapping of a shared region (old_len 0) goes to that region's
 * site.  Then both ranges are reconciled with the VMA tree
 * (reconcile.c), so that a failed call, or the growth of a file mapping,
 * leaves exactly what the kernel has.
 *
 * Locking: called with the mmap lock held for reading and proc->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mman.h>

#include "anonstat.h"

struct mremap_args {
	unsigned long addr;
	unsigned long old_len;
	unsigned long new_len;
	unsigned long flags;
	unsigned long new_addr;
};

/*
 * The checks mremap makes before it changes anything: false when the call
 * cannot have changed anything.  Lengths are page-aligned on return.
 */
static bool mremap_args_ok(struct mremap_args *c)
{
	const unsigned long known = MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP;

	if ((c->flags & ~known) || (c->addr & ~PAGE_MASK))
		return false;
	if ((c->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) &&
	    !(c->flags & MREMAP_MAYMOVE))
		return false;
	if ((c->flags & MREMAP_DONTUNMAP) && c->old_len != c->new_len)
		return false;
	c->old_len = PAGE_ALIGN(c->old_len);
	c->new_len = PAGE_ALIGN(c->new_len);
	if (!c->new_len || c->old_len > TASK_SIZE_MAX ||
	    c->addr > TASK_SIZE_MAX - c->old_len)
		return false;
	if ((c->flags & MREMAP_FIXED) &&
	    !anonstat_user_range_ok(c->new_addr, c->new_len))
		return false;
	return true;
}

/*
 * Put piece @r back at its own place, joined again to the parts of the
 * region it was cut from when they are still there.
 */
static void restore_piece(struct anonstat_proc *proc, struct anonstat_region *r)
{
	struct anonstat_region *left = NULL, *right = NULL;
	bool whole = anonstat_piece_is_whole(r);

	if ((r->flags & ANONSTAT_REGION_CUT_LEFT) && r->start) {
		left = anonstat_region_first(proc, r->start - 1);
		if (!left || left->end != r->start || left->site != r->site)
			left = NULL;
	}
	if (r->flags & ANONSTAT_REGION_CUT_RIGHT) {
		right = anonstat_region_first(proc, r->end);
		if (!right || right->start != r->end || right->site != r->site)
			right = NULL;
	}
	r->flags &= ANONSTAT_REGION_INHERITED;
	if (left && right) {
		left->end = right->end;
		rb_erase(&right->node, &proc->regions);
		anonstat_region_count(proc, right->site, -1);
		anonstat_region_free(right);
		anonstat_region_free(r);
	} else if (left) {
		left->end = r->end;
		anonstat_region_free(r);
	} else if (right) {
		right->start = r->start;
		anonstat_region_free(r);
	} else {
		/* a cut piece on its own is one more region */
		if (!whole)
			anonstat_region_count(proc, r->site, 1);
		anonstat_insert_region(proc, r);
	}
}

static void restore_all(struct anonstat_proc *proc, struct anonstat_pieces *p)
{
	struct anonstat_region *r, *next;

	for (r = p->first; r; r = next) {
		next = r->next;
		restore_piece(proc, r);
	}
	anonstat_pieces_init(p);
}

/*
 * Move the source pieces @src of [addr, addr + old_len) to @base, release
 * what lies past new_len.  Returns the site of the piece that ended at the
 * old end, which takes the growth, or NULL.
 */
static struct anonstat_site *move_pieces(struct anonstat_acct *a,
					 struct anonstat_pieces *src,
					 const struct mremap_args *c,
					 unsigned long base)
{
	unsigned long old_end = c->addr + c->old_len;
	struct anonstat_site *grow_site = NULL;
	struct anonstat_region *r, *next;

	for (r = src->first; r; r = next) {
		unsigned long off = r->start - c->addr;

		next = r->next;
		if (off >= c->new_len) {
			anonstat_account_release(a, r->site, r->end - r->start,
						 anonstat_piece_is_whole(r));
			anonstat_region_free(r);
			continue;
		}
		if (r->end - c->addr > c->new_len) {
			anonstat_account_release(a, r->site,
						 r->end - c->addr - c->new_len,
						 false);
			r->end = c->addr + c->new_len;
		}
		if (r->end == old_end)
			grow_site = r->site;
		r->end = base + (r->end - c->addr);
		r->start = base + off;
		if (base == c->addr) {
			restore_piece(a->proc, r);
		} else {
			if (!anonstat_piece_is_whole(r))
				anonstat_region_count(a->proc, r->site, 1);
			r->flags &= ANONSTAT_REGION_INHERITED;
			anonstat_insert_region(a->proc, r);
		}
	}
	anonstat_pieces_init(src);
	return grow_site;
}

/* The region ending at @end of @site takes [end, new_end). */
static void grow_region(struct anonstat_acct *a, struct anonstat_site *site,
			unsigned long end, unsigned long new_end)
{
	struct anonstat_region *r = anonstat_region_first(a->proc, end - 1);

	if (!r || r->end != end || r->site != site)
		return;
	r->end = new_end;
	anonstat_account_grow(a, site, new_end - end);
}

/*
 * Take out of the tree, into @src, the regions of the source that the call
 * moved away or unmapped: the part the target keeps in place (@base is
 * addr), and what no anonymous VMA covers now.  An anonymous VMA elsewhere
 * in the source was mapped there after this call, by another thread whose
 * work may already have run: the regions there are that call's (or, if its
 * work has not run yet, ours, which it releases) and stay where they are.
 */
static void detach_moved(struct anonstat_acct *a, const struct mremap_args *c,
			 unsigned long base, struct anonstat_pieces *src)
{
	unsigned long from = c->addr, addr = c->addr, end = c->addr + c->old_len;

	if (base == c->addr)
		addr = min(end, base + c->new_len);
	while (addr < end) {
		struct vm_area_struct *vma = find_vma(a->mm, addr);

		if (!vma || vma->vm_start >= end)
			break;
		if (anonstat_vma_kind(a->mm, vma) >= 0) {
			anonstat_regions_detach(a->proc, from,
						max(addr, vma->vm_start), src);
			from = min(vma->vm_end, end);
		}
		addr = vma->vm_end;
	}
	anonstat_regions_detach(a->proc, from, end, src);
}

void anonstat_track_mremap(struct anonstat_acct *a,
			   const struct anonstat_call *call, long ret)
{
	struct mremap_args c = {
		.addr = call->args[0], .old_len = call->args[1],
		.new_len = call->args[2], .flags = call->args[3],
		.new_addr = call->args[4],
	};
	unsigned long base = (unsigned long)ret;
	struct anonstat_site *grow_site;
	struct anonstat_pieces src;

	if (!mremap_args_ok(&c))
		return;
	if (IS_ERR_VALUE(base)) {
		/* the kernel may have unmapped a MREMAP_FIXED target */
		anonstat_reconcile(a, c.addr, c.addr + c.old_len, false);
		if (c.flags & MREMAP_FIXED)
			anonstat_reconcile(a, c.new_addr, c.new_addr + c.new_len,
					   false);
		return;
	}
	a->changed = true;	/* moved regions count as a change too */
	if (!c.old_len) {
		/* a second mapping of the shared region at addr */
		struct anonstat_region *r = anonstat_region_first(a->proc, c.addr);

		anonstat_release_range(a, base, base + c.new_len);
		if (r && r->start <= c.addr)
			a->fill_site = r->site;
		anonstat_reconcile(a, base, base + c.new_len, true);
		a->fill_site = NULL;
		return;
	}

	anonstat_pieces_init(&src);
	if (c.flags & MREMAP_DONTUNMAP)
		anonstat_regions_detach(a->proc, c.addr, c.addr + c.old_len, &src);
	else
		detach_moved(a, &c, base, &src);
	/* what the target held went away (source pieces are out of the tree) */
	anonstat_release_range(a, base, base + c.new_len);
	if (c.flags & MREMAP_DONTUNMAP) {
		struct anonstat_region *r;

		for (r = src.first; r; r = r->next)
			anonstat_new_region(a, r->site,
					    base + (r->start - c.addr),
					    base + (r->end - c.addr));
		restore_all(a->proc, &src);
	} else {
		grow_site = move_pieces(a, &src, &c, base);
		if (c.new_len > c.old_len && grow_site &&
		    anonstat_range_is_anon(a->mm, base + c.old_len,
					   base + c.new_len))
			grow_region(a, grow_site, base + c.old_len,
				    base + c.new_len);
	}
	/* what is left is exactly what the kernel has */
	anonstat_reconcile(a, c.addr, c.addr + c.old_len, false);
	anonstat_reconcile(a, base, base + c.new_len, true);
}
