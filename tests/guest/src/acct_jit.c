// SPDX-License-Identifier: GPL-2.0
/*
 * acct_jit.c - a call stack through code without CFI: a "JIT" stub in
 * anonymous executable memory, as a JIT compiler or an interpreter's
 * trampolines make them.
 *
 * run_stub() calls the stub, which calls do_map(), which calls mmap():
 *
 *   fp   the stub keeps a frame pointer (push rbp; mov rbp, rsp on x86-64,
 *        stp x29, x30 / mov x29, sp on arm64), as the JITs of V8, the JVM
 *        and LuaJIT's interpreter do: the walk steps over the stub by its
 *        frame record (status "frames fp" +1) and goes on by CFI: frames
 *        mmap, do_map, the stub, run_stub, check, main, ... up to _start,
 *        and the walk is complete;
 *   nofp the stub has no frame: the frame pointer is run_stub's, so
 *        stepping over the stub by it lands in check, one frame up.  What
 *        is checked is what anonstat can know: frames mmap, do_map, the
 *        stub, then no more than the real stack has, and the walk ends.
 *
 * In both the region is accounted exactly (/proc/self/maps is the oracle).
 *
 * usage: acct_jit   (root, anonstat loaded)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define LEN	(5 * PAGE_SZ)

static struct as_snap snap;
static struct as_status before, after;
static void *mapped;

typedef void (*stub_fn)(void (*fn)(void));

SITE_FN void do_map(void)
{
	mapped = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__asm__ volatile("" ::: "memory");
}

SITE_FN void run_stub(stub_fn stub)
{
	stub(do_map);
	__asm__ volatile("" ::: "memory");
}

#if defined(__x86_64__)
/* push %rbp; mov %rsp,%rbp; call *%rdi; pop %rbp; ret */
static const unsigned char stub_fp[] = {
	0x55, 0x48, 0x89, 0xe5, 0xff, 0xd7, 0x5d, 0xc3,
};
/* sub $8,%rsp; call *%rdi; add $8,%rsp; ret */
static const unsigned char stub_nofp[] = {
	0x48, 0x83, 0xec, 0x08, 0xff, 0xd7, 0x48, 0x83, 0xc4, 0x08, 0xc3,
};
#define CALL_END_FP	6	/* offset of the stub's return address */
#define CALL_END_NOFP	6
#elif defined(__aarch64__)
/* stp x29, x30, [sp, #-16]!; mov x29, sp; blr x0; ldp x29, x30, [sp], #16; ret */
static const uint32_t stub_fp[] = {
	0xa9bf7bfd, 0x910003fd, 0xd63f0000, 0xa8c17bfd, 0xd65f03c0,
};
/* str x30, [sp, #-16]!; blr x0; ldr x30, [sp], #16; ret */
static const uint32_t stub_nofp[] = {
	0xf81f0ffe, 0xd63f0000, 0xf84107fe, 0xd65f03c0,
};
#define CALL_END_FP	12
#define CALL_END_NOFP	8
#else
#error "x86-64 and arm64 only"
#endif

/* the stub's code in a fresh anonymous executable mapping */
static stub_fn make_stub(const void *code, size_t len)
{
	void *p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fatal("stub", "mmap failed");
	memcpy(p, code, len);
	__builtin___clear_cache((char *)p, (char *)p + len);
	if (mprotect(p, PAGE_SZ, PROT_READ | PROT_EXEC))
		t_fatal("stub", "mprotect failed");
	return (stub_fn)p;
}

static uint64_t walks(const struct as_status *st)
{
	static const char *const ends[] = {
		"walk complete", "walk no_cfi", "walk unreadable",
		"walk depth", "walk budget", "walk invalid",
	};
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ends); i++)
		n += status_num(st, ends[i]);
	return n;
}

SITE_FN void check(const char *name, const void *code, size_t len,
		   size_t call_end, bool fp)
{
	const struct as_site *site;
	char check_name[64];
	stub_fn stub = make_stub(code, len);
	uint64_t ret_in_stub = (uint64_t)(uintptr_t)stub + call_end;
	int n;

	ctl_must("reset");
	status_read(&before);
	run_stub(stub);
	status_read(&after);
	if (mapped == MAP_FAILED)
		t_fatal(name, "mmap failed");
	snap_take(&snap, getpid());
	snprintf(check_name, sizeof(check_name), "%s.maps", name);
	t_check_maps(check_name, getpid());
	site = snap_site_at(&snap, mapped);
	snprintf(check_name, sizeof(check_name), "%s.site", name);
	if (!site) {
		t_fail(check_name, "no region at %p", mapped);
		return;
	}
	t_site(check_name, site, &(struct site_expect){
		"private", 1, 0, LEN, 0, 1, LEN, LEN });
	n = site->nframes;
	t_note("%s: %s", name, site_str(site));
	snprintf(check_name, sizeof(check_name), "%s.frames_to_stub", name);
	t_expect(n >= 3 && addr_in_function(site->frames[1], "do_map") &&
		 site->frames[2] == ret_in_stub, check_name,
		 "want frame 1 in do_map, frame 2 the stub's return address 0x%" PRIx64 ": %s",
		 ret_in_stub, site_str(site));
	snprintf(check_name, sizeof(check_name), "%s.walk", name);
	t_expect(walks(&after) - walks(&before) == 1, check_name,
		 "%" PRIu64 " walks ended, want 1", walks(&after) - walks(&before));
	if (fp) {
		/* mmap do_map stub run_stub check main, 2 of libc's start, _start */
		snprintf(check_name, sizeof(check_name), "%s.frames_past_stub", name);
		t_expect(n == 9 && addr_in_function(site->frames[3], "run_stub") &&
			 addr_in_function(site->frames[4], "check") &&
			 addr_in_function(site->frames[5], "main") &&
			 addr_in_function(site->frames[8], "_start"), check_name,
			 "want 9 frames: run_stub, check, main, ..., _start after the stub: %s",
			 site_str(site));
		snprintf(check_name, sizeof(check_name), "%s.by_fp", name);
		t_status_delta(check_name, &before, &after, "frames fp", 1);
		snprintf(check_name, sizeof(check_name), "%s.complete", name);
		t_status_delta(check_name, &before, &after, "walk complete", 1);
	} else {
		snprintf(check_name, sizeof(check_name), "%s.no_more_frames", name);
		t_expect(n <= 9, check_name, "%d frames, the stack has 9", n);
	}
	munmap(mapped, LEN);
	munmap((void *)stub, PAGE_SZ);
}

int main(void)
{
	t_init("acct_jit");
	ctl_isolate(ISOLATE_SELF);
	check("fp", stub_fp, sizeof(stub_fp), CALL_END_FP, true);
	check("nofp", stub_nofp, sizeof(stub_nofp), CALL_END_NOFP, false);
	snap_take(&snap, getpid());
	t_check_maps("end.maps", getpid());
	t_consistent("consistent", &snap);
	return t_exit_status();
}
