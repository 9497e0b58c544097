// SPDX-License-Identifier: GPL-2.0
/*
 * proc.c - the process table, thread records and process lifetime.
 *
 * Owns struct anonstat_proc and struct anonstat_thread.  A process record
 * stands for a thread group with one address space: it is found by its mm
 * (a hash table read under RCU), lives on the live list (ordered by pid)
 * while it has an mm, goes on with a new mm after exec, and moves to the
 * exited list when its mm is torn down.  The last retain_exited exited
 * records are kept so that short-lived leakers can be read after they die.
 *
 * Locking:
 *   anonstat_procs_lock -> proc->lock
 *   anonstat_procs_lock protects both lists, the mm hash (writers) and
 *   proc->mm/proc->mm_link/proc->exit_seq.  proc->lock protects the rest of
 *   a record.  Lookups by mm take neither: they run under rcu_read_lock()
 *   and check proc->mm == mm, then proc->dead under proc->lock.
 *
 * The mm hash holds links (struct anonstat_mm_link), not the records: a
 * record that goes on with another mm (exec, or an exited record that
 * comes back) gets a new link in the new mm's chain, and its old link is
 * unlinked and freed after a grace period.  A node is never unlinked and
 * linked again, since a lookup walking the old chain could follow it into
 * the new one and miss the rest of the chain it was walking.  A link is
 * allocated with the record, or before it is needed; when an exec finds
 * no memory for one, the record goes to the exited list and comes back
 * from there at the new image's first mmap.
 *
 * Lifetime: a record is unlinked under anonstat_procs_lock, then destroyed:
 * proc->dead is set and its contents freed under proc->lock, and the record
 * itself is freed after an RCU grace period.  Nothing holds a reference
 * across system calls; an mremap in flight remembers proc->uid instead.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/mm_types.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "anonstat.h"

DEFINE_SPINLOCK(anonstat_procs_lock);
LIST_HEAD(anonstat_procs);
LIST_HEAD(anonstat_exited_procs);
atomic_t anonstat_nr_procs = ATOMIC_INIT(0);
atomic_t anonstat_nr_exited = ATOMIC_INIT(0);

#define PROC_HASH_BITS 10
static DEFINE_HASHTABLE(anonstat_proc_by_mm, PROC_HASH_BITS);
static u64 anonstat_next_proc_uid;	/* under anonstat_procs_lock */
static u64 anonstat_next_exit_seq;	/* under anonstat_procs_lock */

/* An entry of the mm hash: @proc's, while proc->mm_link points here. */
struct anonstat_mm_link {
	struct hlist_node node;		/* anonstat_proc_by_mm, RCU */
	struct mm_struct *mm;		/* the key, fixed once linked */
	struct anonstat_proc *proc;
	struct rcu_head rcu;
};

struct anonstat_proc *anonstat_proc_lookup(struct mm_struct *mm)
{
	struct anonstat_mm_link *link;

	hash_for_each_possible_rcu(anonstat_proc_by_mm, link, node,
				   (unsigned long)mm) {
		if (link->mm == mm && READ_ONCE(link->proc->mm) == mm)
			return link->proc;
	}
	return NULL;
}

static struct anonstat_mm_link *mm_link_new(void)
{
	struct anonstat_mm_link *link = kzalloc(sizeof(*link), ANONSTAT_GFP);

	if (!link) {
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		return NULL;
	}
	atomic_long_add(sizeof(*link), &anonstat_memory);
	return link;
}

/* A link that no lookup can have seen (never in the hash). */
static void mm_link_free(struct anonstat_mm_link *link)
{
	if (!link)
		return;
	atomic_long_sub(sizeof(*link), &anonstat_memory);
	kfree(link);
}

static u64 group_start_time(struct task_struct *task)
{
	return READ_ONCE(task->group_leader)->start_time;
}

/* A new, unpublished record for @task's thread group using @mm. */
struct anonstat_proc *anonstat_proc_new(struct task_struct *task,
					struct mm_struct *mm)
{
	struct anonstat_proc *proc;

