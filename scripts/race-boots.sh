#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The stress program in the configuration of make check's parallel VM
# (every vCPU on a host thread of its own: vm-run --tcg-thread multi, or
# KVM), in N separate boots per kernel: each boot brings its late CPUs
# online and patches its static keys anew, which is where QEMU 7.2's
# multi-threaded TCG has been seen to run a stale int3 (see vm-run). A
# boot passes if the stress program passes and vm-run finds no oops,
# warning or other kernel report in its log. Ends with
# "N passed, N failed". Each boot is a run of scripts/vm-run: QEMU with
# KVM where it works (then the vCPUs are host threads anyway), else
# multi-threaded TCG, the configuration this is about.
#
# Usage: scripts/race-boots.sh [-n BOOTS] [-s SECONDS] [KVER-OR-SERIES...]
#   -n BOOTS    boots per kernel (default 30)
#   -s SECONDS  stress program run time in each boot (default 10, at
#               most 300, the stress program's own limit)
#   default kernels: every supported one
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$top"

boots=30
seconds=10
while getopts n:s: opt; do
	case $opt in
	n) boots=$OPTARG ;;
	s) seconds=$OPTARG ;;
	*) fd_die 2 "usage: ${0##*/} [-n BOOTS] [-s SECONDS] [KVER-OR-SERIES...]" ;;
	esac
done
shift $((OPTIND - 1))
for v in "$boots" "$seconds"; do
	case $v in
	'' | *[!0-9]* | 0) fd_die 2 "-n and -s take a positive number" ;;
	esac
done
[ "$seconds" -le 300 ] || fd_die 2 "-s: at most 300 seconds"

fd_kernels "$@"
kernels=("${FD_KERNELS[@]}")

build=$FD_BUILD
tests=$build/selftests-races
rm -rf "$tests"
mkdir -p "$tests"
make -s -C selftests/faultdemo OUTPUT="$tests" >/dev/null

pass=0 fail=0
for kver in "${kernels[@]}"; do
	ko=$(fd_build_module "$top" "$kver" "$build/races-$kver")
	ops=0 t0=$(date +%s)
	for i in $(seq 1 "$boots"); do
		log=$build/races-$kver.out
		if FAULTDEMO_STRESS_SECONDS=$seconds \
			"$here/vm-run" --kernel "$kver" --tcg-thread multi \
			--timeout $((seconds + 300)) -- \
			"$here/guest-check.sh" "$ko" "$tests" stress_test >"$log" 2>&1; then
			n=$(sed -n 's/^# ops: //p' "$log" | tail -n 1)
			ops=$((ops + ${n:-0}))
			echo "ok - $kver: boot $i, ${n:-?} operations"
			pass=$((pass + 1))
		else
			sed 's/^/# /' "$log" | tail -n 40
			echo "not ok - $kver: boot $i ($(grep -a '^vm-run: ' "$log" | tail -n 1))"
			fail=$((fail + 1))
		fi
	done
	echo "# $kver: $boots boots, $ops operations, $(($(date +%s) - t0))s"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
