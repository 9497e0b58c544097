/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arch.h - everything anonstat knows about the CPU architecture.
 *
 * Owns, for x86-64 and arm64:
 *
 *   - the names of the system call entry points the probes attach to;
 *   - where a system call's arguments are in the user registers saved at
 *     syscall entry (current_pt_regs()), and where a kernel function's
 *     first argument is when a kprobe hits its entry;
 *   - the user registers the call stack walk starts from: the instruction
 *     pointer, the stack pointer, the frame pointer and, where the call
 *     instruction leaves the return address in a register instead of on
 *     the stack, that link register;
 *   - what a return address looks like: the instruction before it is a
 *     call, and the address as the hardware stores it may carry a pointer
 *     authentication code (arm64) that has to go before it is compared.
 *
 * callsite.c's walk is the same on both: frame 0 is the user instruction
 * pointer, frame 1 the caller of the libc wrapper that made the system
 * call, frames 2 and up the frame-pointer chain, whose records have the
 * same shape on both ([fp] the previous fp, [fp + 8] the return address).
 * Frame 1 is where the architecture's call instruction left it: on x86-64
 * the call pushed it, so it is one of the words at the stack pointer (the
 * wrapper may have pushed a few more); on arm64 BL put it in the link
 * register x30, which a leaf wrapper (mmap(), syscall()) has not touched
 * when it executes svc.
 *
 * Everything here is static inline and calls nothing: the walk uses it
 * inside a user access section.
 */
#ifndef ANONSTAT_ARCH_H
#define ANONSTAT_ARCH_H

#include <linux/bits.h>
#include <linux/ptrace.h>
#include <linux/types.h>

#if defined(CONFIG_X86_64)

/* the pt_regs wrappers of the system calls (4.17+) */
#define ANONSTAT_SYSCALL(name)	"__x64_sys_" name

/* System call argument @n (0-5) from the user registers at entry. */
static __always_inline unsigned long
anonstat_syscall_arg(const struct pt_regs *u, unsigned int n)
{
	switch (n) {
	case 0: return u->di;
	case 1: return u->si;
	case 2: return u->dx;
	case 3: return u->r10;
	case 4: return u->r8;
	default: return u->r9;
	}
}

/* The first argument of the kernel function a kprobe hit the entry of. */
static __always_inline unsigned long anonstat_kernel_arg0(const struct pt_regs *regs)
{
	return regs->di;
}

static __always_inline unsigned long anonstat_user_ip(const struct pt_regs *u)
{
	return u->ip;
}

static __always_inline unsigned long anonstat_user_sp(const struct pt_regs *u)
{
	return u->sp;
}

static __always_inline unsigned long anonstat_user_fp(const struct pt_regs *u)
{
	return u->bp;
}

/* No link register: frame 1 is found among the words at the stack pointer. */
#define ANONSTAT_FRAME1_IN_LR	0

static __always_inline unsigned long anonstat_user_lr(const struct pt_regs *u)
{
	return 0;
}

/* A return address is used as stored. */
static __always_inline unsigned long anonstat_code_addr(unsigned long addr)
{
	return addr;
}

/*
 * glibc's signal trampoline (__restore_rt) is in libc and has CFI: no
 * signal frame needs the code below.
 */
#define ANONSTAT_SIGRETURN_INSNS	0ULL
#define ANONSTAT_SIGFRAME_PC		0
#define ANONSTAT_SIGFRAME_SP		0
#define ANONSTAT_SIGFRAME_FP		0
#define ANONSTAT_SIGFRAME_LR		0

/* Byte @i of the 8 bytes @w read from memory; no array, see callsite.c. */
#define ANONSTAT_BYTE(w, i)	((u8)((w) >> (8 * (i))))

/*
 * Do the 8 bytes @w (in memory order) that end at @addr end with a call
 * instruction: call rel32, or call through a register or memory operand?
 */
static __always_inline bool anonstat_is_call_end(u64 w, unsigned long addr)
{
	u8 b2 = ANONSTAT_BYTE(w, 2), b3 = ANONSTAT_BYTE(w, 3);
	u8 b6 = ANONSTAT_BYTE(w, 6), b7 = ANONSTAT_BYTE(w, 7);

	/* e8 rel32 */
	if (b3 == 0xe8)
		return true;
	/* ff /2 with modrm 11 (register) or 00 (memory, no displacement) */
	if (b6 == 0xff && ((b7 & 0xf8) == 0xd0 ||
			   ((b7 & 0xf8) == 0x10 && (b7 & 7) != 4 &&
			    (b7 & 7) != 5)))
		return true;
	/* ff /2 disp8, without and with SIB */
	if (ANONSTAT_BYTE(w, 5) == 0xff && (b6 & 0xf8) == 0x50 && (b6 & 7) != 4)
		return true;
	if (ANONSTAT_BYTE(w, 4) == 0xff && ANONSTAT_BYTE(w, 5) == 0x54)
		return true;
	/* ff /2 disp32 or rip-relative, without and with SIB */
	if (b2 == 0xff && (((b3 & 0xf8) == 0x90 && (b3 & 7) != 4) ||
			   b3 == 0x15))
		return true;
	if (ANONSTAT_BYTE(w, 1) == 0xff && b2 == 0x94)
		return true;
	return false;
}