	proc = kzalloc(sizeof(*proc), ANONSTAT_GFP);
	if (!proc) {
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		return NULL;
	}
	proc->mm_link = mm_link_new();
	if (!proc->mm_link) {
		kfree(proc);
		return NULL;
	}
	spin_lock_init(&proc->lock);
	INIT_LIST_HEAD(&proc->node);
	INIT_LIST_HEAD(&proc->threads);
	INIT_LIST_HEAD(&proc->other_threads.node);	/* never on the list */
	strscpy(proc->other_threads.comm, "-", TASK_COMM_LEN);
	proc->regions = RB_ROOT;
	if (anonstat_sites_init(proc)) {
		mm_link_free(proc->mm_link);
		kfree(proc);
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		return NULL;
	}
	proc->mm = mm;
	proc->pid = task_tgid_nr(task);
	proc->start_time = group_start_time(task);
	memcpy(proc->comm, READ_ONCE(task->group_leader)->comm, TASK_COMM_LEN);
	proc->comm[TASK_COMM_LEN - 1] = '\0';
	atomic_long_add(sizeof(*proc), &anonstat_memory);
	return proc;
}

static void proc_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct anonstat_proc, rcu));
}

static void threads_free_all(struct anonstat_proc *proc)
{
	struct anonstat_thread *t, *tmp;

	list_for_each_entry_safe(t, tmp, &proc->threads, node) {
		atomic_dec(&anonstat_nr_threads);
		atomic_long_sub(sizeof(*t), &anonstat_memory);
		kfree(t);
	}
	INIT_LIST_HEAD(&proc->threads);
	proc->nr_threads = 0;
}

/* Free an unlinked (or never published) record. */
static void proc_destroy(struct anonstat_proc *proc)
{
	/* unlinked records have none; unpublished ones one never linked */
	mm_link_free(proc->mm_link);
	proc->mm_link = NULL;
	spin_lock(&proc->lock);
	proc->dead = true;
	anonstat_regions_free_all(proc);
	anonstat_sites_free_all(proc);
	threads_free_all(proc);
	spin_unlock(&proc->lock);
	atomic_long_sub(sizeof(*proc), &anonstat_memory);
	call_rcu(&proc->rcu, proc_free_rcu);
}

void anonstat_proc_discard(struct anonstat_proc *proc)
{
	proc_destroy(proc);
}

/* Insert @proc into the live list, which is ordered by pid. */
static void live_list_add(struct anonstat_proc *proc)
{
	struct anonstat_proc *cur;

	list_for_each_entry(cur, &anonstat_procs, node) {
		if (cur->pid > proc->pid) {
			list_add_tail(&proc->node, &cur->node);
			return;
		}
	}
	list_add_tail(&proc->node, &anonstat_procs);
}

/*
 * Link @proc into the mm hash as the record of @mm with @link, a link not
 * yet in the hash.  A link it had is unlinked and freed after a grace
 * period, after the new one is in: a lookup of @mm finds the new one, and
 * a lookup walking the old chain goes on along that chain.
 */
static void proc_hash_add(struct anonstat_proc *proc, struct mm_struct *mm,
			  struct anonstat_mm_link *link)
{
	struct anonstat_mm_link *old = proc->mm_link;

	link->mm = mm;
	link->proc = proc;
	WRITE_ONCE(proc->mm, mm);
	hash_add_rcu(anonstat_proc_by_mm, &link->node, (unsigned long)mm);
	proc->mm_link = link;
	if (old && old != link) {
		hash_del_rcu(&old->node);
		atomic_long_sub(sizeof(*old), &anonstat_memory);
		kfree_rcu(old, rcu);
	}
}

/* Take @proc out of the mm hash. */
static void proc_hash_del(struct anonstat_proc *proc)
{
	struct anonstat_mm_link *link = proc->mm_link;

	proc->mm_link = NULL;
	hash_del_rcu(&link->node);
	atomic_long_sub(sizeof(*link), &anonstat_memory);
	kfree_rcu(link, rcu);
}

static struct anonstat_proc *find_exited(pid_t pid, u64 start_time)
{
	struct anonstat_proc *proc;

	list_for_each_entry(proc, &anonstat_exited_procs, node) {
		if (proc->pid == pid && proc->start_time == start_time)
			return proc;
	}
	return NULL;
}

/*
 * Make @proc visible.  Returns false (and frees @proc) when its mm already
 * has a record.
 */
