#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The include rules of docs/architecture.md, checked on the product code.

Every C file of the product belongs to one room (ROOMS, first matching pattern
wins), and every room to one side: the guest (vsomm), the host (vsomm-host), or
shared (linked by both).  An `#include "..."` of our own may only go

  - to the same side or to shared code (guest never reaches host, nor the
    reverse), and
  - from shared code to shared code only, and
  - from util/ to util/ only (util/ is below every layer),

and every room lists the rooms it may use (USES): an include of any other
room is an error, so a new dependency is a decision written here, not an
accident.  A file no pattern matches is an error too: a new folder gets its
room in this table.

Usage: check-includes.py SRCDIR   (exit 1 and one line per violation)
"""
import fnmatch
import os
import re
import sys

# room: (side, [path patterns])
ROOMS = {
    "util": ("shared", ["util/*"]),
    "protocols": ("shared", ["protocols/*"]),
    "wire": ("shared", ["cross-domain/*.c", "cross-domain/*.h"]),
    "socket-framing": ("shared", ["virtgpu/socket/frame.h", "virtgpu/socket/frame-rx.*"]),
    # guest side
    "channel": ("guest", ["cross-domain/guest/*"]),
    "virtgpu": ("guest", ["virtgpu/*.c", "virtgpu/*.h"]),
    "socket-guest": ("guest", ["virtgpu/socket/guest*"]),
    # proxy/window.h: the proxy core's boundary for vsomm's X window manager
    "proxy-window": ("guest", ["proxy/window.h"]),
    "proxy": ("guest", ["proxy/*"]),
    # the byte relay core's pieces (docs/relay-core.md): tables and util only
    "relay": ("guest", ["proxy/relay/*"]),
    "xwm": ("guest", ["proxy/xwm/*"]),
    "launcher-guest": ("guest", ["launcher/vsomm.c", "launcher/backend.c", "launcher/device.c",
                                 "launcher/children.c", "launcher/calloc.c",
                                 "launcher/doctor.c", "launcher/launcher.h"]),
    # host side
    "service": ("host", ["cross-domain/host/*"]),
    "device": ("host", ["virtgpu/device/*"]),
    "socket-server": ("host", ["virtgpu/socket/server*"]),
    "vhost-user": ("host", ["virtgpu/vhost-user/*"]),
    "launcher-host": ("host", ["launcher/vsomm-host.c", "launcher/host-check.*"]),
    # both programs' launchers: systemd activation; the checks' round trip and lines
    "launcher-sd": ("shared", ["launcher/sd.c", "launcher/sd.h"]),
    "launcher-check": ("shared", ["launcher/roundtrip.*"]),
}

# room: rooms it may include besides itself
USES = {
    "util": [],
    "protocols": ["util"],
    "wire": ["util"],
    "socket-framing": ["util", "wire"],
    "launcher-sd": ["util"],
    "launcher-check": [],
    "virtgpu": ["util", "wire", "socket-framing", "socket-guest"],
    "socket-guest": ["util", "wire", "socket-framing", "virtgpu"],
    "channel": ["util", "wire", "virtgpu"],
    "proxy-window": [],
    "relay": ["util", "protocols"],
    "proxy": ["util", "protocols", "wire", "channel", "virtgpu", "proxy-window", "relay"],
    # vsomm's X window manager and X display: the proxy core only through window.h
    "xwm": ["util", "proxy-window"],
    "launcher-guest": ["util", "protocols", "wire", "channel", "virtgpu", "proxy", "relay", "xwm",
                       "launcher-sd", "launcher-check"],
    "device": ["util", "wire"],
    "socket-server": ["util", "wire", "socket-framing", "device"],
    "vhost-user": ["util", "wire", "device"],
    "service": ["util", "wire", "device"],
    "launcher-host": ["util", "wire", "device", "service", "socket-server", "vhost-user",
                      "launcher-sd", "launcher-check"],
}

PRODUCT_DIRS = ["util", "protocols", "cross-domain", "virtgpu", "proxy", "launcher"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def room_of(path):
    for room, (_, patterns) in ROOMS.items():
        for pattern in patterns:
            # fnmatch's * crosses "/": compare folder depth as well
            if fnmatch.fnmatch(path, pattern) and path.count("/") == pattern.count("/"):
                return room
    return None


def main():
    srcdir = sys.argv[1] if len(sys.argv) > 1 else "."
    errors = []
    checked = 0
    for top in PRODUCT_DIRS:
        for dirpath, _, files in os.walk(os.path.join(srcdir, top)):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                full = os.path.join(dirpath, name)
                path = os.path.relpath(full, srcdir)
                room = room_of(path)
                if room is None:
                    errors.append(f"{path}: in no room of tests/layout/check-includes.py")
                    continue
                side = ROOMS[room][0]
                checked += 1
                with open(full, encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = m.group(1)
                        if "/" not in target:
                            # "foo.h" from the same folder (or a generated header)
                            target = os.path.join(os.path.dirname(path), target)
                        target = os.path.normpath(target)
                        target_room = room_of(target)
                        where = f"{path}:{lineno}: includes {m.group(1)}"
                        if target_room is None:
                            if not os.path.exists(os.path.join(srcdir, target)) and \
                                    target.startswith("protocols/"):
                                continue  # generated protocol headers (build dir)
                            errors.append(f"{where}, which is in no room")
                            continue
                        target_side = ROOMS[target_room][0]
                        if target_room == room:
                            continue
                        if room == "util":
                            errors.append(f"{where}: util/ includes nothing of ours but util/")
                        elif side == "shared" and target_side != "shared":
                            errors.append(f"{where}: shared code ({room}) reaches the {target_side} side")
                        elif side != "shared" and target_side not in ("shared", side):
                            errors.append(f"{where}: {side} code ({room}) reaches the {target_side} side ({target_room})")
                        elif target_room not in USES.get(room, []):
                            errors.append(f"{where}: {room} does not use {target_room} (USES)")
    for e in errors:
        print(e)
    print(f"check-includes: {checked} files, {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
