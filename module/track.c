// SPDX-License-Identifier: GPL-2.0
/*
 * track.c - the accounting rules: what each mm event does to the tables.
 *
 * Owns the global counters (drops, memory, object counts), the counters
 * of sites and processes, and the rules, applied when a system call is
 * done (call.c), in process context, with the mmap lock held for reading:
 *
 *   mmap        success: what was in [ret, ret + len) is released, the
 *               anonymous VMAs there go to the call's site; failure of a
 *               MAP_FIXED call: the asked range is reconciled
 *   munmap      the range is reconciled: what is no longer mapped is
 *               released, whether the call failed or not
 *   mremap      mremap.c
 *   brk         the range between the old and the new break (and the
 *               asked one) is reconciled; growth goes to the call's site
 *   exit_mmap   release everything (exit or exec), in probe context
 *   fork        copy the parent's regions that the child really has, in
 *               probe context
 *
 * "Reconciled" (reconcile.c) means made equal to the anonymous VMAs the
 * kernel has there, so a call's regions are exact whatever it did: a
 * failing call leaves what the kernel left, a file mapping never becomes
 * a region.  The first call of an image anonstat has not seen made (a
 * process started by exec since load, or one whose records were reset)
 * first seeds the process from its VMA tree (sites of origin exec); at
 * load and at a reset every process is seeded (origin preexisting).
 *
 * Locking: see anonstat.h.  The mmap lock, then RCU and proc->lock, held
 * for the whole accounting of one call.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "anonstat.h"

atomic64_t anonstat_drops[ANONSTAT_NR_DROPS];
/* system calls counted on a process's other_threads record */
atomic64_t anonstat_threads_other;
atomic_long_t anonstat_memory = ATOMIC_LONG_INIT(0);
atomic_t anonstat_nr_regions = ATOMIC_INIT(0);
atomic_t anonstat_nr_sites = ATOMIC_INIT(0);
atomic_t anonstat_nr_threads = ATOMIC_INIT(0);
/*
 * Images first seen now were there before: anonstat_seed_all() is running,
 * or about to (set before the probes are registered at load).
 */
bool anonstat_seeding_all;

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

static const char *const origin_names[ANONSTAT_NR_ORIGINS] = {
	[ANONSTAT_ORIGIN_CALL] = "call",
	[ANONSTAT_ORIGIN_EXEC] = "exec",
	[ANONSTAT_ORIGIN_PREEXISTING] = "preexisting",
};

const char *anonstat_kind_name(unsigned int kind)
{
	return kind < ANONSTAT_NR_KINDS ? kind_names[kind] : "?";
}

const char *anonstat_origin_name(unsigned int origin)
{
	return origin < ANONSTAT_NR_ORIGINS ? origin_names[origin] : "?";
}

void anonstat_counters_reset(void)
{
	int i;

	for (i = 0; i < ANONSTAT_NR_DROPS; i++)
		atomic64_set(&anonstat_drops[i], 0);
	atomic64_set(&anonstat_threads_other, 0);
}

void anonstat_counters_show(struct seq_file *m)
{
	int i;

	for (i = 0; i < ANONSTAT_NR_DROPS; i++)
		seq_printf(m, "drop %s %lld\n", drop_names[i],
			   (long long)atomic64_read(&anonstat_drops[i]));
	seq_printf(m, "threads_other %lld\n",
		   (long long)atomic64_read(&anonstat_threads_other));
	seq_printf(m, "calls_in_flight %d\n", atomic_read(&anonstat_calls_pending));
}

/* ---- counters of sites and processes (caller holds proc->lock) ---- */

static void counts_peak(struct anonstat_counts *c)
{
	if (c->live_bytes > c->peak_bytes)
		c->peak_bytes = c->live_bytes;
}

/*
 * A new region of @bytes for @site: a map of the process when a call made
 * it, only live bytes when it was seeded (the kernel made it) or
 * inherited at fork.
 */
static void account_new(struct anonstat_proc *proc, struct anonstat_site *site,
			struct anonstat_thread *t, u64 bytes, bool map, u64 now)
{
	struct anonstat_counts *c[2] = { &site->counts, &proc->counts };
	int i;

	for (i = 0; i < 2; i++) {
		if (map) {
			c[i]->maps++;
			c[i]->bytes_mapped += bytes;
		}
		c[i]->live_regions++;
		c[i]->live_bytes += bytes;
		anonstat_counts_time(c[i], now);
		counts_peak(c[i]);
	}
	if (t && map) {
		t->maps++;
		t->bytes_mapped += bytes;
	}
}

/* The calling thread's record, for a call (a seeding counts on no thread). */
static struct anonstat_thread *acct_thread(struct anonstat_acct *a)
{
	if (a->origin != ANONSTAT_ORIGIN_CALL)
		return NULL;
	if (!a->thread)
		a->thread = anonstat_thread_get(a->proc, current);
	return a->thread;
}

