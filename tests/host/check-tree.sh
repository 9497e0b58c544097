#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check-tree.sh - facts about the tree that must hold together: one version
# everywhere, a complete dkms.conf.  Ends with "tree: N passed, N failed".
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
check() {
	name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}
modver=$(sed -n 's/^#define ANONSTAT_VERSION "\(.*\)"$/\1/p' "$top/module/anonstat.h")
dkmsver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
topver=$(sed -n 's/^#define ANONTOP_VERSION "\(.*\)"$/\1/p' "$top/userspace/anontop.c")
check "module version set" [ -n "$modver" ]
check "dkms.conf version = module version" [ "$dkmsver" = "$modver" ]
check "anontop version = module version" [ "$topver" = "$modver" ]
for key in PACKAGE_NAME PACKAGE_VERSION 'BUILT_MODULE_NAME\[0\]' \
	'DEST_MODULE_LOCATION\[0\]' 'MAKE\[0\]' AUTOINSTALL; do
	check "dkms.conf has $key" grep -q "^$key=" "$top/dkms.conf"
done
check "dkms.conf names anonstat" grep -q '^BUILT_MODULE_NAME\[0\]="anonstat"$' "$top/dkms.conf"
# the one package list: every group the tree asks tests/need for exists
# (make's $(NEED), vm_need, tests/need), and the .deb's build dependencies
# are in the groups make deb installs
groups=$(cd "$top" && grep -rhE '(\$\(NEED\)|vm_need|tests/need"?) [a-z]' \
	Makefile .ci/run tests bench 2>/dev/null | grep -vE '^[[:space:]]*#' |
	grep -oE '(\$\(NEED\)|vm_need|tests/need"?) [a-z0-9 -]+' |
	sed -E 's/^[^ ]+ //' | tr ' ' '\n' | grep -vE '^(-.*|)$' | sort -u)
for g in $groups; do
	check "tests/packages has group $g" "$top/tests/need" --list "$g" >/dev/null
done
debdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$top/debian/control" |
	sed -E 's/^Build-Depends://; s/\(.*\)//; s/<.*>//' | tr ',' '\n' |
	sed -E 's/^ +//; s/ +$//' | grep -vE '^(debhelper-compat|[A-Z].*:.*|)$')
for p in $debdeps; do
	check "tests/packages: make deb or check-host installs $p" \
		sh -c '"$1/tests/need" --list deb unit | grep -qx "$2"' sh "$top" "$p"
done
echo "tree: $pass passed, $fail failed"
[ "$fail" = 0 ]
