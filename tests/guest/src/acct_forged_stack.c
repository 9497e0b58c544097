// SPDX-License-Identifier: GPL-2.0
/*
 * acct_forged_stack.c - mmap from a forged user stack.
 *
 * The call stack walk (module/callsite.c) follows the CFI of the code it
 * finds, with the user's registers and stack: both are the user's to
 * choose.  This program is built with frame pointers, so its CFI finds a
 * caller's frame through rbp: CFA = rbp + 16, the return address at
 * CFA - 8, the caller's rbp at CFA - 16.  Each check makes one mmap system
 * call from forged_mmap() with rsp and rbp pointing into a buffer of its
 * own, where the frame records are, F1 being an address right after a
 * call instruction of this program (so that it is code with CFI):
 *
 *   self       one record pointing at itself, returning to F1: the step
 *              after it would not move up the stack, and the walk ends
 *              ("invalid"); frames IP F1;
 *   loop       two records pointing at each other, both returning to F1:
 *              frames IP F1 F1, then the walk would go down and ends;
 *   chain      8 MiB of records, each pointing at the next one 16 bytes up
 *              and all returning to F1: one frame per record up to the
 *              depth: IP and 3 F1 at depth 4, 15 at 16, 31 at 32;
 *   kernel_fp  one record returning to F1 whose saved rbp is a kernel
 *              address: the next step's reads fail ("unreadable"); frames
 *              IP F1;
 *   kernel_ra  one record whose return address is a kernel address: not
 *              code, so not a frame ("invalid"); frames IP.
 *
 * In each the mapping is accounted: one region of its own site (each
 * check starts from a reset), one map; and the walk ends as said.
 *
 * usage: acct_forged_stack             the checks (root, anonstat loaded)
 *        acct_forged_stack --measure N  print the guest clock per mmap+munmap
 *                                       pair, N pairs with the forged chain
 *                                       and N normal ones (under tests/vm/run
 *                                       --icount: guest instructions)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P		PAGE_SZ
#define CHAIN_BYTES	(8UL << 20)		/* the walk's span */
#define BUF_BYTES	(CHAIN_BYTES + 16 * P)
#define KERNEL_ADDR	0xffff888000001000ULL	/* the direct map of x86-64 */

#if defined(__x86_64__)

static struct as_snap snap;

/* The return address of this call: right after a call instruction. */
static SITE_FN uint64_t return_address(void)
{
	return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

/*
 * mmap(NULL, len, RW, private anonymous) with rsp = sp and rbp = fp;
 * *ip is the address after the syscall instruction (frame 0).
 */
static SITE_FN void *forged_mmap(uint64_t *sp, uint64_t *fp, size_t len,
				 uint64_t *ip)
{
	register long r10 __asm__("r10") = MAP_PRIVATE | MAP_ANONYMOUS;
	register long r8 __asm__("r8") = -1;
	register long r9 __asm__("r9") = 0;
	long ret;

	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "mov %%rcx, (%[ipp])\n\t"
			 "mov %%rsp, %%r12\n\t"
			 "mov %%rbp, %%r13\n\t"
			 "mov %[sp], %%rsp\n\t"
			 "mov %[fp], %%rbp\n\t"
			 "syscall\n"
			 "1:\n\t"
			 "mov %%r12, %%rsp\n\t"
			 "mov %%r13, %%rbp\n\t"
			 : "=a"(ret)
			 : "0"((long)SYS_mmap), "D"(0L), "S"(len),
			   "d"((long)(PROT_READ | PROT_WRITE)), "r"(r10),
			   "r"(r8), "r"(r9), [sp] "r"(sp), [fp] "r"(fp),
			   [ipp] "r"(ip)
			 : "rcx", "r11", "r12", "r13", "memory");
	return (void *)ret;
}

static uint64_t *buf;
static uint64_t f1;

/* The frame records of each shape, in buf; returns the fp to start from. */
static uint64_t *forge(const char *shape)
{
	size_t i, n = BUF_BYTES / sizeof(*buf);

	memset(buf, 0, BUF_BYTES);
	buf[0] = f1;				/* at rsp: frame 1 */
	if (!strcmp(shape, "self")) {
		buf[2] = ptr_u64(&buf[2]);
		buf[3] = f1;
	} else if (!strcmp(shape, "loop")) {
		buf[2] = ptr_u64(&buf[4]);
		buf[3] = f1;
		buf[4] = ptr_u64(&buf[2]);
		buf[5] = f1;
	} else if (!strcmp(shape, "kernel_fp")) {
		buf[2] = KERNEL_ADDR;
		buf[3] = f1;
	} else if (!strcmp(shape, "kernel_ra")) {
		buf[2] = ptr_u64(&buf[4]);
		buf[3] = KERNEL_ADDR;
	} else {
		for (i = 2; i + 1 < n; i += 2) {
			buf[i] = ptr_u64(&buf[i + 2]);
			buf[i + 1] = f1;
		}
	}
	return &buf[2];
}

