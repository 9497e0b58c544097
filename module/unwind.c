// SPDX-License-Identifier: GPL-2.0
/*
 * unwind.c - the unwind tables of the ELF objects user code runs from.
 *
 * Owns struct anonstat_unwind_obj: per file (device, inode number,
 * generation and size), the unwind rows cfi.c compiled from the file's call
 * frame information, and the file's PT_LOAD segments, which turn an
 * address in a mapping of the file into the ELF virtual address the rows
 * are indexed by.  One table serves every process that maps the file, at
 * any address, whenever it was mapped (before insmod, by dlopen later).
 *
 * A table is built the first time a walk needs it (callsite.c), in process
 * context with no lock held: the file is read with kernel_read(), from the
 * page cache, never from the process's memory, so that a process cannot
 * change what the table says for the other processes that share it.  What
 * is read: the ELF header and program headers; .eh_frame_hdr
 * (PT_GNU_EH_FRAME) and the .eh_frame it points to, bounded by the end of
 * the PT_LOAD segment that holds it; without them, .eh_frame or
 * .debug_frame found by the section headers.  Each part is capped
 * (ANONSTAT_UNWIND_MAX_SECTION); a file that gives no table gets an entry
 * with none, so it is read once.
 *
 * Tables are never freed while the module is loaded: a walk uses one
 * without holding anything but the mmap lock.  Their memory is capped
 * (max_unwind_mib); at the cap a new file gets no table and is counted in
 * "unwind_dropped", and the walk falls back to frame pointers in it.
 *
 * Locking: anonstat_unwind_lock (spinlock) serializes insertions into the
 * hash; lookups are lockless under RCU (entries are published with
 * hlist_add_head_rcu() and live until module exit, after every walk has
 * ended).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/elf.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "anonstat.h"
#include "cfi.h"

#define UNWIND_HASH_BITS	10
#define UNWIND_HINTS		64
#define MAX_PHDRS		64
#define MAX_SHDRS		4096
#define MAX_SHSTRTAB		SZ_1M

#if defined(CONFIG_X86_64)
#define ANONSTAT_EM		EM_X86_64
#define ANONSTAT_CFI_ARCH	ANONSTAT_CFI_X86_64
#else
#define ANONSTAT_EM		EM_AARCH64
#define ANONSTAT_CFI_ARCH	ANONSTAT_CFI_ARM64
#endif

#ifndef PT_GNU_EH_FRAME
#define PT_GNU_EH_FRAME		0x6474e550
#endif

unsigned int anonstat_max_unwind_mib = ANONSTAT_DEFAULT_MAX_UNWIND_MIB;

static struct hlist_head anonstat_unwind_hash[1 << UNWIND_HASH_BITS];
static DEFINE_SPINLOCK(anonstat_unwind_lock);
static atomic_long_t anonstat_unwind_bytes = ATOMIC_LONG_INIT(0);
static atomic_t anonstat_unwind_objs = ATOMIC_INIT(0);
static atomic_t anonstat_unwind_empty = ATOMIC_INIT(0);
static atomic64_t anonstat_unwind_dropped = ATOMIC64_INIT(0);

struct unwind_key {
	dev_t dev;
	unsigned long ino;
	u32 gen;
	loff_t size;
};

struct anonstat_unwind_obj {
	struct hlist_node node;
	struct unwind_key key;
	int status;			/* 0, or why there are no rows */
	u64 base;			/* ELF vaddr of row pc 0 */
	u64 limit;
	unsigned int nr_segs;
	struct {
		u64 off;
		u64 vaddr;
		u64 filesz;
	} segs[ANONSTAT_UNWIND_SEGS];
	u32 nr_rows;
	size_t bytes;			/* what it adds to anonstat_unwind_bytes */
	struct anonstat_unwind_row *rows;
	/*
	 * The row index last found for pcs that hash alike: checked before
	 * the binary search, written without a lock (a stale or torn-free
	 * u32 only costs the search).
	 */
	u32 hint[UNWIND_HINTS];
};

static void unwind_key(struct file *file, struct unwind_key *k)
{
	struct inode *inode = file_inode(file);

	k->dev = inode->i_sb->s_dev;
	k->ino = inode->i_ino;
	k->gen = inode->i_generation;
	k->size = i_size_read(inode);
}

static u32 unwind_key_hash(const struct unwind_key *k)
{
	return hash_64((u64)k->ino ^ ((u64)k->dev << 32), UNWIND_HASH_BITS);
}

static bool unwind_key_eq(const struct unwind_key *a, const struct unwind_key *b)
{
	return a->ino == b->ino && a->dev == b->dev && a->gen == b->gen &&
	       a->size == b->size;
}

static struct anonstat_unwind_obj *unwind_lookup(const struct unwind_key *k)
{
	struct anonstat_unwind_obj *obj;

