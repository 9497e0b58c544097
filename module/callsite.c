// SPDX-License-Identifier: GPL-2.0
/*
 * callsite.c - the user call stack of the current system call.
 *
 * Owns the walk from the user registers saved at syscall entry to the
 * caller of main (or the thread's start): frame 0 is the user instruction
 * pointer after the syscall instruction, frame k the return address of
 * frame k - 1, exactly as the stack holds it (the numbers eu-stack and gdb
 * print).  Each step looks up the row of the frame's pc in the unwind
 * table of the file it runs from (unwind.c, compiled from the file's call
 * frame information by cfi.c), and reads from the user stack what the row
 * says: the return address and the caller's frame pointer, and for a
 * signal frame the interrupted stack pointer.  Code without CFI (a JIT in
 * anonymous memory, a file without .eh_frame, the vDSO) is stepped over by
 * its frame pointer, if it has a plausible one; otherwise the walk ends
 * there.
 *
 * The walk runs at the task's return to user space (call.c), in process
 * context, with the mmap lock held for reading (for find_vma()); it may
 * drop and retake the lock, either to build a file's table (reading the
 * file may sleep) or to fault in a stack page that is not present (under
 * the lock user memory is read with page faults disabled: a fault there
 * would take the mmap lock again).  Then the step starts over from
 * the same state: nothing is committed before a step's reads are done.
 *
 * What bounds it, whatever the process put in its stack and its files:
 * at most @depth frames (ANONSTAT_MAX_DEPTH); per frame a find_vma(), a
 * binary search of one table and at most three word reads, all of the
 * task's own user memory (access_ok() checks each address);
 * at most ANONSTAT_WALK_MAX_LOADS tables built and ANONSTAT_WALK_MAX_FAULTS
 * pages faulted in per walk.  How each walk ended is counted (status).
 *
 * Locking: the caller holds mmap_read_lock(current->mm) and nothing else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/ptrace.h>
#include <linux/sched/task_stack.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "anonstat.h"
#include "arch.h"
#include "cfi.h"

static const char *const walk_end_names[ANONSTAT_NR_WALK_ENDS] = {
	[ANONSTAT_WALK_COMPLETE] = "complete",
	[ANONSTAT_WALK_NO_CFI] = "no_cfi",
	[ANONSTAT_WALK_UNREADABLE] = "unreadable",
	[ANONSTAT_WALK_DEPTH] = "depth",
	[ANONSTAT_WALK_BUDGET] = "budget",
	[ANONSTAT_WALK_INVALID] = "invalid",
};

static atomic64_t anonstat_walk_ends[ANONSTAT_NR_WALK_ENDS];
static atomic64_t anonstat_frames_cfi = ATOMIC64_INIT(0);
static atomic64_t anonstat_frames_fp = ATOMIC64_INIT(0);

/* A step's outcome: a new frame, something to do without the lock, or an end. */
enum step {
	STEP_FRAME = -1,
	STEP_LOAD = -2,		/* build the table of walk->load */
	STEP_FAULT = -3,	/* fault in walk->fault */
	/* >= 0: enum anonstat_walk_end */
};

/*
 * A mapping of code a walk has looked up: consecutive frames are mostly in
 * the same few files (the program, libc), and find_vma() is the biggest
 * part of a step.  Valid only while the mmap lock is held without a break.
 */
struct walk_vma {
	unsigned long start;
	unsigned long end;
	u64 file_off;			/* of start */
	struct anonstat_unwind_obj *obj;	/* NULL: no table, frame pointers */
};

#define WALK_VMAS	2

struct walk {
	/* the frame being unwound */
	unsigned long pc;
	unsigned long sp;
	unsigned long fp;
	unsigned long lr;
	bool fp_known;
	bool sp_exact;		/* false: sp is only a lower bound (see step_by_fp()) */
	bool lr_known;		/* arm64: x30 still holds frame 0's return address */
	bool exact;		/* pc is not a return address: look it up as is */
	bool by_fp;		/* the last step used the frame pointer */
	bool not_code;		/* the walk ended at a pc outside code */
	/* what the last step needs done without the lock */
	struct file *load;
	unsigned long fault;
	/* the file whose table could not be built, in this walk */
	struct file *no_table;
	struct walk_vma vmas[WALK_VMAS];
	unsigned int nr_vmas;
	unsigned int next_vma;
};

/* The word at user address @addr; false (and walk->fault set) if its page is not there. */
static __always_inline bool read_word(struct walk *w, unsigned long addr,
				      unsigned long *val)
{
	const unsigned long __user *p = (const unsigned long __user *)addr;

	/* page faults are disabled: a page not there is -EFAULT */
	if (likely(access_ok(p, sizeof(*p)) && !__get_user(*val, p)))
		return true;
	w->fault = addr;
	return false;
}

