// SPDX-License-Identifier: GPL-2.0
/*
 * acct_failures.c - system calls that fail change nothing the kernel did
 * not change (issue 13).  Each case maps a tracked region at an address of
 * its own, makes the failing call over it, and checks that the call failed
 * as expected (STEP.fails), that the process's records did not change
 * (STEP.unchanged; for the MREMAP_FIXED case the target's site lost what
 * the kernel unmapped, if it did), and the oracle over the region
 * (STEP.maps_window) and over the whole process (STEP.maps):
 *
 * - mmap_badfd:      mmap(p+P, P, MAP_FIXED|MAP_PRIVATE, bad fd) over a
 *                    4-page region: EBADF, the 4 pages stay;
 * - mmap_no_type:    mmap(p+P, P, MAP_FIXED|MAP_ANONYMOUS) (neither
 *                    PRIVATE nor SHARED): EINVAL;
 * - mmap_hugetlb_file: mmap(p+P, P, MAP_FIXED|MAP_PRIVATE|MAP_HUGETLB,
 *                    regular file) over an 8-page region: EINVAL;
 * - mremap_shared_file: growing a one-page MAP_SHARED file mapping (this
 *                    one succeeds): no region, it is not anonymous;
 * - munmap_map_count: munmap of the middle page of a 4-page region with
 *                    vm.max_map_count at the process's VMA count: the
 *                    split fails, ENOMEM (the sysctl is restored at once);
 * - munmap_huge_misaligned: munmap(h, P) of a MAP_HUGETLB region: EINVAL
 *                    (huge pages are reserved first; skipped, said so, if
 *                    none can be had);
 * - mremap_fixed_efault: mremap(src, 2P, 2P, MAYMOVE|FIXED, tgt) where
 *                    only src's first page is mapped: EFAULT, after the
 *                    kernel unmapped [tgt, tgt+2P) of a 4-page region
 *                    (6.1) or before (later kernels check first): those
 *                    pages are untracked exactly if /proc/self/maps no
 *                    longer shows them.  Where the call succeeds (7.2
 *                    moves a source range with holes) the case is skipped,
 *                    said so, and only the oracle is checked.
 *
 * usage: acct_failures   (root, anonstat loaded)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonstat_test.h"

#define P	PAGE_SZ
#define RW	(PROT_READ | PROT_WRITE)
#define BAD_FD	987	/* not open */

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define MAX_MAP_COUNT	"/proc/sys/vm/max_map_count"
#define FILE_PATH	"/tmp/acct_failures.file"

static struct as_snap before, after;
static struct vma vmas[4096];
static char old_nr_hugepages[32];

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text);
}

static bool read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return true;
}

/* The failing call's result: ret is -1 (or MAP_FAILED) with errno want. */
static void expect_error(const char *step, bool failed, int err, int want)
{
	char check[96];

	snprintf(check, sizeof(check), "%s.fails", step);
	t_expect(failed && err == want, check, "%s, want %s",
		 failed ? strerror(err) : "it succeeded", strerror(want));
}

/* the records are as before the call; the oracle over [lo, hi) and all */
static void expect_unchanged(const char *step, const void *lo, const void *hi)
{
	char check[96];

	snap_take(&after, getpid());
	snprintf(check, sizeof(check), "%s.unchanged", step);
	t_same_state(check, &before, &after, false);
	snprintf(check, sizeof(check), "%s.maps_window", step);
	t_check_maps_in(check, getpid(), lo, hi);
	snprintf(check, sizeof(check), "%s.maps", step);
	t_check_maps(check, getpid());
}

static void test_mmap_badfd(void)
{
	char *p = place(test_area(0), 4 * P, RW);
	void *r;
	int err;

	snap_take(&before, getpid());
	r = mmap(p + P, P, PROT_READ, MAP_FIXED | MAP_PRIVATE, BAD_FD, 0);
	err = errno;
	expect_error("mmap_badfd", r == MAP_FAILED, err, EBADF);
	expect_unchanged("mmap_badfd", p, p + 4 * P);
	unmap(p, 4 * P);
}

