#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Page-fault benchmark: for each supported kernel, build faultdemo.ko and
# bench/faultdemo_bench, run it in the test VM (4 CPUs, 3 GiB, a 2 GiB
# scratch disk for ext4), take its CSV from the guest's stdout, plot it with
# gnuplot and print the key ratios with their targets.
#
# Usage: scripts/bench.sh [KVER-OR-SERIES...]   (default: every supported kernel)
#
# Results: $FAULTDEMO_CACHE/bench/<kver>/{results.csv,bench.log,*.png}
# Sizes (the defaults fit both kernels in about 10 minutes under TCG):
#   FAULTDEMO_BENCH_SIZE        main region (default 256M)
#   FAULTDEMO_BENCH_REPS        repetitions of the main tests (default 5)
#   FAULTDEMO_BENCH_SWEEP_SIZE  region of the sweeps and scaling (default 64M)
#   FAULTDEMO_BENCH_SWEEP_REPS  their repetitions (default 3)
#   FAULTDEMO_BENCH_TIMEOUT     seconds per VM run (default 600)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$top"

size=${FAULTDEMO_BENCH_SIZE:-256M}
reps=${FAULTDEMO_BENCH_REPS:-5}
sweep_size=${FAULTDEMO_BENCH_SWEEP_SIZE:-64M}
sweep_reps=${FAULTDEMO_BENCH_SWEEP_REPS:-3}
timeout=${FAULTDEMO_BENCH_TIMEOUT:-600}

if [ $# -eq 0 ]; then
	[ -f "$FAULTDEMO_CACHE/kernels/supported" ] ||
		fd_die 2 "no kernels in $FAULTDEMO_CACHE: run scripts/setup.sh first"
	mapfile -t want <"$FAULTDEMO_CACHE/kernels/supported"
else
	want=("$@")
fi
command -v gnuplot >/dev/null || fd_die 2 "gnuplot not found: apt-get install gnuplot-nox"

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

# ratio NAME NUM DEN TARGET: print NAME, NUM/DEN, the target and PASS/MISS.
ratio() {
	awk -v n="$1" -v a="$2" -v b="$3" -v t="$4" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) {
			printf "  %-62s %10s  target <= %-7s MISSING\n", n, "-", t
			exit
		}
		r = a / b
		printf "  %-62s %10.3f  target <= %-7s %s\n", n, r, t,
			(r <= t + 1e-9 ? "PASS" : "MISS")
	}'
}

# value NAME V TARGET: the same for a plain value.
value() {
	ratio "$1" "$2" 1 "$3"
}

plots() {
	local dir=$1 csv=$1/results.csv

	# ns/page of every kind, one cluster per access and order
	awk -F, 'NR > 1 && $4 == 1 && $2 !~ /sweep/ && ($3 == "seq" || $3 == "rand") {
		key = $2 " " $3
		if (!(key in seen)) { seen[key] = 1; keys[nk++] = key }
		v[key, $1] = $8
	} END {
		split("faultdemo tmpfs ext4 anon populate reserved", kinds, " ")
		printf "access"
		for (i = 1; i <= 6; i++) printf " %s", kinds[i]
		printf "\n"
		for (j = 0; j < nk; j++) {
			k = keys[j]; gsub(" ", "/", k); printf "%s", k
			for (i = 1; i <= 6; i++)
				printf " %s", ((keys[j], kinds[i]) in v) ? v[keys[j], kinds[i]] : "-"
			printf "\n"
		}
	}' "$csv" >"$dir/kinds.dat"
	awk -F, '$2 == "fa_sweep_warm_read" { print $6, $8, $11 }' "$csv" >"$dir/fa.dat"
	awk -F, '$2 == "ra_sweep_cold_read" { print $7, $8, $11 }' "$csv" >"$dir/ra.dat"
	awk -F, 'NR > 1 && ($3 == "disjoint" || $3 == "same") {
		print $1 "/" $2 "/" $3, $4, $8 }' "$csv" | sort -k1,1 -k2n >"$dir/scale.dat"

	gnuplot <<-EOF
		set terminal $term
		set datafile missing "-"
		set key outside right top
		set grid ytics

		set output "$dir/ns_per_page.png"
		set title "ns per page touched, median of the repetitions ($kver, TCG guest)"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set logscale y
		set yrange [10:*]
		set ylabel "ns/page (log)"
		set xtics rotate by -30
		plot for [i=2:7] "$dir/kinds.dat" using i:xtic(1) title columnheader(i)

		reset
		set terminal $term
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
		set terminal $term
		set grid
		set output "$dir/scaling.png"
		set title "threads: wall ns per page of the region ($kver)"
		set xlabel "threads"
		set ylabel "ns/page"
		set xtics (1, 2, 4)
		set yrange [0:*]
		set key outside right top
		plot for [s in "faultdemo/warm_read/disjoint faultdemo/warm_read/same anon/write/disjoint anon/write/same"] \
			"< grep '^".s." ' $dir/scale.dat" using 2:3 with linespoints lw 2 title s
	EOF
	for p in ns_per_page fault_around readahead scaling; do
		echo "  $dir/$p.png"
	done
}

