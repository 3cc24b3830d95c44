#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check-protocols.py SRCDIR SUMMARY.json DIRECT.txt VSOMM.txt
   check-protocols.py --write SRCDIR SUMMARY.json

SUMMARY.json is what protocols/gen-forward.py wrote for this build
(build/protocols/forward-tables.json): the relayed globals of the system's
protocol XML with their versions, and protocols/policy.py's deny-list.

Checks docs/protocols.md against it and against two wayland-info outputs of
the same Weston, one direct and one through vsomm:
  - the relayed table lists exactly the relayed globals at vsomm's versions;
  - the hidden table is exactly the deny-list, reasons included;
  - vsomm's globals are Weston's minus exactly the denied ones Weston has,
    each at min(Weston's version, vsomm's);
  - vsomm's wl_shm formats are Weston's minus exactly the documented ones.
Exit 0 when all hold, 1 otherwise (with one line per difference).

--write rewrites the relayed and hidden tables of docs/protocols.md from
SUMMARY.json (then review the diff).
"""
import json
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
        if not line.startswith("|") or set(cells[0]) <= {"-"} or cells[0] in ("global", "fourcc", "message"):
            continue
        rows.append(cells)
    if not rows:
        sys.exit("check-protocols: empty %s table" % marker)
    return rows


def load_summary(path):
    with open(path, encoding="utf-8") as f:
        summary = json.load(f)
    relayed = {n: (g["version"], g["xml"]) for n, g in summary["globals"].items() if g["relayed"]}
    return relayed, summary["deny"], summary["fd_decisions"]


def doc_reason(text):
    """A reason as a table cell: one line, no pipes."""
    return " ".join(text.split()).replace("|", "\\|")


def write_tables(srcdir, summary_path):
    relayed, deny, fds = load_summary(summary_path)
    path = os.path.join(srcdir, "docs", "protocols.md")
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    rows = ["| global | vsomm version | XML |", "|---|---|---|"]
    rows += ["| `%s` | %d | `%s` |" % (n, v, x) for n, (v, x) in sorted(relayed.items())]
    doc = replace_table(doc, "relayed-globals", rows)
    rows = ["| global | why vsomm hides it |", "|---|---|"]
    rows += ["| `%s` | %s |" % (n, doc_reason(r)) for n, r in sorted(deny.items())]
    doc = replace_table(doc, "hidden-globals", rows)
    rows = ["| message | what vsomm does with its fd |", "|---|---|"]
    rows += ["| `%s` | %s |" % (m, doc_reason(d)) for m, d in sorted(fds.items())]
    doc = replace_table(doc, "fd-decisions", rows)
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)
    print("check-protocols: wrote %d relayed and %d hidden rows" % (len(relayed), len(deny)))


def replace_table(doc, marker, rows):
    begin, end = "<!-- %s:begin -->\n" % marker, "<!-- %s:end -->" % marker
    i, j = doc.index(begin) + len(begin), doc.index(end)
    return doc[:i] + "\n".join(rows) + "\n" + doc[j:]


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
    if sys.argv[1] == "--write":
        write_tables(sys.argv[2], sys.argv[3])
        return 0
    srcdir, summary_path, direct_path, vsomm_path = sys.argv[1:5]
    with open(os.path.join(srcdir, "docs", "protocols.md"), encoding="utf-8") as f:
        doc = f.read()
    errors = []

    xml, deny, fds = load_summary(summary_path)
    documented_fds = {r[0]: r[1] for r in table(doc, "fd-decisions")}
    if documented_fds != {m: doc_reason(d) for m, d in fds.items()}:
        errors.append("doc fd-decisions table: %s; policy.py: %s"
                      % (sorted(documented_fds), sorted(fds)))
    relayed = {r[0]: (int(r[1]), r[2]) for r in table(doc, "relayed-globals")}
    for name in sorted(set(relayed) | set(xml)):
        if relayed.get(name) != xml.get(name):
            errors.append("doc relayed table: %s is %s, the build relays %s"
                          % (name, relayed.get(name), xml.get(name)))

    hidden = {r[0]: r[1] for r in table(doc, "hidden-globals")}
    for name in sorted(set(hidden) | set(deny)):
        if name not in deny:
            errors.append("doc: %s is hidden but not in protocols/policy.py DENY" % name)
        elif name not in hidden:
            errors.append("doc: %s (DENY) is missing from the hidden table" % name)
        elif hidden[name] != doc_reason(deny[name]).replace("\\|", "|"):
            errors.append("doc: the reason for hiding %s differs from policy.py's" % name)
        if name in relayed:
            errors.append("doc: %s is both relayed and hidden" % name)
    hidden_formats = {int(r[1], 16) for r in table(doc, "hidden-shm-formats")}

    direct, direct_formats = wayland_info(direct_path)
    vsomm, vsomm_formats = wayland_info(vsomm_path)

    gone = {n for n in direct if n not in vsomm}
    expected_gone = {n for n in direct if n in deny}
    if gone != expected_gone:
        errors.append("hidden through vsomm: %s; denied among Weston's globals: %s"
                      % (sorted(gone), sorted(expected_gone)))
    for name, version in sorted(vsomm.items()):
        if name not in direct:
            errors.append("%s through vsomm but not on Weston" % name)
        elif name not in relayed:
            errors.append("%s through vsomm but not in the relayed table" % name)
        elif version != min(direct[name], relayed[name][0]):
            errors.append("%s: version %d through vsomm, Weston has %d, vsomm relays up to %d"
                          % (name, version, direct[name], relayed[name][0]))
    for name in sorted(set(direct) - set(vsomm) - set(deny)):
        errors.append("%s (Weston) is neither relayed nor in the deny-list" % name)

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
    print("ok: %d globals relayed, %d denied of Weston's as documented, %d wl_shm formats "
          "(%d hidden)" % (len(vsomm), len(gone), len(vsomm_formats), len(hidden_formats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