void anonstat_account_map(struct anonstat_acct *a, struct anonstat_site *site,
			  u64 bytes)
{
	a->changed = true;
	account_new(a->proc, site, acct_thread(a), bytes,
		    a->origin == ANONSTAT_ORIGIN_CALL, a->now);
}

/* Bytes added to an existing region (mremap growth). */
void anonstat_account_grow(struct anonstat_acct *a, struct anonstat_site *site,
			   u64 bytes)
{
	struct anonstat_counts *c[2] = { &site->counts, &a->proc->counts };
	int i;

	a->changed = true;
	for (i = 0; i < 2; i++) {
		c[i]->bytes_mapped += bytes;
		c[i]->live_bytes += bytes;
		anonstat_counts_time(c[i], a->now);
		counts_peak(c[i]);
	}
}

void anonstat_region_count(struct anonstat_proc *proc,
			   struct anonstat_site *site, int delta)
{
	site->counts.live_regions += delta;
	proc->counts.live_regions += delta;
}

/*
 * Release @bytes of @site.  @whole: a whole region went away (not a piece
 * cut from one that stays).
 */
void anonstat_account_release(struct anonstat_acct *a,
			      struct anonstat_site *site, u64 bytes, bool whole)
{
	struct anonstat_counts *c[2] = { &site->counts, &a->proc->counts };
	struct anonstat_thread *t = acct_thread(a);
	int i;

	a->changed = true;
	for (i = 0; i < 2; i++) {
		c[i]->unmaps++;
		c[i]->bytes_unmapped += bytes;
		c[i]->live_bytes -= bytes;
		anonstat_counts_time(c[i], a->now);
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

bool anonstat_piece_is_whole(const struct anonstat_region *r)
{
	return !(r->flags & (ANONSTAT_REGION_CUT_LEFT | ANONSTAT_REGION_CUT_RIGHT));
}

/* Account every piece as released by this call, and free them. */
void anonstat_release_pieces(struct anonstat_acct *a, struct anonstat_pieces *p)
{
	struct anonstat_region *r;

	for (r = p->first; r; r = r->next)
		anonstat_account_release(a, r->site, r->end - r->start,
					 anonstat_piece_is_whole(r));
	anonstat_pieces_put(a->proc, p);
}

/*
 * Take whatever overlaps [start, end) out of the tree as stale: held by
 * no anonymous mapping anonstat knows of.  Caller holds proc->lock.
 */
static void drop_stale(struct anonstat_proc *proc, unsigned long start,
		       unsigned long end)
{
	struct anonstat_pieces pieces;
	struct anonstat_region *r;

	anonstat_pieces_init(&pieces);
	anonstat_regions_detach(proc, start, end, &pieces);
	for (r = pieces.first; r; r = r->next) {
		anonstat_account_lost(proc, r->site, r->end - r->start);
		if (anonstat_piece_is_whole(r))
			anonstat_region_count(proc, r->site, -1);
		anonstat_drop(ANONSTAT_DROP_STALE, 1);
	}
	anonstat_pieces_put(proc, &pieces);
}

/* Link @r, first dropping anything stale in its way. */
void anonstat_insert_region(struct anonstat_proc *proc, struct anonstat_region *r)
{
	if (anonstat_region_insert(proc, r)) {
		drop_stale(proc, r->start, r->end);
		anonstat_region_insert(proc, r);
	}
}

/* ---- the system calls ---- */

/* The length mmap asked for, rounded as the kernel rounds it; 0 if none. */
static unsigned long mmap_asked_length(unsigned long flags, unsigned long len)
{
	unsigned long unit = PAGE_SIZE;

	if (flags & MAP_HUGETLB) {
		unsigned int shift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;

		unit = shift ? 1UL << shift : HPAGE_SIZE;
	}
	if (!len || len > TASK_SIZE_MAX - unit)
		return 0;
	return ALIGN(len, unit);
}

/* The page size of the mapping at @addr (huge pages for hugetlb). */
static unsigned long map_unit(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (vma && vma->vm_start <= addr && vma->vm_ops && vma->vm_ops->pagesize)
		return vma->vm_ops->pagesize(vma);
	return PAGE_SIZE;
}

/*
 * The range the call made, which it accounts itself: left out when the
 * process is seeded first.  Empty for calls that make none.
 */
static void made_range(struct anonstat_acct *a, const struct anonstat_call *c,
		       long ret, unsigned long *start, unsigned long *end)
{
	unsigned long r = (unsigned long)ret;

	*start = 0;
	*end = 0;
	if (IS_ERR_VALUE(r))
		return;
	switch (c->nr) {
	case ANONSTAT_SYS_MMAP: {
		/* only a hugetlb mapping has another page size */
		unsigned long unit = (c->args[3] & MAP_ANONYMOUS) &&
				     !(c->args[3] & MAP_HUGETLB) ?
				     PAGE_SIZE : map_unit(a->mm, r);

		if (c->args[1] && c->args[1] <= TASK_SIZE_MAX - unit) {
			*start = r;
			*end = r + ALIGN(c->args[1], unit);
		}
		break;
	}
	case ANONSTAT_SYS_MREMAP:
		if (!(r & ~PAGE_MASK) && c->args[2] <= TASK_SIZE_MAX - r) {
			*start = r;
			*end = r + PAGE_ALIGN(c->args[2]);
		}
		break;
	case ANONSTAT_SYS_BRK:
		if (PAGE_ALIGN(r) > PAGE_ALIGN(c->old_brk)) {
			*start = PAGE_ALIGN(c->old_brk);
			*end = PAGE_ALIGN(r);
		}
		break;
	}
}

static void track_mmap(struct anonstat_acct *a, const struct anonstat_call *c,
		       long ret)
{
	unsigned long addr = c->args[0], flags = c->args[3], len, start, end;

	if (IS_ERR_VALUE((unsigned long)ret)) {
		/* a MAP_FIXED call can fail after the kernel unmapped the range */
		len = mmap_asked_length(flags, c->args[1]);
		if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE) &&
		    anonstat_user_range_ok(addr, len))
			anonstat_reconcile(a, addr, addr + len, false);
		return;
	}
	made_range(a, c, ret, &start, &end);
	anonstat_release_range(a, start, end);
	anonstat_reconcile(a, start, end, true);
}

