#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM: load the module, run every kselftest program,
# unload the module. Prints each program's KTAP output and, last, one line
#   faultdemo-check: pass P fail F skip S
# Exit status 0 only if every test passed and rmmod succeeded.
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
for t in "$@"; do
	echo "# === $t"
	set +e
	"$dir/$t" >"$log" 2>&1
	rc=$?
	set -e
	cat "$log"
	totals=$(grep '^# Totals:' "$log" | tail -n 1)
	if [ -z "$totals" ]; then
		note_fail "$t exited $rc without KTAP totals"
		continue
	fi
	# "# Totals: pass:N fail:N xfail:N xpass:N skip:N error:N"
	parsed=$(echo "$totals" | sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) xfail:\([0-9]*\) xpass:\([0-9]*\) skip:\([0-9]*\) error:\([0-9]*\).*/\1 \2 \3 \4 \5 \6/p')
	if [ -z "$parsed" ]; then
		note_fail "$t: unreadable totals: $totals"
		continue
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
done
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

echo "faultdemo-check: pass $pass fail $fail skip $skip"
[ "$fail" -eq 0 ]
