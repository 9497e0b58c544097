#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# suite.sh - the guest test suite; runs inside the VM (busybox sh) with
# anonstat.ko loaded.  Prints "ok NAME" / "FAIL NAME: why" per test and
# ends with "guest: N passed, N failed".
#
# usage: suite.sh [TEST...]   (default: every test_* below)
D=/sys/kernel/debug/anonstat
pass=0
fail=0

ok() { echo "ok $T"; pass=$((pass + 1)); }
bad() { echo "FAIL $T: $*"; fail=$((fail + 1)); }

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
	state=$(probe_field __x64_sys_mmap 4)
	[ "$state" = attached ] || { bad "__x64_sys_mmap probe '$state'"; return; }
	before=$(probe_field __x64_sys_mmap 5)
	anon_mmap 100 || { bad "anon_mmap failed"; return; }
	after=$(probe_field __x64_sys_mmap 5)
	missed=$(probe_field __x64_sys_mmap 6)
	# the loader's own mmaps also count, so at least 100 more hits
	[ $((after - before)) -ge 100 ] ||
		{ bad "hits $before -> $after after 100 mmaps"; return; }
	[ "$missed" = 0 ] || { bad "missed $missed"; return; }
	ok
}

test_anontop_reads_status() {
	out=$(anontop -b -n 1) || { bad "anontop exited $?"; return; }
	echo "$out" | grep -qE '^__x64_sys_mmap +kretprobe +attached' ||
		{ bad "anontop output: $out"; return; }
	ok
}

tests=${*:-$(sed -n 's/^\(test_[a-z_0-9]*\)() {$/\1/p' "$0")}
for T in $tests; do
	$T
done
echo "guest: $pass passed, $fail failed"
[ "$fail" = 0 ]
