#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/host/prometheus.sh - anontop --openmetrics against the real thing.
#
# One 6.1 VM (tests/vm/run) runs the UCX-like demo with the anontop writer
# (prometheus-guest.sh) and prints the file as written after each step of
# the demo, with the demo's own count of what it leaked and the module's
# procs and sites lines of it; then, under the same running writer, the
# module is removed (rmmod; the files written while it is gone) and
# inserted again, and the demo leaks once more.  Here, Debian's
# prometheus-node-exporter (textfile collector only) serves those files,
# one after the other, and a Debian prometheus server scrapes it every
# second; both listen on 127.0.0.1 only, on free ports, and are stopped on
# every exit.  Checked through Prometheus' HTTP API (query, query_range):
# the leaking function's series (found by its label, as a dashboard would)
# has exactly the bytes the demo leaked, after every step; the function
# series sum to the process; each query of the Grafana dashboard
# (contrib/grafana/) is accepted, its "growing functions" table lists the
# leak; while the module is gone anonstat_up is 0 and no per-process,
# per-function or module series exists (absent over the whole window, not
# flat), anonstat_last_success_timestamp_seconds stays; after insmod
# anonstat_up is 1 again and the leak has the same labels as before (one
# series over the whole test) and exactly the bytes leaked since.  promtool
# check metrics accepts every file.
#
# Prints "ok NAME" / "FAIL NAME: why" and ends with
# "prometheus: N passed, N failed".  Needs prometheus,
# prometheus-node-exporter (bookworm), curl and python3.
#
# usage: tests/host/prometheus.sh [-k SERIES] [--keep-log FILE | --replay FILE]
#   -k SERIES         the kernel series (default 6.1); one VM, at most 600 s
#   --keep-log FILE   save the VM's output to FILE
#   --replay FILE     no VM: check the output a --keep-log run saved
# shellcheck disable=SC2016 # sh -c '...' sh ARG: expanded by that sh
# shellcheck disable=SC2317 # functions called through check and trap
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
series=6.1 keep_log='' replay=''
while [ $# -gt 0 ]; do
	case "$1" in
	-k) series=${2:?-k needs a series}; shift 2 ;;
	--keep-log) keep_log=${2:?--keep-log needs a file}; shift 2 ;;
	--replay) replay=${2:?--replay needs a file}; shift 2 ;;
	*) echo "usage: $0 [-k SERIES] [--keep-log FILE | --replay FILE]" >&2; exit 2 ;;
	esac
done
STEPS=3
TOP=5
CHUNK=65536		# ucx_leak: one pool chunk leaked per cycle
CYCLES_PER_STEP=4	# ucx_leak --step -c 4
dashboard=$top/contrib/grafana/anonstat.json
pass=0 fail=0
t0=$SECONDS

