#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare two screenshots of the same client, one direct and one through vsomm.

    compare-shots.py DIRECT.png VSOMM.png [--tolerance N]

Weston places new windows at a random spot, so each shot is cropped to the
bounding box of the pixels that differ from the shell background (0x202020),
and the crops must be pixel-identical (RGB) — or, with --tolerance N, differ
by at most N per channel (for apps that are not deterministic themselves:
gtk3-demo's CSD shadow differs by one level between two direct runs).  Exit 0 when they are, 1 with a
count of differing pixels otherwise.  Standard library only.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from importlib.machinery import SourceFileLoader  # noqa: E402

check = SourceFileLoader(
    "check_pattern", os.path.join(os.path.dirname(__file__), "..", "clients", "check-pattern.py")
).load_module()

BACKGROUND = (0x20, 0x20, 0x20)


def crop(rows):
    ys = [y for y, row in enumerate(rows) if any(p != BACKGROUND for p in row)]
    if not ys:
        return None
    xs = [x for row in rows for x, p in enumerate(row) if p != BACKGROUND]
    x1, x2, y1, y2 = min(xs), max(xs) + 1, ys[0], ys[-1] + 1
    return [row[x1:x2] for row in rows[y1:y2]], (x1, y1, x2 - x1, y2 - y1)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    tolerance = 0
    if "--tolerance" in args:
        i = args.index("--tolerance")
        tolerance = int(args[i + 1])
        del args[i:i + 2]
    a, b = check.load_png(args[0])[2], check.load_png(args[1])[2]
    ca, cb = crop(a), crop(b)
    if ca is None or cb is None:
        print(f"FAIL: a shot shows no window (direct: {ca is not None}, vsomm: {cb is not None})")
        return 1
    (pa, boxa), (pb, boxb) = ca, cb
    print(f"direct window at {boxa}, vsomm window at {boxb}")
    if boxa[2:] != boxb[2:]:
        print(f"FAIL: window sizes differ: {boxa[2:]} vs {boxb[2:]}")
        return 1
    diff = near = 0
    for ra, rb in zip(pa, pb):
        for p, q in zip(ra, rb):
            if p != q:
                if max(abs(x - y) for x, y in zip(p, q)) > tolerance:
                    diff += 1
                else:
                    near += 1
    if diff:
        print(f"FAIL: {diff} of {boxa[2] * boxa[3]} pixels differ (tolerance {tolerance})")
        return 1
    if near:
        print(f"ok: {boxa[2]}x{boxa[3]} pixels equal within {tolerance} ({near} not identical)")
    else:
        print(f"ok: {boxa[2]}x{boxa[3]} pixels identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
