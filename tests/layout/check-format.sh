#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check-format.sh SRCDIR: the product's C code is formatted as .clang-format
# says (tests/ is not held to it).  Fails, listing the files and the first
# lines clang-format would change; `clang-format -i FILE` fixes one.
set -euo pipefail
srcdir=$1
cd "$srcdir"
if ! command -v clang-format >/dev/null; then
	echo "FAIL: clang-format is not installed (tests/lib/deps.sh lists it)" >&2
	exit 1
fi
mapfile -t files < <(git ls-files -- 'util/*.[ch]' 'cross-domain/*.[ch]' 'virtgpu/*.[ch]' \
	'proxy/*.[ch]' 'launcher/*.[ch]' 'protocols/*.[ch]' 2>/dev/null ||
	find util cross-domain virtgpu proxy launcher protocols -name '*.[ch]')
((${#files[@]})) || { echo "FAIL: no product C files found under $srcdir" >&2; exit 1; }
bad=0
for f in "${files[@]}"; do
	[[ -f $f ]] || continue
	if ! clang-format --style=file "$f" | diff -u "$f" - >"${TMPDIR:-/tmp}/check-format.$$" 2>&1; then
		echo "not formatted: $f"
		sed -n '1,12p' "${TMPDIR:-/tmp}/check-format.$$"
		bad=$((bad + 1))
	fi
done
rm -f "${TMPDIR:-/tmp}/check-format.$$"
echo "check-format: ${#files[@]} files ($(clang-format --version | head -1)), $bad not formatted"
((bad == 0))
