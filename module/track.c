// SPDX-License-Identifier: GPL-2.0
/*
 * track.c - the accounting rules: what each mm event does to the tables.
 *
 * Owns the global counters (untracked bytes, drops, memory, object counts)
 * and the translation of system calls into region operations:
 *
 *   mmap        new region at return; MAP_FIXED releases what it covers
 *   munmap      release at entry
 *   mremap      cut the source (and a MREMAP_FIXED target) out at entry,
 *               put it back moved/shrunk/grown at return, or as it was if
 *               the call failed
 *   brk         release at entry when shrinking, new region at return
 *   exit_mmap   release everything (exit or exec)
 *   fork        copy the parent's regions that the child really has
 *
 * Ranges leave the tables at syscall entry and enter at return: thread A's
 * munmap of X can let thread B's mmap get X, and B's return handler may run
 * before A's; taking X out at A's entry keeps B's new region safe.
 *
 * Locking: see anonstat.h.  Release paths check the mm (for untracked
 * bytes) only after dropping proc->lock.  An mremap in flight keeps its
 * cut-out pieces in a struct anonstat_inflight on anonstat_inflight_list
 * (anonstat_inflight_lock, a leaf lock), so unload can free them even when
 * the call never comes back to us.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "anonstat.h"

atomic64_t anonstat_untracked[ANONSTAT_NR_UNTRACKED];
atomic64_t anonstat_drops[ANONSTAT_NR_DROPS];
/* system calls counted on a process's other_threads record */
atomic64_t anonstat_threads_other;
atomic_long_t anonstat_memory = ATOMIC_LONG_INIT(0);
atomic_t anonstat_nr_regions = ATOMIC_INIT(0);
atomic_t anonstat_nr_sites = ATOMIC_INIT(0);
atomic_t anonstat_nr_threads = ATOMIC_INIT(0);

static const char *const untracked_names[ANONSTAT_NR_UNTRACKED] = {
	[ANONSTAT_UNTRACKED_MUNMAP] = "munmap",
	[ANONSTAT_UNTRACKED_MMAP_FIXED] = "mmap_fixed",
	[ANONSTAT_UNTRACKED_MREMAP] = "mremap",
	[ANONSTAT_UNTRACKED_BRK] = "brk",
	[ANONSTAT_UNTRACKED_UNCLASSIFIED] = "unclassified",
};

static const char *const drop_names[ANONSTAT_NR_DROPS] = {
	[ANONSTAT_DROP_REGIONS_CAP] = "regions_cap",
	[ANONSTAT_DROP_SITES_CAP] = "sites_cap",
	[ANONSTAT_DROP_NOMEM] = "nomem",
	[ANONSTAT_DROP_STALE] = "stale",
};

static const char *const kind_names[ANONSTAT_NR_KINDS] = {
	[ANONSTAT_KIND_PRIVATE] = "private",
	[ANONSTAT_KIND_SHARED] = "shared",
	[ANONSTAT_KIND_HUGE] = "huge",
	[ANONSTAT_KIND_BRK] = "brk",
};

const char *anonstat_kind_name(unsigned int kind)
{
	return kind < ANONSTAT_NR_KINDS ? kind_names[kind] : "?";
}

void anonstat_counters_reset(void)
{
	int i;

	for (i = 0; i < ANONSTAT_NR_UNTRACKED; i++)
		atomic64_set(&anonstat_untracked[i], 0);
	for (i = 0; i < ANONSTAT_NR_DROPS; i++)
		atomic64_set(&anonstat_drops[i], 0);
	atomic64_set(&anonstat_threads_other, 0);
}

