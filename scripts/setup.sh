#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a Debian 12 machine for faultdemo: install the packages the build,
# the test VM, the linters and the benchmark need, and unpack the newest
# Debian kernel of each supported series into the cache, where
# scripts/vm-run boots them: Debian 12's 6.1 and 6.12 (and the PREEMPT_RT
# flavour of that same 6.12 version), Debian 13 backports' 7.3 (and its
# PREEMPT_RT flavour, same version). The build-checked kernels
# ($FAULTDEMO_BUILD_CHECKED: Debian 13's 6.12, backports' 7.2,
# experimental's newest when it is newer than every supported kernel) are
# unpacked too.
#
# Kernels of Debian 13 and later are read through a private apt
# configuration under the cache (the host's sources are left alone), and
# their modules are built in a build root of their own release made with
# mmdebstrap ($FAULTDEMO_CACHE/roots/NAME): their kbuild programs need a
# newer C library than Debian 12's. Each kernel's cache directory names its
# root in a file "build-root".
#
# A kernel that cannot be resolved or fetched is named, with the reason, in
# $FAULTDEMO_CACHE/kernels/missing; the others are set up all the same, and
# scripts/check.sh fails on each missing one.
#
# Idempotent: a second run changes nothing.
#
# Usage: scripts/setup.sh        (as root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

[ "$(id -u)" -eq 0 ] || fd_die 2 "run as root (it installs packages)"
command -v apt-get >/dev/null || fd_die 2 "needs a Debian system with apt-get"

export DEBIAN_FRONTEND=noninteractive

tools=(build-essential kmod qemu-system-x86 busybox-static cpio xz-utils dmsetup
	zstd dkms sparse shellcheck stress-ng gnuplot-nox trace-cmd bpftrace graphviz
	linux-perf bc flex bison libelf-dev libssl-dev rsync man-db groff-base
	linux-source-6.1 linux-source-6.12 util-linux procps mmdebstrap
	debian-archive-keyring xfsprogs e2fsprogs)

apt_updated=0
apt_update_once() {
	if [ "$apt_updated" -eq 0 ]; then
		fd_log "apt-get update"
		apt-get update -q >/dev/null
		apt_updated=1
	fi
}

# The private lists of the newer suites (lib.sh: fd_apt).
priv_updated=0
priv_update_once() {
	if [ "$priv_updated" -eq 0 ]; then
		fd_log "apt-get update of $FD_APT_SUITES (private lists in $FD_APT)"
		fd_apt all apt-get update >/dev/null || fd_log "apt-get update of the private lists failed"
		priv_updated=1
	fi
}

# Newest linux-image-<series>... -amd64 package of a series that also has
# matching headers in the archive.
newest_kernel() {
	local series=$1 v
	apt-cache search --names-only "^linux-image-${series//./\\.}[.-][0-9].*-amd64\$" |
		awk '{print $1}' | grep -Ev -- '-(cloud|rt)-amd64$|-dbg$|-unsigned$' |
		sed 's/^linux-image-//' | sort -rV |
		while read -r v; do
			if apt-cache show "linux-headers-$v" >/dev/null 2>&1; then
				printf '%s\n' "$v"
				break
			fi
		done
}

# The package lists may be missing on a fresh machine.
if ! apt-cache show linux-source-6.12 >/dev/null 2>&1; then
	apt_update_once
fi
for suite in $FD_APT_SUITES; do
	if ! compgen -G "$FD_APT/lists/*_dists_${suite}_InRelease" >/dev/null; then
		priv_update_once
	fi
done

# series_suite SERIES: the suite a supported series comes from
# ($FAULTDEMO_SERIES_SUITES), nothing for the host's own sources.
series_suite() {
	local m
	for m in $FAULTDEMO_SERIES_SUITES; do
		if [ "${m%%=*}" = "${1%-rt}" ]; then
			printf '%s\n' "${m#*=}"
			return
		fi
	done
}

