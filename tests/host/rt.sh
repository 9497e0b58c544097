#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/host/rt.sh - on Debian's PREEMPT_RT kernel of 6.1 (linux-image-
# 6.1.*-rt-amd64, booted under QEMU like the matrix), anonstat.ko built for
# it refuses to load with one line saying why, and the kernel log stays
# clean (the harness fails on any Oops, BUG, WARNING or lockdep report).
# Ends with "rt: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pass=0 fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
check() {
	local name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "  ok   $name"
	else
		fail=$((fail + 1))
		echo "  FAIL $name"
		sed 's/^/    | /' "$out"
	fi
}

# shellcheck disable=SC2016 # expanded in the guest
"$top/tests/vm/run" -q -k 6.1-rt --no-load -- sh -c '
	echo "version=$(uname -v)"
	insmod /anonstat/anonstat.ko
	echo "insmod=$?"
	grep -q "^anonstat " /proc/modules && echo loaded=1 || echo loaded=0
	dmesg | grep "anonstat:" | sed "s/^\[[ 0-9.]*\] //"' >"$out" 2>&1
rc=$?
check "the rt kernel boots and its log is clean" [ "$rc" = 0 ]
check "it is a PREEMPT_RT kernel" grep -q '^version=.*PREEMPT_RT' "$out"
check "insmod fails" grep -qE '^insmod=[1-9]' "$out"
check "the module is not loaded" grep -qx 'loaded=0' "$out"
# The module's own lines (not the kernel's taint notices): one per
# init_module attempt, and busybox's insmod makes two (finit_module, then
# init_module after any failure).
grep '^anonstat: ' "$out" | grep -vE 'taints kernel|module verification failed' >"$out.mine"
lines="$(grep -c . "$out.mine") $(sort -u "$out.mine" | grep -c .)"
check "the module says why, one line per attempt" [ "$lines" = "2 1" ]
check "the line names PREEMPT_RT" grep -q '^anonstat: not loading on PREEMPT_RT: ' "$out.mine"
rm -f "$out.mine"
echo "rt: $pass passed, $fail failed"
[ "$fail" = 0 ]