void anonstat_counters_show(struct seq_file *m)
{
	int i;

	for (i = 0; i < ANONSTAT_NR_UNTRACKED; i++)
		seq_printf(m, "untracked %s %lld\n", untracked_names[i],
			   (long long)atomic64_read(&anonstat_untracked[i]));
	for (i = 0; i < ANONSTAT_NR_DROPS; i++)
		seq_printf(m, "drop %s %lld\n", drop_names[i],
			   (long long)atomic64_read(&anonstat_drops[i]));
	seq_printf(m, "threads_other %lld\n",
		   (long long)atomic64_read(&anonstat_threads_other));
}

/* An mremap call's pieces while the call is in the kernel. */
struct anonstat_inflight {
	struct list_head node;		/* anonstat_inflight_list */
	u64 proc_uid;
	struct anonstat_pieces source;
	struct anonstat_pieces target;
};

static DEFINE_SPINLOCK(anonstat_inflight_lock);
static LIST_HEAD(anonstat_inflight_list);

/*
 * The holes of one release (ranges that held no region), to be checked
 * against the VMAs: up to MAX_GAPS ranges.  A release with more holes has
 * its last range widened over the rest of them (anonstat_regions_detach()),
 * and @covered is what the regions inside it held: the untracked bytes are
 * then the anonymous bytes of the ranges minus @covered.
 */
#define MAX_GAPS 8

struct release_gaps {
	unsigned long range[2 * MAX_GAPS];
	unsigned int nr;		/* ranges in range[] */
	unsigned long covered;		/* region bytes inside them */
};

/* ---- counters of sites and processes (caller holds proc->lock) ---- */

static void counts_peak(struct anonstat_counts *c)
{
	if (c->live_bytes > c->peak_bytes)
		c->peak_bytes = c->live_bytes;
}

static void account_map(struct anonstat_proc *proc, struct anonstat_site *site,
			struct anonstat_thread *t, u64 bytes, u64 now)
{
	struct anonstat_counts *c[2] = { &site->counts, &proc->counts };
	int i;

	for (i = 0; i < 2; i++) {
		c[i]->maps++;
		c[i]->bytes_mapped += bytes;
		c[i]->live_regions++;
		c[i]->live_bytes += bytes;
		anonstat_counts_time(c[i], now);
		counts_peak(c[i]);
	}
	if (t) {
		t->maps++;
		t->bytes_mapped += bytes;
	}
}

/* Bytes added to an existing region (mremap growth). */
static void account_grow(struct anonstat_proc *proc, struct anonstat_site *site,
			 u64 bytes, u64 now)
{
	struct anonstat_counts *c[2] = { &site->counts, &proc->counts };
	int i;

	for (i = 0; i < 2; i++) {
		c[i]->bytes_mapped += bytes;
		c[i]->live_bytes += bytes;
		anonstat_counts_time(c[i], now);
		counts_peak(c[i]);
	}
}

/* A region that came over at fork: live, but not a map of this process. */
static void account_inherit(struct anonstat_proc *proc,
			    struct anonstat_site *site, u64 bytes, u64 now)
{
	struct anonstat_counts *c[2] = { &site->counts, &proc->counts };
	int i;

	for (i = 0; i < 2; i++) {
		c[i]->live_regions++;
		c[i]->live_bytes += bytes;
		anonstat_counts_time(c[i], now);
		counts_peak(c[i]);
	}
}

static void region_count(struct anonstat_proc *proc, struct anonstat_site *site,
			 int delta)
{
	site->counts.live_regions += delta;
	proc->counts.live_regions += delta;
}

/*
 * Release @bytes of @site.  @whole: a whole region went away (not a piece
 * cut from one that stays).
 */
static void account_release(struct anonstat_proc *proc,
			    struct anonstat_site *site,
			    struct anonstat_thread *t, u64 bytes, bool whole,
			    u64 now)
{
	struct anonstat_counts *c[2] = { &site->counts, &proc->counts };
	int i;

	for (i = 0; i < 2; i++) {
		c[i]->unmaps++;
		c[i]->bytes_unmapped += bytes;
		c[i]->live_bytes -= bytes;
		anonstat_counts_time(c[i], now);
		if (whole)
			c[i]->live_regions--;
	}
	if (t) {
		t->unmaps++;
		t->bytes_unmapped += bytes;
	}
}

