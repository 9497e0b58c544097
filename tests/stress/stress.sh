#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# stress.sh - the reliability campaign, run in the VM with anonstat.ko
# loaded (tests/stress/run boots each kernel with it).  Prints "ok NAME" /
# "FAIL NAME: why" lines, "figure NAME VALUE" lines for RELIABILITY.md, and
# ends with "stress: N passed, N failed".
#
# usage: stress.sh [PHASE...]   (default: every phase_* below, in order)
# SCALE (environment, default 1) divides stress_mm's operation counts: the
# debug kernel maps and unmaps about 100x slower than a Debian one.  The
# process churn, the rmmod cycles and the control writes are not scaled.
# CYCLES_SCALE (default 1) divides the unload phase's rmmod cycles and the
# control fuzz's inputs (tests/stress/run: 5.10, 6.12 and 7.2).
D=/sys/kernel/debug/anonstat
KO=/anonstat/anonstat.ko
SCALE=${SCALE:-1}
CYCLES_SCALE=${CYCLES_SCALE:-1}
pass=0
fail=0

ok() { echo "ok $T${1:+.$1}"; pass=$((pass + 1)); }
bad() { echo "FAIL $T: $*"; fail=$((fail + 1)); }
figure() { echo "figure $1 $2"; }
ctl() { echo "$1" >$D/control; }
status() { awk -v k="$1" '$1 == k { print $2 }' $D/status; }
status2() { awk -v a="$1" -v b="$2" '$1 == a && $2 == b { print $3 }' $D/status; }
scaled() { echo $(($1 / SCALE > 0 ? $1 / SCALE : 1)); }

defaults() {
	ctl enable
	ctl "pid all"
	ctl "comm all"
	ctl "depth 16"
	ctl "max_regions 1000000"
	ctl "max_sites 100000"
	ctl "retain_exited 64"
}

# run_prog PROG [ARGS...]: run a checker program and count its "ok" and
# "FAIL" lines (in this shell: not at the end of a pipeline, whose counts
# a subshell would keep).  Its output stays in /tmp/prog.out.  Exiting
# non-zero without a FAIL line (a crash, a kill) is one more failure, and
# so is printing no ok line at all.
run_prog() {
	"$@" >/tmp/prog.out 2>&1
	rc=$?
	sed "s/^ok /ok $T./; s/^FAIL /FAIL $T./" /tmp/prog.out
	p=$(grep -c '^ok ' /tmp/prog.out)
	f=$(grep -c '^FAIL ' /tmp/prog.out)
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		bad "$1 exited $rc without a FAIL line"
	elif [ "$p" = 0 ]; then
		bad "$1 printed no ok line"
	fi
}

# The operations a stress_mm run reports ("# stress_mm: N threads: ...")
mm_operations() {
	sed -n 's/^# stress_mm: [0-9]* threads: //p' /tmp/prog.out |
		tr -cs '0-9' '\n' | awk '{ s += $1 } END { print s + 0 }'
}

# Every process's records follow the format's rules (quiescent system).
invariants() {
	run_prog anonstat_check
}

# After a phase: the module still accounts a fresh process exactly (a
# short verified run, with the defaults).
still_exact() {
	defaults
	t=$T
	T=$T.after
	run_prog stress_mm -t 4 -n "$(scaled 300)" -s 99 --verify
	T=$t
	defaults
}

# The oracle of issue 13 over every live process of procs, this shell and
# what the phase left running included (the phase's load has stopped, this
# shell waits): each one's regions are its anonymous VMAs
# (anonstat_oracle -a; a process that exits meanwhile is skipped).
oracle_live() {
	t=$T
	T=$T.oracle
	if anonstat_oracle -a -b >/tmp/oracle.out 2>&1; then
		echo "# $T: $(grep -c '^[0-9]' /tmp/oracle.out) live processes checked"
		ok
	else
		bad "$(grep -c '^mismatch' /tmp/oracle.out) processes differ:" \
			"$(grep -m3 '^mismatch' /tmp/oracle.out | tr '\n' ' ')"
	fi
	T=$t
}

phase_concurrency() {
	T=concurrency
	defaults
	run_prog stress_mm -t 8 -n "$(scaled 2000)" -s 1 --verify
	figure concurrency_threads 8
	figure concurrency_operations "$(mm_operations)"
}

# 4 threads racing over one 64-page window (acct_race): the oracle and the
# format's sums once they are joined
phase_race() {
	T=race
	defaults
	run_prog acct_race "$(scaled 100000)" 7
	figure race_operations "$(scaled 100000)"
}