bool anonstat_proc_publish(struct anonstat_proc *proc)
{
	spin_lock(&anonstat_procs_lock);
	if (anonstat_proc_lookup(proc->mm)) {
		spin_unlock(&anonstat_procs_lock);
		proc_destroy(proc);
		return false;
	}
	proc->uid = ++anonstat_next_proc_uid;
	live_list_add(proc);
	proc_hash_add(proc, proc->mm, proc->mm_link);
	atomic_inc(&anonstat_nr_procs);
	spin_unlock(&anonstat_procs_lock);
	return true;
}

/*
 * The record of current's address space, made when there is none: after an
 * exec whose old mm went away in another task's context, the exited record
 * of the same thread group comes back.  Caller is in an RCU read section.
 */
struct anonstat_proc *anonstat_proc_get_current(void)
{
	struct mm_struct *mm = current->mm;
	struct anonstat_proc *proc, *fresh;

	proc = anonstat_proc_lookup(mm);
	if (proc)
		return proc;

	fresh = anonstat_proc_new(current, mm);
	if (!fresh)
		return NULL;
	spin_lock(&anonstat_procs_lock);
	proc = anonstat_proc_lookup(mm);
	if (!proc) {
		proc = find_exited(fresh->pid, fresh->start_time);
		if (proc) {
			list_del(&proc->node);
			atomic_dec(&anonstat_nr_exited);
			spin_lock(&proc->lock);
			proc->exited = false;
			/* it comes back after an exec: a new image */
			anonstat_sites_retire(proc);
			spin_unlock(&proc->lock);
			live_list_add(proc);
			/* a new link: its old one may still be read */
			proc_hash_add(proc, mm, fresh->mm_link);
			fresh->mm_link = NULL;
		}
	}
	if (!proc) {
		proc = fresh;
		fresh = NULL;
		proc->uid = ++anonstat_next_proc_uid;
		live_list_add(proc);
		proc_hash_add(proc, mm, proc->mm_link);
		atomic_inc(&anonstat_nr_procs);
	}
	spin_unlock(&anonstat_procs_lock);
	if (fresh)
		proc_destroy(fresh);
	return proc;
}

void anonstat_proc_touch(struct anonstat_proc *proc, u64 now)
{
	anonstat_counts_time(&proc->counts, now);
	memcpy(proc->comm, READ_ONCE(current->group_leader)->comm,
	       TASK_COMM_LEN);
	proc->comm[TASK_COMM_LEN - 1] = '\0';
}

/*
 * The thread record of @task in @proc, made on first use.  A process keeps
 * at most ANONSTAT_MAX_THREADS_PER_PROC of them; the system calls of its
 * other threads, and of a thread whose record cannot be allocated (counted
 * as drop nomem), are counted on proc->other_threads, tid 0 in threads, so
 * that the threads lines of a process still add up to what its threads
 * did.  Never NULL.  Caller holds proc->lock.
 */
struct anonstat_thread *anonstat_thread_get(struct anonstat_proc *proc,
					    struct task_struct *task)
{
	pid_t tid = task_pid_nr(task);
	struct anonstat_thread *t, *pos;

	list_for_each_entry(pos, &proc->threads, node) {
		if (pos->tid == tid) {
			t = pos;
			goto found;
		}
		if (pos->tid > tid)
			break;
	}
	if (proc->nr_threads >= ANONSTAT_MAX_THREADS_PER_PROC)
		goto other;
	t = kzalloc(sizeof(*t), ANONSTAT_GFP);
	if (!t) {
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		goto other;
	}
	t->tid = tid;
	/* before the first record with a bigger tid, or at the end */
	list_add_tail(&t->node, &pos->node);
	proc->nr_threads++;
	atomic_inc(&anonstat_nr_threads);
	atomic_long_add(sizeof(*t), &anonstat_memory);
found:
	memcpy(t->comm, task->comm, TASK_COMM_LEN);
	t->comm[TASK_COMM_LEN - 1] = '\0';
	return t;
other:
	atomic64_inc(&anonstat_threads_other);
	return &proc->other_threads;
}

/* Unlink the oldest exited records beyond retain_exited; caller frees them. */
static void trim_exited_locked(struct list_head *doomed)
{
	unsigned int keep = READ_ONCE(anonstat_retain_exited);

	while (atomic_read(&anonstat_nr_exited) > keep) {
		struct anonstat_proc *old;

		old = list_first_entry(&anonstat_exited_procs,
				       struct anonstat_proc, node);
		list_move_tail(&old->node, doomed);
		atomic_dec(&anonstat_nr_exited);
		atomic_dec(&anonstat_nr_procs);
	}
}

