#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-protocols.py SRCDIR DIRECT.txt VSOMM.txt

Checks docs/protocols.md against the vendored XML and against two wayland-info
outputs of the same Weston, one direct and one through vsomm:
  - the relayed table lists exactly the XML's globals at the XML's versions;
  - vsomm's globals are Weston's minus exactly the documented hidden ones, each
    at min(Weston's version, vsomm's);
  - vsomm's wl_shm formats are Weston's minus exactly the documented ones.
Exit 0 when all hold, 1 otherwise (with one line per difference).
"""
import glob
import importlib.util
import os
import re
import sys


def table(doc, marker):
    """Rows (lists of cells, backquotes stripped) between the marker comments."""
    m = re.search(r"<!-- %s:begin -->\n(.*?)<!-- %s:end -->" % (marker, marker), doc, re.S)
    if not m:
        sys.exit("check-protocols: no %s table in docs/protocols.md" % marker)
    rows = []
    for line in m.group(1).splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or set(cells[0]) <= {"-"} or cells[0] in ("global", "fourcc"):
            continue
        rows.append(cells)
    if not rows:
        sys.exit("check-protocols: empty %s table" % marker)
    return rows


def xml_globals(srcdir):
    path = os.path.join(srcdir, "protocols", "gen-forward.py")
    spec = importlib.util.spec_from_file_location("gen_forward", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    ifaces = gen.load(sorted(glob.glob(os.path.join(srcdir, "protocols", "*.xml"))))
    return {n: (ifaces[n].version, os.path.basename(ifaces[n].xml))
            for n in gen.globals_of(ifaces)}


def wayland_info(path):
    """{interface: version}, [shm format codes] of a wayland-info output."""
    globs, formats, in_shm = {}, [], False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"interface: '([^']+)',\s*version:\s*(\d+),\s*name:\s*(\d+)", line)
            if m:
                if m.group(1) in globs:
                    raise SystemExit("check-protocols: %s listed twice in %s" % (m.group(1), path))
                globs[m.group(1)] = int(m.group(2))
                in_shm = m.group(1) == "wl_shm"
                continue
            m = re.match(r"\s+(0x[0-9a-fA-F]+) = '", line)
            if in_shm and m:
                formats.append(int(m.group(1), 16))
            elif not line.startswith((" ", "\t")):
                in_shm = False
    if not globs:
        raise SystemExit("check-protocols: no globals in %s" % path)
    return globs, formats


def main():
    srcdir, direct_path, vsomm_path = sys.argv[1:4]
    with open(os.path.join(srcdir, "docs", "protocols.md"), encoding="utf-8") as f:
        doc = f.read()
    errors = []

    relayed = {r[0]: (int(r[1]), r[2]) for r in table(doc, "relayed-globals")}
    xml = xml_globals(srcdir)
    for name in sorted(set(relayed) | set(xml)):
        if relayed.get(name) != xml.get(name):
            errors.append("doc relayed table: %s is %s, the XML says %s"
                          % (name, relayed.get(name), xml.get(name)))

    hidden = {r[0]: int(r[1]) for r in table(doc, "hidden-globals")}
    for name in hidden:
        if name in relayed:
            errors.append("doc: %s is both relayed and hidden" % name)
    hidden_formats = {int(r[1], 16) for r in table(doc, "hidden-shm-formats")}

    direct, direct_formats = wayland_info(direct_path)
    vsomm, vsomm_formats = wayland_info(vsomm_path)

    gone = {n: v for n, v in direct.items() if n not in vsomm}
    if gone != hidden:
        errors.append("hidden through vsomm: %s; documented: %s"
                      % (sorted(gone.items()), sorted(hidden.items())))
    for name, version in sorted(vsomm.items()):
        if name not in direct:
            errors.append("%s through vsomm but not on Weston" % name)
        elif name not in relayed:
            errors.append("%s through vsomm but not in the relayed table" % name)
        elif version != min(direct[name], relayed[name][0]):
            errors.append("%s: version %d through vsomm, Weston has %d, vsomm relays up to %d"
                          % (name, version, direct[name], relayed[name][0]))
    for name in sorted(set(direct) - set(vsomm) - set(hidden)):
        errors.append("%s (Weston) neither relayed nor documented as hidden" % name)

    gone_formats = set(direct_formats) - set(vsomm_formats)
    extra_formats = set(vsomm_formats) - set(direct_formats)
    if gone_formats != hidden_formats:
        errors.append("wl_shm formats hidden through vsomm: %s; documented: %s"
                      % (sorted(map(hex, gone_formats)), sorted(map(hex, hidden_formats))))
    if extra_formats:
        errors.append("wl_shm formats through vsomm that Weston lacks: %s"
                      % sorted(map(hex, extra_formats)))
    if len(vsomm_formats) != len(set(vsomm_formats)):
        errors.append("wl_shm formats announced twice through vsomm")

    for e in errors:
        print("FAIL:", e)
    if errors:
        return 1
    print("ok: %d globals relayed, %d hidden as documented, %d wl_shm formats (%d hidden)"
          % (len(vsomm), len(hidden), len(vsomm_formats), len(hidden_formats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