/*
 * Bytes that stay mapped but that no region holds any more (a split that
 * could not be represented, or a stale region): off the live counts.  The
 * drop was counted where it happened.
 */
void anonstat_account_lost(struct anonstat_proc *proc,
			   struct anonstat_site *site, unsigned long bytes)
{
	site->counts.live_bytes -= bytes;
	proc->counts.live_bytes -= bytes;
}

static bool piece_is_whole(const struct anonstat_region *r)
{
	return !(r->flags & (ANONSTAT_REGION_CUT_LEFT | ANONSTAT_REGION_CUT_RIGHT));
}

/* Account every piece as released by this call, and free them. */
static void release_pieces(struct anonstat_proc *proc,
			   struct anonstat_thread *t,
			   struct anonstat_pieces *pieces, u64 now)
{
	struct anonstat_region *r;

	for (r = pieces->first; r; r = r->next)
		account_release(proc, r->site, t, r->end - r->start,
				piece_is_whole(r), now);
	anonstat_pieces_put(proc, pieces);
}

/*
 * Take whatever overlaps [start, end) out of the tree as stale: released by
 * a path anonstat does not follow.  Caller holds proc->lock.
 */
static void drop_stale(struct anonstat_proc *proc, unsigned long start,
		       unsigned long end)
{
	struct anonstat_pieces pieces;
	struct anonstat_region *r;
	unsigned long gaps[2];
	unsigned int nr_gaps;

	anonstat_pieces_init(&pieces);
	anonstat_regions_detach(proc, start, end, &pieces, gaps, 0, &nr_gaps);
	for (r = pieces.first; r; r = r->next) {
		anonstat_account_lost(proc, r->site, r->end - r->start);
		if (piece_is_whole(r))
			region_count(proc, r->site, -1);
		anonstat_drop(ANONSTAT_DROP_STALE, 1);
	}
	anonstat_pieces_put(proc, &pieces);
}

/* Link @r, first dropping anything stale in its way. */
static void insert_region(struct anonstat_proc *proc, struct anonstat_region *r)
{
	if (anonstat_region_insert(proc, r)) {
		drop_stale(proc, r->start, r->end);
		anonstat_region_insert(proc, r);
	}
}

/* ---- untracked bytes ---- */

/* The bytes of the pieces of @p inside [start, end). */
static unsigned long pieces_bytes_in(const struct anonstat_pieces *p,
				     unsigned long start, unsigned long end)
{
	const struct anonstat_region *r;
	unsigned long bytes = 0;

	for (r = p->first; r; r = r->next) {
		unsigned long s = max(r->start, start), e = min(r->end, end);

		if (s < e)
			bytes += e - s;
	}
	return bytes;
}

/*
 * @g after anonstat_regions_detach() found @nr_holes holes and cut out
 * @pieces; nothing is left to check when it had nowhere to put them.
 */
static void gaps_set(struct release_gaps *g, unsigned int nr_holes,
		     const struct anonstat_pieces *pieces)
{
	unsigned long *last = &g->range[2 * (MAX_GAPS - 1)];

	g->nr = min_t(unsigned int, nr_holes, MAX_GAPS);
	g->covered = 0;
	if (nr_holes > MAX_GAPS)
		g->covered = pieces_bytes_in(pieces, last[0], last[1]);
}

/*
 * A shared anonymous mapping (mmap MAP_SHARED | MAP_ANONYMOUS, or of
 * /dev/zero): shmem_zero_setup() backs it with an unlinked tmpfs file named
 * "dev/zero", so vma_is_anonymous() is false for it; vma_is_anon_shmem()
 * says the same but is not exported.  memfd files are named "memfd:...".
 */