# image_style SUITE KVER: how SUITE packages the kernel: "binary" (7.x on:
# linux-binary-KVER has the kernel, linux-modules-KVER the modules,
# linux-image-KVER is an empty meta package), "image" (one linux-image-KVER
# with both), nothing if there is no image.
image_style() {
	if fd_apt "$1" apt-cache show "linux-binary-$2" >/dev/null 2>&1; then
		echo binary
	elif fd_apt "$1" apt-cache show "linux-image-$2" >/dev/null 2>&1; then
		echo image
	fi
}

# suite_kernel SUITE SERIES [rt]: the newest kernel (its uname -r) of
# SERIES, or of any series for "newest", with headers and an image in SUITE.
suite_kernel() {
	local suite=$1 series=$2 flavour=${3:-} re v
	re='[0-9][^ ]*'
	[ "$series" = newest ] || re="${series//./\\.}([.-][0-9][^ ]*)?"
	fd_apt "$suite" apt-cache search --names-only "^linux-headers-$re-amd64\$" 2>/dev/null |
		awk '{print $1}' | sed 's/^linux-headers-//' |
		if [ -n "$flavour" ]; then
			grep -- "-$flavour-amd64\$"
		else
			grep -Ev -- '-(cloud|rt)-amd64$'
		fi | sort -rV |
		while read -r v; do
			if [ -n "$(image_style "$suite" "$v")" ]; then
				printf '%s\n' "$v"
				break
			fi
		done
}

# The PREEMPT_RT flavour of a series is the same version as its standard
# kernel: the two differ only in preemption and locking.
rt_kernel() {
	local v=${kver[${1%-rt}]:-} suite
	suite=$(series_suite "$1")
	if [ -z "$suite" ]; then
		[ -n "$v" ] || v=$(newest_kernel "${1%-rt}")
		[ -n "$v" ] || return 0
		v=${v%-amd64}-rt-amd64
		if apt-cache show "linux-image-$v" >/dev/null 2>&1 &&
			apt-cache show "linux-headers-$v" >/dev/null 2>&1; then
			printf '%s\n' "$v"
		fi
		return 0
	fi
	[ -n "$v" ] || v=$(suite_kernel "$suite" "${1%-rt}")
	[ -n "$v" ] || return 0
	v=${v%-amd64}-rt-amd64
	if fd_apt "$suite" apt-cache show "linux-headers-$v" >/dev/null 2>&1 &&
		[ -n "$(image_style "$suite" "$v")" ]; then
		printf '%s\n' "$v"
	fi
}

resolve_kernel() {
	local suite
	suite=$(series_suite "$1")
	case $1 in
	*-rt) rt_kernel "$1" ;;
	*) if [ -n "$suite" ]; then suite_kernel "$suite" "$1"; else newest_kernel "$1"; fi ;;
	esac
}

# What could not be set up, one line each, for kernels/missing.
missing_lines=()
note_missing() {
	fd_log "MISSING: $*"
	missing_lines+=("$*")
}

# kernel version -> its suite (empty: the host's), package style, package
# version; series -> kernel version
declare -A kver ksuite kstyle kpv
supported=()
for s in $FAULTDEMO_SERIES; do
	suite=$(series_suite "$s")
	v=$(resolve_kernel "$s") || true
	if [ -z "$v" ]; then
		if [ -n "$suite" ]; then priv_update_once; else apt_update_once; fi
		v=$(resolve_kernel "$s") || true
	fi
	if [ -z "$v" ]; then
		where=${suite:-the host sources}
		note_missing "supported $s: no kernel of that series with headers and an image in $where"
		continue
	fi
	kver[$s]=$v
	ksuite[$v]=$suite
	supported+=("$v")
done

# pkg_version KVER: the Debian version of the kernel's headers package
pkg_version() {
	local suite=${ksuite[$1]:-}
	if [ -n "$suite" ]; then
		fd_apt "$suite" apt-cache show --no-all-versions "linux-headers-$1"
	else
		apt-cache show --no-all-versions "linux-headers-$1"
	fi 2>/dev/null | sed -n 's/^Version: //p' | head -n 1
}

