/* SPDX-License-Identifier: GPL-2.0 */
/*
 * anonstat.h - declarations shared by the files of anonstat.ko.
 *
 * anonstat accounts anonymous memory mappings made by user space, per
 * process, per thread and per user call site, and shows the result in
 * debugfs.  Each concern lives in its own file:
 *
 *   main.c      module init/exit, module parameters
 *   control.c   settings, filters, the control file's commands
 *   probes.c    the probes on the mm paths (ftrace callbacks, kprobes)
 *   call.c      a system call's record, from its entry to its return to
 *               user space, where it is accounted (task_work)
 *   callsite.c  the walk of the user call stack at a system call
 *   unwind.c    the unwind tables of the ELF files user code runs from
 *   cfi.c       DWARF call frame information compiled to unwind rows
 *   arch.h      what differs between x86-64 and arm64 (registers, calls)
 *   track.c     what each event does to the tables (the accounting rules)
 *   reconcile.c which VMAs are anonymous; making a range's regions equal
 *               them; seeding a process from its VMA tree
 *   mremap.c    mremap's rules: regions that move, shrink and grow
 *   proc.c      the process table, thread records, process lifetime
 *   site.c      the per-process call-site table
 *   region.c    the per-process tree of live regions
 *   debugfs.c   /sys/kernel/debug/anonstat/ and its seq_file readers
 *
 * The text formats written to debugfs are specified in
 * module/debugfs-format.md; the design (why accounting happens at the
 * return to user space, against the VMA tree) in module/DESIGN.md.
 *
 * Locking (the rules each file relies on; see also proc.c):
 *
 *   anonstat_procs_lock (spinlock)  ->  proc->lock (spinlock)
 *
 * anonstat_procs_lock protects the process lists and the mm hash; lookups
 * by mm run under RCU without it (the mmap and munmap paths use
 * rcu_read_lock_sched(), which is no function call on PREEMPT_RCU kernels;
 * call_rcu() waits for either kind of reader since 4.20).  proc->lock
 * protects everything a process owns: its regions, sites, threads and
 * counters.  Nothing is taken in the other order.  A process's mmap lock
 * is taken before any of anonstat's locks, never while one is held: the
 * accounting of a system call (call.c, in process context at the return to
 * user space) holds mmap_read_lock() across it, fork's probe handler only
 * mmap_read_trylock()s the child.  Processes are freed after an RCU grace
 * period; code that finds proc->dead set under proc->lock leaves it alone.
 * Probe handlers and readers never sleep, and allocate with ANONSTAT_GFP;
 * the accounting at the return to user space may sleep for the mmap lock
 * but allocates with ANONSTAT_GFP too while it holds proc->lock.
 */
#ifndef ANONSTAT_H
#define ANONSTAT_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/types.h>

#define ANONSTAT_VERSION "0.1.0"

/* Is [addr, addr + len) a page-aligned, non-empty range of user space? */
static inline bool anonstat_user_range_ok(unsigned long addr, unsigned long len)
{
	return !(addr & ~PAGE_MASK) && len && len <= TASK_SIZE_MAX &&
	       addr <= TASK_SIZE_MAX - len;
}

/* Allocations in probe context: never sleep, never warn, never dip into reserves. */
#define ANONSTAT_GFP (GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC)

