#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vm_test.sh - anontop against the real module (installed in the guest as
# /usr/local/bin/anontop_vm_test.sh; root, anonstat loaded).  Prints
# "ok NAME" / "FAIL NAME: why" per test (for suite.sh's run_prog, which
# counts them) and exits 1 if one failed.
#
# ucx_leak --step leaks exactly 4 pool chunks per line it reads and says how
# many bytes it leaked.  One step before anontop starts, then one after each
# JSON document anontop prints (-d 2 leaves time for it): the leaking site
# grows in every sample.  Once the program is idle (after its last step and
# anontop's last sample), one more sample: there the site's live bytes are
# exactly what the program said it leaked (a step may still run when a
# timed sample is taken, on a loaded host).
K=3
N=5
fail=0
ok() { echo "ok anontop_vm.$1"; }
bad() { n=$1; shift; echo "FAIL anontop_vm.$n: $*"; fail=$((fail + 1)); }
check() { n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "$why"; fi; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/in" "$tmp/out"
ucx_leak --step -c 4 <"$tmp/in" >"$tmp/out" &
prog=$!
exec 3>"$tmp/in" 4<"$tmp/out"
read -r word pid <&4
if [ "$word" != ready ] || [ "$pid" != "$prog" ]; then
	bad start "ucx_leak said '$word $pid'"
	exit 1
fi
echo step >&3
read -r word leaked <&4

# sample i is printed, then the program leaks more, then sample i+1 is read
timeout 120 anontop -b -o json --sites -p "$pid" -n $N -d 2 -k $K 2>"$tmp/err" |
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$tmp/json"
		echo "$leaked" >>"$tmp/leaked"
		[ "$(wc -l <"$tmp/json")" -ge $N ] && continue
		echo step >&3
		read -r word leaked <&4
	done
rc=$(cat "$tmp/err")
why="anontop printed $(wc -l <"$tmp/json" 2>/dev/null) lines; stderr: $rc"
check json_lines [ "$(wc -l <"$tmp/json" 2>/dev/null)" = $N ]
last=$(tail -n 1 "$tmp/json")
want=$(tail -n 1 "$tmp/leaked")
# the idle program, sampled once more
quiet=$(anontop -b -o json --sites -p "$pid" -n 1 2>&1)

# sites_of DOC: the site objects of a JSON document, one a line
sites_of() {
	echo "$1" | awk '{ n = split($0, a, "[{]\"id\":");
		for (i = 2; i <= n; i++) print a[i] }'
}
# leak_site DOC: the leaking site's object
leak_site() {
	sites_of "$1" | grep '"name":"ucx_leak!rcache_chunk_alloc+' | head -n 1
}
site=$(leak_site "$last")
field() { echo "$site" | sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" | head -n 1; }
qsite=$(leak_site "$quiet")
qfield() { echo "$qsite" | sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" | head -n 1; }

why="no site named ucx_leak!rcache_chunk_alloc in: $last"
check leak_site_found [ -n "$site" ]
why="name $(field name), want \"ucx_leak!rcache_chunk_alloc+0x...\""
check site_name sh -c "echo '$(field name)' |
	grep -qx '\"ucx_leak!rcache_chunk_alloc+0x[0-9a-f]*\"'"
why="idle: live_bytes $(qfield live_bytes), the program leaked $want; last timed sample $(field live_bytes)"
check live_bytes_exact [ -n "$qsite" -a "$(qfield live_bytes)" = "$want" ]
why="idle: live_bytes $(qfield live_bytes) after $N steps of 4 chunks"
check live_bytes_expected [ "$(qfield live_bytes)" = $((N * 4 * 65536)) ]
why="leak_suspect $(field leak_suspect), grown_samples $(field grown_samples)"
check leak_suspect [ "$(field leak_suspect)" = true ]
why="growth_bytes_per_s $(field growth_bytes_per_s)"
check growth_positive awk -v g="$(field growth_bytes_per_s)" 'BEGIN { exit !(g > 0) }'
why="idle: resident_bytes $(qfield resident_bytes), live_bytes $(qfield live_bytes)"
check resident_exact [ -n "$qsite" -a "$(qfield resident_bytes)" = "$(qfield live_bytes)" ]
# the whole stack, without frame pointers anywhere: libc's syscall(),
# libucm's raw syscall wrapper, the pool, the handler libucm's munmap hook
# called, libucm's dispatch, the progress thread's munmap; the name is the
# frame after libucm's (name_frame).  On arm64 the wrapper,
# ucm_orig_mmap_syscall, tail-calls syscall() (b, not bl: its seven
# arguments fit in registers; x86-64 passes the seventh on the stack and
# calls): its frame is not on the stack, and the pool's frames follow
# syscall()'s.
frames=$(echo "$site" | sed 's/.*"frames":\[//')
sym() { echo "$frames" | tr '{' '\n' | sed -n "$(($1 + 2))s/.*\"symbol\":\"\([^\"]*\)\".*/\1/p"; }
mod() { echo "$frames" | tr '{' '\n' | sed -n "$(($1 + 2))s/.*\"module\":\"[^\"]*\/\([^\"/]*\)\".*/\1/p"; }
why="frames: $(echo "$frames" | tr '{' '\n' | sed -n 's/.*"module":"[^"]*\/\([^"/]*\)","symbol":\([^,]*\),.*/\1!\2/p' | tr '\n' ' ')"
case $(uname -m) in
aarch64) pool=1 ;;
*) pool=2 ;;
esac
check frame0_syscall [ "$(mod 0)!$(sym 0)" = 'libc.so.6!syscall' ]
[ $pool = 2 ] &&
	check frame1_libucm [ "$(mod 1)!$(sym 1)" = 'libucm.so.0!ucm_orig_mmap_syscall' ]
