// SPDX-License-Identifier: GPL-2.0
/*
 * region.c - the tree of live regions of one process.
 *
 * Owns struct anonstat_region and the per-process rbtree that holds them,
 * keyed by start address.  Regions never overlap: a range is taken out with
 * anonstat_regions_detach(), which splits regions at the range's ends, and
 * a new region is only inserted where nothing is (anonstat_region_insert()
 * reports what overlaps, so the caller can deal with stale entries).
 *
 * Locking: every function that takes a proc expects proc->lock held.
 * Region objects come from one kmem_cache; allocation uses ANONSTAT_GFP,
 * stays within max_regions (split pieces included, so the number of regions
 * in use never exceeds the cap) and is counted in anonstat_nr_regions and
 * anonstat_memory.  A process keeps up to ANONSTAT_PROC_FREE_REGIONS freed
 * objects for its next regions (anonstat_region_get()/_put()), so that a
 * map/unmap pair makes no slab call; they stay in anonstat_memory (the
 * module holds them) but not in anonstat_nr_regions, and are freed when the
 * process's address space goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/string.h>

#include "anonstat.h"

static struct kmem_cache *anonstat_region_cache;
static unsigned int anonstat_region_size;	/* kmem_cache_size() of it */

int anonstat_region_cache_init(void)
{
	anonstat_region_cache = KMEM_CACHE(anonstat_region, 0);
	if (!anonstat_region_cache)
		return -ENOMEM;
	anonstat_region_size = kmem_cache_size(anonstat_region_cache);
	return 0;
}

void anonstat_region_cache_exit(void)
{
	kmem_cache_destroy(anonstat_region_cache);
}

/* Count one more region in use; false (counted as a drop) at the cap. */
static bool region_reserve(void)
{
	if (atomic_inc_return(&anonstat_nr_regions) <= READ_ONCE(anonstat_max_regions))
		return true;
	atomic_dec(&anonstat_nr_regions);
	anonstat_drop(ANONSTAT_DROP_REGIONS_CAP, 1);
	return false;
}

/* A zeroed region object, within the max_regions cap; NULL (counted) otherwise. */
struct anonstat_region *anonstat_region_alloc(void)
{
	struct anonstat_region *r;

	if (!region_reserve())
		return NULL;
	r = kmem_cache_zalloc(anonstat_region_cache, ANONSTAT_GFP);
	if (!r) {
		atomic_dec(&anonstat_nr_regions);
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		return NULL;
	}
	atomic_long_add(anonstat_region_size, &anonstat_memory);
	return r;
}

void anonstat_region_free(struct anonstat_region *r)
{
	atomic_dec(&anonstat_nr_regions);
	atomic_long_sub(anonstat_region_size, &anonstat_memory);
	kmem_cache_free(anonstat_region_cache, r);
}

/* As anonstat_region_alloc(), but from @proc's free objects if it has one. */
struct anonstat_region *anonstat_region_get(struct anonstat_proc *proc)
{
	struct anonstat_region *r = proc->free_regions;

	if (!r)
		return anonstat_region_alloc();
	if (!region_reserve())
		return NULL;
	proc->free_regions = r->next;
	proc->nr_free_regions--;
	memset(r, 0, sizeof(*r));
	return r;
}

/* Free @r, keeping it for @proc's next region while there is room. */
void anonstat_region_put(struct anonstat_proc *proc, struct anonstat_region *r)
{
	if (proc->dead || proc->nr_free_regions >= ANONSTAT_PROC_FREE_REGIONS) {
		anonstat_region_free(r);
		return;
	}
	atomic_dec(&anonstat_nr_regions);
	r->next = proc->free_regions;
	proc->free_regions = r;
	proc->nr_free_regions++;
}

/* Give @proc's free objects back to the slab. */
void anonstat_regions_free_cache(struct anonstat_proc *proc)
{
	struct anonstat_region *r, *next;

	for (r = proc->free_regions; r; r = next) {
		next = r->next;
		atomic_long_sub(anonstat_region_size, &anonstat_memory);
		kmem_cache_free(anonstat_region_cache, r);
	}
	proc->free_regions = NULL;
	proc->nr_free_regions = 0;
}

