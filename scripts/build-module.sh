#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build faultdemo.ko for one kernel in a build directory of its own, so that
# builds for several kernels never share object files.
#
# Usage: scripts/build-module.sh KVER OUTDIR [make arguments, e.g. W=1 C=1]
# Prints the path of the module on success.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
[ $# -ge 2 ] || fd_die 2 "usage: ${0##*/} KVER OUTDIR [make args]"
kver=$1
out=$2
shift 2

kdir=$(fd_kernel_build "$kver") ||
	fd_die 2 "no headers for $kver: apt-get install linux-headers-$kver"

mkdir -p "$out"
# Copy the sources (only newer files, so rebuilds stay incremental).
cp -ru "$top/Kbuild" "$top/module" "$top/include" "$out/"
make -s -C "$kdir" M="$out" "$@" modules >&2
printf '%s\n' "$out/faultdemo.ko"