static bool vma_is_shared_anon(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	return file && (vma->vm_flags & VM_SHARED) &&
	       file_inode(file)->i_sb->s_magic == TMPFS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "dev/zero");
}

static unsigned long anon_bytes(struct mm_struct *mm, unsigned long start,
				unsigned long end)
{
	struct vm_area_struct *vma;
	unsigned long bytes = 0;

	while (start < end) {
		vma = find_vma(mm, start);
		if (!vma || vma->vm_start >= end)
			break;
		if (vma_is_anonymous(vma) || vma_is_shared_anon(vma))
			bytes += min(end, vma->vm_end) - max(start, vma->vm_start);
		start = vma->vm_end;
	}
	return bytes;
}

/*
 * The anonymous bytes (private and shared) of the holes in @gaps (ranges
 * that held no region).  Bytes that cannot be checked (the mm lock is busy) go to
 * *@unclassified.  Holds no anonstat lock and never waits for the mm.  Only
 * processes the filters follow are counted.
 */
static unsigned long untracked_bytes(const struct release_gaps *gaps,
				     unsigned long *unclassified)
{
	struct mm_struct *mm = current->mm;
	unsigned long bytes = 0;
	unsigned int i;

	if (!gaps->nr || !mm || !anonstat_filter_wants(current))
		return 0;
	if (!mmap_read_trylock(mm)) {
		for (i = 0; i < gaps->nr; i++)
			bytes += gaps->range[2 * i + 1] - gaps->range[2 * i];
		*unclassified += bytes - min(bytes, gaps->covered);
		return 0;
	}
	for (i = 0; i < gaps->nr; i++)
		bytes += anon_bytes(mm, gaps->range[2 * i], gaps->range[2 * i + 1]);
	mmap_read_unlock(mm);
	/* the regions in a widened range were anonymous: what is left are holes */
	return bytes - min(bytes, gaps->covered);
}

static void add_untracked(enum anonstat_untracked_reason why,
			  unsigned long bytes, unsigned long unclassified)
{
	if (bytes)
		atomic64_add(bytes, &anonstat_untracked[why]);
	if (unclassified)
		atomic64_add(unclassified,
			     &anonstat_untracked[ANONSTAT_UNTRACKED_UNCLASSIFIED]);
}

static void account_untracked(const struct release_gaps *gaps,
			      enum anonstat_untracked_reason why)
{
	unsigned long unclassified = 0, bytes;

	bytes = untracked_bytes(gaps, &unclassified);
	add_untracked(why, bytes, unclassified);
}

/* ---- events ---- */

/* A new anonymous range [start, start + len) made by current. */
void anonstat_track_map(unsigned long start, unsigned long len,
			unsigned int kind, const struct anonstat_callsite *cs)
{
	struct anonstat_region *r;
	struct anonstat_proc *proc;
	struct anonstat_site *site;
	u64 now = anonstat_now();

	rcu_read_lock_sched();
	proc = anonstat_proc_get_current();
	if (!proc)
		goto out;
	spin_lock(&proc->lock);
	if (proc->dead)
		goto out_unlock;
	r = anonstat_region_get(proc);
	if (!r)
		goto out_unlock;
	site = anonstat_site_get(proc, kind, cs->frames, cs->depth);
	if (!site) {
		anonstat_region_put(proc, r);
		goto out_unlock;
	}
	r->start = start;
	r->end = start + len;
	r->site = site;
	insert_region(proc, r);
	account_map(proc, site, anonstat_thread_get(proc, current), len, now);
	anonstat_proc_touch(proc, now);
out_unlock:
	spin_unlock(&proc->lock);
out:
	rcu_read_unlock_sched();
}

/* current releases [start, start + len): munmap, MAP_FIXED, brk shrink. */
void anonstat_track_release(unsigned long start, unsigned long len,
			    enum anonstat_untracked_reason why)
{
	struct release_gaps gaps;
	struct anonstat_pieces pieces;
	struct anonstat_proc *proc;
	unsigned int nr_gaps = 1;
	u64 now;

