# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared by the faultdemo scripts: where things are cached and how a kernel
# series ("6.1", "6.12", "6.12-rt") or a full version is resolved. Source,
# don't run.

# Kernels, unpacked sources, initramfs images and VM run logs live here,
# outside the repository.
FAULTDEMO_CACHE=${FAULTDEMO_CACHE:-/var/cache/faultdemo}
# Kernel series the project supports; the newest Debian build of each is
# used. "6.12-rt" is Debian's PREEMPT_RT flavour of the same 6.12 version.
FAULTDEMO_SERIES=${FAULTDEMO_SERIES:-"6.1 6.12 6.12-rt"}

fd_die() {
	local rc=$1
	shift
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit "$rc"
}

fd_log() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# fd_kernel_dir VERSION-OR-SERIES: print the cache directory of the newest
# unpacked kernel that matches, or fail. A series ("6.12") means Debian's
# standard kernels of that series, "6.12-rt" their PREEMPT_RT flavour, and
# "debug" the debug kernel (build-debug-kernel.sh).
fd_kernel_dir() {
	local want=$1 series=${1%-rt} flavour='' d name kind best=''
	[ "$series" = "$want" ] || flavour=rt
	[ "$want" != debug ] || flavour=debug
	[ -d "$FAULTDEMO_CACHE/kernels" ] || return 1
	for d in "$FAULTDEMO_CACHE"/kernels/*/; do
		d=${d%/}
		name=${d##*/}
		[ -f "$d/vmlinuz" ] || continue
		if [ "$name" = "$want" ]; then
			best=$d
			break
		fi
		case $name in
		*-faultdemo-debug) kind=debug ;;
		*-rt-amd64) kind=rt ;;
		*) kind= ;;
		esac
		[ "$kind" = "$flavour" ] || continue
		case $name in
		*-faultdemo-debug) ;;
		"$series".[0-9]*|"$series"-[0-9]*) ;;
		*) continue ;;
		esac
		if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "${best##*/}" "$name" | sort -V | tail -n 1)" = "$name" ]; then
			best=$d
		fi
	done
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}

# fd_kernel_version VERSION-OR-SERIES: the full version (uname -r) it means.
fd_kernel_version() {
	local d
	d=$(fd_kernel_dir "$1") || return 1
	printf '%s\n' "${d##*/}"
}

# fd_kernels [VERSION-OR-SERIES...]: set FD_KERNELS to the full versions
# the arguments mean, or to every supported kernel without arguments; an
# unknown kernel or a missing setup ends the script (exit 2).
fd_kernels() {
	local k v
	FD_KERNELS=()
	if [ $# -gt 0 ]; then
		for k in "$@"; do
			v=$(fd_kernel_version "$k") || fd_die 2 "unknown kernel '$k': run scripts/setup.sh"
			FD_KERNELS+=("$v")
		done
	else
		[ -f "$FAULTDEMO_CACHE/kernels/supported" ] ||
			fd_die 2 "no kernels in $FAULTDEMO_CACHE: run scripts/setup.sh first"
		mapfile -t FD_KERNELS <"$FAULTDEMO_CACHE/kernels/supported"
	fi
}

# fd_kernel_build KVER: the kernel build directory external modules build
# against: the installed headers, or the cache's own (debug kernel).
fd_kernel_build() {
	local k=$1
	if [ -f "/lib/modules/$k/build/Makefile" ]; then
		printf '%s\n' "/lib/modules/$k/build"
	elif [ -f "$FAULTDEMO_CACHE/kernels/$k/lib/modules/$k/build/Makefile" ]; then
		printf '%s\n' "$FAULTDEMO_CACHE/kernels/$k/lib/modules/$k/build"
	else
		return 1
	fi
}

# fd_build_module TOP KVER OUTDIR [MAKE-ARGS...]: build faultdemo.ko for one
# kernel in a directory of its own, so that builds for several kernels never
# share object files; make's output on stderr, the module's path on stdout.
# (Callers run it in $(...) or an if, where set -e does not hold: hence the
# explicit returns.)
fd_build_module() {
	local top=$1 kver=$2 out=$3 kdir
	shift 3
	kdir=$(fd_kernel_build "$kver") || {
		fd_log "no headers for $kver: apt-get install linux-headers-$kver"
		return 2
	}
	mkdir -p "$out" || return 1
	# only newer files, so that rebuilds stay incremental
	cp -ru "$top/Kbuild" "$top/module" "$top/include" "$out/" || return 1
	make -s -C "$kdir" M="$out" "$@" modules >&2 || return 1
	printf '%s\n' "$out/faultdemo.ko"
}

# fd_build_tool TOP: build the faultdemo command in the tree (the guest sees
# it there) and export what the kselftests need to find and drive it.
fd_build_tool() {
	make -s -C "$1/tools/faultdemo" || return 1
	make -s -C "$1/tools/example" || return 1
	export FAULTDEMO_TOOL=$1/tools/faultdemo/faultdemo
	# faultdemo trace is tested on it
	export FAULTDEMO_EXAMPLE=$1/tools/example/fault_paths
	# the tour's swap-in row sets up zram swap in the guest
	export FAULTDEMO_SETUP_SWAP=1
	# the tests that change the machine: the VM is made for them
	export FAULTDEMO_DESTRUCTIVE=1
}