checked=()
for e in $FAULTDEMO_BUILD_CHECKED; do
	suite=${e%%:*}
	series=${e#*:}
	v=$(suite_kernel "$suite" "$series") || true
	if [ -z "$v" ]; then
		priv_update_once
		v=$(suite_kernel "$suite" "$series") || true
	fi
	if [ -z "$v" ]; then
		note_missing "build-checked $e: no kernel with headers and an image in $suite"
		continue
	fi
	if [ -n "${ksuite[$v]+set}" ]; then
		fd_log "build-checked $e: $v is already set up"
		continue
	fi
	ksuite[$v]=$suite
	if [ "$series" = newest ]; then
		pv=$(pkg_version "$v")
		newer=1
		for k in "${supported[@]}"; do
			if ! dpkg --compare-versions "$pv" gt "$(pkg_version "$k")"; then
				newer=0
				fd_log "build-checked $e: $v ($pv) is not newer than $k: not checked"
				break
			fi
		done
		if [ "$newer" -eq 0 ]; then
			unset "ksuite[$v]"
			continue
		fi
	fi
	checked+=("$v")
done

# Host packages: the tools, and the headers of the kernels that build on
# the host (Debian 12's own).
pkgs=("${tools[@]}")
for v in "${supported[@]}"; do
	[ -n "${ksuite[$v]}" ] || pkgs+=("linux-headers-$v")
done

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -gt 0 ]; then
	apt_update_once
	fd_log "installing: ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
	fd_log "packages: all ${#pkgs[@]} installed"
fi

# drop_kernel KVER REASON: a kernel that cannot be set up after all
drop_kernel() {
	local v=$1 k list=()
	shift
	for k in "${supported[@]}"; do
		[ "$k" = "$v" ] || list+=("$k")
	done
	if [ "${#list[@]}" -ne "${#supported[@]}" ]; then
		supported=("${list[@]}")
		note_missing "supported $v: $*"
		return
	fi
	list=()
	for k in "${checked[@]}"; do
		[ "$k" = "$v" ] || list+=("$k")
	done
	checked=("${list[@]}")
	note_missing "build-checked $v: $*"
}

# --- build roots: one per Debian release, for the kernels of that release
# and its backports (their kbuild programs need its C library) ---

# root_works ROOT PACKAGE...: the compilers run and the headers are there
root_works() {
	local root=$1 p
	shift
	for p in "$@"; do
		case $p in
		gcc-[0-9]*) chroot "$root" "$p" --version >/dev/null 2>&1 || return 1 ;;
		linux-headers-*) [ -f "$root/usr/src/$p/Makefile" ] || return 1 ;;
		make|sparse|dkms) chroot "$root" "$p" --version >/dev/null 2>&1 || return 1 ;;
		esac
	done
}

# ensure_root FAMILY PACKAGE...: make $FAULTDEMO_CACHE/roots/FAMILY with
# those packages, unless it is there, complete and working; a root whose
# package list changed (a new kernel) is made again from scratch.
ensure_root() {
	local fam=$1 root=$FAULTDEMO_CACHE/roots/$1 key suites lines=() x t
	shift
	case $fam in
	sid) suites=(sid experimental) ;;
	*) suites=("$fam" "$fam-backports") ;;
	esac
	for x in "${suites[@]}"; do
		lines+=("$(fd_apt_line "$x")")
	done
	key=$(printf '%s\n' "${lines[@]}"; printf '%s\n' "$@" | sort -u)
	if [ -f "$root.key" ] && [ "$(cat "$root.key")" = "$key" ] && root_works "$root" "$@"; then
		fd_log "build root $fam: ready in $root"
		return 0
	fi
	fd_log "build root $fam: making $root with mmdebstrap (${suites[*]}; about a minute)"
	mkdir -p "$FAULTDEMO_CACHE/roots"
	rm -rf "$root.new"
	t=$(date +%s)
	# Check-Valid-Until: the archive is a dated snapshot whose Release
	# files of these suites are past their Valid-Until.
	if mmdebstrap --quiet --variant=apt \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--include="$(IFS=,; echo "$*")" \
		"${suites[0]}" "$root.new" "${lines[@]}" >"$root.log" 2>&1 &&
		root_works "$root.new" "$@"; then
		rm -rf "$root"
		mv "$root.new" "$root"
		printf '%s\n' "$key" >"$root.key"
		fd_log "build root $fam: made in $(($(date +%s) - t))s"
		return 0
	fi
	tail -n 20 "$root.log" >&2
	rm -rf "$root.new"
	return 1
}

