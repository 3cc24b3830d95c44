#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The protocol XML vsomm is built with, from the system's packages.

usage: list-protocols.py WAYLAND_DIR WAYLAND_PROTOCOLS_DIR LOCAL_DIR

Prints one path a line: WAYLAND_DIR/wayland.xml (libwayland's, pkg-config
wayland-scanner pkgdatadir), then every XML under WAYLAND_PROTOCOLS_DIR's
stable/, staging/ and unstable/ (pkg-config wayland-protocols pkgdatadir), then
LOCAL_DIR/*.xml (descriptions vsomm writes itself where no package installs the
XML: protocols/weston/).  Within a directory, files are sorted by path.

A file that defines an interface name already defined by an earlier file is
left out whole, with the reason on stderr: two definitions of one name cannot
link into one program (xdg-shell-unstable-v5's xdg_surface against stable
xdg-shell's), and when a protocol graduates to stable while its unstable XML
stays installed, the stable one wins.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET


def interfaces(path):
    return [el.get("name") for el in ET.parse(path).getroot().findall("interface")]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2])
    wayland_dir, wp_dir, local_dir = sys.argv[1:]
    candidates = [os.path.join(wayland_dir, "wayland.xml")]
    for stability in ("stable", "staging", "unstable"):
        candidates += sorted(glob.glob(os.path.join(wp_dir, stability, "*", "*.xml")))
    candidates += sorted(glob.glob(os.path.join(local_dir, "*.xml")))
    if not os.path.exists(candidates[0]):
        sys.exit("list-protocols: %s not found (libwayland-dev)" % candidates[0])
    if len(candidates) < 2 or not os.path.isdir(os.path.join(wp_dir, "stable")):
        sys.exit("list-protocols: no protocols under %s (wayland-protocols)" % wp_dir)
    owner = {}
    for path in candidates:
        names = interfaces(path)
        clash = [n for n in names if n in owner]
        if clash:
            print("list-protocols: leaving out %s: %s already defined by %s"
                  % (path, ", ".join(clash), owner[clash[0]]), file=sys.stderr)
            continue
        for n in names:
            owner[n] = path
        print(path)


if __name__ == "__main__":
    main()