ok() { echo "ok prometheus.$1"; pass=$((pass + 1)); }
bad() { n=$1; shift; echo "FAIL prometheus.$n: $*"; fail=$((fail + 1)); }
check() { n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "$why"; fi; }
finish() {
	echo "prometheus: $pass passed, $fail failed"
	echo "(prometheus test: $((SECONDS - t0)) s)"
	[ "$fail" = 0 ]
	exit
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/anonstat-prom.XXXXXX")
pids=()
# stop PID: SIGTERM, up to 10 s, then SIGKILL
stop() {
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	local p
	for p in "${pids[@]}"; do stop "$p"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$top/tests/need" prometheus || true
missing=
for c in prometheus prometheus-node-exporter promtool curl python3; do
	command -v "$c" >/dev/null || missing+=" $c"
done
why="not installed:$missing (tests/need prometheus)"
check tools [ -z "$missing" ]
[ -z "$missing" ] || finish

# ---- the guest: the demo, the writer, the module restarted ----
vmlog=$tmp/vm.log
if [ -n "$replay" ]; then
	cp "$replay" "$vmlog"
	rc=0
else
	timeout 600 "$top/tests/vm/run" -q -k "$series" --timeout 300 \
		--add "$here/prometheus-guest.sh" -- \
		sh "$here/prometheus-guest.sh" "$STEPS" "$TOP" >"$vmlog" 2>&1
	rc=$?
	echo "(the VM ran $((SECONDS - t0)) s)"
	[ -z "$keep_log" ] || cp "$vmlog" "$keep_log"
fi
tr -d '\r' <"$vmlog" >"$tmp/vm.txt"
grep -E '^(ok|FAIL) ' "$tmp/vm.txt"
pass=$((pass + $(grep -c '^ok ' "$tmp/vm.txt")))
fail=$((fail + $(grep -c '^FAIL ' "$tmp/vm.txt")))
why="exit $rc: $(grep -E '^\[vm\]|rror' "$tmp/vm.txt" | tail -n 5)"
check vm_run [ "$rc" = 0 ]
# section NAME: the lines between "--- NAME ---" and "--- end NAME ---"
section() { sed -n "/^--- $1 ---\$/,/^--- end $1 ---\$/p" "$tmp/vm.txt" | sed '1d;$d'; }
for s in demo procs sites procs-after sites-after stderr; do section "$s" >"$tmp/$s"; done
echo "the writer's standard error:"
sed 's/^/  /' "$tmp/stderr"
mkdir -p "$tmp/files" "$tmp/textfile"
for ((i = 1; i <= STEPS; i++)); do section "step-$i" >"$tmp/files/step-$i.prom"; done
for s in down back after; do section "$s" >"$tmp/files/$s.prom"; done
demo() { sed -n "s/^$1 //p" "$tmp/demo"; }
pid=$(demo pid)
leaked=$(demo leaked)
cycles=$(demo cycles)
leaked_after=$(demo leaked_after)
why="demo section: $(cat "$tmp/demo")"
check demo_said [ -n "$pid" -a "$leaked" = $((STEPS * CYCLES_PER_STEP * CHUNK)) -a \
	"$leaked_after" = $(((STEPS + 1) * CYCLES_PER_STEP * CHUNK)) ]
if [ -z "$pid" ] || [ ! -s "$tmp/files/after.prom" ]; then finish; fi

# the leaking site by what the module says of it: all its regions live
# (maps = cycles, no unmaps) and as many bytes as the demo leaked; after
# the restart, a new site (a new id) with what was leaked since
site=$(awk -v c="$cycles" -v l="$leaked" '$4 == c && $5 == 0 && $9 == l { print $2 }' "$tmp/sites")
why="no single site with $cycles maps, 0 unmaps, $leaked live bytes in: $(cat "$tmp/sites")"
check leak_site_in_sites_file [ "$(echo "$site" | wc -w)" = 1 ]
since=$((leaked_after - leaked))
site_after=$(awk -v c=$CYCLES_PER_STEP -v l="$since" '$4 == c && $5 == 0 && $9 == l { print $2 }' "$tmp/sites-after")
why="no single site with $CYCLES_PER_STEP maps, 0 unmaps, $since live bytes in: $(cat "$tmp/sites-after")"
check leak_site_after_restart [ "$(echo "$site_after" | wc -w)" = 1 ]
proc_live=$(awk '{ print $9 }' "$tmp/procs")
proc_maps=$(awk '{ print $4 }' "$tmp/procs")

# ---- the files themselves ----
for f in "$tmp"/files/*.prom; do
	promtool check metrics <"$f" >"$tmp/promtool.out" 2>&1
	rc=$?
	why="exit $rc: $(head -n 5 "$tmp/promtool.out")"
	check "promtool_check_metrics_${f##*/}" [ "$rc" = 0 ]
done
# the down file: the exporter's own series only
why="$(grep -v '^#' "$tmp/files/down.prom")"
check down_file_up_0 grep -qx 'anonstat_up 0' "$tmp/files/down.prom"
check down_file_exporter_only [ -z "$(grep -v '^#' "$tmp/files/down.prom" |
	grep -vE '^anonstat_(up|last_success_timestamp_seconds|exporter_samples_total|exporter_errors_total)[ {]')" ]
for s in back after; do
	why="$(grep '^anonstat_up' "$tmp/files/$s.prom")"
	check "${s}_file_up_1" grep -qx 'anonstat_up 1' "$tmp/files/$s.prom"
done
# no site ids, no offsets, no addresses in any label
why="$(grep -hE 'site="|\+0x|="0x' "$tmp"/files/*.prom | head -n 3)"
check no_unstable_labels [ -z "$why" ]
# value NAME FILE: the value of the series NAME (name{labels} as written) in FILE
value() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

# ---- node_exporter and prometheus, loopback only ----
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ne_port=$(free_port)
prom_port=$(free_port)
[ "$prom_port" != "$ne_port" ] || prom_port=$(free_port)
cp "$tmp/files/step-1.prom" "$tmp/textfile/anonstat.prom"
prometheus-node-exporter --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$tmp/textfile" \
	--web.listen-address="127.0.0.1:$ne_port" >"$tmp/node_exporter.log" 2>&1 &
pids+=($!)
printf '%s\n' "global:" "  scrape_interval: 1s" "  evaluation_interval: 1s" \
	"scrape_configs:" "  - job_name: node" "    static_configs:" \
	"      - targets: ['127.0.0.1:$ne_port']" >"$tmp/prometheus.yml"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" --log.level=warn \
	>"$tmp/prometheus.log" 2>&1 &
pids+=($!)

# wait_for SECS COND...: poll every 0.2 s, for SECS seconds at most
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
url() { curl -fsS --max-time 5 "$@" 2>/dev/null; }
why="node_exporter on 127.0.0.1:$ne_port: $(tail -n 3 "$tmp/node_exporter.log")"
check node_exporter_up wait_for 20 url -o /dev/null "http://127.0.0.1:$ne_port/metrics"
why="prometheus on 127.0.0.1:$prom_port: $(tail -n 3 "$tmp/prometheus.log")"
check prometheus_ready wait_for 30 url -o /dev/null "http://127.0.0.1:$prom_port/-/ready"

url "http://127.0.0.1:$ne_port/metrics" >"$tmp/ne.metrics"
why="$(grep -E 'textfile|anonstat_site_live_bytes' "$tmp/ne.metrics" | head -n 5)"
check node_exporter_serves_file grep -q "^anonstat_site_live_bytes{.*pid=\"$pid\"" "$tmp/ne.metrics"
check textfile_no_scrape_error grep -qx 'node_textfile_scrape_error 0' "$tmp/ne.metrics"

# the answer of the HTTP API as "LABELS VALUE" lines (labels sorted, k="v"
# joined by ","; a range query's values joined by ","); "error: ..." if
# the query failed
results() {
	python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("error: no answer"); sys.exit()
if d.get("status") != "success":
    print("error:", d.get("errorType"), d.get("error")); sys.exit()
r = d["data"]
if r["resultType"] == "scalar":
    print("", r["result"][1]); sys.exit()
for s in r["result"]:
    m = s["metric"]
    v = s["value"][1] if "value" in s else ",".join(x[1] for x in s["values"])
    print(",".join("%s=\"%s\"" % (k, m[k]) for k in sorted(m) if k not in ("__name__", "instance", "job")), v)
'
}
# query EXPR
query() {
	url -G "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" | results
}
# query_range EXPR START END: every 0.5 s
query_range() {
	url -G "http://127.0.0.1:$prom_port/api/v1/query_range" --data-urlencode "query=$1" \
		--data-urlencode "start=$2" --data-urlencode "end=$3" --data-urlencode step=0.5 | results
}
# value_is EXPR WANT: the query's single series has value WANT
value_is() {
	local got
	got=$(query "$1")
	[ "$(echo "$got" | grep -c .)" = 1 ] && [ "${got##* }" = "$2" ]
}
absent() { [ -z "$(query "$1")" ]; }
# serve NAME: the file NAME.prom, renamed into place as the writer does
serve() {
	cp "$tmp/files/$1.prom" "$tmp/textfile/.anonstat.prom.new"
	mv "$tmp/textfile/.anonstat.prom.new" "$tmp/textfile/anonstat.prom"
}
# int_ge A B: both integers, A >= B
int_ge() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" -ge "$2" ]; }
fn='ucx_leak!rcache_chunk_alloc'
q_leak="anonstat_site_live_bytes{function=\"$fn\"}"

# the files after each step, one after the other: Prometheus sees the
# leaking function's live bytes go up by exactly what the demo leaked
for ((i = 1; i <= STEPS; i++)); do
	want=$(demo "leaked_$i")
	serve "step-$i"
	why="$q_leak is $(query "$q_leak" | tr '\n' ' '), want $want after step $i"
	check "leak_after_step_$i" wait_for 20 value_is "$q_leak" "$want"
	sleep 1.5	# another scrape of the same values
done
sleep 1

# the closing query, and its result
result=$(query "$q_leak")
echo "query: $q_leak"
echo "result: $result"
labels_before=${result% *}
why="one series, pid $pid, comm ucx_leak, function $fn, $leaked bytes; got: $result"
check leak_query_exact [ "$result" = "comm=\"ucx_leak\",function=\"$fn\",pid=\"$pid\" $leaked" ]
q="sum(anonstat_site_live_bytes{pid=\"$pid\"})"
why="$q is $(query "$q"), procs says $proc_live"
check functions_sum_to_process value_is "$q" "$proc_live"
q="anonstat_process_live_bytes{pid=\"$pid\"}"
why="$q is $(query "$q"), procs says $proc_live"
check process_live_bytes value_is "$q" "$proc_live"
q="anonstat_process_maps_total{pid=\"$pid\"}"
why="$q is $(query "$q"), procs says $proc_maps"
check process_maps_total value_is "$q" "$proc_maps"
q="anonstat_site_resident_bytes{pid=\"$pid\",function=\"$fn\"}"
why="$q is $(query "$q"), the demo wrote every byte it leaked: $leaked"
check leak_resident value_is "$q" "$leaked"
q="count(anonstat_site_live_bytes{pid=\"$pid\"})"
n=$(query "$q")
n=${n##* }
why="$q is $n, want 1 to $((TOP + 1)) (--top-sites $TOP)"
check top_k_series int_ge "$((TOP + 1))" "$n"
q="up{job=\"node\"}"
why="$q is $(query "$q")"
check scrape_up value_is "$q" 1
why="anonstat_up is $(query anonstat_up)"
check anonstat_up_1 value_is anonstat_up 1

# ---- the dashboard ----
why="$(python3 -m json.tool "$dashboard" 2>&1 >/dev/null | head -n 3)"
check dashboard_json python3 -m json.tool "$dashboard" >/dev/null
names=$(grep -oE 'anonstat_[a-z_]+' "$dashboard" | sort -u)
missing=
for n in $names; do
	grep -q "^# TYPE $n " "$tmp/files/step-$STEPS.prom" || missing+=" $n"
done
why="metrics the dashboard uses that anontop does not write:$missing"
check dashboard_metric_names [ -n "$names" -a -z "$missing" ]
# every panel query, with the dashboard's variables set to this test's
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))
for p in panels(d["panels"]):
    for t in p.get("targets", []):
        e = t["expr"].replace("$pid", sys.argv[2]).replace("$comm", ".*")
        e = e.replace("$__rate_interval", "1m").replace("$__interval", "15s")
        e = e.replace("$__range", "10m").replace("$topk", "20").replace("$instance", ".*")
        print(p["title"] + "\t" + t.get("refId", "") + "\t" + e.replace("\n", " "))
