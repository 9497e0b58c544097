# SPDX-License-Identifier: GPL-2.0
# tests/vm/lib.sh - kernel matrix: resolve, download and cache Debian kernels
# and build anonstat.ko for each of them.  Sourced by tests/vm/kernels and
# tests/vm/run; needs bash.
#
# Nothing from another Debian release is installed into the host.  Each
# series gets a private apt root in the cache (its own sources list, lists
# and archives), packages are fetched with `apt-get download` and unpacked
# with `dpkg-deb -x`.  Headers that need another release's compiler are
# used inside a chroot of that release made by mmdebstrap.
#
# Cache layout ($ANONSTAT_CACHE, default ~/.cache/anonstat):
#   apt/SERIES/            private apt root (lists refreshed once a day)
#   kernels/REL/vmlinuz    kernel image of release REL
#   kernels/REL/root/      unpacked headers (host-built series only)
#   chroots/SUITE/         build chroots (bullseye, sid)
#   build/REL/             module build directory and anonstat.ko
#   apt/SERIES-arm64/      private apt root of an arm64 series (arm64 + amd64)
#   arm64/busybox          busybox-static:arm64 for the arm64 guests
#   arm64/gdb/             gdb-minimal:arm64 and its dependencies, unpacked
#   arm64/sysroot/         anontop's arm64 -dev packages and their dependencies, unpacked
#   ccache/                ccache's directory for the debug kernel's builds

ANONSTAT_CACHE=${ANONSTAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anonstat}
VM_SERIES_ALL="5.10 6.1 6.12 7.2"
VM_SERIES_DEBUG="6.1-debug"
# Debian's PREEMPT_RT kernel of 6.1, where the module must refuse to load
VM_SERIES_RT="6.1-rt"
# Guest architecture (tests/vm/run --arch): amd64, or arm64 for the series
# in VM_SERIES_ARM64.  arm64 kernels are Debian's, and the module is
# cross-built on the host with gcc-aarch64-linux-gnu (bookworm's gcc-12,
# the compiler of both series) against their headers, whose kbuild tools
# come from the amd64 build of the linux-kbuild package they depend on.
VM_ARCH=${VM_ARCH:-amd64}
VM_SERIES_ARM64="6.1 6.12"

vm_log() { printf '[vm] %s\n' "$*" >&2; }

# vm_need GROUP...: the Debian packages of GROUP in tests/packages,
# installed when missing (tests/need); dies with its one line otherwise
vm_need() {
	"$(dirname "${BASH_SOURCE[0]}")/../need" "$@" || exit 1
}
vm_die() { printf '[vm] error: %s\n' "$*" >&2; exit 1; }

# series -> suites searched for its newest ABI, and how its headers build
vm_series_suites() {
	case "$1" in
	5.10) echo "bullseye bullseye-security" ;;
	6.1) echo "bookworm bookworm-security" ;;
	6.12) echo "bookworm-backports bookworm-security" ;;
	7.2) echo "sid" ;;
	6.1-debug | 6.1-rt) echo "bookworm bookworm-security" ;;
	*) return 1 ;;
	esac
}

# "host", "debug" (a kernel built here) or the suite of the chroot whose compiler built that kernel
vm_series_builder() {
	if [ "$VM_ARCH" = arm64 ]; then
		echo cross
		return
	fi
	case "$1" in
	5.10) echo bullseye ;;
	6.1 | 6.12 | 6.1-rt) echo host ;;
	7.2) echo sid ;;
	6.1-debug) echo debug ;;
	*) return 1 ;;
	esac
}

vm_check_series() {
	case "$VM_ARCH" in
	amd64) ;;
	arm64)
		case " $VM_SERIES_ARM64 " in
		*" $1 "*) ;;
		*) vm_die "kernel series '$1' is not built for arm64 (arm64: $VM_SERIES_ARM64)" ;;
		esac
		;;
	*) vm_die "unknown architecture '$VM_ARCH' (known: amd64 arm64)" ;;
	esac
	vm_series_suites "$1" >/dev/null ||
		vm_die "unknown kernel series '$1' (known: $VM_SERIES_ALL $VM_SERIES_DEBUG $VM_SERIES_RT)"
}