/* The caller of a frame with no CFI, through its frame pointer. */
static int step_by_fp(struct walk *w)
{
	unsigned long next_fp, ra;

	if (!w->fp_known || w->fp < w->sp || (w->fp & 7) ||
	    w->fp - w->sp > ANONSTAT_WALK_MAX_SPAN)
		return ANONSTAT_WALK_NO_CFI;
	if (!read_word(w, w->fp, &next_fp) ||
	    !read_word(w, w->fp + sizeof(long), &ra))
		return STEP_FAULT;
	ra = anonstat_code_addr(ra);
	if (!ra)
		return ANONSTAT_WALK_COMPLETE;
	w->pc = ra;
	/*
	 * x86-64 code pushes rbp right below the return address, so the
	 * caller's sp is just above the record.  arm64 code puts the record
	 * at the bottom of its frame (stp x29, x30, [sp, #-N]!): the caller's
	 * sp is above it by a frame size the walk does not know.
	 */
	w->sp = w->fp + 2 * sizeof(long);
	w->sp_exact = !ANONSTAT_FRAME1_IN_LR;
	w->fp = next_fp;
	w->lr_known = false;
	w->exact = false;
	w->by_fp = true;
	return STEP_FRAME;
}

/*
 * The stack pointer of the frame being unwound, for a row that needs it:
 * after a frame-pointer step on arm64 it is known only through the frame
 * record, when the row says where the frame saved x29 (x29 points at it).
 */
static bool frame_sp(const struct walk *w, const struct anonstat_unwind_row *row,
		     unsigned long *sp)
{
	*sp = w->sp;
	if (w->sp_exact)
		return true;
	/* a CFA from the frame pointer needs no sp, unless a register is saved by it */
	if (row->cfa == ANONSTAT_CFA_FP || row->cfa == ANONSTAT_CFA_DEREF_FP)
		return row->ra != ANONSTAT_REG_AT_SP && row->fp != ANONSTAT_REG_AT_SP;
	if (row->cfa != ANONSTAT_CFA_SP || row->fp != ANONSTAT_REG_AT_CFA ||
	    !w->fp_known)
		return false;
	/* CFA = x29 - fp_off, and sp = CFA - cfa_off */
	*sp = w->fp - anonstat_row_fp_off(row) - row->cfa_off;
	return true;
}

/*
 * arm64's signal trampoline (arch.h): the interrupted registers, from the
 * signal frame at the stack pointer.  false when the code at pc is not the
 * trampoline; STEP_FAULT in *ret when a word could not be read.
 */
static bool step_sigreturn(struct walk *w, int *ret)
{
	unsigned long insns, pc, sp, fp, lr;

	*ret = STEP_FAULT;
	if (!ANONSTAT_SIGRETURN_INSNS || (w->pc & 3))
		return false;
	if (!read_word(w, w->pc, &insns))
		return true;
	if (insns != ANONSTAT_SIGRETURN_INSNS)
		return false;
	if (!read_word(w, w->sp + ANONSTAT_SIGFRAME_PC, &pc) ||
	    !read_word(w, w->sp + ANONSTAT_SIGFRAME_SP, &sp) ||
	    !read_word(w, w->sp + ANONSTAT_SIGFRAME_FP, &fp) ||
	    !read_word(w, w->sp + ANONSTAT_SIGFRAME_LR, &lr))
		return true;
	*ret = STEP_FRAME;
	w->pc = anonstat_code_addr(pc);
	w->sp = sp;
	w->sp_exact = true;
	w->fp = fp;
	w->lr = anonstat_code_addr(lr);
	w->fp_known = true;
	w->lr_known = true;	/* the interrupted code may be a leaf */
	w->exact = true;
	w->by_fp = false;
	return true;
}

