#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Page-fault benchmark: for each supported kernel, build faultdemo.ko and
# bench/faultdemo_bench, run it in the test VM (4 CPUs, 3 GiB, a 2 GiB
# scratch disk for ext4), take its CSV from the guest's stdout, plot it with
# gnuplot and print the key ratios with their targets.
#
# The guest boots with the kernel's own memory defaults (vm-run
# --no-mm-debug: no page poisoning) and, under TCG, multi-threaded TCG so
# that its threads really run in parallel. Its scratch disk image is in
# host memory (/dev/shm): the host's own writeback of the image would
# otherwise add its noise to the timed disk I/O. A guest that dies of a kernel
# report is run once more: multi-threaded TCG in QEMU 7.2 has been seen to
# run a stale int3 after the kernel patched a static key (see vm-run).
#
# Usage: scripts/bench.sh [KVER-OR-SERIES...]   (default: every supported kernel)
#
# Results: $FAULTDEMO_CACHE/bench/<kver>/{results.csv,bench.log,*.png}
# Sizes (the defaults take about 11 minutes per kernel under TCG: 7 for the
# timed runs, 4 for the instruction-counted ones):
#   FAULTDEMO_BENCH_SIZE        main region (default 256M)
#   FAULTDEMO_BENCH_REPS        repetitions of the main tests (default 3)
#   FAULTDEMO_BENCH_SWEEP_SIZE  region of the sweeps and scaling (default 256M)
#   FAULTDEMO_BENCH_SWEEP_REPS  their repetitions (default 3)
#   FAULTDEMO_BENCH_ICOUNT_SIZE region of the instruction-counting run of
#                               the main tests (default 64M, 0: no such run)
#   FAULTDEMO_BENCH_ICOUNT_REPS its repetitions (default 5; the ratios
#                               take the fewest instructions of them, leaving
#                               out the passes that a timer interrupt or the
#                               kernel's deferred work fell into)
#   FAULTDEMO_BENCH_BLOCK_SIZE  region of the block-device runs, timed and
#                               counted (faultdemo with a disk behind it
#                               against xfs and ext4 on the same disk;
#                               default the main region)
#   FAULTDEMO_BENCH_ONLY        "block": the block-device runs alone
#   FAULTDEMO_BENCH_REPORT_ONLY 1: no runs, the ratios of the last ones
#   FAULTDEMO_BENCH_BLOCK_REPS  their repetitions (default 5: disk I/O under
#                               TCG is noisier than memory)
#   FAULTDEMO_BENCH_TIMEOUT     seconds per VM run (default 900)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$top"

size=${FAULTDEMO_BENCH_SIZE:-256M}
reps=${FAULTDEMO_BENCH_REPS:-3}
sweep_size=${FAULTDEMO_BENCH_SWEEP_SIZE:-256M}
sweep_reps=${FAULTDEMO_BENCH_SWEEP_REPS:-3}
timeout=${FAULTDEMO_BENCH_TIMEOUT:-900}
icount_size=${FAULTDEMO_BENCH_ICOUNT_SIZE:-64M}
icount_reps=${FAULTDEMO_BENCH_ICOUNT_REPS:-5}
block_size=${FAULTDEMO_BENCH_BLOCK_SIZE:-$size}
block_reps=${FAULTDEMO_BENCH_BLOCK_REPS:-5}
case ${FAULTDEMO_BENCH_ONLY:-} in
"") FAULTDEMO_BENCH_MAIN=1 ;;
block) FAULTDEMO_BENCH_MAIN=0 ;;
*) fd_die 2 "FAULTDEMO_BENCH_ONLY: 'block' or nothing, not '$FAULTDEMO_BENCH_ONLY'" ;;
esac
# read by bench/guest-bench.sh (vm-run passes FAULTDEMO_* to the guest)
export FAULTDEMO_BENCH_MAIN

fd_kernels "$@"
[ "${FAULTDEMO_BENCH_REPORT_ONLY:-0}" = 1 ] || command -v gnuplot >/dev/null ||
	fd_die 2 "gnuplot not found: apt-get install gnuplot-nox"

# pngcairo if this gnuplot has it, else libgd's png
term="png noenhanced size 1000,600"
if gnuplot -e 'set terminal pngcairo' 2>/dev/null; then
	term="pngcairo noenhanced size 1000,600 font 'sans,10'"
