#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# demo.sh - what `make demo` shows inside the VM (installed in the guest as
# /usr/local/bin/anontop_demo.sh): a program with the UCX leak of the
# README, and anontop finding the leaking call site by name.
D=/sys/kernel/debug/anonstat
say() { printf '%s\n' "$@"; }

say "== anonstat.ko is loaded:" "$(grep '^anonstat ' /proc/modules)"
say "   $(grep -E '^(version|kernel|enabled|depth) ' $D/status | tr '\n' ' ')"
say ""
say "== The program: ucx_leak (userspace/demo/ucx_leak.c)"
say "   Its \"progress\" thread (ucx_progress) maps and unmaps 256 KiB buffers"
say "   through libucmdemo.so, a UCX-like library that calls syscall(SYS_mmap)"
say "   directly (heap profilers see nothing), and every unmap leaks one 64 KiB"
say "   pool chunk, in ucm_pool_grow().  Its main thread keeps 4 MiB of glibc"
say "   malloc()s and frees a 512 KiB one every cycle: balanced."
ucx_leak -i 100 >/tmp/ucx_leak.log 2>&1 &
pid=$!
sleep 1
say ""
say "== anontop -b -n 5 -d 1 --sites -s growth -p $pid"
say "   One block a second.  The process line: LIVE is what its anonymous"
say "   mappings hold, GROWTH/s how fast that changes.  Below it, its call"
say "   sites, fastest-growing first: NAME is the first frame outside libc's"
say "   mmap/syscall wrappers (object!function+offset), LEAK is \"yes\" once"
say "   the site's live bytes grew in each of the last 3 samples.  The leak"
say "   is the top site, libucmdemo.so!ucm_pool_grow; the glibc and thread"
say "   stack sites hold memory too, but do not grow.  The brk sites named"
say "   by a bare address are the shell's, from before it exec'ed ucx_leak."
say ""
anontop -b -n 5 -d 1 --sites -s growth -p "$pid"
rc=$?
kill "$pid"
wait "$pid"
say "== ucx_leak said: $(tail -n 1 /tmp/ucx_leak.log)"
say ""
say "Scripts get the same as JSON Lines: anontop -o json --sites (anontop(8))."
say "Try it interactively: tests/vm/run --shell, then anontop (Enter on a"
say "process shows its call sites and their frames; h for help)."
exit $rc
