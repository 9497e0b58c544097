// SPDX-License-Identifier: GPL-2.0
/*
 * probes.c - the probes anonstat puts on the mm paths.
 *
 * Owns the probe table and the handlers.  The handlers decode the system
 * call's arguments from the user registers (current_pt_regs(): the same on
 * every kernel version), check them as the kernel would before it changes
 * anything, and hand the event to track.c.  Probes on the syscall entry
 * points (arch.h names them) see every mmap, munmap, mremap and brk a
 * process makes; exit_mmap sees every address space torn down (exit and
 * exec), and wake_up_new_task every forked child before it first runs.
 *
 * Most are kprobes, or kretprobes where the return value matters.  munmap,
 * the most frequent probe that needs no return, is an ftrace callback
 * instead: a kprobe on an ftrace site costs about 175-200 instructions per
 * call on its own (saved registers, the kprobe core), the callback a few
 * dozen; the handler reads the user registers from current_pt_regs()
 * either way.  The callback runs under ftrace's recursion protection
 * (taken by the callback itself from 5.11, by ftrace before), so with
 * preemption disabled, as kprobe handlers do.
 *
 * Locking: the table is written only by anonstat_probes_register() and
 * anonstat_probes_unregister() (module init/exit) and armed or disarmed by
 * anonstat_probes_arm() under the control mutex.  Handlers and the status
 * reader touch only the atomic hit counters and the kprobe core's nmissed
 * fields; the status reader also reads each probe's armed flag, written
 * with WRITE_ONCE() by those two under the control mutex (or at load).
 * unregister_k(ret)probe() and unregister_ftrace_function() wait for
 * running handlers, so none of this code runs after
 * anonstat_probes_unregister() returns; a kretprobe instance still in the
 * kernel then never comes back to us.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "anonstat.h"
#include "arch.h"

/* kretprobe instances: per possible CPU, and at least this many. */
#define KRETPROBE_INSTANCES_PER_CPU	16
#define KRETPROBE_INSTANCES_MIN		64

/* not "probe_type": arm64 headers include linux/device/driver.h, which has one */
enum anonstat_probe_type {
	TYPE_KPROBE,
	TYPE_KRETPROBE,
	TYPE_FTRACE,		/* an ftrace_ops callback */
};

struct anonstat_probe {
	const char *symbol;
	enum anonstat_probe_type type;
	bool attached;		/* registered with the kprobe core or ftrace */
	bool armed;		/* and its handler runs: not disabled, ops registered */
	atomic64_t hits;
	struct kprobe kp;
	struct kretprobe krp;
	struct ftrace_ops fops;
};

/* What mmap's entry leaves for its return. */
struct mmap_call {
	unsigned long len;
	unsigned int kind;
	struct anonstat_callsite cs;
};

/* What brk's entry leaves for its return. */
struct brk_call {
	unsigned long old_brk;
	unsigned long new_brk;
	struct anonstat_callsite cs;
};

static int mmap_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
static int mmap_return(struct kretprobe_instance *ri, struct pt_regs *regs);
/*
 * 5.11 gave ftrace callbacks a struct ftrace_regs * instead of a struct
 * pt_regs *, and left recursion protection to the callback (with
 * ftrace_test_recursion_trylock(), which also disables preemption from
 * 5.15 on) instead of wrapping every callback that does not opt out; the
 * same release added linux/trace_recursion.h, which tells them apart here.
 * (FTRACE_OPS_FL_RECURSION would have ftrace wrap it instead, at the
 * price of one more indirect call per munmap.)
 */
#if __has_include("linux/trace_recursion.h")
#include <linux/trace_recursion.h>
#define FTRACE_REGS_ARG		1
static void munmap_ftrace(unsigned long ip, unsigned long parent_ip,
			  struct ftrace_ops *op, struct ftrace_regs *fregs);
#else
static void munmap_ftrace(unsigned long ip, unsigned long parent_ip,
			  struct ftrace_ops *op, struct pt_regs *regs);
