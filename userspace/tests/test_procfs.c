// SPDX-License-Identifier: GPL-2.0
/*
 * test_procfs.c - resident bytes from pagemap (exact, on this process's
 * own mappings), RssAnon, and the maps parser, on /proc and on a fake proc
 * directory; the identity readers (command line, cgroup, owner, container
 * id) on fixtures of every shape they take apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "procfs.h"

static char tmp[] = "/tmp/anontop-procfs.XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void test_resident(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t start = (uintptr_t)p, bytes = 0;
	int fd = procfs_pagemap_open("/proc", getpid());

	CHECK(p != MAP_FAILED && fd >= 0);
	if (p == MAP_FAILED || fd < 0)
		return;
	madvise(p, 16 * pg, MADV_NOHUGEPAGE);
	CHECK(procfs_resident(fd, start, start + 16 * pg, &bytes) == 0);
	CHECK_U64(bytes, 0);
	p[0] = p[3 * pg] = p[4 * pg] = p[15 * pg] = 1;
	CHECK(procfs_resident(fd, start, start + 16 * pg, &bytes) == 0);
	CHECK_U64(bytes, 4 * pg);
	CHECK(procfs_resident(fd, start + pg, start + 5 * pg, &bytes) == 0);
	CHECK_U64(bytes, 2 * pg);
	madvise(p + 3 * pg, pg, MADV_DONTNEED);
	CHECK(procfs_resident(fd, start, start + 16 * pg, &bytes) == 0);
	CHECK_U64(bytes, 3 * pg);
	close(fd);
	munmap(p, 16 * pg);
	CHECK(procfs_pagemap_open("/proc", 0x7ffffff0) == -ENOENT);
	CHECK(procfs_pagemap_open(tmp, 1) == -ENOENT);
}

static void test_rss_anon(void)
{
	char path[256];
	uint64_t bytes = 0;

	CHECK(procfs_rss_anon("/proc", getpid(), &bytes) == 0);
	CHECK(bytes > 0);
	snprintf(path, sizeof(path), "%s/77", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/77/status", tmp);
	write_file(path, "Name:\tx\nRssFile:\t  9 kB\nRssAnon:\t    1234 kB\n");
	CHECK(procfs_rss_anon(tmp, 77, &bytes) == 0);
	CHECK_U64(bytes, 1234 * 1024);
	write_file(path, "Name:\tkthread\n");
	CHECK(procfs_rss_anon(tmp, 77, &bytes) == -ENOENT);
	CHECK(procfs_rss_anon(tmp, 78, &bytes) == -ENOENT);
}

static void test_maps(void)
{
	const struct map_ent *m;
	struct map_ent *v = NULL;
	char path[256];
	size_t n = 0;

	CHECK(procfs_maps("/proc", getpid(), &v, &n) == 0);
	m = procfs_maps_find(v, n, (uintptr_t)test_maps);
	CHECK(m && m->exec && m->path && m->inode);
	procfs_maps_free(v, n);

	snprintf(path, sizeof(path), "%s/77/maps", tmp);
	write_file(path,
		   "00400000-00401000 r--p 00000000 fd:01 1234      /usr/bin/a b\n"
		   "00401000-00405000 r-xp 00001000 fd:01 1234      /usr/bin/a b\n"
		   "00500000-00501000 rw-p 00000000 00:00 0 \n"
		   "7f0000000000-7f0000010000 r-xp 00002000 08:02 99     /lib/x.so (deleted)\n"
		   "7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0      [vdso]\n");
	CHECK(procfs_maps(tmp, 77, &v, &n) == 0);
	CHECK_U64(n, 5);
	if (n == 5) {
		CHECK_STR(v[1].path, "/usr/bin/a b");
		CHECK(v[1].exec && !v[0].exec);
		CHECK_U64(v[1].offset, 0x1000);
		CHECK(v[1].dev_major == 0xfd && v[1].dev_minor == 1);
		CHECK(v[2].path == NULL);
		CHECK_STR(v[3].path, "/lib/x.so");
		CHECK(v[3].deleted && !v[1].deleted);
		CHECK_STR(v[4].path, "[vdso]");
		CHECK(procfs_maps_find(v, n, 0x400fff) == &v[0]);
		CHECK(procfs_maps_find(v, n, 0x401000) == &v[1]);
		CHECK(procfs_maps_find(v, n, 0x405000) == NULL);
		CHECK(procfs_maps_find(v, n, 0x3fffff) == NULL);
		CHECK(procfs_maps_find(v, n, 0x7ffd00001fff) == &v[4]);
	}
	procfs_maps_free(v, n);
	write_file(path, "garbage\n");
	CHECK(procfs_maps(tmp, 77, &v, &n) == -EINVAL);
	CHECK(procfs_maps(tmp, 78, &v, &n) == -ENOENT);
}

/* @len bytes (NULs included) into @tmp/@pid/@name */
static void write_bytes(int pid, const char *name, const char *data, size_t len)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/%d", tmp, pid);
	mkdir(dir, 0755);
	check_write_bytes(dir, name, data, len);
}

