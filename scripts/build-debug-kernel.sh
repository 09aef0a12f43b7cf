#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, once, a kernel from Debian's linux-source-<series> (the series is
# FAULTDEMO_DEBUG_SERIES, 7.3 by default: the source setup.sh unpacks) with
# the debugging options that catch what a fault handler can get wrong:
# KASAN, lockdep (PROVE_LOCKING), DEBUG_VM, PAGE_TABLE_CHECK, kmemleak,
# DEBUG_ATOMIC_SLEEP, DEBUG_LIST. The configuration starts from nothing
# (allnoconfig) and adds what the test VM and the tests need
# (scripts/debug-kernel.config), all built in: about 12 minutes on two
# cores that also run test VMs (15 CPU-minutes), where Debian's
# configuration would take hours and
# x86_64_defconfig half an hour. The result is installed into the
# kernel cache like a Debian kernel, as version <7.3.x>-faultdemo-debug, so
# that `scripts/vm-run --kernel debug` boots it and external modules build
# against its tree.
#
# Usage: scripts/build-debug-kernel.sh [--force | --check]
# A second run with the same configuration does nothing. --check only
# tells, by its exit status, whether the cached kernel is up to date.
set -euo pipefail

# The one place that names the kernel series the debug kernel is built
# from; its source is $FAULTDEMO_CACHE/src/linux-source-<series>.
FAULTDEMO_DEBUG_SERIES=${FAULTDEMO_DEBUG_SERIES:-7.3}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

force=0
check=0
case ${1:-} in
--force) force=1 ;;
--check) check=1 ;;
'') ;;
*) fd_die 2 "usage: ${0##*/} [--force | --check]" ;;
esac

src=$FAULTDEMO_CACHE/src/linux-source-$FAULTDEMO_DEBUG_SERIES
[ -f "$src/Makefile" ] || fd_die 2 "no $src: run scripts/setup.sh first"
frag=$here/debug-kernel.config
obj=$FAULTDEMO_CACHE/debug-kernel
key=$(cat "$frag" "$src/Makefile" | sha1sum | cut -c1-12)

if [ "$force" -eq 0 ] && [ -f "$obj/.faultdemo-key" ] &&
	[ "$(cat "$obj/.faultdemo-key")" = "$key" ] &&
	[ -f "$obj/.faultdemo-kver" ] &&
	[ -f "$FAULTDEMO_CACHE/kernels/$(cat "$obj/.faultdemo-kver")/vmlinuz" ]; then
	fd_log "debug kernel $(cat "$obj/.faultdemo-kver"): up to date"
	exit 0
fi
[ "$check" -eq 0 ] || exit 1

start=$(date +%s)
# The kernel built last is about to lose its tree (its build link points
# here): drop it from the cache, so that nothing boots or builds against
# a half-rebuilt kernel.
old=$(cat "$obj/.faultdemo-kver" 2>/dev/null || true)
[ -z "$old" ] || rm -rf "${FAULTDEMO_CACHE:?}/kernels/$old"
# Another source (a new series, or a new Debian upload of it) starts from
# an empty tree: its files keep the tarball's timestamps, older than the
# objects already built, so make would link stale objects into the new
# kernel. A new fragment alone rebuilds incrementally.
srckey=$( (echo "$src"; cat "$src/Makefile") | sha1sum | cut -c1-12)
if [ -d "$obj" ] && [ "$(cat "$obj/.faultdemo-src" 2>/dev/null)" != "$srckey" ]; then
	fd_log "new kernel source: building $obj from scratch"
	rm -rf "$obj"
fi
mkdir -p "$obj"
rm -f "$obj/.faultdemo-key" "$obj/.faultdemo-kver"
echo "$srckey" >"$obj/.faultdemo-src"
jobs=$(nproc)
mk=(make -s -C "$src" O="$obj" -j"$jobs")

"${mk[@]}" KCONFIG_ALLCONFIG="$frag" allnoconfig >/dev/null

# Every option of the fragment must have survived (a dependency that is
# not named would turn it off without a word).
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF -- "$line" "$obj/.config" || { fd_log "not set: $line"; missing=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$obj/.config"; then fd_log "still set: $opt"; missing=1; fi ;;
	esac
done <"$frag"
[ "$missing" -eq 0 ] || fd_die 1 "debug kernel configuration incomplete"

fd_log "building in $obj with $jobs jobs (takes a while)"
"${mk[@]}" bzImage modules >"$obj/build.log" 2>&1 || {
	tail -n 30 "$obj/build.log" >&2
	fd_die 1 "debug kernel build failed (log: $obj/build.log)"
}
kver=$("${mk[@]}" kernelrelease)
dest=$FAULTDEMO_CACHE/kernels/$kver
rm -rf "$dest"
mkdir -p "$dest"
"${mk[@]}" INSTALL_MOD_PATH="$dest" INSTALL_MOD_STRIP=1 modules_install >/dev/null
cp "$obj/arch/x86/boot/bzImage" "$dest/vmlinuz"
cp "$obj/.config" "$dest/config"
rm -f "$dest/lib/modules/$kver/build"
ln -s "$obj" "$dest/lib/modules/$kver/build"
echo "$kver" >"$obj/.faultdemo-kver"
echo "$key" >"$obj/.faultdemo-key"
fd_log "debug kernel $kver built in $(($(date +%s) - start))s, installed in $dest"
