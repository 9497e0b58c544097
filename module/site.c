// SPDX-License-Identifier: GPL-2.0
/*
 * site.c - the call-site table of one process.
 *
 * Owns struct anonstat_site: one per (process, kind, user call stack).  A
 * process keeps its sites in a chained hash table (for lookup on every new
 * region) and in a list in id order (for readers).  The hash table starts
 * small and grows by rehashing when it gets crowded; if a bigger table
 * cannot be had without sleeping, the old one keeps serving.
 *
 * Locking: every function here expects proc->lock held.  Site ids come from
 * one atomic counter and are unique until the module is unloaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "anonstat.h"

#define SITE_HASH_MIN_BITS	4
#define SITE_HASH_MAX_BITS	14

/*
 * 64 bits: a 32-bit counter wraps after 2^32 sites made (over processes
 * that come and go, with the live count far below the cap), and readers
 * resume by id, in id order.
 */
static atomic64_t anonstat_next_site_id = ATOMIC64_INIT(0);

static struct hlist_head *site_hash_alloc(unsigned int bits)
{
	struct hlist_head *h;

	h = kmalloc_array(1U << bits, sizeof(*h), ANONSTAT_GFP);
	if (h) {
		unsigned int i;

		for (i = 0; i < (1U << bits); i++)
			INIT_HLIST_HEAD(&h[i]);
		atomic_long_add(sizeof(*h) << bits, &anonstat_memory);
	}
	return h;
}

static void site_hash_free(struct hlist_head *h, unsigned int bits)
{
	if (!h)
		return;
	atomic_long_sub(sizeof(*h) << bits, &anonstat_memory);
	kfree(h);
}

int anonstat_sites_init(struct anonstat_proc *proc)
{
	INIT_LIST_HEAD(&proc->sites);
	proc->site_hash = site_hash_alloc(SITE_HASH_MIN_BITS);
	proc->site_hash_bits = SITE_HASH_MIN_BITS;
	return proc->site_hash ? 0 : -ENOMEM;
}

static void site_hash_grow(struct anonstat_proc *proc)
{
	unsigned int bits = proc->site_hash_bits + 2;
	struct anonstat_site *site;
	struct hlist_head *h;

	if (bits > SITE_HASH_MAX_BITS)
		return;
	h = site_hash_alloc(bits);
	if (!h)
		return;
	/* the sites an exec retired are listed, but stay out of the table */
	list_for_each_entry(site, &proc->sites, proc_node)
		if (!hlist_unhashed(&site->hash_node))
			hlist_add_head(&site->hash_node,
				       &h[hash_32(site->hash, bits)]);
	site_hash_free(proc->site_hash, proc->site_hash_bits);
	proc->site_hash = h;
	proc->site_hash_bits = bits;
}

static size_t site_size(unsigned int depth)
{
	return struct_size((struct anonstat_site *)NULL, frames, depth);
}

/*
 * The hash of a call stack: multiply-xor over the frames, one
 * multiplication per frame (jhash2 costs several times that at depth 4).
 * Multiplying by an odd 64-bit constant (2^64 / golden ratio) carries every
 * bit of a frame into the upper half, which is what is kept, so frames
 * that differ in their low bits only (call sites in the same function)
 * spread as well as any.  The table is per process: no seed is needed
 * against other users' collisions.
 */
static u32 site_hash(unsigned int kind, const unsigned long *frames,
		     unsigned int depth)
{
	u64 h = kind;
	unsigned int i;

	for (i = 0; i < depth; i++)
		h = (h ^ frames[i]) * 0x9e3779b97f4a7c15ULL;
	return h >> 32;
}

/* The same frames?  (inline: a memcmp() call costs more at these sizes) */
static bool frames_equal(const unsigned long *a, const unsigned long *b,
			 unsigned int depth)
{
	unsigned int i;

	for (i = 0; i < depth; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/*
 * The site of @proc for this kind and call stack; created when new.
 * Returns NULL (counted as a drop) at the sites cap or without memory.
 */
struct anonstat_site *anonstat_site_get(struct anonstat_proc *proc,
					unsigned int kind, unsigned int origin,
					const unsigned long *frames,
					unsigned int depth)
{
	u32 hash = site_hash(kind, frames, depth) ^ origin;
	struct hlist_head *bucket;
	struct anonstat_site *site;

	bucket = &proc->site_hash[hash_32(hash, proc->site_hash_bits)];
	hlist_for_each_entry(site, bucket, hash_node) {
		if (site->hash == hash && site->kind == kind &&
		    site->origin == origin && site->depth == depth &&
		    frames_equal(site->frames, frames, depth))
			return site;
	}

	if (atomic_inc_return(&anonstat_nr_sites) > READ_ONCE(anonstat_max_sites)) {
		atomic_dec(&anonstat_nr_sites);
		anonstat_drop(ANONSTAT_DROP_SITES_CAP, 1);
		return NULL;
	}
	site = kzalloc(site_size(depth), ANONSTAT_GFP);
	if (!site) {
		atomic_dec(&anonstat_nr_sites);
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		return NULL;
	}
	atomic_long_add(site_size(depth), &anonstat_memory);
	site->id = atomic64_inc_return(&anonstat_next_site_id);
	site->hash = hash;
	site->kind = kind;
	site->origin = origin;
	site->depth = depth;
	memcpy(site->frames, frames, depth * sizeof(*frames));
	hlist_add_head(&site->hash_node, bucket);
	list_add_tail(&site->proc_node, &proc->sites);
	proc->nr_sites++;
	if (proc->nr_sites > (2U << proc->site_hash_bits))
		site_hash_grow(proc);
	return site;
}

/*
 * After exec: the sites stay listed with their counts, but new regions get
 * new sites, since the same addresses now belong to another image.  A
 * retired site is one whose hash_node is unhashed; site_hash_grow() leaves
 * those out.
 */
void anonstat_sites_retire(struct anonstat_proc *proc)
{
	struct anonstat_site *site;

	list_for_each_entry(site, &proc->sites, proc_node)
		hlist_del_init(&site->hash_node);
}

void anonstat_sites_free_all(struct anonstat_proc *proc)
{
	struct anonstat_site *site, *tmp;

	list_for_each_entry_safe(site, tmp, &proc->sites, proc_node) {
		atomic_long_sub(site_size(site->depth), &anonstat_memory);
		atomic_dec(&anonstat_nr_sites);
		kfree(site);
	}
	INIT_LIST_HEAD(&proc->sites);
	proc->nr_sites = 0;
	site_hash_free(proc->site_hash, proc->site_hash_bits);
	proc->site_hash = NULL;
}