/* The row of the frame's pc, or NULL; STEP_LOAD in *ret when its table is not built yet. */
static const struct anonstat_unwind_row *frame_row(struct walk *w,
						   struct mm_struct *mm,
						   unsigned long look, int *ret)
{
	struct anonstat_unwind_obj *obj = NULL;
	struct vm_area_struct *vma;
	struct walk_vma *wv;
	unsigned int i;

	*ret = STEP_FRAME;
	for (i = 0; i < w->nr_vmas; i++) {
		wv = &w->vmas[i];
		if (look - wv->start < wv->end - wv->start)
			goto found;
	}
	vma = find_vma(mm, look);
	if (!vma || vma->vm_start > look || !(vma->vm_flags & VM_EXEC)) {
		/* not code: the return address read was not one */
		w->not_code = true;
		*ret = ANONSTAT_WALK_INVALID;
		return NULL;
	}
	if (vma->vm_file && vma->vm_file != w->no_table) {
		obj = anonstat_unwind_find(vma->vm_file);
		if (!obj) {
			w->load = get_file(vma->vm_file);
			*ret = STEP_LOAD;
			return NULL;
		}
	}
	wv = &w->vmas[w->next_vma];
	w->next_vma = (w->next_vma + 1) % WALK_VMAS;
	if (w->nr_vmas < WALK_VMAS)
		w->nr_vmas++;
	wv->start = vma->vm_start;
	wv->end = vma->vm_end;
	wv->file_off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	wv->obj = obj;
found:
	if (!wv->obj)
		return NULL;
	return anonstat_unwind_row(wv->obj, look - wv->start + wv->file_off);
}

/*
 * One frame up: from the frame in @w to its caller.  @w changes only when
 * the step succeeds (STEP_FRAME), so a step can be started over.
 */
static int step(struct walk *w, struct mm_struct *mm)
{
	unsigned long look = w->exact ? w->pc : w->pc - 1;
	const struct anonstat_unwind_row *row;
	unsigned long cfa, ra, sp, fp = w->fp;
	bool fp_known = w->fp_known;
	int ret;

	row = frame_row(w, mm, look, &ret);
	if (ret != STEP_FRAME)
		return ret;
	if (!row) {
		if (w->sp_exact && step_sigreturn(w, &ret))
			return ret;
		return step_by_fp(w);
	}
	if (row->cfa == ANONSTAT_CFA_END)
		return ANONSTAT_WALK_COMPLETE;
	if (!frame_sp(w, row, &sp))
		return ANONSTAT_WALK_INVALID;

	switch (row->cfa) {
	case ANONSTAT_CFA_SP:
		cfa = sp + row->cfa_off;
		break;
	case ANONSTAT_CFA_FP:
		if (!w->fp_known)
			return ANONSTAT_WALK_INVALID;
		cfa = w->fp + row->cfa_off;
		break;
	case ANONSTAT_CFA_DEREF_SP:
		if (!read_word(w, sp + row->cfa_off, &cfa))
			return STEP_FAULT;
		break;
	case ANONSTAT_CFA_DEREF_FP:
		if (!w->fp_known)
			return ANONSTAT_WALK_INVALID;
		if (!read_word(w, w->fp + row->cfa_off, &cfa))
			return STEP_FAULT;
		break;
	case ANONSTAT_CFA_PLT:
		cfa = sp + 8 + ((w->pc & 15) >= (row->flags >> 4) ? 8 : 0);
		break;
	default:
		return ANONSTAT_WALK_INVALID;
	}

	switch (row->ra) {
	case ANONSTAT_REG_AT_CFA:
		if (!read_word(w, cfa + anonstat_row_ra_off(row), &ra))
			return STEP_FAULT;
		break;
	case ANONSTAT_REG_AT_SP:
		if (!read_word(w, sp + anonstat_row_ra_off(row), &ra))
			return STEP_FAULT;
		break;
	case ANONSTAT_REG_SAME:
		if (!w->lr_known)
			return ANONSTAT_WALK_INVALID;
		ra = w->lr;
		break;
	default:
		return ANONSTAT_WALK_INVALID;
	}

	switch (row->fp) {
	case ANONSTAT_REG_AT_CFA:
		if (!read_word(w, cfa + anonstat_row_fp_off(row), &fp))
			return STEP_FAULT;
		fp_known = true;
		break;
	case ANONSTAT_REG_AT_SP:
		if (!read_word(w, sp + anonstat_row_fp_off(row), &fp))
			return STEP_FAULT;
		fp_known = true;
		break;
	case ANONSTAT_REG_SAME:
		break;
	default:
		fp_known = false;
	}

	/*
	 * A caller's frame is above its callee's: a walk that does not move
	 * up is going round in circles.  Only a leaf (return address still
	 * in the link register) may have no frame, and only a signal
	 * frame's CFA, the interrupted stack pointer, may be anywhere (on
	 * another stack: sigaltstack).
	 */
	if (!(row->flags & ANONSTAT_ROW_SIGNAL) &&
	    (cfa < w->sp || (cfa == w->sp && row->ra != ANONSTAT_REG_SAME) ||
	     cfa - w->sp > ANONSTAT_WALK_MAX_SPAN))
		return ANONSTAT_WALK_INVALID;
	/* the outermost frame says so in its CFI; a 0 read here is not one */
	ra = anonstat_code_addr(ra);
	if (!ra)
		return ANONSTAT_WALK_INVALID;
	w->pc = ra;
	w->sp = cfa;
	w->sp_exact = true;
	w->fp = fp;
	w->fp_known = fp_known;
	w->lr_known = false;
	w->exact = row->flags & ANONSTAT_ROW_SIGNAL;
	w->by_fp = false;
	return STEP_FRAME;
}

