#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM on a build-checked kernel: a smoke test, not the
# suite. Loads the module with its default parameters, runs the example
# program ($FAULTDEMO_EXAMPLE) and the tour ($FAULTDEMO_TOOL tour
# --no-trace), then loads it again on the scratch disk
# (backing=$FAULTDEMO_DISK) and with 2 MiB folios (folio_order=9, which a
# kernel without THP must refuse), and unloads it. One "ok"/"not ok" line
# per step and, last,
#   faultdemo-check: pass P fail F skip S
# Exit status 0 only if every step passed. Kernel reports fail the run in
# vm-run.
#
# Usage: scripts/guest-smoke.sh MODULE.ko
set -eu

ko=$1
pass=0
fail=0
skip=0

ok() {
	echo "ok - $1"
	pass=$((pass + 1))
}

note_fail() {
	echo "not ok - $1"
	fail=$((fail + 1))
}

note_skip() {
	echo "ok - $1 # SKIP $2"
	skip=$((skip + 1))
}

# step NAME CMD [ARGS...]: one checked step, its output shown
step() {
	name=$1
	shift
	echo "# === $name"
	if "$@"; then
		ok "$name"
	else
		note_fail "$name (exit $?)"
	fi
}

finish() {
	echo "faultdemo-check: pass $pass fail $fail skip $skip"
	if [ "$fail" -eq 0 ]; then exit 0; fi
	exit 1
}

loaded() {
	grep -q '^faultdemo ' /proc/modules
}

# unload WHEN: rmmod, which fails on a leaked reference
unload() {
	if ! loaded; then
		note_fail "module was not loaded $1"
	elif rmmod faultdemo; then
		ok "rmmod $1"
	else
		note_fail "rmmod $1 (module still in use: leaked reference?)"
		finish
	fi
}

if ! insmod "$ko"; then
	note_fail "insmod $ko"
	finish
fi
ok "insmod $(modinfo -F version "$ko" 2>/dev/null || true) (default parameters)"

if [ -n "${FAULTDEMO_EXAMPLE:-}" ]; then
	step "example program: ${FAULTDEMO_EXAMPLE##*/}" "$FAULTDEMO_EXAMPLE"
else
	note_skip "example program" "FAULTDEMO_EXAMPLE not set"
fi
if [ -n "${FAULTDEMO_TOOL:-}" ]; then
	step "faultdemo tour --no-trace" "$FAULTDEMO_TOOL" tour --no-trace
else
	note_skip "faultdemo tour" "FAULTDEMO_TOOL not set"
fi
unload "after the tour"

if [ -n "${FAULTDEMO_DISK:-}" ]; then
	if insmod "$ko" "backing=$FAULTDEMO_DISK"; then
		ok "insmod backing=$FAULTDEMO_DISK"
		if [ -n "${FAULTDEMO_TOOL:-}" ]; then
			step "faultdemo info (backing=$FAULTDEMO_DISK)" "$FAULTDEMO_TOOL" info
		fi
		unload "(backing=$FAULTDEMO_DISK)"
	else
		note_fail "insmod backing=$FAULTDEMO_DISK"
	fi
else
	note_skip "backing=" "no scratch disk (vm-run --disk)"
fi

# A kernel without THP (PREEMPT_RT) has no large folios: the module must
# refuse the order there.
if [ ! -d /sys/kernel/mm/transparent_hugepage ]; then
	if insmod "$ko" folio_order=9 2>/dev/null; then
		note_fail "folio_order=9 loads on a kernel without CONFIG_TRANSPARENT_HUGEPAGE"
		rmmod faultdemo || true
	else
		ok "folio_order=9 refused: kernel without CONFIG_TRANSPARENT_HUGEPAGE"
	fi
elif insmod "$ko" folio_order=9; then
	ok "insmod folio_order=9"
	if [ -n "${FAULTDEMO_EXAMPLE:-}" ]; then
		step "example program (folio_order=9)" "$FAULTDEMO_EXAMPLE"
	fi
	unload "(folio_order=9)"
else
	note_fail "insmod folio_order=9"
fi

finish