static void test_mmap_no_type(void)
{
	char *p = place(test_area(1), 4 * P, RW);
	void *r;
	int err;

	snap_take(&before, getpid());
	r = mmap(p + P, P, PROT_READ, MAP_FIXED | MAP_ANONYMOUS, -1, 0);
	err = errno;
	expect_error("mmap_no_type", r == MAP_FAILED, err, EINVAL);
	expect_unchanged("mmap_no_type", p, p + 4 * P);
	unmap(p, 4 * P);
}

static int open_file(size_t len)
{
	int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || ftruncate(fd, (off_t)len))
		t_fatal("file", "%s: %s", FILE_PATH, strerror(errno));
	unlink(FILE_PATH);
	return fd;
}

static void test_mmap_hugetlb_file(void)
{
	char *p = place(test_area(2), 8 * P, RW);
	int fd = open_file(2 * P);
	void *r;
	int err;

	snap_take(&before, getpid());
	r = mmap(p + P, P, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_HUGETLB,
		 fd, 0);
	err = errno;
	expect_error("mmap_hugetlb_file", r == MAP_FAILED, err, EINVAL);
	expect_unchanged("mmap_hugetlb_file", p, p + 8 * P);
	close(fd);
	unmap(p, 8 * P);
}

static void test_mremap_shared_file(void)
{
	int fd = open_file(2 * P);
	char *m = mmap(NULL, P, RW, MAP_SHARED, fd, 0), *g;
	int err;

	if (m == MAP_FAILED)
		t_fatal("mremap_shared_file", "mmap: %s", strerror(errno));
	snap_take(&before, getpid());
	g = mremap(m, P, 2 * P, MREMAP_MAYMOVE);
	err = errno;
	t_expect(g != MAP_FAILED, "mremap_shared_file.succeeds", "mremap: %s",
		 strerror(err));
	if (g == MAP_FAILED)
		g = m;
	expect_unchanged("mremap_shared_file", g, g + 2 * P);
	munmap(g, g == m ? P : 2 * P);
	close(fd);
}

static void test_munmap_map_count(void)
{
	char *p = place(test_area(3), 4 * P, RW);
	char old[32], low[32];
	int n, r, err;

	if (!read_small(MAX_MAP_COUNT, old, sizeof(old)))
		t_fatal("munmap_map_count", "read %s: %s", MAX_MAP_COUNT,
			strerror(errno));
	/*
	 * at most the VMA count: maps has one line per VMA, plus [vsyscall]
	 * on x86-64, which is no VMA; splitting needs one more
	 */
	n = maps_read(vmas, (int)ARRAY_SIZE(vmas));
	snprintf(low, sizeof(low), "%d", n - 1);
	snap_take(&before, getpid());
	if (!write_file(MAX_MAP_COUNT, low))
		t_fatal("munmap_map_count", "write %s: %s", MAX_MAP_COUNT,
			strerror(errno));
	r = munmap(p + P, P);
	err = errno;
	if (!write_file(MAX_MAP_COUNT, old))
		t_fatal("munmap_map_count", "restore %s to %s: %s",
			MAX_MAP_COUNT, old, strerror(errno));
	expect_error("munmap_map_count", r == -1, err, ENOMEM);
	expect_unchanged("munmap_map_count", p, p + 4 * P);
	unmap(p, 4 * P);
}

static void restore_hugepages(void)
{
	if (old_nr_hugepages[0])
		write_file(NR_HUGEPAGES, old_nr_hugepages);
}

/* Hugepagesize from /proc/meminfo, in bytes; 0 if not found */
static size_t huge_page_size(void)
{
	static char buf[8192];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	const char *s;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	s = strstr(buf, "Hugepagesize:");
	return s ? (size_t)strtoul(s + 13, NULL, 10) * 1024 : 0;
}

