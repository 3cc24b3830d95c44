#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# selftest.sh SRCDIR: check-includes.py fails on a deliberately wrong include
# in a copy of the tree (host code reaching guest code, guest reaching host,
# util/ reaching a layer), and passes on the unchanged copy.
set -euo pipefail
srcdir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for d in util protocols cross-domain virtgpu proxy launcher; do
	cp -r "$srcdir/$d" "$work/"
done
check=$srcdir/tests/layout/check-includes.py
python3 "$check" "$work" >/dev/null || { echo "FAIL: the unchanged copy does not pass"; exit 1; }

# expect_violation FILE INCLUDE: FILE with INCLUDE added fails the check.
expect_violation() {
	local file=$1 include=$2 out
	cp "$work/$file" "$work/$file.orig"
	printf '#include "%s"\n' "$include" >>"$work/$file"
	if out=$(python3 "$check" "$work"); then
		echo "FAIL: $file including $include passed the check"
		exit 1
	fi
	echo "as expected: $(grep -m1 "$include" <<<"$out")"
	mv "$work/$file.orig" "$work/$file"
}
expect_violation "$(cd "$work" && ls cross-domain/host/*.c | head -1)" proxy/proxy.h
expect_violation proxy/proxy.c "$(cd "$work" && ls cross-domain/host/*.h | head -1)"
expect_violation util/log.c virtgpu/virtgpu.h
expect_violation cross-domain/wire.c proxy/proxy.h
echo "selftest: every wrong include was caught"
