#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Register faultdemo with dkms, build it and install it for every installed
# kernel that has headers (/lib/modules/<version>/build), so that it is
# rebuilt on kernel upgrades. --remove undoes it.
#
# Usage: scripts/dkms-install.sh [--remove]   (as root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

[ "$(id -u)" -eq 0 ] || fd_die 2 "run as root (it installs into /usr/src and /lib/modules)"
command -v dkms >/dev/null || fd_die 2 "dkms missing: apt-get install dkms"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$ver" ] || fd_die 1 "no PACKAGE_VERSION in dkms.conf"

# (not "| grep -q": with pipefail, grep's early exit fails the pipeline)
if [ -n "$(dkms status -m faultdemo -v "$ver" 2>/dev/null)" ]; then
	dkms remove -m faultdemo -v "$ver" --all >/dev/null
fi
rm -rf "/usr/src/faultdemo-$ver"
if [ "${1:-}" = --remove ]; then
	fd_log "faultdemo $ver removed from dkms"
	exit 0
fi

mkdir -p "/usr/src/faultdemo-$ver"
cp -r "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/module" \
	"$top/include" "/usr/src/faultdemo-$ver/"
dkms add -m faultdemo -v "$ver" >/dev/null

n=0
for b in /lib/modules/*/build; do
	[ -f "$b/Makefile" ] || continue
	k=${b%/build}
	k=${k##*/}
	dkms install -m faultdemo -v "$ver" -k "$k" >/dev/null
	fd_log "installed for $k: $(modinfo -k "$k" -n faultdemo)"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fd_die 1 "no kernel headers installed: apt-get install linux-headers-\$(uname -r)"