/* How the walk ends (status: walk END) */
static const char *const walk_ends[] = {
	"complete", "no_cfi", "unreadable", "depth", "budget", "invalid",
};

static void check(const char *shape, unsigned int depth, int nf1,
		  const char *end)
{
	static struct as_status before, after;
	const struct as_site *site;
	uint64_t walks = 0;
	char key[32];
	size_t k;
	char name[64];
	uint64_t ip, *fp;
	char *p;
	int i;
	bool same;

	/* a site of its own, whatever the checks before left (same frames) */
	ctl_must("reset");
	ctl_must("depth %u", depth);
	fp = forge(shape);
	status_read(&before);
	p = forged_mmap(buf, fp, 2 * P, &ip);
	if (p == MAP_FAILED || (uintptr_t)p > (uintptr_t)-4096UL)
		t_fatal(shape, "forged mmap failed: %ld", (long)p);
	status_read(&after);
	snprintf(name, sizeof(name), "%s_depth%u_walk", shape, depth);
	for (k = 0; k < ARRAY_SIZE(walk_ends); k++) {
		snprintf(key, sizeof(key), "walk %s", walk_ends[k]);
		walks += status_num(&after, key) - status_num(&before, key);
	}
	snprintf(key, sizeof(key), "walk %s", end);
	if (t_expect(walks == 1, name, "%" PRIu64 " walks, want 1", walks))
		t_status_delta(name, &before, &after, key, 1);
	snap_take(&snap, getpid());
	snprintf(name, sizeof(name), "%s_depth%u.maps", shape, depth);
	t_check_maps(name, getpid());
	snprintf(name, sizeof(name), "%s_depth%u_site", shape, depth);
	site = snap_site_at(&snap, p);
	if (!site) {
		t_fail(name, "no region at %p", (void *)p);
		return;
	}
	t_site(name, site, &(struct site_expect){
		"private", 1, 0, 2 * P, 0, 1, 2 * P, 2 * P });
	snprintf(name, sizeof(name), "%s_depth%u_frames", shape, depth);
	same = site->nframes == 1 + nf1 && site->frames[0] == ip;
	for (i = 1; same && i <= nf1; i++)
		same = site->frames[i] == f1;
	t_expect(same, name, "want frames ip 0x%" PRIx64 " and %d x F1 0x%" PRIx64
		 ", got %s", ip, nf1, f1, site_str(site));
	unmap(p, 2 * P);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void measure(long n)
{
	uint64_t t0 = 0, t1, t2 = 0, ip, *fp = forge("chain");
	long i;

	for (i = 0; i < n; i++) {
		void *p = forged_mmap(buf, fp, P, &ip);

		if (i == 0)
			t0 = now_ns();
		munmap(p, P);
	}
	t1 = now_ns();
	for (i = 0; i < n; i++) {
		void *p = mmap(NULL, P, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (i == 0)
			t2 = now_ns();
		munmap(p, P);
	}
	t2 = (now_ns() - t2) / (n - 1);
	t1 = (t1 - t0) / (n - 1);
	printf("measure: forged chain %lu ns per mmap+munmap pair, normal stack %lu ns (%ld pairs each, the first left out)\n",
	       (unsigned long)t1, (unsigned long)t2, n);
}

int main(int argc, char **argv)
{
	t_init("acct_forged_stack");
	buf = mmap(NULL, BUF_BYTES, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		t_fatal("buffer", "mmap of the forged stack failed");
	f1 = return_address();
	if (argc == 3 && !strcmp(argv[1], "--measure")) {
		long n = atol(argv[2]);

		if (n < 2)
			t_fatal("usage", "--measure N wants N >= 2");
		measure(n);
		return 0;
	}
	ctl_isolate(ISOLATE_SELF);
	check("self", 4, 1, "invalid");
	check("loop", 4, 2, "invalid");
	check("chain", 4, 3, "depth");
	check("chain", 16, 15, "depth");
	check("chain", 32, 31, "depth");
	check("kernel_fp", 16, 1, "unreadable");
	check("kernel_ra", 16, 0, "invalid");
	snap_take(&snap, getpid());
	t_check_maps("end.maps", getpid());
	t_consistent("consistent", &snap);
	return t_exit_status();
}

#else

int main(void)
{
	t_init("acct_forged_stack");
	t_note("the forged stacks are x86-64 code: nothing checked here");
	t_ok("not_x86_64");
	return t_exit_status();
}

#endif