#elif defined(CONFIG_ARM64)

#include <asm/memory.h>

/* the pt_regs wrappers of the system calls (4.19+) */
#define ANONSTAT_SYSCALL(name)	"__arm64_sys_" name

/*
 * System call argument @n (0-5): x0-x5.  svc leaves x0 in orig_x0 as well;
 * at entry, which is where the probes read it, both are the argument.
 */
static __always_inline unsigned long
anonstat_syscall_arg(const struct pt_regs *u, unsigned int n)
{
	return u->regs[n];
}

static __always_inline unsigned long anonstat_kernel_arg0(const struct pt_regs *regs)
{
	return regs->regs[0];
}

/* ELR: svc leaves the address of the instruction after it, as x86 does */
static __always_inline unsigned long anonstat_user_ip(const struct pt_regs *u)
{
	return u->pc;
}

static __always_inline unsigned long anonstat_user_sp(const struct pt_regs *u)
{
	return u->sp;
}

/* x29 */
static __always_inline unsigned long anonstat_user_fp(const struct pt_regs *u)
{
	return u->regs[29];
}

/* BL and BLR leave the return address in x30 (LR), not on the stack. */
#define ANONSTAT_FRAME1_IN_LR	1

static __always_inline unsigned long anonstat_user_lr(const struct pt_regs *u)
{
	return u->regs[30];
}

/*
 * Code compiled with -mbranch-protection=pac-ret signs the return address
 * in x30 (paciasp) before it saves it, so LR and the saved words may carry
 * a pointer authentication code, and a tag, in the bits above the virtual
 * address.  User space maps below 1 << VA_BITS_MIN unless it asks for more
 * with an mmap() hint, so clearing the bits from VA_BITS_MIN up gives the
 * address on every configuration (52-bit kernels included) without
 * reading the CPU's actual VA size.
 */
static __always_inline unsigned long anonstat_code_addr(unsigned long addr)
{
	return addr & GENMASK_ULL(VA_BITS_MIN - 1, 0);
}

/*
 * The signal trampoline is the vDSO's __kernel_rt_sigreturn:
 * "mov x8, #__NR_rt_sigreturn; svc #0".  Its CFI (a frame record the
 * kernel puts in the signal frame) gives the interrupted x29 and x30, not
 * the interrupted pc, so the walk reads the registers from the signal
 * frame instead, as gdb and libgcc do: at the trampoline the stack pointer
 * is the handler's at entry, the start of struct rt_sigframe
 * (arch/arm64/kernel/signal.c): a siginfo, then the ucontext.
 */
#include <asm/ucontext.h>

#define ANONSTAT_SIGRETURN_INSNS	0xd4000001d2801168ULL	/* in memory order */
#define ANONSTAT_SIGFRAME_MCONTEXT \
	(sizeof(siginfo_t) + offsetof(struct ucontext, uc_mcontext))
#define ANONSTAT_SIGFRAME_REG(field) \
	(ANONSTAT_SIGFRAME_MCONTEXT + offsetof(struct sigcontext, field))
#define ANONSTAT_SIGFRAME_PC		ANONSTAT_SIGFRAME_REG(pc)
#define ANONSTAT_SIGFRAME_SP		ANONSTAT_SIGFRAME_REG(sp)
#define ANONSTAT_SIGFRAME_FP		ANONSTAT_SIGFRAME_REG(regs[29])
#define ANONSTAT_SIGFRAME_LR		ANONSTAT_SIGFRAME_REG(regs[30])

/*
 * Do the 8 bytes @w that end at @addr end with a call instruction?  The
 * instruction is the last 4 of them (little-endian): BL, BLR, or the
 * authenticating BLRAA, BLRAAZ, BLRAB, BLRABZ.  Instructions are 4-byte
 * aligned, and so is every return address.
 */
static __always_inline bool anonstat_is_call_end(u64 w, unsigned long addr)
{
	u32 insn = (u32)(w >> 32);

	if (addr & 3)
		return false;
	return (insn & 0xfc000000) == 0x94000000 ||	/* BL imm26 */
	       (insn & 0xfffffc1f) == 0xd63f0000 ||	/* BLR Xn */
	       (insn & 0xfffff81f) == 0xd63f081f ||	/* BLRAAZ, BLRABZ */
	       (insn & 0xfffff800) == 0xd73f0800;	/* BLRAA, BLRAB */
}

#else
#error "anonstat supports x86-64 and arm64 only"
#endif

#endif /* ANONSTAT_ARCH_H */
