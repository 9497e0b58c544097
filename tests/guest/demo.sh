#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# demo.sh - what `make demo` shows inside the VM.
D=/sys/kernel/debug/anonstat
echo "== anonstat.ko is loaded:"
grep '^anonstat ' /proc/modules
echo
echo "== $D/status before a workload:"
cat $D/status
echo
echo "== running: anon_mmap 1000   (1000 anonymous mmap + munmap pairs)"
anon_mmap 1000
echo
echo "== anontop -b:"
anontop -b
