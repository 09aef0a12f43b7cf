#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite: lint (scripts/lint.sh), the tests of the VM runner
# (selftests/vm-run), then for every supported kernel:
#   - build faultdemo.ko with W=1 (a warning is a failure)
#   - dkms build
#   - boot the kernel in the test VM, insmod, run the kselftests, rmmod
# and last, one line "N passed, N failed, N skipped". Exit status 0 only if
# nothing failed on any kernel.
#
# The supported kernels are Debian 12's 6.1, 6.12 and 6.12-rt and Debian 13
# backports' 7.3 and 7.3-rt (scripts/setup.sh). Each build-checked kernel
# (Debian 13's 6.12, backports' 7.2, experimental's newest when newer) gets
# a W=1 build and one VM that loads the module, runs the example program
# and the tour, and loads it again on a disk and with folio_order=9
# (scripts/guest-smoke.sh). A kernel that setup.sh could not set up is a
# failure.
#
# The kselftest VM has a scratch disk: the tests of the block backend
# (backing_test) use it. After the suite the stress program runs again
# with the module loaded with folio_order=4 and 9, then the concurrency and
# stress programs run again with the module on that disk, in a memory
# cgroup smaller than what they touch (scripts/guest-check.sh). A second
# VM per kernel, with 384 MiB of memory and a 1.5 GiB disk, runs
# larger_than_ram_test.
#
# The debug kernel (scripts/check-debug.sh) runs in a lane of its own, next
# to the others: its build (at the lowest CPU priority, so that the other
# kernels' VMs keep their CPU) and then its VM overlap the other kernels'
# stages, and its output is printed when they are done. Last, with the
# host to itself, a third VM per kernel runs the concurrency and stress
# programs with each vCPU on a host thread of its own (vm-run --tcg-thread
# multi, or KVM), the stress program for at least 10^6 operations. Each
# stage's wall time is in the summary.
#
# Usage: scripts/check.sh [KVER-OR-SERIES...]   (default: all supported;
# the debug kernel runs whatever the list, unless FAULTDEMO_DEBUG=0)
#
# Environment: FAULTDEMO_TESTS="a_test b_test" runs only those programs
# (and no second pass, no larger-than-RAM VM); FAULTDEMO_LINT=0 skips the
# lint stage, FAULTDEMO_DEBUG=0 the debug kernel.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$top"

t0=$(date +%s)
fd_kernels "$@"
kernels=("${FD_KERNELS[@]}")
# the build-checked kernels and what setup.sh could not set up: a full run
# only
checked=()
absent=()
if [ $# -eq 0 ]; then
	if [ -f "$FAULTDEMO_CACHE/kernels/build-checked" ]; then
		mapfile -t checked <"$FAULTDEMO_CACHE/kernels/build-checked"
	fi
	if [ -f "$FAULTDEMO_CACHE/kernels/missing" ]; then
		mapfile -t absent <"$FAULTDEMO_CACHE/kernels/missing"
	fi
fi

pass=0
fail=0
skip=0
summary=()
times=()
parallel=()
dsummary=
declare -A kpass kfail kskip

# stage_time NAME START: the wall time of a stage, for the summary
stage_time() {
	times+=("$1: $(($(date +%s) - $2))s")
}

ok() {
	echo "ok - $*"
	pass=$((pass + 1))
}

not_ok() {
	echo "not ok - $*"
	fail=$((fail + 1))
}

build=$FD_BUILD
mkdir -p "$build"

for m in "${absent[@]}"; do
	not_ok "not set up: $m (scripts/setup.sh)"
	summary+=("not set up: $m")
done

# ok/not ok lines of a helper script count as tests.
count_lines() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case $line in
		"ok "*"# SKIP"*) skip=$((skip + 1)) ;;
		ok*) pass=$((pass + 1)) ;;
		"not ok"*) fail=$((fail + 1)) ;;
		esac
	done
}

# User-space tests do not depend on the kernel: build them once. They live
# under the cache, which the guest sees through its 9p root.
tests=$build/selftests
rm -rf "$tests"
mkdir -p "$tests"
if make -s -C selftests/faultdemo OUTPUT="$tests" >"$build/selftests.log" 2>&1; then
	ok "build selftests"
else
	cat "$build/selftests.log"
	not_ok "build selftests"
