// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/anonstat/ and its readers.
 *
 * Owns the debugfs directory, the seq_file readers of status, procs,
 * threads, sites and regions, and the control file.  The formats are
 * specified in module/debugfs-format.md.
 *
 * The table readers walk live processes (by pid) and then exited ones (by
 * exit order), and inside each process its threads (by tid), sites (by id)
 * or regions (by start).  Between start() and stop() a reader holds
 * anonstat_procs_lock and the current process's proc->lock, that is for
 * one buffer of output at most; copy_to_user() happens after stop().  A
 * reader remembers where it is as keys (process key, record key), so the
 * next read() resumes after the last record it showed even if records came
 * and went in between.  For threads and sites, which are freed only with
 * their process, it also remembers the record itself with its process's
 * uid, and resumes from it without walking the list from the head when
 * that process is found again: reading them is linear in the lines.
 *
 * debugfs_remove() waits for readers inside a file operation, so after
 * anonstat_debugfs_exit() returns no reader touches module state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>

#include "anonstat.h"

static struct dentry *anonstat_dir;

/* ---- status ---- */

static int status_show(struct seq_file *m, void *v)
{
	seq_puts(m, "# key value...\n");
	seq_printf(m, "version %s\n", ANONSTAT_VERSION);
	seq_printf(m, "kernel %s\n", init_utsname()->release);
	anonstat_control_show(m);
	seq_printf(m, "processes %d\n", atomic_read(&anonstat_nr_procs));
	seq_printf(m, "processes_exited %d\n", atomic_read(&anonstat_nr_exited));
	seq_printf(m, "threads %d\n", atomic_read(&anonstat_nr_threads));
	seq_printf(m, "sites %d\n", atomic_read(&anonstat_nr_sites));
	seq_printf(m, "regions %d\n", atomic_read(&anonstat_nr_regions));
	seq_printf(m, "memory_bytes %ld\n", atomic_long_read(&anonstat_memory));
	anonstat_counters_show(m);
	anonstat_unwind_show(m);
	anonstat_walks_show(m);
	anonstat_probes_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(status);

/* ---- the table readers ---- */

/* How one file's records hang off a process. */
struct table_ops {
	const char *header;
	void *(*first)(struct anonstat_proc *proc, u64 key);	/* key >= @key */
	void *(*next)(struct anonstat_proc *proc, void *rec);
	u64 (*key)(void *rec);
	void (*show)(struct seq_file *m, struct anonstat_proc *proc, void *rec);
	/*
	 * The records are freed only with their process (proc_destroy()) and
	 * their keys are unique within it: a reader may resume from the
	 * record it returned last instead of searching from the head.
	 */
	bool stable;
};

struct table_iter {
	const struct table_ops *ops;
	/* the next record to show, and its position in the file */
	loff_t pos;
	int phase;		/* 0: live list, 1: exited list, 2: done */
	u64 proc_key;		/* pid (live) or exit_seq (exited) */
	u64 rec_key;
	/* between start() and stop(): */
	struct anonstat_proc *proc;	/* its lock is held */
	/*
	 * The record returned last and the uid of its process, kept across
	 * read() calls without a reference: dereferenced only when a process
	 * with that uid is found again, locked, on a list.  Uids are never
	 * reused, and a process on a list is not destroyed, so a record of a
	 * stable table is still there.
	 */
	void *cursor;
	u64 cursor_uid;
};

static u64 proc_key(const struct anonstat_proc *proc, int phase)
{
	return phase ? proc->exit_seq : (u64)proc->pid;
}

static struct list_head *phase_list(int phase)
{
	return phase ? &anonstat_exited_procs : &anonstat_procs;
}

/* The first process at or after (it->phase, it->proc_key). */
static struct anonstat_proc *proc_seek(struct table_iter *it)
{
	struct anonstat_proc *proc;

	for (; it->phase < 2; it->phase++, it->proc_key = 0, it->rec_key = 0) {
		list_for_each_entry(proc, phase_list(it->phase), node) {
			if (proc_key(proc, it->phase) >= it->proc_key)
				return proc;
		}
	}
	return NULL;
}

/* The first record of @proc (locked) at or after it->rec_key. */
static void *table_first(struct table_iter *it, struct anonstat_proc *proc)
{
	if (it->ops->stable && it->cursor && it->cursor_uid == proc->uid &&
	    it->ops->key(it->cursor) == it->rec_key)
		return it->cursor;
	return it->ops->first(proc, it->rec_key);
}

/* @rec of it->proc is the next record to show. */
static void *table_at(struct table_iter *it, void *rec)
{
	it->rec_key = it->ops->key(rec);
	it->cursor = rec;
	it->cursor_uid = it->proc->uid;
	return rec;
}

/*
 * The first record at or after the iterator's keys; locks its process.
 * Caller holds anonstat_procs_lock.
 */
static void *table_find(struct table_iter *it)
{
	struct anonstat_proc *proc;

	while ((proc = proc_seek(it))) {
		void *rec;

		if (proc_key(proc, it->phase) != it->proc_key) {
			it->proc_key = proc_key(proc, it->phase);
			it->rec_key = 0;
		}
		spin_lock(&proc->lock);
		rec = table_first(it, proc);
		if (rec) {
			it->proc = proc;
			return table_at(it, rec);
		}
		spin_unlock(&proc->lock);
		it->proc_key++;
		it->rec_key = 0;
	}
	return NULL;
}

static void table_rewind(struct table_iter *it)
{
	it->phase = 0;
	it->proc_key = 0;
	it->rec_key = 0;
	it->pos = 1;
}

static void *table_advance(struct table_iter *it, void *rec)
{
	void *next = it->ops->next(it->proc, rec);

	if (next)
		return table_at(it, next);
	spin_unlock(&it->proc->lock);
	it->proc = NULL;
	it->proc_key++;
	it->rec_key = 0;
	return table_find(it);
}

/* Position 0 is the header line; records are 1, 2, ... */
static void *table_start(struct seq_file *m, loff_t *pos)
	__acquires(&anonstat_procs_lock)
{
	struct table_iter *it = m->private;
	void *rec;

	spin_lock(&anonstat_procs_lock);
	it->proc = NULL;
	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos != it->pos) {
		/* a seek: count records from the beginning */
		loff_t n;

		table_rewind(it);
		rec = table_find(it);
		for (n = 1; rec && n < *pos; n++)
			rec = table_advance(it, rec);
		it->pos = *pos;
		return rec;
	}
	return table_find(it);
}

