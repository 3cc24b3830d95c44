#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-bench.sh: vsomm-bench cases on a headless Weston in a private runtime dir,
#   A  direct          WAYLAND_DISPLAY=weston
#   B  waypipe         `waypipe client` beside Weston, `waypipe server -- CASE`
#   C  vsomm           `vsomm-host` beside Weston, `vsomm -- CASE`
#   D  vsomm-bytes     the same with VSOMM_RELAY=bytes: the byte relay core
#                      (docs/relay-core.md; only with --modes, it is not the default)
# interleaved (the order of the modes rotates every round), --rounds times;
# prints per case the median of each figure per mode and the median of the
# paired (same round) ratios to A.  B runs when waypipe is installed, C when
# $BUILD/launcher/vsomm-host and $BUILD/launcher/vsomm exist.
#
# CPU: every run reports the CPU time of Weston ("weston"), of the host-side
# proxy ("host": waypipe client / vsomm-host, with its children) and of the
# guest-side proxy ("guest": waypipe server / vsomm launcher, the parent of
# vsomm-bench), plus the client's own ("self"); cpu_total sums them.
#
# What the shm figures measure: Weston 10 releases a wl_shm buffer as soon as a
# newer one is committed on the surface (not at repaint), so frames/s is the
# throughput of commit -> (proxy) -> compositor -> release -> (proxy) -> client,
# not a refresh rate; [core] repaint-window (--repaint-window) sets how often
# Weston repaints, which changes the compositor's share of CPU, not the pacing.
#
# Latency on a small VM depends on placement: a wakeup on another CPU costs
# more than the whole roundtrip on one (here ~80 µs against ~15 µs direct), so
# unpinned figures are bimodal; --pin 0 puts everything on one CPU.
#
# Not a test: nothing here passes or fails on speed.  Benchmark figures are
# only comparable on one machine and one load; the ratios are the point.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(readlink -f "$here/../..")

usage() {
	cat <<-EOF
		usage: run-bench.sh [options]
		  --build DIR           meson build dir (default: \$BUILD or $root/build)
		  --rounds N            interleaved rounds (default 5)
		  --cases LIST          comma-separated (default roundtrip,messages,shm-damage,shm-full)
		  --modes LIST          subset of A,B,C,D (default: A and every one of B,C available)
		  --seconds S           duration of the timed cases (default 3)
		  --iterations N        roundtrips (default 20000)
		  --size WxH            shm buffer size (default 1920x1080)
		  --repaint-window MS   Weston's [core] repaint-window (default 7, Weston's own)
		  --waypipe-args ARGS   extra waypipe options for both ends (default "--no-gpu")
		  --pin CPUS            run Weston, the proxies and the client on CPUS (taskset -c)
		  --out FILE            keep every run's figures as JSON lines
		  --hist-dir DIR        keep every roundtrip sample: DIR/MODE-ROUND.txt (µs)
	EOF
}

BUILD=${BUILD:-$root/build}
ROUNDS=5
CASES=roundtrip,messages,shm-damage,shm-full
MODES=
SECONDS_PER_CASE=3
ITERATIONS=20000
SIZE=1920x1080
REPAINT_WINDOW=7
WAYPIPE_ARGS="--no-gpu"
OUT=
PIN=
HIST_DIR=

while (($#)); do
	case $1 in
	--build) BUILD=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--cases) CASES=$2; shift ;;
	--modes) MODES=$2; shift ;;
	--seconds) SECONDS_PER_CASE=$2; shift ;;
	--iterations) ITERATIONS=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--repaint-window) REPAINT_WINDOW=$2; shift ;;
	--waypipe-args) WAYPIPE_ARGS=$2; shift ;;
	--out) OUT=$2; shift ;;
	--pin) PIN=$2; shift ;;
	--hist-dir) HIST_DIR=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

BENCH=$BUILD/tests/bench/vsomm-bench
VSOMM_HOST=$BUILD/launcher/vsomm-host
VSOMM=$BUILD/launcher/vsomm
[[ -x $BENCH ]] || { echo "run-bench: no $BENCH (build it: ninja -C $BUILD)" >&2; exit 1; }
[[ $OUT != "" ]] && OUT=$(readlink -f "$OUT")
if [[ -n $HIST_DIR ]]; then
	mkdir -p "$HIST_DIR"
	HIST_DIR=$(readlink -f "$HIST_DIR")