fi

# The command the tour test runs.
if fd_build_tool "$top" >"$build/tools.log" 2>&1; then
	ok "build tools/faultdemo"
else
	cat "$build/tools.log"
	not_ok "build tools/faultdemo"
fi

# The debug kernel's lane starts now, once the tree's own builds are done
# (it builds the same tool and programs again: nothing left to do).
dlog=$build/check-debug.out
dpid=
if [ "${FAULTDEMO_DEBUG:-1}" = 1 ]; then
	echo "# ===== debug kernel: built and tested in the background ($dlog)"
	# a session of its own, so that an early exit can stop all of it
	setsid "$here/check-debug.sh" --nice-build >"$dlog" 2>&1 &
	dpid=$!
	trap '[ -z "$dpid" ] || kill -TERM -- "-$dpid" 2>/dev/null || true' EXIT
fi

if [ "${FAULTDEMO_LINT:-1}" = 1 ]; then
	echo "# ===== lint"
	t=$(date +%s)
	count_lines < <("$here/lint.sh" 2>&1 || true)
	stage_time lint "$t"
fi

echo "# ===== the test VM runner"
t=$(date +%s)
count_lines < <("$top/selftests/vm-run/vm-run-test.sh" "${kernels[@]}" 2>&1 || true)
stage_time "test VM runner" "$t"

# run_vm LOG VM-RUN-OPTIONS... -- GUEST-CHECK-ARGS...: one VM on $kver,
# its "faultdemo-check:" line added to the totals
run_vm() {
	local vmlog=$1 vmrc res p f s kf=$fail
	shift
	set +e
	"$here/vm-run" --kernel "$kver" --timeout "${FAULTDEMO_VM_TIMEOUT:-1800}" "$@" 2>&1 | tee "$vmlog"
	vmrc=${PIPESTATUS[0]}
	set -e
	res=$(grep -a '^faultdemo-check: ' "$vmlog" | tail -n 1 || true)
	if [ -n "$res" ]; then
		read -r _ _ p _ f _ s <<<"$res"
		pass=$((pass + p))
		fail=$((fail + f))
		skip=$((skip + s))
	fi
	if [ "$vmrc" -ne 0 ] && { [ -z "$res" ] || [ "$fail" -eq "$kf" ]; }; then
		not_ok "test VM on $kver exited $vmrc ($vmlog)"
	fi
}

# build_w1: faultdemo.ko for $kver in $build/$kver, path in $ko; a
# warning is a failure
build_w1() {
	local log=$build/module-$kver.log
	rm -rf "${build:?}/$kver"
	if ko=$(fd_build_module "$top" "$kver" "$build/$kver" W=1 2>"$log") &&
		! grep -q 'warning:' "$log"; then
		ok "build faultdemo.ko W=1 for $kver"
		return 0
	fi
	cat "$log"
	not_ok "build faultdemo.ko W=1 for $kver"
	return 1
}

for kver in "${kernels[@]}"; do
	echo "# ===== kernel $kver"
	kp=$pass kf=$fail ks=$skip
	t=$(date +%s)
	build_w1 || {
		summary+=("$kver: module did not build")
		continue
	}
	count_lines < <("$here/dkms-check.sh" "$kver" 2>&1 || true)
	stage_time "$kver: module and DKMS builds" "$t"

	t=$(date +%s)
	if [ -n "${FAULTDEMO_TESTS:-}" ]; then
		# shellcheck disable=SC2086
		run_vm "$build/vm-$kver.out" --disk 384M -- \
			"$here/guest-check.sh" "$ko" "$tests" $FAULTDEMO_TESTS
		stage_time "$kver: test VM" "$t"
	else
		mapfile -t progs < <(cd "$tests" && find . -maxdepth 1 -name '*_test' \
			! -name larger_than_ram_test ! -name concurrency_test \
			! -name stress_test ! -name migrate_test -printf '%f\n' | sort)
		FAULTDEMO_FOLIO_ORDERS="4 9" FAULTDEMO_BACKED_ORDERS="0 4 9" \
			FAULTDEMO_BACKED_TESTS="concurrency_test stress_test" \
			FAULTDEMO_BACKED_STRESS_MB=32 FAULTDEMO_BACKED_MEM=64M \
			run_vm "$build/vm-$kver.out" --disk 384M -- \
			"$here/guest-check.sh" "$ko" "$tests" "${progs[@]}"
		stage_time "$kver: test VM" "$t"
		parallel+=("$kver")
		echo "# ===== kernel $kver: a device four times the size of RAM"
		t=$(date +%s)
		run_vm "$build/vm-$kver-large.out" --mem 384 --disk 1536M -- \
			"$here/guest-check.sh" "$ko" "$tests" larger_than_ram_test
		stage_time "$kver: larger than RAM" "$t"
	fi
	kpass[$kver]=$((pass - kp)) kfail[$kver]=$((fail - kf)) kskip[$kver]=$((skip - ks))