declare -A fam_pkgs
for v in "${supported[@]}" "${checked[@]}"; do
	suite=${ksuite[$v]}
	[ -n "$suite" ] || continue
	kpv[$v]=$(pkg_version "$v")
	kstyle[$v]=$(image_style "$suite" "$v")
	fam=$(fd_root_family "$suite")
	# each kernel is built with the compiler it was built with, the one
	# its headers depend on (gcc-NN-for-host)
	cc=$(fd_apt "$suite" apt-cache show --no-all-versions "linux-headers-$v" 2>/dev/null |
		sed -n 's/^Depends: //p' | grep -o 'gcc-[0-9]*-for-host' | head -n 1) || true
	fam_pkgs[$fam]+=" linux-headers-$v ${cc%-for-host}"
done
for fam in "${!fam_pkgs[@]}"; do
	# shellcheck disable=SC2086 # a list of package names
	if ! ensure_root "$fam" make libc6-dev sparse dkms kmod xz-utils ${fam_pkgs[$fam]}; then
		for v in "${supported[@]}" "${checked[@]}"; do
			[ -n "${ksuite[$v]}" ] && [ "$(fd_root_family "${ksuite[$v]}")" = "$fam" ] &&
				drop_kernel "$v" "the build root $fam could not be made (log: $FAULTDEMO_CACHE/roots/$fam.log)"
		done
	fi
done

# --- kernel images, unpacked (not installed: the host never boots them) ---

mkdir -p "$FAULTDEMO_CACHE/kernels" "$FAULTDEMO_CACHE/debs"

# fetch_deb SUITE PACKAGE [VERSION]: the path of PACKAGE's .deb in the
# cache's debs directory, downloaded if it is not there
fetch_deb() {
	local suite=$1 p=$2 pv=${3:-} deb
	deb=$(find "$FAULTDEMO_CACHE/debs" -name "${p}_*.deb" -print -quit)
	if [ -z "$deb" ]; then
		if [ -n "$suite" ]; then
			(cd "$FAULTDEMO_CACHE/debs" && fd_apt "$suite" apt-get download "$p${pv:+=$pv}" >/dev/null) || return 1
		else
			# The lists that named the version are there; an update
			# only if they are too old to download it. (This runs in
			# $(...): apt_update_once would not remember.)
			(cd "$FAULTDEMO_CACHE/debs" &&
				{ apt-get download -q -o APT::Sandbox::User=root "$p" >/dev/null 2>&1 ||
					{ apt-get update -q >/dev/null &&
						apt-get download -q -o APT::Sandbox::User=root "$p" >/dev/null; }; }) ||
				return 1
		fi
		deb=$(find "$FAULTDEMO_CACHE/debs" -name "${p}_*.deb" -print -quit)
	fi
	[ -n "$deb" ] && printf '%s\n' "$deb"
}

