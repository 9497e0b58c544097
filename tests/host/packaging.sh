#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/host/packaging.sh - the ways anonstat is installed, checked on the
# host (and with PACKAGING_VM=1 the modules DKMS built, booted in VMs):
#   install   make install / make uninstall with DESTDIR and PREFIX, with
#             and without a kernel build tree (the cached 6.1 headers)
#   deb       make deb builds anonstat-dkms and anontop; lintian on them
#   dkms      make dkms-install / dkms-remove for each kernel series in
#             $PACKAGING_KERNELS (default "5.10 6.1 6.12 7.2"): 6.1 and 6.12
#             on the host against their cached headers, 5.10 and 7.2 inside
#             their build chroots (bullseye's dkms 2.8, sid's 3.x; tests/vm/
#             lib.sh, used through an overlay, the tree copied in): the
#             module DKMS builds has that kernel's vermagic
#   chroot    (PACKAGING_CHROOT=1) both .debs installed with dpkg into a
#             bookworm chroot (mmdebstrap, cached in
#             $ANONSTAT_CACHE/chroots/bookworm-pkg, used through an overlay)
#             holding the 6.1 headers: DKMS builds the module for that
#             kernel, anontop is on PATH, and removing them undoes both
#   vm        (PACKAGING_VM=1) every module DKMS built above boots in the VM
#             of its kernel (tests/vm/run --ko): the smoke tests of the
#             guest suite ($smoke below) pass, it loads and unloads with a
#             clean kernel log
# Everything runs on a copy of the tree and, where DKMS and /usr/src are
# involved, in a private mount namespace (on the host tmpfs on /usr/src and
# /var/lib/dkms, the modules installed under a scratch --installtree; the
# chroots through overlays), so the host's DKMS state, /usr/src and
# /lib/modules, and the cached chroots, are not touched.
# Needs root, dkms, dpkg-dev, debhelper, dh-dkms, lintian, kmod, pahole,
# mmdebstrap (the chroots), and for the vm step what tests/vm/run needs.
# Prints "ok NAME" or "FAIL NAME: why" per check and ends with
# "packaging: N passed, N failed".
#
# PACKAGING_DEB_CHECK=1 also runs the host unit tests inside the package
# build (make check-host runs them anyway; skipping them saves ~40 s).
# shellcheck disable=SC2016 # sh -c '...' sh ARG: expanded by that sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
kernels=${PACKAGING_KERNELS:-5.10 6.1 6.12 7.2}
# the guest suite's tests that show the module loads, sees mmaps and
# accounts them per call site (the harness checks the unload)
smoke="test_loaded test_debugfs_present test_status_header test_mmap_probe_hits
test_anontop_reads_status test_acct_sites test_acct_munmap"
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
pass=0 fail=0
t0=$SECONDS

ok() {
	echo "ok $1"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL $1: $2"
	fail=$((fail + 1))
}
# flat TEXT: TEXT on one line
flat() { printf '%s' "$1" | tr '\n' ' '; }
# check NAME WHY CMD...: ok if CMD succeeds, else FAIL with WHY
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else bad "$name" "$why"; fi
}

