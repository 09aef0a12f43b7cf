#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a Debian 12 machine for faultdemo: install the packages the build,
# the test VM, the linters and the benchmark need, and unpack the newest
# Debian kernel of each supported series (6.1, 6.12, and the PREEMPT_RT
# flavour of that same 6.12 version) into the cache, where scripts/vm-run
# boots them. Idempotent: a second run changes nothing.
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
	linux-source-6.1 linux-source-6.12 util-linux procps)

apt_updated=0
apt_update_once() {
	if [ "$apt_updated" -eq 0 ]; then
		fd_log "apt-get update"
		apt-get update -q >/dev/null
		apt_updated=1
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

# The PREEMPT_RT flavour of a series is the same version as its standard
# kernel: the two differ only in preemption and locking.
rt_kernel() {
	local v=${kver[${1%-rt}]:-}
	[ -n "$v" ] || v=$(newest_kernel "${1%-rt}")
	[ -n "$v" ] || return 0
	v=${v%-amd64}-rt-amd64
	if apt-cache show "linux-image-$v" >/dev/null 2>&1 &&
		apt-cache show "linux-headers-$v" >/dev/null 2>&1; then
		printf '%s\n' "$v"
	fi
}

resolve_kernel() {
	case $1 in
	*-rt) rt_kernel "$1" ;;
	*) newest_kernel "$1" ;;
	esac
}

declare -A kver
for s in $FAULTDEMO_SERIES; do
	kver[$s]=$(resolve_kernel "$s")
	if [ -z "${kver[$s]}" ]; then
		apt_update_once
		kver[$s]=$(resolve_kernel "$s")
	fi
	[ -n "${kver[$s]}" ] || fd_die 1 "no linux-image for series $s with headers in the archive"
done

pkgs=("${tools[@]}")
for s in $FAULTDEMO_SERIES; do
	pkgs+=("linux-headers-${kver[$s]}")
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

# Unpack each kernel image (not installed: the host never boots it).
mkdir -p "$FAULTDEMO_CACHE/kernels" "$FAULTDEMO_CACHE/debs"
for s in $FAULTDEMO_SERIES; do
	v=${kver[$s]}
	dir=$FAULTDEMO_CACHE/kernels/$v
	if [ -f "$dir/vmlinuz" ] && [ -f "$dir/lib/modules/$v/modules.dep" ]; then
		fd_log "kernel $v: cached in $dir"
		continue
	fi
	deb=$(find "$FAULTDEMO_CACHE/debs" -name "linux-image-${v}_*.deb" -print -quit)
	if [ -z "$deb" ]; then
		apt_update_once
		(cd "$FAULTDEMO_CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "linux-image-$v" >/dev/null)
		deb=$(find "$FAULTDEMO_CACHE/debs" -name "linux-image-${v}_*.deb" -print -quit)
	fi
	[ -n "$deb" ] || fd_die 1 "could not download linux-image-$v"
	tmp=$(mktemp -d "$FAULTDEMO_CACHE/kernels/.unpack.XXXXXX")
	dpkg-deb -x "$deb" "$tmp"
	mv "$tmp/boot/vmlinuz-$v" "$tmp/vmlinuz"
	cp "$tmp/boot/config-$v" "$tmp/config"
	# The image packages ship no modules.dep; modprobe in the guest needs it.
	depmod -b "$tmp" "$v"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	fd_log "kernel $v: unpacked into $dir"
done

# Unpacked kernel sources: checkpatch, the kselftest framework, the debug
# kernel build.
mkdir -p "$FAULTDEMO_CACHE/src"
for s in $FAULTDEMO_SERIES; do
	[ "$s" = "${s%-rt}" ] || continue
	src=$FAULTDEMO_CACHE/src/linux-source-$s
	stamp=$src/.faultdemo-unpacked
	tarball=/usr/src/linux-source-$s.tar.xz
	if [ -f "$stamp" ] && [ "$stamp" -nt "$tarball" ]; then
		fd_log "source $s: cached in $src"
		continue
	fi
	rm -rf "$src"
	tar -C "$FAULTDEMO_CACHE/src" -xJf "$tarball"
	touch "$stamp"
	fd_log "source $s: unpacked into $src"
done

for s in $FAULTDEMO_SERIES; do
	printf '%s\n' "${kver[$s]}"
done >"$FAULTDEMO_CACHE/kernels/supported"
fd_log "ready: kernels $(tr '\n' ' ' <"$FAULTDEMO_CACHE/kernels/supported")"