fi

# csv_get CSV KIND ACCESS ORDER FIELD: FIELD (column number) of the first
# single-thread row that matches, or nothing.
csv_get() {
	awk -F, -v k="$2" -v a="$3" -v o="$4" -v f="$5" \
		'$1 == k && $2 == a && $3 == o && $4 == 1 { print $f; exit }' "$1"
}

# div A B: A/B with three decimals, or nothing if either is missing.
div() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a != "" && b != "" && b + 0 != 0) printf "%.3f", a / b }'
}

# verdict V TARGET: PASS, MISS, or "-" for a missing value or no target.
verdict() {
	awk -v v="$1" -v t="$2" 'BEGIN {
		if (v == "" || t == "-") print "-"
		else print (v <= t + 1e-9 ? "PASS" : "MISS") }'
}

# line NAME TARGET TIMED INSTR: one line of the ratio table.
line() {
	printf '  %-56s %-8s %8s %-4s %8s %-4s\n' "$1" "${2/#[0-9]/<= &}" \
		"${3:--}" "$(verdict "$3" "$2")" "${4:--}" "$(verdict "$4" "$2")"
}

# ratio CSV KIND ACCESS DEN_KIND DEN_ACCESS: ns/page of the sequential
# single-thread rows, the first over the second: the median (column 8) of
# timed runs, the fewest (column 9) of instruction counts, to which an
# interrupt or the kernel's deferred work only ever adds.
ratio() {
	local col=8
	[ -f "$1" ] || return 0
	[ "${1##*/}" != instructions.csv ] || col=9
	div "$(csv_get "$1" "$2" "$3" seq $col)" "$(csv_get "$1" "$4" "$5" seq $col)"
}

# faults CSV KIND ACCESS: faults/page (column 11) of that row.
faults() {
	[ -f "$1" ] || return 0
	div "$(csv_get "$1" "$2" "$3" seq 11)" 1
}

# kver_ge VERSION: whether the kernel benchmarked ($kver) is VERSION or later.
kver_ge() {
	[ "$(printf '%s\n%s\n' "$1" "${kver%%[-+]*}" | sort -V | head -n 1)" = "$1" ]
}

# bget CSV KIND ACCESS ORDER FIELD: FIELD of backing_bench's row.
bget() {
	[ -f "$1" ] || return 0
	awk -F, -v k="$2" -v a="$3" -v o="$4" -v f="$5" \
		'$1 == k && $2 == a && $3 == o { print $f; exit }' "$1"
}

# bratio CSV KIND ACCESS ORDER DEN_KIND [FIELD]: FIELD (default 8, the
# median) of KIND's backing_bench row over DEN_KIND's.
bratio() {
	div "$(bget "$1" "$2" "$3" "$4" "${6:-8}")" "$(bget "$1" "$5" "$3" "$4" "${6:-8}")"
}

# bval CSV KIND ACCESS ORDER FIELD: that value, to 6 significant digits
# (a whole number from 1000 on).
bval() {
	awk -v v="$(bget "$@")" 'BEGIN {
		if (v == "") exit
		f = v + 0 >= 1000 ? "%.0f" : "%.6g"
		printf f, v }'
}

# mibs CSV KIND: writeback MiB/s of KIND (page size over ns/page).
mibs() {
	awk -v ns="$(bget "$1" "$2" writeback seq 8)" -v ps="$(getconf PAGESIZE)" \
		'BEGIN { if (ns > 0) printf "%.0f", ps / ns * 1e9 / 1048576; else print "-" }'
}

# reserved_faults CSV: the most faults/page of any reserved window row
# (reads and shared writes; the window refuses MAP_PRIVATE).
reserved_faults() {
	[ -f "$1" ] || return 0
	awk -F, '$1 == "reserved" {
		if ($11 > m) m = $11; n++ } END { if (n) printf "%.3f", m }' "$1"
}

