# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared by the faultdemo scripts: where things are cached, how a kernel
# series ("6.1", "6.12", "6.12-rt", "7.3", "7.3-rt") or a full version is
# resolved, and how a module is built for it (on the host, or in a build
# root of the kernel's own Debian release). Source, don't run.

# Kernels, unpacked sources, initramfs images and VM run logs live here,
# outside the repository.
FAULTDEMO_CACHE=${FAULTDEMO_CACHE:-/var/cache/faultdemo}
# What this checkout builds (modules, selftests) and the logs of its runs
# live in a directory of its own under the cache, named after the
# checkout's path: two checkouts running make check at once (a clone with a
# change in it, say) never build, or test, each other's module.
FD_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC2034 # for the scripts that source this
FD_BUILD=${FD_TOP##*/}
FD_BUILD=$FAULTDEMO_CACHE/build/${FD_BUILD//[^A-Za-z0-9._-]/_}-$(printf '%s' "$FD_TOP" | sha256sum | cut -c 1-8)
# Kernel series the project supports; the newest Debian build of each is
# used. "6.12-rt" is Debian's PREEMPT_RT flavour of the same 6.12 version.
FAULTDEMO_SERIES=${FAULTDEMO_SERIES:-"6.1 6.12 6.12-rt 7.3 7.3-rt"}
# Where a series comes from when not from the host's own apt sources
# (Debian 12): SERIES=SUITE, read through the private apt below.
FAULTDEMO_SERIES_SUITES=${FAULTDEMO_SERIES_SUITES:-"7.3=trixie-backports"}
# Kernel lines that are only build-checked (a W=1 build and one smoke
# boot), as SUITE:SERIES; "SUITE:newest" is that suite's newest kernel, and
# only when it is newer than every supported one (experimental's kernels
# are release candidates of what backports gets later).
FAULTDEMO_BUILD_CHECKED=${FAULTDEMO_BUILD_CHECKED:-"trixie:6.12 trixie-backports:7.2 experimental:newest"}

# The newer suites are read through an apt configuration of its own under
# the cache: the host's sources must never get them, or an upgrade would
# pull Debian 13 into Debian 12.
FD_APT=$FAULTDEMO_CACHE/apt
# the suites fd_apt knows; sid only builds roots for experimental and is
# read by mmdebstrap itself (its lists are large)
FD_APT_SUITES="trixie trixie-backports experimental"

fd_die() {
	local rc=$1
	shift
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit "$rc"
}

fd_log() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# fd_apt_mirror: the Debian mirror the host's apt uses (the security
# archive excluded), deb822 or one-line sources.
fd_apt_mirror() {
	local u
	u=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i !~ /security/) {print $i; exit}}')
	if [ -z "$u" ]; then
		u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {if ($i !~ /security/) print $i; break}}' |
			head -n 1)
	fi
	printf '%s\n' "${u:-http://deb.debian.org/debian}"
}

# fd_apt_line SUITE: the sources.list line of SUITE on that mirror.
fd_apt_line() {
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$(fd_apt_mirror)" "$1"
}

# fd_apt SUITE apt-get|apt-cache ARGS...: apt on the private configuration,
# reading SUITE alone (so a search or a download never mixes suites), or
# every suite of $FD_APT_SUITES for SUITE "all" (apt-get update: an update
# drops the lists of the suites it was not given).
fd_apt() {
	local suite=$1 cmd=$2 s
	shift 2
	mkdir -p "$FD_APT/sources" "$FD_APT/lists/partial" "$FD_APT/cache/$suite" || return 1
	if [ "$suite" = all ]; then
		for s in $FD_APT_SUITES; do
			fd_apt_line "$s"
		done
	else
		fd_apt_line "$suite"
	fi >"$FD_APT/sources/$suite.list.new" || return 1
	# rewritten only when it changed: a newer sources list makes apt
	# rebuild its package cache, a second or so each time
	if cmp -s "$FD_APT/sources/$suite.list.new" "$FD_APT/sources/$suite.list"; then
		rm -f "$FD_APT/sources/$suite.list.new"
	else
		mv "$FD_APT/sources/$suite.list.new" "$FD_APT/sources/$suite.list"
	fi
	# The archive this project reaches is a dated snapshot: the Release
	# files of the newer suites are past their Valid-Until there.
	"$cmd" -q -o "Dir::Etc::SourceList=$FD_APT/sources/$suite.list" \
		-o Dir::Etc::SourceParts=/nonexistent \
		-o "Dir::State::Lists=$FD_APT/lists" \
		-o "Dir::Cache=$FD_APT/cache/$suite" \
		-o Dir::State::status=/dev/null \
		-o Acquire::Check-Valid-Until=false \
		-o APT::Sandbox::User=root "$@"
}

# fd_root_family SUITE: the build root that builds SUITE's kernels: one per
# release, its backports included (trixie, trixie-backports: "trixie";
# sid, experimental: "sid").
fd_root_family() {
	case $1 in
	sid|unstable|experimental) echo sid ;;
	*) echo "${1%-backports}" ;;
	esac
}

