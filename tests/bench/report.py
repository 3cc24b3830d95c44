#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""report.py OUTDIR: the tables of report.sh's figures (markdown on stdout),
OUTDIR/summary.json, and OUTDIR/bench.gp (gnuplot script for OUTDIR/bench.png).
report.py OUTDIR --nested: only the table of nested.sh (OUTDIR/nested.jsonl)."""
import glob
import json
import os
import statistics
import sys
from collections import defaultdict

out = sys.argv[1]
NAMES = {"A": "direct", "B": "waypipe", "C": "vsomm"}


def load(path):
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip()]


def nested_table(lines):
    """nested.sh's figures: medians over rounds, nested Weston against vsomm."""
    deps = ("nested", "vsomm")
    mem = {d: [l for l in lines if l.get("deployment") == d and "rss" in l] for d in deps}
    paced = {d: [l["paced"] for l in lines if l.get("deployment") == d and "paced" in l] for d in deps}

    def med(vals):
        return statistics.median(vals) if vals else None

    def per_frame(d, labels):
        # ms of CPU per presented frame, the labels' CPU time summed
        return med([sum(p.get(f"cpu_{k}_ms", 0) for k in labels) / p["shm_full_frames"]
                    for p in paced[d] if p.get("shm_full_frames")])

    mib = lambda d, key, part: med([l[part][key] / 1024 for l in mem[d]])
    rows = [
        ("processes added", {d: med([l["processes"] for l in mem[d]]) for d in deps}, 0),
        ("Rss added, one idle client (MiB)", {d: mib(d, "rss_kib", "rss") for d in deps}, 1),
        ("Pss added, one idle client (MiB)", {d: mib(d, "pss_kib", "rss") for d in deps}, 1),
        ("  Rss: nested weston / vsomm-host (MiB)",
         {"nested": mib("nested", "rss_kib", "weston"), "vsomm": mib("vsomm", "rss_kib", "vsomm_host")}, 1),
        ("  Rss: its helpers / vsomm (MiB)",
         {"nested": mib("nested", "rss_kib", "helpers"), "vsomm": mib("vsomm", "rss_kib", "vsomm")}, 1),
        ("paced 1080p frames presented / s", {d: med([p["shm_full_frames_per_s"] for p in paced[d]])
                                              for d in deps}, 1),
        ("CPU of the added processes / frame (ms)",
         {d: per_frame(d, ("added", "added_guest")) for d in deps}, 2),
        ("CPU of the host Weston / frame (ms)", {d: per_frame(d, ("host_weston",)) for d in deps}, 2),
        ("added + host Weston / frame (ms)",
         {d: per_frame(d, ("added", "added_guest", "host_weston")) for d in deps}, 2),
        ("the client's own CPU / frame (ms)", {d: per_frame(d, ("self",)) for d in deps}, 2),
    ]
    n = len({l["round"] for l in lines if "round" in l})
    print("### vsomm against a nested Weston per domain\n")
    print("| figure | nested Weston | vsomm (vsomm-host + vsomm) | nested / vsomm |")
    print("|---|---:|---:|---:|")
    result = {}
    for label, vals, d in rows:
        a, b = vals["nested"], vals["vsomm"]
        r = f"{a / b:.1f} ×" if a is not None and b else "–"
        print(f"| {label} | {f(a, d)} | {f(b, d)} | {r} |")
        result[label.strip()] = vals
    host, guest = per_frame("vsomm", ("added",)), per_frame("vsomm", ("added_guest",))
    print()
    if host is not None and guest is not None:
        print(f"vsomm's CPU per frame: vsomm-host {host:.2f} ms, vsomm {guest:.2f} ms (the copy of "
              f"the damage into host memory is vsomm's).")
    names = sorted({l.get("helper_names", "") for l in mem["nested"]})
    load_lines = [l for l in lines if "load_before" in l or "load_after" in l]
    print(f"Medians over {n} rounds (unpinned).  The nested Weston's processes: weston and "
          f"{' / '.join(names) or 'nothing else'}.  Load average (1, 5, 15 min) before / after: "
          + " / ".join(l.get("load_before", l.get("load_after", "")) for l in load_lines) + ".")
    for l in lines:
        if "screenshot" in l:
            print(f"Screenshot of the host Weston, {l['screenshot']}: {l['path']} ({l['bytes']:,} bytes).")
    return result



runs = load(os.path.join(out, "runs.jsonl"))
extra = load(os.path.join(out, "extra.jsonl"))

# fig[case][metric][mode][round]
fig = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
for r in runs:
    if "result" not in r:
        continue
    res = dict(r["result"])
    case = res.pop("case")
    frames = next((v for k, v in res.items() if k.endswith("_frames")), None)
    for k, v in list(res.items()):
        if k.startswith("cpu_") and k.endswith("_ms") and frames:
            res[k[:-3] + "_us_per_frame"] = v * 1000.0 / frames
    for k, v in res.items():
        fig[case][k][r["mode"]][r["round"]] = v