' "$dashboard" "$pid" >"$tmp/exprs"
nexpr=0
while IFS=$'\t' read -r title ref expr; do
	nexpr=$((nexpr + 1))
	res=$(query "$expr")
	why="$title: $expr: $res"
	check "dashboard_query_$nexpr" sh -c '! echo "$1" | grep -q "^error:"' sh "$res"
	case "$title/$ref" in
	Growing*)
		# only the leak grows in the demo, by $CHUNK a cycle
		why="$title: $expr gave: $res; want only $fn"
		check dashboard_growing_functions_lists_leak sh -c '[ "$(echo "$1" | grep -c .)" = 1 ] &&
			echo "$1" | grep -qE "^comm=\"ucx_leak\",function=\"$3\",pid=\"$2\" [0-9.e+]+\$"' sh "$res" "$pid" "$fn"
		;;
	"Live anonymous bytes per function/A")
		why="$title: $expr gave: $res; want $fn among them, no \"other\""
		check dashboard_functions_lists_leak sh -c 'echo "$1" | grep -qF "function=\"$2\"" &&
			! echo "$1" | grep -qF "function=\"other\""' sh "$res" "$fn"
		# as Grafana asks, over the last 20 s: $topk series, however
		# the order changed meanwhile (the steps moved the leak up)
		now=$(date +%s)
		for k in 1 3; do
			res=$(query_range "${expr//topk(20,/topk($k,}" $((now - 20)) "$now")
			why="$title with \$topk $k over the last 20 s: $res"
			check "dashboard_functions_topk_$k" [ "$(echo "$res" | grep -c .)" = $k ]
		done
		;;
	"Live anonymous bytes per function/B")
		# the rest: the processes' bytes less those of the functions shown
		why="$title: $expr gave: $res; want one series"
		check dashboard_functions_rest sh -c '[ "$(echo "$1" | grep -c .)" = 1 ]' sh "$res"
		;;
	Sampling*)
		why="$title: $expr gave: $res"
		check "dashboard_staleness_$nexpr" sh -c '[ "$(echo "$1" | grep -c .)" = 1 ]' sh "$res"
		;;
	esac