# kinds_dat CSV COL: ns/page of every kind (column COL: 8 the median, 9
# the fewest), a line per access and order, a column per kind, for a
# clustered histogram.
kinds_dat() {
	awk -F, -v col="$2" 'NR > 1 && $4 == 1 && $2 !~ /sweep/ && ($3 == "seq" || $3 == "rand") {
		key = $2 " " $3
		if (!(key in seen)) { seen[key] = 1; keys[nk++] = key }
		# populated mappings: mmap() (the population) plus the touch
		v[key, $1] = $1 ~ /populate/ ? $13 : $col
	} END {
		nkind = split("faultdemo tmpfs ramfs ext4 anon anon_populate faultdemo_populate reserved", kinds, " ")
		printf "access"
		for (i = 1; i <= nkind; i++)
			printf " %s", kinds[i] (kinds[i] ~ /populate/ ? "(mmap+touch)" : "")
		printf "\n"
		for (j = 0; j < nk; j++) {
			k = keys[j]; gsub(" ", "/", k); printf "%s", k
			for (i = 1; i <= nkind; i++)
				printf " %s", ((keys[j], kinds[i]) in v) ? v[keys[j], kinds[i]] : "-"
			printf "\n"
		}
	}' "$1"
}

# kinds_plot DAT PNG TITLE YLABEL: the histogram of kinds_dat.
kinds_plot() {
	gnuplot <<-EOF
		set terminal ${term/size 1000,600/size 1200,600}
		set datafile missing "-"
		set key outside right top
		set grid ytics
		set output "$2"
		set title "$3"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set logscale y
		set yrange [10:*]
		set ylabel "$4"
		set xtics rotate by -30
		plot for [i=2:9] "$1" using i:xtic(1) title columnheader(i)
	EOF
}

plots() {
	local dir=$1 csv=$1/results.csv guest=

	grep -q '^# cpu: .*TCG' "$dir/bench.log" && guest=", TCG guest"
	kinds_dat "$csv" 8 >"$dir/kinds.dat"
	kinds_plot "$dir/kinds.dat" "$dir/ns_per_page.png" \
		"ns per page touched, median of the repetitions ($kver$guest)" \
		"ns/page (log)"
	echo "  $dir/ns_per_page.png"
	if [ -f "$dir/instructions.csv" ]; then
		kinds_dat "$dir/instructions.csv" 9 >"$dir/kinds-instructions.dat"
		kinds_plot "$dir/kinds-instructions.dat" "$dir/instructions_per_page.png" \
			"guest instructions per page touched, QEMU -icount ($kver)" \
			"instructions/page (log)"
		echo "  $dir/instructions_per_page.png"
	fi
	awk -F, '$2 == "fa_sweep_warm_read" { print $6, $8, $11 }' "$csv" >"$dir/fa.dat"
	awk -F, '$2 == "ra_sweep_cold_read" { print $7, $8, $11 }' "$csv" >"$dir/ra.dat"
	awk -F, 'NR > 1 && ($3 == "disjoint" || $3 == "same") {
		print $1 "/" $2 "/" $3, $4, $8 }' "$csv" | sort -k1,1 -k2n >"$dir/scale.dat"

	gnuplot <<-EOF
		set terminal $term
		set key outside right top
		set grid
		set output "$dir/fault_around.png"
		set title "faultdemo warm sequential read vs fault_around_bytes ($kver)"
		set logscale x 2
		set logscale y2 2
		set xlabel "fault_around_bytes (KiB)"
		set ylabel "ns/page"
		set y2label "faults/page (log)"
		set y2tics
		set ytics nomirror
		set yrange [0:*]
		plot "$dir/fa.dat" using (\$1 / 1024):2 with linespoints lw 2 title "ns/page", \
		     "$dir/fa.dat" using (\$1 / 1024):3 axes x1y2 with linespoints lw 2 title "faults/page"

		reset
		set terminal $term
		set grid
		set output "$dir/readahead.png"
		set title "faultdemo cold sequential read vs readahead ($kver)"
		set xlabel "readahead (pages)"
		set ylabel "ns/page"
		set y2label "faults/page"
		set y2tics
		set ytics nomirror
		set yrange [0:*]
		set y2range [0:*]
		plot "$dir/ra.dat" using 1:2 with linespoints lw 2 title "ns/page", \
		     "$dir/ra.dat" using 1:3 axes x1y2 with linespoints lw 2 title "faults/page"

		reset
		set terminal ${term/size 1000,600/size 1400,600}
		set output "$dir/scaling.png"
		set multiplot layout 1,2 title "threads: wall ns per page of the region ($kver)"
		set grid
		set xlabel "threads"
		set ylabel "ns/page (log)"
		set logscale y
		set xtics (1, 2, 4)
		set key bottom left font ",8"
		cases = "faultdemo/cold_read faultdemo/warm_read faultdemo/shared_write faultdemo/private_write tmpfs/warm_read tmpfs/shared_write anon/write"
		set title "disjoint ranges"
		plot for [c in cases] "< grep '^".c."/disjoint ' $dir/scale.dat" \
			using 2:3 with linespoints lw 2 title c
		set title "every thread the whole range"
		plot for [c in cases] "< grep '^".c."/same ' $dir/scale.dat" \
			using 2:3 with linespoints lw 2 title c
		unset multiplot
	EOF
	for p in fault_around readahead scaling; do
		echo "  $dir/$p.png"
	done
}

