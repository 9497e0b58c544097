// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - settings, the process filter, and the control commands.
 *
 * Owns every tunable (depth, caps, retention, enabled) and the filter that
 * decides which processes get new regions.  The tunables are plain
 * variables that handlers read with READ_ONCE(); the filter is an object
 * replaced as a whole and read under RCU, so a handler always sees one
 * consistent filter.  Commands are serialized by anonstat_control_mutex and
 * run in process context (a write to the control file).
 *
 * A command either applies completely or returns -EINVAL and changes
 * nothing: everything is parsed and checked before anything is changed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "anonstat.h"

unsigned int anonstat_depth = ANONSTAT_DEFAULT_DEPTH;
unsigned int anonstat_max_regions = ANONSTAT_DEFAULT_MAX_REGIONS;
unsigned int anonstat_max_sites = ANONSTAT_DEFAULT_MAX_SITES;
unsigned int anonstat_retain_exited = ANONSTAT_DEFAULT_RETAIN_EXITED;
bool anonstat_enabled = true;

static struct anonstat_filter __rcu *anonstat_filter;
static DEFINE_MUTEX(anonstat_control_mutex);

/* Does the filter let @task's process get new regions? */
bool anonstat_filter_wants(struct task_struct *task)
{
	const struct anonstat_filter *f;
	bool wants = true;

	if (!rcu_access_pointer(anonstat_filter))
		return true;
	rcu_read_lock();
	f = rcu_dereference(anonstat_filter);
	if (f && f->nr_pids) {
		pid_t tgid = task_tgid_nr(task);
		unsigned int i;

		wants = false;
		for (i = 0; i < f->nr_pids; i++) {
			if (f->pids[i] == tgid) {
				wants = true;
				break;
			}
		}
	}
	if (wants && f && f->comm[0])
		wants = !strncmp(f->comm, READ_ONCE(task->group_leader)->comm,
				 TASK_COMM_LEN);
	rcu_read_unlock();
	return wants;
}

/* Parse "PID[,PID...]" into @f; -EINVAL on anything else. */
static int parse_pids(const char *arg, struct anonstat_filter *f)
{
	char buf[128], *cur, *tok;

	if (strscpy(buf, arg, sizeof(buf)) < 0)
		return -EINVAL;
	f->nr_pids = 0;
	cur = buf;
	while ((tok = strsep(&cur, ",")) != NULL) {
		int pid;

		if (f->nr_pids == ANONSTAT_MAX_FILTER_PIDS ||
		    kstrtoint(tok, 10, &pid) || pid <= 0)
			return -EINVAL;
		f->pids[f->nr_pids++] = pid;
	}
	return 0;
}

static int parse_comm(const char *arg, struct anonstat_filter *f)
{
	if (!strcmp(arg, "all")) {
		f->comm[0] = '\0';
		return 0;
	}
	if (!*arg || strscpy(f->comm, arg, sizeof(f->comm)) < 0)
		return -EINVAL;
	return 0;
}

/*
 * Install @f.  A filter that lets every process through is stored as NULL,
 * which anonstat_filter_wants() tells without entering an RCU section.
 */
static void filter_replace(struct anonstat_filter *f)
{
	struct anonstat_filter *old;

	if (f && !f->nr_pids && !f->comm[0]) {
		kfree(f);
		f = NULL;
	}
	old = rcu_replace_pointer(anonstat_filter, f,
				  lockdep_is_held(&anonstat_control_mutex));
	if (old)
		kfree_rcu(old, rcu);
}

/* A copy of the current filter to change; caller holds the mutex. */
static struct anonstat_filter *filter_copy(void)
{
	struct anonstat_filter *f = kzalloc(sizeof(*f), GFP_KERNEL);
	const struct anonstat_filter *cur;

	if (!f)
		return NULL;
	cur = rcu_dereference_protected(anonstat_filter,
					lockdep_is_held(&anonstat_control_mutex));
	if (cur) {
		memcpy(f->pids, cur->pids, sizeof(f->pids));
		f->nr_pids = cur->nr_pids;
		memcpy(f->comm, cur->comm, sizeof(f->comm));
	}
	return f;
}

static int set_filter(const char *word, const char *arg)
{
	struct anonstat_filter *f = filter_copy();
	int ret = 0;

	if (!f)
		return -ENOMEM;
	if (strcmp(word, "pid"))
		ret = parse_comm(arg, f);
	else if (strcmp(arg, "all"))
		ret = parse_pids(arg, f);
	else
		f->nr_pids = 0;
	if (ret) {
		kfree(f);
		return ret;
	}
	filter_replace(f);
	return 0;
}

static void drop_everything(void)
{
	anonstat_procs_reset();
	anonstat_counters_reset();
	anonstat_walks_reset();
}

/* Start again from what the kernel has: every process seeded anew. */
static int reset(void)
{
	drop_everything();
	if (READ_ONCE(anonstat_enabled))
		anonstat_seed_all();
	return 0;
}

static int set_enabled(bool on)
{
	int ret;

	if (on == READ_ONCE(anonstat_enabled))
		return 0;
	if (!on) {
		WRITE_ONCE(anonstat_enabled, false);
		anonstat_probes_arm(false);
		return 0;
	}
	/* releases were not followed meanwhile: start again from nothing */
	drop_everything();
	WRITE_ONCE(anonstat_enabled, true);
	ret = anonstat_probes_arm(true);
	if (ret)
		WRITE_ONCE(anonstat_enabled, false);
	else
		anonstat_seed_all();
	return ret;
}

