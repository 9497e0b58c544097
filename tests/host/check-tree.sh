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
echo "tree: $pass passed, $fail failed"
[ "$fail" = 0 ]
