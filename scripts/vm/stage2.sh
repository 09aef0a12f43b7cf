#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM once the root is mounted: a usable system (proc, sys,
# tmpfs, debugfs, tracefs, the guest kernel's modules), then the command
# from the results share, its exit status back to the share, and reboot
# (QEMU runs with -no-reboot, so that ends the VM).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=0755 run /run
mkdir -p /dev/pts /dev/shm /run/lock
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mkdir -p /faultdemo-out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 out /faultdemo-out
# shellcheck disable=SC1091 # written by vm-run for this run
. /faultdemo-out/env
# the guest kernel's own modules, for modprobe
mkdir -p "/lib/modules/$FAULTDEMO_GUEST_KVER"
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=524288,cache=loose mods "/lib/modules/$FAULTDEMO_GUEST_KVER"
hostname faultdemo-vm
ip link set lo up 2>/dev/null
if [ -n "$FAULTDEMO_DISK" ]; then
	modprobe virtio_blk
	i=0
	while [ ! -b "$FAULTDEMO_DISK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi
# vm-run --tcg-thread multi: the other CPUs join only now, after boot
# patched its static keys (see vm-run)
if grep -qw faultdemo_vm.late_cpus /proc/cmdline; then
	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		[ ! -f "$c/online" ] || [ "$(cat "$c/online")" = 1 ] || echo 1 >"$c/online"
	done
fi
stty -F /dev/ttyS0 raw -echo 2>/dev/null
echo ready >/faultdemo-out/booted
cd "$FAULTDEMO_CWD" 2>/dev/null || cd /
sh /faultdemo-out/cmd </dev/null >/dev/ttyS0 2>&1
rc=$?
dmesg >/faultdemo-out/dmesg 2>&1
echo "$rc" >/faultdemo-out/status
sync
umount /faultdemo-out
echo "faultdemo-vm: command exited $rc" >/dev/ttyS1
reboot -f
