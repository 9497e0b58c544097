#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/host/shell.sh [SPEC...] - `tests/vm/run --shell` as a person uses it,
# under tmux (a private server; send-keys, capture-pane).  SPEC is
# ARCH:SERIES:COLSxROWS (default amd64:6.1:80x24 arm64:6.1:200x50).  For
# each: the VM boots in a tmux pane of that size, a command typed into the
# guest shell answers on the pane, the guest has the pane's size and TERM,
# Ctrl-C stops a guest command without killing the VM, anontop's
# interactive view (on arm64 cross-built: make -C userspace ARCH=arm64)
# shows its header and quits with q, and `exit` powers the VM off with
# status 0.
# Ends with "shell: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -gt 0 ] || set -- amd64:6.1:80x24 arm64:6.1:200x50
sock=anonstat-shell-$$
pass=0 fail=0
T() { tmux -L "$sock" "$@"; }
trap 'T kill-server 2>/dev/null' EXIT

screen() { T capture-pane -p -J -t vm -S -200; }
# wait_for SECS ERE: until the pane shows a line matching ERE
wait_for() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt "$end" ]; do
		screen | grep -qE -- "$2" && return 0
		sleep 0.5
	done
	return 1
}
check() {
	local name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $spec: $name" >&2
		screen | tail -n 30 | sed 's/^/    | /' >&2
	fi
}
# type LINE: the keys, then Enter
type_line() { T send-keys -t vm -l "$1"; T send-keys -t vm Enter; }

command -v tmux >/dev/null || { echo "shell: tmux not installed"; echo "shell: 0 passed, 1 failed"; exit 1; }
for spec in "$@"; do
	IFS=: read -r arch series size <<<"$spec"
	cols=${size%x*} rows=${size#*x}
	echo "--- $spec: tests/vm/run --arch $arch -k $series --shell in a ${cols}x$rows tmux pane"
	# kill-server returns before the server is gone: a new session started
	# at once can reach the dying server ("server exited unexpectedly")
	T kill-server 2>/dev/null
	i=0
	while T list-sessions >/dev/null 2>&1 && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# TERM=screen in the pane (its entry is in ncurses-base; tmux 3.3's
	# default, tmux-256color, is in ncurses-term)
	if ! T -f /dev/null start-server \; set -g default-terminal screen \; \
		new-session -d -s vm -x "$cols" -y "$rows" \
		"cd '$top' && tests/vm/run -q --arch $arch -k $series --shell --timeout 900; echo VMEXIT=\$?; sleep 900"; then
		fail=$((fail + 1))
		echo "FAIL: $spec: the tmux session could not be started" >&2
		continue
	fi
	check "boots to the guest shell" wait_for 600 'exit the shell to power off'
	check "prompt" wait_for 60 '^/ # $'
	type_line 'echo "sum=$((6 * 7)) size=$(stty size) term=$TERM tty=$(tty)"'
	check "a typed command answers" wait_for 30 "^sum=42 "
	check "the pane's size and TERM" wait_for 5 "^sum=42 size=$rows $cols term=screen tty=/dev/(ttyS0|hvc0)\$"
	type_line 'sleep 300'
	sleep 2
	T send-keys -t vm C-c
	type_line 'echo "after=$?"'
	check "Ctrl-C stops the guest command, not the VM" wait_for 30 '^after=130$'
	type_line 'anontop -d 0.5'
	check "anontop's header" wait_for 60 "anontop [0-9.]+ - anonstat [0-9.]+ on $series\\."
	check "anontop's process table" wait_for 10 '^ *PID +(USER +)?COMM'
	T send-keys -t vm q
	type_line 'echo "anontop=$?"'
	check "anontop quits with q" wait_for 30 '^anontop=0$'
	type_line 'exit'
	check "exit powers off (status 0)" wait_for 120 '^VMEXIT=0$'
done
T kill-server 2>/dev/null
echo "shell: $pass passed, $fail failed"
[ "$fail" = 0 ]