modes = sorted({r["mode"] for r in runs if "result" in r})


def med(case, metric, mode):
    vals = list(fig[case][metric].get(mode, {}).values())
    return statistics.median(vals) if vals else None


def ratio(case, metric, mode, base="A"):
    a, b = fig[case][metric].get(base, {}), fig[case][metric].get(mode, {})
    rs = [b[k] / a[k] for k in a if k in b and a[k]]
    return (statistics.median(rs), min(rs), max(rs)) if rs else None


def f(v, d=1):
    return "–" if v is None else f"{v:,.{d}f}"


if len(sys.argv) > 2 and sys.argv[2] == "--nested":
    nested_table(load(os.path.join(out, "nested.jsonl")))
    sys.exit(0)


summary = {"medians": {}, "ratios": {}, "targets": [], "extra": extra}
print("### Figures (medians over rounds)\n")
rows = [
    ("roundtrip", "roundtrip_p50_us", "round trip p50 (µs)", 1),
    ("roundtrip", "roundtrip_p99_us", "round trip p99 (µs)", 1),
    ("messages", "messages_per_s", "messages/s", 0),
    ("shm-full", "shm_full_frames_per_s", "1080p full damage, frames/s", 0),
    ("shm-damage", "shm_damage_frames_per_s", "1080p 64×64 damage, frames/s", 0),
    ("shm-full", "cpu_guest_us_per_frame", "guest proxy CPU / full frame (µs)", 0),
    ("shm-full", "cpu_host_us_per_frame", "host proxy CPU / full frame (µs)", 0),
    ("shm-damage", "cpu_guest_us_per_frame", "guest proxy CPU / 64×64 frame (µs)", 1),
    ("shm-damage", "cpu_host_us_per_frame", "host proxy CPU / 64×64 frame (µs)", 1),
    ("shm-full", "cpu_weston_us_per_frame", "Weston CPU / full frame (µs)", 0),
    ("shm-damage", "cpu_weston_us_per_frame", "Weston CPU / 64×64 frame (µs)", 1),
]
print("| figure | " + " | ".join(NAMES[m] for m in modes) + " | " +
      " | ".join(f"{NAMES[m]}/direct" for m in modes if m != "A") + " |")
print("|---|" + "---:|" * (2 * len(modes) - 1))
for case, metric, label, d in rows:
    if case not in fig or metric not in fig[case]:
        continue
    cells = [f(med(case, metric, m), d) for m in modes]
    rcells = []
    for m in modes:
        if m == "A":
            continue
        r = ratio(case, metric, m)
        rcells.append("–" if r is None else f"{r[0]:.2f} ({r[1]:.2f}–{r[2]:.2f})")
        summary["ratios"][f"{case}/{metric}/{m}"] = r
    for m in modes:
        summary["medians"][f"{case}/{metric}/{m}"] = med(case, metric, m)
    print(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(rcells) + " |")
nr = len({r["round"] for r in runs})
print(f"\nRatios are medians of same-round pairs (min–max over {nr} rounds).\n")

# targets
print("### Targets\n")
print("| figure | target | measured | reached |")
print("|---|---|---:|---|")


def target(label, want, val, ok):
    summary["targets"].append({"figure": label, "target": want, "value": val, "ok": ok})
    print(f"| {label} | {want} | {'–' if val is None else f'{val:.3g}'} | "
          f"{'–' if ok is None else ('yes' if ok else '**no**')} |")


def rr(case, metric, mode="C", base="A"):
    r = ratio(case, metric, mode, base)
    return None if r is None else r[0]


v = rr("roundtrip", "roundtrip_p50_us")
target("round-trip p50, vsomm / direct", "≤ 3.0", v, None if v is None else v <= 3.0)
v = rr("roundtrip", "roundtrip_p50_us", "C", "B")
target("round-trip p50, vsomm / waypipe", "≤ 0.5", v, None if v is None else v <= 0.5)
v = rr("messages", "messages_per_s")
target("messages/s, vsomm / direct", "≥ 0.8", v, None if v is None else v >= 0.8)
v = rr("shm-full", "shm_full_frames_per_s")
target("1080p full-damage frames/s, vsomm / direct", "≥ 0.6", v, None if v is None else v >= 0.6)
v = rr("shm-damage", "shm_damage_frames_per_s")
target("1080p 64×64-damage frames/s, vsomm / direct", "≥ 0.5", v, None if v is None else v >= 0.5)
v = med("shm-full", "cpu_guest_us_per_frame", "C")
target("vsomm CPU per full-damage frame (ms)", "≤ 1.5", None if v is None else v / 1000,
       None if v is None else v <= 1500)
v = med("shm-damage", "cpu_guest_us_per_frame", "C")
target("vsomm CPU per 64×64-damage frame (ms)", "≤ 0.05", None if v is None else v / 1000,
       None if v is None else v <= 50)
