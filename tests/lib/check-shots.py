#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-shots.py [--min-pixels N] [--min-colors N] [--changed] SHOT.png...

Every shot must show a window that is really drawn: at least --min-pixels
pixels that differ from the shell background (0x202020), in at least
--min-colors distinct colours (a window cleared to one colour, or a blank EGL
surface, has one or two).  With --changed, consecutive shots must differ (an
animated client is still drawing).  Exit 0 when all hold.  Standard library only.
"""
import argparse
import os
import sys
from importlib.machinery import SourceFileLoader

check = SourceFileLoader(
    "check_pattern", os.path.join(os.path.dirname(__file__), "..", "clients", "check-pattern.py")
).load_module()

BACKGROUND = (0x20, 0x20, 0x20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-pixels", type=int, default=10000)
    ap.add_argument("--min-colors", type=int, default=3)
    ap.add_argument("--changed", action="store_true")
    ap.add_argument("shots", nargs="+")
    args = ap.parse_args()
    ok = True
    previous = None
    for path in args.shots:
        rows = check.load_png(path)[2]
        window = [p for row in rows for p in row if p != BACKGROUND]
        colors = len(set(window))
        print(f"{os.path.basename(path)}: {len(window)} window pixels, {colors} colours")
        if len(window) < args.min_pixels or colors < args.min_colors:
            print(f"FAIL: {path} shows no drawn window (want >= {args.min_pixels} pixels, "
                  f">= {args.min_colors} colours)")
            ok = False
        if args.changed and previous is not None and rows == previous:
            print(f"FAIL: {path} is the same as the shot before: the client stopped drawing")
            ok = False
        previous = rows
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
