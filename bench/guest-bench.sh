#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run in the test VM by scripts/bench.sh: load faultdemo, make an ext4
# filesystem on the first half of the scratch disk, run faultdemo_bench;
# then reload faultdemo with the second half of the disk behind it and run
# backing_bench (faultdemo_block against ext4 on the same disk, with
# $FAULTDEMO_BENCH_BLOCK as its options); print the CSV between marker
# lines (the guest's files vanish with it). FAULTDEMO_BENCH_RAMDISK=1: a
# RAM disk (brd) instead of the scratch disk.
#
# Usage: guest-bench.sh KO BENCH [faultdemo_bench options...]
set -eu

ko=$1
bench=$2
shift 2
ko_args="size=1G reserved_size=4M"
mnt=/mnt/faultdemo-bench
csv=/tmp/faultdemo_bench.csv

# shellcheck disable=SC2086 # ko_args is a list of module parameters
insmod "$ko" $ko_args
[ -f /sys/kernel/debug/fault_around_bytes ] ||
	mount -t debugfs debugfs /sys/kernel/debug
ext4=
disk=${FAULTDEMO_DISK:-}
if [ "${FAULTDEMO_BENCH_RAMDISK:-0}" = 1 ]; then
	# a RAM disk: I/O completes inside submit_bio(), nothing waits for a
	# device, so the instruction count of a disk-bound row repeats too
	modprobe brd rd_nr=1 rd_size=2097152
	disk=/dev/ram0
fi
if [ -n "$disk" ] && [ -b "$disk" ]; then
	# two halves of one disk through the same device-mapper layer
	modprobe dm-mod 2>/dev/null || true
	half=$(($(cat "/sys/class/block/${disk##*/}/size") / 2))
	DM_DISABLE_UDEV=1 dmsetup create fdbench-ext4 --table "0 $half linear $disk 0"
	DM_DISABLE_UDEV=1 dmsetup create fdbench-block --table "0 $half linear $disk $half"
	modprobe ext4 2>/dev/null || true
	mkfs.ext4 -q -F /dev/mapper/fdbench-ext4
	mkdir -p "$mnt"
	mount -t ext4 /dev/mapper/fdbench-ext4 "$mnt"
	ext4="--ext4-dir $mnt"
else
	echo "# no scratch disk: ext4 rows skipped"
fi
echo "# guest: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
# "QEMU TCG CPU" under software emulation: absolute times mean little there
echo "# cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "# kernel command line: $(cat /proc/cmdline)"
# ramfs: filemap_fault, filemap_map_pages and filemap_page_mkwrite over a
# page cache with nothing behind it, the kernel's own version of ours
mkdir -p "$mnt.ramfs"
mount -t ramfs ramfs "$mnt.ramfs"
# shellcheck disable=SC2086 # ext4 is an option and its argument
"$bench" --csv "$csv" --ko "$ko" --ko-args "$ko_args" $ext4 \
	--ramfs-dir "$mnt.ramfs" "$@"
rmmod faultdemo
if [ -n "$ext4" ] && [ -n "${FAULTDEMO_BENCH_BLOCK:-}" ]; then
	insmod "$ko" backing=/dev/mapper/fdbench-block
	# shellcheck disable=SC2086 # a list of options
	"${bench%/*}/backing_bench" --csv "$csv" --ext4-dir "$mnt" $FAULTDEMO_BENCH_BLOCK
	rmmod faultdemo
fi
echo "@@FAULTDEMO-BENCH-CSV-BEGIN@@"
cat "$csv"
echo "@@FAULTDEMO-BENCH-CSV-END@@"
[ -z "$ext4" ] || umount "$mnt"
umount "$mnt.ramfs"
