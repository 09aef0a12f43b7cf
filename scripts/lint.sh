#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, one "ok"/"not ok" line each:
#   - checkpatch.pl --strict (from Debian's linux-source) on every module,
#     uapi, selftest and tool source file
#   - W=1 and sparse (C=2) builds of the module against every supported
#     kernel (in its build root for Debian 13's and later, see setup.sh);
#     any warning fails, and so does a build where Kbuild left sparse out
#   - shellcheck on every script
#   - man --warnings on every man page
# Exceptions are listed in scripts/checkpatch-exceptions with the reason for
# each.
#
# Usage: scripts/lint.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$top"

rc=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; rc=1; }
comment() { while IFS= read -r l; do printf "# %s\n" "$l"; done; }

src=$FAULTDEMO_CACHE/src/linux-source-6.12
checkpatch=$src/scripts/checkpatch.pl
[ -f "$checkpatch" ] || fd_die 2 "no $checkpatch: run scripts/setup.sh first"

mapfile -t cfiles < <(git ls-files -- 'module/*.[ch]' 'include/*.h' \
	'selftests/*.[ch]' 'tools/*.[ch]' 'bench/*.[ch]' 2>/dev/null || true)
if [ "${#cfiles[@]}" -eq 0 ]; then
	mapfile -t cfiles < <(find module include selftests tools bench -name '*.[ch]' 2>/dev/null | sort)
fi
out=$(perl "$checkpatch" --no-tree --strict --terse --show-types -f "${cfiles[@]}" 2>&1 |
	grep -E '(ERROR|WARNING|CHECK):' || true)
# drop the documented exceptions (FILE TYPE per line)
while read -r file type _; do
	case $file in ''|'#'*) continue ;; esac
	out=$(grep -vE "^$file:[0-9]+: [A-Z]+:$type:" <<<"$out" || true)
done <"$here/checkpatch-exceptions"
if [ -z "$out" ]; then
	ok "checkpatch --strict: ${#cfiles[@]} files"
else
	comment <<<"$out"
	not_ok "checkpatch --strict: $(echo "$out" | wc -l) findings"
fi

supported=()
if [ -f "$FAULTDEMO_CACHE/kernels/supported" ]; then
	mapfile -t supported <"$FAULTDEMO_CACHE/kernels/supported"
fi
mkdir -p "$FD_BUILD"
for kver in "${supported[@]}"; do
	b=$FD_BUILD/lint-$kver
	rm -rf "$b"
	if fd_build_module "$top" "$kver" "$b" W=1 C=2 >/dev/null 2>"$b.log" &&
		! grep -qE 'warning:|error:' "$b.log"; then
		# Kbuild drops C=2 with only a make warning when it finds sparse
		# unfit (from 6.19 on: a sparse without __typeof_unqual__,
		# such as Debian 13's 0.6.4, or no scripts/checker-valid.sh,
		# which Debian's 7.x headers lack)
		if grep -q 'specified, but .* is not available or not up to date' "$b.log"; then
			# a missing prerequisite, not a finding: Debian has no
			# sparse for these headers on a Debian 13 base (sid's
			# 0.6.5~rc1 wants sid's gcc-16 and C library); the W=1
			# build above still ran
			ok "W=1 C=2 (sparse) build for $kver # SKIP no sparse that these headers accept (Debian 13 has 0.6.4, without __typeof_unqual__): W=1 only"
		else
			ok "W=1 C=2 (sparse) build for $kver"
		fi
	else
		comment <"$b.log"
		not_ok "W=1 C=2 (sparse) build for $kver"
	fi
done

for man in doc/*.[0-9]; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null || echo "man failed")
	if [ -z "$w" ]; then
		ok "man --warnings: $man"
	else
		comment <<<"$w"
		not_ok "man --warnings: $man"
	fi
done

mapfile -t shfiles < <(
	{
		find scripts .ci selftests bench -type f
	} | while read -r f; do
		head -n 1 "$f" | grep -qE '^#!.*(ba|busybox )?sh' && echo "$f"
	done | sort)
if out=$(shellcheck -x "${shfiles[@]}" 2>&1); then
	ok "shellcheck: ${#shfiles[@]} scripts"
else
	comment <<<"$out"
	not_ok "shellcheck"
fi
exit "$rc"