# Background load for the phases below: stress_mm processes in a loop.
load_start() {
	rm -f /tmp/stop-load /tmp/load-runs /tmp/load-started
	(
		i=0
		while [ ! -e /tmp/stop-load ]; do
			echo "$i" >/tmp/load-started
			stress_mm -t 4 -n "$(scaled 500)" -s $i >/dev/null 2>&1
			i=$((i + 1))
		done
		echo "$i" >/tmp/load-runs
	) &
	LOAD=$!
}

# Stop the load and every other loop waiting for /tmp/stop-load.
load_stop() {
	touch /tmp/stop-load
	wait "$LOAD" 2>/dev/null
	# each run: 4 threads x OPS operations
	figure "${T}_load_processes" "$(cat /tmp/load-runs)"
	figure "${T}_load_operations" $(($(cat /tmp/load-runs) * 4 * $(scaled 500)))
}

phase_chaos() {
	T=chaos
	defaults
	load_start
	# two readers
	for r in 1 2; do
		(
			n=0
			while [ ! -e /tmp/stop-load ]; do
				for f in status procs threads sites regions; do
					cat $D/$f >/dev/null || echo "FAIL chaos.read: $f"
					n=$((n + 1))
				done
			done
			echo "$n" >/tmp/chaos-reads-$r
		) &
	done
	# a writer cycling the settings
	(
		n=0
		while [ ! -e /tmp/stop-load ]; do
			for c in disable enable "depth 1" "depth 32" "depth 16" reset \
				"pid $$" "pid all" "comm stress_mm" "comm all"; do
				ctl "$c" || echo "FAIL chaos.write: $c"
				n=$((n + 1))
			done
		done
		echo "$n" >/tmp/chaos-writes
	) &
	# fork/exec/exit churn
	churn=1000
	fork_churn "$churn" >/tmp/churn.out 2>&1 || bad "fork_churn failed: $(cat /tmp/churn.out)"
	# "fork_churn: N processes, N exec, N failed"
	figure chaos_churn_processes "$(sed -n 's/^fork_churn: \([0-9]*\) processes.*/\1/p' /tmp/churn.out)"
	figure chaos_churn_execs "$(sed -n 's/^fork_churn: [0-9]* processes, \([0-9]*\) exec.*/\1/p' /tmp/churn.out)"
	load_stop
	wait
	figure chaos_readers 2
	figure chaos_file_reads $(($(cat /tmp/chaos-reads-1) + $(cat /tmp/chaos-reads-2)))
	figure chaos_control_writes "$(cat /tmp/chaos-writes)"
	defaults
	invariants
	still_exact
}

phase_unload() {
	T=unload
	cycles=$((50 / CYCLES_SCALE))
	load_start
	i=0
	while [ $i -lt "$cycles" ]; do
		rmmod anonstat || { bad "rmmod $i failed"; break; }
		insmod $KO enabled=0 || { bad "insmod $i failed"; break; }
		# loaded disarmed: nothing may be left from before
		for k in processes sites regions threads memory_bytes; do
			v=$(status $k)
			[ "$v" = 0 ] || bad "cycle $i: $k $v after insmod"
		done
		ctl enable
		i=$((i + 1))
	done
	load_stop
	figure unload_cycles "$i"
	[ $i = "$cycles" ] && ok cycles
	still_exact
}

phase_memory() {
	T=memory
	defaults
	ctl "retain_exited 0"
	ctl "comm stress_mm"
	ctl reset
	base=$(status memory_bytes)
	stress_mm -t 8 -n "$(scaled 1000)" -s 7 >/tmp/prog.out 2>&1 ||
		bad "stress_mm exited $?"
	after=$(status memory_bytes)
	figure memory_load_operations "$(mm_operations)"
	figure memory_idle_bytes "$base"
	figure memory_after_bytes "$after"
	[ "$after" = "$base" ] && ok returns || bad "memory_bytes $base before, $after after the load exited"
	defaults
	if [ -e /sys/kernel/debug/kmemleak ]; then
		rmmod anonstat && insmod $KO
		echo scan >/sys/kernel/debug/kmemleak
		echo scan >/sys/kernel/debug/kmemleak
		n=$(grep -c unreferenced /sys/kernel/debug/kmemleak)
		figure kmemleak_reports "$n"
		[ "$n" = 0 ] && ok kmemleak ||
			{ bad "kmemleak: $n reports"; head -40 /sys/kernel/debug/kmemleak; }
	fi
}