/*
 * The call stack of current's system call into @cs, at most @depth frames.
 * Called with mmap_read_lock(current->mm) held, from the task_work of the
 * call (process context).  Returns 0 with the lock held, or -EINTR with it
 * released (a fatal signal came while the lock was retaken).
 */
int anonstat_callsite_capture(struct anonstat_callsite *cs, unsigned int depth)
{
	struct mm_struct *mm = current->mm;
	struct pt_regs *regs = current_pt_regs();
	struct walk w = {
		.pc = anonstat_user_ip(regs),
		.sp = anonstat_user_sp(regs),
		.fp = anonstat_user_fp(regs),
		.lr = anonstat_code_addr(anonstat_user_lr(regs)),
		.fp_known = true,
		.sp_exact = true,
		.lr_known = ANONSTAT_FRAME1_IN_LR,
		.exact = true,
	};
	unsigned int loads = 0, faults = 0, by_cfi = 0, by_fp = 0;
	int ret;

	cs->frames[0] = w.pc;
	cs->depth = 1;
	depth = clamp_t(unsigned int, depth, 1, ANONSTAT_MAX_DEPTH);
	if (depth == 1)
		return 0;
	pagefault_disable();
	for (;;) {
		ret = step(&w, mm);
		if (ret == STEP_FRAME) {
			if (cs->depth == depth) {
				ret = ANONSTAT_WALK_DEPTH;
				break;
			}
			cs->frames[cs->depth++] = w.pc;
			if (w.by_fp)
				by_fp++;
			else
				by_cfi++;
			continue;
		}
		if (ret >= 0)
			break;
		pagefault_enable();
		mmap_read_unlock(mm);
		w.nr_vmas = 0;
		w.next_vma = 0;
		if (ret == STEP_LOAD) {
			struct file *file = w.load;

			ret = ++loads > ANONSTAT_WALK_MAX_LOADS ? ANONSTAT_WALK_BUDGET :
			      STEP_FRAME;
			if (ret == STEP_FRAME && !anonstat_unwind_load(file))
				w.no_table = file;	/* compared, never used */
			fput(file);
		} else {
			unsigned long word;

			ret = ++faults > ANONSTAT_WALK_MAX_FAULTS ||
			      get_user(word, (unsigned long __user *)w.fault) ?
			      ANONSTAT_WALK_UNREADABLE : STEP_FRAME;
		}
		if (mmap_read_lock_killable(mm)) {
			atomic64_inc(&anonstat_walk_ends[ANONSTAT_WALK_UNREADABLE]);
			return -EINTR;
		}
		pagefault_disable();
		if (ret >= 0)
			break;
	}
	pagefault_enable();
	/* a "return address" that is not code is not a frame */
	if (w.not_code && cs->depth > 1) {
		cs->depth--;
		if (w.by_fp)
			by_fp--;
		else
			by_cfi--;
	}
	atomic64_inc(&anonstat_walk_ends[ret]);
	if (by_cfi)
		atomic64_add(by_cfi, &anonstat_frames_cfi);
	if (by_fp)
		atomic64_add(by_fp, &anonstat_frames_fp);
	return 0;
}

/* The frame 0 of current's system call only: no walk, no lock. */
void anonstat_callsite_ip(struct anonstat_callsite *cs)
{
	cs->frames[0] = anonstat_user_ip(current_pt_regs());
	cs->depth = 1;
}

void anonstat_walks_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < ANONSTAT_NR_WALK_ENDS; i++)
		seq_printf(m, "walk %s %lld\n", walk_end_names[i],
			   (long long)atomic64_read(&anonstat_walk_ends[i]));
	seq_printf(m, "frames cfi %lld\n", (long long)atomic64_read(&anonstat_frames_cfi));
	seq_printf(m, "frames fp %lld\n", (long long)atomic64_read(&anonstat_frames_fp));
}

void anonstat_walks_reset(void)
{
	unsigned int i;

	for (i = 0; i < ANONSTAT_NR_WALK_ENDS; i++)
		atomic64_set(&anonstat_walk_ends[i], 0);
	atomic64_set(&anonstat_frames_cfi, 0);
	atomic64_set(&anonstat_frames_fp, 0);
}