	hlist_for_each_entry_rcu(obj, &anonstat_unwind_hash[unwind_key_hash(k)], node)
		if (unwind_key_eq(&obj->key, k))
			return obj;
	return NULL;
}

/* The table of @file, if it was built; no sleeping, any lock held. */
struct anonstat_unwind_obj *anonstat_unwind_find(struct file *file)
{
	struct anonstat_unwind_obj *obj;
	struct unwind_key k;

	unwind_key(file, &k);
	rcu_read_lock();
	obj = unwind_lookup(&k);
	rcu_read_unlock();
	return obj;
}

/* The row for @rel, through the hint of its slot if that one still fits. */
static const struct anonstat_unwind_row *
unwind_lookup_row(struct anonstat_unwind_obj *obj, u32 rel)
{
	u32 *hint = &obj->hint[hash_32(rel, ilog2(UNWIND_HINTS))];
	u32 i = READ_ONCE(*hint);
	const struct anonstat_unwind_row *row;

	/* the table ends with an INVALID row: i + 1 exists for any valid row */
	if (i + 1 < obj->nr_rows && obj->rows[i].pc <= rel && rel < obj->rows[i + 1].pc)
		row = &obj->rows[i];
	else
		row = anonstat_cfi_lookup(obj->rows, obj->nr_rows, rel);
	if (!row || row->cfa == ANONSTAT_CFA_INVALID)
		return NULL;
	WRITE_ONCE(*hint, row - obj->rows);
	return row;
}

/*
 * The row for offset @off of the file, or NULL: no table, an offset no
 * executable segment holds, or no CFI there.
 */
const struct anonstat_unwind_row *
anonstat_unwind_row(struct anonstat_unwind_obj *obj, u64 off)
{
	unsigned int i;
	u64 rel;

	if (!obj->nr_rows)
		return NULL;
	for (i = 0; i < obj->nr_segs; i++) {
		if (off - obj->segs[i].off < obj->segs[i].filesz)
			break;
	}
	if (i == obj->nr_segs)
		return NULL;
	rel = off - obj->segs[i].off + obj->segs[i].vaddr - obj->base;
	if (rel >= obj->limit)
		return NULL;
	return unwind_lookup_row(obj, rel);
}

/* ---- building a table ---- */

int anonstat_cfi_grow(struct anonstat_cfi_table *t)
{
	u32 cap = t->cap ? min_t(u32, t->cap * 2, t->max_rows) : 1024;
	struct anonstat_unwind_row *rows;

	if (cap <= t->cap)
		return -E2BIG;
	rows = kvmalloc_array(cap, sizeof(*rows), GFP_KERNEL | __GFP_NOWARN);
	if (!rows)
		return -ENOMEM;
	if (t->nr)
		memcpy(rows, t->rows, t->nr * sizeof(*rows));
	kvfree(t->rows);
	t->rows = rows;
	t->cap = cap;
	return 0;
}

/*
 * @len bytes of @file at @pos into a new buffer, or NULL.  A failure that
 * may not happen next time (no memory, an I/O error or a signal while
 * reading) is kept in *transient, so that the file is not marked as
 * having no CFI for good.
 */
static void *read_file(struct file *file, loff_t pos, size_t len, int *transient)
{
	ssize_t got;
	void *buf;

	if (!len || len > ANONSTAT_UNWIND_MAX_SECTION)
		return NULL;
	buf = kvmalloc(len, GFP_KERNEL | __GFP_NOWARN);
	if (!buf) {
		*transient = -ENOMEM;
		return NULL;
	}
	got = kernel_read(file, buf, len, &pos);
	if (got == len)
		return buf;
	if (got < 0)
		*transient = got;
	kvfree(buf);
	return NULL;
}

/* The PT_LOAD segment that holds virtual address @vaddr; NULL if none. */
static const struct elf64_phdr *load_of(const struct elf64_phdr *ph, unsigned int n, u64 vaddr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && vaddr - ph[i].p_vaddr < ph[i].p_filesz)
			return &ph[i];
	return NULL;
}

/* What the file gives the compiler: the sections, read. */
struct unwind_src {
	struct anonstat_cfi_input in;
	void *hdr;
	void *frame;
	int transient;		/* see read_file() */
};