done <"$tmp/exprs"
why="no panel queries in $dashboard"
check dashboard_has_queries [ "$nexpr" -ge 4 ]

# ---- the module removed: anonstat_up 0, nothing else ----
serve down
why="anonstat_up is $(query anonstat_up)"
check prom_up_goes_to_0 wait_for 20 value_is anonstat_up 0
t_down=$(date +%s.%N)
sleep 3	# three more scrapes of the down file
t_end=$(date +%s.%N)
for q in anonstat_site_live_bytes anonstat_process_live_bytes \
	anonstat_module_memory_bytes anonstat_drops_total; do
	why="$q is $(query "$q" | head -n 3)"
	check "down_absent_$q" absent "$q"
	why="$q over the down window: $(query_range "$q" "$t_down" "$t_end" | head -n 3)"
	check "down_absent_over_window_$q" [ -z "$(query_range "$q" "$t_down" "$t_end")" ]
done
r=$(query_range anonstat_up "$t_down" "$t_end")
why="anonstat_up over the down window: $r"
check down_up_0_over_window sh -c '[ "$(echo "$1" | grep -c .)" = 1 ] &&
	! echo "${1##* }" | tr , "\n" | grep -qvx 0' sh "$r"
want=$(value anonstat_last_success_timestamp_seconds "$tmp/files/down.prom")
why="last success is $(query anonstat_last_success_timestamp_seconds), the down file says $want"
check down_last_success_kept value_is anonstat_last_success_timestamp_seconds "$want"
last_before=$(value anonstat_last_success_timestamp_seconds "$tmp/files/step-$STEPS.prom")
why="down file's last success $want, before the rmmod $last_before"
check down_last_success_not_before int_ge "$want" "$last_before"
want=$(value 'anonstat_exporter_errors_total{stage="read"}' "$tmp/files/down.prom")
why="read errors: $(query 'anonstat_exporter_errors_total{stage="read"}'), the down file says $want"
check down_read_errors value_is 'anonstat_exporter_errors_total{stage="read"}' "$want"
why="the down file counts $want read errors, want 3 or more"
check down_read_errors_counted int_ge "$want" 3