phase_failslab() {
	T=failslab
	F=/sys/kernel/debug/failslab
	[ -d $F ] || return 0
	defaults
	echo 10 >$F/probability
	echo 1 >$F/interval
	echo -1 >$F/times
	echo 0 >$F/verbose
	echo Y >$F/task-filter
	before=$(status2 drop nomem)
	# only the load's tasks fail allocations (the module's and the kernel's)
	stress_mm -t 4 -n "$(scaled 1000)" -s 3 --make-it-fail >/tmp/prog.out 2>&1
	echo 0 >$F/probability
	figure failslab_load_operations "$(mm_operations)"
	after=$(status2 drop nomem)
	figure failslab_nomem_drops $((after - before))
	[ $((after - before)) -gt 0 ] && ok drops_counted || bad "no nomem drops under failslab"
	invariants
	still_exact
}

phase_control_fuzz() {
	T=control_fuzz
	run_prog ctl_fuzz -n $((10000 / CYCLES_SCALE)) -s 42
	# "ctl_fuzz: N inputs, N write calls, N accepted, N rejected, N unexpected"
	set -- $(sed -n 's/^ctl_fuzz: \([0-9]*\) inputs, \([0-9]*\) write calls, \([0-9]*\) accepted, \([0-9]*\) rejected, \([0-9]*\) unexpected$/\1 \2 \3 \4 \5/p' /tmp/prog.out) - - - - -
	figure fuzz_inputs "$1"
	figure fuzz_write_calls "$2"
	figure fuzz_accepted "$3"
	figure fuzz_rejected_einval "$4"
	figure fuzz_unexpected "$5"
	defaults
}

# status_sample: regions, sites, memory_bytes and processes from one read
# of status, into r, s, m and n (no fork: the debug kernel is slow)
status_sample() {
	r=0 s=0 m=0 n=0
	while read -r key val rest; do
		case "$key" in
		regions) r=$val ;;
		sites) s=$val ;;
		memory_bytes) m=$val ;;
		processes) n=$val ;;
		esac
	done <$D/status
}

