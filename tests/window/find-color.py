#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""find-color.py SHOT.png RRGGBB: "x y w h", the bounding box of the pixels of
that colour in the shot ("0 0 0 0": none).  Standard library only."""
import os
import sys
from importlib.machinery import SourceFileLoader

check = SourceFileLoader(
    "check_pattern", os.path.join(os.path.dirname(__file__), "..", "clients", "check-pattern.py")
).load_module()

want = int(sys.argv[2], 16)
want = ((want >> 16) & 0xFF, (want >> 8) & 0xFF, want & 0xFF)
rows = check.load_png(sys.argv[1])[2]
xs, ys = [], []
for y, row in enumerate(rows):
    for x, p in enumerate(row):
        if p == want:
            xs.append(x)
            ys.append(y)
if not xs:
    print("0 0 0 0")
else:
    print(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