fi

available=A
command -v waypipe >/dev/null 2>&1 && available+=,B
[[ -x $VSOMM_HOST && -x $VSOMM ]] && available+=,C
if [[ -z $MODES ]]; then
	MODES=$available
else
	[[ ,$available, == *,C,* ]] && available+=,D
	for m in ${MODES//,/ }; do
		[[ ,$available, == *,$m,* ]] || { echo "run-bench: mode $m is not available" >&2; exit 1; }
	done
fi
read -ra mode_list <<<"${MODES//,/ }"
read -ra case_list <<<"${CASES//,/ }"

# shellcheck source=tests/clients/headless-weston.sh
source "$root/tests/clients/headless-weston.sh"
hw_weston_start "repaint-window=$REPAINT_WINDOW"
pin=()
if [[ -n $PIN ]]; then
	pin=(taskset -c "$PIN")
	taskset -apc "$PIN" "$HW_WESTON_PID" >/dev/null
fi
RESULTS=$HW_DIR/results.jsonl
: >"$RESULTS"

wait_socket() {
	local path=$1 pid=$2 i
	for ((i = 0; i < 500; i++)); do
		[[ -S $path ]] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

read -ra waypipe_args <<<"$WAYPIPE_ARGS"
if [[ ,$MODES, == *,B,* ]]; then
	WAYPIPE_SOCK=$HW_DIR/waypipe.sock
	WAYLAND_DISPLAY=$HW_SOCKET "${pin[@]}" waypipe "${waypipe_args[@]}" --socket "$WAYPIPE_SOCK" client \
		>"$HW_DIR/waypipe-client.log" 2>&1 &
	WAYPIPE_PID=$!
	hw_track "$WAYPIPE_PID"
	wait_socket "$WAYPIPE_SOCK" "$WAYPIPE_PID" ||
		{ hw_dump "$HW_DIR/waypipe-client.log"; echo "run-bench: waypipe client failed" >&2; exit 1; }
fi
if [[ ,$MODES, == *,C,* || ,$MODES, == *,D,* ]]; then
	VSOMM_SOCK=$HW_DIR/vsomm-host.sock
	"${pin[@]}" "$VSOMM_HOST" --listen "$VSOMM_SOCK" --compositor "$HW_SOCKET" >"$HW_DIR/vsomm-host.log" 2>&1 &
	VSOMM_HOST_PID=$!
	hw_track "$VSOMM_HOST_PID"
	wait_socket "$VSOMM_SOCK" "$VSOMM_HOST_PID" ||
		{ hw_dump "$HW_DIR/vsomm-host.log"; echo "run-bench: vsomm-host failed" >&2; exit 1; }
fi

case_args() {
	case $1 in
	roundtrip) echo "-n $ITERATIONS" ;;
	shm-*) echo "--seconds $SECONDS_PER_CASE --size $SIZE" ;;
	*) echo "--seconds $SECONDS_PER_CASE" ;;
	esac
}