# ---- the module back: anonstat_up 1, the same labels for the leak ----
serve back
why="anonstat_up is $(query anonstat_up)"
check prom_up_back_to_1 wait_for 20 value_is anonstat_up 1
serve after
why="$q_leak is $(query "$q_leak"), want $since (leaked since the insmod)"
check leak_after_restart wait_for 20 value_is "$q_leak" "$since"
result=$(query "$q_leak")
echo "query after the restart: $q_leak"
echo "result: $result"
why="labels before: $labels_before, after: ${result% *}"
check leak_same_labels_after_restart [ "${result% *}" = "$labels_before" ]
q="count(count by (pid, comm, function) (count_over_time(anonstat_site_live_bytes{function=~\".*rcache_chunk_alloc.*\"}[15m])))"
why="$q is $(query "$q")"
check one_leak_series_over_the_test value_is "$q" 1
proc_live=$(awk '{ print $9 }' "$tmp/procs-after")
q="sum(anonstat_site_live_bytes{pid=\"$pid\"})"
why="$q is $(query "$q"), procs says $proc_live"
check functions_sum_to_process_after value_is "$q" "$proc_live"
last=$(value anonstat_last_success_timestamp_seconds "$tmp/files/after.prom")
down_last=$(value anonstat_last_success_timestamp_seconds "$tmp/files/down.prom")
why="last success after the restart $last, while down $down_last"
check last_success_moves_on int_ge "$last" "$((down_last + 1))"
finish