# fd_kernel_dir VERSION-OR-SERIES: print the cache directory of the newest
# unpacked kernel that matches, or fail. A series ("6.12") means Debian's
# standard kernels of that series, "6.12-rt" their PREEMPT_RT flavour, and
# "debug" the debug kernel (build-debug-kernel.sh).
fd_kernel_dir() {
	local want=$1 series=${1%-rt} flavour='' d name kind best='' supported=''
	[ "$series" = "$want" ] || flavour=rt
	[ "$want" != debug ] || flavour=debug
	[ -d "$FAULTDEMO_CACHE/kernels" ] || return 1
	# a series means a supported kernel, never a build-checked one of the
	# same series (Debian 13's 6.12 next to Debian 12's)
	if [ -f "$FAULTDEMO_CACHE/kernels/supported" ]; then
		supported=$(cat "$FAULTDEMO_CACHE/kernels/supported")
	fi
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
		if [ "$kind" != debug ] && [ -n "$supported" ] &&
			! grep -qxF -- "$name" <<<"$supported"; then
			continue
		fi
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

# fd_kernel_root KVER: the build root that builds modules for KVER (its
# kbuild programs need a newer C library than the host's), as recorded by
# setup.sh in the kernel's cache directory; fails for a host-built kernel.
fd_kernel_root() {
	local f=$FAULTDEMO_CACHE/kernels/$1/build-root
	[ -f "$f" ] || return 1
	printf '%s\n' "$FAULTDEMO_CACHE/roots/$(cat "$f")"
}

# fd_in_root ROOT DIR... -- CMD [ARGS...]: run CMD chrooted in ROOT with
# each host DIR bind-mounted at the same path inside, so that paths (in
# make's messages, the .ko's) are the same in and out; the mounts live in
# a mount namespace of their own and go away with it.
fd_in_root() {
	local root=$1 binds=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		binds+=("$1")
		shift
	done
	[ $# -gt 1 ] || return 2
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private sh -c '
		root=$1 n=$2
		shift 2
		while [ "$n" -gt 0 ]; do
			mkdir -p "$root$1" && mount --bind "$1" "$root$1" || exit 125
			shift
			n=$((n - 1))
		done
		mount -t proc proc "$root/proc" || exit 125
		PATH=/usr/sbin:/usr/bin:/sbin:/bin exec chroot "$root" "$@"' \
		sh "$root" "${#binds[@]}" "${binds[@]}" "$@"
}

# fd_kernel_build KVER: the kernel build directory external modules build
# against: the installed headers, the cache's own (debug kernel), or the
# headers in the kernel's build root (a path inside that root).
fd_kernel_build() {
	local k=$1 root
	if root=$(fd_kernel_root "$k"); then
		[ -f "$root/usr/src/linux-headers-$k/Makefile" ] || return 1
		printf '%s\n' "/usr/src/linux-headers-$k"
	elif [ -f "/lib/modules/$k/build/Makefile" ]; then
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
	local top=$1 kver=$2 out=$3
	shift 3
	fd_kernel_build "$kver" >/dev/null || {
		fd_log "no headers for $kver: run scripts/setup.sh (or apt-get install linux-headers-$kver)"
		return 2
	}
	mkdir -p "$out" || return 1
	out=$(cd "$out" && pwd) || return 1
	fd_sync_sources "$top" "$out" || return 1
	fd_make_kernel "$kver" "$out" "$@" modules >&2 || return 1
	printf '%s\n' "$out/faultdemo.ko"
}

# fd_sources DIR: the module's sources under DIR (Kbuild, module/ and
# include/: *.c, *.h, Kbuild), one relative path a line; not what a build
# left next to them.
fd_sources() {
	(cd "$1" && find Kbuild module include -type f \( -name '*.[ch]' -o -name Kbuild \) 2>/dev/null) || true
}

# fd_sync_sources TOP OUT: make OUT's copy of the module's sources TOP's. A
# file is copied when its content differs, not when it is newer (another
# tree's file may be newer and still not this one's), and a source TOP no
# longer has is removed; a file left alone keeps its date, so that
# rebuilds stay incremental.
fd_sync_sources() {
	local top=$1 out=$2 f d p
	if [ ! -f "$top/Kbuild" ] || [ ! -d "$top/module" ]; then
		fd_log "no module sources in $top"
		return 1
	fi
	while IFS= read -r f; do
		[ -e "$top/$f" ] || rm -f "$out/$f" || return 1
	done < <(fd_sources "$out")
	while IFS= read -r f; do
		cmp -s "$top/$f" "$out/$f" && continue
		d=$(dirname "$out/$f")
		# a directory where the file goes, or a file where its
		# directory goes: what another tree left
		[ ! -d "$out/$f" ] || rm -rf "${out:?}/$f" || return 1
		p=$d
		while [ "$p" != "$out" ] && [ ! -d "$p" ]; do
			[ ! -e "$p" ] || rm -f "$p" || return 1
			p=$(dirname "$p")
		done
		mkdir -p "$d" || return 1
		cp "$top/$f" "$out/$f" || return 1
	done < <(fd_sources "$top")
}

# fd_make_kernel KVER DIR [MAKE-ARGS...]: make -C <KVER's build directory>
# M=DIR MAKE-ARGS, in KVER's build root if it has one (DIR is then
# bind-mounted there at the same path), on the host otherwise.
fd_make_kernel() {
	local kver=$1 dir kdir root
	dir=$(cd "$2" && pwd) || return 1
	shift 2
	kdir=$(fd_kernel_build "$kver") || return 2
	if root=$(fd_kernel_root "$kver"); then
		fd_in_root "$root" "$dir" -- make -s -C "$kdir" M="$dir" "$@"
	else
		make -s -C "$kdir" M="$dir" "$@"
	fi
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
