#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# prometheus-guest.sh - the guest half of tests/host/prometheus.sh (root,
# anonstat loaded).  Runs the demo (ucx_leak --step, 4 cycles a step, each
# cycle leaks one 64 KiB pool chunk) with anontop --openmetrics writing in
# the background every 0.5 s; after each of STEPS steps the demo waits
# (both of its threads blocked) until the writer has written a sample taken
# after that step, kept as step-N.  Then, under the same writer: rmmod
# anonstat, files written while it is gone (down: anonstat_up 0), insmod
# again (back), one more step of the demo (after).  At the end the writer
# gets SIGTERM and must exit 0 leaving no temporary file, having logged the
# read error once however many samples failed, and its recovery once.
# Prints, between "--- NAME ---" and "--- end NAME ---" lines, what the
# host checks: what the demo said, its procs and sites lines read before
# the rmmod (procs, sites) and after the last step (procs-after,
# sites-after), the files (step-1.., down, back, after).  "ok NAME" /
# "FAIL NAME: why" for what is checked here.
STEPS=${1:-3}
TOP=${2:-5}
out=/tmp/textfile
file=$out/anonstat.prom
tmp=$(mktemp -d)
fail=0
ok() { echo "ok prometheus.guest_$1"; }
bad() { n=$1; shift; echo "FAIL prometheus.guest_$n: $*"; fail=1; }
# wait_for COND...: up to 60 s
wait_for() {
	end=$(($(date +%s) + 60))
	while ! "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

mkdir -p "$out"
mkfifo "$tmp/in" "$tmp/out"
ucx_leak --step -c 4 <"$tmp/in" >"$tmp/out" &
prog=$!
exec 3>"$tmp/in" 4<"$tmp/out"
read -r word pid <&4
if [ "$word" != ready ] || [ "$pid" != "$prog" ]; then
	bad start "ucx_leak said '$word $pid'"
	exit 1
fi

# the long-running writer, while the demo runs
anontop --openmetrics "$file" -d 0.5 --top-sites "$TOP" 2>"$tmp/err" &
writer=$!
wait_for test -e "$file" || bad first_write "no $file after 60 s: $(cat "$tmp/err")"
# new_file: wait for a file written by a sample read after now: the one
# renamed after the one that comes after this rm
new_file() {
	rm -f "$file"
	wait_for test -e "$file" || { bad write "no new $file: $(cat "$tmp/err")"; return 1; }
	rm -f "$file"
	wait_for test -e "$file" || { bad write "no new $file: $(cat "$tmp/err")"; return 1; }
}
# after each step, the file of that state of the demo (waiting again)
i=1
while [ $i -le "$STEPS" ]; do
	echo step >&3
	read -r word leaked <&4
	echo "leaked_$i $leaked" >>"$tmp/leaked"
	new_file && cp "$file" "$tmp/step-$i"
	i=$((i + 1))
done
grep "^$pid " /sys/kernel/debug/anonstat/procs >"$tmp/procs"
grep "^$pid " /sys/kernel/debug/anonstat/sites >"$tmp/sites"

# the module goes away under the writer, and comes back
rmmod anonstat
rc=$?
if [ $rc = 0 ]; then ok rmmod; else bad rmmod "exit $rc"; fi
# three files of failed samples: the error is logged once
new_file && new_file && new_file && cp "$file" "$tmp/down"
if kill -0 "$writer" 2>/dev/null; then ok writer_runs_while_down; else
	bad writer_runs_while_down "exited: $(cat "$tmp/err")"; fi
n=$(grep -c 'anonstat/status: No such file or directory' "$tmp/err")
if [ "$n" = 1 ]; then ok error_logged_once; else
	bad error_logged_once "$n times: $(cat "$tmp/err")"; fi
insmod /anonstat/anonstat.ko
rc=$?
if [ $rc = 0 ]; then ok insmod; else bad insmod "exit $rc"; fi
new_file && cp "$file" "$tmp/back"
echo step >&3
read -r word leaked <&4
echo "leaked_after $leaked" >>"$tmp/leaked"
new_file && cp "$file" "$tmp/after"
grep "^$pid " /sys/kernel/debug/anonstat/procs >"$tmp/procs-after"
grep "^$pid " /sys/kernel/debug/anonstat/sites >"$tmp/sites-after"

kill -TERM "$writer"
wait "$writer"
rc=$?
if [ $rc = 0 ]; then ok sigterm_exit_0; else
	bad sigterm_exit_0 "exit $rc, stderr: $(cat "$tmp/err")"; fi
n=$(grep -c '^anontop: sampling again after [0-9]* errors$' "$tmp/err")
dup=$(sort "$tmp/err" | uniq -d)
if [ "$n" = 1 ] && [ -z "$dup" ]; then ok stderr_error_and_recovery; else
	bad stderr_error_and_recovery "stderr: $(cat "$tmp/err")"; fi
left=$(ls "$out")
if [ "$left" = anonstat.prom ]; then ok no_temporary_file; else
	bad no_temporary_file "$out holds: $left"; fi
mode=$(stat -c %a "$file")
if [ "$mode" = 644 ]; then ok file_mode; else bad file_mode "mode $mode"; fi

echo "--- stderr ---"
cat "$tmp/err"
echo "--- end stderr ---"
echo "--- demo ---"
echo "pid $pid"
echo "cycles $((STEPS * 4))"
sed -n "s/^leaked_$STEPS /leaked /p" "$tmp/leaked"
cat "$tmp/leaked"
echo "--- end demo ---"
for s in procs sites procs-after sites-after; do
	echo "--- $s ---"
	cat "$tmp/$s"
	echo "--- end $s ---"
done
i=1
while [ $i -le "$STEPS" ]; do
	echo "--- step-$i ---"
	cat "$tmp/step-$i"
	echo "--- end step-$i ---"
	i=$((i + 1))
done
for s in down back after; do
	echo "--- $s ---"
	cat "$tmp/$s"
	echo "--- end $s ---"
done

exec 3>&-
wait "$prog"
rm -rf "$tmp"
[ "$fail" = 0 ]