static void test_munmap_huge_misaligned(void)
{
	size_t huge = huge_page_size();
	char *h;
	int r, err;

	if (!huge) {
		t_ok("munmap_huge_misaligned skipped: no Hugepagesize in /proc/meminfo");
		return;
	}
	if (read_small(NR_HUGEPAGES, old_nr_hugepages, sizeof(old_nr_hugepages)) &&
	    atoi(old_nr_hugepages) < 2) {
		atexit(restore_hugepages);
		write_file(NR_HUGEPAGES, "2");
	} else {
		old_nr_hugepages[0] = '\0';
	}
	h = mmap(NULL, huge, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (h == MAP_FAILED) {
		char msg[128];

		snprintf(msg, sizeof(msg), "munmap_huge_misaligned skipped: "
			 "no huge page to map (%s)", strerror(errno));
		t_ok(msg);
		return;
	}
	snap_take(&before, getpid());
	r = munmap(h, P);
	err = errno;
	expect_error("munmap_huge_misaligned", r == -1, err, EINVAL);
	expect_unchanged("munmap_huge_misaligned", h, h + huge);
	unmap(h, huge);
	restore_hugepages();
}

static void test_mremap_fixed_efault(void)
{
	char *src = place(test_area(4), P, RW);	/* src + P is a hole */
	char *tgt = place(test_area(5), 4 * P, RW);
	uint64_t tsite;
	bool gone;
	void *r;
	int err, n;

	snap_take(&before, getpid());
	tsite = site_id_at(&before, tgt);
	r = mremap(src, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, tgt);
	err = errno;
	if (r != MAP_FAILED) {
		/* 7.2 moves a source range with holes: no failure to test */
		t_ok("mremap_fixed_efault skipped: mremap over a hole succeeded "
		     "on this kernel");
		t_check_maps_in("mremap_fixed_efault.maps_window", getpid(), tgt,
				tgt + 4 * P);
		t_check_maps("mremap_fixed_efault.maps", getpid());
		munmap(src, P);
		unmap(tgt, 4 * P);
		return;
	}
	expect_error("mremap_fixed_efault", r == MAP_FAILED, err, EFAULT);
	n = maps_read(vmas, (int)ARRAY_SIZE(vmas));
	gone = !maps_anon_covers(vmas, n, ptr_u64(tgt), ptr_u64(tgt) + 2 * P);
	t_note("acct_failures.mremap_fixed_efault: the kernel %s the target",
	       gone ? "unmapped" : "kept");
	snap_take(&after, getpid());
	if (gone) {
		const struct as_site *b = snap_site(&before, tsite);
		struct site_expect e = {
			"private", 1, b ? b->c.unmaps + 1 : AS_ANY, 4 * P,
			2 * P, 1, 2 * P, 4 * P,
		};

		/* [tgt, tgt + 2P) unmapped: one release of the target's site */
		t_site("mremap_fixed_efault.target_site",
		       snap_site(&after, tsite), &e);
		t_eq("mremap_fixed_efault.regions",
		     (uint64_t)snap_regions_in(&after, ptr_u64(tgt),
					       ptr_u64(tgt) + 2 * P), 0);
	} else {
		t_same_state("mremap_fixed_efault.unchanged", &before, &after,
			     false);
	}
	t_check_maps_in("mremap_fixed_efault.maps_window", getpid(), tgt,
			tgt + 4 * P);
	t_check_maps_in("mremap_fixed_efault.maps_window_src", getpid(), src,
			src + 2 * P);
	t_check_maps("mremap_fixed_efault.maps", getpid());
	unmap(src, P);
	unmap(tgt, 4 * P);
}

int main(void)
{
	t_init("acct_failures");
	ctl_isolate(ISOLATE_SELF);
	test_mmap_badfd();
	test_mmap_no_type();
	test_mmap_hugetlb_file();
	test_mremap_shared_file();
	test_munmap_map_count();
	test_munmap_huge_misaligned();
	test_mremap_fixed_efault();
	snap_take(&after, getpid());
	t_consistent("consistent", &after);
	return t_exit_status();
}