report() {
	local csv=$1 fd_warm fd_cold fd_sw fd_cow
	fd_warm=$(csv_get "$csv" faultdemo warm_read seq 8)
	fd_cold=$(csv_get "$csv" faultdemo cold_read seq 8)
	fd_sw=$(csv_get "$csv" faultdemo shared_write seq 8)
	fd_cow=$(csv_get "$csv" faultdemo private_write seq 8)
	echo "# key ratios on $kver (ns/page are medians; readahead $(csv_get "$csv" faultdemo cold_read seq 7), fault_around_bytes $(csv_get "$csv" faultdemo warm_read seq 6))"
	ratio "faultdemo warm read / ext4 warm read (ns/page)" \
		"$fd_warm" "$(csv_get "$csv" ext4 warm_read seq 8)" 1.0
	ratio "faultdemo warm read / tmpfs warm read (ns/page)" \
		"$fd_warm" "$(csv_get "$csv" tmpfs warm_read seq 8)" 1.0
	ratio "faultdemo cold read (read-ahead) / tmpfs cold read (ns/page)" \
		"$fd_cold" "$(csv_get "$csv" tmpfs cold_read seq 8)" 1.0
	value "faults/page, faultdemo warm seq read, 64 KiB window" \
		"$(csv_get "$csv" faultdemo warm_read seq 11)" 0.0725
	value "faults/page, reserved window read + shared write (4 MiB)" \
		"$(awk -F, '$1 == "reserved" && $2 != "private_write" {
			if ($11 > m) m = $11; n++ } END { if (n) print m + 0 }' "$csv")" 0
	ratio "COW private write / anonymous write (ns/page)" \
		"$fd_cow" "$(csv_get "$csv" anon write seq 8)" 1.1
	ratio "shared first write / tmpfs shared first write (ns/page)" \
		"$fd_sw" "$(csv_get "$csv" tmpfs shared_write seq 8)" 1.0
	echo "  (absolute times in a TCG guest are not real hardware times: only the ratios from one run matter)"
}

start=$SECONDS
make -s -C bench
summary=()
for k in "${want[@]}"; do
	kver=$(fd_kernel_version "$k") || fd_die 2 "unknown kernel '$k': run scripts/setup.sh"
	out=$FAULTDEMO_CACHE/build/bench-$kver
	res=$FAULTDEMO_CACHE/bench/$kver
	ko=$("$here/build-module.sh" "$kver" "$out")
	mkdir -p "$res"
	echo "# faultdemo_bench on $kver: region $size x $reps reps, sweeps and scaling $sweep_size x $sweep_reps reps, reserved window 4 MiB"
	t0=$SECONDS
	rc=0
	"$here/vm-run" --kernel "$kver" --cpus 4 --mem 3072 --disk 2G \
		--timeout "$timeout" -- "$top/bench/guest-bench.sh" "$ko" \
		"$top/bench/faultdemo_bench" --size "$size" --reps "$reps" \
		--sweep-size "$sweep_size" --sweep-reps "$sweep_reps" \
		--threads 4 | tr -d '\r' | tee "$res/bench.log" || rc=$?
	[ "$rc" -eq 0 ] || fd_die 1 "benchmark on $kver failed (exit $rc); output in $res/bench.log"
	sed -n '/^@@FAULTDEMO-BENCH-CSV-BEGIN@@$/,/^@@FAULTDEMO-BENCH-CSV-END@@$/p' \
		"$res/bench.log" | sed '1d;$d' >"$res/results.csv"
	[ "$(wc -l <"$res/results.csv")" -gt 1 ] ||
		fd_die 1 "no CSV in the output of $kver: see $res/bench.log"
	echo "# $kver: VM run took $((SECONDS - t0)) s; CSV: $res/results.csv"
	echo "# plots:"
	plots "$res"
	report "$res/results.csv" | tee "$res/ratios.txt"
	summary+=("$res/ratios.txt")
done
echo "# all kernels: ${#summary[@]} run(s) in $((SECONDS - start)) s"
for f in "${summary[@]}"; do
	echo "# ${f%/ratios.txt}:"
	cat "$f"
done
