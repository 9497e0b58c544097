// SPDX-License-Identifier: GPL-2.0
/*
 * acct_shlib.c - a call site inside a shared library that maps through the
 * raw syscall() wrapper (libsitetest.so's sitetest_map(), the UCX case of
 * the README).  The site's frames must contain an address inside
 * sitetest_map (dladdr() on each frame), frame 0 is in libc's syscall(),
 * and the region and counters are those of one 3-page map.  The site line
 * and its symbolized frames are printed as "# " notes.
 *
 * usage: acct_shlib   (root, anonstat loaded)
 */
#include <dlfcn.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"
#include "sitetest.h"

#define LEN	(3 * PAGE_SZ)

static struct as_snap snap;

/* index of the first frame inside name(), or -1 */
static int frame_in(const struct as_site *site, const char *name)
{
	int i;

	for (i = 0; i < site->nframes; i++)
		if (addr_in_function(site->frames[i], name))
			return i;
	return -1;
}

static bool frame_in_library(const struct as_site *site, int i, const char *lib)
{
	Dl_info info;

	return i >= 0 && dladdr((void *)(uintptr_t)site->frames[i], &info) &&
		info.dli_fname && strstr(info.dli_fname, lib);
}

int main(void)
{
	const struct as_site *site;
	char *p;
	int i, in_lib;

	t_init("acct_shlib");
	ctl_isolate(ISOLATE_SELF);
	p = sitetest_map(LEN);
	if (p == MAP_FAILED)
		t_fatal("map", "sitetest_map failed");
	snap_take(&snap, getpid());
	t_check_maps("shlib_map.maps", getpid());
	site = snap_site(&snap, site_id_at(&snap, p));
	t_site("site", site, &(struct site_expect){
		"private", 1, 0, LEN, 0, 1, LEN, LEN });
	t_site_regions("regions", &snap, site->id, (struct range[]){
		{ ptr_u64(p), ptr_u64(p) + LEN } }, 1);
	t_note("site line: pid %d %s", (int)getpid(), site_str(site));
	for (i = 0; i < site->nframes; i++)
		t_note("  frame %d: %s", i, addr_str(site->frames[i]));
	in_lib = frame_in(site, "sitetest_map");
	t_expect(in_lib >= 0 && frame_in_library(site, in_lib, "libsitetest.so"),
		 "frame_in_library", "no frame inside sitetest_map: %s",
		 site_str(site));
	t_expect(frame_in(site, "syscall") == 0, "frame0_syscall",
		 "frame 0 is %s, want libc's syscall()", addr_str(site->frames[0]));
	unmap(p, LEN);
	return t_exit_status();
}
