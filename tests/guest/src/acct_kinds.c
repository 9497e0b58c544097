// SPDX-License-Identifier: GPL-2.0
/*
 * acct_kinds.c - the kinds of regions, and what is not counted.
 *
 * - MAP_SHARED | MAP_ANONYMOUS is kind shared (and is released like any);
 * - file mappings (a file in /tmp, private and shared) make no record, and
 *   unmapping them changes nothing either, not even a time;
 * - a file mapped with MAP_FIXED over an anonymous region releases the
 *   bytes it covers from that region, and from no other site;
 * - MAP_HUGETLB | MAP_ANONYMOUS is kind huge, its length rounded to the
 *   huge page size (the test reserves 8 huge pages first and puts the old
 *   count back; a kernel that refuses is a failure, not a skip).
 *
 * usage: acct_kinds   (root, anonstat loaded)
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
#define HUGE	(2UL << 20)
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static struct as_snap snap, before;
static char old_nr_hugepages[32];

static void test_shared(void)
{
	char *s = map_anon(3 * P, MAP_SHARED);
	uint64_t site;

	snap_take(&snap, getpid());
	t_check_maps("shared.maps", getpid());
	site = site_id_at(&snap, s);
	t_site("shared", snap_site(&snap, site), &(struct site_expect){
		"shared", 1, 0, 3 * P, 0, 1, 3 * P, 3 * P });
	unmap(s, P);
	snap_take(&snap, getpid());
	t_check_maps("shared_head_unmapped.maps", getpid());
	t_site("shared_head_unmapped", snap_site(&snap, site),
	       &(struct site_expect){ "shared", 1, 1, 3 * P, P, 1, 2 * P, 3 * P });
	t_site_regions("shared_regions", &snap, site, (struct range[]){
		{ ptr_u64(s + P), ptr_u64(s + 3 * P) } }, 1);
}

static int temp_file(size_t len)
{
	char path[] = "/tmp/acct_kinds.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || unlink(path) || ftruncate(fd, (off_t)len))
		t_fatal("file", "temporary file in /tmp: %s", strerror(errno));
	return fd;
}

static void *map_file(void *addr, size_t len, int flags, int fd)
{
	void *p = mmap(addr, len, RW, flags, fd, 0);

	if (p == MAP_FAILED)
		t_fatal("file_map", "mmap of a file: %s", strerror(errno));
	return p;
}

static void test_file(int fd)
{
	void *priv, *shared;

	snap_take(&before, getpid());
	priv = map_file(NULL, 4 * P, MAP_PRIVATE, fd);
	shared = map_file(NULL, 4 * P, MAP_SHARED, fd);
	snap_take(&snap, getpid());
	t_check_maps("file.maps", getpid());
	/* calls that change nothing do not touch first_ns/last_ns either */
	t_same_state("file_not_counted", &before, &snap, true);
	unmap(priv, 4 * P);
	unmap(shared, 4 * P);
	snap_take(&snap, getpid());
	t_check_maps("file_unmap.maps", getpid());
	t_same_state("file_unmap_not_counted", &before, &snap, true);
}

static void test_file_over_anon(int fd)
{
	char *a = map_anon(4 * P, MAP_PRIVATE);
	uint64_t site;

	snap_take(&before, getpid());
	map_file(a + P, P, MAP_PRIVATE | MAP_FIXED, fd);
	snap_take(&snap, getpid());
	t_check_maps("file_over_anon.maps", getpid());
	site = site_id_at(&snap, a);
	t_site("file_over_anon", snap_site(&snap, site), &(struct site_expect){
		"private", 1, 1, 4 * P, P, 2, 3 * P, 4 * P });
	t_site_regions("file_over_anon_regions", &snap, site, (struct range[]){
		{ ptr_u64(a), ptr_u64(a + P) },
		{ ptr_u64(a + 2 * P), ptr_u64(a + 4 * P) } }, 2);
	t_seeded_unchanged("file_over_anon_seeded_unchanged", &before, &snap);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)strlen(text))
		t_fail("hugepages", "write '%s' to %s: %s", text, path,
		       strerror(errno));
}

static void restore_hugepages(void)
{
	write_file(NR_HUGEPAGES, old_nr_hugepages);
}

static void reserve_hugepages(void)
{
	int fd = open(NR_HUGEPAGES, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, old_nr_hugepages,
				       sizeof(old_nr_hugepages) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		t_fatal("hugepages", "read %s: %s", NR_HUGEPAGES, strerror(errno));
	old_nr_hugepages[n] = '\0';
	write_file(NR_HUGEPAGES, "8");
	atexit(restore_hugepages);
}

static void *map_huge(size_t len)
{
	void *p = mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
		       -1, 0);

	if (p == MAP_FAILED)
		t_fatal("huge_map", "mmap(%zu, MAP_HUGETLB): %s", len,
			strerror(errno));
	return p;
}

static void test_huge(void)
{
	char *h1, *h2;
	uint64_t s1, s2;

	reserve_hugepages();
	h1 = map_huge(HUGE);
	h2 = map_huge(HUGE + P);		/* rounded to 2 huge pages */
	snap_take(&snap, getpid());
	t_check_maps("huge.maps", getpid());
	s1 = site_id_at(&snap, h1);
	s2 = site_id_at(&snap, h2);
	t_site("huge", snap_site(&snap, s1), &(struct site_expect){
		"huge", 1, 0, HUGE, 0, 1, HUGE, HUGE });
	t_site_regions("huge_regions", &snap, s1, (struct range[]){
		{ ptr_u64(h1), ptr_u64(h1 + HUGE) } }, 1);
	t_site("huge_rounded", snap_site(&snap, s2), &(struct site_expect){
		"huge", 1, 0, 2 * HUGE, 0, 1, 2 * HUGE, 2 * HUGE });
	unmap(h2, 2 * HUGE);
	snap_take(&snap, getpid());
	t_check_maps("huge_unmapped.maps", getpid());
	t_site("huge_unmapped", snap_site(&snap, s2), &(struct site_expect){
		"huge", 1, 1, 2 * HUGE, 2 * HUGE, 0, 0, 2 * HUGE });
	unmap(h1, HUGE);
}

int main(void)
{
	int fd;

	t_init("acct_kinds");
	fd = temp_file(4 * P);
	ctl_isolate(ISOLATE_SELF);
	test_shared();
	test_file(fd);
	test_file_over_anon(fd);
	test_huge();
	snap_take(&snap, getpid());
	t_check_maps("end.maps", getpid());
	t_consistent("consistent", &snap);
	t_times("times", &snap);
	close(fd);
	return t_exit_status();
}
