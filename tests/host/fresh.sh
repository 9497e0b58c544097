#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/host/fresh.sh - the proof that tests/packages is complete: in a
# clean Debian bookworm chroot (mmdebstrap minbase plus make, the one
# package the README's commands need before they can run; nothing else),
# with a copy of the tree at /src/anonstat, as a new user would:
#
#   1. make demo, which installs what it needs itself (tests/need demo),
#      runs to its end and shows the leak, and installs nothing of the
#      other groups (prometheus, the arm64 cross compiler);
#   2. tests/vm/kernels prepare 6.1-debug: the stress campaign's debug
#      kernel configures and builds (it installs the debug-kernel group);
#   3. every package of every group exists in bookworm (apt-get -s);
#   4. the arm64 sysroot of anontop's cross build (tests/vm/arm64-sysroot,
#      the group arm64-sysroot as arm64 packages): apt resolves them and
#      what they depend on in bookworm's arm64 archive, and they unpack
#      into a sysroot holding the libraries anontop links (nothing is
#      installed for it).
#
# The chroot is made once and cached in $ANONSTAT_CACHE/chroots/
# fresh-bookworm-make; every run starts from it unchanged (an overlay whose
# upper layer is thrown away), with an empty $ANONSTAT_CACHE but for the
# linux-source-6.1 tarball (bind-mounted read-only: a download of 150 MB
# that step 1's downloads already prove) and ccache's directory, shared
# with the host's build of the same kernel (tests/vm/lib.sh builds it
# through ccache, in the debug-kernel group), so that the chroot's build
# is a cached one even on a new machine.  Configuration, generated files,
# host programs and links all run every time, and a missing header or
# tool fails the compilation as it would without the cache.
# Ends with "fresh: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1: $2"; }
finish() { echo "fresh: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

[ "$(id -u)" = 0 ] || { bad root "needs root (chroot, mount namespaces)"; finish; }
vm_need matrix
base=$ANONSTAT_CACHE/chroots/fresh-bookworm-make
ccache=$ANONSTAT_CACHE/ccache
t0=$SECONDS
if [ ! -f "$base/.complete" ]; then
	rm -rf "$base"
	mkdir -p "${base%/*}"
	mapfile -t mirrors < <(vm_sources_lines bookworm bookworm-updates bookworm-security)
	echo "  creating $base (mmdebstrap minbase and make, once)"
	mmdebstrap --quiet --variant=minbase --include=make \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		bookworm "$base" "${mirrors[@]}" >&2 || { bad chroot "mmdebstrap bookworm failed"; finish; }
	touch "$base/.complete"
fi
src_tar=$(vm_linux_source)
mkdir -p "$ccache"

work=$(mktemp -d "${TMPDIR:-/tmp}/anonstat-fresh.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{upper,ovl,root}
# the tree's tracked and new files, not its build outputs
mkdir -p "$work/upper/src/anonstat" "$work/upper/root/out"
git -C "$top" ls-files -z --cached --others --exclude-standard |
	(cd "$top" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
	tar -C "$top" --null -T - -cf - | tar -xf - -C "$work/upper/src/anonstat"
cp -L /etc/resolv.conf "$work/upper/etc-resolv.conf" 2>/dev/null

# What runs in the chroot, as root: each step's output in /root/out/STEP.log
# and its exit status in /root/out/STEP.rc.
cat >"$work/upper/root/steps.sh" <<'STEPS'
set -u
cd /src/anonstat
step() {
	local name=$1 t=$SECONDS
	shift
	"$@" >"/root/out/$name.log" 2>&1
	echo $? >"/root/out/$name.rc"
	echo $((SECONDS - t)) >"/root/out/$name.s"
}
step demo make demo
dpkg-query -W -f='${Package} ${Status}\n' >/root/out/installed.txt
step debug tests/vm/kernels prepare 6.1-debug
# shellcheck disable=SC2046 # a list of package names
step names apt-get install -s -q --no-install-recommends \
	$(tests/need --list $(sed -n 's/^\([a-z0-9-]*\):.*/\1/p' tests/packages))
dpkg-query -W -f='${Package} ${Status}\n' >/root/out/installed-before-sysroot.txt
step sysroot tests/vm/arm64-sysroot
dpkg-query -W -f='${Package} ${Status}\n' >/root/out/installed-after-sysroot.txt
STEPS

echo "  running make demo and the debug kernel in a clean bookworm chroot"
# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m --propagation private sh -c '
	set -e
	w=$0 base=$1 ccache=$2 srcdir=$3
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$w/upper,workdir=$w/ovl" "$w/root"
	r=$w/root
	[ -f "$w/upper/etc-resolv.conf" ] && cp "$w/upper/etc-resolv.conf" "$r/etc/resolv.conf"
	mount -t proc proc "$r/proc"
	mount -t sysfs sysfs "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs tmpfs "$r/tmp"
	mkdir -p "$r/root/.cache/anonstat/ccache" "$r/root/.cache/anonstat/src"
	mount --bind "$ccache" "$r/root/.cache/anonstat/ccache"
	mount --bind -o ro "$srcdir" "$r/root/.cache/anonstat/src"
	exec chroot "$r" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 bash /root/steps.sh
' "$work" "$base" "$ccache" "$(dirname "$src_tar")"
out=$work/upper/root/out
echo "  (chroot: $((SECONDS - t0)) s: make demo $(cat "$out/demo.s" 2>/dev/null) s, debug kernel $(cat "$out/debug.s" 2>/dev/null) s)"

rc_of() { cat "$out/$1.rc" 2>/dev/null || echo none; }
tail_of() { tail -n 15 "$out/$1.log" 2>/dev/null | sed 's/^/    | /'; }

# 1. make demo
if [ "$(rc_of demo)" = 0 ]; then ok "make demo exits 0"; else bad "make demo exits 0" "exit $(rc_of demo)"; tail_of demo; fi
if grep -q '^anonstat: installing (for demo): ' "$out/demo.log" 2>/dev/null; then
	ok "make demo installs its packages (one line)"
else
	bad "make demo installs its packages (one line)" "no 'anonstat: installing (for demo):' line"
fi
if grep -qE ' yes +ucx_leak!rcache_chunk_alloc\+0x[0-9a-f]+$' "$out/demo.log" 2>/dev/null &&
	grep -qE '^ +#1 +0x[0-9a-f]+ +libucm\.so\.0!ucm_orig_mmap_syscall\+0x[0-9a-f]+$' "$out/demo.log" &&
	grep -qE '^== ucx_leak said: ucx_leak: leaked [1-9][0-9]* bytes$' "$out/demo.log"; then
	ok "the demo shows the leak (LEAK yes at rcache_chunk_alloc, through libucm)"
else
	bad "the demo shows the leak" "no 'yes ucx_leak!rcache_chunk_alloc' line, or no frame 1 in libucm"
	tail_of demo
fi
extra=
for p in prometheus gcc-aarch64-linux-gnu qemu-system-arm flex bison dkms; do
	grep -q "^$p install ok installed" "$out/installed.txt" 2>/dev/null && extra+=" $p"
done
if [ -s "$out/installed.txt" ] && [ -z "$extra" ]; then
	ok "make demo installs only what it needs"
else
	bad "make demo installs only what it needs" "installed:${extra:- (no package list)}"
fi

# 2. the debug kernel
rel=$(sed -n 's/.*debug kernel \(6\.1\.[^ ]*-anonstat-debug\) built in .*/\1/p' "$out/debug.log" 2>/dev/null)
if [ "$(rc_of debug)" = 0 ] && [ -n "$rel" ]; then
	ok "the debug kernel configures and builds ($rel)"
else
	bad "the debug kernel configures and builds" "exit $(rc_of debug)"
	tail_of debug
fi
if grep -q '^anonstat: installing (for debug-kernel): ' "$out/debug.log" 2>/dev/null; then
	ok "the debug kernel installs its packages"
else
	bad "the debug kernel installs its packages" "no 'anonstat: installing (for debug-kernel):' line"
fi

# 3. every name in the list
if [ "$(rc_of names)" = 0 ]; then
	ok "every package of tests/packages exists in bookworm"
else
	bad "every package of tests/packages exists in bookworm" "apt-get -s failed"
	tail_of names
fi

# 4. the arm64 sysroot: every package of the group, for arm64, with the
# libraries anontop and the demo link, and no package installed for it
# (the overlay is unmounted: the chroot's new files are its upper layer)
sysroot=$work/upper/root/.cache/anonstat/arm64/sysroot
want=$("$top/tests/need" --list arm64-sysroot | sed 's/$/:arm64/')
missing=
for p in $want; do
	grep -q "^$p=" "$sysroot/.complete" 2>/dev/null || missing+=" $p"
done
for l in libdw.so libelf.so libncursesw.so libtinfo.so libucm.so; do
	[ -e "$sysroot/usr/lib/aarch64-linux-gnu/$l" ] || missing+=" $l"
done
if [ "$(rc_of sysroot)" = 0 ] && [ -z "$missing" ]; then
	ok "the arm64 sysroot resolves and unpacks ($(wc -l <"$sysroot/.complete") packages)"
else
	bad "the arm64 sysroot resolves and unpacks" "exit $(rc_of sysroot), missing:${missing:- none}"
	tail_of sysroot
fi
if cmp -s "$out/installed-before-sysroot.txt" "$out/installed-after-sysroot.txt" &&
	[ -s "$out/installed-after-sysroot.txt" ]; then
	ok "the arm64 sysroot installs nothing"
else
	bad "the arm64 sysroot installs nothing" "dpkg's list changed (or is missing)"
fi
finish