#endif
static int mremap_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
static int mremap_return(struct kretprobe_instance *ri, struct pt_regs *regs);
static int brk_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
static int brk_return(struct kretprobe_instance *ri, struct pt_regs *regs);
static int exit_mmap_pre(struct kprobe *kp, struct pt_regs *regs);
static int new_task_pre(struct kprobe *kp, struct pt_regs *regs);

enum {
	PROBE_MMAP,
	PROBE_MUNMAP,
	PROBE_MREMAP,
	PROBE_BRK,
	PROBE_EXIT_MMAP,
	PROBE_NEW_TASK,
	NR_PROBES
};

static struct anonstat_probe anonstat_probe_table[NR_PROBES] = {
	[PROBE_MMAP] = {
		.symbol = ANONSTAT_SYSCALL("mmap"),
		.type = TYPE_KRETPROBE,
		.krp = {
			.entry_handler = mmap_entry,
			.handler = mmap_return,
			.data_size = sizeof(struct mmap_call),
		},
	},
	[PROBE_MUNMAP] = {
		.symbol = ANONSTAT_SYSCALL("munmap"),
		.type = TYPE_FTRACE,
		.fops = { .func = munmap_ftrace },
	},
	[PROBE_MREMAP] = {
		.symbol = ANONSTAT_SYSCALL("mremap"),
		.type = TYPE_KRETPROBE,
		.krp = {
			.entry_handler = mremap_entry,
			.handler = mremap_return,
			.data_size = sizeof(struct anonstat_mremap_call),
		},
	},
	[PROBE_BRK] = {
		.symbol = ANONSTAT_SYSCALL("brk"),
		.type = TYPE_KRETPROBE,
		.krp = {
			.entry_handler = brk_entry,
			.handler = brk_return,
			.data_size = sizeof(struct brk_call),
		},
	},
	[PROBE_EXIT_MMAP] = {
		.symbol = "exit_mmap",
		.kp = { .pre_handler = exit_mmap_pre },
	},
	[PROBE_NEW_TASK] = {
		.symbol = "wake_up_new_task",
		.kp = { .pre_handler = new_task_pre },
	},
};

/*
 * Count a hit; false when accounting is disabled (a handler can still run
 * for a moment after "disable" while the probes are being disarmed).
 */
static bool hit(unsigned int probe)
{
	if (!READ_ONCE(anonstat_enabled))
		return false;
	atomic64_inc(&anonstat_probe_table[probe].hits);
	return true;
}

static void capture(struct anonstat_callsite *cs)
{
	anonstat_callsite_capture(cs, READ_ONCE(anonstat_depth));
}

/* Length of an mmap as the kernel rounds it; 0 when the call will fail. */
static unsigned long mmap_length(unsigned long flags, unsigned long len)
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

static unsigned int mmap_kind(unsigned long flags)
{
	if (flags & MAP_HUGETLB)
		return ANONSTAT_KIND_HUGE;
	if ((flags & MAP_TYPE) == MAP_PRIVATE)
		return ANONSTAT_KIND_PRIVATE;
	return ANONSTAT_KIND_SHARED;
}

/* Is [addr, addr + len) a page-aligned range of user space? */
static bool user_range_ok(unsigned long addr, unsigned long len)
{
	return !(addr & ~PAGE_MASK) && len && len <= TASK_SIZE_MAX &&
	       addr <= TASK_SIZE_MAX - len;
}

static int mmap_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mmap_call *call = (struct mmap_call *)ri->data;
	struct pt_regs *u = current_pt_regs();
	unsigned long addr = anonstat_syscall_arg(u, 0);
	unsigned long flags = anonstat_syscall_arg(u, 3), len;

	if (!hit(PROBE_MMAP) || !current->mm)
		return 1;
	len = mmap_length(flags, anonstat_syscall_arg(u, 1));
	if (!len)
		return 1;
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE) &&
	    user_range_ok(addr, len))
		anonstat_track_release(addr, len, ANONSTAT_UNTRACKED_MMAP_FIXED);
	if (!(flags & MAP_ANONYMOUS) || !anonstat_filter_wants(current))
		return 1;
	call->len = len;
	call->kind = mmap_kind(flags);
	capture(&call->cs);
	return 0;
}

