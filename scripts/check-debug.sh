#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole kselftest suite, the stress test included, on the debug kernel
# (KASAN, lockdep, DEBUG_VM, PAGE_TABLE_CHECK, kmemleak, DEBUG_ATOMIC_SLEEP,
# DEBUG_LIST), with stress-ng as background memory pressure during the
# stress test, then the concurrency and stress programs again with the
# module on a scratch disk in a small memory cgroup, and a kmemleak scan
# after rmmod. Builds the kernel first if
# it is not cached (scripts/build-debug-kernel.sh; long, once).
# Ends with "N passed, N failed, N skipped".
#
# Usage: scripts/check-debug.sh [--no-build]
#   --no-build   skip (exit 0, counted as skipped) if the kernel is not
#                built yet, instead of building it
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$top"

if [ "${1:-}" = --no-build ]; then
	if ! kver=$(fd_kernel_version debug) ||
		! "$here/build-debug-kernel.sh" --check >/dev/null 2>&1; then
		echo "# the debug kernel is not built: 'make check-debug' builds it"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
else
	"$here/build-debug-kernel.sh"
fi
kver=$(fd_kernel_version debug) || fd_die 1 "no debug kernel after the build"

t0=$(date +%s)
build=$FAULTDEMO_CACHE/build
out=$build/$kver
tests=$build/selftests-debug
rm -rf "$out" "$tests"
mkdir -p "$tests"
ko=$("$here/build-module.sh" "$kver" "$out" W=1)
make -s -C selftests/faultdemo OUTPUT="$tests" >/dev/null
fd_build_tool "$top" >/dev/null

# The passes of scripts/check.sh: the suite (large_folio_test at order 9
# only), the stress program with folio_order=9 (order 4 adds nothing the
# normal kernels do not see),
# then the concurrency and stress programs on the scratch disk under
# memory pressure (larger_than_ram_test needs a VM of its own: not here).
backed="concurrency_test stress_test"
if [ -n "${FAULTDEMO_TESTS:-}" ]; then
	read -r -a progs <<<"$FAULTDEMO_TESTS"
	backed=
else
	mapfile -t progs < <(cd "$tests" && find . -maxdepth 1 -name '*_test' \
		! -name larger_than_ram_test -printf '%f\n' | sort)
fi
# backing_test without the tests of policy (read-ahead sizes, dirty
# thresholds and counters, the flusher's timing, reclaim in a small
# cgroup): they run the same module paths as the tests kept (reads,
# writeback, eviction; the backed pass below puts the stress program under
# memory pressure), and on this kernel they cost a third of the stage.
backing_skip=
for t in readahead_follows_bdi_and_advice fadvise_willneed_reads_without_faults \
	cold_sequential_read_one_fault_per_window flusher_writes_back_by_itself \
	dirty_and_writeback_counts_move fast_dirtying_is_throttled \
	memory_pressure_evicts_without_oom; do
	backing_skip="$backing_skip -T $t"
done
vmlog=$build/vm-$kver.out
set +e
FAULTDEMO_STRESS_NG=1 FAULTDEMO_FOLIO_ORDERS=${backed:+9} \
	FAULTDEMO_TEST_ARGS_large_folio_test="-v order_9" \
	FAULTDEMO_TEST_ARGS_backing_test="$backing_skip" \
	FAULTDEMO_BACKED_TESTS=$backed \
	FAULTDEMO_BACKED_STRESS_MB=32 FAULTDEMO_BACKED_MEM=64M \
	"$here/vm-run" --kernel "$kver" --mem 3072 --disk 384M \
	--timeout "${FAULTDEMO_VM_TIMEOUT:-3600}" -- \
	"$here/guest-check-debug.sh" "$ko" "$tests" "${progs[@]}" 2>&1 | tee "$vmlog"
vmrc=${PIPESTATUS[0]}
set -e

pass=0 fail=0 skip=0
res=$(grep -a '^faultdemo-check: ' "$vmlog" | tail -n 1 || true)
if [ -n "$res" ]; then
	read -r _ _ pass _ fail _ skip <<<"$res"
fi
if [ "$vmrc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	echo "not ok - debug kernel VM exited $vmrc (kernel report or timeout: see its log)"
	fail=1
fi
echo "# debug kernel $kver: $(($(date +%s) - t0))s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
