// SPDX-License-Identifier: GPL-2.0
/*
 * unwind_check.c - an independent unwinder agrees with the module: for each
 * marked call of a test program (tests/guest/unwind/uw.h: an anonymous
 * mmap of length UW_MARK_LEN(k)), the frames the module recorded for the
 * site of the call's region equal those elfutils' eu-stack prints for the
 * process stopped right after that call.
 *
 * usage: unwind_check [--print] -n CALLS PROG [ARG...]
 *
 * PROG runs CALLS times, traced (ptrace).  Run i stops at the i-th marked
 * mmap, which must be the one of length UW_MARK_LEN(i) (the programs make
 * them in the order of k): at its syscall-exit stop (the mapped address is the return value)
 * the tracer sends SIGSTOP and detaches, so that the process stops in the
 * group stop on its way back to user space, with the program counter just
 * after the system call instruction and the stack of the call: the
 * registers and stack the module walked at the call's entry.  Then
 * `eu-stack -a -m -1 -p PID` (libdw's unwinder, through .eh_frame and
 * .debug_frame) prints the stack, the module's sites and regions files
 * give the site of the region at the returned address, SIGCONT lets the
 * program finish (its exit status must be 0).
 *
 * The module's frames (depth 32) are compared with eu-stack's, frame by
 * frame, up to the module's depth: frame 0 is the pc, frame k the return
 * address eu-stack prints (without its "- 1"), after a signal frame the
 * interrupted pc (module/debugfs-format.md).  One "ok unwind.PROG.kI" per
 * call when all of them agree and there are as many, else a FAIL line and
 * the two stacks side by side as "# " notes; then a note "PROG: frames
 * agreeing A out of C compared (N calls)".  A run that never makes its
 * marked call, a region not found, eu-stack failing or exiting non-zero
 * (an error on some frame) are failures too.
 *
 * --print: no module (e.g. on the host): print eu-stack's frames for each
 * marked call and the address mapped, as "# " notes, and no results.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anonstat_test.h"
#include "../unwind/uw.h"

#define DEPTH		32
#define EU_MAX_FRAMES	256
#define EU_OUT_MAX	(256 << 10)
#define EU_TIMEOUT_S	120

struct eu_frame {
	uint64_t addr;
	char text[160];		/* eu-stack's line after the address */
};

static struct eu_frame eu[EU_MAX_FRAMES];
static int neu;
static char eu_out[EU_OUT_MAX], eu_err[8192];
static struct as_snap snap;
static bool print_only;
static const char *prog_name;
static uint64_t total_agree, total_compared;
static int calls_done;

static void note_lines(const char *prefix, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		t_note("%s%s", prefix, line);
}

/* reads what fd (a memfd) holds into buf, NUL-terminated */
static void read_memfd(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) < 0)
		return;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/*
 * eu-stack's frames of pid's first thread into eu[0..neu): lines
 * "#N  0xADDR[ - 1|    ] NAME - MODULE".  Returns eu-stack's exit status
 * (-1 if it could not run or timed out; why is in eu_err).
 */