static int mmap_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct mmap_call *call = (struct mmap_call *)ri->data;
	unsigned long ret = regs_return_value(regs);

	if (!IS_ERR_VALUE(ret))
		anonstat_track_map(ret, call->len, call->kind, &call->cs);
	return 0;
}

static void munmap_entry(void)
{
	struct pt_regs *u = current_pt_regs();
	unsigned long addr = anonstat_syscall_arg(u, 0);
	unsigned long len = PAGE_ALIGN(anonstat_syscall_arg(u, 1));

	if (hit(PROBE_MUNMAP) && current->mm && user_range_ok(addr, len))
		anonstat_track_release(addr, len, ANONSTAT_UNTRACKED_MUNMAP);
}

#ifdef FTRACE_REGS_ARG
static void munmap_ftrace(unsigned long ip, unsigned long parent_ip,
			  struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	int bit = ftrace_test_recursion_trylock(ip, parent_ip);

	if (bit < 0)
		return;
	munmap_entry();
	ftrace_test_recursion_unlock(bit);
}
#else
/* ftrace calls it with recursion protection and preemption disabled */
static void munmap_ftrace(unsigned long ip, unsigned long parent_ip,
			  struct ftrace_ops *op, struct pt_regs *regs)
{
	munmap_entry();
}
#endif

/* The checks mremap makes before it changes anything. */
static bool mremap_args_ok(struct anonstat_mremap_call *c)
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
	if ((c->flags & MREMAP_FIXED) && !user_range_ok(c->new_addr, c->new_len))
		return false;
	return true;
}

static int mremap_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct anonstat_mremap_call *call = (void *)ri->data;
	struct pt_regs *u = current_pt_regs();

	if (!hit(PROBE_MREMAP) || !current->mm)
		return 1;
	call->addr = anonstat_syscall_arg(u, 0);
	call->old_len = anonstat_syscall_arg(u, 1);
	call->new_len = anonstat_syscall_arg(u, 2);
	call->flags = anonstat_syscall_arg(u, 3);
	call->new_addr = anonstat_syscall_arg(u, 4);
	call->inflight = NULL;
	if (!mremap_args_ok(call))
		return 1;
	/* the call site, if a new region needs one, is captured at return */
	call->track_new = anonstat_filter_wants(current);
	return anonstat_track_mremap_begin(call) ? 0 : 1;
}

static int mremap_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	anonstat_track_mremap_end((void *)ri->data, regs_return_value(regs));
	return 0;
}

static int brk_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct brk_call *call = (struct brk_call *)ri->data;
	struct mm_struct *mm = current->mm;
	unsigned long new_brk = anonstat_syscall_arg(current_pt_regs(), 0);
	unsigned long old_top, new_top;

	if (!hit(PROBE_BRK) || !mm || new_brk < READ_ONCE(mm->start_brk) ||
	    new_brk > TASK_SIZE_MAX - PAGE_SIZE)
		return 1;
	call->old_brk = READ_ONCE(mm->brk);
	call->new_brk = new_brk;
	old_top = PAGE_ALIGN(call->old_brk);
	new_top = PAGE_ALIGN(new_brk);
	if (new_top < old_top) {
		anonstat_track_release(new_top, old_top - new_top,
				       ANONSTAT_UNTRACKED_BRK);
		return 1;
	}
	if (new_top == old_top || !anonstat_filter_wants(current))
		return 1;
	capture(&call->cs);
	return 0;
}

