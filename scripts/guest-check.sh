#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM: load the module, run every kselftest program,
# unload the module. Prints each program's KTAP output and, last, one line
#   faultdemo-check: pass P fail F skip S
# Exit status 0 only if every test passed and rmmod succeeded.
#
# Then, for each order in FAULTDEMO_FOLIO_ORDERS, the module reloaded with
# that folio_order and the programs in FAULTDEMO_FOLIO_TESTS (default
# stress_test) run again (the stress program for
# FAULTDEMO_FOLIO_STRESS_SECONDS, default 12).
#
# Then, if FAULTDEMO_BACKED_TESTS names programs and the VM has a scratch
# disk ($FAULTDEMO_DISK), a second pass: the module reloaded on that disk
# and those programs run again, inside a memory cgroup whose memory.max
# (FAULTDEMO_BACKED_MEM, default 64M) is smaller than what they touch, so
# that the page cache is evicted and written back while they run. The
# cgroup's own counters show that it was (refaults) and that nothing was
# OOM-killed. The stress test's region is FAULTDEMO_BACKED_STRESS_MB then.
# With FAULTDEMO_BACKED_ORDERS (e.g. "0 4 9") the pass is made once per
# folio_order, FAULTDEMO_BACKED_FOLIO_TESTS (default stress_test) at the
# orders above 0.
#
# FAULTDEMO_KMEMLEAK=1 (the debug kernel): kmemleak forgets what it saw
# during boot before insmod, and scans after the last rmmod; anything it
# reports fails the run. KASAN, lockdep, DEBUG_VM and PAGE_TABLE_CHECK
# reports end up in the kernel log, where vm-run fails the run on them.
#
# Usage: scripts/guest-check.sh MODULE.ko TESTDIR [TEST...]
set -eu

ko=$1
dir=$2
shift 2

pass=0
fail=0
skip=0

note_fail() {
	echo "not ok - $1"
	fail=$((fail + 1))
}

kml=/sys/kernel/debug/kmemleak
if [ "${FAULTDEMO_KMEMLEAK:-0}" = 1 ]; then
	if [ ! -w "$kml" ]; then
		note_fail "kmemleak: $kml missing (kernel without DEBUG_KMEMLEAK?)"
		echo "faultdemo-check: pass $pass fail $fail skip $skip"
		exit 1
	fi
	echo clear >"$kml"
fi

if ! insmod "$ko"; then
	note_fail "insmod $ko"
	echo "faultdemo-check: pass $pass fail $fail skip $skip"
	exit 1
fi
echo "ok - insmod $(modinfo -F version "$ko" 2>/dev/null || true)"
pass=$((pass + 1))

if [ $# -eq 0 ]; then
	for t in "$dir"/*_test; do
		[ -x "$t" ] && set -- "$@" "${t##*/}"
	done