#define ANONSTAT_MAX_DEPTH		32
#define ANONSTAT_DEFAULT_DEPTH		16
#define ANONSTAT_DEFAULT_MAX_UNWIND_MIB	64	/* the unwind tables' memory */
#define ANONSTAT_LIMIT_MAX_UNWIND_MIB	4096
#define ANONSTAT_UNWIND_SEGS		4	/* executable PT_LOADs followed per file */
#define ANONSTAT_UNWIND_MAX_SECTION	SZ_64M	/* bytes read of one CFI section */
#define ANONSTAT_UNWIND_MAX_ROWS	(4U << 20)	/* rows of one file's table */
#define ANONSTAT_WALK_MAX_LOADS		8	/* tables built by one walk */
#define ANONSTAT_WALK_MAX_FAULTS	8	/* stack pages faulted in by one walk */
#define ANONSTAT_WALK_MAX_SPAN		SZ_8M	/* a frame's size, at most */
#define ANONSTAT_DEFAULT_MAX_REGIONS	1000000
#define ANONSTAT_LIMIT_MAX_REGIONS	16777216
#define ANONSTAT_DEFAULT_MAX_SITES	100000
#define ANONSTAT_LIMIT_MAX_SITES	1048576
#define ANONSTAT_DEFAULT_RETAIN_EXITED	64
#define ANONSTAT_LIMIT_RETAIN_EXITED	4096
#define ANONSTAT_MAX_FILTER_PIDS	16
#define ANONSTAT_MAX_THREADS_PER_PROC	4096	/* thread records; then tid 0 */
#define ANONSTAT_PROC_FREE_REGIONS	8	/* free region objects a process keeps */

enum anonstat_kind {
	ANONSTAT_KIND_PRIVATE,
	ANONSTAT_KIND_SHARED,
	ANONSTAT_KIND_HUGE,
	ANONSTAT_KIND_BRK,
	ANONSTAT_NR_KINDS
};

/*
 * Who made a site's regions: system calls from its call stack, or the
 * kernel (what the first image of a process had when anonstat first saw
 * it: seeded from its VMA tree), for a process that existed at load time
 * (or at the last reset) or for an image started since.
 */
enum anonstat_origin {
	ANONSTAT_ORIGIN_CALL,
	ANONSTAT_ORIGIN_EXEC,
	ANONSTAT_ORIGIN_PREEXISTING,
	ANONSTAT_NR_ORIGINS
};

/* Why a region was not tracked or was lost (status: drop). */
enum anonstat_drop_reason {
	ANONSTAT_DROP_REGIONS_CAP,
	ANONSTAT_DROP_SITES_CAP,
	ANONSTAT_DROP_NOMEM,
	ANONSTAT_DROP_STALE,
	ANONSTAT_NR_DROPS
};

/* How a walk of a user call stack ended (status: walk). */
enum anonstat_walk_end {
	ANONSTAT_WALK_COMPLETE,		/* at the outermost frame */
	ANONSTAT_WALK_NO_CFI,		/* code with neither CFI nor a frame pointer */
	ANONSTAT_WALK_UNREADABLE,	/* a stack word could not be read */
	ANONSTAT_WALK_DEPTH,		/* depth frames taken, more there */
	ANONSTAT_WALK_BUDGET,		/* too many tables to build in one walk */
	ANONSTAT_WALK_INVALID,		/* a return address outside code, a bad frame */
	ANONSTAT_NR_WALK_ENDS
};

/* The user call stack of one system call. */
struct anonstat_callsite {
	unsigned int depth;
	unsigned long frames[ANONSTAT_MAX_DEPTH];
};

/* Counters kept per site and per process. */
struct anonstat_counts {
	u64 maps;
	u64 unmaps;
	u64 bytes_mapped;
	u64 bytes_unmapped;
	u64 live_regions;
	u64 live_bytes;
	u64 peak_bytes;
	u64 first_ns;
	u64 last_ns;
};

/*
 * The time of an event, for first_ns/last_ns: CLOCK_MONOTONIC nanoseconds
 * at tick resolution (the coarse clock costs a fraction of a clocksource
 * read, and events are stamped on every mmap and munmap).
 */
static inline u64 anonstat_now(void)
{
	return ktime_get_coarse_ns();
}

/* An event at @now: first_ns is the first one, last_ns the latest. */
static inline void anonstat_counts_time(struct anonstat_counts *c, u64 now)
{
	if (!c->first_ns)
		c->first_ns = now;
	if (now > c->last_ns)
		c->last_ns = now;
}

