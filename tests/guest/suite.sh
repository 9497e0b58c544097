#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# suite.sh - the guest test suite; runs inside the VM (busybox sh) with
# anonstat.ko loaded.  Prints "ok NAME" / "FAIL NAME: why" per test and
# ends with "guest: N passed, N failed".
#
# usage: suite.sh [--no-anontop] [TEST...]   (default: every test_* below)
#
# --no-anontop: skip the tests that run anontop, saying so (not counted as
# passed), for a guest without anontop (tests/vm/run copies it into the
# amd64 and the arm64 guests: on arm64 cross-built, make -C userspace
# ARCH=arm64).
#
# The test programs (tests/guest/src/*.c) print their own "ok NAME" /
# "FAIL NAME: why" lines; run_prog counts each of them as one test.
D=/sys/kernel/debug/anonstat
pass=0
fail=0
PROG_TIMEOUT=300
# the mmap system call's probe (module/arch.h names the entry points)
case $(uname -m) in
aarch64) MMAP_SYM=__arm64_sys_mmap ;;
*) MMAP_SYM=__x64_sys_mmap ;;
esac

ok() { echo "ok $T"; pass=$((pass + 1)); }
bad() { echo "FAIL $T: $*"; fail=$((fail + 1)); }

# the control settings and their defaults, one "key value" a line, sorted
settings() {
	grep -E '^(enabled|depth|filter_pids|filter_comm|max_regions|max_sites|retain_exited|max_unwind_mib) ' \
		$D/status | sort
}
default_settings=$(printf '%s\n' 'enabled 1' 'depth 16' 'filter_pids all' \
	'filter_comm all' 'max_regions 1000000' 'max_sites 100000' \
	'retain_exited 64' 'max_unwind_mib 64' | sort)

restore_settings() {
	for c in 'pid all' 'comm all' 'depth 16' 'max_regions 1000000' \
		'max_sites 100000' 'retain_exited 64' 'max_unwind_mib 64' enable; do
		echo "$c" >$D/control
	done
}

# run_prog PROG [ARGS...]: run a test program and count its ok/FAIL lines.
# A program that exits non-zero without a FAIL line (a crash, the timeout)
# is one more failure, and so is one that leaves the settings changed.
run_prog() {
	out=/tmp/suite.$1.out
	timeout $PROG_TIMEOUT "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		bad "$1 exited $rc without a FAIL line"
	elif [ "$rc" = 0 ] && [ "$p" = 0 ]; then
		bad "$1 printed no ok line"
	fi
	if [ "$(settings)" != "$default_settings" ]; then
		bad "$1 left the settings changed: $(settings | tr '\n' ' ')"
		restore_settings
	fi
	rm -f "$out"
}

# probe_field SYMBOL N: field N of the probe line for SYMBOL in status
probe_field() { awk -v s="$1" -v n="$2" '$1 == "probe" && $2 == s { print $n }' $D/status; }

test_loaded() {
	grep -q '^anonstat ' /proc/modules && ok || bad "anonstat not in /proc/modules"
}

test_debugfs_present() {
	[ -d $D ] || { bad "$D missing"; return; }
	[ -r $D/status ] || { bad "$D/status not readable"; return; }
	mode=$(stat -c %a $D/status)
	[ "$mode" = 400 ] || { bad "status mode $mode, want 400"; return; }
	ok
}

test_status_header() {
	first=$(head -n1 $D/status)
	[ "$first" = "# key value..." ] || { bad "first line '$first'"; return; }
	v=$(awk '$1 == "version" { print $2 }' $D/status)
	[ -n "$v" ] || { bad "no version line"; return; }
	k=$(awk '$1 == "kernel" { print $2 }' $D/status)
	[ "$k" = "$(uname -r)" ] || { bad "kernel '$k', uname -r '$(uname -r)'"; return; }
	ok
}

