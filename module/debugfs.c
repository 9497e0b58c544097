// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/anonstat/ and its readers.
 *
 * Owns the debugfs directory and every file in it.  Each reader is a
 * seq_file.  debugfs_remove() waits for readers that are inside a file
 * operation, so after anonstat_debugfs_exit() returns no reader can touch
 * module state.  The formats are specified in module/debugfs-format.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/utsname.h>

#include "anonstat.h"

static struct dentry *anonstat_dir;

static int status_show(struct seq_file *m, void *v)
{
	seq_puts(m, "# key value...\n");
	seq_printf(m, "version %s\n", ANONSTAT_VERSION);
	seq_printf(m, "kernel %s\n", init_utsname()->release);
	anonstat_probes_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

int anonstat_debugfs_init(void)
{
	struct dentry *dir;

	dir = debugfs_create_dir("anonstat", NULL);
	if (IS_ERR_OR_NULL(dir)) {
		pr_err("cannot create debugfs directory anonstat: %ld\n",
		       dir ? PTR_ERR(dir) : -ENOMEM);
		return dir ? PTR_ERR(dir) : -ENOMEM;
	}
	anonstat_dir = dir;
	debugfs_create_file("status", 0400, dir, NULL, &status_fops);
	return 0;
}

void anonstat_debugfs_exit(void)
{
	debugfs_remove(anonstat_dir);
	anonstat_dir = NULL;
}
