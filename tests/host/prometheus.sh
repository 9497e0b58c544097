#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/host/prometheus.sh - anontop --openmetrics against the real thing.
#
# A 6.1 VM (tests/vm/run) runs the UCX-like demo with the anontop writer
# (prometheus-guest.sh) and prints the file as written after each step of
# the demo, with the demo's own count of what it leaked and the module's
# procs and sites lines of it.  Here, Debian's prometheus-node-exporter
# (textfile collector only) serves those files, one after the other, and a
# Debian prometheus server scrapes it every second; both listen on
# 127.0.0.1 only, on free ports, and are stopped on every exit.  Checked
# through Prometheus' HTTP API (/api/v1/query): the leaking site's series
# (found by its name, as a dashboard would) has exactly the bytes the demo
# leaked, after every step; the sums and the site="other" series match the
# sites file; each query of the Grafana dashboard (contrib/grafana/) is
# accepted, and its "growing sites" table lists the leak.  promtool check
# metrics accepts every file.
#
# Prints "ok NAME" / "FAIL NAME: why" and ends with
# "prometheus: N passed, N failed".  Needs prometheus,
# prometheus-node-exporter (bookworm), curl and python3.
#
# usage: tests/host/prometheus.sh [-k SERIES]   (default 6.1)
# shellcheck disable=SC2016 # sh -c '...' sh ARG: expanded by that sh
# shellcheck disable=SC2317 # functions called through check and trap
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
series=6.1
[ "${1:-}" = -k ] && series=${2:?-k needs a series}
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

# ---- the guest: the demo and the writer ----
vmlog=$tmp/vm.log
timeout 600 "$top/tests/vm/run" -q -k "$series" --timeout 300 \
	--add "$here/prometheus-guest.sh" -- \
	sh "$here/prometheus-guest.sh" "$STEPS" "$TOP" >"$vmlog" 2>&1
rc=$?
echo "(the VM ran $((SECONDS - t0)) s)"
tr -d '\r' <"$vmlog" >"$tmp/vm.txt"
grep -E '^(ok|FAIL) ' "$tmp/vm.txt"
pass=$((pass + $(grep -c '^ok ' "$tmp/vm.txt")))
fail=$((fail + $(grep -c '^FAIL ' "$tmp/vm.txt")))
why="exit $rc: $(grep -E '^\[vm\]|rror' "$tmp/vm.txt" | tail -n 5)"
check vm_run [ "$rc" = 0 ]
# section NAME: the lines between "--- NAME ---" and "--- end NAME ---"
section() { sed -n "/^--- $1 ---\$/,/^--- end $1 ---\$/p" "$tmp/vm.txt" | sed '1d;$d'; }
section demo >"$tmp/demo"
section procs >"$tmp/procs"
section sites >"$tmp/sites"
mkdir -p "$tmp/files" "$tmp/textfile"
for ((i = 1; i <= STEPS; i++)); do section "step-$i" >"$tmp/files/step-$i.prom"; done
section anonstat.prom >"$tmp/files/final.prom"
demo() { sed -n "s/^$1 //p" "$tmp/demo"; }
pid=$(demo pid)
leaked=$(demo leaked)
cycles=$(demo cycles)
why="demo section: $(cat "$tmp/demo")"
check demo_said [ -n "$pid" -a "$leaked" = $((STEPS * CYCLES_PER_STEP * CHUNK)) ]
if [ -z "$pid" ] || [ ! -s "$tmp/files/final.prom" ]; then finish; fi

# the leaking site by what the module says of it: all its regions live
# (maps = cycles, no unmaps) and as many bytes as the demo leaked
site=$(awk -v c="$cycles" -v l="$leaked" '$4 == c && $5 == 0 && $9 == l { print $2 }' "$tmp/sites")
why="no single site with $cycles maps, 0 unmaps, $leaked live bytes in: $(cat "$tmp/sites")"
check leak_site_in_sites_file [ "$(echo "$site" | wc -w)" = 1 ]
proc_live=$(awk '{ print $9 }' "$tmp/procs")
proc_maps=$(awk '{ print $4 }' "$tmp/procs")
nsites=$(wc -l <"$tmp/sites")
# site="other": the live bytes of all but the TOP largest (ties: lower id)
other=$(sort -k9,9nr -k2,2n "$tmp/sites" | awk -v k=$TOP 'NR > k { s += $9 } END { print s + 0 }')

# ---- promtool ----
for f in "$tmp"/files/*.prom; do
	promtool check metrics <"$f" >"$tmp/promtool.out" 2>&1
	rc=$?
	why="exit $rc: $(head -n 5 "$tmp/promtool.out")"
	check "promtool_check_metrics_${f##*/}" [ "$rc" = 0 ]
done

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
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
EOF
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
check node_exporter_serves_file grep -q "^anonstat_site_live_bytes{.*pid=\"$pid\".*site=\"$site\"" "$tmp/ne.metrics"
check textfile_no_scrape_error grep -qx 'node_textfile_scrape_error 0' "$tmp/ne.metrics"