	gaps.range[0] = start;
	gaps.range[1] = start + len;
	gaps.nr = 1;
	gaps.covered = 0;
	anonstat_pieces_init(&pieces);

	rcu_read_lock_sched();
	proc = anonstat_proc_lookup(current->mm);
	if (proc) {
		now = anonstat_now();
		spin_lock(&proc->lock);
		if (!proc->dead) {
			anonstat_regions_detach(proc, start, start + len, &pieces,
						gaps.range, MAX_GAPS, &nr_gaps);
			gaps_set(&gaps, nr_gaps, &pieces);
			if (pieces.first) {
				release_pieces(proc, anonstat_thread_get(proc, current),
					       &pieces, now);
				anonstat_proc_touch(proc, now);
			}
		}
		spin_unlock(&proc->lock);
	}
	rcu_read_unlock_sched();
	account_untracked(&gaps, why);
}

/* ---- mremap ---- */

static struct anonstat_inflight *inflight_new(void)
{
	struct anonstat_inflight *in = kzalloc(sizeof(*in), ANONSTAT_GFP);

	if (!in) {
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		return NULL;
	}
	anonstat_pieces_init(&in->source);
	anonstat_pieces_init(&in->target);
	atomic_long_add(sizeof(*in), &anonstat_memory);
	spin_lock(&anonstat_inflight_lock);
	list_add(&in->node, &anonstat_inflight_list);
	spin_unlock(&anonstat_inflight_lock);
	return in;
}

static void inflight_free(struct anonstat_inflight *in)
{
	spin_lock(&anonstat_inflight_lock);
	list_del(&in->node);
	spin_unlock(&anonstat_inflight_lock);
	anonstat_pieces_free(&in->source);
	anonstat_pieces_free(&in->target);
	atomic_long_sub(sizeof(*in), &anonstat_memory);
	kfree(in);
}

/* Unload: the calls still in the kernel will not come back to us. */
void anonstat_track_free_inflight(void)
{
	struct anonstat_inflight *in, *tmp;

	list_for_each_entry_safe(in, tmp, &anonstat_inflight_list, node)
		inflight_free(in);
}

/* Only the holes inside [start, end) of @in, which has @pieces between. */
static void gaps_clip(struct release_gaps *out, const struct release_gaps *in,
		      const struct anonstat_pieces *pieces,
		      unsigned long start, unsigned long end)
{
	unsigned int i, n = 0;

	out->covered = 0;
	for (i = 0; i < in->nr; i++) {
		unsigned long s = max(in->range[2 * i], start);
		unsigned long e = min(in->range[2 * i + 1], end);

		if (s < e) {
			out->range[2 * n] = s;
			out->range[2 * n + 1] = e;
			n++;
			if (in->covered)
				out->covered += pieces_bytes_in(pieces, s, e);
		}
	}
	out->nr = n;
}

/*
 * Entry of mremap(addr, old_len, new_len, flags, new_addr), arguments
 * already checked and page-aligned by the caller.  Returns false when the
 * return needs no work.
 */
