#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test_cli.sh ANONTOP - anontop's command line against fixture directories.
set -u
anontop=$1
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {
	name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}

mkdir "$tmp/ok" && cp "$dir/fixtures/status-ok" "$tmp/ok/status"
"$anontop" -b --root "$tmp/ok" >"$tmp/out" 2>"$tmp/err"
check "batch exit 0" [ $? -eq 0 ]
check "batch header" grep -q '^anonstat 0.1.0 on 6.1.0-56-amd64$' "$tmp/out"
check "batch probe row" grep -qE '^__x64_sys_mmap +kretprobe +attached +1234 +0$' "$tmp/out"

"$anontop" -b --root "$tmp/missing" >"$tmp/out" 2>"$tmp/err"
check "missing root exit 1" [ $? -eq 1 ]
check "missing root names path and errno" \
	grep -q "$tmp/missing/status: No such file or directory (errno 2)" "$tmp/err"

mkdir "$tmp/bad" && printf 'garbage\n' >"$tmp/bad/status"
"$anontop" -b --root "$tmp/bad" >"$tmp/out" 2>"$tmp/err"
check "bad format exit 1" [ $? -eq 1 ]
check "bad format names line" grep -q "$tmp/bad/status:1:" "$tmp/err"

"$anontop" -n x >/dev/null 2>&1
check "bad -n rejected" [ $? -eq 1 ]
"$anontop" -d -1 >/dev/null 2>&1
check "bad -d rejected" [ $? -eq 1 ]
"$anontop" --version | grep -q '^anontop 0.1.0$'
check "version" [ $? -eq 0 ]

echo "test_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
