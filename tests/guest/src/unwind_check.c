// SPDX-License-Identifier: GPL-2.0
/*
 * unwind_check.c - an independent unwinder agrees with the module: for each
 * marked call of a test program (tests/guest/unwind/uw.h: an anonymous
 * mmap of length UW_MARK_LEN(k)), the frames the module recorded for the
 * site of the call's region equal those an unwinder of its own prints for
 * the process stopped right after that call: elfutils' eu-stack, or gdb.
 *
 * usage: unwind_check [--print] [--unwinder eu-stack|gdb] -n CALLS PROG [ARG...]
 *
 * PROG runs CALLS times, traced (ptrace).  Run i stops at the i-th marked
 * mmap, which must be the one of length UW_MARK_LEN(i) (the programs make
 * them in the order of k): at its syscall-exit stop (the mapped address is
 * the return value) the tracer sends SIGSTOP and detaches, so that the
 * process stops in the group stop on its way back to user space, with the
 * program counter just after the system call instruction and the stack of
 * the call: the registers and stack the module walked at the call's entry.
 * The module's sites and regions files give the site of the region at the
 * returned address; then the unwinder attaches and prints the stack, and
 * SIGCONT lets the program finish (its exit status must be 0).
 *
 *   eu-stack  `eu-stack -a -m -1 -p PID`: libdw's unwinder (.eh_frame,
 *             .debug_frame), the default;
 *   gdb       `gdb -batch -p PID` with `frame apply all p/x $pc` and `bt`
 *             (backtrace past-main on): the arm64 guests' unwinder, as
 *             bookworm's libdw (0.188) neither removes the pointer
 *             authentication code of a signed return address (its
 *             DW_CFA_AARCH64_negate_ra_state is "not handled yet") nor
 *             restores sp across the vDSO's sigreturn trampoline, whose
 *             CFI describes only x29 and x30; gdb 13 does both.
 *
 * The module's frames (depth 32) are compared with the unwinder's, frame
 * by frame, up to the module's depth: frame 0 is the pc, frame k the return
 * address the unwinder prints (eu-stack's without its "- 1", gdb's $pc of
 * the frame), after a signal frame the interrupted pc
 * (module/debugfs-format.md).  One "ok unwind.PROG.kI" per call when all of
 * them agree and there are as many, else a FAIL line and the two stacks
 * side by side as "# " notes; then a note "PROG: frames agreeing A out of
 * C compared (N calls)".  A run that never makes its marked call, a region
 * not found, the unwinder failing or reporting an error on some frame
 * (eu-stack's exit status, gdb's "Backtrace stopped") are failures too.
 *
 * --print: no module (e.g. on the host): print the unwinder's frames for
 * each marked call and the address mapped, as "# " notes, and no results.
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
#define REF_MAX_FRAMES	256
#define REF_OUT_MAX	(256 << 10)
#define REF_TIMEOUT_S	300

struct ref_frame {
	uint64_t addr;
	char text[160];		/* what the unwinder says of the frame */
};

/* the unwinder's frames of the stopped process */
static struct ref_frame ref[REF_MAX_FRAMES];
static int nref;
static char ref_out[REF_OUT_MAX], ref_err[8192];
static bool use_gdb;
static const char *ref_name = "eu-stack";
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

