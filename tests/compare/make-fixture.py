#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the test's own PNG for weston-image: 320x200 RGB gradients and bars."""
import struct
import sys
import zlib

W, H = 320, 200


def pixel(x, y):
    if 40 <= x < 120 and 30 <= y < 90:
        return (230, 40, 40)
    if 160 <= x < 280 and 110 <= y < 170:
        return (40, 200, 90)
    return ((x * 255) // W, (y * 255) // H, ((x + y) * 3) & 255)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


raw = b"".join(b"\0" + bytes(c for x in range(W) for c in pixel(x, y)) for y in range(H))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
with open(sys.argv[1], "wb") as f:
    f.write(png)
