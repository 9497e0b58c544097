# SPDX-License-Identifier: GPL-2.0
# anonstat - top-level build.
#
#   make              anonstat.ko against $(KDIR) and the userspace tools
#   make userspace-arm64  anontop and the demo cross-built for arm64 (Grace,
#                     GH200) into userspace/build/arm64/, against bookworm's
#                     arm64 libraries unpacked under ~/.cache/anonstat
#   make demo         boot a VM, load the module, show what it sees
#   make check        host unit tests, the guest shell under tmux, the
#                     guest suite on every VM kernel and on the arm64 ones
#                     (ARM64_KERNELS, under qemu-system-aarch64),
#                     check-packaging, check-fresh and the stress campaign
#                     (check-stress)
#   make check-stress the reliability campaign (tests/stress/) on every VM
#                     kernel and on a lockdep+KASAN+kmemleak 6.1 kernel
#   make check-fresh  make demo and the debug kernel in a clean bookworm
#                     chroot: proves tests/packages complete
#   make bench        guest benchmarks vs bpftrace -> bench/RESULTS.md
#   make clean        back to the tree as checked out
#   make install      anontop, its manual page and (with KDIR) anonstat.ko;
#                     PREFIX (/usr/local), DESTDIR; make uninstall undoes it
#   make dkms-install the module sources to /usr/src/anonstat-VERSION, then
#                     dkms add, build and install for KRELEASE; dkms-remove
#   make deb          anonstat-dkms and anontop .debs in build/deb/
#   make check-packaging  install, .deb and DKMS checks on every VM kernel,
#                     the modules DKMS built booted in VMs (tests/host/)
#
# demo, check*, bench, deb and check-packaging first install the Debian
# packages they need and miss (as root on Debian or Ubuntu: tests/need, from
# the one list in tests/packages), or say in one line which are missing.
#
# KDIR is the kernel build tree; on a host that has no headers for the
# running kernel the module is skipped (with one line saying so).  KRELEASE
# is the release KDIR was built for.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= 5.10 6.1 6.12 7.2
# Debian arm64 kernels the guest suite also runs on (tests/vm/run --arch arm64)
ARM64_KERNELS ?= 6.1 6.12
BENCH_KERNELS ?= 6.1 7.2
PACKAGING_CHROOT ?= 1
PACKAGING_VM ?= 1
# (UTS_RELEASE, what the module's vermagic says: on Debian 6.1 headers
# include/config/kernel.release holds the upstream version instead)
ifndef KRELEASE
KRELEASE := $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	"$(KDIR)/include/generated/utsrelease.h" 2>/dev/null | grep . || uname -r)
endif
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' "$(CURDIR)/dkms.conf")

# anontop reads root-only debugfs files and is documented in section 8:
# a system administration command, so sbin (FHS, Debian policy 9.1.1).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MAN8DIR ?= $(PREFIX)/share/man/man8
MODDIR = $(DESTDIR)/lib/modules/$(KRELEASE)/extra
DKMS_SRC = $(DESTDIR)/usr/src/anonstat-$(VERSION)
# extra dkms options, e.g. --kernelsourcedir=DIR or --installtree=DIR
DKMS_FLAGS ?=
DEB_DIR := build/deb

NEED = $(CURDIR)/tests/need

.PHONY: all module userspace userspace-arm64 guest-programs stress-programs check \
	check-host check-vm check-stress check-fresh bench demo clean help \
	install install-userspace install-module install-dkms-src uninstall \
	dkms-install dkms-remove deb check-packaging

all: module userspace

module:
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules; \
	else \
		echo "anonstat: no kernel build tree at $(KDIR) (install linux-headers-$$(uname -r) or set KDIR=); building userspace only"; \
	fi

userspace:
	$(MAKE) -C userspace

# (the arm64 guests' anontop: tests/vm/run --arch arm64 builds it too)
userspace-arm64:
	$(MAKE) -C userspace ARCH=arm64

guest-programs:
	$(MAKE) -C tests/guest

stress-programs:
	$(MAKE) -C tests/stress

# Each of these installs its packages before it builds anything, so it is
# a recipe (in order) rather than prerequisites (which make -j may reorder).
check:
	@$(NEED) check
	$(MAKE) userspace guest-programs stress-programs $(if $(ARM64_KERNELS),userspace-arm64)
	tests/run-all --stress --packaging --fresh --arm64 "$(ARM64_KERNELS)" $(KERNELS)

check-host:
	@$(NEED) unit
	$(MAKE) userspace
	$(MAKE) -C userspace check

check-vm:
	@$(NEED) matrix arm64
	$(MAKE) userspace guest-programs $(if $(ARM64_KERNELS),userspace-arm64)
	tests/run-all --no-host --arm64 "$(ARM64_KERNELS)" $(KERNELS)