# unpack_kernel KVER: into $FAULTDEMO_CACHE/kernels/KVER: vmlinuz and
# config at the top, the modules under lib/modules/KVER with a modules.dep
unpack_kernel() {
	local v=$1 suite=${ksuite[$1]} dir=$FAULTDEMO_CACHE/kernels/$1 root='' fam='' p debs=() deb tmp m f
	if [ -n "$suite" ]; then
		fam=$(fd_root_family "$suite")
		root=$FAULTDEMO_CACHE/roots/$fam
	fi
	if [ -f "$dir/vmlinuz" ] && [ -f "$dir/lib/modules/$v/modules.dep" ]; then
		if [ -n "$fam" ] && [ "$(cat "$dir/build-root" 2>/dev/null)" != "$fam" ]; then
			echo "$fam" >"$dir/build-root"
		fi
		fd_log "kernel $v: cached in $dir"
		return 0
	fi
	case ${kstyle[$v]:-image} in
	binary) debs=("linux-binary-$v" "linux-modules-$v") ;;
	*) debs=("linux-image-$v") ;;
	esac
	tmp=$(mktemp -d "$FAULTDEMO_CACHE/kernels/.unpack.XXXXXX")
	for p in "${debs[@]}"; do
		fd_log "kernel $v: $p"
		if ! deb=$(fetch_deb "$suite" "$p" "${kpv[$v]:-}"); then
			rm -rf "$tmp"
			drop_kernel "$v" "could not download $p"
			return 0
		fi
		dpkg-deb -x "$deb" "$tmp"
	done
	# Debian 13's packages install under /usr/lib/modules
	if [ -d "$tmp/usr/lib/modules/$v" ]; then
		mkdir -p "$tmp/lib/modules"
		mv "$tmp/usr/lib/modules/$v" "$tmp/lib/modules/$v"
	fi
	m=$tmp/lib/modules/$v
	if [ -f "$tmp/boot/vmlinuz-$v" ]; then
		mv "$tmp/boot/vmlinuz-$v" "$tmp/vmlinuz"
		cp "$tmp/boot/config-$v" "$tmp/config"
	else
		# linux-binary: the kernel sits with the modules, the
		# configuration and the lists of built-in modules come with the
		# headers (modprobe needs modules.builtin to know that e.g.
		# virtio_pci is built in, not missing)
		mv "$m/vmlinuz" "$tmp/vmlinuz"
		cp "$root/usr/src/linux-headers-$v/.config" "$tmp/config"
		for f in modules.builtin modules.builtin.modinfo modules.order; do
			[ -f "$m/$f" ] || [ ! -f "$root/usr/lib/modules/$v/$f" ] ||
				cp "$root/usr/lib/modules/$v/$f" "$m/$f"
		done
	fi
	# The image packages ship no modules.dep; modprobe in the guest needs it.
	depmod -b "$tmp" "$v"
	[ -z "$fam" ] || echo "$fam" >"$tmp/build-root"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	fd_log "kernel $v: unpacked into $dir"
}

for v in "${supported[@]}" "${checked[@]}"; do
	unpack_kernel "$v"
done

# Unpacked kernel sources: checkpatch, the kselftest framework, the debug
# kernel build. Debian 12's come from the installed linux-source packages,
# the newer ones from their .deb.
mkdir -p "$FAULTDEMO_CACHE/src"
for s in $FAULTDEMO_SERIES; do
	[ "$s" = "${s%-rt}" ] || continue
	src=$FAULTDEMO_CACHE/src/linux-source-$s
	stamp=$src/.faultdemo-unpacked
	suite=$(series_suite "$s")
	if [ -n "$suite" ]; then
		v=${kver[$s]:-}
		if [ -z "$v" ] || ! tarball=$(fetch_deb "$suite" "linux-source-$s" "${kpv[$v]:-}"); then
			note_missing "source $s: no linux-source-$s from $suite"
			continue
		fi
	else
		tarball=/usr/src/linux-source-$s.tar.xz
	fi
	if [ -f "$stamp" ] && [ "$stamp" -nt "$tarball" ]; then
		fd_log "source $s: cached in $src"
		continue
	fi
	rm -rf "$src"
	case $tarball in
	*.deb) dpkg-deb --fsys-tarfile "$tarball" |
		tar -xO "./usr/src/linux-source-$s.tar.xz" | tar -C "$FAULTDEMO_CACHE/src" -xJ ;;
	*) tar -C "$FAULTDEMO_CACHE/src" -xJf "$tarball" ;;
	esac
	touch "$stamp"
	fd_log "source $s: unpacked into $src"
done

# write_list NAME LINE...: a list under kernels/, rewritten only if it
# changed (a second run changes nothing)
write_list() {
	local f=$FAULTDEMO_CACHE/kernels/$1
	shift
	if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi >"$f.new"
	if cmp -s "$f.new" "$f"; then rm -f "$f.new"; else mv "$f.new" "$f"; fi
}
write_list supported "${supported[@]}"
write_list build-checked "${checked[@]}"
write_list missing "${missing_lines[@]}"
fd_log "ready: kernels ${supported[*]}; build-checked: ${checked[*]:-none}"
if [ "${#missing_lines[@]}" -gt 0 ]; then
	fd_log "NOT READY (scripts/check.sh fails on each, $FAULTDEMO_CACHE/kernels/missing):"
	printf '  %s\n' "${missing_lines[@]}" >&2
fi