struct anonstat_site {
	struct hlist_node hash_node;	/* proc->site_hash */
	struct list_head proc_node;	/* proc->sites, in id order */
	u64 id;				/* 64 bits: never wraps */
	u32 hash;
	u8 kind;
	u8 depth;
	u8 origin;			/* enum anonstat_origin */
	struct anonstat_counts counts;
	unsigned long frames[];
};

#define ANONSTAT_REGION_INHERITED	0x1
/* only while detached: the piece was cut from a region still in the tree */
#define ANONSTAT_REGION_CUT_LEFT	0x2
#define ANONSTAT_REGION_CUT_RIGHT	0x4

struct anonstat_region {
	union {
		struct rb_node node;		/* proc->regions, by start */
		struct anonstat_region *next;	/* detached pieces */
	};
	unsigned long start;
	unsigned long end;
	struct anonstat_site *site;
	unsigned int flags;
};

struct anonstat_thread {
	struct list_head node;		/* proc->threads, by tid */
	pid_t tid;
	char comm[TASK_COMM_LEN];
	u64 maps;
	u64 unmaps;
	u64 bytes_mapped;
	u64 bytes_unmapped;
};

struct anonstat_mm_link;

struct anonstat_proc {
	struct list_head node;		/* live list (by pid) or exited list */
	struct rcu_head rcu;
	spinlock_t lock;		/* see "Locking" above */
	/* under anonstat_procs_lock: */
	struct anonstat_mm_link *mm_link;	/* its entry in the mm hash (proc.c) */
	struct mm_struct *mm;		/* NULL once exited */
	u64 exit_seq;			/* order on the exited list */
	/* fixed at creation: */
	u64 uid;			/* unique per process record */
	pid_t pid;
	u64 start_time;			/* group leader's: tells pid reuse apart */
	/* under lock: */
	bool dead;			/* unlinked, being freed */
	bool exited;
	bool seeded;			/* its image's VMA tree was read (reconcile.c) */
	char comm[TASK_COMM_LEN];
	struct rb_root regions;
	struct anonstat_region *free_regions;	/* for reuse, linked by next */
	unsigned int nr_free_regions;
	struct hlist_head *site_hash;
	unsigned int site_hash_bits;
	unsigned int nr_sites;
	struct list_head sites;
	struct list_head threads;
	unsigned int nr_threads;
	/* threads without a record of their own (tid 0 in threads) */
	struct anonstat_thread other_threads;
	struct anonstat_counts counts;
};

/* A list of regions cut out of a process, kept across an mremap call. */
struct anonstat_pieces {
	struct anonstat_region *first;
	struct anonstat_region **tail;
};

/* control.c: settings, read locklessly by handlers */
struct anonstat_filter {
	struct rcu_head rcu;
	unsigned int nr_pids;		/* 0: all processes */
	pid_t pids[ANONSTAT_MAX_FILTER_PIDS];
	char comm[TASK_COMM_LEN];	/* "": all names */
};

extern unsigned int anonstat_depth;
extern unsigned int anonstat_max_regions;
extern unsigned int anonstat_max_sites;
extern unsigned int anonstat_retain_exited;
extern bool anonstat_enabled;

int anonstat_control_init(const char *pids, const char *comm);
void anonstat_control_exit(void);
bool anonstat_filter_wants(struct task_struct *task);
int anonstat_control_command(char *cmd);
void anonstat_control_show(struct seq_file *m);
void anonstat_seq_comm(struct seq_file *m, const char *comm);

/* global counters (track.c) */
extern atomic64_t anonstat_drops[ANONSTAT_NR_DROPS];
extern atomic64_t anonstat_threads_other;
extern atomic_long_t anonstat_memory;
extern atomic_t anonstat_nr_regions;
extern atomic_t anonstat_nr_sites;
extern atomic_t anonstat_nr_threads;
void anonstat_counters_reset(void);
void anonstat_counters_show(struct seq_file *m);
const char *anonstat_kind_name(unsigned int kind);
const char *anonstat_origin_name(unsigned int origin);