bool anonstat_track_mremap_begin(struct anonstat_mremap_call *call)
{
	unsigned long src_end = call->addr + call->old_len;
	struct release_gaps src_gaps, tgt_gaps, tail;
	unsigned int nr_src = 0, nr_tgt = 0;
	struct anonstat_inflight *in = NULL;
	struct anonstat_proc *proc;

	src_gaps.nr = 0;
	src_gaps.covered = 0;
	tgt_gaps.nr = 0;
	tgt_gaps.covered = 0;

	rcu_read_lock();
	proc = anonstat_proc_lookup(current->mm);
	if (!proc && !call->track_new) {
		rcu_read_unlock();
		return false;
	}
	if (proc)
		in = inflight_new();
	if (in) {
		spin_lock(&proc->lock);
		if (!proc->dead) {
			in->proc_uid = proc->uid;
			anonstat_regions_detach(proc, call->addr, src_end,
						&in->source, src_gaps.range,
						MAX_GAPS, &nr_src);
			if (call->flags & MREMAP_FIXED)
				anonstat_regions_detach(proc, call->new_addr,
							call->new_addr + call->new_len,
							&in->target, tgt_gaps.range,
							MAX_GAPS, &nr_tgt);
			gaps_set(&src_gaps, nr_src, &in->source);
			gaps_set(&tgt_gaps, nr_tgt, &in->target);
		}
		spin_unlock(&proc->lock);
	}
	rcu_read_unlock();
	call->inflight = in;

	/*
	 * What a shrink and a MREMAP_FIXED target release without a region,
	 * counted at return if the call succeeds: the VMAs are checked now,
	 * while they are still there.
	 */
	call->untracked = 0;
	call->unclassified = 0;
	if (call->new_len < call->old_len && !(call->flags & MREMAP_DONTUNMAP)) {
		if (!proc) {
			tail.range[0] = call->addr + call->new_len;
			tail.range[1] = src_end;
			tail.nr = 1;
			tail.covered = 0;
		} else {
			gaps_clip(&tail, &src_gaps, in ? &in->source : NULL,
				  call->addr + call->new_len, src_end);
		}
		call->untracked += untracked_bytes(&tail, &call->unclassified);
	}
	if (call->flags & MREMAP_FIXED) {
		if (!proc) {
			tgt_gaps.range[0] = call->new_addr;
			tgt_gaps.range[1] = call->new_addr + call->new_len;
			tgt_gaps.nr = 1;
		}
		call->untracked += untracked_bytes(&tgt_gaps, &call->unclassified);
	}
	return true;
}

/*
 * Put piece @r back at its own place, joined again to the parts of the
 * region it was cut from when they are still there.
 */