# ---- the inner half of the namespace steps: "$0" --ns STEP ARGS ----
# Shows the unpacked headers of REL at /usr/src (as vm_build_module does)
# and hides /var/lib/dkms; runs in the namespace unshare -m made.
ns_setup() {
	local rel=$1
	mount -t tmpfs anonstat-src /usr/src
	mount -t tmpfs anonstat-dkms /var/lib/dkms
	ln -s "$ANONSTAT_CACHE/kernels/$rel/root"/usr/src/* /usr/src/
}
# ns_overlay CHROOT DIR: the cached chroot CHROOT at $ov_root, seen
# through an overlay whose writes go to DIR (thrown away with $work), with
# /proc; in_root CMD... runs CMD there with a clean environment.
ns_overlay() {
	local lower=$ANONSTAT_CACHE/chroots/$1 dir=$2
	mkdir -p "$dir/upper" "$dir/work" "$dir/root"
	mount -t overlay "anonstat-$1" \
		-o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
	mount -t proc proc "$dir/root/proc"
	ov_root=$dir/root
}
in_root() {
	chroot "$ov_root" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
if [ "${1:-}" = --ns ]; then
	step=$2 rel=$3 work=$4
	[ "$step" = dkms-chroot ] || ns_setup "$rel"
	case "$step" in
	install)
		# make install / uninstall with KDIR: the module goes too
		make -s -C "$work/tree" install DESTDIR="$work/dest-ko" PREFIX=/usr \
			KDIR="/usr/src/linux-headers-$rel" >"$work/install-ko.log" 2>&1
		find "$work/dest-ko" ! -type d -printf '%P\n' | sort >"$work/install-ko.files"
		cp "$work/dest-ko/lib/modules/$rel/extra/anonstat.ko" "$work/install-ko.ko" || true
		make -s -C "$work/tree" uninstall DESTDIR="$work/dest-ko" PREFIX=/usr \
			KDIR="/usr/src/linux-headers-$rel" >>"$work/install-ko.log" 2>&1
		find "$work/dest-ko" ! -type d -printf '%P\n' | sort >"$work/uninstall-ko.files"
		;;
	dkms)
		# make dkms-install / dkms-remove for REL; what they leave
		# behind is recorded for the outer half to check
		local_flags="--kernelsourcedir=/usr/src/linux-headers-$rel --installtree=$work/modules --no-depmod"
		mkdir -p "$work/modules/$rel"
		out=$work/dkms-$rel
		rc=0
		make -C "$work/tree" dkms-install KRELEASE="$rel" \
			DKMS_FLAGS="$local_flags" >"$out.install.log" 2>&1 || rc=$?
		echo "$rc" >"$out.install.rc"
		cp "$work/modules/$rel/updates/dkms/anonstat.ko" "$out.installed.ko" 2>/dev/null || true
		cp "/var/lib/dkms/anonstat/$version/$rel/x86_64/log/make.log" "$out.make.log" 2>/dev/null || true
		# shellcheck disable=SC2086 # options, split on purpose
		dkms status $local_flags anonstat >"$out.status" 2>&1 || true
		rc=0
		make -C "$work/tree" dkms-remove KRELEASE="$rel" \
			DKMS_FLAGS="$local_flags" >"$out.remove.log" 2>&1 || rc=$?
		echo "$rc" >"$out.remove.rc"
		# shellcheck disable=SC2086
		dkms status $local_flags anonstat >"$out.status-after" 2>&1 || true
		{
			find "$work/modules/$rel" ! -type d
			find /usr/src -maxdepth 1 -name 'anonstat-*'
			find /var/lib/dkms -mindepth 1 -maxdepth 1
		} >"$out.left" 2>&1
		;;
	dkms-chroot)
		# make dkms-install / dkms-remove for REL run inside the build
		# chroot $5 of that kernel, seen through an overlay (thrown
		# away with $work): there DKMS uses the chroot's /usr/src,
		# /var/lib/dkms and /lib/modules, as on a real system
		ns_overlay "$5" "$work/ov-$5"
		cp -a "$work/tree" "$ov_root/tmp/anonstat"
		out=$work/dkms-$rel
		rc=0
		in_root make -C /tmp/anonstat dkms-install KRELEASE="$rel" \
			>"$out.install.log" 2>&1 || rc=$?
		echo "$rc" >"$out.install.rc"
		cp "$ov_root/lib/modules/$rel/updates/dkms/anonstat.ko" "$out.installed.ko" 2>/dev/null || true
		cp "$ov_root/var/lib/dkms/anonstat/$version/$rel/x86_64/log/make.log" "$out.make.log" 2>/dev/null || true
		in_root dkms status anonstat >"$out.status" 2>&1 || true
		rc=0
		in_root make -C /tmp/anonstat dkms-remove KRELEASE="$rel" \
			>"$out.remove.log" 2>&1 || rc=$?
		echo "$rc" >"$out.remove.rc"
		in_root dkms status anonstat >"$out.status-after" 2>&1 || true
		{
			find "$ov_root/lib/modules/$rel" ! -type d -path '*/updates/*'
			find "$ov_root/usr/src" -maxdepth 1 -name 'anonstat-*'
			find "$ov_root/var/lib/dkms" -mindepth 1 -maxdepth 1 -name anonstat
		} >"$out.left" 2>&1
		;;
	chroot)
		# the cached chroot seen through an overlay: what dpkg does
		# there goes to $work/ov and is thrown away with it
		ns_overlay bookworm-pkg "$work/ov"
		mkdir -p "$ov_root/tmp/debs"
		cp "$work"/deb/anonstat-dkms_*.deb "$work"/deb/anontop_*.deb "$ov_root/tmp/debs/"
		out=$work/chroot
		rc=0
		in_root sh -c 'dpkg -i /tmp/debs/*.deb' >"$out.install.log" 2>&1 || rc=$?
		echo "$rc" >"$out.install.rc"
		cp "$ov_root/lib/modules/$rel/updates/dkms/anonstat.ko" "$out.ko" 2>/dev/null || true
		in_root sh -c 'command -v anontop && anontop --version' >"$out.path" 2>&1 || true
		rc=0
		in_root dpkg -r anontop anonstat-dkms >"$out.remove.log" 2>&1 || rc=$?
		echo "$rc" >"$out.remove.rc"
		{
			find "$ov_root/lib/modules/$rel" -name 'anonstat.ko*'
			find "$ov_root/usr/src" -maxdepth 1 -name 'anonstat-*'
			find "$ov_root/var/lib/dkms" -mindepth 1 -maxdepth 1 -name anonstat
			[ ! -e "$ov_root/usr/sbin/anontop" ] || echo /usr/sbin/anontop
		} >"$out.left" 2>&1
		;;
	*) echo "packaging.sh: unknown step $step" >&2; exit 2 ;;
	esac
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "packaging.sh: needs root (mount namespaces, dkms)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/anonstat-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- prerequisites ----
"$top/tests/need" packaging || true
missing=
for c in make git dkms dpkg-buildpackage dh dh_dkms lintian modinfo unshare pahole; do
	command -v "$c" >/dev/null || missing="$missing $c"
done
if [ -n "$missing" ]; then
	bad prerequisites "missing$missing (tests/need packaging)"
	echo "packaging: $pass passed, $fail failed"
	exit 1
fi
ok prerequisites

# the tree's tracked and new files (not its build outputs), as make deb does
mkdir -p "$work/tree"
git -C "$top" ls-files -z --cached --others --exclude-standard |
	(cd "$top" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
	tar -C "$top" --null -T - -cf - | tar -xf - -C "$work/tree"

# cached headers of a series, newest ABI first; else fetch them as the VM
# harness does
headers_release() {
	local series=$1 re rel
	re="^${series//./\\.}\\.[0-9]+(-[0-9]+|\\+deb[0-9]+)-amd64\$"
	rel=$(for d in "$ANONSTAT_CACHE"/kernels/*/root/.complete; do
		[ -e "$d" ] || continue
		d=${d%/root/.complete}
		echo "${d##*/}"
	done | grep -E "$re" | sort -V | tail -n1)
	if [ -z "$rel" ]; then
		rel=$(vm_prepare "$series" 2>/dev/null) || return 1
		[ -f "$ANONSTAT_CACHE/kernels/$rel/root/.complete" ] || return 1
	fi
	echo "$rel"
}

