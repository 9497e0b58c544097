// SPDX-License-Identifier: GPL-2.0
/*
 * callsite.c - the user call stack of the current system call.
 *
 * Owns how a call site is captured, in probe context, from the user
 * registers saved at syscall entry (what they are, per architecture, is
 * arch.h's):
 *
 *   frame 0   the user instruction pointer after the syscall instruction
 *             (inside libc's mmap64, syscall(), ...)
 *   frame 1   the caller of that wrapper.  On x86-64: the first of the
 *             four words at the user stack pointer that looks like a
 *             return address.  On arm64: the link register, if it looks
 *             like one.  This is the frame bpftrace's ustack misses when
 *             user space has no frame pointers.
 *   frame 2+  the frame-pointer chain from the user's frame pointer (rbp,
 *             x29), each frame checked: above the previous one, 8-byte
 *             aligned, within 8 MiB of the stack pointer; the walk stops
 *             at the first frame that fails.  The first record of the
 *             chain is left out when it returns to frame 1 (the wrapper
 *             had a frame of its own); only one is: the walk reads at most
 *             one record more than it stores, whatever the stack holds.
 *
 * "Looks like a return address" means: a user address whose preceding
 * bytes decode as a call instruction (arch.h).  That needs no VMA lookup
 * and no lock, and it is deterministic, so the same call path always gives
 * the same site.  User memory is read in one user access section for the
 * whole walk (user_access_begin() ... user_access_end(), with page faults
 * disabled): a page that is not present ends the walk instead of faulting.
 * Nothing inside the section may call a function (objtool checks it on
 * x86), so the helpers it uses are always inlined.
 *
 * Locking: none; everything is on the stack of the caller.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/nospec.h>
#include <linux/ptrace.h>
#include <linux/sched/task_stack.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#include "anonstat.h"
#include "arch.h"

#define SCAN_WORDS	4		/* words at sp searched for frame 1 */
#define MAX_STACK_SPAN	SZ_8M		/* frame pointers beyond sp + this stop the walk */

/*
 * Inside the open user access section: read the word at user address
 * @addr; false when the address is not user space or its page is not
 * there.  The address is checked as access_ok() would, and clamped, so that
 * a mispredicted check reads nothing of the kernel.
 */
static __always_inline bool get_word(u64 *dst, unsigned long addr)
{
	/* in a register: array_index_nospec() cannot compare with a 64-bit constant */
	unsigned long end = TASK_SIZE_MAX - sizeof(u64) + 1;

	OPTIMIZER_HIDE_VAR(end);
	if (addr >= end)
		return false;
	addr = array_index_nospec(addr, end);
	unsafe_get_user(*dst, (const u64 __user *)addr, fault);
	return true;
fault:
	return false;
}

/*
 * Inside the open user access section: do the bytes before @addr decode as
 * the end of a call instruction?
 */
static __always_inline bool after_call_insn(unsigned long addr)
{
	u64 w;

	if (addr < sizeof(w) || addr >= TASK_SIZE_MAX)
		return false;
	return get_word(&w, addr - sizeof(w)) && anonstat_is_call_end(w, addr);
}

/*
 * The walk: frames 1 and up, stored from @out on, never at or past @end;
 * returns the end of what was stored.  The caller has opened the user
 * access section, so nothing here calls a function: everything is inlined,
 * and the frames and words are reached through pointers checked against
 * their ends rather than by array index (an index check by the bounds
 * sanitizer would be a call).
 */
static __always_inline unsigned long *walk(unsigned long *out,
					   const unsigned long *end,
					   unsigned long sp, unsigned long fp,
					   unsigned long lr)
{
	const unsigned long *frame1 = out;
	u64 words[SCAN_WORDS], *w, *w_end = words + SCAN_WORDS;
	bool skipped = false;
	unsigned long prev;
	u64 next_fp, ret;

	/*
	 * Frame 1 is the link register, when the call instruction left the
	 * return address there.  Otherwise it is the first of the words at
	 * sp that is a return address.  Near the top of the stack mapping
	 * only the first word may be there: the others count only when all
	 * of them can be read.  The first word is usually the one, so the
	 * others are read only if not.
	 */
	if (ANONSTAT_FRAME1_IN_LR) {
		lr = anonstat_code_addr(lr);
		if (after_call_insn(lr))
			*out++ = lr;
	} else if (!get_word(&words[0], sp)) {
		return out;
	} else if (after_call_insn(words[0])) {
		*out++ = words[0];
	} else {
		for (w = words + 1; w < w_end; w++)
			if (!get_word(w, sp + (w - words) * sizeof(*w)))
				return out;
		for (w = words + 1; w < w_end; w++) {
			if (after_call_insn(*w)) {
				*out++ = *w;
				break;
			}
		}
	}
	if (out == frame1)
		return out;

	for (prev = sp; out < end; prev = fp + 2 * sizeof(u64), fp = next_fp) {
		if ((fp & 7) || fp < prev || fp - sp > MAX_STACK_SPAN)
			break;
		if (!get_word(&next_fp, fp) || !get_word(&ret, fp + sizeof(u64)))
			break;
		ret = anonstat_code_addr(ret);
		if (!after_call_insn(ret))
			break;
		/*
		 * A wrapper with a frame of its own returns to frame 1: its
		 * record is skipped, once.  Skipping every record that does
		 * (as a forged stack can make them all) would let user space
		 * keep this loop going for the whole 8 MiB span.
		 */
		if (!skipped && out == frame1 + 1 && ret == *frame1) {
			skipped = true;
			continue;
		}
		*out++ = ret;
	}
	return out;
}

void anonstat_callsite_capture(struct anonstat_callsite *cs, unsigned int depth)
{
	struct pt_regs *regs = current_pt_regs();
	unsigned long sp = anonstat_user_sp(regs);

	cs->frames[0] = anonstat_user_ip(regs);
	cs->depth = 1;
	if (depth < 2)
		return;
	depth = min_t(unsigned int, depth, ANONSTAT_MAX_DEPTH);
	pagefault_disable();
	/* every later address is checked by get_word() */
	if (user_access_begin((const void __user *)sp, sizeof(u64))) {
		cs->depth = walk(cs->frames + 1, cs->frames + depth, sp,
				 anonstat_user_fp(regs),
				 anonstat_user_lr(regs)) - cs->frames;
		user_access_end();
	}
	pagefault_enable();
}
