#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Screenshot queries for the input and app tests (standard library only).

    shot.py find PNG RRGGBB            bounding box "x y w h" of that colour (exit 1: none)
    shot.py pixel PNG X Y              "RRGGBB" at X,Y
    shot.py bbox PNG [X,Y,W,H]...      "x y w h" of all that is not background (masks blanked)
    shot.py same A X,Y,W,H B X,Y,W,H [--tolerance N]
        The box of A equals the box (same size) of B: windows Weston placed at
        different positions, compared where both are fully on screen.
    shot.py inside PNG [X,Y,W,H]...     exit 0 when the window does not touch the edges
    shot.py compare DIRECT VSOMM [--mask X,Y,W,H]... [--tolerance N]
        Blank the masked boxes (output coordinates, e.g. the cursor) in both
        shots, crop each to what differs from the shell background and compare
        the crops; masks relative to the crop: --wmask X,Y,W,H.  At most N
        differing pixels are allowed (default 0).
"""
import os
import sys
from importlib.machinery import SourceFileLoader

check = SourceFileLoader(
    "check_pattern", os.path.join(os.path.dirname(__file__), "..", "clients", "check-pattern.py")
).load_module()

BACKGROUND = (0x20, 0x20, 0x20)


def parse_color(s):
    v = int(s, 16)
    return ((v >> 16) & 255, (v >> 8) & 255, v & 255)


def find(rows, color):
    xs, ys = [], []
    for y, row in enumerate(rows):
        for x, p in enumerate(row):
            if p == color:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1


def blank(rows, box, value=BACKGROUND):
    x, y, w, h = box
    for yy in range(max(0, y), min(len(rows), y + h)):
        row = rows[yy]
        for xx in range(max(0, x), min(len(row), x + w)):
            row[xx] = value


def crop(rows):
    ys = [y for y, row in enumerate(rows) if any(p != BACKGROUND for p in row)]
    if not ys:
        return None, None
    xs = [x for row in rows for x, p in enumerate(row) if p != BACKGROUND]
    x1, x2, y1, y2 = min(xs), max(xs) + 1, ys[0], ys[-1] + 1
    return [row[x1:x2] for row in rows[y1:y2]], (x1, y1, x2 - x1, y2 - y1)


def box(s):
    return tuple(int(v) for v in s.split(","))


def compare(args):
    a, b = args[0], args[1]
    masks, wmasks, tolerance = [], [], 0
    rest = args[2:]
    while rest:
        opt, val, rest = rest[0], rest[1], rest[2:]
        if opt == "--mask":
            masks.append(box(val))
        elif opt == "--wmask":
            wmasks.append(box(val))
        elif opt == "--tolerance":
            tolerance = int(val)
        else:
            sys.exit(f"unknown option {opt}")
    shots = []
    for path in (a, b):
        rows = check.load_png(path)[2]
        for m in masks:
            blank(rows, m)
        pix, where = crop(rows)
        if pix is None:
            print(f"FAIL: {path} shows no window")
            return 1
        for m in wmasks:
            blank(pix, m, (0, 0, 0))
        shots.append((pix, where))
    (pa, wa), (pb, wb) = shots
    print(f"direct window at {wa}, vsomm window at {wb}")
    if wa[2:] != wb[2:]:
        print(f"FAIL: window sizes differ: {wa[2:]} vs {wb[2:]}")
        return 1
    diff = sum(1 for ra, rb in zip(pa, pb) for p, q in zip(ra, rb) if p != q)
    if diff > tolerance:
        print(f"FAIL: {diff} of {wa[2] * wa[3]} pixels differ (tolerance {tolerance})")
        return 1
    print(f"ok: {wa[2]}x{wa[3]}, {diff} pixels differ (tolerance {tolerance})")
    return 0


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    cmd = args[0]
    if cmd == "find":
        r = find(check.load_png(args[1])[2], parse_color(args[2]))
        if r is None:
            return 1
        print(*r)
        return 0
    if cmd == "pixel":
        rows = check.load_png(args[1])[2]
        p = rows[int(args[3])][int(args[2])]
        print("%02x%02x%02x" % p)
        return 0
    if cmd == "same":
        (pa, ba), (pb, bb) = (check.load_png(args[1])[2], box(args[2])), \
            (check.load_png(args[3])[2], box(args[4]))
        tolerance = int(args[6]) if len(args) > 6 and args[5] == "--tolerance" else 0
        if ba[2:] != bb[2:]:
            sys.exit("same: the boxes differ in size")
        x1, y1, w, h = ba
        x2, y2 = bb[:2]
        diff = sum(1 for yy in range(h) for xx in range(w)
                   if pa[y1 + yy][x1 + xx] != pb[y2 + yy][x2 + xx])
        print(f"{diff} of {w * h} pixels differ (tolerance {tolerance})")
        return 0 if diff <= tolerance else 1
    if cmd == "bbox":
        rows = check.load_png(args[1])[2]
        for m in args[2:]:
            blank(rows, box(m))
        where = crop(rows)[1]
        if where is None:
            return 1
        print(*where)
        return 0
    if cmd == "inside":
        # Exit 0 when the window (crop, masks blanked) does not touch the
        # output's edges: Weston may place a window partly off the output.
        width, height, rows = check.load_png(args[1])
        for m in args[2:]:
            blank(rows, box(m))
        where = crop(rows)[1]
        if where is None:
            return 1
        x, y, w, h = where
        return 0 if x > 0 and y > 0 and x + w < width and y + h < height else 1
    if cmd == "compare":
        return compare(args[1:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
