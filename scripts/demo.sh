#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: build faultdemo.ko and the faultdemo command, boot each
# supported kernel in the test VM, load the module, run the short example
# program (the three paths and the counters) under faultdemo trace (each
# fault as the kernel saw it), then the tour of every fault path with its
# evidence and call graphs (faultdemo tour --graph), and unload. Then load it again
# with a scratch disk behind the page cache (backing=) and take the tour
# once more: major faults, writeback and eviction, with the disk's own
# statistics as evidence. Last, load it with folio_order=9 for the row
# where one fault maps 2 MiB. The call graphs, as Graphviz files, SVG and
# PNG, end up in $FAULTDEMO_CACHE/demo/KVER/.
#
# Usage: scripts/demo.sh [KVER-OR-SERIES...]   (default: every supported kernel)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$top"

fd_kernels "$@"

for kver in "${FD_KERNELS[@]}"; do
	out=$FD_BUILD/demo-$kver
	ko=$(fd_build_module "$top" "$kver" "$out")
	cc -O2 -Wall -I include/uapi -o "$out/fault_paths" tools/example/fault_paths.c
	make -s -C tools/faultdemo
	graphs=$FAULTDEMO_CACHE/demo/$kver
	rm -rf "$graphs"
	echo "# faultdemo on $kver"
	# shellcheck disable=SC2016 # expanded by the guest's shell
	"$here/vm-run" --kernel "$kver" --disk 256M --results "$graphs" -- sh -c '
		set -e
		insmod "$1"
		ls -l /dev/faultdemo
		echo "# modinfo:"; modinfo -F parm "$1" | sed "s/^/#   /"
		echo "# faultdemo trace -- fault_paths:"
		"$3" trace -- "$2"
		echo "# faultdemo tour --setup-swap --graph:"
		"$3" tour --setup-swap --graph "$FAULTDEMO_RESULTS/ram"
		rmmod faultdemo
		echo "# module unloaded cleanly"
		echo "# insmod faultdemo.ko backing=$FAULTDEMO_DISK (a 256 MiB scratch disk)"
		insmod "$1" backing="$FAULTDEMO_DISK"
		"$3" info | grep -E "^(size|backing|readahead):"
		echo "# faultdemo tour --setup-swap --graph:"
		"$3" tour --setup-swap --graph "$FAULTDEMO_RESULTS/block"
		rmmod faultdemo
		echo "# module unloaded cleanly: dirty pages written back first"
		if [ ! -d /sys/kernel/mm/transparent_hugepage ]; then
			echo "# no CONFIG_TRANSPARENT_HUGEPAGE in this kernel (PREEMPT_RT): no large folios, folio_order=9 is refused:"
			if insmod "$1" folio_order=9; then
				exit 1
			fi
			dmesg | grep "folio_order=9: must be 0"
			exit 0
		fi
		echo "# insmod faultdemo.ko folio_order=9 (2 MiB folios in RAM)"
		insmod "$1" folio_order=9
		"$3" info | grep -E "^folio_order:"
		echo "# faultdemo tour --only pmd_fault:"
		"$3" tour --only pmd_fault --graph "$FAULTDEMO_RESULTS/pmd"
		rmmod faultdemo
		echo "# module unloaded cleanly"
		echo "# insmod faultdemo.ko backing=$FAULTDEMO_DISK folio_order=9 (2 MiB folios in front of the disk)"
		insmod "$1" backing="$FAULTDEMO_DISK" folio_order=9
		echo "# faultdemo tour --only major_fault,pmd_fault:"
		"$3" tour --only major_fault,pmd_fault --graph "$FAULTDEMO_RESULTS/block-pmd"
		rmmod faultdemo
		echo "# module unloaded cleanly"' \
		demo "$ko" "$out/fault_paths" "$top/tools/faultdemo/faultdemo"
	echo "# call graphs of the tour rows (Graphviz .dot, .svg, .png): $graphs/{ram,block,pmd,block-pmd}/"
done