test_mmap_probe_hits() {
	state=$(probe_field $MMAP_SYM 4)
	[ "$state" = attached ] || { bad "$MMAP_SYM probe '$state'"; return; }
	before=$(probe_field $MMAP_SYM 5)
	anon_mmap 100 || { bad "anon_mmap failed"; return; }
	after=$(probe_field $MMAP_SYM 5)
	missed=$(probe_field $MMAP_SYM 6)
	# the loader's own mmaps also count, so at least 100 more hits
	[ $((after - before)) -ge 100 ] ||
		{ bad "hits $before -> $after after 100 mmaps"; return; }
	[ "$missed" = 0 ] || { bad "missed $missed"; return; }
	ok
}

# every probe line says "detached" after "disable" and "attached" again
# after "enable"; the hit counter does not move while disarmed
test_probes_detached_after_disable() {
	echo disable >$D/control || { bad "disable refused"; return; }
	states=$(awk '$1 == "probe" { print $4 }' $D/status | sort -u)
	before=$(probe_field $MMAP_SYM 5)
	anon_mmap 10 || { bad "anon_mmap failed"; echo enable >$D/control; return; }
	after=$(probe_field $MMAP_SYM 5)
	echo enable >$D/control || { bad "enable refused"; return; }
	[ "$states" = detached ] ||
		{ bad "probe states after disable: '$(echo $states)'"; return; }
	[ "$before" = "$after" ] ||
		{ bad "disarmed $MMAP_SYM hits $before -> $after"; return; }
	states=$(awk '$1 == "probe" { print $4 }' $D/status | sort -u)
	[ "$states" = attached ] ||
		{ bad "probe states after enable: '$(echo $states)'"; return; }
	ok
}

# anontop's probe table shows the mmap entry probe as status does: an
# ftrace callback (module/debugfs-format.md), attached
test_anontop_reads_status() {
	type=$(probe_field $MMAP_SYM 3)
	[ "$type" = ftrace ] || { bad "status: $MMAP_SYM probe type '$type'"; return; }
	out=$(anontop -b -n 1 --probes) || { bad "anontop exited $?"; return; }
	echo "$out" | grep -qE "^$MMAP_SYM +ftrace +attached " ||
		{ bad "anontop output: $out"; return; }
	ok
}

# the demo program's leaking site, as anontop reports it (userspace/demo/)
test_anontop_vm() {
	run_prog anontop_vm_test.sh
}

test_acct_sites() {
	run_prog acct_sites
}

test_acct_munmap() {
	run_prog acct_munmap
}

test_acct_preexisting() {
	run_prog acct_preexisting
}

test_acct_map_fixed() {
	run_prog acct_map_fixed
}

test_acct_mremap() {
	run_prog acct_mremap
}

test_acct_brk() {
	run_prog acct_brk
}

test_acct_kinds() {
	run_prog acct_kinds
}

test_acct_forged_stack() {
	run_prog acct_forged_stack
}

test_acct_jit() {
	run_prog acct_jit
}

test_acct_fork() {
	run_prog acct_fork
}

test_acct_exec() {
	run_prog acct_exec
}

test_acct_threads() {
	run_prog acct_threads
}

test_acct_threads_cap() {
	run_prog acct_threads_cap
}

test_acct_shlib() {
	run_prog acct_shlib
}

# damaged call frame information in copies of a library, and the unwind
# caps (max_unwind_mib 0, depth 1): acct_hostile_cfi.c says what it checks
test_acct_hostile_cfi() {
	run_prog acct_hostile_cfi
}

# the real UCX case (issue 14): Debian's libucm hooks in bistro mode, two
# callers in a program without frame pointers.  The arm64 guests' acct_ucx
# is cross-built against Debian's arm64 UCX in the sysroot of anontop's
# arm64 build (tests/vm/run: UCX_SYSROOT); a cross build without one
# leaves it out (tests/guest/Makefile), and this says so.
test_acct_ucx() {
	if [ "$(uname -m)" != x86_64 ] && ! command -v acct_ucx >/dev/null; then
		echo "skip $T: no acct_ucx (Debian's UCX) for $(uname -m) in this guest"
		return
	fi
	run_prog acct_ucx
}

