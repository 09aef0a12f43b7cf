#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test VM's initramfs: mount the host root over 9p, read-only,
# with a tmpfs overlay on top, and switch to it.
# shellcheck shell=sh
/bin/busybox mkdir -p /proc /sys /dev /lower /rw /newroot
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
if /bin/busybox grep -q faultdemo.probe /proc/cmdline; then
	echo faultdemo-probe-ok >/dev/ttyS0
	/bin/busybox reboot -f
fi
while read -r m; do
	/bin/busybox insmod "/modules/$m" || echo "init: insmod $m failed" >/dev/ttyS1
done </modules/order
/bin/busybox mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=524288,cache=loose root /lower
/bin/busybox mount -t tmpfs -o mode=0755 rw /rw
/bin/busybox mkdir -p /rw/upper /rw/work
/bin/busybox mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot
/bin/busybox cp /stage2 /newroot/faultdemo-stage2
/bin/busybox mkdir -p /newroot/faultdemo-modules
/bin/busybox mount --move /dev /newroot/dev
/bin/busybox umount /proc
# shellcheck disable=SC2093 # the lines below run only if it fails
exec /bin/busybox switch_root /newroot /bin/sh /faultdemo-stage2
echo "init: switch_root failed" >/dev/ttyS1
/bin/busybox reboot -f