static void destroy_list(struct list_head *doomed)
{
	struct anonstat_proc *proc, *tmp;

	list_for_each_entry_safe(proc, tmp, doomed, node) {
		list_del_init(&proc->node);
		proc_destroy(proc);
	}
}

void anonstat_procs_trim_exited(void)
{
	LIST_HEAD(doomed);

	spin_lock(&anonstat_procs_lock);
	trim_exited_locked(&doomed);
	spin_unlock(&anonstat_procs_lock);
	destroy_list(&doomed);
}

static bool task_is_execing_from(struct task_struct *task,
				 struct anonstat_proc *proc, struct mm_struct *old)
{
	return task->mm && task->mm != old &&
	       task_tgid_nr(task) == proc->pid &&
	       group_start_time(task) == proc->start_time &&
	       !(task->flags & PF_EXITING);
}

/*
 * Release every region of a process record (its address space is gone).
 * Caller holds proc->lock.
 */
static void release_all(struct anonstat_proc *proc, u64 now)
{
	struct anonstat_region *r, *tmp;

	rbtree_postorder_for_each_entry_safe(r, tmp, &proc->regions, node) {
		struct anonstat_counts *c = &r->site->counts;
		u64 bytes = r->end - r->start;

		c->unmaps++;
		c->bytes_unmapped += bytes;
		c->live_regions--;
		c->live_bytes -= bytes;
		anonstat_counts_time(c, now);
		proc->counts.unmaps++;
		proc->counts.bytes_unmapped += bytes;
		proc->counts.live_regions--;
		proc->counts.live_bytes -= bytes;
		anonstat_region_free(r);
	}
	proc->regions = RB_ROOT;
	anonstat_counts_time(&proc->counts, now);
}

/*
 * exit_mmap(@mm): the address space is torn down, by exit or by exec.
 * Its regions are released; on exec the record goes on with the new mm,
 * otherwise it moves to the exited list.
 */
void anonstat_proc_mm_gone(struct mm_struct *mm)
{
	struct anonstat_mm_link *link = NULL;
	struct anonstat_proc *proc;
	LIST_HEAD(doomed);
	bool exec;

	rcu_read_lock();
	spin_lock(&anonstat_procs_lock);
	proc = anonstat_proc_lookup(mm);
	if (!proc) {
		spin_unlock(&anonstat_procs_lock);
		rcu_read_unlock();
		return;
	}
	exec = task_is_execing_from(current, proc, mm) &&
	       !anonstat_proc_lookup(current->mm);
	if (exec) {
		link = mm_link_new();
		exec = !!link;
	}
	if (exec) {
		proc_hash_add(proc, current->mm, link);
	} else {
		proc_hash_del(proc);
		WRITE_ONCE(proc->mm, NULL);
		proc->exit_seq = ++anonstat_next_exit_seq;
		list_move_tail(&proc->node, &anonstat_exited_procs);
		atomic_inc(&anonstat_nr_exited);
	}

	spin_lock(&proc->lock);
	release_all(proc, anonstat_now());
	/* a new image, if any, is seeded at its first call */
	proc->seeded = false;
	if (exec)
		anonstat_sites_retire(proc);
	else
		proc->exited = true;
	if (!exec)
		anonstat_regions_free_cache(proc);
	spin_unlock(&proc->lock);

	trim_exited_locked(&doomed);
	spin_unlock(&anonstat_procs_lock);
	rcu_read_unlock();
	destroy_list(&doomed);
}

/* Drop every record (control "reset", "enable" after "disable", unload). */
void anonstat_procs_reset(void)
{
	struct anonstat_proc *proc;
	LIST_HEAD(doomed);

	spin_lock(&anonstat_procs_lock);
	list_for_each_entry(proc, &anonstat_procs, node)
		proc_hash_del(proc);
	list_splice_init(&anonstat_procs, &doomed);
	list_splice_init(&anonstat_exited_procs, &doomed);
	atomic_set(&anonstat_nr_procs, 0);
	atomic_set(&anonstat_nr_exited, 0);
	spin_unlock(&anonstat_procs_lock);
	destroy_list(&doomed);
}
