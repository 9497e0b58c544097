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
D=/sys/kernel/debug/anonstat
KO=/anonstat/anonstat.ko
SCALE=${SCALE:-1}
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
	ctl "depth 4"
	ctl "max_regions 1000000"
	ctl "max_sites 100000"
	ctl "retain_exited 64"
}

# Run the checker programs' "ok"/"FAIL" lines into our counts.
count_lines() {
	while read -r line; do
		echo "$line"
		case "$line" in
		ok\ *) pass=$((pass + 1)) ;;
		FAIL\ *) fail=$((fail + 1)) ;;
		esac
	done
}

# Every process's records follow the format's rules (quiescent system).
invariants() {
	anonstat_check 2>&1 | count_lines
}

phase_concurrency() {
	T=concurrency
	defaults
	stress_mm -t 8 -n "$(scaled 2000)" -s 1 --verify 2>&1 | count_lines
}

# Background load for the phases below: stress_mm processes in a loop.
load_start() {
	rm -f /tmp/stop-load
	(
		i=0
		while [ ! -e /tmp/stop-load ]; do
			stress_mm -t 4 -n "$(scaled 500)" -s $i >/dev/null 2>&1
			i=$((i + 1))
		done
	) &
	LOAD=$!
}

# Stop the load and every other loop waiting for /tmp/stop-load.
load_stop() {
	touch /tmp/stop-load
	wait "$LOAD" 2>/dev/null
}

phase_chaos() {
	T=chaos
	defaults
	load_start
	# two readers
	for r in 1 2; do
		(
			while [ ! -e /tmp/stop-load ]; do
				for f in status procs threads sites regions; do
					cat $D/$f >/dev/null || echo "FAIL chaos.read: $f"
				done
			done
		) &
	done
	# a writer cycling the settings
	(
		n=0
		while [ ! -e /tmp/stop-load ]; do
			for c in disable enable "depth 1" "depth 16" "depth 4" reset \
				"pid $$" "pid all" "comm stress_mm" "comm all"; do
				ctl "$c" || echo "FAIL chaos.write: $c"
				n=$((n + 1))
			done
		done
		echo "$n" >/tmp/chaos-writes
	) &
	# fork/exec/exit churn
	churn=1000
	fork_churn "$churn" || bad "fork_churn failed"
	figure chaos_processes "$churn"
	load_stop
	wait
	figure chaos_control_writes "$(cat /tmp/chaos-writes)"
	defaults
	invariants
	ok done
}

phase_unload() {
	T=unload
	cycles=50
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
}

phase_memory() {
	T=memory
	defaults
	ctl "retain_exited 0"
	ctl "comm stress_mm"
	ctl reset
	base=$(status memory_bytes)
	stress_mm -t 8 -n "$(scaled 1000)" -s 7 >/dev/null 2>&1
	after=$(status memory_bytes)
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
	stress_mm -t 4 -n "$(scaled 1000)" -s 3 --make-it-fail >/dev/null 2>&1
	echo 0 >$F/probability
	after=$(status2 drop nomem)
	figure failslab_nomem_drops $((after - before))
	[ $((after - before)) -gt 0 ] && ok drops_counted || bad "no nomem drops under failslab"
	invariants
}

phase_control_fuzz() {
	T=control_fuzz
	ctl_fuzz -n 10000 -s 42 2>&1 | count_lines
	defaults
}

phase_caps() {
	T=caps
	defaults
	ctl reset
	ctl "max_regions 50"
	ctl "max_sites 5"
	load_start
	i=0 worst_r=0 worst_s=0
	while [ $i -lt 20 ]; do
		r=$(status regions)
		s=$(status sites)
		[ "$r" -gt "$worst_r" ] && worst_r=$r
		[ "$s" -gt "$worst_s" ] && worst_s=$s
		i=$((i + 1))
	done
	load_stop
	figure caps_max_regions_seen "$worst_r"
	figure caps_max_sites_seen "$worst_s"
	figure caps_drops_regions "$(status2 drop regions_cap)"
	figure caps_drops_sites "$(status2 drop sites_cap)"
	[ "$worst_r" -le 50 ] && ok regions_within || bad "regions $worst_r > 50"
	[ "$worst_s" -le 5 ] && ok sites_within || bad "sites $worst_s > 5"
	[ "$(status2 drop regions_cap)" -gt 0 ] && ok regions_drops_counted || bad "no regions_cap drops"
	mem=$(status memory_bytes)
	figure caps_memory_bytes "$mem"
	[ "$mem" -lt 1048576 ] && ok memory_bounded || bad "memory_bytes $mem under tiny caps"
	defaults
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
for p in $phases; do
	echo "== $p"
	$p
done
echo "stress: $pass passed, $fail failed"
[ "$fail" = 0 ]