static int brk_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct brk_call *call = (struct brk_call *)ri->data;
	unsigned long old_top = PAGE_ALIGN(call->old_brk);

	/* brk returns the new break on success, the old one on failure */
	if (regs_return_value(regs) == call->new_brk)
		anonstat_track_map(old_top, PAGE_ALIGN(call->new_brk) - old_top,
				   ANONSTAT_KIND_BRK, &call->cs);
	return 0;
}

static int exit_mmap_pre(struct kprobe *kp, struct pt_regs *regs)
{
	if (hit(PROBE_EXIT_MMAP))
		anonstat_track_exit_mmap((struct mm_struct *)anonstat_kernel_arg0(regs));
	return 0;
}

static int new_task_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct task_struct *child = (void *)anonstat_kernel_arg0(regs);

	/* a process of its own (not a thread, not CLONE_VM) of a user task */
	if (hit(PROBE_NEW_TASK) && child->mm && current->mm &&
	    child->mm != current->mm)
		anonstat_track_fork(child);
	return 0;
}

/* The kprobe of a kprobe or kretprobe. */
static struct kprobe *probe_kprobe(struct anonstat_probe *p)
{
	return p->type == TYPE_KRETPROBE ? &p->krp.kp : &p->kp;
}

static const char *const type_names[] = {
	[TYPE_KPROBE] = "kprobe",
	[TYPE_KRETPROBE] = "kretprobe",
	[TYPE_FTRACE] = "ftrace",
};

/*
 * Hits the kprobe core missed.  For a kprobe: hits inside another probe's
 * handler.  For a kretprobe: calls that found no free instance, so neither
 * handler ran.  (Its kprobe's own nmissed is left out: a syscall entry is
 * never hit inside a handler, and before 5.14 the kprobe core counted there
 * each page fault the entry handler takes reading the user stack.)  An
 * ftrace callback is missed only by a recursive call, which munmap's never
 * is, and ftrace does not count those: 0.
 */
static unsigned long probe_missed(const struct anonstat_probe *p)
{
	switch (p->type) {
	case TYPE_KPROBE:
		return p->kp.nmissed;
	case TYPE_KRETPROBE:
		return p->krp.nmissed;
	default:
		return 0;
	}
}

/*
 * The order probes are registered in: everything that takes regions out
 * before what puts them in, so that no region is made whose release is
 * not seen.  Unregistering goes the other way.
 */
static const unsigned int register_order[NR_PROBES] = {
	PROBE_MUNMAP, PROBE_EXIT_MMAP, PROBE_NEW_TASK, PROBE_MREMAP, PROBE_BRK,
	PROBE_MMAP,
};

/* Register (when armed) or unregister @p's ftrace_ops. */
static int ftrace_arm(struct anonstat_probe *p, bool on)
{
	int ret = 0;

	if (on && !p->armed)
		ret = register_ftrace_function(&p->fops);
	else if (!on && p->armed)
		ret = unregister_ftrace_function(&p->fops);
	if (!ret)
		WRITE_ONCE(p->armed, on);
	return ret;
}

/*
 * Free the filter of @p's ops, which is not registered.  Emptying it frees
 * its entries (ftrace_free_filter() is not exported before 6.1).
 */
static void ftrace_filter_free(struct anonstat_probe *p)
{
	ftrace_set_filter(&p->fops, NULL, 0, 1);
}

static int ftrace_register(struct anonstat_probe *p)
{
	char symbol[KSYM_NAME_LEN];	/* ftrace_set_filter() wants it writable */
	int ret;

	strscpy(symbol, p->symbol, sizeof(symbol));
	ret = ftrace_set_filter(&p->fops, symbol, strlen(symbol), 1);
	if (!ret && READ_ONCE(anonstat_enabled))
		ret = ftrace_arm(p, true);
	if (ret)
		ftrace_filter_free(p);
	return ret;
}

