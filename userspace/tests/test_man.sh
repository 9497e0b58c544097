#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test_man.sh PAGE - the manual page renders with man -l and no warnings,
# and documents every long option anontop --help lists.
# Ends with "test_man: N passed, N failed".
set -u
page=$1
dir=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0
check() {
	name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >"$out" 2>"$err"
check "man -l exit 0" [ $? -eq 0 ]
check "no warnings" [ ! -s "$err" ]
[ -s "$err" ] && cat "$err" >&2
check "rendered" grep -q '^NAME' "$out"
check "JSON shape" grep -q 'growth_bytes_per_s' "$out"
for opt in $("$dir/anontop" --help | grep -oE -- '--[a-z-]+' | sort -u); do
	check "documents $opt" grep -qF -- "$opt" "$out"
done
echo "test_man: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
