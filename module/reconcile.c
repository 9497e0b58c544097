// SPDX-License-Identifier: GPL-2.0
/*
 * reconcile.c - the regions of a range made equal to the kernel's VMAs.
 *
 * Owns the one definition of "anonymous" anonstat uses, the same one
 * /proc/PID/maps shows (module/debugfs-format.md, "The invariant"):
 * private anonymous VMAs (no path, [heap], [anon:NAME]), shared anonymous
 * ones (/dev/zero (deleted), [anon_shmem:NAME]) and MAP_HUGETLB anonymous
 * ones (/anon_hugepage (deleted)), but never the main thread's [stack],
 * which the kernel grows on its own.
 *
 * anonstat_reconcile() is how every system call ends: after the call, in
 * the range it could have changed, what no anonymous VMA covers any more
 * is released from the regions that held it, and (when the call makes
 * regions) what anonymous VMAs cover and no region holds goes to the
 * call's site.  Whatever the call did or failed to do, the range then
 * holds exactly what the kernel has.  anonstat_seed() does the same over a
 * whole address space, for the sites of an image anonstat did not see
 * being made.
 *
 * Locking: the caller holds the mm's mmap lock (at least for reading) and
 * proc->lock.  The work is bounded by the VMAs and regions in the range.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <uapi/linux/magic.h>

#include "anonstat.h"

/*
 * Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS, or a shared mapping
 * of /dev/zero) is a tmpfs file named "dev/zero" (shmem_zero_setup());
 * MAP_HUGETLB | MAP_ANONYMOUS a hugetlbfs file named "anon_hugepage"
 * (HUGETLB_ANON_FILE).  Both are made by alloc_file_pseudo(): a dentry in
 * no directory, its own parent, which no path reaches (a file of that name
 * in a mounted tmpfs or hugetlbfs has a parent); memfds are pseudo files
 * too, named "memfd:NAME".
 */
static bool internal_file_named(struct file *file, const char *name)
{
	struct dentry *dentry = file->f_path.dentry;

	return IS_ROOT(dentry) && !strcmp(dentry->d_name.name, name);
}

/*
 * The kind of the regions an anonymous VMA holds, or -1 when it is not
 * anonymous (file-backed, special, or the main thread's stack).
 */
int anonstat_vma_kind(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	/* as /proc/PID/maps names [stack] and [heap] */
	if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
		return -1;
	if (vma_is_anonymous(vma))
		return vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk ?
		       ANONSTAT_KIND_BRK : ANONSTAT_KIND_PRIVATE;
	if (!file)
		return -1;
	if (is_vm_hugetlb_page(vma))
		return internal_file_named(file, "anon_hugepage") ?
		       ANONSTAT_KIND_HUGE : -1;
	if ((vma->vm_flags & VM_SHARED) &&
	    file_inode(file)->i_sb->s_magic == TMPFS_MAGIC &&
	    internal_file_named(file, "dev/zero"))
		return ANONSTAT_KIND_SHARED;
	return -1;
}

/* Do anonymous VMAs cover all of [start, end)? */
bool anonstat_range_is_anon(struct mm_struct *mm, unsigned long start,
			    unsigned long end)
{
	while (start < end) {
		struct vm_area_struct *vma = find_vma(mm, start);

		if (!vma || vma->vm_start > start || anonstat_vma_kind(mm, vma) < 0)
			return false;
		start = vma->vm_end;
	}
	return true;
}

/*
 * The site that new regions of @kind made by this accounting go to: the
 * call's (its call stack was taken before proc->lock, by track.c), or the
 * kernel's for a seeding.  NULL, counted as a drop, at the sites cap.
 */
struct anonstat_site *anonstat_acct_site(struct anonstat_acct *a,
					 unsigned int kind)
{
	if (a->fill_site)
		return a->fill_site;
	if (a->origin != ANONSTAT_ORIGIN_CALL)
		return anonstat_site_get(a->proc, kind, a->origin, NULL, 0);
	/* a call track.c did not expect to make regions: its frame 0 only */
	if (!a->have_cs) {
		anonstat_callsite_ip(&a->cs);
		a->have_cs = true;
	}
	return anonstat_site_get(a->proc, kind, ANONSTAT_ORIGIN_CALL,
				 a->cs.frames, a->cs.depth);
}