# The stacks the module records for calls from programs without frame
# pointers (tests/guest/unwind/: -O2, -O3, a libucm-like hook library,
# signal handlers) against an unwinder of its own for the same process
# stopped at each call: every frame up to depth 32 (src/unwind_check.c).
# The unwinder is elfutils' eu-stack, on arm64 gdb (bookworm's libdw
# unwinds neither signed return addresses nor the vDSO's sigreturn).  The
# counts are the marked calls of each program.
test_unwind_independent() {
	case $(uname -m) in
	aarch64) unwinder=gdb ;;
	*) unwinder=eu-stack ;;
	esac
	run_prog unwind_check --unwinder $unwinder -n 8 uw_o2
	run_prog unwind_check --unwinder $unwinder -n 6 uw_o3
	run_prog unwind_check --unwinder $unwinder -n 4 uw_hook
	run_prog unwind_check --unwinder $unwinder -n 4 uw_signal
}

test_acct_concurrency() {
	run_prog acct_concurrency
}

test_acct_failures() {
	run_prog acct_failures
}

test_acct_race() {
	run_prog acct_race 20000
}

# a stress variant (acct_concurrency.c says why), a few times
test_acct_concurrency_big_stacks() {
	for i in 1 2 3; do
		run_prog acct_concurrency --big-stacks
	done
}

test_ctl_commands() {
	run_prog ctl_commands
}

test_ctl_filters() {
	run_prog ctl_filters
}

test_ctl_caps() {
	run_prog ctl_caps
}

# procs_field PID N: field N of the procs line of PID
procs_field() { awk -v p="$1" -v n="$2" '$1 == p { print $n; exit }' $D/procs; }
status_value() { awk -v k="$1" -v w="$2" '$1 == k && $2 == w { print $3 }' $D/status; }

# exited workload PID, started before the insmod that seeded it: its procs
# line says exited with nothing live; its sites of origin call (made after
# the insmod, some map among them) have maps == unmaps and nothing live; its
# preexisting sites (what the insmod seeded) hold nothing; it has no other
# sites.  Prints why not, or nothing.
workload_problem() {
	set -- "$1" "$(procs_field $1 3)" "$(procs_field $1 4)" "$(procs_field $1 9)"
	if [ "$2" != exited ] || [ "${3:-0}" -le 0 ] || [ "$4" != 0 ]; then
		echo "workload $1: state '$2' maps '$3' live_bytes '$4'"
		return
	fi
	awk -v p="$1" '
		$1 != p { next }
		$14 == "call" { n++; maps += $4; if ($4 != $5 || $8 || $9) bad = bad " [" $0 "]"; next }
		$14 == "preexisting" { seeded++; if ($4 || $8 || $9) bad = bad " [" $0 "]"; next }
		{ bad = bad " [" $0 "]" }
		END {
			if (!n || !maps || !seeded)
				bad = bad " " n + 0 " call sites with " maps + 0 " maps, " seeded + 0 " preexisting sites"
			if (bad != "")
				print " workload " p ":" bad
		}' $D/sites
}

# rmmod while two processes map and unmap in a loop, insmod again while
# they still run (four results):
#   .rmmod      rmmod succeeds, the module and its files are gone, the
#               workloads survive;
#   .insmod     insmod succeeds with the default settings;
#   .counts     the new module seeded the workloads at insmod and saw what
#               happened after: once they have exited nothing is live, the
#               regions their calls made were all released (maps == unmaps
#               on every site of origin call), their preexisting sites hold
#               nothing, and no region was dropped as stale;
#   .no_stale   none was: release-following probes are armed no later than
#               the ones creating regions, so no release is missed.
test_rmmod_under_load() {
	t=$T
	anon_mmap 1000000000 &
	w1=$!
	anon_mmap 1000000000 &
	w2=$!
	sleep 2
	rmmod anonstat
	rc=$?
	gone=1
	grep -q '^anonstat ' /proc/modules && gone=0
	[ -e $D ] && gone=0
	alive=1
	kill -0 $w1 2>/dev/null && kill -0 $w2 2>/dev/null || alive=0
	insmod /anonstat/anonstat.ko
	irc=$?
	sleep 2
	kill $w1 $w2 2>/dev/null
	{ wait $w1 $w2; } 2>/dev/null

	T=$t.rmmod
	if [ "$rc" != 0 ]; then
		bad "rmmod under load exited $rc"
	elif [ "$gone" != 1 ]; then
		bad "module or $D still there after rmmod"
	elif [ "$alive" != 1 ]; then
		bad "a workload died when the module was removed"
	else
		ok
	fi
	T=$t.insmod
	if [ "$irc" != 0 ]; then
		bad "insmod after rmmod exited $irc"
		T=$t
		return
	fi
	[ "$(settings)" = "$default_settings" ] && ok ||
		bad "settings after insmod: $(settings | tr '\n' ' ')"
	T=$t.counts
	stale=$(status_value drop stale)
	why="$(workload_problem $w1)$(workload_problem $w2)"
	[ -z "$why" ] && [ "$stale" = 0 ] && ok || bad "$why drop stale $stale"
	T=$t.no_stale
	[ "$stale" = 0 ] && ok || bad "drop stale $stale after insmod under load"
	T=$t
}