# The Debian mirrors are taken from the host's apt sources at run time, so
# that no registry host name is written into the project.
vm_mirror() {
	local kind=$1 uri
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -oE '(https?|file)://[^ ]+' |
		sed 's,/*$,,' | grep -E "/$kind\$" | head -n1)
	[ -n "$uri" ] || vm_die "no '$kind' mirror in the host's apt sources"
	echo "$uri"
}

# vm_sources_lines SUITE... : one-line-style apt sources for these suites
vm_sources_lines() {
	local s main sec
	main=$(vm_mirror debian)
	sec=$(vm_mirror debian-security)
	for s in "$@"; do
		case "$s" in
		*-security) echo "deb $sec $s main" ;;
		*) echo "deb $main $s main" ;;
		esac
	done
}

# The private apt root of a series for VM_ARCH.  An arm64 root also knows
# amd64 packages: the host runs the kbuild tools.
vm_apt_root() {
	local series=${1%-debug}
	series=${series%-rt}
	if [ "$VM_ARCH" = arm64 ]; then
		echo "$ANONSTAT_CACHE/apt/$series-arm64"
	else
		echo "$ANONSTAT_CACHE/apt/$series"
	fi
}

vm_apt_opts() {
	local root archs=amd64
	root=$(vm_apt_root "$1")
	[ "$VM_ARCH" = arm64 ] && archs=arm64,amd64
	printf '%s\n' -o "Dir::Etc::SourceList=$root/sources.list" \
		-o "Dir::Etc::SourceParts=$root/sources.list.d" \
		-o "Dir::Etc::Preferences=$root/preferences" \
		-o "Dir::Etc::PreferencesParts=$root/preferences.d" \
		-o "Dir::State=$root/state" -o "Dir::Cache=$root/cache" \
		-o "Dir::State::status=$root/state/status" \
		-o "Acquire::Check-Valid-Until=false" \
		-o "Acquire::Languages=none" \
		-o "APT::Architecture=$VM_ARCH" -o "APT::Architectures=$archs" \
		-o "Debug::NoLocking=true" -o "APT::Sandbox::User=root"
}

vm_apt() {
	local series=$1 tool=$2
	shift 2
	local opts
	mapfile -t opts < <(vm_apt_opts "$series")
	"$tool" "${opts[@]}" "$@"
}

# Make (or refresh, once a day) the private apt root of a series.
vm_apt_update() {
	local series=${1%-debug} root stamp
	series=${series%-rt}
	root=$(vm_apt_root "$1")
	stamp=$root/updated
	if [ -f "$stamp" ] && [ -z "${ANONSTAT_REFRESH:-}" ] &&
		[ -z "$(find "$stamp" -mmin +1440)" ]; then
		return 0
	fi
	mkdir -p "$root/sources.list.d" "$root/preferences.d" \
		"$root/state/lists/partial" "$root/cache/archives/partial"
	touch "$root/state/status" "$root/preferences"
	# shellcheck disable=SC2046
	vm_sources_lines $(vm_series_suites "$series") |
		sed 's,^deb ,deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ,' \
			>"$root/sources.list"
	vm_log "apt lists for $series ($VM_ARCH): $(vm_series_suites "$series")"
	vm_apt "$series" apt-get -qq update >&2 ||
		vm_die "apt-get update failed for series $series"
	touch "$stamp"
}