static void track_munmap(struct anonstat_acct *a, const struct anonstat_call *c)
{
	unsigned long addr = c->args[0], len = PAGE_ALIGN(c->args[1]);

	if (anonstat_user_range_ok(addr, len))
		anonstat_reconcile(a, addr, addr + len, false);
}

static void track_brk(struct anonstat_acct *a, const struct anonstat_call *c,
		      long ret)
{
	unsigned long lo = min_t(unsigned long, c->old_brk, ret);
	unsigned long hi = max_t(unsigned long, c->old_brk, ret);
	unsigned long asked = c->args[0];

	if (asked >= a->mm->start_brk && asked <= TASK_SIZE_MAX - PAGE_SIZE) {
		lo = min(lo, asked);
		hi = max(hi, asked);
	}
	if (hi <= TASK_SIZE_MAX - PAGE_SIZE)
		anonstat_reconcile(a, PAGE_ALIGN(lo), PAGE_ALIGN(hi), true);
}

/*
 * Can the call make regions, so that its call stack is needed?  Asked with
 * the mmap lock held, before proc->lock: the walk may sleep.  A call this
 * says no to and that makes a region anyway (a race with another thread)
 * gets a site of its frame 0 (anonstat_acct_site()).
 */
static bool call_makes_regions(struct mm_struct *mm,
			       const struct anonstat_call *c, long ret)
{
	struct vm_area_struct *vma;

	if (IS_ERR_VALUE((unsigned long)ret))
		return false;
	switch (c->nr) {
	case ANONSTAT_SYS_MMAP:
		if (c->args[3] & MAP_ANONYMOUS)
			return true;
		/* a private mapping of /dev/zero is anonymous too */
		vma = find_vma(mm, ret);
		return vma && vma->vm_start <= ret && anonstat_vma_kind(mm, vma) >= 0;
	case ANONSTAT_SYS_MREMAP:
		return true;
	case ANONSTAT_SYS_BRK:
		return PAGE_ALIGN(ret) > PAGE_ALIGN(c->old_brk);
	}
	return false;
}

/*
 * System call @call of current is done and returned @ret: account it.
 * Process context (call.c); takes the mmap lock for reading.
 */
