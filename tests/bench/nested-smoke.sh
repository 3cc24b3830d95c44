#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# nested-smoke: nested.sh (vsomm against a nested Weston per domain) runs one
# short round and gives every figure of its table, for both deployments, with
# sane values (positive; the nested Weston counted with the helpers it spawns;
# paced frames presented), and both screenshots.  Not a timed test: no figure
# is compared with a threshold of speed.
#   nested-smoke.sh BUILD_DIR
set -euo pipefail

BUILD=${1:?usage: nested-smoke.sh BUILD_DIR}
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
out=$(mktemp -d "${TMPDIR:-/tmp}/vsomm-nested-smoke.XXXXXX")
trap 'rm -rf "$out"' EXIT

fail() {
	echo "FAIL: $*" >&2
	[[ -f $out/nested.jsonl ]] && cat "$out/nested.jsonl" >&2
	exit 1
}

bash "$here/nested.sh" --build "$BUILD" --out "$out" --rounds 1 --seconds 1.5 >"$out/table.md" ||
	fail "nested.sh exited $?"
cat "$out/table.md"

python3 - "$out" <<'PY' || fail "the table is incomplete or insane"
import json, re, sys
out = sys.argv[1]
table = open(out + "/table.md").read()
rows = {}
for line in table.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 4 and cells[0] not in ("figure", "---"):
        rows[cells[0]] = cells[1:]
want = [
    "processes added", "Rss added, one idle client (MiB)", "Pss added, one idle client (MiB)",
    "Rss: nested weston / vsomm-host (MiB)", "Rss: its helpers / vsomm (MiB)",
    "paced 1080p frames presented / s", "CPU of the added processes / frame (ms)",
    "CPU of the host Weston / frame (ms)", "added + host Weston / frame (ms)",
    "the client's own CPU / frame (ms)",
]
bad = []
for label in want:
    if label not in rows:
        bad.append(f"no row '{label}'")
        continue
    for deployment, cell in zip(("nested", "vsomm"), rows[label][:2]):
        try:
            v = float(cell.replace(",", ""))
        except ValueError:
            v = None
        if v is None or not v > 0:
            bad.append(f"'{label}', {deployment}: {cell!r}")
if rows.get("processes added", ["", ""])[:2] != ["3", "2"]:
    bad.append(f"processes added: {rows.get('processes added')} (weston + 2 helpers / vsomm-host + vsomm)")
lines = [json.loads(l) for l in open(out + "/nested.jsonl")]
for l in lines:
    if "paced" in l and l["paced"]["shm_full_frames"] < 10:
        bad.append(f"{l['deployment']}: only {l['paced']['shm_full_frames']} paced frames presented")
    if "helper_names" in l and l["helper_names"] != "weston-desktop-shell weston-keyboard":
        bad.append(f"nested helpers: {l['helper_names']!r}")
shots = {l["screenshot"] for l in lines if "screenshot" in l}
if shots != {"nested", "vsomm"}:
    bad.append(f"screenshots: {sorted(shots)}")
for name in ("nested", "vsomm"):
    try:
        if open(f"{out}/nested-{name}.png", "rb").read(8) != b"\x89PNG\r\n\x1a\n":
            bad.append(f"nested-{name}.png is not a PNG")
    except OSError as e:
        bad.append(str(e))
if bad:
    sys.exit("\n".join(bad))
PY
echo "nested-smoke: ok"