# vermagic_is KO REL: KO was built for REL
vermagic_is() {
	[ -f "$1" ] && [ "$(modinfo -F vermagic "$1" | cut -d' ' -f1)" = "$2" ]
}

# ---- make install / uninstall ----
dest=$work/dest
make -s -C "$work/tree" install DESTDIR="$dest" PREFIX=/usr >"$work/install.log" 2>&1 ||
	{ bad "install" "make install failed: $(tail -3 "$work/install.log")"; }
expect="usr/sbin/anontop
usr/share/man/man8/anontop.8"
kdir=/lib/modules/$(uname -r)/build
# a host with headers for its own kernel gets the module too
[ -d "$kdir" ] && expect="lib/modules/$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kdir/include/generated/utsrelease.h")/extra/anonstat.ko
$expect"
got=$(find "$dest" ! -type d -printf '%P\n' 2>/dev/null | sort)
check "install files" "DESTDIR=$dest holds [$(flat "$got")], expected [$(flat "$expect")]" \
	[ "$got" = "$(echo "$expect" | sort)" ]
check "install anontop runs" "$dest/usr/sbin/anontop --version failed" \
	sh -c '[ -x "$1" ] && "$1" --version >/dev/null' sh "$dest/usr/sbin/anontop"
check "install man page" "$dest/usr/share/man/man8/anontop.8 is not the tree's" \
	cmp -s "$work/tree/userspace/anontop.8" "$dest/usr/share/man/man8/anontop.8"
make -s -C "$work/tree" uninstall DESTDIR="$dest" PREFIX=/usr >>"$work/install.log" 2>&1 ||
	bad "uninstall" "make uninstall failed: $(tail -3 "$work/install.log")"
left=$(find "$dest" ! -type d -printf '%P\n' | sort)
check "uninstall" "left in $dest: $(flat "$left")" [ -z "$left" ]

