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
 * User memory is read with copy_from_user_nofault(): a page that is not
 * present ends the walk instead of faulting.
 *
 * Locking: none; everything is on the stack of the caller.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ptrace.h>
#include <linux/sched/task_stack.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#include "anonstat.h"

#define SCAN_WORDS	4		/* words at sp searched for frame 1 */
#define MAX_STACK_SPAN	SZ_8M		/* frame pointers beyond sp + this stop the walk */

/* Read user memory without sleeping; a page that is not there fails. */
static bool read_user(void *dst, unsigned long src, size_t size)
{
	return !copy_from_user_nofault(dst, (const void __user *)src, size);
}

/* Do the bytes before @addr decode as the end of a call instruction? */
static bool after_call_insn(unsigned long addr)
{
	u8 c[8];	/* c[7] is the byte just before @addr */

	if (addr < sizeof(c) || addr >= TASK_SIZE_MAX)
		return false;
	if (!read_user(c, addr - sizeof(c), sizeof(c)))
		return false;
	/* e8 rel32 */
	if (c[3] == 0xe8)
		return true;
	/* ff /2 with modrm 11 (register) or 00 (memory, no displacement) */
	if (c[6] == 0xff && ((c[7] & 0xf8) == 0xd0 ||
			     ((c[7] & 0xf8) == 0x10 && (c[7] & 7) != 4 &&
			      (c[7] & 7) != 5)))
		return true;
	/* ff /2 disp8, without and with SIB */
	if (c[5] == 0xff && (c[6] & 0xf8) == 0x50 && (c[6] & 7) != 4)
		return true;
	if (c[4] == 0xff && c[5] == 0x54)
		return true;
	/* ff /2 disp32 or rip-relative, without and with SIB */
	if (c[2] == 0xff && (((c[3] & 0xf8) == 0x90 && (c[3] & 7) != 4) ||
			     c[3] == 0x15))
		return true;
	if (c[1] == 0xff && c[2] == 0x94)
		return true;
	return false;
}

void anonstat_callsite_capture(struct anonstat_callsite *cs, unsigned int depth)
{
	struct pt_regs *regs = current_pt_regs();
	unsigned long words[SCAN_WORDS], sp = regs->sp, fp = regs->bp, prev;
	unsigned int n = 0, i, n_words;

	cs->frames[n++] = regs->ip;
	if (depth < 2)
		goto out;

	/* near the top of the stack mapping only the first word may be there */
	n_words = SCAN_WORDS;
	if (!read_user(words, sp, sizeof(words))) {
		if (!read_user(words, sp, sizeof(words[0])))
			goto out;
		n_words = 1;
	}
	for (i = 0; i < n_words; i++) {
		if (after_call_insn(words[i])) {
			cs->frames[n++] = words[i];
			break;
		}
	}
	if (n < 2)
		goto out;

	for (prev = sp; n < depth; prev = fp + 2 * sizeof(words[0]), fp = words[0]) {
		if ((fp & 7) || fp < prev || fp - sp > MAX_STACK_SPAN)
			break;
		if (!read_user(words, fp, 2 * sizeof(words[0])))
			break;
		if (!after_call_insn(words[1]))
			break;
		/* a wrapper with a frame of its own returns to frame 1 */
		if (n == 2 && words[1] == cs->frames[1])
			continue;
		cs->frames[n++] = words[1];
	}
out:
	cs->depth = n;
}