# caps_under_load CAP LIMIT: the background load with one tiny cap
# ("max_regions" or "max_sites"; "none" for the reference run without),
# tracking only the load's processes, and dropping them at exit
# (retain_exited 0): the tables hold the live load process (4 threads,
# about 10 sites) and, with a cap, at most the cap.  status is sampled
# until 20 samples saw a load process alive (at most 2,000 samples).
caps_under_load() {
	cap=$1 limit=${2:-} count=${1#max_}
	T=caps_$count
	defaults
	ctl "retain_exited 0"
	ctl "comm stress_mm"
	ctl reset
	[ "$cap" = none ] || ctl "$cap $limit"
	load_start
	i=0 live=0 worst_r=0 worst_s=0 worst_mem=0
	while [ $live -lt 20 ] && [ $i -lt 2000 ]; do
		status_sample
		[ "$n" -gt 0 ] && live=$((live + 1))
		[ "$r" -gt "$worst_r" ] && worst_r=$r
		[ "$s" -gt "$worst_s" ] && worst_s=$s
		[ "$m" -gt "$worst_mem" ] && worst_mem=$m
		sleep 0.05
		i=$((i + 1))
	done
	# Keep the last load process's record for the checks below: one
	# that starts after retain_exited is 64 (the one running now may
	# exit before the write lands, and be dropped).
	ctl "retain_exited 64"
	started=$(cat /tmp/load-started)
	i2=0
	while [ "$(cat /tmp/load-started)" = "$started" ] && [ $i2 -lt 600 ]; do
		sleep 0.05
		i2=$((i2 + 1))
	done
	load_stop
	figure "${T}_samples" "$i"
	figure "${T}_samples_with_load" "$live"
	figure "${T}_max_regions_seen" "$worst_r"
	figure "${T}_max_sites_seen" "$worst_s"
	figure "${T}_max_memory_bytes" "$worst_mem"
	[ $live -ge 20 ] && ok load_observed ||
		bad "a load process was seen in $live of $i samples"
	if [ "$cap" = none ]; then
		uncapped_mem=$worst_mem
		[ "$worst_r" -gt 20 ] && [ "$worst_s" -gt 3 ] && ok load_exceeds_the_caps ||
			bad "uncapped, the load held only $worst_r regions and $worst_s sites"
	else
		eval "worst=\$worst_$(echo "$count" | cut -c1)"
		drops=$(status2 drop "${count}_cap")
		figure "${T}_limit" "$limit"
		figure "${T}_drops" "$drops"
		[ "$worst" -le "$limit" ] && ok within || bad "$count $worst > $limit"
		[ "$drops" -gt 0 ] && ok drops_counted || bad "no ${count}_cap drops"
		[ "$worst_mem" -lt "$uncapped_mem" ] && ok memory_below_uncapped ||
			bad "memory_bytes $worst_mem under $cap $limit, $uncapped_mem uncapped"
	fi
	invariants
}

phase_caps() {
	caps_under_load none
	caps_under_load max_regions 20
	caps_under_load max_sites 3
	T=caps
	still_exact
}

# Unwind tables (issue 14) built concurrently, raced, capped and thrown
# away.  unwind_churn's processes and threads dlopen distinct copies of
# libhostilecfi.so, intact and with damaged CFI, and map through them,
# while a writer toggles max_unwind_mib (0, 1, 64: tables refused at the
# cap, built again when there is room) and unloads and loads the module,
# UNWIND_CYCLES times (the last time it leaves it unloaded); the load goes
# on until the writer is done (at least 400 / SCALE iterations per
# thread).  A call in flight at an insmod is not accounted (RELIABILITY.md,
# known limits), so the module is loaded again once the load's processes
# are quiet (unwind_churn --hold); then the processes' threads map once
# more through every copy, all in the same order (the new module's tables
# built concurrently), while max_unwind_mib toggles again.  Checks:
#   .cycles       the writer did its unload cycles, all under load;
#   .writer       and every write and rmmod/insmod of it succeeded;
#   .oracle_held  the quiet processes were seeded exactly: every live
#                 process's regions are its anonymous VMAs
#                 (anonstat_oracle -a);
#   unwind_churn's own lines: after the last round each process checks its
#                 regions against its maps (t_check_maps);
#   .reloaded     after the processes exited, rmmod and insmod with
#                 enabled=0: memory_bytes, unwind_bytes, unwind_objects,
#                 unwind_objects_without_cfi and unwind_dropped are 0;
#   .kmemleak     (debug kernel) no leak report after two scans.
UNWIND_CYCLES=4

# unwind_toggles STOPFILE: max_unwind_mib 0, 1, 64 in turn until STOPFILE
# exists, then 64; failures into /tmp/unwind-writer-fail
unwind_toggles() {
	while [ ! -e "$1" ]; do
		for m in 0 1 64; do
			ctl "max_unwind_mib $m" ||
				echo "max_unwind_mib $m refused" >>/tmp/unwind-writer-fail
			echo >>/tmp/unwind-writes
			sleep 0.2
		done
	done
}

phase_unwind() {
	T=unwind
	defaults
	ctl "max_unwind_mib 64"
	rm -f /tmp/unwind-ready /tmp/unwind-release /tmp/unwind-stop /tmp/unwind-done \
		/tmp/unwind-writer /tmp/unwind-writer-fail /tmp/unwind-writes
	unwind_churn -p 4 -t 4 -c 40 -n "$(scaled 400)" -s 5 --until /tmp/unwind-stop \
		--hold /tmp/unwind-ready /tmp/unwind-release >/tmp/unwind.out 2>&1 &
	churn=$!
	(
		cycles=0
		while [ $cycles -lt $UNWIND_CYCLES ] && kill -0 $churn 2>/dev/null; do
			for m in 0 1 64; do
				ctl "max_unwind_mib $m" ||
					echo "max_unwind_mib $m refused" >>/tmp/unwind-writer-fail
				echo >>/tmp/unwind-writes
				sleep 0.2
			done
			rmmod anonstat ||
				echo "rmmod failed, cycle $cycles" >>/tmp/unwind-writer-fail
			cycles=$((cycles + 1))
			[ $cycles = $UNWIND_CYCLES ] && break
			insmod $KO ||
				echo "insmod failed, cycle $cycles" >>/tmp/unwind-writer-fail
		done
		state=under_load
		if ! kill -0 $churn 2>/dev/null || [ -e /tmp/unwind-ready ]; then
			state=the_load_ended_first
		fi
		echo "$cycles $state" >/tmp/unwind-writer
		touch /tmp/unwind-stop
	) &
	wait $!
	while [ ! -e /tmp/unwind-ready ] && kill -0 $churn 2>/dev/null; do
		sleep 0.2
	done
	set -- $(cat /tmp/unwind-writer 2>/dev/null) - -
	figure unwind_unload_cycles "$1"
	[ "$1" = $UNWIND_CYCLES ] && [ "$2" = under_load ] && ok cycles ||
		bad "$1 unload cycles of $UNWIND_CYCLES, $2"
	grep -q '^anonstat ' /proc/modules || insmod $KO || bad "insmod failed"
	defaults
	ctl "max_unwind_mib 64"
	t=$T
	T=$T.oracle_held
	if [ -e /tmp/unwind-ready ] && anonstat_oracle -a -b >/tmp/oracle.out 2>&1; then
		echo "# $T: $(grep -c '^[0-9]' /tmp/oracle.out) live processes checked"
		ok
	else
		bad "$(grep -c '^mismatch' /tmp/oracle.out) processes differ:" \
			"$(grep -m3 '^mismatch' /tmp/oracle.out | tr '\n' ' ')"
	fi
	T=$t
	unwind_toggles /tmp/unwind-done &
	toggles=$!
	touch /tmp/unwind-release
	wait $churn
	rc=$?
	touch /tmp/unwind-done
	wait $toggles
	ctl "max_unwind_mib 64"
	figure unwind_control_writes "$(wc -l </tmp/unwind-writes)"
	if [ -s /tmp/unwind-writer-fail ]; then
		bad "writer: $(head -3 /tmp/unwind-writer-fail | tr '\n' ' ')"
	else
		ok writer
	fi
	# since the last load: the check stage
	figure unwind_tables "$(status unwind_objects)"
	figure unwind_tables_without_cfi "$(status unwind_objects_without_cfi)"
	figure unwind_table_bytes "$(status unwind_bytes)"
	figure unwind_dropped "$(status unwind_dropped)"
	for e in complete no_cfi unreadable depth budget invalid; do
		figure "unwind_walks_$e" "$(status2 walk $e)"
	done
	sed "s/^ok /ok $T./; s/^FAIL /FAIL $T./" /tmp/unwind.out
	p=$(grep -c '^ok ' /tmp/unwind.out)
	f=$(grep -c '^FAIL ' /tmp/unwind.out)
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$rc" != 0 ] && [ "$f" = 0 ] && bad "unwind_churn exited $rc without a FAIL line"
	[ "$p" = 0 ] && bad "unwind_churn printed no ok line"
	figure unwind_calls "$(sed -n 's/^# unwind_churn p[0-9]*: \([0-9]*\) calls.*/\1/p' /tmp/unwind.out |
		awk '{ s += $1 } END { print s + 0 }')"
	rmmod anonstat && insmod $KO enabled=0 || bad "rmmod and insmod failed"
	why=
	for k in memory_bytes unwind_bytes unwind_objects unwind_objects_without_cfi unwind_dropped; do
		v=$(status $k)
		[ "$v" = 0 ] || why="$why $k $v"
	done
	[ -z "$why" ] && ok reloaded || bad "after rmmod and insmod:$why"
	ctl enable
	if [ -e /sys/kernel/debug/kmemleak ]; then
		echo scan >/sys/kernel/debug/kmemleak
		echo scan >/sys/kernel/debug/kmemleak
		n=$(grep -c unreferenced /sys/kernel/debug/kmemleak)
		figure unwind_kmemleak_reports "$n"
		[ "$n" = 0 ] && ok kmemleak ||
			{ bad "kmemleak: $n reports"; head -40 /sys/kernel/debug/kmemleak; }
	fi
	defaults
	still_exact
}