# report DIR: the key ratios with their targets, from the timed run
# (results.csv) and, if there is one, the instruction-counted run
# (instructions.csv); then the kernel's own ratios on the same paths.
report() {
	local t=$1/results.csv i=$1/instructions.csv isz ireps
	isz=$(sed -n 's/^# region \([0-9]* MiB\) .*/\1/p' "$1/icount.log" 2>/dev/null | head -n 1 || true)
	ireps=$(sed -n 's/^# region [0-9]* MiB x \([0-9]*\) reps.*/\1/p' "$1/icount.log" 2>/dev/null | head -n 1 || true)
	if [ "$FAULTDEMO_BENCH_MAIN" = 1 ]; then
		echo "# key ratios on $kver: readahead $(csv_get "$t" faultdemo cold_read seq 7), fault_around_bytes $(csv_get "$t" faultdemo warm_read seq 6)"
		echo "#   timed: median ns/page of $reps runs over $size (per page touched)"
	else
		echo "# key ratios on $kver, block-device runs only"
	fi
	if [ -f "$i" ]; then
		echo "#   instr: guest instructions per page under QEMU -icount,${isz:+ the fewest of $ireps runs over $isz,} block rows one run over $block_size"
		echo "#          (repeatable but for interrupts and deferred work, which only add; its disk is a"
		echo "#          RAM disk, where I/O completes inside submit_bio() and nothing waits)"
	fi
	printf '  %-56s %-8s %8s %-4s %8s %-4s\n' "" target timed "" instr ""
	if [ "$FAULTDEMO_BENCH_MAIN" = 1 ]; then
		line "faultdemo warm read / ext4 warm read (ns/page)" 1.0 \
			"$(ratio "$t" faultdemo warm_read ext4 warm_read)" \
			"$(ratio "$i" faultdemo warm_read ext4 warm_read)"
		line "faultdemo warm read / tmpfs warm read (ns/page)" 1.0 \
			"$(ratio "$t" faultdemo warm_read tmpfs warm_read)" \
			"$(ratio "$i" faultdemo warm_read tmpfs warm_read)"
		line "faultdemo cold read (read-ahead) / tmpfs cold read" 1.0 \
			"$(ratio "$t" faultdemo cold_read tmpfs cold_read)" \
			"$(ratio "$i" faultdemo cold_read tmpfs cold_read)"
		line "faults/page, faultdemo warm seq read, 64 KiB window" 0.0725 \
			"$(faults "$t" faultdemo warm_read)" "$(faults "$i" faultdemo warm_read)"
		line "faults/page, reserved window read + shared write" 0 \
			"$(reserved_faults "$t")" "$(reserved_faults "$i")"
		line "COW private write / anonymous write (ns/page)" 1.1 \
			"$(ratio "$t" faultdemo private_write anon write)" \
			"$(ratio "$i" faultdemo private_write anon write)"
		line "shared first write / tmpfs shared first write (ns/page)" 1.0 \
			"$(ratio "$t" faultdemo shared_write tmpfs shared_write)" \
			"$(ratio "$i" faultdemo shared_write tmpfs shared_write)"
		echo "# folio_order=9 (2 MiB folios, one PMD per fault), against tmpfs with huge pages (shmem_enabled=always):"
		line "faults/page, faultdemo folio_order=9 warm seq read" 0.002 \
			"$(faults "$t" faultdemo_pmd warm_read)" "$(faults "$i" faultdemo_pmd warm_read)"
		line "faultdemo folio_order=9 warm read / tmpfs huge (ns/page)" 1.0 \
			"$(ratio "$t" faultdemo_pmd warm_read tmpfs_huge warm_read)" \
			"$(ratio "$i" faultdemo_pmd warm_read tmpfs_huge warm_read)"
		line "faultdemo folio_order=9 cold read / tmpfs huge (ns/page)" 1.0 \
			"$(ratio "$t" faultdemo_pmd cold_read tmpfs_huge cold_read)" \
			"$(ratio "$i" faultdemo_pmd cold_read tmpfs_huge cold_read)"
		line "folio_order=9 shared first write / tmpfs huge" 1.0 \
			"$(ratio "$t" faultdemo_pmd shared_write tmpfs_huge shared_write)" \
			"$(ratio "$i" faultdemo_pmd shared_write tmpfs_huge shared_write)"
		line "faultdemo folio_order=9 warm read / folio_order=0" - \
			"$(ratio "$t" faultdemo_pmd warm_read faultdemo warm_read)" \
			"$(ratio "$i" faultdemo_pmd warm_read faultdemo warm_read)"
		echo "# for reference, the kernel's own handlers on the same paths:"
		line "ext4 COW private write / anonymous write" - \
			"$(ratio "$t" ext4 private_write anon write)" \
			"$(ratio "$i" ext4 private_write anon write)"
		line "faultdemo COW / ext4 COW private write" 1.005 \
			"$(ratio "$t" faultdemo private_write ext4 private_write)" \
			"$(ratio "$i" faultdemo private_write ext4 private_write)"
		line "ramfs shared first write / tmpfs (filemap_page_mkwrite)" - \
			"$(ratio "$t" ramfs shared_write tmpfs shared_write)" \
			"$(ratio "$i" ramfs shared_write tmpfs shared_write)"
		line "faultdemo shared first write / ramfs" - \
			"$(ratio "$t" faultdemo shared_write ramfs shared_write)" \
			"$(ratio "$i" faultdemo shared_write ramfs shared_write)"
	fi
	# ext4 caches large folios from 6.16 on (not on PREEMPT_RT: no THP),
	# xfs on every kernel here: each is compared with the store at the
	# same folio limit
	# rows of the order-0 run: faultdemo_block, ext4_block_r0, xfs_block_r0
	local b9=faultdemo_block9 be=faultdemo_block e=ext4_block_r0 eo=0 m=0.00197
	# without THP (PREEMPT_RT) the store runs at order 0 only: the lines
	# against xfs are then the order-0 run's
	local bx=$b9 x=xfs_block xe=ext4_block lb=block9
	if grep -q '^# no transparent huge pages' "$1/bench.log" 2>/dev/null; then
		bx=faultdemo_block x=xfs_block_r0 xe=ext4_block_r0 lb="block (order 0)"
	elif kver_ge 6.16; then
		be=$b9 e=ext4_block eo=9
	fi
	echo "# with a disk behind the page cache (backing=), against xfs and ext4 on parts of the"
	echo "# same disk (timed: the VM's virtio disk, median of $block_reps runs; instr: the RAM disk);"
	if [ "$bx" = "$b9" ]; then
		echo "# block9: folio_order=9; huge: every mapping MADV_HUGEPAGE:"
	else
		echo "# no THP (PREEMPT_RT): the store at folio_order=0 only, xfs and ext4 likewise:"
	fi
	line "$lb cold seq read / xfs (ns/page)" 1.0 \
		"$(bratio "$t" $bx cold_read seq $x)" "$(bratio "$i" $bx cold_read seq $x)"
	line "block (order $eo, ext4's limit) cold seq read / ext4" 1.0 \
		"$(bratio "$t" $be cold_read seq $e)" "$(bratio "$i" $be cold_read seq $e)"
	if [ "$bx" = "$b9" ]; then
		line "faults/page, block9 huge cold seq read (1/512 + 1%)" $m \
			"$(bval "$t" $b9 cold_read_huge seq 11)" "$(bval "$i" $b9 cold_read_huge seq 11)"
		line "faults/page, block9 huge warm seq read (1/512 + 1%)" $m \
			"$(bval "$t" $b9 warm_read_huge seq 11)" "$(bval "$i" $b9 warm_read_huge seq 11)"
	fi
	line "$lb cold random 4 KiB read / xfs (ns/page)" 1.0 \
		"$(bratio "$t" $bx cold_read rand $x)" "$(bratio "$i" $bx cold_read rand $x)"
	line "$lb fsync time / xfs's (MiB/s: the inverse)" 1.0 \
		"$(bratio "$t" $bx writeback seq $x)" "$(bratio "$i" $bx writeback seq $x)"
	# per-block dirty state came with 6.6: before, a dirty folio is
	# written whole, by the store as by xfs
	if [ "$bx" != "$b9" ]; then
		: # no 2 MiB folios
	elif kver_ge 6.6; then
		line "bytes per one-byte write() into a 2 MiB folio, block9" 4096 \
			"$(bval "$t" $b9 one_byte_write 2M 8)" "$(bval "$i" $b9 one_byte_write 2M 8)"
	else
		line "bytes per one-byte write(), block9 / xfs's (before 6.6)" 1.0 \
			"$(bratio "$t" $b9 one_byte_write 2M xfs_block)" \
			"$(bratio "$i" $b9 one_byte_write 2M xfs_block)"
	fi
	printf '  %-56s %-8s %8s\n' "writeback MiB/s, $lb / xfs / ext4 (timed)" "" \
		"$(mibs "$t" $bx)/$(mibs "$t" $x)/$(mibs "$t" $xe)"
	echo "# for reference, on the same disk:"
	line "$lb cold seq read faults/page / xfs's" - \
		"$(bratio "$t" $bx cold_read seq $x 11)" "$(bratio "$i" $bx cold_read seq $x 11)"
	[ "$bx" != "$b9" ] ||
		line "block9 huge cold seq read / xfs huge (ns/page)" - \
			"$(bratio "$t" $b9 cold_read_huge seq xfs_block)" "$(bratio "$i" $b9 cold_read_huge seq xfs_block)"
	line "$lb warm seq read / xfs (ns/page)" - \
		"$(bratio "$t" $bx warm_read seq $x)" "$(bratio "$i" $bx warm_read seq $x)"
	line "$lb shared first write / xfs (ns/page)" - \
		"$(bratio "$t" $bx shared_write seq $x)" "$(bratio "$i" $bx shared_write seq $x)"
	line "block (order 0) cold seq read / ext4 (ns/page)" - \
		"$(bratio "$t" faultdemo_block cold_read seq ext4_block_r0)" \
		"$(bratio "$i" faultdemo_block cold_read seq ext4_block_r0)"
	line "block (order 0) cold random read / ext4 (ns/page)" - \
		"$(bratio "$t" faultdemo_block cold_read rand ext4_block_r0)" \
		"$(bratio "$i" faultdemo_block cold_read rand ext4_block_r0)"
	[ "$bx" = faultdemo_block ] ||
		line "block (order 0) cold seq read / xfs (ns/page)" - \
			"$(bratio "$t" faultdemo_block cold_read seq xfs_block_r0)" \
			"$(bratio "$i" faultdemo_block cold_read seq xfs_block_r0)"
	if [ "$bx" = "$b9" ]; then
		line "bytes per one-byte write(), xfs (its log included)" - \
			"$(bval "$t" xfs_block one_byte_write 2M 8)" "$(bval "$i" xfs_block one_byte_write 2M 8)"
		line "bytes per one-byte write(), ext4 (its journal included)" - \
			"$(bval "$t" ext4_block one_byte_write 2M 8)" "$(bval "$i" ext4_block one_byte_write 2M 8)"
	fi
	if grep -q '^# cpu: .*TCG' "$1/bench.log"; then
		echo "  (absolute times in a TCG guest are not real hardware times: only the ratios from one run matter)"
	fi
}