static void *table_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct table_iter *it = m->private;
	void *rec;

	++*pos;
	if (v == SEQ_START_TOKEN) {
		table_rewind(it);
		rec = table_find(it);
	} else {
		rec = table_advance(it, v);
	}
	it->pos = *pos;
	return rec;
}

static void table_stop(struct seq_file *m, void *v)
	__releases(&anonstat_procs_lock)
{
	struct table_iter *it = m->private;

	if (it->proc)
		spin_unlock(&it->proc->lock);
	it->proc = NULL;
	spin_unlock(&anonstat_procs_lock);
}

static int table_show(struct seq_file *m, void *v)
{
	struct table_iter *it = m->private;

	if (v == SEQ_START_TOKEN)
		seq_puts(m, it->ops->header);
	else
		it->ops->show(m, it->proc, v);
	return 0;
}

static const struct seq_operations table_seq_ops = {
	.start = table_start,
	.next = table_next,
	.stop = table_stop,
	.show = table_show,
};

static int table_open(struct inode *inode, struct file *file)
{
	struct table_iter *it;

	it = __seq_open_private(file, &table_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->ops = inode->i_private;
	return 0;
}

static const struct file_operations table_fops = {
	.owner = THIS_MODULE,
	.open = table_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/* the columns of show_counts() */
#define COUNTS_COLUMNS "maps unmaps bytes_mapped bytes_unmapped " \
	"live_regions live_bytes peak_bytes first_ns last_ns"

static void show_counts(struct seq_file *m, const struct anonstat_counts *c)
{
	seq_printf(m, " %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   c->maps, c->unmaps, c->bytes_mapped, c->bytes_unmapped,
		   c->live_regions, c->live_bytes, c->peak_bytes, c->first_ns,
		   c->last_ns);
}

/* procs: one record per process */

static void *procs_first(struct anonstat_proc *proc, u64 key)
{
	return key ? NULL : proc;
}

static void *procs_next(struct anonstat_proc *proc, void *rec)
{
	return NULL;
}

static u64 procs_key(void *rec)
{
	return 0;
}

static void procs_show(struct seq_file *m, struct anonstat_proc *proc, void *rec)
{
	seq_printf(m, "%d ", proc->pid);
	anonstat_seq_comm(m, proc->comm);
	seq_printf(m, " %s", proc->exited ? "exited" : "live");
	show_counts(m, &proc->counts);
	seq_putc(m, '\n');
}

static const struct table_ops procs_ops = {
	.header = "# pid comm state " COUNTS_COLUMNS "\n",
	.first = procs_first,
	.next = procs_next,
	.key = procs_key,
	.show = procs_show,
};

/*
 * threads: by tid; first tid 0, the threads without a record of their own,
 * when there were any.
 */

static bool other_threads_shown(struct anonstat_proc *proc)
{
	return proc->other_threads.maps || proc->other_threads.unmaps;
}

static void *threads_first(struct anonstat_proc *proc, u64 key)
{
	struct anonstat_thread *t;

	if (key == 0 && other_threads_shown(proc))
		return &proc->other_threads;
	list_for_each_entry(t, &proc->threads, node) {
		if ((u64)t->tid >= key)
			return t;
	}
	return NULL;
}

static void *threads_next(struct anonstat_proc *proc, void *rec)
{
	struct anonstat_thread *t = rec;

	if (t == &proc->other_threads)
		return list_first_entry_or_null(&proc->threads,
						struct anonstat_thread, node);
	if (list_is_last(&t->node, &proc->threads))
		return NULL;
	return list_next_entry(t, node);
}

static u64 threads_key(void *rec)
{
	return ((struct anonstat_thread *)rec)->tid;
}

static void threads_show(struct seq_file *m, struct anonstat_proc *proc, void *rec)
{
	struct anonstat_thread *t = rec;

	seq_printf(m, "%d %d ", proc->pid, t->tid);
	anonstat_seq_comm(m, t->comm);
	seq_printf(m, " %llu %llu %llu %llu\n", t->maps, t->unmaps,
		   t->bytes_mapped, t->bytes_unmapped);
}

static const struct table_ops threads_ops = {
	.header = "# pid tid comm maps unmaps bytes_mapped bytes_unmapped\n",
	.first = threads_first,
	.next = threads_next,
	.key = threads_key,
	.show = threads_show,
	.stable = true,
};

/* sites: by id */

static void *sites_first(struct anonstat_proc *proc, u64 key)
{
	struct anonstat_site *site;

	list_for_each_entry(site, &proc->sites, proc_node) {
		if (site->id >= key)
			return site;
	}
	return NULL;
}

static void *sites_next(struct anonstat_proc *proc, void *rec)
{
	struct anonstat_site *site = rec;

	if (list_is_last(&site->proc_node, &proc->sites))
		return NULL;
	return list_next_entry(site, proc_node);
}

static u64 sites_key(void *rec)
{
	return ((struct anonstat_site *)rec)->id;
}

static void sites_show(struct seq_file *m, struct anonstat_proc *proc, void *rec)
{
	struct anonstat_site *site = rec;
	unsigned int i;

	seq_printf(m, "%d %llu %s", proc->pid, site->id,
		   anonstat_kind_name(site->kind));
	show_counts(m, &site->counts);
	if (!site->depth)
		seq_puts(m, " -");
	for (i = 0; i < site->depth; i++)
		seq_printf(m, "%c0x%lx", i ? ',' : ' ', site->frames[i]);
	seq_printf(m, " %s\n", anonstat_origin_name(site->origin));
}

static const struct table_ops sites_ops = {
	.header = "# pid site kind " COUNTS_COLUMNS " frames origin\n",
	.first = sites_first,
	.next = sites_next,
	.key = sites_key,
	.show = sites_show,
	.stable = true,
};

/* regions: by start address */

static void *regions_first(struct anonstat_proc *proc, u64 key)
{
	struct anonstat_region *r = anonstat_region_first(proc, key);

	/* the first region ending after @key may start before it: skip it */
	if (r && r->start < key)
		r = anonstat_region_next(r);
	return r;
}

static void *regions_next(struct anonstat_proc *proc, void *rec)
{
	return anonstat_region_next(rec);
}

static u64 regions_key(void *rec)
{
	return ((struct anonstat_region *)rec)->start;
}

static void regions_show(struct seq_file *m, struct anonstat_proc *proc, void *rec)
{
	struct anonstat_region *r = rec;

	seq_printf(m, "%d 0x%lx 0x%lx %llu %s %d\n", proc->pid, r->start, r->end,
		   r->site->id, anonstat_kind_name(r->site->kind),
		   !!(r->flags & ANONSTAT_REGION_INHERITED));
}

static const struct table_ops regions_ops = {
	.header = "# pid start end site kind inherited\n",
	.first = regions_first,
	.next = regions_next,
	.key = regions_key,
	.show = regions_show,
};

/* ---- control ---- */

#define CONTROL_MAX 128

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	char buf[CONTROL_MAX];
	size_t n = len;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	if (memchr(buf, '\0', n))
		return -EINVAL;
	if (buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	ret = anonstat_control_command(buf);
	return ret ? ret : len;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = control_write,
	.llseek = noop_llseek,
};

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
	debugfs_create_file("procs", 0400, dir, (void *)&procs_ops, &table_fops);
	debugfs_create_file("threads", 0400, dir, (void *)&threads_ops, &table_fops);
	debugfs_create_file("sites", 0400, dir, (void *)&sites_ops, &table_fops);
	debugfs_create_file("regions", 0400, dir, (void *)&regions_ops, &table_fops);
	debugfs_create_file("control", 0200, dir, NULL, &control_fops);
	return 0;
}

void anonstat_debugfs_exit(void)
{
	debugfs_remove(anonstat_dir);
	anonstat_dir = NULL;
}
