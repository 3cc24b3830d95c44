#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-weston-simple.py CLIENT DIRECT.png SHOT.png...

Screenshots of weston-simple-shm or weston-simple-damage (CLIENT: simple-shm,
simple-damage), one of a direct run (DIRECT.png) and several successive ones
of a run through vsomm (SHOT.png...), on a headless Weston whose background is
0x202020 and that draws nothing else.  Exit 0 when:

- every shot shows exactly one window of the client's size (the crop to the
  pixels that differ from the background: Weston places windows at random);
- the successive shots differ (the client animates through vsomm);
- every shot, the direct one included, is what the client draws for some
  frame: the part of the content that does not depend on the animation phase
  is pixel-identical to the direct run, and the part that does is checked
  against the client's own drawing code (weston 10, clients/simple-shm.c and
  clients/simple-damage.c), below.

Neither client is deterministic as a whole: simple-shm's pattern is a
function of the frame callback's timestamp, simple-damage's ball starts at a
random spot (srand(usec)) with a random velocity.  Standard library only.
"""
import os
import sys
from importlib.machinery import SourceFileLoader

check = SourceFileLoader(
    "check_pattern", os.path.join(os.path.dirname(__file__), "..", "clients", "check-pattern.py")
).load_module()

BACKGROUND = (0x20, 0x20, 0x20)
WHITE = (0xff, 0xff, 0xff)
GREEN = (0x00, 0xff, 0x00)


def crop(rows):
    ys = [y for y, row in enumerate(rows) if any(p != BACKGROUND for p in row)]
    if not ys:
        return None
    xs = [x for row in rows for x, p in enumerate(row) if p != BACKGROUND]
    x1, x2, y1, y2 = min(xs), max(xs) + 1, ys[0], ys[-1] + 1
    return [row[x1:x2] for row in rows[y1:y2]], (x1, y1)


# ---- weston-simple-shm: 250x250, XRGB8888 ----
#
# A 20-pixel padding painted 0xffffffff once per buffer, never damaged again;
# inside, pixel (x, y) of the frame at time t (the frame callback's ms) is
# k * 0x0080401 & 0xffffff with k = x + t/16 outside the outer circle,
# y + t/32 in the ring, r2/32 + t/64 inside the inner circle (r2: squared
# distance from (125, 125)).  X is ignored by Weston (XRGB), so the "cross"
# the client draws in the X byte does not show.
SHM_SIZE = (250, 250)
SHM_PADDING = 20
SHM_MUL = 0x0080401
SHM_MASK = (1 << 24) - 1
SHM_INV = pow(SHM_MUL, -1, 1 << 24)  # 0x80401 is odd: invertible mod 2^24


def shm_zone(x, y):
    half = SHM_PADDING + (SHM_SIZE[0] - 2 * SHM_PADDING) // 2
    outer = half - 8
    inner = outer - 32
    r2 = (x - half) ** 2 + (y - half) ** 2
    if r2 < inner * inner:
        return 2, r2 // 32
    if r2 < outer * outer:
        return 1, y
    return 0, x


def check_shm(name, window):
    """The padding is white and the inside is one frame of the pattern."""
    width, height = SHM_SIZE
    errors = []
    consts = [None, None, None]  # t/16, t/32, t/64 mod 2^24, from the shot
    bad = 0
    for y in range(height):
        for x in range(width):
            p = window[y][x]
            if (x < SHM_PADDING or y < SHM_PADDING or x >= width - SHM_PADDING
                    or y >= height - SHM_PADDING):
                if p != WHITE:
                    bad += 1
                continue
            zone, base = shm_zone(x, y)
            k = (((p[0] << 16) | (p[1] << 8) | p[2]) * SHM_INV) & SHM_MASK
            const = (k - base) & SHM_MASK
            if consts[zone] is None:
                consts[zone] = const
            elif consts[zone] != const:
                bad += 1
    if bad:
        errors.append(f"{bad} pixels are not one frame of simple-shm's pattern "
                      f"(white padding, one phase per zone)")
    a, b, c = consts
    # One frame: t/32 is (t/16)/2 and t/64 is (t/32)/2 (known mod 2^23).
    if None not in consts and ((a >> 1) != b & (SHM_MASK >> 1) or
                               (b >> 1) != c & (SHM_MASK >> 1)):
        errors.append(f"the zones are from different frames (t/16 {a}, t/32 {b}, t/64 {c})")
    print(f"{name}: simple-shm frame at t = {a * 16}..{a * 16 + 15} ms (mod 2^28)")
    return errors


# ---- weston-simple-damage: 300x200, ARGB8888 ----
#
# A 10-pixel white border, an inside filled with 0x80000000 (translucent
# black: the background shows through), one green (0xff00ff00) ball of
# radius 10 whose spot and velocity are random.  Every frame repaints the
# whole buffer but damages only where the ball was and is: a copy that missed
# damage would leave a second ball.
DAMAGE_SIZE = (300, 200)
DAMAGE_BORDER = 10
DAMAGE_RADIUS = 10


def check_damage(name, window, fill):
    width, height = DAMAGE_SIZE
    errors = []
    ball = []
    bad = 0
    for y in range(height):
        for x in range(width):
            p = window[y][x]
            if (x < DAMAGE_BORDER or y < DAMAGE_BORDER or x >= width - DAMAGE_BORDER
                    or y >= height - DAMAGE_BORDER):
                bad += p != WHITE
            elif p == GREEN:
                ball.append((x, y))
            else:
                bad += p != fill
    if bad:
        errors.append(f"{bad} pixels are neither the white border, the fill {fill} "
                      f"of the direct run nor the ball")
    if not ball:
        errors.append("no ball")
        return errors
    xs, ys = [x for x, _ in ball], [y for _, y in ball]
    box = (max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
    d = 2 * DAMAGE_RADIUS + 1
    # paint_circle: the pixels whose centre lies within the radius of the
    # ball's (fractional) centre; about pi * r^2 of them, in a 20x20 or 21x21
    # box.  Two balls (a stale one) or a torn one do not fit.
    if not (d - 2 <= box[0] <= d and d - 2 <= box[1] <= d) or not 280 <= len(ball) <= 350:
        errors.append(f"the green pixels are not one ball of radius {DAMAGE_RADIUS}: "
                      f"{len(ball)} pixels in a {box[0]}x{box[1]} box")
    print(f"{name}: simple-damage ball at ({min(xs)}, {min(ys)}), {len(ball)} pixels")
    return errors


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("simple-shm", "simple-damage"):
        sys.exit(__doc__)
    client, direct, shots = sys.argv[1], sys.argv[2], sys.argv[3:]
    size = SHM_SIZE if client == "simple-shm" else DAMAGE_SIZE
    ok = True
    fill = None
    previous = None
    for path in [direct] + shots:
        name = os.path.basename(path)
        rows = check.load_png(path)[2]
        cropped = crop(rows)
        if cropped is None:
            print(f"FAIL: {name} shows no window")
            ok = False
            continue
        window, pos = cropped
        got = (len(window[0]), len(window))
        print(f"{name}: window {got[0]}x{got[1]} at {pos}")
        if got != size:
            print(f"FAIL: {name}: the window is {got[0]}x{got[1]}, {client} draws "
                  f"{size[0]}x{size[1]} (as in the direct run)")
            ok = False
            continue
        if client == "simple-shm":
            errors = check_shm(name, window)
        else:
            if fill is None:
                # The fill as the direct run shows it: Weston's blend of
                # 0x80000000 over the background.
                fill = window[DAMAGE_BORDER][DAMAGE_BORDER]
                if fill == GREEN:
                    fill = window[size[1] - DAMAGE_BORDER - 1][size[0] - DAMAGE_BORDER - 1]
            errors = check_damage(name, window, fill)
        for e in errors:
            print(f"FAIL: {name}: {e}")
        ok = ok and not errors
        if path != direct:
            if previous is not None and window == previous:
                print(f"FAIL: {name} is the same as the shot before: {client} stopped drawing")
                ok = False
            previous = window
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