# query EXPR: the result vector as "LABELS VALUE" lines (labels sorted,
# k="v" joined by ","); "error: ..." if the query failed
query() {
	url -G "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
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
    print(",".join("%s=\"%s\"" % (k, m[k]) for k in sorted(m) if k not in ("__name__", "instance", "job")),
          s["value"][1])
'
}
# value_is EXPR WANT: the query's single series has value WANT
value_is() {
	local got
	got=$(query "$1")
	[ "$(echo "$got" | grep -c .)" = 1 ] && [ "${got##* }" = "$2" ]
}
q_leak="anonstat_site_live_bytes{name=~\"ucx_leak!rcache_chunk_alloc.*\"}"

# the files after each step, one after the other: Prometheus sees the
# leaking site's live bytes go up by exactly what the demo leaked
for ((i = 1; i <= STEPS; i++)); do
	want=$(demo "leaked_$i")
	cp "$tmp/files/step-$i.prom" "$tmp/textfile/.anonstat.prom.new"
	mv "$tmp/textfile/.anonstat.prom.new" "$tmp/textfile/anonstat.prom"
	why="$q_leak is $(query "$q_leak" | tr '\n' ' '), want $want after step $i"
	check "leak_after_step_$i" wait_for 20 value_is "$q_leak" "$want"
	sleep 1.5	# another scrape of the same values
done
cp "$tmp/files/final.prom" "$tmp/textfile/.anonstat.prom.new"
mv "$tmp/textfile/.anonstat.prom.new" "$tmp/textfile/anonstat.prom"
sleep 2.5	# two more scrapes (the demo's series are those of the last step)

# the closing query, and its result
result=$(query "$q_leak")
echo "query: $q_leak"
echo "result: $result"
why="one series, pid $pid, site $site, kind private, $leaked bytes; got: $result"
check leak_query_exact sh -c '[ "$(echo "$1" | grep -c .)" = 1 ] &&
	echo "$1" | grep -qE "^comm=\"ucx_leak\",kind=\"private\",name=\"ucx_leak!rcache_chunk_alloc\+0x[0-9a-f]+\",pid=\"$2\",site=\"$3\" $4\$"' \
	sh "$result" "$pid" "$site" "$leaked"
q="sum(anonstat_site_live_bytes{pid=\"$pid\"})"
why="$q is $(query "$q"), procs says $proc_live"
check sites_sum_to_process value_is "$q" "$proc_live"
q="anonstat_process_live_bytes{pid=\"$pid\"}"
why="$q is $(query "$q"), procs says $proc_live"
check process_live_bytes value_is "$q" "$proc_live"
q="anonstat_process_maps_total{pid=\"$pid\"}"
why="$q is $(query "$q"), procs says $proc_maps"
check process_maps_total value_is "$q" "$proc_maps"
q="anonstat_site_resident_bytes{pid=\"$pid\",site=\"$site\"}"
why="$q is $(query "$q"), the demo wrote every byte it leaked: $leaked"
check leak_resident value_is "$q" "$leaked"
q="count(anonstat_site_live_bytes{pid=\"$pid\"})"
want=$((nsites > TOP ? TOP + 1 : nsites))
why="$q is $(query "$q"), want $want ($nsites sites, --top-sites $TOP)"
check top_k_series value_is "$q" "$want"
q="anonstat_site_live_bytes{pid=\"$pid\",site=\"other\"}"
why="$q is $(query "$q"), the sites file says $other"
if [ "$nsites" -gt "$TOP" ]; then
	check other_sum value_is "$q" "$other"
else
	check no_other [ -z "$(query "$q")" ]
fi
q="up{job=\"node\"}"
why="$q is $(query "$q")"
check scrape_up value_is "$q" 1

# ---- the dashboard ----
why="$(python3 -m json.tool "$dashboard" 2>&1 >/dev/null | head -n 3)"
check dashboard_json python3 -m json.tool "$dashboard" >/dev/null
names=$(grep -oE 'anonstat_[a-z_]+' "$dashboard" | sort -u)
missing=
for n in $names; do
	grep -q "^# TYPE $n " "$tmp/files/final.prom" || missing+=" $n"
done
why="metrics the dashboard uses that anontop does not write:$missing"
check dashboard_metric_names [ -n "$names" -a -z "$missing" ]
# every panel query, with the dashboard's variables set to this test's
python3 - "$dashboard" "$pid" >"$tmp/exprs" <<'EOF'
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
        e = e.replace("$topk", "20").replace("$instance", ".*")
        print(p["title"] + "\t" + e.replace("\n", " "))
EOF
nexpr=0
while IFS=$'\t' read -r title expr; do
	nexpr=$((nexpr + 1))
	res=$(query "$expr")
	why="$title: $expr: $res"
	check "dashboard_query_$nexpr" sh -c '! echo "$1" | grep -q "^error:"' sh "$res"
	case "$title" in
	Growing*)
		# only the leak grows in the demo, by $CHUNK a cycle
		why="$title: $expr gave: $res; want only site $site"
		check dashboard_growing_sites_lists_leak sh -c '[ "$(echo "$1" | grep -c .)" = 1 ] &&
			echo "$1" | grep -qE "pid=\"$2\",site=\"$3\" [0-9.e+]+\$"' sh "$res" "$pid" "$site"
		;;
	esac
done <"$tmp/exprs"
why="no panel queries in $dashboard"
check dashboard_has_queries [ "$nexpr" -ge 4 ]
finish
