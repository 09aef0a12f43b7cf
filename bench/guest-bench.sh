#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run in the test VM by scripts/bench.sh: load faultdemo, make an ext4
# filesystem on the first half of the scratch disk, run faultdemo_bench;
# then reload faultdemo with the second half of the disk behind it and run
# backing_bench (faultdemo_block against ext4 on the same disk, with
# $FAULTDEMO_BENCH_BLOCK as its options); with $FAULTDEMO_BENCH_PMD set
# (faultdemo_bench options, e.g. --size), the main tests of faultdemo at
# folio_order=9 and of tmpfs with huge pages in between; print the CSV between marker
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
# Large folios: faultdemo with folio_order=9 against tmpfs with huge pages
# (shmem_enabled=always: memfds get PMD-mapped 2 MiB folios), THP left on.
# Their rows are renamed faultdemo_pmd and tmpfs_huge.
if [ -n "${FAULTDEMO_BENCH_PMD:-}" ] &&
	[ -w /sys/kernel/mm/transparent_hugepage/shmem_enabled ]; then
	pmd_args="$ko_args folio_order=9"
	# shellcheck disable=SC2086 # a list of module parameters
	insmod "$ko" $pmd_args
	shmem0=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/shmem_enabled)
	echo always >/sys/kernel/mm/transparent_hugepage/shmem_enabled
	# shellcheck disable=SC2086 # a list of options
	"$bench" --csv "$csv.pmd" --ko "$ko" --ko-args "$pmd_args" --only main \
		--kinds faultdemo,tmpfs --thp $FAULTDEMO_BENCH_PMD
	echo "$shmem0" >/sys/kernel/mm/transparent_hugepage/shmem_enabled
	sed -n 's/^faultdemo,/faultdemo_pmd,/p; s/^tmpfs,/tmpfs_huge,/p' "$csv.pmd" >>"$csv"
	rmmod faultdemo
fi
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
