// SPDX-License-Identifier: GPL-2.0
/*
 * acct_ucx.c - the real UCX case (issue 14): Debian's libucm (UCX 1.13)
 * installs its memory hooks in bistro mode, patching the entry of libc's
 * mmap and munmap with a jump into libucm, which then issues the raw
 * syscall(SYS_mmap, ...) itself; and this program, like Debian's libc and
 * libucm, has no frame pointers (built with plain -O2, see the Makefile).
 * Two functions of its own map through the hooks:
 *
 *   ucx_leak_map()      64 KiB per call, kept: 200 calls
 *   ucx_balanced_map()  256 KiB mapped and unmapped: 200 calls
 *
 * Checks (after the hooks are installed, the reset, then the 400 calls):
 *   .hooked        ucm_set_event_handler() said UCS_OK, and libc's mmap
 *                  starts with a jump into libucm.so (libucm patches it
 *                  when it is loaded, before main);
 *   .events        the handler saw exactly the 400 mmaps and 200 munmaps
 *                  (the calls went through libucm);
 *   .two_sites     the leaking and the balanced calls are two sites, and
 *                  the process has no other site of origin call;
 *   .leak_site     200 maps, no unmap, live bytes exactly 200 * 64 KiB;
 *   .balanced_site 200 maps, 200 unmaps, 0 live bytes, peak 256 KiB;
 *   .*_frames      each site's stack: frame 0 in libc's syscall(), frame 1
 *                  and the frames up to the caller in libucm.so, then the
 *                  caller, then main, and the walk reaches _start;
 *   .maps, .consistent  the /proc/PID/maps oracle and the format's rules.
 * The sites' frames are printed as "# " notes.
 *
 * Frames are named with dladdr() (the program is linked with -rdynamic);
 * frames past 0 are return addresses, looked up at address - 1.  What the
 * test saw in the 6.1 VM (UCX 1.13.1, glibc 2.36), for the leaking site:
 *   #0 syscall+0x19 (libc.so.6)          #5 ucx_leak_map+0x23
 *   #1 ucm_orig_mmap_syscall+0x20        #6 main+0xea
 *   #2 libucm.so.0+0x5b41 (static)       #7 libc.so.6+0x2724a
 *   #3 ucm_event_dispatch+0x3b           #8 __libc_start_main+0x85
 *   #4 ucm_mmap+0x74                     #9 _start+0x21
 *
 * On arm64 (UCX 1.13.1 in the 6.12 VM) the leaking site's frames were
 * #0 syscall, #1-#3 in libucm, #4 ucx_leak_map, #5 main, ... #8 _start:
 * libucm's raw wrappers tail-call syscall() there, so fewer frames.
 *
 * usage: acct_ucx   (root, anonstat loaded; libucx0)
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ucm/api/ucm.h>

#include "anonstat_test.h"

#define CALLS		200
#define LEAK_LEN	(64 * 1024)
#define BAL_LEN		(256 * 1024)

static struct as_snap snap, base;
static void *leaked[CALLS];

/* what the hooks reported: counted by size, the only mmaps of that size */
static volatile int ev_leak_maps, ev_bal_maps, ev_bal_unmaps, ev_other;

static void on_event(ucm_event_type_t type, ucm_event_t *ev, void *arg)
{
	(void)arg;
	if (type == UCM_EVENT_MMAP && ev->mmap.size == LEAK_LEN)
		ev_leak_maps++;
	else if (type == UCM_EVENT_MMAP && ev->mmap.size == BAL_LEN)
		ev_bal_maps++;
	else if (type == UCM_EVENT_MUNMAP && ev->munmap.size == BAL_LEN)
		ev_bal_unmaps++;
	else
		ev_other++;
}