/* .eh_frame_hdr and the .eh_frame it points to, through the program headers. */
static int src_from_phdrs(struct file *file, const struct elf64_phdr *ph,
			  unsigned int n, struct unwind_src *src)
{
	const struct elf64_phdr *eh = NULL, *load;
	u64 frame, len;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			eh = &ph[i];
	if (!eh)
		return -ENOENT;
	src->hdr = read_file(file, eh->p_offset, eh->p_filesz, &src->transient);
	if (!src->hdr)
		return -EINVAL;
	src->in.hdr = (struct anonstat_cfi_section){
		src->hdr, eh->p_filesz, eh->p_vaddr };
	if (anonstat_cfi_hdr_frame(&src->in.hdr, &frame))
		return -EINVAL;
	load = load_of(ph, n, frame);
	if (!load)
		return -EINVAL;
	len = min_t(u64, load->p_vaddr + load->p_filesz - frame,
		    ANONSTAT_UNWIND_MAX_SECTION);
	src->frame = read_file(file, load->p_offset + (frame - load->p_vaddr), len,
			       &src->transient);
	if (!src->frame)
		return -EINVAL;
	src->in.frame = (struct anonstat_cfi_section){ src->frame, len, frame };
	return 0;
}

/* .eh_frame, else .debug_frame, through the section headers. */
static int src_from_shdrs(struct file *file, const struct elf64_hdr *eh,
			  struct unwind_src *src)
{
	const struct elf64_shdr *sh, *found, *strtab, *eh_frame = NULL;
	const struct elf64_shdr *debug_frame = NULL;
	char *names;
	unsigned int i;
	int ret = -ENOENT;

	if (!eh->e_shnum || eh->e_shnum > MAX_SHDRS ||
	    eh->e_shentsize != sizeof(*sh) || eh->e_shstrndx >= eh->e_shnum)
		return -ENOENT;
	sh = read_file(file, eh->e_shoff, eh->e_shnum * sizeof(*sh), &src->transient);
	if (!sh)
		return -EINVAL;
	strtab = &sh[eh->e_shstrndx];
	names = strtab->sh_size <= MAX_SHSTRTAB ?
		read_file(file, strtab->sh_offset, strtab->sh_size,
			  &src->transient) : NULL;
	if (!names)
		goto out;
	names[strtab->sh_size - 1] = 0;
	for (i = 0; i < eh->e_shnum; i++) {
		const char *name;

		if (sh[i].sh_type != SHT_PROGBITS || sh[i].sh_name >= strtab->sh_size)
			continue;
		name = names + sh[i].sh_name;
		if (!strcmp(name, ".eh_frame"))
			eh_frame = &sh[i];
		else if (!strcmp(name, ".debug_frame"))
			debug_frame = &sh[i];
	}
	/*
	 * .eh_frame, unless it is only the terminator the linker writes for
	 * code built with -fno-asynchronous-unwind-tables -g: .debug_frame then
	 */
	found = eh_frame && (eh_frame->sh_size > 8 || !debug_frame) ? eh_frame :
		debug_frame;
	if (found) {
		src->frame = read_file(file, found->sh_offset, found->sh_size,
				       &src->transient);
		ret = src->frame ? 0 : -EINVAL;
		src->in.debug_frame = found == debug_frame;
		src->in.frame = (struct anonstat_cfi_section){ src->frame,
			found->sh_size, src->in.debug_frame ? 0 : found->sh_addr };
	}
	kvfree(names);
out:
	kvfree(sh);
	return ret;
}

/* Fill @obj from @file: segments, then rows. */
static int unwind_build(struct anonstat_unwind_obj *obj, struct file *file)
{
	struct anonstat_cfi_table t = { .max_rows = ANONSTAT_UNWIND_MAX_ROWS };
	struct unwind_src src = { .in.arch = ANONSTAT_CFI_ARCH };
	struct anonstat_cfi_stats stats;
	u64 lo = U64_MAX, hi = 0;
	struct elf64_phdr *ph = NULL;
	struct elf64_hdr eh;
	loff_t pos = 0;
	unsigned int i;
	int ret = -ENOENT;
	ssize_t got;

	if (!S_ISREG(file_inode(file)->i_mode))
		return -ENOENT;
	got = kernel_read(file, &eh, sizeof(eh), &pos);
	if (got < 0)
		return got;
	if (got != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != ANONSTAT_EM || eh.e_phentsize != sizeof(*ph) ||
	    !eh.e_phnum || eh.e_phnum > MAX_PHDRS)
		return -ENOENT;
	ph = read_file(file, eh.e_phoff, eh.e_phnum * sizeof(*ph),
		       &src.transient);
	if (!ph)
		return -EINVAL;
	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X) ||
		    !ph[i].p_filesz || ph[i].p_vaddr + ph[i].p_filesz < ph[i].p_vaddr)
			continue;
		if (obj->nr_segs == ANONSTAT_UNWIND_SEGS)
			break;
		obj->segs[obj->nr_segs].off = ph[i].p_offset;
		obj->segs[obj->nr_segs].vaddr = ph[i].p_vaddr;
		obj->segs[obj->nr_segs].filesz = ph[i].p_filesz;
		obj->nr_segs++;
		lo = min(lo, ph[i].p_vaddr);
		hi = max(hi, ph[i].p_vaddr + ph[i].p_filesz);
	}
	if (!obj->nr_segs)
		goto out;
	obj->base = lo;
	obj->limit = min_t(u64, hi - lo, U32_MAX);
	src.in.base = obj->base;
	src.in.limit = obj->limit;
	ret = src_from_phdrs(file, ph, eh.e_phnum, &src);
	if (ret) {
		kvfree(src.hdr);
		kvfree(src.frame);
		src = (struct unwind_src){ .in = { .arch = ANONSTAT_CFI_ARCH,
			.base = obj->base, .limit = obj->limit },
			.transient = src.transient };
		ret = src_from_shdrs(file, &eh, &src);
	}
	if (ret)
		goto out;
	ret = anonstat_cfi_compile(&src.in, &t, &stats);
	if (ret)
		goto out;
	/* exactly the rows' size: the table lives as long as the module */
	obj->rows = kvmalloc_array(t.nr, sizeof(*t.rows), GFP_KERNEL | __GFP_NOWARN);
	if (!obj->rows) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(obj->rows, t.rows, t.nr * sizeof(*t.rows));
	obj->nr_rows = t.nr;
