# SPDX-License-Identifier: GPL-2.0
# anonstat - top-level build.
#
#   make              anonstat.ko against $(KDIR) and the userspace tools
#   make check        host unit tests, the guest suite on every VM kernel
#                     and the stress campaign (check-stress)
#   make check-stress the reliability campaign (tests/stress/) on every VM
#                     kernel and on a lockdep+KASAN+kmemleak 6.1 kernel
#   make demo         boot a VM, load the module, show what it sees
#   make bench        guest benchmarks vs bpftrace -> bench/RESULTS.md
#                     (needs bpftrace)
#   make clean        back to the tree as checked out
#
# KDIR is the kernel build tree; on a host that has no headers for the
# running kernel the module is skipped (with one line saying so).

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= 5.10 6.1 6.12 7.2
BENCH_KERNELS ?= 6.1 7.2

.PHONY: all module userspace guest-programs stress-programs check \
	check-host check-vm check-stress bench demo clean help

all: module userspace

module:
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules; \
	else \
		echo "anonstat: no kernel build tree at $(KDIR) (install linux-headers-$$(uname -r) or set KDIR=); building userspace only"; \
	fi

userspace:
	$(MAKE) -C userspace

guest-programs:
	$(MAKE) -C tests/guest

stress-programs:
	$(MAKE) -C tests/stress

check: userspace guest-programs stress-programs
	tests/run-all --stress $(KERNELS)

check-host: userspace
	$(MAKE) -C userspace check

check-vm: userspace guest-programs
	tests/run-all --no-host $(KERNELS)

check-stress: userspace guest-programs stress-programs
	tests/stress/run $(KERNELS) 6.1-debug

bench: userspace
	bench/run $(BENCH_KERNELS)

demo: userspace guest-programs
	tests/vm/demo

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean; fi
	rm -f anonstat.ko anonstat.mod anonstat.mod.c anonstat.mod.o anonstat.o \
		modules.order Module.symvers .*.cmd module/*.o module/.*.cmd
	rm -rf .tmp_versions
	$(MAKE) -C userspace clean
	$(MAKE) -C tests/guest clean
	$(MAKE) -C tests/stress clean
	$(MAKE) -C bench clean

help:
	@sed -n '2,15p' Makefile
