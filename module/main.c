// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - anonstat module entry and exit.
 *
 * Owns the order in which the parts of the module come up and go down:
 * debugfs first and probes last on load, the reverse on unload, so that no
 * probe handler can run against state that is not there yet or any more.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/utsname.h>

#include "anonstat.h"

static int __init anonstat_init(void)
{
	int ret;

	ret = anonstat_debugfs_init();
	if (ret)
		return ret;

	ret = anonstat_probes_register();
	if (ret) {
		anonstat_debugfs_exit();
		return ret;
	}

	pr_info("version %s loaded on %s\n", ANONSTAT_VERSION,
		init_utsname()->release);
	return 0;
}

static void __exit anonstat_exit(void)
{
	anonstat_probes_unregister();
	anonstat_debugfs_exit();
	pr_info("unloaded\n");
}

module_init(anonstat_init);
module_exit(anonstat_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("anonstat developers");
MODULE_DESCRIPTION("Per-call-site accounting of anonymous memory mappings");
MODULE_VERSION(ANONSTAT_VERSION);