if rel=$(headers_release 6.1); then
	unshare -m "$0" --ns install "$rel" "$work" ||
		bad "install with KDIR" "the namespace step failed"
	expect="lib/modules/$rel/extra/anonstat.ko
usr/sbin/anontop
usr/share/man/man8/anontop.8"
	got=$(cat "$work/install-ko.files" 2>/dev/null || true)
	check "install with KDIR ($rel)" \
		"got [$(flat "$got")], expected [$(flat "$expect")]; $work/install-ko.log: $(tail -3 "$work/install-ko.log")" \
		[ "$got" = "$expect" ]
	check "install with KDIR vermagic" "$(modinfo -F vermagic "$work/install-ko.ko" 2>&1 || true)" \
		vermagic_is "$work/install-ko.ko" "$rel"
	left=$(cat "$work/uninstall-ko.files" 2>/dev/null || echo '?')
	check "uninstall with KDIR" "left: $(flat "$left")" [ -z "$left" ]
else
	bad "install with KDIR" "no 6.1 headers in $ANONSTAT_CACHE/kernels (tests/vm/kernels prepare 6.1)"
fi

# ---- make deb, lintian ----
debdir=$work/deb
check "changelog version" "debian/changelog is not at $version" \
	[ "$(cd "$top" && dpkg-parsechangelog -S Version)" = "$version" ]
t1=$SECONDS
debopts=${DEB_BUILD_OPTIONS:-}
[ "${PACKAGING_DEB_CHECK:-0}" = 1 ] || debopts="$debopts nocheck"
if DEB_BUILD_OPTIONS=$debopts make -C "$top" deb DEB_DIR="$debdir" >"$work/deb.log" 2>&1; then
	ok "make deb"
else
	bad "make deb" "see the tail: $(tail -5 "$work/deb.log" | tr '\n' ' ')"
fi
arch=$(dpkg --print-architecture)
dkmsdeb=$debdir/anonstat-dkms_${version}_all.deb
topdeb=$debdir/anontop_${version}_$arch.deb
# deb_has DEB PATH...: DEB holds every PATH
deb_has() {
	local deb=$1 list p
	shift
	list=$(dpkg-deb -c "$deb" 2>/dev/null | awk '{print $6}') || return 1
	for p; do
		echo "$list" | grep -qx "\./$p" || { echo "  $deb lacks $p"; return 1; }
	done
}
check "deb anonstat-dkms" "$dkmsdeb missing or incomplete" \
	deb_has "$dkmsdeb" "usr/src/anonstat-$version/dkms.conf" \
	"usr/src/anonstat-$version/Kbuild" "usr/src/anonstat-$version/module/main.c"
check "deb anonstat-dkms Architecture: all" "$(dpkg-deb -f "$dkmsdeb" Architecture 2>&1)" \
	[ "$(dpkg-deb -f "$dkmsdeb" Architecture 2>/dev/null)" = all ]
check "deb anonstat-dkms depends on dkms" "$(dpkg-deb -f "$dkmsdeb" Depends 2>&1)" \
	sh -c 'dpkg-deb -f "$1" Depends | grep -q "^dkms"' sh "$dkmsdeb"
check "deb anontop" "$topdeb missing or incomplete" \
	deb_has "$topdeb" usr/sbin/anontop usr/share/man/man8/anontop.8.gz \
	lib/systemd/system/anontop-exporter.service
# its postinst is dh_installsystemd's, for the exporter's unit (not enabled)
check "deb anontop has no DKMS" "anontop's Depends or maintainer scripts name dkms" \
	sh -c '! dpkg-deb -f "$1" Depends | grep -q dkms && ! dpkg-deb -I "$1" postinst 2>/dev/null | grep -q dkms' sh "$topdeb"
# dh_installsystemd --no-enable --no-start: enabled again on upgrade only
# where it was (debian-installed), never started by the package
check "deb anontop does not enable the exporter" "anontop's postinst enables or starts anontop-exporter.service" \
	sh -c 'p=$(dpkg-deb -I "$1" postinst) && echo "$p" | grep -q "debian-installed .anontop-exporter.service." &&
		! echo "$p" | grep -q "deb-systemd-invoke.*start"' sh "$topdeb"
