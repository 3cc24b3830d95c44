#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that a screenshot of the output shows vsomm-pattern's window.

    check-pattern.py SHOT.png WIDTH HEIGHT STEPS

Finds the window (the bounding box of everything that is not the shell's
background colour, which must be exactly WIDTH x HEIGHT) and compares sample
pixels with the pattern documented at the top of pattern.c: the gradient, the
grid, the four squares and every step's square.  Only the RGB channels count
(Weston's pixman renderer leaves the X byte at 0).  Standard library only.
"""
import struct
import sys
import zlib

BACKGROUND = (0x20, 0x20, 0x20)
STEP_COLORS = [(255, 0, 255), (0, 255, 255), (255, 255, 0), (255, 128, 0)]
CORNER_COLORS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 0, 0)]


def load_png(path):
    """Decode an 8-bit RGB/RGBA non-interlaced PNG into rows of RGB tuples."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, chunk = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            if depth != 8 or ctype not in (2, 6) or interlace:
                sys.exit(f"{path}: unsupported PNG (depth {depth}, type {ctype})")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
    if width is None:
        sys.exit(f"{path}: no IHDR")
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    off = 0
    for _ in range(height):
        ftype = raw[off]
        line = bytearray(raw[off + 1:off + 1 + stride])
        off += 1 + stride
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ftype == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def expected(x, y, w, h, steps):
    """The pattern's colour at surface coordinates (x, y)."""
    cols = max(1, (w - 82) // 40 + 1)
    rows = max(1, (h - 92) // 40 + 1)
    color = None
    for k in range(1, steps + 1):
        i = k - 1
        sx, sy = 50 + 40 * (i % cols), 60 + 40 * (i // cols % rows)
        if sx <= x < sx + 32 and sy <= y < sy + 32:
            color = STEP_COLORS[i % 4]
    if color:
        return color
    for i in range(4):
        if 20 + 60 * i <= x < 60 + 60 * i and h - 60 <= y < h - 20:
            return CORNER_COLORS[i]
    if x % 50 == 0 or y % 50 == 0:
        return (255, 255, 255)
    r = x * 255 // (w - 1) if w > 1 else 0
    g = y * 255 // (h - 1) if h > 1 else 0
    return (r, g, 0x80)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    path, w, h, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    width, height, img = load_png(path)
    xs = [x for row in img for x, px in enumerate(row) if px != BACKGROUND]
    ys = [y for y, row in enumerate(img) if any(px != BACKGROUND for px in row)]
    if not xs:
        sys.exit("FAIL: nothing but background on the output")
    x0, y0, x1, y1 = min(xs), min(ys), max(xs) + 1, max(ys) + 1
    if (x1 - x0, y1 - y0) != (w, h):
        sys.exit(f"FAIL: window box {x1 - x0}x{y1 - y0} at ({x0},{y0}), expected {w}x{h}")
    bad = 0
    checked = 0
    for y in range(h):
        for x in range(w):
            want = expected(x, y, w, h, steps)
            got = img[y0 + y][x0 + x]
            checked += 1
            if got != want:
                if bad < 10:
                    print(f"pixel ({x},{y}): got {got}, expected {want}", file=sys.stderr)
                bad += 1
    if bad:
        sys.exit(f"FAIL: {bad} of {checked} pixels differ")
    print(f"check-pattern: {w}x{h} window at ({x0},{y0}) on {width}x{height}: "
          f"all {checked} pixels match ({steps} steps)")


if __name__ == "__main__":
    main()