struct uint_setting {
	const char *name;
	unsigned int *value;
	unsigned int min;
	unsigned int max;
};

static const struct uint_setting uint_settings[] = {
	{ "depth", &anonstat_depth, 1, ANONSTAT_MAX_DEPTH },
	{ "max_regions", &anonstat_max_regions, 0, ANONSTAT_LIMIT_MAX_REGIONS },
	{ "max_sites", &anonstat_max_sites, 0, ANONSTAT_LIMIT_MAX_SITES },
	{ "retain_exited", &anonstat_retain_exited, 0, ANONSTAT_LIMIT_RETAIN_EXITED },
	{ "max_unwind_mib", &anonstat_max_unwind_mib, 0, ANONSTAT_LIMIT_MAX_UNWIND_MIB },
};

static int set_uint(const struct uint_setting *s, const char *arg)
{
	unsigned int v;

	if (kstrtouint(arg, 10, &v) || v < s->min || v > s->max)
		return -EINVAL;
	WRITE_ONCE(*s->value, v);
	if (s->value == &anonstat_retain_exited)
		anonstat_procs_trim_exited();
	return 0;
}

/*
 * Run one command: "WORD" or "WORD ARG", already without its newline.
 * Returns 0 or a negative errno; -EINVAL changes nothing.
 */
int anonstat_control_command(char *cmd)
{
	char *word, *arg, *extra;
	unsigned int i;
	int ret = -EINVAL;

	word = strsep(&cmd, " ");
	arg = strsep(&cmd, " ");
	extra = cmd;
	if (!word || !*word || (arg && !*arg) || extra)
		return -EINVAL;

	mutex_lock(&anonstat_control_mutex);
	if (!arg) {
		if (!strcmp(word, "enable"))
			ret = set_enabled(true);
		else if (!strcmp(word, "disable"))
			ret = set_enabled(false);
		else if (!strcmp(word, "reset"))
			ret = reset();
	} else if (!strcmp(word, "pid") || !strcmp(word, "comm")) {
		ret = set_filter(word, arg);
	} else {
		for (i = 0; i < ARRAY_SIZE(uint_settings); i++) {
			if (!strcmp(word, uint_settings[i].name)) {
				ret = set_uint(&uint_settings[i], arg);
				break;
			}
		}
	}
	mutex_unlock(&anonstat_control_mutex);
	return ret;
}

/* A name as one field: see "comm fields" in debugfs-format.md. */
void anonstat_seq_comm(struct seq_file *m, const char *comm)
{
	const unsigned char *c = (const unsigned char *)comm;

	if (!*c)
		seq_puts(m, "\\000");
	for (; *c; c++) {
		if (*c < 0x21 || *c > 0x7e || *c == '\\')
			seq_printf(m, "\\%03o", *c);
		else
			seq_putc(m, *c);
	}
}

void anonstat_control_show(struct seq_file *m)
{
	const struct anonstat_filter *f;
	unsigned int i;

	seq_printf(m, "enabled %d\n", READ_ONCE(anonstat_enabled));
	seq_printf(m, "depth %u\n", READ_ONCE(anonstat_depth));
	rcu_read_lock();
	f = rcu_dereference(anonstat_filter);
	seq_puts(m, "filter_pids ");
	if (!f || !f->nr_pids)
		seq_puts(m, "all");
	for (i = 0; f && i < f->nr_pids; i++)
		seq_printf(m, "%s%d", i ? "," : "", f->pids[i]);
	seq_puts(m, "\nfilter_comm ");
	if (!f || !f->comm[0])
		seq_puts(m, "all");
	else
		anonstat_seq_comm(m, f->comm);
	seq_putc(m, '\n');
	rcu_read_unlock();
	seq_printf(m, "max_regions %u\n", READ_ONCE(anonstat_max_regions));
	seq_printf(m, "max_sites %u\n", READ_ONCE(anonstat_max_sites));
	seq_printf(m, "retain_exited %u\n", READ_ONCE(anonstat_retain_exited));
}

/* Check the module parameters and build the first filter from them. */
int anonstat_control_init(const char *pids, const char *comm)
{
	struct anonstat_filter *f;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(uint_settings); i++) {
		const struct uint_setting *s = &uint_settings[i];

		if (*s->value < s->min || *s->value > s->max) {
			pr_err("parameter %s=%u out of range %u..%u\n", s->name,
			       *s->value, s->min, s->max);
			return -EINVAL;
		}
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	if (pids && *pids && strcmp(pids, "all"))
		ret = parse_pids(pids, f);
	if (!ret && comm && *comm)
		ret = parse_comm(comm, f);
	if (ret) {
		pr_err("bad parameter pids=\"%s\" or comm=\"%s\"\n",
		       pids ?: "", comm ?: "");
		kfree(f);
		return ret;
	}
	mutex_lock(&anonstat_control_mutex);
	filter_replace(f);
	mutex_unlock(&anonstat_control_mutex);
	return 0;
}

void anonstat_control_exit(void)
{
	mutex_lock(&anonstat_control_mutex);
	filter_replace(NULL);
	mutex_unlock(&anonstat_control_mutex);
}