# after the reload, exact counts again
test_after_reload() {
	run_prog acct_sites
}

# A process that mapped before insmod (issue 13: seeded at insmod on sites
# of origin "preexisting", frames "-").  With the module unloaded,
# preexisting_target maps 4 private pages, 2 shared anonymous pages and 3
# pages of brk, then waits for a signal; after insmod (six results):
#   .oracle       its regions are its anonymous VMAs (anonstat_oracle);
#   .origin       it has regions, and every one is on a site of origin
#                 preexisting with frames "-";
#   .live_bytes   its procs line's live_bytes are its anonymous VMA bytes;
#   .release      SIGUSR1 makes it munmap the 4 private pages: the site that
#                 held them counts one more unmap of 16384 bytes;
#   .oracle_after the oracle again;
#   .settings     the module came back with the default settings.
test_preexisting_insmod() {
	t=$T
	f=/tmp/preexisting.out
	rm -f $f
	rmmod anonstat || { bad "rmmod exited $?"; return; }
	preexisting_target $f &
	pid=$!
	i=0
	while ! grep -q '^ready' $f 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	insmod /anonstat/anonstat.ko || { bad "insmod exited $?"; kill $pid; return; }
	set -- $(grep '^ready' $f)
	priv=$2

	T=$t.oracle
	out=$(anonstat_oracle $pid) && ok || bad "$out"
	T=$t.origin
	why=$(awk -v p=$pid 'FNR == 1 { next }
		FILENAME ~ /sites$/ && $1 == p { o[$2] = $14; fr[$2] = $13 }
		FILENAME ~ /regions$/ && $1 == p { n++
			if (o[$4] != "preexisting" || fr[$4] != "-")
				{ print "region " $2 "-" $3 " on site " $4 " origin \"" o[$4] "\" frames " fr[$4]; exit } }
		END { if (!n) print "no regions for pid " p }' $D/sites $D/regions)
	[ -z "$why" ] && ok || bad "$why"
	T=$t.live_bytes
	anon=$(anonstat_oracle -b $pid | awk 'NR == 1 { print $2 }')
	live=$(procs_field $pid 9)
	[ -n "$live" ] && [ "$live" = "$anon" ] && ok ||
		bad "procs live_bytes '$live', anonymous VMA bytes '$anon'"

	# the site holding the private region, and its unmaps and bytes_unmapped
	site=$(awk -v p=$pid -v a=$priv '$1 == p && $2 == a { print $4 }' $D/regions)
	site_counts() { awk -v p=$pid -v s="$site" '$1 == p && $2 == s { print $5, $7 }' $D/sites; }
	c0=$(site_counts)
	kill -USR1 $pid
	i=0
	while ! grep -q '^unmapped' $f && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	c1=$(site_counts)
	T=$t.release
	if [ -z "$site" ] || [ -z "$c0" ]; then
		bad "no region at $priv for pid $pid"
	else
		set -- $c0 $c1
		[ "$3" = $(($1 + 1)) ] && [ "$4" = $(($2 + 16384)) ] && ok ||
			bad "site $site unmaps/bytes_unmapped $1/$2 -> $3/$4, want +1/+16384"
	fi
	T=$t.oracle_after
	out=$(anonstat_oracle $pid) && ok || bad "$out"
	kill -TERM $pid
	wait $pid 2>/dev/null
	T=$t.settings
	[ "$(settings)" = "$default_settings" ] && ok ||
		bad "settings after insmod: $(settings | tr '\n' ' ')"
	T=$t
}

# Secure Boot lockdown, raised at run time as a locked-down boot would have
# it (one way: this test runs last).  Under "integrity" (six results):
#   .read       every read-only file still opens and reads;
#   .anontop    anontop -b shows the module;
#   .accounting the probes keep counting: of two runs of anon_mmap, 10 and
#               110 mappings of 4 KiB, the second has exactly 100 more maps
#               and 409600 more bytes mapped and unmapped (not a count of
#               unmaps: ld.so reserves a library's span with an anonymous
#               mapping and trims it to the segments' alignment, the tail
#               only or head and tail, as ASLR placed it: seen on arm64,
#               where libc's segments are 64 KiB aligned);
#   .control    control (mode 0200) no longer opens: EPERM;
#   .rmmod      the module still unloads;
#   .unsigned   and, unsigned, cannot be loaded again: EPERM.
test_lockdown() {
	t=$T
	L=/sys/kernel/security/lockdown
	[ -e $L ] || mount -t securityfs securityfs /sys/kernel/security
	[ -e $L ] || { bad "no $L: this kernel has no lockdown LSM"; return; }
	echo integrity >$L 2>/dev/null
	grep -q '\[integrity\]' $L || { bad "lockdown: $(cat $L)"; return; }

	T=$t.read
	why=
	for f in status procs threads sites regions; do
		cat $D/$f >/dev/null 2>&1 || why="$why $f"
	done
	[ -z "$why" ] && ok || bad "cannot read:$why"
	T=$t.anontop
	case "$skip" in
	*" test_anontop_reads_status "*) echo "skip $T: no anontop for $(uname -m) in this guest" ;;
	*) anontop -b -n 1 | grep -q "^anonstat .* on $(uname -r):" && ok ||
		bad "anontop -b does not show the module" ;;
	esac

	T=$t.accounting
	anon_mmap 10 & p1=$!
	wait $p1
	anon_mmap 110 & p2=$!
	wait $p2
	dm=$(($(procs_field $p2 4) - $(procs_field $p1 4)))
	dbm=$(($(procs_field $p2 6) - $(procs_field $p1 6)))
	dbu=$(($(procs_field $p2 7) - $(procs_field $p1 7)))
	[ "$dm/$dbm/$dbu" = 100/409600/409600 ] && ok ||
		bad "maps +$dm, bytes mapped +$dbm, unmapped +$dbu (want +100, +409600 each)"

	T=$t.control
	err=$( (echo reset >$D/control) 2>&1)
	case "$err" in
	*"Operation not permitted"*) ok ;;
	*) bad "write to control under lockdown: '$err'" ;;
	esac

	T=$t.rmmod
	rmmod anonstat && ok || bad "rmmod exited $?"
	T=$t.unsigned
	err=$(insmod /anonstat/anonstat.ko 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		bad "an unsigned module loaded under lockdown"
		rmmod anonstat
	else
		case "$err" in
		*"Operation not permitted"*) ok ;;
		*) bad "insmod: '$err'" ;;
		esac
	fi
	T=$t
}

skip=
if [ "${1:-}" = --no-anontop ]; then
	skip=" test_anontop_reads_status test_anontop_vm "
	shift
fi
tests=${*:-$(sed -n 's/^\(test_[a-z_0-9]*\)() {$/\1/p' "$0")}
for T in $tests; do
	case "$skip" in
	*" $T "*) echo "skip $T: no anontop for $(uname -m) in this guest" ;;
	*) $T ;;
	esac
done
echo "guest: $pass passed, $fail failed"
[ "$fail" = 0 ]
