#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# demo.sh - what `make demo` shows inside the VM (installed in the guest as
# /usr/local/bin/anontop_demo.sh): a program with the UCX leak of the
# README, and anontop finding the leaking call site by name.
D=/sys/kernel/debug/anonstat
say() { printf '%s\n' "$@"; }
# frames_of NAME: the frames of the first site named NAME+... in one JSON
# document of anontop on stdin, one a line: "#K ADDRESS object!symbol+0xOFF"
frames_of() {
	tr '{' '\n' | awk -v want="$1" '
	function field(k,   v) {
		if (!match($0, "\"" k "\":(\"[^\"]*\"|[^,}]*)"))
			return ""
		v = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
		gsub(/"/, "", v)
		return v
	}
	!on && index($0, "\"name\":\"" want "+") { on = 1; next }
	on && /^"addr":/ {
		mod = field("module"); sym = field("symbol")
		sub(/.*\//, "", mod)
		if (mod == "null") mod = "?"
		printf "   #%-2d %s  %s%s+0x%x\n", n++, field("addr"), mod,
			sym == "null" ? "" : "!" sym, field("offset")
	}
	on && /\]\}/ { exit }'
}

say "== anonstat.ko is loaded:" "$(grep '^anonstat ' /proc/modules)"
say "   $(grep -E '^(version|kernel|enabled|depth) ' $D/status | tr '\n' ' ')"
say ""
say "== The program: ucx_leak (userspace/demo/ucx_leak.c), under UCX's memory"
say "   hooks: Debian's libucm (UCX 1.13) patches libc's mmap and munmap and"
say "   makes the system calls itself, through syscall().  Its \"progress\""
say "   thread (ucx_progress) maps, registers and unmaps 256 KiB buffers: each"
say "   munmap calls, inside libucm's hook, the program's handler (like UCX's"
say "   registration cache), which queues an entry in a pool that grows by a"
say "   64 KiB chunk, mapped with ucm_orig_mmap() and never freed: the leak,"
say "   in rcache_chunk_alloc().  Its main thread keeps 4 MiB of glibc"
say "   malloc()s and frees a 512 KiB one every cycle: balanced.  Nothing has"
say "   frame pointers: anonstat walks the stacks by their call frame info."
ucx_leak -i 100 >/tmp/ucx_leak.log 2>&1 &
pid=$!
sleep 1
say ""
say "== anontop -b -n 5 -d 1 --sites -s growth -p $pid"
say "   One block a second.  The process line: LIVE is what its anonymous"
say "   mappings hold, GROWTH/s how fast that changes.  Below it, its call"
say "   sites, fastest-growing first: NAME is the first frame outside libc's"
say "   mmap/syscall wrappers and libucm's hooks (object!function+offset), LEAK"
say "   is \"yes\" once the site's live bytes grew in each of the last 3"
say "   samples.  The leak is the top site, ucx_leak!rcache_chunk_alloc; the"
say "   buffers (ucx_leak!progress_cycle), glibc and thread stack sites hold"
say "   memory too, or none, but do not grow.  The brk sites named by a bare"
say "   address are the shell's, from before it exec'ed ucx_leak."
say ""
anontop -b -n 5 -d 1 --sites -s growth -p "$pid"
rc=$?
say ""
say "== The leaking site's whole stack (anontop -o json --sites, its frames):"
say "   #0 in libc's syscall(), libucm's raw syscall wrapper, the pool's chunk"
say "   allocation and the handler libucm called from its munmap hook, then"
say "   the munmap of the progress thread's buffer."
anontop -b -o json --sites -p "$pid" -n 1 | frames_of 'ucx_leak!rcache_chunk_alloc'
kill "$pid"
wait "$pid"
say "== ucx_leak said: $(tail -n 1 /tmp/ucx_leak.log)"
say ""
say "Scripts get the same as JSON Lines: anontop -o json --sites (anontop(8))."
say "Try it interactively: tests/vm/run --shell, then anontop (Enter on a"
say "process shows its call sites and their frames; h for help)."
exit $rc
