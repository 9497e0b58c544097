#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test_cli.sh ANONTOP - anontop's command line against fixture directories:
# batch text (aligned columns, sorting, filters, sites, the node-wide
# sites), JSON Lines checked by python3's json module (check_json.py),
# delays, interval [count], exit status (0, 1 runtime, 2 usage, 3 a pid not
# tracked) and the one-line errors.  Ends with "test_cli: N passed, N failed".
set -u
anontop=$1
dir=$(cd "$(dirname "$0")" && pwd)
fix=$dir/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {
	name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}
# run ARGS...: anontop on the fixture snapshot, no /proc; $rc, $tmp/out, $tmp/err
run() {
	"$anontop" --root "$fix/snap" --proc "$tmp/noproc" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# pids of the process rows of $tmp/out, in order, on one line
pids() { awk '/^ +PID COMM/ { on = 1; next } on && NF == 0 { exit }
	on { printf "%s ", $1 }' "$tmp/out"; }

# ---- text ----
run -b
check "batch exit 0" [ $rc -eq 0 ]
check "batch no stderr" [ ! -s "$tmp/err" ]
check "header" grep -q '^anonstat 0.1.0 on 6.1.0-56-amd64: enabled, depth 4, pids all, comm all$' "$tmp/out"
check "totals" grep -q '^processes 4 (1 exited), sites 7, regions 47, live 8.5 MiB, module memory 24.0 KiB$' "$tmp/out"
check "counters" grep -q '^untracked 8.0 KiB munmap=8.0 KiB, drops 2 stale=2, probe misses 0$' "$tmp/out"
check "default sort: live" [ "$(pids)" = "4101 4103 4102 4099 " ]
check "row" grep -qE '^   4101 ucx_leak +live +6\.5 MiB +44 +- +- +- +6\.5 MiB +- +0 B +0 +no  -$' "$tmp/out"
check "first line: the leak rule's defaults" grep -qE '^anontop 0\.1\.0  [0-9-]+ [0-9:]+  sample 1, leak rule 2 highs in 30 s$' "$tmp/out"
check "header: ACCUM HIGHS LEAK CMD" grep -qE '^ +PID COMM .* RSSANON +ACCUM HIGHS LEAK  CMD$' "$tmp/out"
check "escaped name is one field" grep -qE '^   4103 my\\040prog +live ' "$tmp/out"
# every process row's CMD starts where the header's does: aligned columns
# (no /proc here: CMD is "-", one word)
hdr=$(grep -E '^ +PID COMM' "$tmp/out" | awk '{ print length($0) - length($NF) }')
check "aligned columns" sh -c "awk '/^ +[0-9]+ / { print length(\$0) - length(\$NF) }' '$tmp/out' |
	grep -vqx '$hdr' && exit 1 || exit 0"

run -b --sites
tail -n +2 "$tmp/out" >"$tmp/sites"
check "sites: golden output" cmp -s "$tmp/sites" "$fix/snap-sites.txt"
check "sites: fallback name" grep -qE '^ +13 private +4\.0 MiB +4 +- +4 +0 +4\.0 MiB +- +0 B +0 +no +0x7f00000012a0$' "$tmp/out"

# -S: every site of every process, one table with PID and COMM
run -b -S
tail -n +2 "$tmp/out" >"$tmp/all"
check "-S exit 0" [ $rc -eq 0 ]
check "-S: golden output" cmp -s "$tmp/all" "$fix/snap-all-sites.txt"
# SITE is the third column of the table's rows
sites() { awk '/^ +PID COMM +SITE/ { on = 1; next } on && NF == 0 { exit }
	on { printf "%s ", $3 }' "$tmp/out"; }
check "-S: by live, ties by pid then id" [ "$(sites)" = "13 11 16 14 17 12 15 " ]
run -b --all-sites -s peak
check "-S -s peak" [ "$(sites)" = "13 11 16 12 14 17 15 " ]
# id (pid): by pid, then id
run -b -S -s id --reverse
check "-S -s id --reverse: by pid, then id" [ "$(sites)" = "16 15 14 13 12 11 17 " ]
run -b -S -p 4102
check "-S -p: that process's sites" [ "$(sites)" = "14 15 " ]
check "-S -p: exit 0" [ $rc -eq 0 ]
run -b -S -c PROG
check "-S -c" [ "$(sites)" = "16 " ]
check "-S -c: the row" grep -qE '^   4103 my\\040prog +16 huge +2\.0 MiB +1 +- +1 +0 +2\.0 MiB +- +0 B +0 +no  0x7f0000001500$' "$tmp/out"
check "-S: no process table" [ "$(grep -c 'STATE' "$tmp/out")" -eq 0 ]

run -b -s pid
check "sort pid" [ "$(pids)" = "4099 4101 4102 4103 " ]
run -b -s pid --reverse
check "sort pid reversed" [ "$(pids)" = "4103 4102 4101 4099 " ]
run -b -s comm
check "sort comm" [ "$(pids)" = "4103 4099 4101 4102 " ]
run -b -s state
check "sort state" [ "$(pids)" = "4101 4102 4103 4099 " ]
run -b -s peak
check "sort peak" [ "$(pids)" = "4101 4103 4102 4099 " ]
run -b -s regions
check "sort regions" [ "$(pids)" = "4101 4102 4103 4099 " ]
run -b -p 4102,4099
check "pid filter" [ "$(pids)" = "4102 4099 " ]
check "pid filter: exit 0" [ $rc -eq 0 ]
check "pid filter: no stderr" [ ! -s "$tmp/err" ]
# a pid the module does not track: named on stderr, the rest printed, exit 3
run -b -p 4102,999,4099
check "untracked pid: exit 3" [ $rc -eq 3 ]
check "untracked pid: the rest" [ "$(pids)" = "4102 4099 " ]
check "untracked pid: says so" [ "$(cat "$tmp/err")" = "anontop: pid 999: not tracked by anonstat (no such process in $fix/snap/procs)" ]
run -o json -n 3 -d 0 -p 998,4101,999
check "untracked pids, 3 samples: exit 3" [ $rc -eq 3 ]
check "untracked pids, 3 samples: each named once" [ "$(cat "$tmp/err")" = "anontop: pid 998: not tracked by anonstat (no such process in $fix/snap/procs)
anontop: pid 999: not tracked by anonstat (no such process in $fix/snap/procs)" ]
check "untracked pids, 3 samples: 3 documents" [ "$(wc -l <"$tmp/out")" -eq 3 ]
# an exited process the module still lists is tracked
run -b -p 4099
check "exited pid is tracked: exit 0" [ $rc -eq 0 ]
# identity filters: accepted (what they match is test_model's and
# test_procfs's; no /proc here)
run -b --cmdline x --user root --cgroup /
check "--cmdline --user --cgroup: exit 0" [ $rc -eq 0 ]
run -b -u 0
check "-u 0: exit 0" [ $rc -eq 0 ]
# identity from a /proc of our own: 4101 in a container, 4103 with a
# command line longer than the CMD column, 4102 with none, 4099 exited
fp=$tmp/proc
mkdir -p "$fp/4101" "$fp/4102" "$fp/4103"
printf 'ucx_leak\0--pool\0big\0' >"$fp/4101/cmdline"
printf '0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n' >"$fp/4101/cgroup"
printf '/usr/bin/python3\0-m\0my.very.long.module.name.that.goes.on\0--worker-id\0007\0' >"$fp/4103/cmdline"
printf '0::/user.slice/user-1000.slice\n' >"$fp/4103/cgroup"
me=$(id -un)
idrun() {
	"$anontop" --root "$fix/snap" --proc "$fp" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
idrun -b
check "CMD: the command line" grep -qE '^   4101 ucx_leak .* no  ucx_leak --pool big$' "$tmp/out"
check "CMD: cut to 60 with ..." grep -qE '^   4103 my\\040prog .* no  /usr/bin/python3 -m my\.very\.long\.module\.name\.that\.goes\.on\.\.\.$' "$tmp/out"
check "CMD: the cut is 60 wide" [ "$(awk '$1 == 4103 { print length(substr($0, index($0, "  /usr") + 2)) }' "$tmp/out")" -eq 60 ]
check "CMD: none" grep -qE '^   4102 worker .* no  -$' "$tmp/out"
idrun -o json
check "json identity" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
p = {x["pid"]: x for x in d["processes"]}
assert p[4101]["cmdline"] == "ucx_leak --pool big", p[4101]
assert p[4101]["user"] == sys.argv[2], p[4101]["user"]
assert p[4101]["cgroup"] == "/system.slice/docker-" + "0123456789abcdef" * 4 + ".scope"
assert p[4101]["container"] == "0123456789ab"
assert p[4103]["cmdline"].startswith("/usr/bin/python3 -m my.very.long.module.name.that.goes.on --worker-id")
assert p[4103]["container"] is None
assert p[4102]["cmdline"] is None and p[4102]["cgroup"] is None
assert p[4099]["cmdline"] is None and p[4099]["user"] is None   # exited
' "$tmp/out" "$me"
check "json identity: shape" python3 "$dir/check_json.py" --docs 1 <"$tmp/out"
idrun -b --cmdline python
check "--cmdline" [ "$(pids)" = "4103 " ]
idrun -b --cgroup 0123456789ab
check "--cgroup: a container id" [ "$(pids)" = "4101 " ]
idrun -b -S --cgroup user.slice
check "--cgroup with -S" [ "$(sites)" = "16 " ]
idrun -b -u "$me"
check "-u NAME: the processes with a /proc" [ "$(pids)" = "4101 4103 4102 " ]
idrun -b -u "$(id -u)"
check "-u UID" [ "$(pids)" = "4101 4103 4102 " ]
idrun -b -u no-such-user-here
check "-u: nobody" [ "$(pids)" = "" ]
check "-u: nobody, exit 0" [ $rc -eq 0 ]

# -w, -k: the leak rule the model gets
run -b -w 7.5 -k 4
check "-w 7.5 -k 4" grep -qE '^anontop 0\.1\.0  .*  sample 1, leak rule 4 highs in 7\.5 s$' "$tmp/out"
run -o json --leak-window 600 --leak-highs 1000
check "json --leak-window --leak-highs" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert d["leak_rule"] == {"window_s": 600, "highs": 1000}, d["leak_rule"]
' "$tmp/out"
# -a: ACCUM (all 0 B in a first sample: then by pid); -s wins over -a
run -b -a
check "-a: by accum, ties by pid" [ "$(pids)" = "4099 4101 4102 4103 " ]
run -b -a -s live
check "-a -s live: -s wins" [ "$(pids)" = "4101 4103 4102 4099 " ]
run -b -s accum --reverse
check "-s accum --reverse" [ "$(pids)" = "4103 4102 4101 4099 " ]
run -b -c PROG
check "name filter" [ "$(pids)" = "4103 " ]
run -b --probes
check "probes" grep -qE '^__x64_sys_mmap +kretprobe +attached +1234 +0$' "$tmp/out"

# ---- JSON ----
run -o json -n 2 -d 0.1
check "json exit 0" [ $rc -eq 0 ]
check "json: 2 documents, shape" python3 "$dir/check_json.py" --docs 2 <"$tmp/out"
run -o json -S -s peak
check "json -S: shape" python3 "$dir/check_json.py" --all-sites --docs 1 <"$tmp/out"
check "json -S: values" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert [(s["pid"], s["id"]) for s in d["sites"]] == [(4101, 13), (4101, 11),
    (4103, 16), (4101, 12), (4102, 14), (4099, 17), (4102, 15)], d["sites"]
s = d["sites"][2]
assert s["comm"] == "my prog" and s["kind"] == "huge" and s["live_bytes"] == 2097152
assert s["accum_bytes"] == 0 and s["highs"] == 0 and s["leak_suspect"] is False
assert s["lifetime_rates"] is False and s["growth_bytes_per_s"] is None
assert [p["pid"] for p in d["processes"]] == [4101, 4103, 4102, 4099]
assert all("sites" not in p for p in d["processes"])
' "$tmp/out"
run -o json -S -p 4102
check "json -S -p" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert [(s["pid"], s["id"]) for s in d["sites"]] == [(4102, 14), (4102, 15)], d["sites"]
' "$tmp/out"
run -o json --sites -s growth
check "json --sites: shape" python3 "$dir/check_json.py" --sites --docs 1 <"$tmp/out"
check "json values" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
p = {x["pid"]: x for x in d["processes"]}
s = {x["id"]: x for x in p[4101]["sites"]}
assert d["totals"]["live_bytes"] == 8929280, d["totals"]
assert p[4103]["comm"] == "my prog"
assert p[4099]["exited"] is True and p[4101]["exited"] is False
assert d["format"] == 2
assert d["leak_rule"] == {"window_s": 30, "highs": 2}, d["leak_rule"]
assert p[4101]["growth_bytes_per_s"] is None       # first sample
assert p[4101]["rss_anon_bytes"] is None           # no such /proc
assert p[4101]["cmdline"] is None and p[4101]["user"] is None
assert p[4101]["cgroup"] is None
assert p[4101]["accum_bytes"] == 0 and p[4101]["highs"] == 0
assert p[4101]["lifetime_rates"] is False
assert s[11]["accum_bytes"] == 0 and s[11]["highs"] == 0
assert s[11]["lifetime_rates"] is False
assert list(d)[0] == "format"                      # the first key
assert s[11]["live_bytes"] == 2621440 and s[11]["live_regions"] == 40
assert s[11]["resident_bytes"] is None and s[12]["resident_bytes"] == 0
assert s[11]["leak_suspect"] is False
f = s[11]["frames"]
assert [x["addr"] for x in f] == ["0x7f00000011d9", "0x7f0000201150",
                                  "0x7f0000201190", "0x5600000011a0"], f
assert f[0]["module"] is None and f[0]["symbol"] is None and f[0]["offset"] == 0
' "$tmp/out"
# -p limits both rows and detail
run -o json --sites -p 4102
check "json pid filter" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert [p["pid"] for p in d["processes"]] == [4102]
assert sorted(s["id"] for s in d["processes"][0]["sites"]) == [14, 15]
' "$tmp/out"

# fractional delay: 3 samples 0.3 s apart take at least 0.6 s
t0=$(date +%s%N)
run -o json -n 3 -d 0.3
t1=$(date +%s%N)
check "-d 0.3 -n 3: 3 documents" [ "$(wc -l <"$tmp/out")" -eq 3 ]
check "-d 0.3 -n 3: >= 0.6 s" [ $(((t1 - t0) / 1000000)) -ge 600 ]
check "interval_s" python3 -c '
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert docs[0]["interval_s"] is None
assert all(0.25 < d["interval_s"] < 1.5 for d in docs[1:]), docs
assert docs[2]["processes"][0]["growth_bytes_per_s"] == 0.0
' "$tmp/out"

# interval [count], as vmstat: -d and -n
run -b 0.1 3
check "interval count: exit 0" [ $rc -eq 0 ]
check "interval count: 3 samples" [ "$(grep -c '^anontop 0.1.0 ' "$tmp/out")" -eq 3 ]
check "interval count: the interval" [ "$(grep -c ', 0\.[0-9][0-9] s after the last, leak rule 2 highs in 30 s$' "$tmp/out")" -eq 2 ]
run -o json 0 2
check "json interval count: 2 documents" [ "$(wc -l <"$tmp/out")" -eq 2 ]
run -b -n 2 0
check "-n N interval: N samples" [ "$(grep -c '^anontop 0.1.0 ' "$tmp/out")" -eq 2 ]
# an interval without a count: until interrupted (timeout's status: 124)
timeout 1 "$anontop" --root "$fix/snap" --proc "$tmp/noproc" -o json 0.1 >"$tmp/out" 2>"$tmp/err"
check "interval alone: runs until killed" [ $? -eq 124 ]
check "interval alone: more than one sample" [ "$(wc -l <"$tmp/out")" -ge 2 ]

# ---- --openmetrics: the Prometheus text format, written atomically ----
mkdir "$tmp/om"
# om_golden FILE: FILE is the golden one but for the time of the last
# sample and the count of samples (checked apart)
om_golden() {
	grep -vE '^anonstat_(last_success_timestamp_seconds|exporter_samples_total) ' "$1" >"$tmp/om.a"
	grep -vE '^anonstat_(last_success_timestamp_seconds|exporter_samples_total) ' "$fix/snap.prom" >"$tmp/om.b"
	cmp -s "$tmp/om.a" "$tmp/om.b"
}
run --openmetrics "$tmp/om/anonstat.prom" -n 1
check "openmetrics exit 0" [ $rc -eq 0 ]
check "openmetrics: nothing on stdout" [ ! -s "$tmp/out" ]
check "openmetrics: nothing on stderr" [ ! -s "$tmp/err" ]
check "openmetrics: the golden file" om_golden "$tmp/om/anonstat.prom"
now=$(date +%s)
ts=$(sed -n 's/^anonstat_last_success_timestamp_seconds //p' "$tmp/om/anonstat.prom")
check "openmetrics: last success is now" [ "${ts:-0}" -le "$now" -a "${ts:-0}" -ge $((now - 5)) ]
check "openmetrics: one sample" grep -qx 'anonstat_exporter_samples_total 1' "$tmp/om/anonstat.prom"
check "openmetrics: no temporary file left" [ "$(ls "$tmp/om")" = anonstat.prom ]
run --openmetrics "$tmp/om/anonstat.prom" -n 1 --top-sites 1
check "--top-sites 1: no names, one function each" [ "$(grep -c '^anonstat_site_live_bytes{' "$tmp/om/anonstat.prom")" -eq 3 ]
run --openmetrics "$tmp/om/anonstat.prom" -n 1 --top-sites 0
check "--top-sites 0: other" grep -qx 'anonstat_site_live_bytes{pid="4101",comm="ucx_leak",function="other"} 6815744' "$tmp/om/anonstat.prom"
run --openmetrics "$tmp/om/anonstat.prom" -n 1 --prom-aggregate --prom-labels user,cgroup
check "--prom-aggregate exit 0" [ $rc -eq 0 ]
check "--prom-aggregate: by comm" grep -qx 'anonstat_processes{comm="my prog",user="",cgroup=""} 1' "$tmp/om/anonstat.prom"
run --openmetrics "$tmp/om/anonstat.prom" -n 1 --prom-labels pid
check "--prom-labels pid rejected" [ $rc -ne 0 ]
check "--prom-labels pid: says so" grep -q "bad --prom-labels 'pid'" "$tmp/err"
# -n 3 -d 0.2: three writes, at least 0.4 s
t0=$(date +%s%N)
run --openmetrics "$tmp/om/anonstat.prom" -b -n 3 -d 0.2
t1=$(date +%s%N)
check "openmetrics -n 3 -d 0.2: exit 0" [ $rc -eq 0 ]
check "openmetrics -n 3 -d 0.2: >= 0.4 s" [ $(((t1 - t0) / 1000000)) -ge 400 ]
# without -n: until SIGTERM, then exit 0 with the file complete
rm -f "$tmp/om/anonstat.prom"
"$anontop" --root "$fix/snap" --proc "$tmp/noproc" --openmetrics "$tmp/om/anonstat.prom" \
	-d 0.1 >"$tmp/out" 2>"$tmp/err" &
bg=$!
i=0
while [ ! -e "$tmp/om/anonstat.prom" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
check "openmetrics: still running without -n" kill -0 $bg
kill -TERM $bg
wait $bg
check "openmetrics: SIGTERM, exit 0" [ $? -eq 0 ]
check "openmetrics: the file after SIGTERM" om_golden "$tmp/om/anonstat.prom"
check "openmetrics: no temporary file after SIGTERM" [ "$(ls "$tmp/om")" = anonstat.prom ]
run --openmetrics "$tmp/om/missing/anonstat.prom" -n 1
check "openmetrics: missing directory exit 1" [ $rc -eq 1 ]
check "openmetrics: missing directory named" grep -qx "anontop: $tmp/om/missing/anonstat.prom.tmp.[0-9]*: No such file or directory (errno 2)" "$tmp/err"
# the module's files not readable: every sample still writes the file,
# anonstat_up 0 and nothing else; the error is logged once; exit 1 at -n
"$anontop" --root "$tmp/nomodule" --openmetrics "$tmp/om/anonstat.prom" -n 3 -d 0.05 \
	>"$tmp/out" 2>"$tmp/err"
check "openmetrics: module gone, -n 3: exit 1" [ $? -eq 1 ]
check "openmetrics: module gone: up 0" grep -qx 'anonstat_up 0' "$tmp/om/anonstat.prom"
check "openmetrics: module gone: 3 read errors" grep -qx 'anonstat_exporter_errors_total{stage="read"} 3' "$tmp/om/anonstat.prom"
check "openmetrics: module gone: no other series" [ -z "$(grep -v '^#' "$tmp/om/anonstat.prom" | grep -vE '^anonstat_(up|last_success_timestamp_seconds|exporter_samples_total|exporter_errors_total)[ {]')" ]
check "openmetrics: module gone: logged once" [ "$(cat "$tmp/err")" = "anontop: $tmp/nomodule/status: No such file or directory (errno 2)" ]
run --openmetrics "$tmp/om/anonstat.prom" -o json
check "openmetrics with -o: exit 2" [ $rc -eq 2 ]
check "openmetrics with -o: says so" grep -q 'openmetrics writes FILE, not standard output' "$tmp/err"

# ---- errors: exit 1, one line naming the path and errno ----
"$anontop" -b --root "$tmp/missing" >"$tmp/out" 2>"$tmp/err"
check "missing root exit 1" [ $? -eq 1 ]
check "missing root names path and errno" \
	grep -qx "anontop: $tmp/missing/status: No such file or directory (errno 2)" "$tmp/err"

mkdir "$tmp/bad" && printf 'garbage\n' >"$tmp/bad/status"
"$anontop" -b --root "$tmp/bad" >"$tmp/out" 2>"$tmp/err"
check "bad format exit 1" [ $? -eq 1 ]
check "bad format names line" grep -qx "anontop: $tmp/bad/status:1: not in the anonstat status format" "$tmp/err"

mkdir "$tmp/nosites" && cp "$fix/snap/status" "$fix/snap/procs" "$tmp/nosites/"
"$anontop" -b --root "$tmp/nosites" >"$tmp/out" 2>"$tmp/err"
check "missing sites file" grep -qx "anontop: $tmp/nosites/sites: No such file or directory (errno 2)" "$tmp/err"
mkdir "$tmp/dirsites" && cp "$fix/snap/status" "$fix/snap/procs" "$tmp/dirsites/" &&
	mkdir "$tmp/dirsites/sites"
"$anontop" -b --root "$tmp/dirsites" >"$tmp/out" 2>"$tmp/err"
check "unreadable sites file" grep -qx "anontop: $tmp/dirsites/sites: read error: Is a directory (errno 21)" "$tmp/err"
check "one line" [ "$(wc -l <"$tmp/err")" -eq 1 ]

if [ -w /dev/full ]; then
	"$anontop" -b --root "$fix/snap" --proc "$tmp/noproc" >/dev/full 2>"$tmp/err"
	check "write error exit 1" [ $? -eq 1 ]
	check "write error named" grep -q 'standard output: No space left on device (errno 28)' "$tmp/err"
fi

# the default root on this host (no module here): what to do about it
"$anontop" -b >"$tmp/out" 2>"$tmp/err"
check "default root exit 1" [ $? -eq 1 ]
check "default root hint" grep -qE '^anontop: /sys/kernel/debug/anonstat/status: .* \(errno [0-9]+\); (anonstat.ko is not loaded: sudo insmod anonstat.ko|debugfs is not mounted: sudo mount -t debugfs none /sys/kernel/debug|permission denied: run anontop as root \(sudo anontop\))$' "$tmp/err"

# not a terminal and no -b
"$anontop" --root "$fix/snap" </dev/null >"$tmp/out" 2>"$tmp/err"
check "no tty exit 1" [ $? -eq 1 ]
check "no tty message" grep -q 'not a terminal (errno 25); use -b' "$tmp/err"

# usage errors: exit 2, a line on stderr, nothing read
for bad in "-n x" "-n -1" "-d -1" "-d abc" "-s bogus" "-o xml" "-p abc" \
	"-p 1,,2" "-k 0" "-k 1001" "-k x" "-w 0" "-w -1" "-w x" "-w 86401" \
	"--leak-samples 0" "extra" "1 2 3" "-d 1 2" "-n 1 2 3" \
	"--sites -S" "--top-sites -1" "--top-sites x" \
	"--top-sites 100001" "--openmetrics=" "--bogus" "-x"; do
	# shellcheck disable=SC2086
	"$anontop" -b --root "$tmp/missing" $bad >/dev/null 2>"$tmp/err"
	check "bad '$bad' exit 2" [ $? -eq 2 ]
	check "bad '$bad' says so" [ "$(wc -l <"$tmp/err")" -ge 1 ]
	check "bad '$bad' reads nothing" sh -c "! grep -q missing '$tmp/err'"
done
"$anontop" -b -u '' >/dev/null 2>"$tmp/err"
check "empty -u: exit 2" [ $? -eq 2 ]
check "bad interval named" sh -c "'$anontop' -b x 2>&1 >/dev/null | grep -qx \"anontop: bad interval 'x' (see anontop --help)\""
check "bad count named" sh -c "'$anontop' -b 1 y 2>&1 >/dev/null | grep -qx \"anontop: bad count 'y' (see anontop --help)\""
# -s help: the keys of both views, exit 0
"$anontop" -s help >"$tmp/out" 2>"$tmp/err"
check "-s help: exit 0" [ $? -eq 0 ]
check "-s help: the list" cmp -s "$tmp/out" "$fix/sort-keys.txt"
# every key it lists sorts (both columns)
for k in $(awk 'NR > 2 { print $1 }' "$fix/sort-keys.txt") id name kind resident; do
	"$anontop" -b --root "$fix/snap" --proc "$tmp/noproc" -S -s "$k" >/dev/null 2>&1
	check "-s $k sorts" [ $? -eq 0 ]
done
"$anontop" --version >"$tmp/out"
check "version" grep -qx 'anontop 0.1.0' "$tmp/out"
"$anontop" --help >"$tmp/out"
check "help" grep -qx 'usage: anontop \[-b\] \[options\] \[interval \[count\]\]' "$tmp/out"
check "help: exit status" grep -q '^2 for a bad option or argument; 3 when a -p PID is not tracked (batch)\.$' "$tmp/out"

echo "test_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