fi
[ $# -gt 0 ] || note_fail "no test programs in $dir"

FAULTDEMO_KO=$(readlink -f "$ko")
export FAULTDEMO_KO
log=$(mktemp)

# run_test NAME [PREFIX...]: run one program, add up its KTAP totals;
# FAULTDEMO_TEST_ARGS_<NAME>, if set, are its arguments (e.g. "-v order_9")
run_test() {
	t=$1
	shift
	eval "targs=\${FAULTDEMO_TEST_ARGS_$t:-}"
	echo "# === $t${label:+ ($label)}${targs:+ $targs}"
	t0=$(date +%s)
	set +e
	# shellcheck disable=SC2086 # targs is a list of arguments
	"$@" "$dir/$t" $targs >"$log" 2>&1
	rc=$?
	set -e
	cat "$log"
	echo "# --- $t${label:+ ($label)}: $(($(date +%s) - t0)) s"
	totals=$(grep '^# Totals:' "$log" | tail -n 1)
	if [ -z "$totals" ]; then
		note_fail "$t${label:+ ($label)} exited $rc without KTAP totals"
		return
	fi
	# "# Totals: pass:N fail:N xfail:N xpass:N skip:N error:N"
	parsed=$(echo "$totals" | sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) xfail:\([0-9]*\) xpass:\([0-9]*\) skip:\([0-9]*\) error:\([0-9]*\).*/\1 \2 \3 \4 \5 \6/p')
	if [ -z "$parsed" ]; then
		note_fail "$t: unreadable totals: $totals"
		return
	fi
	read -r tp tf txf txp s e <<-EOF
	$parsed
	EOF
	# an expected failure is a pass, an unexpected pass a failure
	p=$((tp + txf))
	f=$((tf + txp))
	pass=$((pass + p))
	fail=$((fail + f + e))
	skip=$((skip + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$e" -eq 0 ]; then
		note_fail "$t exited $rc"
	fi
}

label=
for t in "$@"; do
	run_test "$t"
done

# Large folios: the module reloaded with each order in
# FAULTDEMO_FOLIO_ORDERS and FAULTDEMO_FOLIO_TESTS (default stress_test)
# run again, their region in folios of that order.
# A kernel without THP (Debian's PREEMPT_RT) has no large folios: there
# the module must refuse the order instead.
for order in ${FAULTDEMO_FOLIO_ORDERS:-}; do
	label="folio_order=$order"
	if grep -q '^faultdemo ' /proc/modules && ! rmmod faultdemo; then
		note_fail "rmmod before the $label pass (leaked reference?)"
		break
	fi
	if [ ! -d /sys/kernel/mm/transparent_hugepage ]; then
		if insmod "$ko" "folio_order=$order" 2>/dev/null; then
			note_fail "$label loads on a kernel without CONFIG_TRANSPARENT_HUGEPAGE"
			rmmod faultdemo || true
		elif dmesg | tail -n 5 | grep -q "folio_order=$order: must be 0"; then
			echo "ok - $label refused: kernel without CONFIG_TRANSPARENT_HUGEPAGE"
			pass=$((pass + 1))
		else
			note_fail "$label refused without its message"
		fi
		# loaded again, as after a pass with THP
		insmod "$ko" || note_fail "insmod $ko after the $label refusal"
		continue
	fi
	if ! insmod "$ko" "folio_order=$order"; then
		note_fail "insmod $ko folio_order=$order"
		break
	fi
	for t in ${FAULTDEMO_FOLIO_TESTS:-stress_test}; do
		run_test "$t" env \
			"FAULTDEMO_STRESS_SECONDS=${FAULTDEMO_FOLIO_STRESS_SECONDS:-12}"
	done
done

# The second pass: on the scratch disk, under memory pressure, once per
# order in FAULTDEMO_BACKED_ORDERS (default 0). Order 0 runs
# FAULTDEMO_BACKED_TESTS; a larger order runs FAULTDEMO_BACKED_FOLIO_TESTS
# (default stress_test, for FAULTDEMO_FOLIO_STRESS_SECONDS). A kernel that
# cannot have the order with backing= (no THP; before 6.12 only 0 and 9)
# must refuse it with its message.
backed_pass() {
	order=$1
	label="backing=$FAULTDEMO_DISK folio_order=$order, memory.max=${FAULTDEMO_BACKED_MEM:-64M}"
	tests=$FAULTDEMO_BACKED_TESTS
	secs=
	if [ "$order" != 0 ]; then
		tests=${FAULTDEMO_BACKED_FOLIO_TESTS:-stress_test}
		secs=${FAULTDEMO_FOLIO_STRESS_SECONDS:-12}
	fi
	if grep -q '^faultdemo ' /proc/modules && ! rmmod faultdemo; then
		note_fail "rmmod before the $label pass (leaked reference?)"
		return
	fi
	if ! insmod "$ko" "backing=$FAULTDEMO_DISK" "folio_order=$order" 2>/dev/null; then
		why=$(dmesg | tail -n 5 | grep -e "folio_order=$order: must be 0" -e ": 0 or 9\$" |
			tail -n 1 | sed 's/^\[[^]]*\] //')
		if [ "$order" != 0 ] && [ -n "$why" ]; then
			echo "ok - $label refused: $why"
			pass=$((pass + 1))
		else
			note_fail "insmod $ko backing=$FAULTDEMO_DISK folio_order=$order"
		fi
		return
	fi
	mkdir -p "$cg"
	echo "${FAULTDEMO_BACKED_MEM:-64M}" >"$cg/memory.max"
	echo 0 >"$cg/memory.swap.max" 2>/dev/null || true
	for t in $tests; do
		# shellcheck disable=SC2016 # expanded by the inner shell
		# The pressure is on the page cache: the shadow model
		# (region-sized shared anonymous memory) and stress-ng's
		# anonymous memory cannot be evicted without swap, so
		# together they stay well below memory.max.
		run_test "$t" env \
			"FAULTDEMO_STRESS_MB=${FAULTDEMO_BACKED_STRESS_MB:-${FAULTDEMO_STRESS_MB:-8}}" \
			"FAULTDEMO_STRESS_NG_BYTES=${FAULTDEMO_BACKED_NG_BYTES:-16M}" \
			${secs:+"FAULTDEMO_STRESS_SECONDS=$secs"} \
			sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg"
	done
	refaults=$(sed -n 's/^workingset_refault_file //p' "$cg/memory.stat")
	ooms=$(sed -n 's/^oom_kill //p' "$cg/memory.events")
	if [ "${refaults:-0}" -gt 0 ] && [ "${ooms:-1}" -eq 0 ]; then
		echo "ok - $label: $refaults pages read again after eviction, no OOM kill"
		pass=$((pass + 1))
	else
		note_fail "$label: refaults ${refaults:-?}, OOM kills ${ooms:-?}: no pressure, or too much"
	fi
	rmdir "$cg" 2>/dev/null || true
}

if [ -n "${FAULTDEMO_BACKED_TESTS:-}" ] && [ -n "${FAULTDEMO_DISK:-}" ]; then
	cg=/sys/fs/cgroup/faultdemo-backed
	[ -e /sys/fs/cgroup/cgroup.controllers ] || mount -t cgroup2 none /sys/fs/cgroup
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	for order in ${FAULTDEMO_BACKED_ORDERS:-0}; do
		backed_pass "$order"
	done
	# the last order may have been refused: loaded again, as after a pass
	if ! grep -q '^faultdemo ' /proc/modules; then
		insmod "$ko" "backing=$FAULTDEMO_DISK" || note_fail "insmod $ko after the refused orders"
	fi
	label=
fi
rm -f "$log"

# A test may have left the module unloaded or loaded with other parameters.
if grep -q '^faultdemo ' /proc/modules; then
	if rmmod faultdemo; then
		echo "ok - rmmod"
		pass=$((pass + 1))
	else
		note_fail "rmmod (module still in use: leaked reference?)"
	fi
else
	note_fail "module was not loaded at the end of the run"
fi

# An object is reported once it has been unreferenced for 5 s and seen so
# by a scan; two scans after the wait catch everything rmmod left behind.
if [ "${FAULTDEMO_KMEMLEAK:-0}" = 1 ]; then
	sleep 6
	echo scan >"$kml"
	sleep 1
	echo scan >"$kml"
	leaks=$(cat "$kml")
	if [ -z "$leaks" ]; then
		echo "ok - kmemleak: no leaks after rmmod"
		pass=$((pass + 1))
	else
		echo "$leaks" | sed 's/^/# /'
		note_fail "kmemleak: $(echo "$leaks" | grep -c '^unreferenced object') leaked objects"
	fi
fi

echo "faultdemo-check: pass $pass fail $fail skip $skip"
[ "$fail" -eq 0 ]
