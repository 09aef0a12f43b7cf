#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that dkms accepts dkms.conf and builds the module for each kernel,
# in a private dkms tree under the cache (the system's dkms tree and any
# installed faultdemo are left alone). A kernel built in a build root
# (Debian 13 and later, see setup.sh) is built by that root's own dkms,
# in a tree of its own.
#
# Usage: scripts/dkms-check.sh KVER...
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

[ $# -gt 0 ] || fd_die 2 "usage: ${0##*/} KVER..."
command -v dkms >/dev/null || fd_die 2 "dkms missing: run scripts/setup.sh first"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$ver" ] || fd_die 1 "no PACKAGE_VERSION in dkms.conf"
# this checkout's: another one's dkms-check.sh may run at the same time
base=$FD_BUILD/dkms
rm -rf "$base"
mkdir -p "$base/tree" "$base/src/faultdemo-$ver"
cp -r "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/module" \
	"$top/include" "$base/src/faultdemo-$ver/"

d=(dkms --dkmstree "$base/tree" --sourcetree "$base/src")
"${d[@]}" add -m faultdemo -v "$ver" >/dev/null
rc=0
for k in "$@"; do
	tree=$base/tree
	if root=$(fd_kernel_root "$k"); then
		# the root's dkms, in the root's tree: the host's dkms and the
		# root's need not agree on a tree's layout
		tree=$base/tree-${root##*/}
		dr=(fd_in_root "$root" "$base" -- dkms --dkmstree "$tree" --sourcetree "$base/src")
		if [ ! -d "$tree/faultdemo" ]; then
			mkdir -p "$tree"
			"${dr[@]}" add -m faultdemo -v "$ver" >/dev/null
		fi
	else
		dr=("${d[@]}")
	fi
	if "${dr[@]}" build -m faultdemo -v "$ver" -k "$k" >"$base/build-$k.log" 2>&1; then
		echo "ok - dkms build faultdemo/$ver for $k"
	else
		echo "not ok - dkms build faultdemo/$ver for $k (log: $base/build-$k.log)"
		tail -n 20 "$base/build-$k.log" >&2
		find "$tree" -path "*/$k/*" -name make.log -exec tail -n 20 {} \; >&2
		rc=1
	fi
done
exit "$rc"
