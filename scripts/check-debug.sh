#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole kselftest suite, the stress test included, on the debug kernel
# (KASAN, lockdep, DEBUG_VM, PAGE_TABLE_CHECK, kmemleak, DEBUG_ATOMIC_SLEEP,
# DEBUG_LIST), with stress-ng as background memory pressure during the
# stress test, then the concurrency and stress programs again with the
# module on a scratch disk in a small memory cgroup, and a kmemleak scan
# after rmmod (scripts/guest-check.sh with FAULTDEMO_KMEMLEAK=1). Builds
# the kernel first if it is not cached (scripts/build-debug-kernel.sh).
# Prints "# stage: NAME: Ns" for the build and for the tests, and ends with
# "N passed, N failed, N skipped".
#
# Usage: scripts/check-debug.sh [--no-build | --nice-build]
#   --no-build    skip (exit 0, counted as skipped) if the kernel is not
#                 built yet, instead of building it
#   --nice-build  build it at the lowest CPU priority (scripts/check.sh
#                 runs this next to the other kernels' VMs)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$top"

nice=()
case ${1:-} in
--no-build)
	if ! kver=$(fd_kernel_version debug) ||
		! "$here/build-debug-kernel.sh" --check >/dev/null 2>&1; then
		echo "# the debug kernel is not built: 'make check-debug' builds it"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi ;;
--nice-build) nice=(nice -n 19) ;;
'') ;;
*) fd_die 2 "usage: ${0##*/} [--no-build | --nice-build]" ;;
esac
t0=$(date +%s)
if ! "${nice[@]}" "$here/build-debug-kernel.sh" 2>&1; then
	echo "not ok - build the debug kernel"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
echo "# stage: debug kernel build (or cache check): $(($(date +%s) - t0))s"
kver=$(fd_kernel_version debug) || fd_die 1 "no debug kernel after the build"

t0=$(date +%s)
build=$FD_BUILD
out=$build/$kver
tests=$build/selftests-debug
rm -rf "$out" "$tests"
mkdir -p "$tests"
ko=$(fd_build_module "$top" "$kver" "$out" W=1)
make -s -C selftests/faultdemo OUTPUT="$tests" >/dev/null
fd_build_tool "$top" >/dev/null

# The passes of scripts/check.sh: the suite (large_folio_test and
# disk_folio_test at order 9 only), the stress program with folio_order=9
# (order 4 adds nothing the normal kernels do not see),
# then the concurrency and stress programs on the scratch disk under
# memory pressure, and the stress program there at folio_order=9
# (larger_than_ram_test needs a VM of its own: not here). In the 64 MiB
# cgroup the stress program's model of its 32 MiB region is all resident
# (it initialises the region on the disk) and cannot be evicted without
# swap: stress-ng gets 8 MiB for each of its two stressors there, so that
# the page cache is what gives.
backed="concurrency_test stress_test"
if [ -n "${FAULTDEMO_TESTS:-}" ]; then
	read -r -a progs <<<"$FAULTDEMO_TESTS"
	backed=
else
	mapfile -t progs < <(cd "$tests" && find . -maxdepth 1 -name '*_test' \
		! -name larger_than_ram_test ! -name migrate_test -printf '%f\n' | sort)
fi
vmlog=$build/vm-$kver.out
set +e
FAULTDEMO_STRESS_NG=1 FAULTDEMO_KMEMLEAK=1 FAULTDEMO_FOLIO_ORDERS=${backed:+9} \
	FAULTDEMO_TEST_ARGS_large_folio_test="-v order_9" \
	FAULTDEMO_TEST_ARGS_disk_folio_test="-v order_9" \
	FAULTDEMO_BACKED_TESTS=$backed FAULTDEMO_BACKED_ORDERS="0 9" \
	FAULTDEMO_BACKED_STRESS_MB=32 FAULTDEMO_BACKED_MEM=64M \
	FAULTDEMO_BACKED_NG_BYTES=8M \
	"$here/vm-run" --kernel "$kver" --mem 3072 --disk 384M \
	--timeout "${FAULTDEMO_VM_TIMEOUT:-3600}" -- \
	"$here/guest-check.sh" "$ko" "$tests" "${progs[@]}" 2>&1 | tee "$vmlog"
vmrc=${PIPESTATUS[0]}
set -e

pass=0 fail=0 skip=0
# count VMLOG RC: add the VM's "faultdemo-check:" line to the totals
count() {
	local res p=0 f=0 s=0
	res=$(grep -a '^faultdemo-check: ' "$1" | tail -n 1 || true)
	if [ -n "$res" ]; then
		read -r _ _ p _ f _ s <<<"$res"
	fi
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - debug kernel VM exited $2 (kernel report or timeout: see $1)"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}
count "$vmlog" "$vmrc"

# Migration (move_pages() between two NUMA nodes, compaction): a VM of
# its own, with two nodes.
if [ -z "${FAULTDEMO_TESTS:-}" ]; then
	vmlog=$build/vm-$kver-numa.out
	set +e
	FAULTDEMO_KMEMLEAK=1 "$here/vm-run" --kernel "$kver" --mem 3072 --numa 2 \
		--disk 256M --timeout "${FAULTDEMO_VM_TIMEOUT:-3600}" -- \
		"$here/guest-check.sh" "$ko" "$tests" migrate_test 2>&1 | tee "$vmlog"
	vmrc=${PIPESTATUS[0]}
	set -e
	count "$vmlog" "$vmrc"
fi
echo "# stage: debug kernel tests: $(($(date +%s) - t0))s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
