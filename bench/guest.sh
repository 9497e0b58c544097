#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench/guest.sh - runs inside the benchmark guest (booted by bench/run with
# tests/vm/run --icount --no-load) and measures every configuration in this
# one boot.  Prints the lines of anonbench (bench/read/status) plus:
#   config NAME                  before each configuration
#   statusdump CONFIG KEY VALUE  anonstat's status after a configuration
#   note TEXT                    what happened (bpftrace failures, ...)
#
# usage: guest.sh DIR PHASES    DIR holds bin/anonbench, bin/libfirst-*.so
#                               and anonstat.bt; PHASES: any of micro scale
#                               sites bpftrace depths
#
# Address space randomization is switched off so that every configuration
# sees the same layout (it moves instruction counts by a few hundred).
set -u
dir=$1
phases=" $2 "
bench=$dir/bin/anonbench
ko=/anonstat/anonstat.ko
dbg=/sys/kernel/debug/anonstat
# (word-split on purpose where used)
sizes="1000 100000 1000000"
# cost per frame: extra frames below the mmap4k loop (24 makes 32 frames,
# the module's maximum depth, with the 8 of the program, libc and _start)
extra_frames="0 8 16 24"
# first sight: fresh copies of each library
first_libs="$dir/bin/libfirst-small.so 8 $dir/bin/libfirst-big.so 4"
site_sizes="10000 100000"

has() { case "$phases" in *" $1 "*) return 0 ;; esac; return 1; }
ctl() { echo "$1" >"$dbg/control" || echo "note control '$1' failed"; }
dump() { sed -n "s/^/statusdump $1 /p" "$dbg/status" | grep -E ' (drop|probe|untracked|memory_bytes|regions|sites|walk|frames|unwind_[a-z_]*|unwind) '; }
run() { echo "config $2"; "$bench" "$@" || echo "note anonbench $* failed"; }

echo 2000000 >/proc/sys/vm/max_map_count
echo 0 >/proc/sys/kernel/randomize_va_space
echo "note kernel $(uname -r)"
# The first runs after boot can be slowed by the kernel's own background
# work (seen on 7.2: 3x for a whole run): one discarded run, then idle.
"$bench" micro warmup >/dev/null
sleep 2

# 1-5 in every configuration; the cost per frame (depth 32, so that every
# frame is walked) and the first sight of new objects (default depth 16)
if has micro; then
	run micro none
	# shellcheck disable=SC2086
	run frames none $extra_frames
	# shellcheck disable=SC2086
	run first none $first_libs
	insmod "$ko" || { echo "note insmod failed"; exit 1; }
	ctl disable
	run micro disabled
	ctl enable
	for d in 1 4 16; do
		ctl "depth $d"
		ctl reset
		run micro "d$d"
		dump "d$d"
	done
	ctl "depth 32"
	ctl reset
	# shellcheck disable=SC2086
	run frames d32 $extra_frames
	dump d32
	ctl "depth 16"
	ctl reset
	# shellcheck disable=SC2086
	run first d16 $first_libs
	dump first_d16
	rmmod anonstat || echo "note rmmod failed"
	run micro none_after
fi

# the walk step by step (not in the default phases): mmap4k alone without
# the module, then at depth 1..8 (its stack has 7 frames)
if has depths; then
	ANONBENCH_ONLY=mmap4k run micro wnone
	insmod "$ko" || { echo "note insmod failed"; exit 1; }
	for d in 1 2 3 4 5 6 7 8; do
		ctl "depth $d"
		ctl reset
		ANONBENCH_ONLY=mmap4k run micro "w$d"
	done
	rmmod anonstat || echo "note rmmod failed"
fi

# 6 (and 7 for regions): no module, then the module at depth 4
if has scale; then
	# shellcheck disable=SC2086
	run scale none $sizes
	insmod "$ko" max_regions=4000000 max_sites=1048576 depth=4 ||
		{ echo "note insmod failed"; exit 1; }
	# shellcheck disable=SC2086
	run scale d4 $sizes
	dump scale_d4
	rmmod anonstat || echo "note rmmod failed"
fi

# 7 for sites, and memory per site
if has sites; then
	insmod "$ko" max_regions=4000000 max_sites=1048576 depth=4 ||
		{ echo "note insmod failed"; exit 1; }
	# shellcheck disable=SC2086
	run sites d4 $site_sizes
	dump sites_d4
	rmmod anonstat || echo "note rmmod failed"
fi

# the bpftrace equivalent, for 1-5
if has bpftrace; then
	export BPFTRACE_MAP_KEYS_MAX=65536
	bpftrace "$dir/anonstat.bt" >/tmp/bpftrace.log 2>&1 &
	bt=$!
	# ready when all its probes are in the kprobe list (bpftrace prints
	# "Attaching" before it attaches them)
	want=$(grep -cE '^k(ret)?probe:' "$dir/anonstat.bt")
	n=0 ready=0
	while kill -0 "$bt" 2>/dev/null && [ $n -lt 900 ]; do
		if [ "$(grep -c . /sys/kernel/debug/kprobes/list 2>/dev/null)" -ge "$want" ]; then
			ready=1
			break
		fi
		sleep 1
		n=$((n + 1))
	done
	if [ "$ready" = 1 ]; then
		sleep 1
		echo "note bpftrace ready after ${n}s: $(head -n1 /tmp/bpftrace.log)"
		run micro bpftrace
		kill -INT "$bt"
		wait "$bt"
	else
		echo "note bpftrace did not start; its output:"
		kill "$bt" 2>/dev/null
		sed 's/^/note   /' /tmp/bpftrace.log | head -n 40
	fi
fi
echo "done"