/* The first region that ends after @addr, or NULL. */
struct anonstat_region *anonstat_region_first(struct anonstat_proc *proc,
					      unsigned long addr)
{
	struct rb_node *n = proc->regions.rb_node;
	struct anonstat_region *found = NULL;

	while (n) {
		struct anonstat_region *r = rb_entry(n, struct anonstat_region, node);

		if (r->end > addr) {
			found = r;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

struct anonstat_region *anonstat_region_next(struct anonstat_region *r)
{
	struct rb_node *n = rb_next(&r->node);

	return n ? rb_entry(n, struct anonstat_region, node) : NULL;
}

/*
 * Link @r into the tree.  Returns NULL, or the first region overlapping @r,
 * in which case nothing was inserted.
 */
struct anonstat_region *anonstat_region_insert(struct anonstat_proc *proc,
					       struct anonstat_region *r)
{
	struct rb_node **link = &proc->regions.rb_node, *parent = NULL;

	while (*link) {
		struct anonstat_region *cur;

		parent = *link;
		cur = rb_entry(parent, struct anonstat_region, node);
		if (r->end <= cur->start)
			link = &parent->rb_left;
		else if (r->start >= cur->end)
			link = &parent->rb_right;
		else
			return anonstat_region_first(proc, r->start);
	}
	rb_link_node(&r->node, parent, link);
	rb_insert_color(&r->node, &proc->regions);
	return NULL;
}

void anonstat_pieces_init(struct anonstat_pieces *p)
{
	p->first = NULL;
	p->tail = &p->first;
}

void anonstat_pieces_add(struct anonstat_pieces *p, struct anonstat_region *r)
{
	r->next = NULL;
	*p->tail = r;
	p->tail = &r->next;
}

void anonstat_pieces_put(struct anonstat_proc *proc, struct anonstat_pieces *p)
{
	struct anonstat_region *r, *next;

	for (r = p->first; r; r = next) {
		next = r->next;
		anonstat_region_put(proc, r);
	}
	anonstat_pieces_init(p);
}

/* A copy of @r limited to [start, end), or NULL when out of memory. */
static struct anonstat_region *region_cut(struct anonstat_proc *proc,
					  struct anonstat_region *r,
					  unsigned long start, unsigned long end)
{
	struct anonstat_region *piece = anonstat_region_get(proc);

	if (!piece)
		return NULL;
	piece->start = start;
	piece->end = end;
	piece->site = r->site;
	piece->flags = r->flags & ANONSTAT_REGION_INHERITED;
	return piece;
}

/*
 * Take [start, end) out of @proc's regions and append what was there to
 * @pieces, in address order: whole regions as they are, parts of regions
 * that straddle an end as new objects (the region in the tree keeps the
 * rest, and the piece is marked CUT_LEFT/CUT_RIGHT).
 *
 * Bytes that cannot be cut out because an allocation failed end up neither
 * in the tree nor in @pieces; anonstat_account_lost() takes them off their
 * site's live count.
 */
void anonstat_regions_detach(struct anonstat_proc *proc, unsigned long start,
			     unsigned long end, struct anonstat_pieces *pieces)
{
	struct anonstat_region *r = anonstat_region_first(proc, start), *next;

	if (start >= end)
		return;
	for (; r && r->start < end; r = next) {
		unsigned long cut_start = max(r->start, start);
		unsigned long cut_end = min(r->end, end);
		struct anonstat_region *piece;

		/* regions are disjoint: none after one that reaches @end matters */
		next = r->end < end ? anonstat_region_next(r) : NULL;
		if (r->start >= start && r->end <= end) {
			/* the whole region */
			rb_erase(&r->node, &proc->regions);
			anonstat_pieces_add(pieces, r);
			continue;
		}
		piece = region_cut(proc, r, cut_start, cut_end);
		if (r->start < start && r->end > end) {
			/* the middle: the tree keeps the left part, a new
			 * region takes the right part
			 */
			struct anonstat_region *right;

			right = region_cut(proc, r, end, r->end);
			if (right) {
				r->end = start;
				anonstat_region_insert(proc, right);
				r->site->counts.live_regions++;
				proc->counts.live_regions++;
			} else {
				anonstat_account_lost(proc, r->site, r->end - end);
				r->end = start;
			}
			if (piece)
				piece->flags |= ANONSTAT_REGION_CUT_LEFT |
						ANONSTAT_REGION_CUT_RIGHT;
		} else if (r->start < start) {
			r->end = start;
			if (piece)
				piece->flags |= ANONSTAT_REGION_CUT_LEFT;
		} else {
			/* the start key grows, the order stays */
			r->start = end;
			if (piece)
				piece->flags |= ANONSTAT_REGION_CUT_RIGHT;
		}
		if (piece)
			anonstat_pieces_add(pieces, piece);
		else
			anonstat_account_lost(proc, r->site, cut_end - cut_start);
	}
}

void anonstat_regions_free_all(struct anonstat_proc *proc)
{
	struct anonstat_region *r, *tmp;

	rbtree_postorder_for_each_entry_safe(r, tmp, &proc->regions, node)
		anonstat_region_free(r);
	proc->regions = RB_ROOT;
	anonstat_regions_free_cache(proc);
}