check frames_pool [ "$(mod $pool)!$(sym $pool) $(mod $((pool + 1)))!$(sym $((pool + 1)))" = 'ucx_leak!rcache_chunk_alloc ucx_leak!rcache_unmapped' ]
check frames_hook sh -c "echo '$frames' | grep -q '\"module\":\"[^\"]*/libucm.so.0\",\"symbol\":\"ucm_event_dispatch\"' &&
	echo '$frames' | grep -q '\"symbol\":\"progress_cycle\"' &&
	echo '$frames' | grep -q '\"symbol\":\"progress_thread\"'"
why="name_frame $(field name_frame)"
check name_frame [ "$(field name_frame)" = $pool ]
nsus=$(sites_of "$last" | grep -c '"leak_suspect":true')
why="$nsus sites are leak suspects, want 1 (the balanced ones must not be)"
check only_one_suspect [ "$nsus" = 1 ]
first=$(head -n 1 "$tmp/json")
why="first sample: $(echo "$first" | cut -c1-200)"
check first_sample_no_rate sh -c "echo '$first' | grep -q '\"growth_bytes_per_s\":null'"

# the text view of the same process: the site by name, aligned columns;
# one sample, so GROWTH/s is the rate since the module first saw the site
# (growing for the leak, 0 B for the balanced buffers)
anontop -b --sites -p "$pid" >"$tmp/text" 2>&1
rc=$?
why="exit $rc: $(cat "$tmp/text")"
check text_exit [ $rc = 0 ]
why="no row for rcache_chunk_alloc: $(cat "$tmp/text")"
check text_site_row grep -qE '^ +[0-9]+ private +[0-9.]+ [KM]iB +[0-9]+ +\+[0-9.]+ ([KMG]iB|B) +[0-9]+ +0 .* no +ucx_leak!rcache_chunk_alloc\+0x' "$tmp/text"
why="no row for progress_cycle (the buffers, balanced): $(cat "$tmp/text")"
check text_balanced_row grep -qE '^ +[0-9]+ private +0 B +0 +0 B +[0-9]+ +[0-9]+ .* no +ucx_leak!progress_cycle\+0x' "$tmp/text"
why="threads: $(grep "^$pid " /sys/kernel/debug/anonstat/threads)"
check thread_name grep -q "^$pid [0-9]* ucx_progress " /sys/kernel/debug/anonstat/threads

# not root: exit 1, one line naming the path and errno, and the fix
su -s /bin/sh nobody -c "anontop -b" >"$tmp/out" 2>"$tmp/err"
rc=$?
why="exit $rc, stderr: $(cat "$tmp/err")"
check not_root sh -c "[ $rc = 1 ] && [ \$(wc -l <'$tmp/err') = 1 ] &&
	grep -q '^anontop: /sys/kernel/debug/anonstat/status: Permission denied (errno 13); permission denied: run anontop as root' '$tmp/err'"

exec 3>&-
wait "$prog"
[ "$fail" = 0 ]