static int probe_register(struct anonstat_probe *p)
{
	struct kprobe *kp = probe_kprobe(p);

	if (p->type == TYPE_FTRACE)
		return ftrace_register(p);
	kp->symbol_name = p->symbol;
	if (!READ_ONCE(anonstat_enabled))
		kp->flags |= KPROBE_FLAG_DISABLED;
	if (p->type == TYPE_KRETPROBE) {
		p->krp.maxactive = max_t(int, KRETPROBE_INSTANCES_MIN,
					 KRETPROBE_INSTANCES_PER_CPU *
					 num_possible_cpus());
		return register_kretprobe(&p->krp);
	}
	return register_kprobe(kp);
}

static void probe_unregister(struct anonstat_probe *p)
{
	if (!p->attached)
		return;
	if (p->type == TYPE_FTRACE) {
		ftrace_arm(p, false);
		ftrace_filter_free(p);
	} else if (p->type == TYPE_KRETPROBE) {
		unregister_kretprobe(&p->krp);
	} else {
		unregister_kprobe(&p->kp);
	}
	WRITE_ONCE(p->armed, false);
	p->attached = false;
}

/*
 * Attach every probe.  The accounting needs all of them: if one cannot be
 * attached, none stays and the module does not load.
 */
int anonstat_probes_register(void)
{
	int i, ret;

	for (i = 0; i < NR_PROBES; i++) {
		struct anonstat_probe *p = &anonstat_probe_table[register_order[i]];

		atomic64_set(&p->hits, 0);
		ret = probe_register(p);
		if (!ret && p->type != TYPE_FTRACE)
			WRITE_ONCE(p->armed, READ_ONCE(anonstat_enabled));
		if (ret) {
			pr_err("cannot attach a %s to %s on kernel %s: %d\n",
			       type_names[p->type],
			       p->symbol, init_utsname()->release, ret);
			anonstat_probes_unregister();
			return ret;
		}
		p->attached = true;
	}
	return 0;
}

/*
 * Arm or disarm the registered probes (control "enable"/"disable"): armed
 * release side first, disarmed in the other order, for the same reason as
 * register_order.  Disarmed probes cost the probed functions nothing.
 * Arming can fail (an ftrace_ops needs memory to register): then nothing
 * stays armed and the error is returned.  May sleep.
 */
int anonstat_probes_arm(bool on)
{
	int i, ret = 0;

	for (i = 0; i < NR_PROBES; i++) {
		struct anonstat_probe *p;

		p = &anonstat_probe_table[register_order[on ? i : NR_PROBES - 1 - i]];
		if (!p->attached)
			continue;
		if (p->type == TYPE_FTRACE)
			ret = ftrace_arm(p, on);
		else if (on)
			ret = enable_kprobe(probe_kprobe(p));
		else
			disable_kprobe(probe_kprobe(p));
		if (!ret && p->type != TYPE_FTRACE)
			WRITE_ONCE(p->armed, on);
		if (on && ret) {
			pr_err("cannot arm the %s on %s: %d\n",
			       type_names[p->type], p->symbol, ret);
			anonstat_probes_arm(false);
			return ret;
		}
	}
	return 0;
}

void anonstat_probes_unregister(void)
{
	int i;

	for (i = NR_PROBES - 1; i >= 0; i--)
		probe_unregister(&anonstat_probe_table[register_order[i]]);
}

/*
 * One line per probe.  "attached" means its handler runs: registered and
 * armed.  After "disable" every probe is disarmed (still registered, but
 * costing the probed function nothing and seeing nothing): "detached".
 */
void anonstat_probes_show(struct seq_file *m)
{
	const struct anonstat_probe *p;

	for (p = anonstat_probe_table; p < anonstat_probe_table + NR_PROBES; p++)
		seq_printf(m, "probe %s %s %s %lld %lu\n", p->symbol,
			   type_names[p->type],
			   READ_ONCE(p->armed) ? "attached" : "detached",
			   (long long)atomic64_read(&p->hits), probe_missed(p));
}
