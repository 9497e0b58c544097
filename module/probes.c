// SPDX-License-Identifier: GPL-2.0
/*
 * probes.c - the probes anonstat puts on the mm paths.
 *
 * Owns the probe table and the handlers.  Probes on the syscall entry
 * points (arch.h names them) see every mmap, munmap, mremap and brk a
 * process makes: their handlers only record the call (call.c), which is
 * accounted when it returns to user space.  exit_mmap sees every address
 * space torn down (exit and exec), and wake_up_new_task every forked child
 * before it first runs: kprobes, whose handlers do that work themselves.
 *
 * The syscall entries are ftrace callbacks: a kprobe on an ftrace site
 * costs about 175-200 instructions per call on its own (saved registers,
 * the kprobe core), the callback a few dozen, and no kretprobe is needed
 * (the return value is read at the return to user space), so there is no
 * instance limit either.  The callback runs under ftrace's recursion
 * protection (taken by the callback itself from 5.11, by ftrace before),
 * so with preemption disabled, as kprobe handlers do.
 *
 * Locking: the table is written only by anonstat_probes_register() and
 * anonstat_probes_unregister() (module init/exit) and armed or disarmed by
 * anonstat_probes_arm() under the control mutex.  Handlers and the status
 * reader touch only the atomic hit counters and the kprobe core's nmissed
 * fields; the status reader also reads each probe's armed flag, written
 * with WRITE_ONCE() by those two under the control mutex (or at load).
 * unregister_kprobe() and unregister_ftrace_function() wait for running
 * handlers, so none of this code runs after anonstat_probes_unregister()
 * returns (the calls it recorded are waited for by call.c).
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

/* not "probe_type": arm64 headers include linux/device/driver.h, which has one */
enum anonstat_probe_type {
	TYPE_KPROBE,
	TYPE_FTRACE,		/* an ftrace_ops callback */
};

struct anonstat_probe {
	const char *symbol;
	enum anonstat_probe_type type;
	bool attached;		/* registered with the kprobe core or ftrace */
	bool armed;		/* and its handler runs: not disabled, ops registered */
	unsigned int syscall;	/* TYPE_FTRACE: enum anonstat_syscall */
	atomic64_t hits;
	struct kprobe kp;
	struct ftrace_ops fops;
};

/*
 * 5.11 gave ftrace callbacks a struct ftrace_regs * instead of a struct
 * pt_regs *, and left recursion protection to the callback (with
 * ftrace_test_recursion_trylock(), which also disables preemption from
 * 5.15 on) instead of wrapping every callback that does not opt out; the
 * same release added linux/trace_recursion.h, which tells them apart here.
 * (FTRACE_OPS_FL_RECURSION would have ftrace wrap it instead, at the
 * price of one more indirect call per system call.)
 */
#if __has_include("linux/trace_recursion.h")
#include <linux/trace_recursion.h>
#define FTRACE_REGS_ARG		1
static void syscall_ftrace(unsigned long ip, unsigned long parent_ip,
			   struct ftrace_ops *op, struct ftrace_regs *fregs);
#else
static void syscall_ftrace(unsigned long ip, unsigned long parent_ip,
			   struct ftrace_ops *op, struct pt_regs *regs);
#endif
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

#define SYSCALL_PROBE(name, nr) {				\
	.symbol = ANONSTAT_SYSCALL(name),			\
	.type = TYPE_FTRACE,					\
	.syscall = nr,						\
	.fops = { .func = syscall_ftrace },			\
}

static struct anonstat_probe anonstat_probe_table[NR_PROBES] = {
	[PROBE_MMAP] = SYSCALL_PROBE("mmap", ANONSTAT_SYS_MMAP),
	[PROBE_MUNMAP] = SYSCALL_PROBE("munmap", ANONSTAT_SYS_MUNMAP),
	[PROBE_MREMAP] = SYSCALL_PROBE("mremap", ANONSTAT_SYS_MREMAP),
	[PROBE_BRK] = SYSCALL_PROBE("brk", ANONSTAT_SYS_BRK),
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
static bool hit(struct anonstat_probe *p)
{
	if (!READ_ONCE(anonstat_enabled))
		return false;
	atomic64_inc(&p->hits);
	return true;
}

/*
 * Entry of mmap, munmap, mremap or brk: a record for the accounting at the
 * return to user space (call.c), for a process the filters want or one
 * that has regions to release.
 */
static void syscall_entry(struct anonstat_probe *p)
{
	struct mm_struct *mm = current->mm;
	bool follow;

	if (!hit(p) || !mm)
		return;
	rcu_read_lock();
	follow = anonstat_filter_wants(current) || anonstat_proc_lookup(mm);
	rcu_read_unlock();
	if (follow)
		anonstat_call_begin(p->syscall);
}

#ifdef FTRACE_REGS_ARG
static void syscall_ftrace(unsigned long ip, unsigned long parent_ip,
			   struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	int bit = ftrace_test_recursion_trylock(ip, parent_ip);

	if (bit < 0)
		return;
	syscall_entry(container_of(op, struct anonstat_probe, fops));
	ftrace_test_recursion_unlock(bit);
}
#else
/* ftrace calls it with recursion protection and preemption disabled */
static void syscall_ftrace(unsigned long ip, unsigned long parent_ip,
			   struct ftrace_ops *op, struct pt_regs *regs)
{
	syscall_entry(container_of(op, struct anonstat_probe, fops));
}
#endif

static int exit_mmap_pre(struct kprobe *kp, struct pt_regs *regs)
{
	if (hit(&anonstat_probe_table[PROBE_EXIT_MMAP]))
		anonstat_track_exit_mmap((struct mm_struct *)anonstat_kernel_arg0(regs));
	return 0;
}

static int new_task_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct task_struct *child = (void *)anonstat_kernel_arg0(regs);

	/* a process of its own (not a thread, not CLONE_VM) of a user task */
	if (hit(&anonstat_probe_table[PROBE_NEW_TASK]) && child->mm &&
	    current->mm && child->mm != current->mm)
		anonstat_track_fork(child);
	return 0;
}

static struct kprobe *probe_kprobe(struct anonstat_probe *p)
{
	return &p->kp;
}

static const char *const type_names[] = {
	[TYPE_KPROBE] = "kprobe",
	[TYPE_FTRACE] = "ftrace",
};

/*
 * Hits the kprobe core missed: for a kprobe, hits inside another probe's
 * handler.  An ftrace callback is missed only by a recursive call, which a
 * system call entry never is, and ftrace does not count those: 0.
 */
static unsigned long probe_missed(const struct anonstat_probe *p)
{
	return p->type == TYPE_KPROBE ? p->kp.nmissed : 0;
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
	return register_kprobe(kp);
}

static void probe_unregister(struct anonstat_probe *p)
{
	if (!p->attached)
		return;
	if (p->type == TYPE_FTRACE) {
		ftrace_arm(p, false);
		ftrace_filter_free(p);
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
			pr_err("cannot attach the %s probe to %s on kernel %s: %d\n",
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