#define WRITE_LIT(pid, name, lit) write_bytes(pid, name, lit, sizeof(lit) - 1)

/*
 * What @reader (procfs_cmdline, procfs_cgroup) gives for fixture @pid;
 * "(-errno)" when it fails.
 */
static const char *field_of(int (*reader)(const char *, int, char **), int pid)
{
	static char buf[PROCFS_CMDLINE_MAX + 16];
	char *s = NULL;
	int ret = reader(tmp, pid, &s);

	if (ret)
		snprintf(buf, sizeof(buf), "(%d)", ret);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

#define cmdline_of(pid) field_of(procfs_cmdline, pid)
#define cgroup_of(pid) field_of(procfs_cgroup, pid)

static void test_cmdline(char **argv)
{
	char want[1024] = "", big[PROCFS_CMDLINE_MAX + 100], *s = NULL;
	size_t i;

	/* this process: argv joined by spaces */
	for (i = 0; argv[i]; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s%s", i ? " " : "", argv[i]);
	CHECK(procfs_cmdline("/proc", getpid(), &s) == 0);
	CHECK_STR(s, want);
	free(s);

	WRITE_LIT(90, "cmdline", "python3\0-m\0worker\0--id=7\0");
	CHECK_STR(cmdline_of(90), "python3 -m worker --id=7");
	/* an empty argument stays a space; a rewritten title's padding goes */
	WRITE_LIT(90, "cmdline", "a\0\0b\0");
	CHECK_STR(cmdline_of(90), "a  b");
	WRITE_LIT(90, "cmdline", "nginx: worker process    \0\0\0");
	CHECK_STR(cmdline_of(90), "nginx: worker process");
	/* controls, C1 controls, invalid UTF-8 become '?'; UTF-8 stays */
	WRITE_LIT(90, "cmdline", "a\tb\033[31m\0caf\xc3\xa9\0\xff\0");
	CHECK_STR(cmdline_of(90), "a?b?[31m caf\xc3\xa9 ?");
	WRITE_LIT(90, "cmdline", "c1\xc2\x9b|ov\xc0\xaf|sur\xed\xa0\x80|\xe2\x82");
	CHECK_STR(cmdline_of(90), "c1??|ov??|sur???|??");
	WRITE_LIT(90, "cmdline", "\xf0\x9f\x90\x8d snake\0");
	CHECK_STR(cmdline_of(90), "\xf0\x9f\x90\x8d snake");
	/* capped; a character cut at the cap is dropped, not replaced */
	memset(big, 'x', sizeof(big));
	write_bytes(90, "cmdline", big, sizeof(big));
	CHECK_U64(strlen(cmdline_of(90)), PROCFS_CMDLINE_MAX);
	memcpy(big + PROCFS_CMDLINE_MAX - 1, "\xc3\xa9", 2);
	write_bytes(90, "cmdline", big, sizeof(big));
	CHECK_U64(strlen(cmdline_of(90)), PROCFS_CMDLINE_MAX - 1);
	/* exactly the cap: nothing cut */
	write_bytes(90, "cmdline", big, PROCFS_CMDLINE_MAX + 1);
	CHECK_U64(strlen(cmdline_of(90)), PROCFS_CMDLINE_MAX - 1);
	write_bytes(90, "cmdline", big, PROCFS_CMDLINE_MAX);
	CHECK_U64(strlen(cmdline_of(90)), PROCFS_CMDLINE_MAX);
	/* a zombie or a kernel thread: empty */
	WRITE_LIT(90, "cmdline", "");
	CHECK_STR(cmdline_of(90), "(-61)");	/* -ENODATA */
	WRITE_LIT(90, "cmdline", "\0\0");
	CHECK_STR(cmdline_of(90), "(-61)");
	CHECK_STR(cmdline_of(91), "(-2)");	/* -ENOENT */
}

#define HEX64 "0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"
#define HEX64B "fedcba9876543210fedcba9876543210" \
	"fedcba9876543210fedcba9876543210"

static void test_cgroup(void)
{
	char *s = NULL;

	CHECK(procfs_cgroup("/proc", getpid(), &s) == 0 && s && s[0] == '/');
	free(s);
	/* cgroup v2 */
	WRITE_LIT(92, "cgroup", "0::/system.slice/docker-" HEX64 ".scope\n");
	CHECK_STR(cgroup_of(92), "/system.slice/docker-" HEX64 ".scope");
	/* hybrid: the v2 line, wherever it is */
	WRITE_LIT(92, "cgroup", "12:memory:/user.slice/v1\n"
		  "11:cpu,cpuacct:/user.slice/v1\n"
		  "0::/user.slice/user-1000.slice/session-2.scope\n");
	CHECK_STR(cgroup_of(92), "/user.slice/user-1000.slice/session-2.scope");
	/* v1 only: the first line's path (which may hold a colon) */
	WRITE_LIT(92, "cgroup", "12:pids:/docker/" HEX64 "\n"
		  "11:name=systemd:/other\n");
	CHECK_STR(cgroup_of(92), "/docker/" HEX64);
	WRITE_LIT(92, "cgroup", "3:cpu:/a:b\n");
	CHECK_STR(cgroup_of(92), "/a:b");
	WRITE_LIT(92, "cgroup", "0::/we\x1bird\n");
	CHECK_STR(cgroup_of(92), "/we?ird");
	WRITE_LIT(92, "cgroup", "");
	CHECK_STR(cgroup_of(92), "(-61)");
	WRITE_LIT(92, "cgroup", "garbage\n");
	CHECK_STR(cgroup_of(92), "(-61)");
	CHECK_STR(cgroup_of(93), "(-2)");
}

static const char *container_of(const char *cgroup)
{
	static char id[PROCFS_CONTAINER_LEN + 1];

	if (procfs_container_id(cgroup, id))
		return "(none)";
	return id;
}

static void test_container(void)
{
	CHECK_STR(container_of("/system.slice/docker-" HEX64 ".scope"),
		  "0123456789ab");
	CHECK_STR(container_of("/kubepods.slice/kubepods-burstable.slice/"
			       "kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4"
			       "_b5c6d7e8f901.slice/cri-containerd-" HEX64B
			       ".scope"), "fedcba987654");
	CHECK_STR(container_of("/machine.slice/libpod-" HEX64B ".scope/container"),
		  "fedcba987654");
	CHECK_STR(container_of("/kubepods/burstable/pod1b2c3d4e-5f60-7182-93a4-"
			       "b5c6d7e8f901/" HEX64), "0123456789ab");
	CHECK_STR(container_of("/kubepods.slice/crio-" HEX64B ".scope"),
		  "fedcba987654");
	/* systemd inside the container; docker in docker: the innermost */
	CHECK_STR(container_of("/system.slice/docker-" HEX64 ".scope/init.scope"),
		  "0123456789ab");
	CHECK_STR(container_of("/docker/" HEX64 "/docker/" HEX64B),
		  "fedcba987654");
	CHECK_STR(container_of("/user.slice/user-1000.slice/session-2.scope"),
		  "(none)");
	CHECK_STR(container_of("/"), "(none)");
	CHECK_STR(container_of(""), "(none)");
	/* 63 or 65 hex digits, upper case: no container id */
	CHECK_STR(container_of("/docker/" HEX64 "0"), "(none)");
	CHECK_STR(container_of("/docker/123456789abcdef0123456789abcdef"
			       "0123456789abcdef0123456789abcdef"), "(none)");
	CHECK_STR(container_of("/docker/0123456789ABCDEF0123456789ABCDEF"
			       "0123456789ABCDEF0123456789ABCDEF"), "(none)");
}

static void test_owner(void)
{
	struct passwd *pw = getpwuid(getuid());
	unsigned int uid = 12345678;
	char path[256], *name = NULL;

	CHECK(procfs_owner("/proc", getpid(), &uid) == 0);
	CHECK_U64(uid, geteuid());
	CHECK(procfs_user_name(uid, &name) == 0);
	CHECK(pw && name && !strcmp(name, pw->pw_name));
	free(name);
	WRITE_LIT(94, "cmdline", "x\0");
	CHECK(procfs_owner(tmp, 94, &uid) == 0);
	CHECK_U64(uid, geteuid());
	CHECK(procfs_owner(tmp, 95, &uid) == -ENOENT);
	/* an owner the user database does not know: the number */
	CHECK(getpwuid(4000000123u) == NULL);
	CHECK(procfs_user_name(4000000123u, &name) == 0);
	CHECK_STR(name, "4000000123");
	free(name);
	CHECK(procfs_user_name(0, &name) == 0);
	CHECK_STR(name, "root");
	free(name);
	if (geteuid() == 0) {	/* root can give the fixture another owner */
		snprintf(path, sizeof(path), "%s/94", tmp);
		CHECK(chown(path, 4000000123u, 0) == 0);
		CHECK(procfs_owner(tmp, 94, &uid) == 0);
		CHECK_U64(uid, 4000000123u);
	}
}

int main(int argc, char **argv)
{
	char cmd[128];
	int ret;

	(void)argc;

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_resident();
	test_rss_anon();
	test_maps();
	test_cmdline(argv);
	test_cgroup();
	test_container();
	test_owner();
	ret = check_report("test_procfs");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "test_procfs: could not remove %s\n", tmp);
	return ret;
}