static void restore_piece(struct anonstat_proc *proc, struct anonstat_region *r)
{
	struct anonstat_region *left = NULL, *right = NULL;
	bool whole = piece_is_whole(r);

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
		region_count(proc, right->site, -1);
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
			region_count(proc, r->site, 1);
		insert_region(proc, r);
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

/* A new region [start, end) of @site made by this call, counted as a map. */
static void map_copy(struct anonstat_proc *proc, struct anonstat_thread *t,
		     struct anonstat_site *site, unsigned long start,
		     unsigned long end, u64 now)
{
	struct anonstat_region *copy = anonstat_region_alloc();

	if (!copy)
		return;
	copy->start = start;
	copy->end = end;
	copy->site = site;
	insert_region(proc, copy);
	account_map(proc, site, t, end - start, now);
}

/* New regions at @base for copies of the pieces (MREMAP_DONTUNMAP). */
static void copy_pieces(struct anonstat_proc *proc, struct anonstat_thread *t,
			const struct anonstat_pieces *p, unsigned long from,
			unsigned long base, u64 now)
{
	const struct anonstat_region *r;

	for (r = p->first; r; r = r->next)
		map_copy(proc, t, r->site, base + (r->start - from),
			 base + (r->end - from), now);
}

/*
 * Move the source pieces to @base, release what lies past new_len, and
 * grow the region that ended at the old end.  Returns false when the
 * growth has no region to go to.
 */
static bool move_pieces(struct anonstat_proc *proc, struct anonstat_thread *t,
			struct anonstat_mremap_call *call, unsigned long base,
			u64 now)
{
	unsigned long addr = call->addr, new_len = call->new_len;
	unsigned long old_end = addr + call->old_len;
	struct anonstat_site *grow_site = NULL;
	struct anonstat_region *r, *next;
	bool in_place = base == addr;

	for (r = call->inflight->source.first; r; r = next) {
		unsigned long off = r->start - addr;

		next = r->next;
		if (off >= new_len) {
			account_release(proc, r->site, t, r->end - r->start,
					piece_is_whole(r), now);
			anonstat_region_free(r);
			continue;
		}
		if (r->end - addr > new_len) {
			account_release(proc, r->site, t,
					r->end - addr - new_len, false, now);
			r->end = addr + new_len;
		}
		if (r->end == old_end)
			grow_site = r->site;
		r->end = base + (r->end - addr);
		r->start = base + off;
		if (in_place) {
			restore_piece(proc, r);
		} else {
			if (!piece_is_whole(r))
				region_count(proc, r->site, 1);
			r->flags &= ANONSTAT_REGION_INHERITED;
			insert_region(proc, r);
		}
	}
	anonstat_pieces_init(&call->inflight->source);

	if (new_len <= call->old_len)
		return true;
	if (!grow_site)
		return false;
	/* the region now ending at base + old_len takes the growth */
	r = anonstat_region_first(proc, base + call->old_len - 1);
	if (!r || r->end != base + call->old_len || r->site != grow_site)
		return false;
	drop_stale(proc, r->end, base + new_len);
	r->end = base + new_len;
	account_grow(proc, grow_site, new_len - call->old_len, now);
	return true;
}

/*
 * mremap(addr, 0, new_len) of a shared mapping: a second mapping of the
 * region at @addr, made for that region's site.  False when none holds
 * @addr.
 */
static bool dup_region(struct anonstat_proc *proc, struct anonstat_thread *t,
		       struct anonstat_mremap_call *call, unsigned long base,
		       u64 now)
{
	struct anonstat_region *r = anonstat_region_first(proc, call->addr);

	if (!r || r->start > call->addr)
		return false;
	map_copy(proc, t, r->site, base, base + call->new_len, now);
	return true;
}

/* Return of mremap: @ret is the new address or an error. */
void anonstat_track_mremap_end(struct anonstat_mremap_call *call, long ret)
{
	struct anonstat_inflight *in = call->inflight;
	unsigned long base = (unsigned long)ret;
	bool grown = true, failed = IS_ERR_VALUE(base);
	struct anonstat_proc *proc;
	struct anonstat_thread *t;
	u64 now = anonstat_now();

	rcu_read_lock();
	proc = anonstat_proc_lookup(current->mm);
	if (in && proc) {
		spin_lock(&proc->lock);
		if (proc->dead || proc->uid != in->proc_uid) {
			spin_unlock(&proc->lock);
			goto out;
		}
		t = failed ? NULL : anonstat_thread_get(proc, current);
		if (failed) {
			restore_all(proc, &in->source);
			restore_all(proc, &in->target);
		} else if (call->flags & MREMAP_DONTUNMAP) {
			release_pieces(proc, t, &in->target, now);
			copy_pieces(proc, t, &in->source, call->addr, base, now);
			restore_all(proc, &in->source);
		} else if (!call->old_len) {
			release_pieces(proc, t, &in->target, now);
			grown = dup_region(proc, t, call, base, now);
		} else {
			release_pieces(proc, t, &in->target, now);
			grown = move_pieces(proc, t, call, base, now);
		}
		if (!failed)
			anonstat_proc_touch(proc, now);
		spin_unlock(&proc->lock);
	} else if (!failed && call->new_len > call->old_len) {
		grown = false;
	}
out:
	rcu_read_unlock();
	if (in)
		inflight_free(in);
	if (!failed)
		add_untracked(ANONSTAT_UNTRACKED_MREMAP, call->untracked,
			      call->unclassified);
	/*
	 * Growth of a range no region held: a new region of this call site.
	 * The call stack is taken only now that it is needed: until the
	 * system call returns, the user registers saved at its entry and the
	 * user stack are as they were at entry.
	 */
	if (!failed && !grown && call->track_new) {
		anonstat_callsite_capture(&call->cs, READ_ONCE(anonstat_depth));
		anonstat_track_map(base + call->old_len,
				   call->new_len - call->old_len,
				   ANONSTAT_KIND_PRIVATE, &call->cs);
	}
}

/* ---- exit, exec, fork ---- */

void anonstat_track_exit_mmap(struct mm_struct *mm)
{
	anonstat_proc_mm_gone(mm);
}

/* One run [start, end) of parent region @r that the child has. */
static void inherit_run(struct anonstat_proc *child,
			const struct anonstat_region *r,
			struct anonstat_site **site, unsigned long start,
			unsigned long end)
{
	struct anonstat_region *copy;

	if (!*site)
		*site = anonstat_site_get(child, r->site->kind, r->site->frames,
					  r->site->depth);
	if (!*site)
		return;
	copy = anonstat_region_alloc();
	if (!copy)
		return;
	copy->start = start;
	copy->end = end;
	copy->site = *site;
	copy->flags = ANONSTAT_REGION_INHERITED;
	insert_region(child, copy);
	account_inherit(child, *site, end - start, anonstat_now());
}

/*
 * The child's site for the parent's site of the previous region: regions
 * next to each other mostly share a site, and the child's site for a given
 * parent site is always the same one (same kind and frames), so the lookup
 * in the child's table is made once per run of such regions.
 */
struct fork_site_cache {
	const struct anonstat_site *parent;
	struct anonstat_site *child;
};

/*
 * Copy the parts of parent region @r that @child_mm really has (VMAs that
 * fork copied and that are not wiped on fork) into @child.  Caller holds
 * the parent's proc->lock and child_mm's mmap lock; @child is unpublished.
 */
static void inherit_region(struct anonstat_proc *child,
			   struct mm_struct *child_mm,
			   const struct anonstat_region *r,
			   struct fork_site_cache *cache)
{
	unsigned long addr = r->start, run_start = 0, run_end = 0;
	struct anonstat_site *site = NULL;

	if (cache->parent == r->site)
		site = cache->child;

	while (addr < r->end) {
		struct vm_area_struct *vma = find_vma(child_mm, addr);
		unsigned long s, e;

		if (!vma || vma->vm_start >= r->end)
			break;
		s = max(addr, vma->vm_start);
		e = min(r->end, vma->vm_end);
		if (!(vma->vm_flags & VM_WIPEONFORK)) {
			if (run_end && run_end == s) {
				run_end = e;
			} else {
				if (run_end)
					inherit_run(child, r, &site, run_start, run_end);
				run_start = s;
				run_end = e;
			}
		}
		addr = vma->vm_end;
	}
	if (run_end)
		inherit_run(child, r, &site, run_start, run_end);
	if (site) {
		cache->parent = r->site;
		cache->child = site;
	}
}

/* wake_up_new_task(@child): a new process with its own copy of current's mm. */
void anonstat_track_fork(struct task_struct *child)
{
	struct mm_struct *child_mm = child->mm;
	struct fork_site_cache cache = { NULL, NULL };
	struct anonstat_proc *parent, *proc;
	struct anonstat_region *r;

	rcu_read_lock();
	parent = anonstat_proc_lookup(current->mm);
	if (!parent || RB_EMPTY_ROOT(&parent->regions))
		goto out;
	proc = anonstat_proc_new(child, child_mm);
	if (!proc)
		goto out;
	/* nobody else knows the child yet: its mm lock is free */
	if (!mmap_read_trylock(child_mm)) {
		anonstat_proc_discard(proc);
		goto out;
	}
	spin_lock(&parent->lock);
	if (!parent->dead) {
		for (r = anonstat_region_first(parent, 0); r;
		     r = anonstat_region_next(r))
			inherit_region(proc, child_mm, r, &cache);
	}
	spin_unlock(&parent->lock);
	mmap_read_unlock(child_mm);
	anonstat_proc_publish(proc);
out:
	rcu_read_unlock();
}
