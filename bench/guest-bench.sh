#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run in the test VM by scripts/bench.sh: load faultdemo, make an ext4
# filesystem on the first third of the scratch disk, run faultdemo_bench;
# with $FAULTDEMO_BENCH_PMD set (faultdemo_bench options, e.g. --size),
# the main tests of faultdemo at folio_order=9 and of tmpfs with huge
# pages; with $FAULTDEMO_BENCH_BLOCK set (backing_bench options), xfs on the
# last third and backing_bench: faultdemo with the start of the middle
# third behind it (as large as the region), at folio_order=0 and then at 9,
# each against ext4 and xfs, then the three again with MADV_HUGEPAGE. Prints the CSV between marker lines (the guest's
# files vanish with it). FAULTDEMO_BENCH_RAMDISK=1: a RAM disk (brd)
# instead of the scratch disk. FAULTDEMO_BENCH_MAIN=0: backing_bench only.
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
	# three parts of one disk through the same device-mapper layer:
	# ext4, faultdemo's, xfs
	modprobe dm-mod 2>/dev/null || true
	part=$(($(cat "/sys/class/block/${disk##*/}/size") / 3 / 8 * 8))
	DM_DISABLE_UDEV=1 dmsetup create fdbench-ext4 --table "0 $part linear $disk 0"
	# the store's device as large as the region measured, as each file
	# is: read-ahead stops at the same end for all
	# (backing_bench's --size N, NM or NG, in sectors)
	bsize=$(printf '%s\n' "${FAULTDEMO_BENCH_BLOCK:-}" | awk '{
		for (i = 1; i < NF; i++) if ($i == "--size") {
			v = $(i + 1); m = 1 / 512
			if (v ~ /M$/) m = 2048
			if (v ~ /G$/) m = 2097152
			sub(/[MG]$/, "", v); printf "%d\n", v * m } }')
	if [ "${bsize:-0}" -gt "$part" ]; then
		echo "guest-bench.sh: a block region of $((bsize / 2048)) MiB does not fit a third of the disk ($((part / 2048)) MiB)" >&2
		exit 2
	fi
	DM_DISABLE_UDEV=1 dmsetup create fdbench-block --table "0 ${bsize:-$part} linear $disk $part"
	DM_DISABLE_UDEV=1 dmsetup create fdbench-xfs --table "0 $part linear $disk $((2 * part))"
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
if [ "${FAULTDEMO_BENCH_MAIN:-1}" = 1 ]; then
	# shellcheck disable=SC2086 # ext4 is an option and its argument
	"$bench" --csv "$csv" --ko "$ko" --ko-args "$ko_args" $ext4 \
		--ramfs-dir "$mnt.ramfs" "$@"
else
	echo "kind,access,order,threads,pages,fault_around_bytes,readahead,rep_median_ns_per_page,min,max,faults_per_page,setup_ns,setup_plus_touch_ns_per_page" >"$csv"
fi
rmmod faultdemo
# Large folios: faultdemo with folio_order=9 against tmpfs with huge pages
# (shmem_enabled=always: memfds get PMD-mapped 2 MiB folios), THP left on.
# Their rows are renamed faultdemo_pmd and tmpfs_huge.
if [ "${FAULTDEMO_BENCH_MAIN:-1}" = 1 ] && [ -n "${FAULTDEMO_BENCH_PMD:-}" ] &&
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
	modprobe xfs 2>/dev/null || true
	mkfs.xfs -q -f /dev/mapper/fdbench-xfs
	mkdir -p "$mnt.xfs"
	mount -t xfs /dev/mapper/fdbench-xfs "$mnt.xfs"
	block_bench="${bench%/*}/backing_bench --csv $csv $FAULTDEMO_BENCH_BLOCK"
	# the filesystems' rows of the order-0 run are *_r0: each ratio
	# divides rows of one run
	fs="ext4_block=$mnt/backing_bench.dat xfs_block=$mnt.xfs/backing_bench.dat"
	fs0="ext4_block_r0=$mnt/backing_bench.dat xfs_block_r0=$mnt.xfs/backing_bench.dat"
	# shellcheck disable=SC2086 # lists of options and kinds
	if [ -e /sys/kernel/mm/transparent_hugepage/enabled ]; then
		insmod "$ko" backing=/dev/mapper/fdbench-block folio_order=0
		$block_bench faultdemo_block=/dev/faultdemo $fs0
		rmmod faultdemo
		insmod "$ko" backing=/dev/mapper/fdbench-block folio_order=9
		$block_bench faultdemo_block9=/dev/faultdemo $fs
		$block_bench --hugepage faultdemo_block9=/dev/faultdemo $fs
	else
		echo "# no transparent huge pages (PREEMPT_RT): folio_order=0 only"
		insmod "$ko" backing=/dev/mapper/fdbench-block folio_order=0
		$block_bench faultdemo_block=/dev/faultdemo $fs0
	fi
	rmmod faultdemo
	umount "$mnt.xfs"
fi
echo "@@FAULTDEMO-BENCH-CSV-BEGIN@@"
cat "$csv"
echo "@@FAULTDEMO-BENCH-CSV-END@@"
[ -z "$ext4" ] || umount "$mnt"
umount "$mnt.ramfs"