static int run_eu_stack(pid_t pid)
{
	char pidstr[16];
	char *argv[] = { "eu-stack", "-a", "-m", "-1", "-p", pidstr, NULL };
	int out = memfd_create("eu-stack.out", MFD_CLOEXEC);
	int err = memfd_create("eu-stack.err", MFD_CLOEXEC);
	struct timespec t = { 0, 20 * 1000 * 1000 };
	pid_t child;
	int st, waited = 0, rc;
	char *line, *save = NULL;

	neu = 0;
	eu_out[0] = eu_err[0] = '\0';
	if (out < 0 || err < 0) {
		snprintf(eu_err, sizeof(eu_err), "memfd_create: %s", strerror(errno));
		return -1;
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	child = fork();
	if (child < 0) {
		snprintf(eu_err, sizeof(eu_err), "fork: %s", strerror(errno));
		return -1;
	}
	if (child == 0) {
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "exec eu-stack: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(child, &st, WNOHANG) == 0) {
		if (++waited > EU_TIMEOUT_S * 50) {
			kill(child, SIGKILL);
			waitpid(child, &st, 0);
			snprintf(eu_err, sizeof(eu_err), "eu-stack -p %d: no answer in %d s",
				 (int)pid, EU_TIMEOUT_S);
			close(out);
			close(err);
			return -1;
		}
		nanosleep(&t, NULL);
	}
	read_memfd(out, eu_out, sizeof(eu_out));
	read_memfd(err, eu_err, sizeof(eu_err));
	close(out);
	close(err);
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	for (line = strtok_r(eu_out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a;
		int n, used;

		if (sscanf(line, "#%d 0x%llx%n", &n, &a, &used) != 2)
			continue;
		if (n != neu || neu == EU_MAX_FRAMES) {
			snprintf(eu_err, sizeof(eu_err),
				 "eu-stack frame #%d out of order (%d frames read)", n, neu);
			return -1;
		}
		eu[neu].addr = a;
		snprintf(eu[neu].text, sizeof(eu[neu].text), "%s", line + used);
		neu++;
	}
	return rc;
}

/* waits for pid; false with a FAIL line if it is gone */
static bool wait_stop(const char *check, pid_t pid, int *st, int flags)
{
	if (waitpid(pid, st, flags) != pid) {
		t_fail(check, "waitpid %d: %s", (int)pid, strerror(errno));
		return false;
	}
	if (WIFEXITED(*st) || WIFSIGNALED(*st)) {
		t_fail(check, "%s %d before its marked call",
		       WIFEXITED(*st) ? "exited" : "killed by signal",
		       WIFEXITED(*st) ? WEXITSTATUS(*st) : WTERMSIG(*st));
		return false;
	}
	return true;
}

/*
 * Traces pid (stopped at its exec) to its marked mmap number `call`,
 * stops it right after that call returned and detaches.  Returns the
 * address mapped and its length, or false after a FAIL line.
 */
static bool stop_at_call(const char *check, pid_t pid, int call,
			 uint64_t *addr, uint64_t *len)
{
	struct __ptrace_syscall_info info;
	int st, sig = 0, seen = 0;

	if (ptrace(PTRACE_SETOPTIONS, pid, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) {
		t_fail(check, "PTRACE_SETOPTIONS: %s", strerror(errno));
		return false;
	}
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, sig)) {
			t_fail(check, "PTRACE_SYSCALL: %s", strerror(errno));
			return false;
		}
		if (!wait_stop(check, pid, &st, 0))
			return false;
		sig = 0;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			/* a signal for the program (SIGALRM, ...): deliver it */
			sig = WSTOPSIG(st);
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) <= 0) {
			t_fail(check, "PTRACE_GET_SYSCALL_INFO: %s", strerror(errno));
			return false;
		}
		if (info.op != PTRACE_SYSCALL_INFO_ENTRY ||
		    info.entry.nr != SYS_mmap ||
		    !(info.entry.args[3] & MAP_ANONYMOUS) ||
		    uw_mark_of(info.entry.args[1]) < 0 || seen++ < call)
			continue;
		*len = info.entry.args[1];
		break;
	}
	/* to the syscall-exit stop: the address mapped */
	if (ptrace(PTRACE_SYSCALL, pid, 0, 0)) {
		t_fail(check, "PTRACE_SYSCALL: %s", strerror(errno));
		return false;
	}
	if (!wait_stop(check, pid, &st, 0))
		return false;
	if (WSTOPSIG(st) != (SIGTRAP | 0x80) ||
	    ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) <= 0 ||
	    info.op != PTRACE_SYSCALL_INFO_EXIT) {
		t_fail(check, "no syscall-exit stop after the marked mmap (stop %#x)", st);
		return false;
	}
	if (info.exit.is_error) {
		t_fail(check, "the marked mmap of %" PRIu64 " bytes failed: %s",
		       *len, strerror((int)-info.exit.rval));
		return false;
	}
	*addr = (uint64_t)info.exit.rval;
	/* stop in the group stop on the way back to user space, untraced */
	if (kill(pid, SIGSTOP) || ptrace(PTRACE_DETACH, pid, 0, 0)) {
		t_fail(check, "SIGSTOP and PTRACE_DETACH: %s", strerror(errno));
		return false;
	}
	if (!wait_stop(check, pid, &st, WUNTRACED))
		return false;
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
		t_fail(check, "not stopped by SIGSTOP after the call (status %#x)", st);
		return false;
	}
	return true;
}

/* the module's frames and eu-stack's, side by side, as notes */
static void show_stacks(const struct as_site *site)
{
	int n = neu > site->nframes ? neu : site->nframes, i;

	for (i = 0; i < n; i++) {
		char m[24] = "-", e[24] = "-";

		if (i < site->nframes)
			snprintf(m, sizeof(m), "0x%" PRIx64, site->frames[i]);
		if (i < neu)
			snprintf(e, sizeof(e), "0x%" PRIx64, eu[i].addr);
		t_note("  #%-2d module %-18s %s eu-stack %-18s%s", i, m,
		       strcmp(m, e) ? "!=" : "==", e, i < neu ? eu[i].text : "");
	}
}

