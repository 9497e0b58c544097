// SPDX-License-Identifier: GPL-2.0
/*
 * probes.c - the kprobes and kretprobes anonstat puts on the mm paths.
 *
 * Owns the probe table: which kernel symbols are probed, how (kprobe or
 * kretprobe), whether the probe is required, and its hit counter.  The
 * handlers themselves stay small and hand the event to the accounting code.
 *
 * Locking: the table is written only by anonstat_probes_register() and
 * anonstat_probes_unregister(), which run in module init/exit and cannot
 * race with each other.  Handlers and the status reader touch only the
 * atomic hit counters and the kprobe core's own nmissed fields.
 * unregister_kretprobe() waits for running handlers, so nothing here runs
 * after anonstat_probes_unregister() returns.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/seq_file.h>
#include <linux/utsname.h>

#include "anonstat.h"

/* Concurrent instances of a kretprobe per possible CPU: mmap may sleep. */
#define ANONSTAT_KRETPROBE_INSTANCES_PER_CPU	8

struct anonstat_probe {
	const char *symbol;
	bool is_kretprobe;
	bool required;		/* insmod fails if this one cannot attach */
	bool attached;
	atomic64_t hits;
	struct kprobe kp;
	struct kretprobe krp;
};

static int mmap_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
static int mmap_return(struct kretprobe_instance *ri, struct pt_regs *regs);

/* The mmap system call: entry (user pt_regs in di) and return value. */
static struct anonstat_probe anonstat_probe_table[] = {
	{
		.symbol = "__x64_sys_mmap",
		.is_kretprobe = true,
		.required = true,
		.krp = {
			.entry_handler = mmap_entry,
			.handler = mmap_return,
		},
	},
};

#define PROBE_MMAP (&anonstat_probe_table[0])

static int mmap_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic64_inc(&PROBE_MMAP->hits);
	return 0;
}

static int mmap_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static unsigned long probe_missed(const struct anonstat_probe *p)
{
	if (p->is_kretprobe)
		return p->krp.nmissed + p->krp.kp.nmissed;
	return p->kp.nmissed;
}

static int probe_register(struct anonstat_probe *p)
{
	if (p->is_kretprobe) {
		p->krp.kp.symbol_name = p->symbol;
		p->krp.maxactive = ANONSTAT_KRETPROBE_INSTANCES_PER_CPU *
				   num_possible_cpus();
		return register_kretprobe(&p->krp);
	}
	p->kp.symbol_name = p->symbol;
	return register_kprobe(&p->kp);
}

static void probe_unregister(struct anonstat_probe *p)
{
	if (!p->attached)
		return;
	if (p->is_kretprobe)
		unregister_kretprobe(&p->krp);
	else
		unregister_kprobe(&p->kp);
	p->attached = false;
}

int anonstat_probes_register(void)
{
	struct anonstat_probe *p;
	int ret;

	for (p = anonstat_probe_table;
	     p < anonstat_probe_table + ARRAY_SIZE(anonstat_probe_table); p++) {
		atomic64_set(&p->hits, 0);
		ret = probe_register(p);
		if (ret) {
			pr_err("cannot attach %s to %s on %s: %d\n",
			       p->is_kretprobe ? "kretprobe" : "kprobe",
			       p->symbol, init_utsname()->release, ret);
			if (p->required) {
				anonstat_probes_unregister();
				return ret;
			}
			continue;
		}
		p->attached = true;
	}
	return 0;
}

void anonstat_probes_unregister(void)
{
	struct anonstat_probe *p;

	for (p = anonstat_probe_table;
	     p < anonstat_probe_table + ARRAY_SIZE(anonstat_probe_table); p++)
		probe_unregister(p);
}

void anonstat_probes_show(struct seq_file *m)
{
	const struct anonstat_probe *p;

	for (p = anonstat_probe_table;
	     p < anonstat_probe_table + ARRAY_SIZE(anonstat_probe_table); p++)
		seq_printf(m, "probe %s %s %s %lld %lu\n", p->symbol,
			   p->is_kretprobe ? "kretprobe" : "kprobe",
			   p->attached ? "attached" : "detached",
			   (long long)atomic64_read(&p->hits), probe_missed(p));
}
