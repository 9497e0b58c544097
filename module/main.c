// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - anonstat module entry, exit and parameters.
 *
 * Owns the order in which the parts of the module come up and go down:
 * settings, tables and debugfs first and the probes last on load; on
 * unload the probes go first (after that no handler runs), then debugfs
 * (after that no reader runs), then the tables, then an RCU barrier so that
 * no callback of ours is left pending.
 *
 * anonstat does not load on PREEMPT_RT kernels: its handlers run in probe
 * context with preemption disabled, and take spinlock_t locks and allocate
 * from the slab there; on RT both may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/utsname.h>

#include "anonstat.h"

module_param_named(enabled, anonstat_enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "Start with the probes armed (default 1)");
module_param_named(depth, anonstat_depth, uint, 0444);
MODULE_PARM_DESC(depth, "User frames per call site, 1..32 (default 16)");
module_param_named(max_regions, anonstat_max_regions, uint, 0444);
MODULE_PARM_DESC(max_regions, "Regions tracked in all (default 1000000)");
module_param_named(max_sites, anonstat_max_sites, uint, 0444);
MODULE_PARM_DESC(max_sites, "Call sites tracked in all (default 100000)");
module_param_named(retain_exited, anonstat_retain_exited, uint, 0444);
MODULE_PARM_DESC(retain_exited, "Exited processes kept listed (default 64)");
module_param_named(max_unwind_mib, anonstat_max_unwind_mib, uint, 0444);
MODULE_PARM_DESC(max_unwind_mib, "Memory for the unwind tables of user code, MiB (default 64)");

static char *pids;
module_param(pids, charp, 0444);
MODULE_PARM_DESC(pids, "Only these processes get new regions: PID[,PID...] (default all)");
static char *comm;
module_param(comm, charp, 0444);
MODULE_PARM_DESC(comm, "Only processes with this name get new regions (default all)");

static void anonstat_tables_exit(void)
{
	anonstat_procs_reset();
	anonstat_control_exit();
	rcu_barrier();
	anonstat_region_cache_exit();
}

static int __init anonstat_init(void)
{
	int ret;

	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		pr_err("not loading on PREEMPT_RT: probe handlers take spinlock_t and allocate with preemption off, which sleeps there\n");
		return -EOPNOTSUPP;
	}
	ret = anonstat_control_init(pids, comm);
	if (ret)
		return ret;
	ret = anonstat_region_cache_init();
	if (ret)
		goto err_control;
	ret = anonstat_calls_init();
	if (ret)
		goto err_tables;
	ret = anonstat_debugfs_init();
	if (ret)
		goto err_calls;
	/* what calls find before the seeding reaches them was there before */
	WRITE_ONCE(anonstat_seeding_all, READ_ONCE(anonstat_enabled));
	ret = anonstat_probes_register();
	if (ret)
		goto err_debugfs;
	/* every process there is, now that the probes see every change */
	if (READ_ONCE(anonstat_enabled))
		anonstat_seed_all();

	pr_info("version %s loaded on %s\n", ANONSTAT_VERSION,
		init_utsname()->release);
	return 0;

err_debugfs:
	anonstat_debugfs_exit();
err_calls:
	anonstat_calls_exit();
	anonstat_unwind_exit();
err_tables:
	anonstat_tables_exit();
	return ret;
err_control:
	anonstat_control_exit();
	rcu_barrier();
	return ret;
}

static void __exit anonstat_exit(void)
{
	anonstat_probes_unregister();
	anonstat_calls_exit();
	anonstat_debugfs_exit();
	anonstat_tables_exit();
	anonstat_unwind_exit();
	pr_info("unloaded\n");
}

module_init(anonstat_init);
module_exit(anonstat_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("anonstat developers");
MODULE_DESCRIPTION("Per-call-site accounting of anonymous memory mappings");
MODULE_VERSION(ANONSTAT_VERSION);