# guest_bench LOG CSV [VM-RUN OPTIONS] -- [FAULTDEMO_BENCH OPTIONS]: run the
# benchmark in the VM, its output into LOG (and stdout), its CSV into CSV.
guest_bench() {
	local log=$1 csv=$2 attempt rc
	local -a vmopts=()
	shift 2
	while [ "$1" != -- ]; do
		vmopts+=("$1")
		shift
	done
	shift
	for attempt in 1 2; do
		rc=0
		FAULTDEMO_DISK_DIR=${FAULTDEMO_DISK_DIR:-/dev/shm} \
			"$here/vm-run" --kernel "$kver" --cpus 4 --mem 4096 --disk 2G \
			--no-mm-debug --timeout "$timeout" "${vmopts[@]}" \
			-- "$top/bench/guest-bench.sh" "$ko" \
			"$top/bench/faultdemo_bench" "$@" |
			tr -d '\r' | tee "$log" || rc=$?
		if [ "$rc" -ne 3 ] || [ "$attempt" -eq 2 ]; then
			break
		fi
		echo "# $kver: the guest kernel reported a problem (exit 3, log above): running once more" >&2
	done
	[ "$rc" -eq 0 ] || fd_die 1 "benchmark on $kver failed (exit $rc); output in $log"
	sed -n '/^@@FAULTDEMO-BENCH-CSV-BEGIN@@$/,/^@@FAULTDEMO-BENCH-CSV-END@@$/p' \
		"$log" | sed '1d;$d' >"$csv"
	[ "$(wc -l <"$csv")" -gt 1 ] ||
		fd_die 1 "no CSV in the output of $kver: see $log"
}