/* Release whatever regions hold in [start, end), for this call's thread. */
void anonstat_release_range(struct anonstat_acct *a, unsigned long start,
			    unsigned long end)
{
	struct anonstat_pieces pieces;

	if (start >= end)
		return;
	anonstat_pieces_init(&pieces);
	anonstat_regions_detach(a->proc, start, end, &pieces);
	anonstat_release_pieces(a, &pieces);
}

/* A new region [start, end) of @site, made by this accounting. */
void anonstat_new_region(struct anonstat_acct *a, struct anonstat_site *site,
			 unsigned long start, unsigned long end)
{
	struct anonstat_region *r = anonstat_region_get(a->proc);

	if (!r)
		return;
	r->start = start;
	r->end = end;
	r->site = site;
	anonstat_insert_region(a->proc, r);
	anonstat_account_map(a, site, end - start);
}

/* A new region [start, end) of @kind for this accounting's site. */
static void fill_range(struct anonstat_acct *a, unsigned long start,
		       unsigned long end, unsigned int kind)
{
	struct anonstat_site *site = anonstat_acct_site(a, kind);

	if (site)
		anonstat_new_region(a, site, start, end);
}

/* Give the parts of [start, end) that no region holds to new regions. */
static void fill_holes(struct anonstat_acct *a, unsigned long start,
		       unsigned long end, unsigned int kind)
{
	struct anonstat_region *r = anonstat_region_first(a->proc, start);

	while (start < end) {
		unsigned long hole_end = r && r->start < end ? r->start : end;

		if (hole_end > start)
			fill_range(a, start, hole_end, kind);
		if (!r || r->start >= end)
			break;
		start = r->end;
		r = anonstat_region_next(r);
	}
}

/*
 * Make the regions of [start, end) equal to the anonymous VMAs there:
 * release what no anonymous VMA covers, and with @fill (and when the
 * filters want this process's new regions) give what they cover and no
 * region holds to this accounting's site.
 */
void anonstat_reconcile(struct anonstat_acct *a, unsigned long start,
			unsigned long end, bool fill)
{
	unsigned long addr = start;

	fill = fill && a->want_new;
	while (addr < end) {
		struct vm_area_struct *vma = find_vma(a->mm, addr);
		unsigned long seg_start, seg_end;
		int kind;

		seg_start = vma ? clamp(vma->vm_start, addr, end) : end;
		anonstat_release_range(a, addr, seg_start);
		if (seg_start >= end)
			break;
		seg_end = min(vma->vm_end, end);
		kind = anonstat_vma_kind(a->mm, vma);
		if (kind < 0)
			anonstat_release_range(a, seg_start, seg_end);
		else if (fill)
			fill_holes(a, seg_start, seg_end, kind);
		addr = seg_end;
	}
}

/*
 * Read the whole VMA tree of a->mm into regions of the kernel's sites of
 * @origin (exec or preexisting), all but [skip_start, skip_end), which the
 * call being accounted has just made and accounts itself.  Seeded regions
 * are live, but no maps of the process.
 */
void anonstat_seed(struct anonstat_acct *a, unsigned int origin,
		   unsigned long skip_start, unsigned long skip_end)
{
	struct anonstat_acct seed = *a;

	seed.thread = NULL;
	seed.origin = origin;
	seed.want_new = true;
	seed.fill_site = NULL;
	if (skip_start < skip_end) {
		anonstat_reconcile(&seed, 0, skip_start, true);
		anonstat_reconcile(&seed, skip_end, TASK_SIZE_MAX, true);
	} else {
		anonstat_reconcile(&seed, 0, TASK_SIZE_MAX, true);
	}
	a->changed |= seed.changed;
	a->proc->seeded = true;
}