check-stress:
	@$(NEED) matrix debug-kernel
	$(MAKE) userspace guest-programs stress-programs
	tests/stress/run $(KERNELS) 6.1-debug

# the clean-chroot proof that tests/packages is complete (tests/host/fresh.sh)
check-fresh:
	tests/host/fresh.sh

bench:
	@$(NEED) bench
	$(MAKE) userspace
	bench/run $(BENCH_KERNELS)

demo:
	@$(NEED) demo
	$(MAKE) userspace guest-programs
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
	@sed -n '2,/^$$/p' Makefile

install: install-userspace install-module

install-userspace:
	$(MAKE) -C userspace anontop
	install -d "$(DESTDIR)$(SBINDIR)" "$(DESTDIR)$(MAN8DIR)"
	install -m 0755 userspace/anontop "$(DESTDIR)$(SBINDIR)/anontop"
	install -m 0644 userspace/anontop.8 "$(DESTDIR)$(MAN8DIR)/anontop.8"

# depmod only for the live system: a DESTDIR is staged for a package or an
# image, whose own tools run depmod where it is installed.
install-module: module
	@if [ -d "$(KDIR)" ]; then \
		set -x; \
		install -d "$(MODDIR)" && \
		install -m 0644 anonstat.ko "$(MODDIR)/anonstat.ko" || exit 1; \
		if [ -z "$(DESTDIR)" ]; then depmod -a "$(KRELEASE)"; fi; \
	else \
		echo "anonstat: no kernel build tree at $(KDIR): anonstat.ko not installed"; \
	fi

# the files install put, and nothing else: directories stay, as they may
# be shared
uninstall:
	rm -f "$(DESTDIR)$(SBINDIR)/anontop" "$(DESTDIR)$(MAN8DIR)/anontop.8"
	@if [ -e "$(MODDIR)/anonstat.ko" ]; then \
		set -x; \
		rm -f "$(MODDIR)/anonstat.ko"; \
		if [ -z "$(DESTDIR)" ]; then depmod -a "$(KRELEASE)"; fi; \
	fi

# What DKMS (and kbuild under it) needs to build the module: no Makefile,
# dkms.conf calls kbuild with M= and kbuild reads Kbuild.
install-dkms-src:
	rm -rf "$(DKMS_SRC)"
	install -d "$(DKMS_SRC)/module"
	install -m 0644 Kbuild dkms.conf "$(DKMS_SRC)/"
	install -m 0644 module/*.c module/*.h "$(DKMS_SRC)/module/"

# Replaces an anonstat/VERSION already in DKMS with these sources.
dkms-install:
	@if [ -n "$$(dkms status $(DKMS_FLAGS) anonstat/$(VERSION))" ]; then \
		set -x; dkms remove $(DKMS_FLAGS) anonstat/$(VERSION) --all; fi
	$(MAKE) install-dkms-src DESTDIR=
	dkms add $(DKMS_FLAGS) anonstat/$(VERSION)
	dkms build $(DKMS_FLAGS) anonstat/$(VERSION) -k "$(KRELEASE)"
	dkms install $(DKMS_FLAGS) anonstat/$(VERSION) -k "$(KRELEASE)"

dkms-remove:
	@if [ -n "$$(dkms status $(DKMS_FLAGS) anonstat/$(VERSION))" ]; then \
		set -x; dkms remove $(DKMS_FLAGS) anonstat/$(VERSION) --all; fi
	rm -rf "/usr/src/anonstat-$(VERSION)"

# dpkg-buildpackage writes next to the source tree: build it in a copy
# under $(DEB_DIR) (the tree's tracked and new files, not its build
# outputs), so the .debs land in $(DEB_DIR).
deb:
	@$(NEED) deb
	@git rev-parse --git-dir >/dev/null 2>&1 || \
		{ echo "anonstat: make deb packages a git work tree; elsewhere run dpkg-buildpackage -us -uc" >&2; exit 1; }
	rm -rf "$(DEB_DIR)"
	mkdir -p "$(DEB_DIR)/anonstat-$(VERSION)"
	git ls-files -z --cached --others --exclude-standard -- \
		Makefile Kbuild dkms.conf README.md debian module userspace | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null -T - -cf - | tar -xf - -C "$(DEB_DIR)/anonstat-$(VERSION)"
	cd "$(DEB_DIR)/anonstat-$(VERSION)" && dpkg-buildpackage -us -uc
	@ls -1 "$(DEB_DIR)"/*.deb

# PACKAGING_CHROOT=0 leaves out the .debs in a chroot, PACKAGING_VM=0 the VMs
check-packaging:
	@$(NEED) packaging
	PACKAGING_KERNELS="$(KERNELS)" PACKAGING_CHROOT=$(PACKAGING_CHROOT) \
		PACKAGING_VM=$(PACKAGING_VM) tests/host/packaging.sh