# run_one MODE ROUND CASE: one vsomm-bench run; appends a JSON line to $RESULTS.
run_one() {
	local mode=$1 round=$2 name=$3 out=$HW_DIR/run.out err=$HW_DIR/run.err status=0
	local -a args cmd
	read -ra args <<<"$(case_args "$name")"
	args=(--json --case "$name" "${args[@]}")
	[[ -n $HIST_DIR && $name == roundtrip ]] && args+=(--hist "$HIST_DIR/$mode-$round.txt")
	case $mode in
	A) cmd=(env WAYLAND_DISPLAY="$HW_SOCKET" "$BENCH" "${args[@]}"
		--pid "weston=$HW_WESTON_PID") ;;
	B) cmd=(waypipe "${waypipe_args[@]}" --socket "$WAYPIPE_SOCK" server -- "$BENCH" "${args[@]}"
		--pid "weston=$HW_WESTON_PID,host=$WAYPIPE_PID,guest=parent") ;;
	C) cmd=("$VSOMM" -d "socket:$VSOMM_SOCK" -- "$BENCH" "${args[@]}"
		--pid "weston=$HW_WESTON_PID,host=$VSOMM_HOST_PID,guest=parent") ;;
	D) cmd=(env VSOMM_RELAY=bytes "$VSOMM" -d "socket:$VSOMM_SOCK" -- "$BENCH" "${args[@]}"
		--pid "weston=$HW_WESTON_PID,host=$VSOMM_HOST_PID,guest=parent") ;;
	esac
	timeout -k 5 "$(awk -v s="$SECONDS_PER_CASE" 'BEGIN { print int(s * 4 + 120) }')" \
		"${pin[@]}" "${cmd[@]}" >"$out" 2>"$err" || status=$?
	local line
	line=$(grep -m1 '^{"case"' "$out" || true)
	if ((status != 0)) || [[ -z $line ]]; then
		echo "run-bench: $mode round $round $name failed (status $status)" >&2
		tail -n 5 "$err" >&2
		printf '{"mode": "%s", "round": %d, "case": "%s", "failed": %d}\n' \
			"$mode" "$round" "$name" "$status" >>"$RESULTS"
		return 0
	fi
	printf '{"mode": "%s", "round": %d, "result": %s}\n' "$mode" "$round" "$line" >>"$RESULTS"
	echo "  $mode $name: $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(" ".join(f"{k}={v}" for k, v in d.items() if k.endswith(("_p50_us", "_per_s")) and "requests" not in k and "mpixels" not in k))' "$line")" >&2
}

echo "run-bench: modes $MODES, cases $CASES, $ROUNDS rounds, weston repaint-window=$REPAINT_WINDOW${PIN:+, pinned to CPU $PIN}" >&2
for ((round = 1; round <= ROUNDS; round++)); do
	echo "round $round" >&2
	n=${#mode_list[@]}
	for ((k = 0; k < n; k++)); do
		mode=${mode_list[(k + round - 1) % n]}
		for name in "${case_list[@]}"; do
			run_one "$mode" "$round" "$name"
		done
	done
done

[[ -z $OUT ]] || cp "$RESULTS" "$OUT"

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
from collections import defaultdict

runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
failed = [r for r in runs if "failed" in r]
# fig[case][metric][mode][round] = value
fig = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
for r in runs:
    if "result" not in r:
        continue
    res = dict(r["result"])
    case = res.pop("case")
    cpu_ms = [v for k, v in res.items() if k.startswith("cpu_") and k.endswith("_ms")]
    res["cpu_total_ms"] = sum(cpu_ms)
    frames = next((v for k, v in res.items() if k.endswith("_frames")), None)
    if frames:
        res["cpu_total_us_per_frame"] = res["cpu_total_ms"] * 1000.0 / frames
    for k, v in res.items():
        fig[case][k][r["mode"]][r["round"]] = v

modes = sorted({r["mode"] for r in runs})
names = {"A": "direct", "B": "waypipe", "C": "vsomm", "D": "vsomm-bytes"}
skip = ("_n", "_seconds", "_iterations", "_min_us", "_max_us", "_release_waits", "_frames")
for case in fig:
    print(f"\n== {case} (medians over rounds; ratios are medians of same-round pairs)")
    hdr = f"{'figure':34}" + "".join(f"{names.get(m, m):>12}" for m in modes)
    hdr += "".join(f"{m + '/A':>10}" for m in modes if m != "A")
    print(hdr)
    for metric, per_mode in fig[case].items():
        if metric.endswith(skip):
            continue
        row = f"{metric:34}"
        for m in modes:
            vals = list(per_mode.get(m, {}).values())
            row += f"{statistics.median(vals):12.1f}" if vals else f"{'-':>12}"
        for m in modes:
            if m == "A":
                continue
            a, b = per_mode.get("A", {}), per_mode.get(m, {})
            ratios = [b[k] / a[k] for k in a if k in b and a[k]]
            row += f"{statistics.median(ratios):10.2f}" if ratios else f"{'-':>10}"
        print(row)
if failed:
    print(f"\n{len(failed)} runs failed: " +
          ", ".join(f"{r['mode']}/{r['case']}#{r['round']}" for r in failed))
PY