done

# The build-checked kernels: a W=1 build and one smoke VM each.
for kver in "${checked[@]}"; do
	echo "# ===== build-checked kernel $kver"
	kp=$pass kf=$fail ks=$skip
	t=$(date +%s)
	build_w1 || {
		summary+=("$kver (build-checked): module did not build")
		continue
	}
	run_vm "$build/vm-$kver-smoke.out" --disk 256M -- "$here/guest-smoke.sh" "$ko"
	stage_time "$kver (build-checked): build and smoke VM" "$t"
	summary+=("$kver (build-checked): $((pass - kp)) passed, $((fail - kf)) failed, $((skip - ks)) skipped")
done

if [ "${FAULTDEMO_DEBUG:-1}" = 1 ]; then
	echo "# ===== debug kernel (KASAN, lockdep, DEBUG_VM, kmemleak)"
	t=$(date +%s)
	wait "$dpid" || true
	dpid=
	stage_time "waiting for the debug kernel's lane" "$t"
	cat "$dlog"
	res=$(tail -n 1 "$dlog")
	case $res in
	*" passed, "*" failed, "*" skipped")
		read -r p _ f _ s _ <<<"$res"
		pass=$((pass + p))
		fail=$((fail + f))
		skip=$((skip + s))
		dsummary="debug kernel: $res"
		;;
	*) not_ok "debug kernel run ended without a summary" ;;
	esac
	while IFS= read -r line; do
		times+=("${line#\# stage: }")
	done < <(grep -a '^# stage: ' "$dlog" || true)
fi

# The race programs with every vCPU on a host thread of its own (KVM, or
# multi-threaded TCG), the stress program for at least 10^6 operations (6
# workers x 170000; 300 s is only a bound). They run last, once the debug
# kernel's lane is done: a VM next to them would take a host CPU from a
# vCPU, and the vCPUs would then take turns instead of racing. The VM has
# two NUMA nodes, a CPU each, for the migration tests, and half its memory
# in ZONE_MOVABLE (movablecore=), which takes only movable allocations,
# for the memory offlining test.
for kver in "${parallel[@]}"; do
	echo "# ===== kernel $kver: races in true parallel, two NUMA nodes"
	kp=$pass kf=$fail ks=$skip
	t=$(date +%s)
	FAULTDEMO_STRESS_SECONDS=300 FAULTDEMO_STRESS_OPS=170000 \
		FAULTDEMO_STRESS_MIN_OPS=1000000 \
		run_vm "$build/vm-$kver-parallel.out" --tcg-thread multi \
		--numa 2 --disk 384M --append movablecore=50% -- \
		"$here/guest-check.sh" "$build/$kver/faultdemo.ko" "$tests" \
		concurrency_test stress_test migrate_test
	stage_time "$kver: races in true parallel, two NUMA nodes" "$t"
	kpass[$kver]=$((kpass[$kver] + pass - kp))
	kfail[$kver]=$((kfail[$kver] + fail - kf))
	kskip[$kver]=$((kskip[$kver] + skip - ks))
done
for kver in "${kernels[@]}"; do
	[ -n "${kpass[$kver]:-}" ] || continue
	summary+=("$kver: ${kpass[$kver]} passed, ${kfail[$kver]} failed, ${kskip[$kver]} skipped")
done
[ -z "$dsummary" ] || summary+=("$dsummary")

echo "# ===== summary ($(($(date +%s) - t0))s)"
for s in "${summary[@]}"; do
	echo "# $s"
done
echo "# stage times:"
for s in "${times[@]}"; do
	echo "#   $s"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
