// SPDX-License-Identifier: GPL-2.0
/*
 * call.c - a system call from its entry to its return to user space.
 *
 * Owns struct anonstat_call and its kmem_cache.  The entry probe of mmap,
 * munmap, mremap and brk (probes.c) records what the call asked for and
 * queues the record as a task_work of the calling task (TWA_RESUME): the
 * kernel runs it in process context once the system call is done, before
 * the task goes back to user space, and there the call is accounted
 * against the VMA tree (track.c).  At that point:
 *
 *  - the return value is in the saved user registers: signals are only
 *    delivered after pending task_works have run (get_signal() runs them
 *    first), so no signal frame or restart has touched them yet;
 *  - the user stack and registers are as they were at entry, so the call
 *    stack is taken there, and only for calls that make a region;
 *  - the accounting may sleep: it takes the mmap lock for reading.
 *
 * A task that dies inside the call runs the work from do_exit() after its
 * mm is gone (current->mm is NULL): the record is only freed; exit_mmap()
 * released the regions.  If no record can be allocated, or task_work_add()
 * fails, the call is not accounted and "drop nomem" says so.
 *
 * Unloading: a queued task_work cannot be taken back by a module (no
 * task_work_cancel*() is exported), so anonstat_calls_exit(), after the
 * probes are gone, waits until every queued record has run (a call is in
 * flight for as long as its system call: a task blocked inside mmap holds
 * up rmmod, which says so in the kernel log every 5 seconds).  The work function ends with the last
 * access to module memory; the few instructions that return from it run
 * after anonstat_calls_pending reaches zero, so exit then waits for an
 * RCU-tasks grace period, in which every task leaves such code: with
 * CONFIG_TASKS_RCU (which kprobes and ftrace select on every preemptible
 * kernel) synchronize_rcu_tasks(), without it the kernel does not preempt
 * kernel code and synchronize_rcu() is enough.
 *
 * Locking: none of its own; anonstat_calls_pending is atomic.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "anonstat.h"
#include "arch.h"

atomic_t anonstat_calls_pending = ATOMIC_INIT(0);
static struct kmem_cache *anonstat_call_cache;
/*
 * One free record per CPU, so that a call costs no slab round trip: taken
 * at entry (preemption is off there) and put back when the call is done,
 * both with one this_cpu_xchg()/this_cpu_cmpxchg(); any other record goes
 * back to the slab.  Records are not in anonstat_memory (the tables'
 * memory): there are at most one per CPU and one per call in flight.
 */
static DEFINE_PER_CPU(struct anonstat_call *, anonstat_call_spare);

int anonstat_calls_init(void)
{
	anonstat_call_cache = KMEM_CACHE(anonstat_call, 0);
	return anonstat_call_cache ? 0 : -ENOMEM;
}

static struct anonstat_call *call_alloc(void)
{
	struct anonstat_call *call = this_cpu_xchg(anonstat_call_spare, NULL);

	if (call)
		return call;
	return kmem_cache_alloc(anonstat_call_cache, ANONSTAT_GFP);
}

static void call_free(struct anonstat_call *call)
{
	if (this_cpu_cmpxchg(anonstat_call_spare, NULL, call))
		kmem_cache_free(anonstat_call_cache, call);
	/* the last access to module memory (see the top of the file) */
	atomic_dec(&anonstat_calls_pending);
}

/* The task_work: current returns to user space from the call. */
static void call_run(struct callback_head *work)
{
	struct anonstat_call *call = container_of(work, struct anonstat_call, work);

	if (current->mm)
		anonstat_track_call(call, regs_return_value(current_pt_regs()));
	call_free(call);
}

/*
 * Entry of system call @nr in current (probe context: never sleeps).  The
 * arguments are read from the user registers.
 */
void anonstat_call_begin(unsigned int nr)
{
	struct pt_regs *u = current_pt_regs();
	struct anonstat_call *call;
	unsigned int i;

	call = call_alloc();
	if (!call) {
		anonstat_drop(ANONSTAT_DROP_NOMEM, 1);
		return;
	}
	call->nr = nr;
	for (i = 0; i < ANONSTAT_CALL_ARGS; i++)
		call->args[i] = anonstat_syscall_arg(u, i);
	call->old_brk = nr == ANONSTAT_SYS_BRK ? READ_ONCE(current->mm->brk) : 0;
	init_task_work(&call->work, call_run);
	atomic_inc(&anonstat_calls_pending);
	if (task_work_add(current, &call->work, TWA_RESUME)) {
		/* current is exiting: exit_mmap() releases everything */
		call_free(call);
	}
}

/*
 * Unload, after the probes are gone: wait for the calls still in flight
 * (polled: a wake-up on every call's end would cost each call more than
 * this loop costs an unload).
 */
void anonstat_calls_exit(void)
{
	unsigned int waited = 0;
	int cpu, n;

	while ((n = atomic_read(&anonstat_calls_pending))) {
		msleep(20);
		if (++waited % 250 == 0)
			pr_info("unloading: waiting for %d system calls to return to user space\n",
				n);
	}
#ifdef CONFIG_TASKS_RCU
	synchronize_rcu_tasks();
#else
	synchronize_rcu();
#endif
	for_each_possible_cpu(cpu) {
		struct anonstat_call *call = per_cpu(anonstat_call_spare, cpu);

		if (call) {
			kmem_cache_free(anonstat_call_cache, call);
			per_cpu(anonstat_call_spare, cpu) = NULL;
		}
	}
	kmem_cache_destroy(anonstat_call_cache);
}
