#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of scripts/vm-run itself, one "ok"/"not ok" line each: the exit
# status of the command comes back, bad usage exits 2, a WARN_ON in the
# guest fails the run, a guest that runs too long is killed, --disk
# attaches a scratch disk and deletes it afterwards; and that each
# checkout builds its own module (scripts/lib.sh).
#
# Usage: selftests/vm-run/vm-run-test.sh KVER...
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"
vmrun=$top/scripts/vm-run

rc=0
expect() {
	local want=$1 what=$2 got
	shift 2
	set +e
	"$@" >/dev/null 2>&1
	got=$?
	set -e
	if [ "$got" -eq "$want" ]; then
		echo "ok - vm-run: $what (exit $got)"
	else
		echo "not ok - vm-run: $what: exit $got, expected $want"
		rc=1
	fi
}

expect 2 "unknown kernel" "$vmrun" --kernel 0.0 -- true
expect 2 "no command" "$vmrun" --kernel "$1"
expect 2 "missing command" "$vmrun" --kernel "$1" -- /nonexistent/cmd
expect 2 "setup not done" env FAULTDEMO_CACHE=/nonexistent "$vmrun" -- true
expect 2 "--numa that does not split the CPUs evenly" "$vmrun" --kernel "$1" \
	--cpus 2 --numa 3 -- true
expect 2 "--numa 0" "$vmrun" --kernel "$1" --numa 0 -- true
# The run's directory is in its QEMU's command line: none may survive it.
set +e
log=$("$vmrun" --kernel "$1" --timeout 3 -- sleep 600 2>&1 >/dev/null)
got=$?
set -e
run=$(sed -n 's/.*log: \(.*\)\/guest.log$/\1/p' <<<"$log")
if [ "$got" -ne 124 ]; then
	echo "not ok - vm-run: timeout: exit $got, expected 124"
	rc=1
elif [ -z "$run" ] || pgrep -f "qemu-system-x86_64.*$run/" >/dev/null; then
	echo "not ok - vm-run: timeout left its QEMU running (or no log: $log)"
	rc=1
else
	echo "ok - vm-run: timeout kills the guest (exit 124, no QEMU left)"
fi
expect 2 "--icount with --accel kvm" "$vmrun" --kernel "$1" --icount \
	--accel kvm -- true
# Tests boot with page poisoning, benchmarks without; --icount boots too.
expect 0 "--no-mm-debug boots without page_poison" "$vmrun" --kernel "$1" \
	--no-mm-debug -- sh -c '! grep -qw page_poison=1 /proc/cmdline'
expect 0 "--icount boots" "$vmrun" --kernel "$1" --icount --cpus 1 -- true
# Multi-threaded TCG boots on one CPU; all are online when the command runs.
# shellcheck disable=SC2016 # expanded by the guest's shell
expect 0 "--tcg-thread multi: boots on one CPU, runs the command on two" \
	"$vmrun" --kernel "$1" --accel tcg --tcg-thread multi --cpus 2 -- \
	sh -c 'grep -qw maxcpus=1 /proc/cmdline && [ "$(nproc)" -eq 2 ]'
# --disk: a block device of that size in the guest, gone with the run
set +e
# shellcheck disable=SC2016 # expanded by the guest's shell
log=$("$vmrun" --kernel "$1" --disk 64M -- sh -c \
	'[ "$FAULTDEMO_DISK" = /dev/vda ] && [ "$(blockdev --getsize64 /dev/vda)" -eq 67108864 ]' \
	2>&1 >/dev/null)
got=$?
set -e
run=$(sed -n 's/.*log: \(.*\)\/guest.log$/\1/p' <<<"$log")
if [ "$got" -ne 0 ]; then
	echo "not ok - vm-run: --disk 64M: no 64 MiB \$FAULTDEMO_DISK in the guest (exit $got)"
	rc=1
elif [ -z "$run" ] || [ -e "$run/disk.img" ]; then
	echo "not ok - vm-run: --disk left its image behind (or no log: $log)"
	rc=1
else
	echo "ok - vm-run: --disk 64M is \$FAULTDEMO_DISK in the guest, its image deleted after"
fi

for k in "$@"; do
	if ! kver=$(fd_kernel_version "$k"); then
		echo "not ok - vm-run: unknown kernel '$k'"
		rc=1
		continue
	fi
	# a status other than 0 and 1 comes back, and tests boot with page
	# poisoning by default: one boot for both (exit 0 is every other run)
	expect 7 "exit 7 and page_poison=1 on $kver" "$vmrun" --kernel "$kver" \
		-- sh -c 'grep -qw page_poison=1 /proc/cmdline && exit 7'
	out=$FD_BUILD/warn_on_load-$kver
	rm -rf "$out"
	mkdir -p "$out"
	cp "$here/Kbuild" "$here/warn_on_load.c" "$out/"
	if fd_make_kernel "$kver" "$out" modules >/dev/null 2>&1; then
		expect 3 "WARN_ON in a module fails the run on $kver" \
			"$vmrun" --kernel "$kver" -- insmod "$out/warn_on_load.ko"
	else
		echo "not ok - vm-run: cannot build the WARN_ON module for $kver"
		rc=1
	fi
done

# Each checkout builds in a directory of its own, and from its own sources:
# a file of another tree in the build directory, even a newer one, is
# replaced, and a source the tree does not have is removed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the other tree has this one's name: only the path tells them apart
tree=$tmp/${top##*/}
mkdir -p "$tree/scripts" "$tmp/out/module"
cp "$top/scripts/lib.sh" "$tree/scripts/"
cp -r "$top/Kbuild" "$top/module" "$top/include" "$tree/"
# shellcheck disable=SC2016 # expanded by the inner shell
other=$(bash -c '. "$1/scripts/lib.sh" && echo "$FD_BUILD"' _ "$tree")
if [ "$other" != "$FD_BUILD" ]; then
	echo "ok - lib.sh: each checkout has its own build directory"
else
	echo "not ok - lib.sh: two checkouts share $FD_BUILD"
	rc=1
fi
echo '/* another tree */' >"$tmp/out/module/faultdemo_vm.c"
touch -d '+1 hour' "$tmp/out/module/faultdemo_vm.c"
echo 'int stale;' >"$tmp/out/module/stale.c"
if fd_sync_sources "$tree" "$tmp/out" &&
	cmp -s "$tree/module/faultdemo_vm.c" "$tmp/out/module/faultdemo_vm.c" &&
	[ ! -e "$tmp/out/module/stale.c" ]; then
	echo "ok - lib.sh: a build directory gets the tree's sources, not newer ones"
else
	echo "not ok - lib.sh: a build directory kept another tree's sources"
	rc=1
fi
exit "$rc"