/* the leak: one 64 KiB map per call, never unmapped */
SITE_FN void ucx_leak_map(int i)
{
	leaked[i] = mmap(NULL, LEAK_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (leaked[i] == MAP_FAILED)
		t_fatal("leak_map", "mmap failed");
}

/* balanced traffic: 256 KiB mapped and unmapped */
SITE_FN void ucx_balanced_map(void)
{
	void *p = mmap(NULL, BAL_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fatal("balanced_map", "mmap failed");
	if (munmap(p, BAL_LEN))
		t_fatal("balanced_map", "munmap failed");
}

/* frames past 0 are return addresses: the call is the byte before */
static uint64_t pc_of(const struct as_site *site, int i)
{
	return i ? site->frames[i] - 1 : site->frames[i];
}

/*
 * Where the jump at the entry of fn goes, or 0 if fn does not start with
 * one: UCX's x86-64 bistro patch is "jmp rel32" when the target is within
 * 2 GiB, else "movabs $target, %r11; jmp *%r11"; its arm64 one (UCX 1.13)
 * "movz x15, #a, lsl #48; movk x15, #b, lsl #32; movk x15, #c, lsl #16;
 * movk x15, #d; br x15".
 */
#if defined(__aarch64__)
static uint64_t entry_jump(const void *fn)
{
	uint64_t target = 0;
	uint32_t insn[5];
	int i;

	memcpy(insn, fn, sizeof(insn));
	if (insn[4] != 0xd61f01e0)			/* br x15 */
		return 0;
	for (i = 0; i < 4; i++) {
		/* movz (i = 0) or movk, 64-bit, into x15, lsl #16 * (3 - i) */
		uint32_t want = (i ? 0xf2800000 : 0xd2800000) | (uint32_t)(3 - i) << 21 | 15;

		if ((insn[i] & 0xffe0001f) != want)
			return 0;
		target |= (uint64_t)((insn[i] >> 5) & 0xffff) << (16 * (3 - i));
	}
	return target;
}
#else
static uint64_t entry_jump(const void *fn)
{
	const unsigned char *c = fn;
	uint64_t target;
	int32_t rel;

	if (c[0] == 0xe9) {
		memcpy(&rel, c + 1, sizeof(rel));
		return ptr_u64(c) + 5 + (uint64_t)(int64_t)rel;
	}
	if (c[0] == 0x49 && c[1] == 0xbb && c[10] == 0x41 && c[11] == 0xff &&
	    c[12] == 0xe3) {
		memcpy(&target, c + 2, sizeof(target));
		return target;
	}
	return 0;
}
#endif

static bool in_object(uint64_t addr, const char *prefix)
{
	const char *base_name;
	Dl_info info;

	if (!dladdr((void *)(uintptr_t)addr, &info) || !info.dli_fname)
		return false;
	base_name = strrchr(info.dli_fname, '/');
	base_name = base_name ? base_name + 1 : info.dli_fname;
	return !strncmp(base_name, prefix, strlen(prefix));
}

static int frame_in(const struct as_site *site, const char *fn)
{
	int i;

	for (i = 0; i < site->nframes; i++)
		if (addr_in_function(pc_of(site, i), fn))
			return i;
	return -1;
}

/* The site of origin call whose stack has a frame in fn, or NULL. */
static const struct as_site *site_through(const char *fn)
{
	int i;

	for (i = 0; i < snap.nsites; i++)
		if (!strcmp(snap.sites[i].origin, "call") &&
		    frame_in(&snap.sites[i], fn) >= 0)
			return &snap.sites[i];
	return NULL;
}

/* the site and its frames as anontop names them: the function of the
 * call (address - 1), the offset of the return address */
static void notes(const char *what, const struct as_site *site)
{
	Dl_info info;
	int i;

	if (!site)
		return;
	t_note("%s: %s", what, site_str(site));
	for (i = 0; i < site->nframes; i++) {
		if (dladdr((void *)(uintptr_t)pc_of(site, i), &info) &&
		    info.dli_fname && info.dli_sname)
			t_note("  #%d %#" PRIx64 " %s+%#" PRIx64 " (%s)", i,
			       site->frames[i], info.dli_sname,
			       site->frames[i] - ptr_u64(info.dli_saddr),
			       info.dli_fname);
		else
			t_note("  #%d %s", i, addr_str(site->frames[i]));
	}
}

/*
 * syscall() in libc, libucm from frame 1 to the caller, the caller, main,
 * and the last frame in _start (the walk reached the outermost frame).
 */
static void check_frames(const char *check, const struct as_site *site,
			 const char *caller)
{
	int c, i, nucm = 0;

	if (!site) {
		t_fail(check, "no site");
		return;
	}
	c = frame_in(site, caller);
	for (i = 1; c > 0 && i < c; i++)
		nucm += in_object(pc_of(site, i), "libucm.so");
	t_expect(addr_in_function(site->frames[0], "syscall") &&
		 in_object(site->frames[0], "libc.so") && c > 1 &&
		 nucm == c - 1 && c + 1 < site->nframes &&
		 addr_in_function(pc_of(site, c + 1), "main") &&
		 addr_in_function(pc_of(site, site->nframes - 1), "_start"),
		 check, "want #0 libc's syscall(), #1..#%d in libucm.so, "
		 "#%d %s, #%d main, the last _start; %d frames, %s caller at #%d, "
		 "%d in libucm",
		 c - 1, c, caller, c + 1, site->nframes, caller, c, nucm);
}

int main(void)
{
	const void *libc_mmap = (const void *)(uintptr_t)&mmap;
	const struct as_site *leak, *bal;
	ucs_status_t st;
	int i;

	t_init("acct_ucx");
	/* the handler first: installing it maps and unmaps (UCX tests it) */
	st = ucm_set_event_handler(UCM_EVENT_MMAP | UCM_EVENT_MUNMAP, 0,
				   on_event, NULL);
	t_expect(st == UCS_OK && in_object(ptr_u64(libc_mmap), "libc.so") &&
		 in_object(entry_jump(libc_mmap), "libucm.so"), "hooked",
		 "ucm_set_event_handler: %d (%s); mmap at %s jumps to %#" PRIx64
		 " (%s)", (int)st, ucs_status_string(st),
		 addr_str(ptr_u64(libc_mmap)), entry_jump(libc_mmap),
		 entry_jump(libc_mmap) ? "not into libucm.so" : "no jump");
	ev_leak_maps = ev_bal_maps = ev_bal_unmaps = ev_other = 0;

	ctl_isolate(ISOLATE_SELF);
	snap_take(&base, getpid());
	for (i = 0; i < CALLS; i++) {
		ucx_leak_map(i);
		ucx_balanced_map();
	}
	snap_take(&snap, getpid());
	t_expect(ev_leak_maps == CALLS && ev_bal_maps == CALLS &&
		 ev_bal_unmaps == CALLS && ev_other == 0, "events",
		 "the hooks saw %d + %d mmaps, %d munmaps, %d others; want %d, %d, %d, 0",
		 ev_leak_maps, ev_bal_maps, ev_bal_unmaps, ev_other, CALLS,
		 CALLS, CALLS);

	t_check_maps("maps", getpid());
	leak = site_through("ucx_leak_map");
	bal = site_through("ucx_balanced_map");
	notes("leaking site", leak);
	notes("balanced site", bal);
	for (i = 1; i < CALLS && leak; i++)
		if (snap_site_at(&snap, leaked[i]) != leak)
			leak = NULL;
	t_expect(leak && bal && leak != bal &&
		 snap_site_at(&snap, leaked[0]) == leak &&
		 snap_origin_sites(&snap, "call") == 2, "two_sites",
		 "leaking site %s, balanced site %s, %d sites of origin call (want 2)",
		 leak ? "found" : "not found (or its regions are not one site)",
		 bal ? "found" : "not found", snap_origin_sites(&snap, "call"));
	t_site("leak_site", leak, &(struct site_expect){
		.kind = "private", .maps = CALLS, .unmaps = 0,
		.bytes_mapped = CALLS * LEAK_LEN, .bytes_unmapped = 0,
		.live_regions = CALLS, .live_bytes = CALLS * LEAK_LEN,
		.peak_bytes = CALLS * LEAK_LEN });
	t_site("balanced_site", bal, &(struct site_expect){
		.kind = "private", .maps = CALLS, .unmaps = CALLS,
		.bytes_mapped = CALLS * BAL_LEN,
		.bytes_unmapped = CALLS * BAL_LEN, .live_regions = 0,
		.live_bytes = 0, .peak_bytes = BAL_LEN });
	check_frames("leak_frames", leak, "ucx_leak_map");
	check_frames("balanced_frames", bal, "ucx_balanced_map");
	t_seeded_unchanged("seeded_unchanged", &base, &snap);
	t_consistent("consistent", &snap);
	for (i = 0; i < CALLS; i++)
		unmap(leaked[i], LEAK_LEN);
	return t_exit_status();
}