static inline void anonstat_drop(enum anonstat_drop_reason why, u64 n)
{
	atomic64_add(n, &anonstat_drops[why]);
}

/* callsite.c (process context) */
int anonstat_callsite_capture(struct anonstat_callsite *cs, unsigned int depth);
void anonstat_callsite_ip(struct anonstat_callsite *cs);
void anonstat_walks_show(struct seq_file *m);
void anonstat_walks_reset(void);

/* unwind.c */
struct anonstat_unwind_obj;
struct anonstat_unwind_row;
struct file;
extern unsigned int anonstat_max_unwind_mib;
struct anonstat_unwind_obj *anonstat_unwind_find(struct file *file);
struct anonstat_unwind_obj *anonstat_unwind_load(struct file *file);
const struct anonstat_unwind_row *
anonstat_unwind_row(struct anonstat_unwind_obj *obj, u64 off);
void anonstat_unwind_show(struct seq_file *m);
void anonstat_unwind_exit(void);

/* region.c (caller holds proc->lock unless noted) */
int anonstat_region_cache_init(void);
void anonstat_region_cache_exit(void);
struct anonstat_region *anonstat_region_alloc(void);	/* no lock needed */
void anonstat_region_free(struct anonstat_region *r);	/* no lock needed */
struct anonstat_region *anonstat_region_get(struct anonstat_proc *proc);
void anonstat_region_put(struct anonstat_proc *proc, struct anonstat_region *r);
void anonstat_regions_free_cache(struct anonstat_proc *proc);
struct anonstat_region *anonstat_region_insert(struct anonstat_proc *proc,
					       struct anonstat_region *r);
struct anonstat_region *anonstat_region_first(struct anonstat_proc *proc,
					      unsigned long addr);
struct anonstat_region *anonstat_region_next(struct anonstat_region *r);
void anonstat_regions_detach(struct anonstat_proc *proc, unsigned long start,
			     unsigned long end, struct anonstat_pieces *pieces);
void anonstat_regions_free_all(struct anonstat_proc *proc);
void anonstat_pieces_init(struct anonstat_pieces *p);
void anonstat_pieces_add(struct anonstat_pieces *p, struct anonstat_region *r);
void anonstat_pieces_put(struct anonstat_proc *proc, struct anonstat_pieces *p);

/* site.c (caller holds proc->lock) */
int anonstat_sites_init(struct anonstat_proc *proc);
struct anonstat_site *anonstat_site_get(struct anonstat_proc *proc,
					unsigned int kind, unsigned int origin,
					const unsigned long *frames,
					unsigned int depth);
void anonstat_sites_retire(struct anonstat_proc *proc);
void anonstat_sites_free_all(struct anonstat_proc *proc);

/* proc.c */
extern spinlock_t anonstat_procs_lock;
extern struct list_head anonstat_procs;
extern struct list_head anonstat_exited_procs;
extern atomic_t anonstat_nr_procs;
extern atomic_t anonstat_nr_exited;
struct anonstat_proc *anonstat_proc_lookup(struct mm_struct *mm);	/* RCU */
struct anonstat_proc *anonstat_proc_get_current(void);			/* RCU */
struct anonstat_proc *anonstat_proc_new(struct task_struct *task,
					struct mm_struct *mm);
bool anonstat_proc_publish(struct anonstat_proc *proc);
void anonstat_proc_discard(struct anonstat_proc *proc);
void anonstat_proc_mm_gone(struct mm_struct *mm);
void anonstat_procs_trim_exited(void);
void anonstat_procs_reset(void);
struct anonstat_thread *anonstat_thread_get(struct anonstat_proc *proc,
					    struct task_struct *task);
void anonstat_proc_touch(struct anonstat_proc *proc, u64 now);