rss = next((e for e in extra if e.get("rss") == "vsomm"), None)
if rss:
    target("RSS vsomm, one idle client (MiB)", "≤ 8", rss["vsomm_kib"] / 1024, rss["vsomm_kib"] <= 8192)
    target("RSS vsomm-host, one idle client (MiB)", "≤ 8", rss["vsomm_host_kib"] / 1024,
           rss["vsomm_host_kib"] <= 8192)
wp = next((e for e in extra if e.get("rss") == "waypipe"), None)
if wp:
    print(f"\nFor comparison, waypipe with one idle client: server {wp['server_kib'] / 1024:.1f} MiB, "
          f"client {wp['client_kib'] / 1024:.1f} MiB (RSS, with children).")

scale = [e for e in extra if "scale" in e]
if scale:
    print("\n### Scaling: N clients at 60 fps, 512×384 buffers, 64×64 damage\n")
    print("| clients | path | frames committed / wanted | dropped ticks | vsomm CPU | vsomm-host CPU |")
    print("|---:|---|---:|---:|---:|---:|")
    for e in sorted(scale, key=lambda e: (e["clients"], e["scale"])):
        cpu_g = "–" if e["scale"] == "direct" else f"{e['vsomm_cpu_pct']:.1f} %"
        cpu_h = "–" if e["scale"] == "direct" else f"{e['vsomm_host_cpu_pct']:.1f} %"
        print(f"| {e['clients']} | {e['scale']} | {e['frames']:,} / {e['target_frames']:,} "
              f"({e['ok_clients']} clients ran) | {e['dropped']:,} | {cpu_g} | {cpu_h} |")
    print("\nCPU in % of one core over the run.")

objs = [e for e in extra if "objects" in e]
if objs:
    print("\n### Live objects: round trip with many objects in one client\n")
    print("| live wl_regions | path | p50 (µs) | p99 (µs) |")
    print("|---:|---|---:|---:|")
    for e in objs:
        r = e["result"]
        print(f"| {e['objects']:,} | {e['mode']} | {r['roundtrip_p50_us']:.1f} | {r['roundtrip_p99_us']:.1f} |")

nested = load(os.path.join(out, "nested.jsonl"))
if nested:
    print()
    summary["nested"] = nested_table(nested)

json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1, default=str)

# plot data: latency CDF per mode (all rounds pooled), ratio bars
for m in modes:
    samples = []
    for p in glob.glob(os.path.join(out, "hist", f"{m}-*.txt")):
        samples += [float(x) for x in open(p) if x.strip()]
    samples.sort()
    with open(os.path.join(out, f"cdf-{NAMES[m]}.dat"), "w") as fh:
        n = len(samples)
        step = max(1, n // 2000)
        for i in range(0, n, step):
            fh.write(f"{samples[i]} {(i + 1) / n}\n")
bars = [("roundtrip", "roundtrip_p50_us", "1/latency", True), ("messages", "messages_per_s", "messages/s", False),
        ("shm-full", "shm_full_frames_per_s", "full frames/s", False),
        ("shm-damage", "shm_damage_frames_per_s", "64x64 frames/s", False)]
with open(os.path.join(out, "bars.dat"), "w") as fh:
    fh.write("# case " + " ".join(NAMES[m] for m in modes) + "\n")
    for case, metric, label, inv in bars:
        vals = []
        for m in modes:
            r = ratio(case, metric, m) if m != "A" else (1.0,)
            v = None if r is None else r[0]
            if v is not None and inv:
                v = 1.0 / v
            vals.append("NaN" if v is None else f"{v:.4f}")
        fh.write(f'"{label}" ' + " ".join(vals) + "\n")
colors = {"direct": "#4477aa", "waypipe": "#cc6677", "vsomm": "#228833"}
cdf_plots = ", ".join(f"'{out}/cdf-{NAMES[m]}.dat' using 1:2 with lines lw 2 lc rgb '{colors[NAMES[m]]}' "
                      f"title '{NAMES[m]}'" for m in modes)
bar_plots = ", ".join(f"'' using {i + 2}:xtic(1) title '{NAMES[m]}' lc rgb '{colors[NAMES[m]]}'" if i else
                      f"'{out}/bars.dat' using 2:xtic(1) title '{NAMES[m]}' lc rgb '{colors[NAMES[m]]}'"
                      for i, m in enumerate(modes))
with open(os.path.join(out, "bench.gp"), "w") as fh:
    fh.write(f"""set terminal pngcairo size 1200,480 font ',10' noenhanced
set output '{out}/bench.png'
set multiplot layout 1,2
set title 'wl_display.sync round trip (all rounds)'
set xlabel 'µs'
set ylabel 'fraction of round trips'
set logscale x
set key bottom right
set grid
plot {cdf_plots}
unset logscale x
set title 'throughput relative to direct (median paired ratio)'
set xlabel ''
set ylabel 'x direct'
set style data histograms
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set key top right
plot {bar_plots}
unset multiplot
""")