phase_access() {
	T=access
	for f in status procs threads sites regions control; do
		if su nobody -s /bin/sh -c "cat $D/$f" >/dev/null 2>/tmp/err; then
			bad "nobody can read $f"
		else
			grep -q 'Permission denied' /tmp/err && ok "read_$f" ||
				bad "reading $f as nobody: $(cat /tmp/err)"
		fi
	done
	if su nobody -s /bin/sh -c "echo reset >$D/control" 2>/tmp/err; then
		bad "nobody can write control"
	else
		grep -q 'Permission denied' /tmp/err && ok write_control ||
			bad "writing control as nobody: $(cat /tmp/err)"
	fi
	# open the modes up: writing still needs CAP_SYS_ADMIN
	chmod 755 /sys/kernel/debug /sys/kernel/debug/anonstat
	chmod 666 $D/control
	if su nobody -s /bin/sh -c "echo reset >$D/control" 2>/tmp/err; then
		bad "nobody can write control with mode 666"
	else
		grep -q 'Operation not permitted' /tmp/err && ok write_needs_cap ||
			bad "writing control (mode 666) as nobody: $(cat /tmp/err)"
	fi
	chmod 200 $D/control
	chmod 700 /sys/kernel/debug
}

phases=${*:-$(sed -n 's/^\(phase_[a-z_]*\)() {$/\1/p' "$0")}
for phase in $phases; do
	echo "== $phase"
	t0=$(date +%s)
	$phase
	# (run_prog sets p: the phase's name is in phase)
	T=${phase#phase_}
	oracle_live
	figure "${T}_seconds" $(($(date +%s) - t0))
done
echo "stress: $pass passed, $fail failed"
[ "$fail" = 0 ]
