#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the debug kernel's VM: forget what kmemleak saw during boot,
# run the whole suite (scripts/guest-check.sh: insmod, every kselftest,
# rmmod), then make kmemleak scan and fail on anything it reports.
# KASAN, lockdep, DEBUG_VM and PAGE_TABLE_CHECK reports end up in the
# kernel log, where vm-run fails the run on them.
#
# Usage: scripts/guest-check-debug.sh MODULE.ko TESTDIR [TEST...]
set -u

here=$(dirname "$0")
kml=/sys/kernel/debug/kmemleak

if [ ! -w "$kml" ]; then
	echo "not ok - kmemleak: $kml missing (kernel without DEBUG_KMEMLEAK?)"
	echo "faultdemo-check: pass 0 fail 1 skip 0"
	exit 1
fi
echo clear >"$kml"

{
	"$here/guest-check.sh" "$@"
	echo $? >/tmp/guest-check.rc
} | tee /tmp/guest-check.out
rc=$(cat /tmp/guest-check.rc)
pass=0 fail=1 skip=0
res=$(grep '^faultdemo-check: ' /tmp/guest-check.out | tail -n 1)
if [ -n "$res" ]; then
	read -r _ _ pass _ fail _ skip <<-EOF
	$res
	EOF
fi

# An object is reported once it has been unreferenced for 5 s and seen so
# by a scan; two scans after the wait catch everything rmmod left behind.
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
	echo "not ok - kmemleak: $(echo "$leaks" | grep -c '^unreferenced object') leaked objects"
	fail=$((fail + 1))
fi

echo "faultdemo-check: pass $pass fail $fail skip $skip"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