/* call.c: one system call, from its entry to its return to user space */
enum anonstat_syscall {
	ANONSTAT_SYS_MMAP,
	ANONSTAT_SYS_MUNMAP,
	ANONSTAT_SYS_MREMAP,
	ANONSTAT_SYS_BRK,
	ANONSTAT_NR_SYSCALLS
};

#define ANONSTAT_CALL_ARGS	5

struct anonstat_call {
	struct callback_head work;	/* task_work, run at the return to user space */
	unsigned int nr;		/* enum anonstat_syscall */
	unsigned long args[ANONSTAT_CALL_ARGS];
	unsigned long old_brk;		/* brk: mm->brk at entry */
};

extern atomic_t anonstat_calls_pending;
int anonstat_calls_init(void);
void anonstat_calls_exit(void);
void anonstat_call_begin(unsigned int nr);

/*
 * The accounting of one system call (or of a seeding), in process context
 * with the mm's mmap lock held for reading and, in the region functions,
 * proc->lock.
 */
struct anonstat_acct {
	struct anonstat_proc *proc;
	struct mm_struct *mm;
	struct anonstat_thread *thread;	/* the caller's, found when first needed */
	u64 now;
	unsigned int origin;		/* of the sites new regions go to */
	bool want_new;			/* the filters want new regions */
	bool have_cs;			/* cs taken (before proc->lock, see track.c) */
	bool changed;			/* a region was made, moved or released */
	struct anonstat_callsite cs;
	/* when set, new regions go to this site, whatever their kind */
	struct anonstat_site *fill_site;
};

/* track.c: the rules, and the counters they keep */
void anonstat_track_call(const struct anonstat_call *call, long ret);
void anonstat_track_exit_mmap(struct mm_struct *mm);
void anonstat_track_fork(struct task_struct *child);
void anonstat_seed_all(void);
extern bool anonstat_seeding_all;
void anonstat_account_lost(struct anonstat_proc *proc,
			   struct anonstat_site *site, unsigned long bytes);
void anonstat_account_map(struct anonstat_acct *a, struct anonstat_site *site,
			  u64 bytes);
void anonstat_account_grow(struct anonstat_acct *a, struct anonstat_site *site,
			   u64 bytes);
void anonstat_account_release(struct anonstat_acct *a,
			      struct anonstat_site *site, u64 bytes, bool whole);
void anonstat_region_count(struct anonstat_proc *proc,
			   struct anonstat_site *site, int delta);
void anonstat_release_pieces(struct anonstat_acct *a, struct anonstat_pieces *p);
void anonstat_insert_region(struct anonstat_proc *proc, struct anonstat_region *r);
bool anonstat_piece_is_whole(const struct anonstat_region *r);

/* reconcile.c */
struct vm_area_struct;
int anonstat_vma_kind(struct mm_struct *mm, struct vm_area_struct *vma);
bool anonstat_range_is_anon(struct mm_struct *mm, unsigned long start,
			    unsigned long end);
struct anonstat_site *anonstat_acct_site(struct anonstat_acct *a,
					 unsigned int kind);
void anonstat_release_range(struct anonstat_acct *a, unsigned long start,
			    unsigned long end);
void anonstat_new_region(struct anonstat_acct *a, struct anonstat_site *site,
			 unsigned long start, unsigned long end);
void anonstat_reconcile(struct anonstat_acct *a, unsigned long start,
			unsigned long end, bool fill);
void anonstat_seed(struct anonstat_acct *a, unsigned int origin,
		   unsigned long skip_start, unsigned long skip_end);

/* mremap.c */
void anonstat_track_mremap(struct anonstat_acct *a,
			   const struct anonstat_call *call, long ret);

/* probes.c */
int anonstat_probes_register(void);
void anonstat_probes_unregister(void);
void anonstat_probes_show(struct seq_file *m);
int anonstat_probes_arm(bool on);

/* debugfs.c */
int anonstat_debugfs_init(void);
void anonstat_debugfs_exit(void);

#endif /* ANONSTAT_H */