out:
	kvfree(t.rows);
	kvfree(src.hdr);
	kvfree(src.frame);
	kvfree(ph);
	return ret && src.transient ? src.transient : ret;
}

static void unwind_free(struct anonstat_unwind_obj *obj)
{
	kvfree(obj->rows);
	kfree(obj);
}

/*
 * The table of @file, built now if need be (process context, no lock
 * held: it reads the file and may sleep).  NULL at the memory cap or
 * without memory; an entry without rows when the file has no usable CFI.
 */
struct anonstat_unwind_obj *anonstat_unwind_load(struct file *file)
{
	struct anonstat_unwind_obj *obj, *old;
	long cap = (long)READ_ONCE(anonstat_max_unwind_mib) << 20;

	obj = anonstat_unwind_find(file);
	if (obj)
		return obj;
	if (atomic_long_read(&anonstat_unwind_bytes) >= cap)
		goto drop;
	obj = kzalloc(sizeof(*obj), GFP_KERNEL | __GFP_NOWARN);
	if (!obj)
		goto drop;
	unwind_key(file, &obj->key);
	obj->status = unwind_build(obj, file);
	/* not for good: no entry, the next walk tries again */
	if (obj->status == -ENOMEM || obj->status == -EIO ||
	    obj->status == -EINTR || obj->status == -ERESTARTSYS)
		goto drop_obj;
	obj->bytes = sizeof(*obj) + obj->nr_rows * sizeof(*obj->rows);
	if (atomic_long_add_return(obj->bytes, &anonstat_unwind_bytes) > cap) {
		atomic_long_sub(obj->bytes, &anonstat_unwind_bytes);
		goto drop_obj;
	}
	spin_lock(&anonstat_unwind_lock);
	old = unwind_lookup(&obj->key);
	if (!old)
		hlist_add_head_rcu(&obj->node,
				   &anonstat_unwind_hash[unwind_key_hash(&obj->key)]);
	spin_unlock(&anonstat_unwind_lock);
	if (old) {
		/* another task built it meanwhile */
		atomic_long_sub(obj->bytes, &anonstat_unwind_bytes);
		unwind_free(obj);
		return old;
	}
	atomic_inc(obj->nr_rows ? &anonstat_unwind_objs : &anonstat_unwind_empty);
	return obj;

drop_obj:
	unwind_free(obj);
drop:
	atomic64_inc(&anonstat_unwind_dropped);
	return NULL;
}

void anonstat_unwind_show(struct seq_file *m)
{
	seq_printf(m, "max_unwind_mib %u\n", READ_ONCE(anonstat_max_unwind_mib));
	seq_printf(m, "unwind_objects %d\n", atomic_read(&anonstat_unwind_objs));
	seq_printf(m, "unwind_objects_without_cfi %d\n",
		   atomic_read(&anonstat_unwind_empty));
	seq_printf(m, "unwind_bytes %ld\n", atomic_long_read(&anonstat_unwind_bytes));
	seq_printf(m, "unwind_dropped %lld\n",
		   (long long)atomic64_read(&anonstat_unwind_dropped));
}

/* Module exit, after every walk has ended (anonstat_calls_exit()). */
void anonstat_unwind_exit(void)
{
	struct anonstat_unwind_obj *obj;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(anonstat_unwind_hash); i++) {
		hlist_for_each_entry_safe(obj, tmp, &anonstat_unwind_hash[i], node) {
			hlist_del(&obj->node);
			unwind_free(obj);
		}
	}
	atomic_long_set(&anonstat_unwind_bytes, 0);
}
