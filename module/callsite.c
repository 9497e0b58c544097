// SPDX-License-Identifier: GPL-2.0
/*
 * callsite.c - the user call stack of the current system call.
 *
 * Owns how a call site is captured, in probe context, from the user
 * registers saved at syscall entry:
 *
 *   frame 0   the user instruction pointer after the syscall instruction
 *             (inside libc's mmap64, syscall(), ...)
 *   frame 1   the first of the four words at the user stack pointer that
 *             looks like a return address: the caller of that wrapper.
 *             This is the frame bpftrace's ustack misses when user space
 *             has no frame pointers.
 *   frame 2+  the frame-pointer chain from the user's rbp, each frame
 *             checked: above the previous one, 8-byte aligned, within
 *             8 MiB of the stack pointer; the walk stops at the first
 *             frame that fails.
 *
 * "Looks like a return address" means: a user address whose preceding
 * bytes decode as a call instruction (call rel32, or call through a
 * register or memory operand).  That needs no VMA lookup and no lock, and
 * it is deterministic, so the same call path always gives the same site.
 * User memory is read in one user access section for the whole walk
 * (user_access_begin() ... user_access_end(), with page faults disabled):
 * a page that is not present ends the walk instead of faulting.  Nothing
 * inside the section may call a function (objtool checks it), so the
 * helpers it uses are always inlined.
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

/* Byte @i of the 8 bytes @w read from memory; no array, see walk(). */
#define BYTE(w, i)	((u8)((w) >> (8 * (i))))

/* Do the 8 bytes @w (in memory order) end with a call instruction? */
static __always_inline bool is_call_end(u64 w)
{
	u8 b2 = BYTE(w, 2), b3 = BYTE(w, 3), b6 = BYTE(w, 6), b7 = BYTE(w, 7);

	/* e8 rel32 */
	if (b3 == 0xe8)
		return true;
	/* ff /2 with modrm 11 (register) or 00 (memory, no displacement) */
	if (b6 == 0xff && ((b7 & 0xf8) == 0xd0 ||
			   ((b7 & 0xf8) == 0x10 && (b7 & 7) != 4 &&
			    (b7 & 7) != 5)))
		return true;
	/* ff /2 disp8, without and with SIB */
	if (BYTE(w, 5) == 0xff && (b6 & 0xf8) == 0x50 && (b6 & 7) != 4)
		return true;
	if (BYTE(w, 4) == 0xff && BYTE(w, 5) == 0x54)
		return true;
	/* ff /2 disp32 or rip-relative, without and with SIB */
	if (b2 == 0xff && (((b3 & 0xf8) == 0x90 && (b3 & 7) != 4) ||
			   b3 == 0x15))
		return true;
	if (BYTE(w, 1) == 0xff && b2 == 0x94)
		return true;
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
	return get_word(&w, addr - sizeof(w)) && is_call_end(w);
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
					   unsigned long sp, unsigned long fp)
{
	const unsigned long *frame1 = out;
	u64 words[SCAN_WORDS], *w, *w_end = words + SCAN_WORDS;
	unsigned long prev;
	u64 next_fp, ret;

	/*
	 * Frame 1 is the first of the words at sp that is a return address.
	 * Near the top of the stack mapping only the first word may be
	 * there: the others count only when all of them can be read.  The
	 * first word is usually the one, so the others are read only if not.
	 */
	if (!get_word(&words[0], sp))
		return out;
	if (after_call_insn(words[0])) {
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
		if (!after_call_insn(ret))
			break;
		/* a wrapper with a frame of its own returns to frame 1 */
		if (out == frame1 + 1 && ret == *frame1)
			continue;
		*out++ = ret;
	}
	return out;
}

void anonstat_callsite_capture(struct anonstat_callsite *cs, unsigned int depth)
{
	struct pt_regs *regs = current_pt_regs();
	unsigned long sp = regs->sp;

	cs->frames[0] = regs->ip;
	cs->depth = 1;
	if (depth < 2)
		return;
	depth = min_t(unsigned int, depth, ANONSTAT_MAX_DEPTH);
	pagefault_disable();
	/* every later address is checked by get_word() */
	if (user_access_begin((const void __user *)sp, sizeof(u64))) {
		cs->depth = walk(cs->frames + 1, cs->frames + depth, sp,
				 regs->bp) - cs->frames;
		user_access_end();
	}
	pagefault_enable();
}
