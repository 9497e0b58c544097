/* SPDX-License-Identifier: GPL-2.0 */
/*
 * anonstat.h - declarations shared by the files of anonstat.ko.
 *
 * anonstat accounts anonymous memory mappings made by user space, per
 * process, per thread and per user call site, and shows the result in
 * debugfs.  Each concern lives in its own file:
 *
 *   main.c     module init/exit, version
 *   probes.c   the kprobes/kretprobes on the mm paths, their hit counters
 *   debugfs.c  /sys/kernel/debug/anonstat/ and its seq_file readers
 *
 * The text formats written to debugfs are specified in module/debugfs-format.md.
 */
#ifndef ANONSTAT_H
#define ANONSTAT_H

#include <linux/types.h>

#define ANONSTAT_VERSION "0.1.0"

struct seq_file;

/* probes.c */
int anonstat_probes_register(void);
void anonstat_probes_unregister(void);
void anonstat_probes_show(struct seq_file *m);

/* debugfs.c */
int anonstat_debugfs_init(void);
void anonstat_debugfs_exit(void);

#endif /* ANONSTAT_H */