changes=$debdir/anonstat_${version}_$arch.changes
if [ -f "$changes" ]; then
	# -E -I -L +pedantic: every tag lintian has, source and binaries
	lintian -EIL +pedantic --tag-display-limit 0 "$changes" >"$work/lintian.log" 2>&1 || true
	grep -v '^running with root privileges' "$work/lintian.log" | sed 's/^/  lintian: /' || true
	check "lintian errors" "$(grep -c '^E:' "$work/lintian.log") error(s)" \
		sh -c '! grep -q "^E:" "$1"' sh "$work/lintian.log"
	check "lintian warnings" "$(grep -c '^W:' "$work/lintian.log") warning(s)" \
		sh -c '! grep -q "^W:" "$1"' sh "$work/lintian.log"
else
	bad "lintian" "no $changes"
fi
echo "  make deb and lintian: $((SECONDS - t1)) s"

# ---- DKMS: make dkms-install / dkms-remove per kernel ----
# "HOW SERIES KO" of each module DKMS built, for the vm step
built=()
for series in $kernels; do
	t1=$SECONDS
	if ! builder=$(vm_series_builder "$series") || [ "$builder" = debug ]; then
		bad "dkms $series" "not a kernel series of the matrix ($VM_SERIES_ALL)"
		continue
	fi
	if [ "$builder" = host ]; then
		if ! rel=$(headers_release "$series"); then
			bad "dkms $series" "no headers for $series in $ANONSTAT_CACHE/kernels (tests/vm/kernels prepare $series)"
			continue
		fi
		unshare -m "$0" --ns dkms "$rel" "$work" || bad "dkms $series" "the namespace step failed"
	else
		# the build chroot, with the headers and dkms
		if ! rel=$(vm_prepare "$series" 2>"$work/prepare-$series.log") ||
			[ ! -x "$ANONSTAT_CACHE/chroots/$builder/usr/sbin/dkms" ]; then
			bad "dkms $series" "cannot prepare the $builder chroot with dkms: $(tail -3 "$work/prepare-$series.log" | tr '\n' ' ')"
			continue
		fi
		unshare -m "$0" --ns dkms-chroot "$rel" "$work" "$builder" ||
			bad "dkms $series" "the namespace step failed"
	fi
	out=$work/dkms-$rel
	built+=("dkms $series $out.installed.ko")
	check "dkms-install $rel" "rc $(cat "$out.install.rc" 2>/dev/null); $(tail -3 "$out.install.log" 2>/dev/null | tr '\n' ' ')" \
		[ "$(cat "$out.install.rc" 2>/dev/null)" = 0 ]
	# dkms 3.x: "anonstat/V, REL, x86_64: installed"; 2.8: "anonstat, V, ..."
	check "dkms status $rel" "$(cat "$out.status" 2>/dev/null)" \
		sh -c 'sed "s|^anonstat, \([^,]*\),|anonstat/\1,|" "$1" | grep -qxF "$2"' sh \
		"$out.status" "anonstat/$version, $rel, x86_64: installed"
	check "dkms vermagic $rel" "$(modinfo -F vermagic "$out.installed.ko" 2>&1 || true)" \
		vermagic_is "$out.installed.ko" "$rel"
	[ -f "$out.installed.ko" ] && echo "  dkms $rel: vermagic $(modinfo -F vermagic "$out.installed.ko")"
	check "dkms build warnings $rel" "$(grep -E 'warning|error' "$out.make.log" 2>/dev/null | head -3)" \
		sh -c '[ -f "$1" ] && ! grep -qE "warning:|error:" "$1"' sh "$out.make.log"
	check "dkms-remove $rel" "rc $(cat "$out.remove.rc" 2>/dev/null); left: $(cat "$out.left" "$out.status-after" 2>/dev/null | tr '\n' ' ')" \
		sh -c '[ "$(cat "$1.remove.rc")" = 0 ] && [ ! -s "$1.left" ] && [ ! -s "$1.status-after" ]' sh "$out"
	echo "  dkms $series ($builder): $((SECONDS - t1)) s"
done