/* compares the site of the region at addr with eu[]; one result line */
static void compare(const char *check, pid_t pid, uint64_t addr, uint64_t len)
{
	const struct as_region *r;
	const struct as_site *site;
	int compared, agree = 0, i;

	snap_take(&snap, pid);
	r = snap_region_at(&snap, addr);
	if (!r || r->start > addr || r->end < addr + len) {
		t_fail(check, "no region holds [0x%" PRIx64 ", 0x%" PRIx64 ")%s",
		       addr, addr + len, r ? " whole" : "");
		return;
	}
	site = snap_site(&snap, r->site);
	if (!site) {
		t_fail(check, "region at 0x%" PRIx64 ": no site %" PRIu64, addr, r->site);
		return;
	}
	compared = neu < DEPTH ? neu : DEPTH;
	if (site->nframes > compared)
		compared = site->nframes;
	for (i = 0; i < compared; i++)
		if (i < site->nframes && i < neu && site->frames[i] == eu[i].addr)
			agree++;
	total_agree += (uint64_t)agree;
	total_compared += (uint64_t)compared;
	if (agree == compared) {
		t_ok(check);
		t_note("%s: %d of %d frames agree (module %d, eu-stack %d)", check,
		       agree, compared, site->nframes, neu);
		return;
	}
	t_fail(check, "%d of %d frames agree (module %d, eu-stack %d; site %" PRIu64 ")",
	       agree, compared, site->nframes, neu, site->id);
	show_stacks(site);
}

/* run number `call` of argv: stop at its marked call `call`, compare */
static void check_call(char **argv, int call)
{
	char check[96];
	uint64_t addr = 0, len = 0;
	pid_t pid;
	int st, rc;
	bool stopped;

	snprintf(check, sizeof(check), "%s.k%d", prog_name, call);
	pid = fork();
	if (pid < 0)
		t_fatal(check, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0)) {
			dprintf(STDERR_FILENO, "PTRACE_TRACEME: %s\n", strerror(errno));
			_exit(126);
		}
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* the SIGTRAP of the exec */
	if (!wait_stop(check, pid, &st, 0))
		return;
	if (!print_only)
		ctl_must("pid %d", (int)pid);
	stopped = stop_at_call(check, pid, call, &addr, &len);
	if (!stopped) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return;
	}
	rc = run_eu_stack(pid);
	if (uw_mark_of(len) != call) {
		/* the programs make their marked calls in the order of k */
		t_fail(check, "marked call %d has the length of k%d", call,
		       uw_mark_of(len));
	} else if (print_only) {
		t_note("%s: pid %d mapped %" PRIu64 " bytes at 0x%" PRIx64
		       "; eu-stack exited %d:", check, (int)pid, len, addr, rc);
		for (int i = 0; i < neu; i++)
			t_note("  #%-2d 0x%016" PRIx64 "%s", i, eu[i].addr, eu[i].text);
		note_lines("  eu-stack: ", eu_err);
	} else if (rc != 0 || neu == 0) {
		t_fail(check, "eu-stack -p %d exited %d with %d frames: %s",
		       (int)pid, rc, neu, eu_err);
		for (int i = 0; i < neu; i++)
			t_note("  #%-2d 0x%016" PRIx64 "%s", i, eu[i].addr, eu[i].text);
	} else {
		compare(check, pid, addr, len);
	}
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, 0) != pid)
		t_fail(check, "waitpid %d: %s", (int)pid, strerror(errno));
	else if (!WIFEXITED(st) || WEXITSTATUS(st))
		t_fail(check, "%s exited with status %#x after the check", prog_name, st);
	calls_done++;
}

static void usage(void)
{
	fprintf(stderr, "usage: unwind_check [--print] -n CALLS PROG [ARG...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int calls = -1, i = 1;
	const char *slash;

	if (i < argc && !strcmp(argv[i], "--print")) {
		print_only = true;
		i++;
	}
	if (i + 1 < argc && !strcmp(argv[i], "-n")) {
		calls = atoi(argv[i + 1]);
		i += 2;
	}
	if (calls <= 0 || calls > UW_MARK_MAX || i >= argc)
		usage();
	slash = strrchr(argv[i], '/');
	prog_name = slash ? slash + 1 : argv[i];
	t_init("unwind");
	/* no buffered output may be duplicated into the children */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!print_only) {
		ctl_isolate(ISOLATE_SELF);
		ctl_must("depth %d", DEPTH);
	}
	for (int call = 0; call < calls; call++)
		check_call(argv + i, call);
	if (!print_only)
		t_note("%s: frames agreeing %" PRIu64 " out of %" PRIu64
		       " compared (%d calls)", prog_name, total_agree,
		       total_compared, calls_done);
	return t_exit_status();
}