/* "#N  0xADDR[ - 1|    ] NAME - MODULE" lines of eu-stack -a -m */
static bool parse_eu_stack(void)
{
	char *line, *save = NULL;

	for (line = strtok_r(ref_out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a;
		int n, used;

		if (sscanf(line, "#%d 0x%llx%n", &n, &a, &used) != 2)
			continue;
		if (n != nref || nref == REF_MAX_FRAMES) {
			snprintf(ref_err, sizeof(ref_err),
				 "eu-stack frame #%d out of order (%d frames read)", n, nref);
			return false;
		}
		ref[nref].addr = a;
		snprintf(ref[nref].text, sizeof(ref[nref].text), "%s", line + used);
		nref++;
	}
	return true;
}

/*
 * gdb's "$N = 0xADDR" lines (frame apply all -q p/x $pc: one per frame,
 * in order) give the addresses, its bt lines "#N  ..." the text; an
 * abnormal end of the backtrace ("Backtrace stopped: ...") is an error.
 */
static bool parse_gdb(void)
{
	char *line, *save = NULL;
	int nbt = 0;

	for (line = strtok_r(ref_out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a;
		int n;

		if (sscanf(line, "$%d = 0x%llx", &n, &a) == 2) {
			if (n != nref + 1 || nref == REF_MAX_FRAMES) {
				snprintf(ref_err, sizeof(ref_err),
					 "gdb value $%d out of order (%d frames read)", n, nref);
				return false;
			}
			ref[nref].addr = a;
			ref[nref].text[0] = '\0';
			nref++;
		} else if (sscanf(line, "#%d ", &n) == 1 && n == nbt && n < nref) {
			snprintf(ref[n].text, sizeof(ref[n].text), " %s", line);
			nbt++;
		} else if (!strncmp(line, "Backtrace stopped", 17)) {
			snprintf(ref_err, sizeof(ref_err), "gdb: %s", line);
			return false;
		}
	}
	if (nbt != nref) {
		snprintf(ref_err, sizeof(ref_err), "gdb: %d frames in bt, %d values of $pc",
			 nbt, nref);
		return false;
	}
	return true;
}

/*
 * The unwinder's frames of pid's (first) thread into ref[0..nref).
 * Returns its exit status, -1 if it could not run, timed out or printed
 * something it should not (why is in ref_err).
 */
static int run_unwinder(pid_t pid)
{
	char pidstr[16];
	char *eu_argv[] = { "eu-stack", "-a", "-m", "-1", "-p", pidstr, NULL };
	char *gdb_argv[] = {
		"gdb", "-nx", "-q", "-batch",
		/* no separate debug information: no inlined frames */
		"-iex", "set debug-file-directory /nonexistent",
		"-iex", "set debuginfod enabled off",
		"-p", pidstr,
		"-ex", "set backtrace past-main on",
		"-ex", "frame apply all -q -s p/x $pc",
		"-ex", "bt", NULL,
	};
	char **argv = use_gdb ? gdb_argv : eu_argv;
	int out = memfd_create("unwinder.out", MFD_CLOEXEC);
	int err = memfd_create("unwinder.err", MFD_CLOEXEC);
	struct timespec t = { 0, 20 * 1000 * 1000 };
	pid_t child;
	int st, waited = 0, rc;

	nref = 0;
	ref_out[0] = ref_err[0] = '\0';
	if (out < 0 || err < 0) {
		snprintf(ref_err, sizeof(ref_err), "memfd_create: %s", strerror(errno));
		return -1;
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	child = fork();
	if (child < 0) {
		snprintf(ref_err, sizeof(ref_err), "fork: %s", strerror(errno));
		return -1;
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(child, &st, WNOHANG) == 0) {
		if (++waited > REF_TIMEOUT_S * 50) {
			kill(child, SIGKILL);
			waitpid(child, &st, 0);
			snprintf(ref_err, sizeof(ref_err), "%s -p %d: no answer in %d s",
				 ref_name, (int)pid, REF_TIMEOUT_S);
			close(out);
			close(err);
			return -1;
		}
		nanosleep(&t, NULL);
	}
	read_memfd(out, ref_out, sizeof(ref_out));
	read_memfd(err, ref_err, sizeof(ref_err));
	close(out);
	close(err);
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (!(use_gdb ? parse_gdb() : parse_eu_stack()))
		return -1;
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

/* the module's frames and the unwinder's, side by side, as notes */
static void show_stacks(const struct as_site *site)
{
	int n = nref > site->nframes ? nref : site->nframes, i;

	for (i = 0; i < n; i++) {
		char m[24] = "-", e[24] = "-";

		if (i < site->nframes)
			snprintf(m, sizeof(m), "0x%" PRIx64, site->frames[i]);
		if (i < nref)
			snprintf(e, sizeof(e), "0x%" PRIx64, ref[i].addr);
		t_note("  #%-2d module %-18s %s %s %-18s%s", i, m,
		       strcmp(m, e) ? "!=" : "==", ref_name, e,
		       i < nref ? ref[i].text : "");
	}
}

/*
 * The site owning [addr, addr + len) in pid's records (read while pid is
 * stopped after the call), or NULL after a FAIL line.
 */
static const struct as_site *site_of_call(const char *check, pid_t pid,
					  uint64_t addr, uint64_t len)
{
	const struct as_region *r;
	const struct as_site *site;

	snap_take(&snap, pid);
	r = snap_region_at(&snap, addr);
	if (!r || r->start > addr || r->end < addr + len) {
		t_fail(check, "no region holds [0x%" PRIx64 ", 0x%" PRIx64 ")%s",
		       addr, addr + len, r ? " whole" : "");
		return NULL;
	}
	site = snap_site(&snap, r->site);
	if (!site)
		t_fail(check, "region at 0x%" PRIx64 ": no site %" PRIu64, addr, r->site);
	return site;
}

/* compares site's frames with ref[]; one result line */
static void compare(const char *check, const struct as_site *site)
{
	int compared, agree = 0, i;

	compared = nref < DEPTH ? nref : DEPTH;
	if (site->nframes > compared)
		compared = site->nframes;
	for (i = 0; i < compared; i++)
		if (i < site->nframes && i < nref && site->frames[i] == ref[i].addr)
			agree++;
	total_agree += (uint64_t)agree;
	total_compared += (uint64_t)compared;
	if (agree == compared) {
		t_ok(check);
		t_note("%s: %d of %d frames agree (module %d, %s %d)", check,
		       agree, compared, site->nframes, ref_name, nref);
		return;
	}
	t_fail(check, "%d of %d frames agree (module %d, %s %d; site %" PRIu64 ")",
	       agree, compared, site->nframes, ref_name, nref, site->id);
	show_stacks(site);
}

/* run number `call` of argv: stop at its marked call `call`, compare */
static void check_call(char **argv, int call)
{
	char check[96];
	const struct as_site *site = NULL;
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
	/* the module's records first: the unwinder may let pid run on */
	if (!print_only && uw_mark_of(len) == call)
		site = site_of_call(check, pid, addr, len);
	rc = run_unwinder(pid);
	if (uw_mark_of(len) != call) {
		/* the programs make their marked calls in the order of k */
		t_fail(check, "marked call %d has the length of k%d", call,
		       uw_mark_of(len));
	} else if (print_only) {
		t_note("%s: pid %d mapped %" PRIu64 " bytes at 0x%" PRIx64
		       "; %s exited %d:", check, (int)pid, len, addr, ref_name, rc);
		for (int i = 0; i < nref; i++)
			t_note("  #%-2d 0x%016" PRIx64 "%s", i, ref[i].addr, ref[i].text);
		note_lines("  stderr: ", ref_err);
	} else if (!site) {
		/* said why */
	} else if (rc != 0 || nref == 0) {
		t_fail(check, "%s -p %d exited %d with %d frames: %s", ref_name,
		       (int)pid, rc, nref, ref_err);
		for (int i = 0; i < nref; i++)
			t_note("  #%-2d 0x%016" PRIx64 "%s", i, ref[i].addr, ref[i].text);
	} else {
		compare(check, site);
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
	fprintf(stderr, "usage: unwind_check [--print] [--unwinder eu-stack|gdb] "
		"-n CALLS PROG [ARG...]\n");
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
	if (i + 1 < argc && !strcmp(argv[i], "--unwinder")) {
		if (!strcmp(argv[i + 1], "gdb"))
			use_gdb = true;
		else if (strcmp(argv[i + 1], "eu-stack"))
			usage();
		ref_name = argv[i + 1];
		i += 2;
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