# ---- the .debs in a bookworm chroot (opt-in: the first run makes it) ----
# pkg_chroot REL: the cached chroot, with dkms, the headers of REL and
# anontop's libraries, so dpkg -i needs no network
pkg_chroot() {
	local rel=$1 dir=$ANONSTAT_CACHE/chroots/bookworm-pkg
	local -a mirrors
	[ -f "$dir/.complete" ] && [ -d "$dir/usr/src/linux-headers-$rel" ] && return 0
	command -v mmdebstrap >/dev/null || { echo "  mmdebstrap is not installed"; return 1; }
	rm -rf "$dir"
	mkdir -p "${dir%/*}"
	# shellcheck disable=SC2046
	mapfile -t mirrors < <(vm_sources_lines $(vm_series_suites 6.1))
	echo "  creating $dir (mmdebstrap, once)"
	mmdebstrap --quiet --variant=minbase \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--include="dkms,linux-headers-$rel,libdw1,libelf1,libncursesw6" \
		bookworm "$dir" "${mirrors[@]}" >"$work/mmdebstrap.log" 2>&1 ||
		{ tail -5 "$work/mmdebstrap.log"; return 1; }
	touch "$dir/.complete"
}
if [ "${PACKAGING_CHROOT:-0}" = 1 ]; then
	t1=$SECONDS
	out=$work/chroot
	if ! rel=$(headers_release 6.1); then
		bad "chroot" "no 6.1 headers release in $ANONSTAT_CACHE/kernels"
	elif ! pkg_chroot "$rel"; then
		bad "chroot" "cannot make $ANONSTAT_CACHE/chroots/bookworm-pkg"
	elif [ ! -f "$dkmsdeb" ] || [ ! -f "$topdeb" ]; then
		bad "chroot" "no .debs to install"
	else
		unshare -m "$0" --ns chroot "$rel" "$work" || bad "chroot" "the namespace step failed"
		built+=("deb 6.1 $out.ko")
		check "chroot dpkg -i" "rc $(cat "$out.install.rc" 2>/dev/null); $(tail -5 "$out.install.log" 2>/dev/null | tr '\n' ' ')" \
			[ "$(cat "$out.install.rc" 2>/dev/null)" = 0 ]
		check "chroot DKMS module $rel" "$(modinfo -F vermagic "$out.ko" 2>&1 || true); $(grep -iE 'error|skipped' "$out.install.log" | head -3 | tr '\n' ' ')" \
			vermagic_is "$out.ko" "$rel"
		[ -f "$out.ko" ] && echo "  chroot $rel: vermagic $(modinfo -F vermagic "$out.ko")"
		check "chroot anontop on PATH" "$(tr '\n' ' ' <"$out.path" 2>/dev/null)" \
			grep -qx /usr/sbin/anontop "$out.path"
		check "chroot dpkg -r" "rc $(cat "$out.remove.rc" 2>/dev/null); left: $(tr '\n' ' ' <"$out.left" 2>/dev/null)" \
			sh -c '[ "$(cat "$1.remove.rc")" = 0 ] && [ ! -s "$1.left" ]' sh "$out"
	fi
	echo "  chroot: $((SECONDS - t1)) s"
fi

# ---- each module DKMS built, in the VM of its kernel ----
# (one VM at a time; a module that is missing is a failure of every check)
if [ "${PACKAGING_VM:-0}" = 1 ]; then
	for b in "${built[@]}"; do
		read -r how series ko <<<"$b"
		name="vm $series $how"
		log=$work/vm-$series-$how.log
		t1=$SECONDS
		rc=0
		if [ -f "$ko" ]; then
			# shellcheck disable=SC2086 # the test names, split on purpose
			"$top/tests/vm/run" -k "$series" --ko "$ko" -- suite.sh $smoke >"$log" 2>&1 || rc=$?
		else
			echo "no module: $ko" >"$log"
			rc=1
		fi
		grep -E '^\[vm\] (kernel|guest ran)' "$log" | sed 's/^/  /' || true
		echo "  $name: $((SECONDS - t1)) s"
		# rc 0: loaded, the tests passed, unloaded, a clean kernel log
		check "$name: load, run, unload" "exit $rc: $(grep -E '^\[vm\] (FAIL|error)|^FAIL ' "$log" | head -5 | tr '\n' ' ')" \
			[ "$rc" = 0 ]
		for t in $smoke; do
			# a shell test prints "ok test_x", a test program "ok x.CHECK"
			p=${t#test_}
			check "$name: $t" "no ok line, or: $(grep -E "^FAIL ($t|$p\.[^ :]+):" "$log" | head -3 | tr '\n' ' ')" \
				sh -c 'grep -qE "^ok ($2|$3\.[^ :]+)\$" "$1" && ! grep -qE "^FAIL ($2|$3\.[^ :]+):" "$1"' \
				sh "$log" "$t" "$p"
		done
		if [ "$rc" != 0 ]; then
			tail -n 15 "$log" | sed 's/^/  | /'
		fi
	done
fi

echo "  packaging took $((SECONDS - t0)) s"
echo "packaging: $pass passed, $fail failed"
[ "$fail" = 0 ]
