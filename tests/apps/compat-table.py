#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the app x feature table of docs/compatibility.md from test results.

    compat-table.py DOC.md TESTLOG.json...   (a later log's results win)

Every input/app/x11 test prints lines "RESULT APP | FEATURE | works|fails|missing|skip | REASON"
(missing: a known gap the test asserts);
meson keeps each test's stdout in meson-logs/testlog.json.  The table replaces
what is between the markers <!-- compat-table --> and <!-- /compat-table -->
in DOC.md.  A test that printed no RESULT line is listed with its meson result.
"""
import json
import re
import sys

BEGIN, END = "<!-- compat-table -->", "<!-- /compat-table -->"
WORDS = {"works": "works", "fails": "does not", "missing": "does not", "skip": "not tested"}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = {}
    doc_path = sys.argv[1]
    for path in sys.argv[2:]:
        with open(path) as f:
            tests = [json.loads(line) for line in f if line.strip()]
        for t in tests:
            # "project:suite / name"
            name = t.get("name", "").rsplit(" / ", 1)[-1]
            if not name.startswith(("input-", "app-", "x11-")):
                continue
            found = False
            for m in re.finditer(r"^RESULT (.+?) \| (.+?) \| (\w+) \|(.*)$", t.get("stdout", ""), re.M):
                app, feature, state, reason = (g.strip() for g in m.groups())
                rows[(app, feature)] = (WORDS.get(state, state), reason, name)
                found = True
            if not found:
                rows[(name, "(whole test)")] = (
                    "works" if t.get("result") == "OK" else "does not",
                    f"meson result {t.get('result')}, no RESULT line", name)
    out = [BEGIN, "", "| application | feature | through vsomm | reason | test |", "|---|---|---|---|---|"]
    for (app, feature), (state, reason, test) in sorted(rows.items()):
        out.append(f"| {app} | {feature} | {state} | {reason} | `{test}` |")
    out += ["", END]
    doc = open(doc_path).read()
    if BEGIN not in doc or END not in doc:
        sys.exit(f"{doc_path}: no {BEGIN} ... {END} markers")
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(doc_path, "w") as f:
        f.write(head + "\n".join(out) + tail)
    print(f"{len(rows)} rows written to {doc_path}")


if __name__ == "__main__":
    main()
