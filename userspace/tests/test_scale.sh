#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test_scale.sh ANONTOP BUILDDIR - anontop at the module's caps: leaksim
# --scale writes 1,000 live processes (itself and 999 children), 100,000
# sites and 1,000,000 regions; scale_bench prints the time of each file's
# read and parse and of samples of the process view and of --sites; then
# anontop -b --sites -n 2 and anontop -b -n 3 run end to end.  Prints the
# figures (wall and CPU seconds: the machine may be shared), asserts only
# what the samples hold.  Part of "make check" (about 35 s); alone:
# "make scale".  Ends with "test_scale: N passed, N failed".
set -u
anontop=$1
bin=$2
tmp=$(mktemp -d)
pass=0 fail=0
check() {
	name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}
mkfifo "$tmp/in"
"$bin/leaksim" "$tmp/root" --scale --stdin <"$tmp/in" >"$tmp/ready" 2>&1 &
sim=$!
exec 3>"$tmp/in"	# leaksim ends when this closes
trap 'exec 3>&-; wait $sim 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/root"
i=0
while ! grep -q '^ready' "$tmp/ready" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
check "leaksim --scale ready" grep -q '^ready' "$tmp/ready"
check "1,000 processes" [ "$(($(wc -l <"$tmp/root/procs") - 1))" -eq 1000 ]
check "100,000 sites" [ "$(($(wc -l <"$tmp/root/sites") - 1))" -eq 100000 ]
check "1,000,000 regions" [ "$(($(wc -l <"$tmp/root/regions") - 1))" -eq 1000000 ]

echo "scale_bench (3 samples each):"
"$bin/scale_bench" "$tmp/root" 3 | sed 's/^/  /'

# elapsed seconds and CPU seconds of a command (its output in $tmp/out)
timed() {
	t0=$(date +%s%N)
	/usr/bin/time -f '%U %S' -o "$tmp/cpu" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$tmp/cpu")
}
timed "$anontop" -b --root "$tmp/root" --sites -o json -n 2 -d 1
echo "anontop -b --sites -o json -n 2 -d 1: $wall s, CPU $cpu s (with naming every site once)"
check "--sites: exit 0" [ $rc -eq 0 ]
check "--sites: every process and site, resident known" python3 -c '
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert len(docs) == 2, len(docs)
for d in docs:
    ps = d["processes"]
    assert len(ps) == 1000, len(ps)
    sites = [s for p in ps for s in p["sites"]]
    assert len(sites) == 100000, len(sites)
    # the regions lie in an untouched reservation of each process
    assert all(s["resident_bytes"] == 0 for s in sites)
    assert all(s["live_bytes"] == 163840 for s in sites)
' "$tmp/out"
timed "$anontop" -b --root "$tmp/root" -n 3 -d 1
echo "anontop -b -n 3 -d 1 (process view): $wall s, CPU $cpu s"
check "process view: exit 0" [ $rc -eq 0 ]
check "process view: 1,000 rows" [ "$(grep -cE '^ +[0-9]+ (python3|leaksim) ' "$tmp/out")" -eq 3000 ]
echo "test_scale: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