void anonstat_track_call(const struct anonstat_call *call, long ret)
{
	struct mm_struct *mm = current->mm;
	struct anonstat_acct a = { .mm = mm, .origin = ANONSTAT_ORIGIN_CALL };
	unsigned long made_start, made_end;
	struct anonstat_proc *proc;

	/* a fatal signal: the process is going, exit_mmap() releases all */
	if (mmap_read_lock_killable(mm))
		return;
	a.want_new = anonstat_filter_wants(current);
	if (a.want_new && call_makes_regions(mm, call, ret)) {
		if (anonstat_callsite_capture(&a.cs, READ_ONCE(anonstat_depth)))
			return;		/* a fatal signal: the lock is released */
		a.have_cs = true;
	}
	rcu_read_lock();
	proc = a.want_new ? anonstat_proc_get_current() : anonstat_proc_lookup(mm);
	if (!proc)
		goto out;
	spin_lock(&proc->lock);
	if (proc->dead)
		goto out_unlock;
	a.proc = proc;
	a.now = anonstat_now();
	if (!proc->seeded && a.want_new) {
		made_range(&a, call, ret, &made_start, &made_end);
		anonstat_seed(&a, READ_ONCE(anonstat_seeding_all) ?
			      ANONSTAT_ORIGIN_PREEXISTING : ANONSTAT_ORIGIN_EXEC,
			      made_start, made_end);
	}
	switch (call->nr) {
	case ANONSTAT_SYS_MMAP:
		track_mmap(&a, call, ret);
		break;
	case ANONSTAT_SYS_MUNMAP:
		track_munmap(&a, call);
		break;
	case ANONSTAT_SYS_MREMAP:
		anonstat_track_mremap(&a, call, ret);
		break;
	case ANONSTAT_SYS_BRK:
		track_brk(&a, call, ret);
		break;
	}
	/* a call that changed nothing (a failed one) leaves the times alone */
	if (a.changed)
		anonstat_proc_touch(proc, a.now);
out_unlock:
	spin_unlock(&proc->lock);
out:
	rcu_read_unlock();
	mmap_read_unlock(mm);
}

/* ---- seeding every process (load, reset, enable) ---- */

/* Seed @task's address space, if the filters want it and it has none yet. */
static void seed_task(struct task_struct *task)
{
	struct mm_struct *mm = get_task_mm(task);
	struct anonstat_acct a = { .mm = mm, .want_new = true };
	struct anonstat_proc *proc, *fresh;

	if (!mm)
		return;
	if (!anonstat_filter_wants(task) || mmap_read_lock_killable(mm))
		goto out;
	rcu_read_lock();
	proc = anonstat_proc_lookup(mm);
	if (!proc) {
		fresh = anonstat_proc_new(task, mm);
		if (fresh && anonstat_proc_publish(fresh))
			proc = fresh;
		else
			proc = anonstat_proc_lookup(mm);
	}
	if (proc) {
		spin_lock(&proc->lock);
		if (!proc->dead && !proc->seeded) {
			a.proc = proc;
			a.now = anonstat_now();
			anonstat_seed(&a, ANONSTAT_ORIGIN_PREEXISTING, 0, 0);
		}
		spin_unlock(&proc->lock);
	}
	rcu_read_unlock();
	mmap_read_unlock(mm);
out:
	mmput(mm);
}

/*
 * Seed every process there is from its VMA tree (module load, reset,
 * enable), after the probes are armed: whatever changes later is seen.
 * May sleep.  A system call in flight while its process is seeded here is
 * accounted at its return like any other.
 */
void anonstat_seed_all(void)
{
	struct task_struct *p, **tasks;
	unsigned int n = 0, cap = 64, i;

	rcu_read_lock();
	for_each_process(p)
		cap++;
	rcu_read_unlock();
	WRITE_ONCE(anonstat_seeding_all, true);
	tasks = kvmalloc_array(cap, sizeof(*tasks), GFP_KERNEL);
	if (!tasks) {
		WRITE_ONCE(anonstat_seeding_all, false);
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		return;
	}
	rcu_read_lock();
	for_each_process(p) {
		if (n == cap)
			break;
		if (p->flags & PF_KTHREAD)
			continue;
		get_task_struct(p);
		tasks[n++] = p;
	}
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		seed_task(tasks[i]);
		put_task_struct(tasks[i]);
		cond_resched();
	}
	WRITE_ONCE(anonstat_seeding_all, false);
	kvfree(tasks);
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
		*site = anonstat_site_get(child, r->site->kind, r->site->origin,
					  r->site->frames, r->site->depth);
	if (!*site)
		return;
	copy = anonstat_region_alloc();
	if (!copy)
		return;
	copy->start = start;
	copy->end = end;
	copy->site = *site;
	copy->flags = ANONSTAT_REGION_INHERITED;
	anonstat_insert_region(child, copy);
	account_new(child, *site, NULL, end - start, false, anonstat_now());
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
 * Copy the parts of parent region @r that @child_mm really has (anonymous
 * VMAs that fork copied: not MADV_DONTFORK ones; MADV_WIPEONFORK ones are
 * there, empty, so they count) into @child.  Caller holds
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
		if (anonstat_vma_kind(child_mm, vma) >= 0) {
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

/*
 * wake_up_new_task(@child): a new process with its own copy of current's
 * mm.  The child is not marked seeded: a call of the parent still in
 * flight (another thread's) may have changed the VMAs fork copied before
 * the parent's regions show it, so the child's first call fills what
 * anonymous VMAs no inherited region holds.
 */
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