start=$SECONDS
[ "${FAULTDEMO_BENCH_REPORT_ONLY:-0}" = 1 ] || make -s -C bench
summary=()
for kver in "${FD_KERNELS[@]}"; do
	out=$FD_BUILD/bench-$kver
	res=$FAULTDEMO_CACHE/bench/$kver
	if [ "${FAULTDEMO_BENCH_REPORT_ONLY:-0}" = 1 ]; then
		[ -f "$res/results.csv" ] || fd_die 1 "no results for $kver in $res"
		report "$res" | tee "$res/ratios.txt"
		summary+=("$res/ratios.txt")
		continue
	fi
	ko=$(fd_build_module "$top" "$kver" "$out")
	mkdir -p "$res"
	echo "# faultdemo_bench on $kver: region $size x $reps reps, sweeps and scaling $sweep_size x $sweep_reps reps, reserved window 4 MiB"
	t0=$SECONDS
	FAULTDEMO_BENCH_BLOCK="--size $block_size --reps $block_reps" \
		FAULTDEMO_BENCH_PMD="--size $size --reps $reps" \
		guest_bench "$res/bench.log" "$res/results.csv" --tcg-thread multi -- \
		--size "$size" --reps "$reps" --sweep-size "$sweep_size" \
		--sweep-reps "$sweep_reps" --threads 4
	echo "# $kver: VM run took $((SECONDS - t0)) s; CSV: $res/results.csv"
	rm -f "$res/instructions.csv" "$res/icount.log"
	if [ "$icount_size" != 0 ]; then
		echo "# faultdemo_bench on $kver, counting instructions (QEMU -icount): region $icount_size, main tests $icount_reps times"
		t0=$SECONDS
		# one CPU: the main tests are single-threaded, and 6.1 does
		# not bring up a second CPU under -icount
		# the block runs over the timed runs' region: each ends in
		# the same read-ahead tail, which a smaller one would weigh more
		FAULTDEMO_BENCH_BLOCK="--size $block_size --reps 1" FAULTDEMO_BENCH_RAMDISK=1 \
			FAULTDEMO_BENCH_PMD="--size $icount_size --reps $icount_reps" \
			guest_bench "$res/icount.log" "$res/instructions.csv" \
			--icount --cpus 1 -- \
			--size "$icount_size" --reps "$icount_reps" --only main \
			>/dev/null
		echo "# $kver: VM run took $((SECONDS - t0)) s; CSV: $res/instructions.csv"
	fi
	if [ "$FAULTDEMO_BENCH_MAIN" = 1 ]; then
		echo "# plots:"
		plots "$res"
	fi
	report "$res" | tee "$res/ratios.txt"
	summary+=("$res/ratios.txt")
done
echo "# all kernels: ${#summary[@]} run(s) in $((SECONDS - start)) s"
for f in "${summary[@]}"; do
	echo "# ${f%/ratios.txt}:"
	cat "$f"
done