# Newest kernel ABI of a series for VM_ARCH, e.g. 6.1.0-56-amd64 (for
# SERIES-rt, Debian's PREEMPT_RT flavour: 6.1.0-56-rt-amd64)
vm_resolve_release() {
	local series=${1%-rt} flavour=$VM_ARCH re
	[ "$series" = "$1" ] || flavour=rt-$VM_ARCH
	re="^linux-headers-${series//./\\.}\\.[0-9]+(-[0-9]+|\\+deb[0-9]+)-$flavour\$"
	vm_apt "$series" apt-cache pkgnames linux-headers- | grep -E "$re" |
		sed 's/^linux-headers-//' | sort -V | tail -n1
}

# vm_pkg_depends SERIES PKG REGEX: names among PKG's Depends matching REGEX
vm_pkg_depends() {
	vm_apt "$1" apt-cache show --no-all-versions "$2" |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed 's/^ *//; s/ .*//' | grep -E "$3"
}

vm_download() {
	local series=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	(cd "$dir" && vm_apt "$series" apt-get -qq download "$@" >&2) ||
		vm_die "apt-get download $* failed"
}

# Fetch the kernel image of REL into kernels/REL/vmlinuz.
vm_fetch_image() {
	local series=$1 rel=$2 kdir=$ANONSTAT_CACHE/kernels/$2 pkg path tmp
	[ -s "$kdir/vmlinuz" ] && { [ "$VM_ARCH" = amd64 ] || [ -f "$kdir/kmod/.complete" ]; } &&
		return 0
	tmp=$kdir/dl
	rm -rf "$tmp"
	if vm_apt "$series" apt-cache show "linux-binary-unsigned-$rel" \
		>/dev/null 2>&1; then
		# new packaging (7.x): vmlinuz lives under /usr/lib/modules
		pkg=linux-binary-unsigned-$rel
		path=./usr/lib/modules/$rel/vmlinuz.unsigned
	else
		pkg=linux-image-$rel-unsigned
		path=./boot/vmlinuz-$rel
	fi
	vm_log "downloading $pkg"
	vm_download "$series" "$tmp" "$pkg"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -xO "$path" >"$kdir/vmlinuz.part" ||
		vm_die "no $path in $pkg"
	mv "$kdir/vmlinuz.part" "$kdir/vmlinuz"
	[ "$VM_ARCH" = arm64 ] && vm_extract_kmods "$tmp"/*.deb "$kdir/kmod"
	rm -rf "$tmp"
}

# vm_extract_kmods DEB DIR: the modules an arm64 guest loads first from
# the kernel package DEB, uncompressed, into DIR, with DIR/order listing
# them dependencies first.  QEMU's virt board has one UART (the kernel
# console); the guest's terminal is a virtio console and its result
# channel a virtio serial port, and Debian builds virtio-mmio (and, in
# 6.1, the virtio console driver) as modules.
vm_extract_kmods() {
	local deb=$1 dir=$2 tmp=$2.tmp f
	rm -rf "$dir" "$tmp" && mkdir -p "$dir" "$tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards \
		'*/kernel/drivers/virtio/*' '*/kernel/drivers/char/*' ||
		vm_die "cannot unpack the modules of $deb"
	find "$tmp" -name 'virtio*.ko*' | while read -r f; do
		case "$f" in
		*.xz) xz -dc "$f" >"$dir/$(basename "$f" .xz)" ;;
		*.zst) zstd -qdc "$f" >"$dir/$(basename "$f" .zst)" ;;
		*) cp "$f" "$dir/" ;;
		esac || vm_die "cannot unpack $f"
	done
	rm -rf "$tmp"
	# the modules the guest loads, each after its dependencies (the
	# package has no modules.dep: depmod makes it at install); those
	# built into the kernel are not there
	vm_kmod_order "$dir" virtio_mmio virtio_console >"$dir/order.part" ||
		vm_die "cannot order the modules in $dir"
	mv "$dir/order.part" "$dir/order"
	touch "$dir/.complete"
}

# vm_kmod_order DIR MODULE...: MODULE... and their dependencies found in
# DIR, dependencies first
vm_kmod_order() {
	local dir=$1 m d
	shift
	for m in "$@"; do
		[ -f "$dir/$m.ko" ] || continue
		for d in $(modinfo -F depends "$dir/$m.ko" | tr ',' ' '); do
			vm_kmod_order "$dir" "$d"
		done
		echo "$m.ko"
	done | awk '!seen[$0]++'
}

# Unpack the headers of a host-built release under kernels/REL/root.
vm_fetch_headers_host() {
	local series=$1 rel=$2 kdir=$ANONSTAT_CACHE/kernels/$2 deps
	[ -f "$kdir/root/.complete" ] && return 0
	rm -rf "$kdir/root" "$kdir/hdl"
	deps=$(vm_pkg_depends "$series" "linux-headers-$rel" \
		'^linux-(headers-.*-common|kbuild-)')
	# cross builds run the amd64 kbuild tools (fixdep, modpost; same
	# ELF class and byte order as arm64, so modpost reads the objects)
	[ "$VM_ARCH" = arm64 ] && deps=$(sed 's/^\(linux-kbuild-.*\)$/\1:amd64/' <<<"$deps")
	vm_log "downloading headers for $rel"
	# shellcheck disable=SC2086
	vm_download "$series" "$kdir/hdl" "linux-headers-$rel" $deps
	local f
	for f in "$kdir"/hdl/*.deb; do
		dpkg-deb -x "$f" "$kdir/root" || vm_die "dpkg-deb -x $f failed"
	done
	rm -rf "$kdir/hdl"
	touch "$kdir/root/.complete"
}

# vm_fetch_file SERIES PKG PATH DEST: the file PATH of package PKG (from
# SERIES' apt root) at DEST, unless DEST is there already.
vm_fetch_file() {
	local series=$1 pkg=$2 path=$3 dest=$4
	[ -s "$dest" ] && return 0
	vm_apt_update "$series"
	rm -rf "$dest.dl"
	vm_log "downloading $pkg"
	vm_download "$series" "$dest.dl" "$pkg"
	dpkg-deb --fsys-tarfile "$dest.dl"/*.deb | tar -xO "$path" >"$dest.part" ||
		vm_die "no $path in $pkg"
	mv "$dest.part" "$dest"
	rm -rf "$dest.dl"
}

# busybox-static:arm64 (bookworm's) at arm64/busybox for the arm64 guests.
vm_fetch_busybox_arm64() {
	local bb=$ANONSTAT_CACHE/arm64/busybox
	vm_fetch_file 6.1 busybox-static:arm64 ./bin/busybox "$bb"
	chmod +x "$bb"
}

# gdb for the arm64 guests, unwind_check's unwinder there (bookworm's
# libdw, eu-stack's, neither removes pointer authentication codes nor
# unwinds the vDSO's sigreturn trampoline): bookworm's gdb-minimal:arm64
# and what it depends on, as apt resolves it in the private arm64 root,
# downloaded and unpacked under arm64/gdb (never installed).  The list of
# packages and versions is kept in arm64/gdb/.complete: a new one (a
# stable update) is fetched again.
vm_fetch_gdb_arm64() {
	local dir=$ANONSTAT_CACHE/arm64/gdb f pkgs
	vm_apt_update 6.1
	pkgs=$(vm_apt 6.1 apt-get -s -qq install --no-install-recommends gdb-minimal:arm64 |
		sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\([a-z0-9]*\)\])$/\1:\3=\2/p' | sort)
	[ -n "$pkgs" ] || vm_die "apt cannot resolve gdb-minimal:arm64"
	[ "$(cat "$dir/.complete" 2>/dev/null)" = "$pkgs" ] && return 0
	rm -rf "$dir" "$dir.dl"
	vm_log "downloading gdb-minimal:arm64 and its $(($(wc -l <<<"$pkgs") - 1)) dependencies"
	# shellcheck disable=SC2086
	vm_download 6.1 "$dir.dl" $pkgs
	for f in "$dir.dl"/*.deb; do
		dpkg-deb -x "$f" "$dir" || vm_die "dpkg-deb -x $f failed"
	done
	rm -rf "$dir.dl"
	[ -x "$dir/usr/bin/gdb" ] || vm_die "no usr/bin/gdb in gdb-minimal:arm64"
	echo "$pkgs" >"$dir/.complete"
}

# The sysroot anontop and the demo are cross-built against for the arm64
# guests (userspace/Makefile, ARCH=arm64; tests/vm/arm64-sysroot): the
# packages of the group arm64-sysroot of tests/packages as bookworm's arm64
# packages, and what they depend on (libc6-dev, zlib, liblzma, libbz2,
# libzstd, libtinfo, ...), as apt resolves them in the private arm64 root
# of 6.1, downloaded and unpacked under arm64/sysroot (never installed).
# Absolute symbolic links are made relative to the sysroot.  The list of
# packages and versions is kept in arm64/sysroot/.complete (touched when
# it is still the same): a new one is fetched again.  Prints the sysroot.
vm_fetch_sysroot_arm64() {
	local VM_ARCH=arm64 dir=$ANONSTAT_CACHE/arm64/sysroot f pkgs want l t
	want=$("$(dirname "${BASH_SOURCE[0]}")/../need" --list arm64-sysroot | sed 's/$/:arm64/' |
		tr '\n' ' ') || vm_die "no group arm64-sysroot in tests/packages"
	vm_apt_update 6.1
	# shellcheck disable=SC2086 # a list of package names
	pkgs=$(vm_apt 6.1 apt-get -s -qq install --no-install-recommends $want |
		sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\([a-z0-9]*\)\]).*$/\1:\3=\2/p' | sort)
	[ -n "$pkgs" ] || vm_die "apt cannot resolve $want"
	if [ "$(cat "$dir/.complete" 2>/dev/null)" = "$pkgs" ]; then
		touch "$dir/.complete"
		echo "$dir"
		return 0
	fi
	rm -rf "$dir" "$dir.dl"
	vm_log "downloading the arm64 sysroot: ${want}and $(($(wc -l <<<"$pkgs") - $(wc -w <<<"$want"))) dependencies"
	# shellcheck disable=SC2086
	vm_download 6.1 "$dir.dl" $pkgs
	for f in "$dir.dl"/*.deb; do
		dpkg-deb -x "$f" "$dir" || vm_die "dpkg-deb -x $f failed"
	done
	rm -rf "$dir.dl"
	find "$dir" -type l -lname '/*' | while read -r l; do
		t=$(readlink "$l")
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dir$t")" "$l"
	done
	echo "$pkgs" >"$dir/.complete"
	echo "$dir"
}

# Make the build chroot of SUITE holding the headers of REL and dkms (for
# tests/host/packaging.sh; a chroot cached before it had none gets it here).
vm_prepare_chroot() {
	local suite=$1 rel=$2 series=$3 dir=$ANONSTAT_CACHE/chroots/$1 want=
	if [ -f "$dir/.complete" ]; then
		[ -d "$dir/usr/src/linux-headers-$rel" ] || want=" linux-headers-$rel"
		[ -x "$dir/usr/sbin/dkms" ] || want="$want dkms"
		[ -n "$want" ] || return 0
		vm_log "installing$want into the $suite chroot"
		vm_chroot "$dir" sh -c "apt-get -qq update &&
			DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends $want" >&2 ||
			vm_die "cannot install$want in $dir"
		return 0
	fi
	vm_need matrix
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	vm_log "creating the $suite build chroot (mmdebstrap)"
	local -a mirrors
	# shellcheck disable=SC2046
	mapfile -t mirrors < <(vm_sources_lines $(vm_series_suites "$series"))
	mmdebstrap --quiet --variant=minbase \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--include="linux-headers-$rel,make,dkms" \
		"$suite" "$dir" "${mirrors[@]}" >&2 ||
		vm_die "mmdebstrap $suite failed"
	touch "$dir/.complete"
}

# vm_chroot DIR CMD...: run CMD in chroot DIR with /proc mounted, in a
# private mount namespace so nothing stays mounted afterwards.
vm_chroot() {
	local dir=$1
	shift
	unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
		"$dir" "$@"
}

# vm_prepare SERIES: download what the series needs; prints its release.
vm_prepare() {
	local series=$1 rel builder
	vm_check_series "$series"
	if [ "$(vm_series_builder "$series")" = debug ]; then
		vm_prepare_debug
		return
	fi
	vm_apt_update "$series"
	rel=$(vm_resolve_release "$series")
	[ -n "$rel" ] || vm_die "no linux-headers-$series.* in $(vm_series_suites "$series")"
	mkdir -p "$ANONSTAT_CACHE/kernels/$rel"
	vm_fetch_image "$series" "$rel"
	builder=$(vm_series_builder "$series")
	if [ "$builder" = host ]; then
		vm_fetch_headers_host "$series" "$rel"
	elif [ "$builder" = cross ]; then
		vm_fetch_headers_host "$series" "$rel"
		vm_fetch_busybox_arm64
		vm_fetch_gdb_arm64
	else
		vm_prepare_chroot "$builder" "$rel" "$series"
	fi
	echo "$rel"
}

# The directory of the debug kernel build for the current config fragment
# and linux-source-6.1 version.
vm_debug_dir() {
	local here key
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	key=$( (cat "$here/debug.config"; ls -l --time-style=+%s "$(vm_linux_source)") |
		md5sum | cut -c1-10)
	echo "$ANONSTAT_CACHE/debug/6.1-$key"
}

# Build the 6.1 debug kernel (lockdep, KASAN, kmemleak, failslab) from
# Debian's linux-source-6.1 with tests/vm/debug.config; prints its release.
vm_prepare_debug() {
	local here dir src opt t0
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	vm_apt_update 6.1-debug
	dir=$(vm_debug_dir)
	if [ ! -f "$dir/.complete" ]; then
		vm_need debug-kernel
		t0=$SECONDS
		rm -rf "$dir" && mkdir -p "$dir"
		src=$dir/src
		mkdir -p "$src"
		vm_log "building the 6.1 debug kernel in $dir (a few minutes)"
		tar -xJf "$(vm_linux_source)" -C "$src" --strip-components=1 ||
			vm_die "cannot unpack linux-source-6.1"
		(
			cd "$src" &&
				make -s tinyconfig &&
				scripts/kconfig/merge_config.sh -m .config "$here/debug.config" >/dev/null &&
				make -s olddefconfig
		) >"$dir/config.log" 2>&1 || { cat "$dir/config.log" >&2; vm_die "debug config failed"; }
		while read -r opt; do
			case "$opt" in
			CONFIG_*=*) grep -qx "$opt" "$src/.config" ||
				vm_die "debug kernel: $opt did not stick" ;;
			esac
		done <"$here/debug.config"
		# through ccache (in the debug-kernel group): the clean-chroot
		# test (tests/host/fresh.sh) builds this kernel again, at the same
		# path with the same compiler, from the same cache directory
		(cd "$src" && export PATH="/usr/lib/ccache:$PATH" \
			CCACHE_DIR="$ANONSTAT_CACHE/ccache" &&
			make -j"$(nproc)" bzImage && make modules_prepare) \
			>"$dir/build.log" 2>&1 || { tail -40 "$dir/build.log" >&2; vm_die "debug kernel build failed"; }
		(cd "$src" && make -s kernelrelease) >"$dir/release"
		vm_log "debug kernel $(cat "$dir/release") built in $((SECONDS - t0)) s"
		touch "$dir/.complete"
	fi
	local rel
	rel=$(cat "$dir/release")
	mkdir -p "$ANONSTAT_CACHE/kernels/$rel"
	ln -sf "$dir/src/arch/x86/boot/bzImage" "$ANONSTAT_CACHE/kernels/$rel/vmlinuz"
	echo "$rel"
}

# vm_build_module SERIES REL SRCDIR: build anonstat.ko from the module
# sources in SRCDIR (Kbuild + module/) for REL; prints the .ko path.
vm_build_module() {
	local series=$1 rel=$2 src=$3 builder bdir log
	local tree f name
	builder=$(vm_series_builder "$series")
	# one build directory per kernel and source tree
	tree=$(realpath "$src" | md5sum | cut -c1-8)
	if [ "$builder" = host ] || [ "$builder" = debug ] || [ "$builder" = cross ]; then
		bdir=$ANONSTAT_CACHE/build/$rel-$tree
	else
		bdir=$ANONSTAT_CACHE/chroots/$builder/build/$rel-$tree
	fi
	mkdir -p "$bdir/module"
	# Copy the kbuild inputs that changed (a fresh mtime makes make
	# rebuild them) and drop the ones that went; objects stay, so
	# rebuilds are incremental.
	for f in "$src/Kbuild" "$src"/module/*.[ch]; do
		name=${f#"$src"/}
		cmp -s "$f" "$bdir/$name" || cp "$f" "$bdir/$name"
	done
	for f in "$bdir"/module/*.[ch]; do
		[ -e "$f" ] || continue
		[ -e "$src/module/${f##*/}" ] || rm -f "$f"
	done
	log=$bdir/build.log
	if [ "$builder" = debug ]; then
		make -C "$(vm_debug_dir)/src" M="$bdir" modules >"$log" 2>&1
	elif [ "$builder" = host ] || [ "$builder" = cross ]; then
		local root=$ANONSTAT_CACHE/kernels/$rel/root
		local -a cross=()
		[ "$builder" = cross ] && cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
		# The headers' Makefile includes an absolute /usr/src path and
		# their relative links lead to ../../lib/linux-kbuild-*: show
		# the unpacked trees at /usr/src through links, in a private
		# mount namespace.
		unshare -m sh -c 'mount -t tmpfs none /usr/src &&
			ln -s "$0"/usr/src/* /usr/src/ &&
			rel=$1 bdir=$2 && shift 2 &&
			exec make -C "/usr/src/linux-headers-$rel" M="$bdir" "$@" modules' \
			"$root" "$rel" "$bdir" "${cross[@]}" >"$log" 2>&1
	else
		vm_chroot "$ANONSTAT_CACHE/chroots/$builder" \
			make -C "/usr/src/linux-headers-$rel" M="/build/${bdir##*/}" modules \
			>"$log" 2>&1
	fi || {
		cat "$log" >&2
		vm_die "module build failed for $rel"
	}
	grep -E 'warning|error' "$log" >&2 || true
	echo "$bdir/anonstat.ko"
}

# vm_linux_source: the linux-source-6.1 tarball of bookworm (for
# checkpatch.pl and the debug kernel); prints its path.
vm_linux_source() {
	local tar=$ANONSTAT_CACHE/src/linux-source-6.1.tar.xz
	vm_fetch_file 6.1 linux-source-6.1 ./usr/src/linux-source-6.1.tar.xz "$tar"
	echo "$tar"
}

# vm_checkpatch: path of checkpatch.pl from linux-source-6.1
vm_checkpatch() {
	local dir=$ANONSTAT_CACHE/checkpatch tar
	if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
		tar=$(vm_linux_source)
		rm -rf "$dir" && mkdir -p "$dir"
		tar -xJf "$tar" -C "$dir" --strip-components=1 \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch ||
			vm_die "cannot extract checkpatch.pl"
	fi
	echo "$dir/scripts/checkpatch.pl"
}
