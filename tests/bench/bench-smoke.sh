#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench-smoke: every vsomm-bench case runs briefly against a headless Weston and
# gives sane figures (positive, finite, ordered percentiles, Weston's CPU time
# reported).  Not a timed test: no figure is compared with a threshold of speed.
# With VSOMM and VSOMM_HOST every case runs through vsomm + vsomm-host instead,
# and the CPU time of both proxies must be reported too.
#   bench-smoke.sh PATH/TO/vsomm-bench [PATH/TO/vsomm PATH/TO/vsomm-host]
set -euo pipefail

BENCH=${1:?usage: bench-smoke.sh VSOMM_BENCH [VSOMM VSOMM_HOST]}
VSOMM=${2:-}
VSOMM_HOST=${3:-}
# shellcheck source=tests/clients/headless-weston.sh
source "$(dirname "${BASH_SOURCE[0]}")/../clients/headless-weston.sh"

hw_weston_start

via=(env WAYLAND_DISPLAY="$HW_SOCKET")
pids="weston=$HW_WESTON_PID"
if [[ -n $VSOMM ]]; then
	sock=$HW_DIR/vsomm-host.sock
	strict=()
	[[ ${VSOMM_TEST_HOST_STRICT:-0} == 1 ]] && strict=(--strict) # as tests/lib/weston.sh
	"$VSOMM_HOST" --listen "$sock" --compositor "$HW_SOCKET" "${strict[@]}" \
		>"$HW_DIR/vsomm-host.log" 2>&1 &
	host_pid=$!
	hw_track "$host_pid"
	for ((i = 0; i < 500; i++)); do
		[[ -S $sock ]] && break
		kill -0 "$host_pid" 2>/dev/null || break
		sleep 0.02
	done
	[[ -S $sock ]] || { hw_dump "$HW_DIR/vsomm-host.log"; echo "FAIL: vsomm-host did not start" >&2; exit 1; }
	via=("$VSOMM" -d "socket:$sock" --)
	pids+=",host=$host_pid,guest=parent"
fi

fail() {
	echo "FAIL: $*" >&2
	hw_dump "$HW_DIR/bench.err" "$HW_WESTON_LOG"
	exit 1
}

# bench ARGS…: run vsomm-bench on Weston; its output in $HW_DIR/bench.out.
bench() {
	timeout 60 "${via[@]}" "$BENCH" --pid "$pids" "$@" \
		>"$HW_DIR/bench.out" 2>"$HW_DIR/bench.err" || fail "vsomm-bench $* exited $?"
	cat "$HW_DIR/bench.out"
}

# check 'EXPR' KEY…: EXPR (python, over the named figures) must hold.
check() {
	local expr=$1
	shift
	python3 - "$HW_DIR/bench.out" "$expr" "$@" <<'PY' || fail "check failed: $expr"
import json, math, sys
path, expr, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(path).read().strip()
if text.startswith("{"):
    fig = json.loads(text)
else:
    fig = dict(line.split("=", 1) for line in text.splitlines())
    fig = {k: float(v) for k, v in fig.items()}
for k in keys:
    if k not in fig or not isinstance(fig[k], (int, float)) or not math.isfinite(fig[k]):
        sys.exit(f"missing or bad figure {k}")
if not eval(expr, {}, {k: fig[k] for k in keys}):
    sys.exit(f"does not hold: {expr} with " + ", ".join(f"{k}={fig[k]}" for k in keys))
PY
}

bench --case roundtrip -n 200 --hist "$HW_DIR/hist.txt"
check '0 < roundtrip_min_us <= roundtrip_p50_us <= roundtrip_p90_us <= roundtrip_p99_us <= roundtrip_max_us < 1e6 and roundtrip_n == 200' \
	roundtrip_min_us roundtrip_p50_us roundtrip_p90_us roundtrip_p99_us roundtrip_max_us roundtrip_n
check 'cpu_weston_ms >= 0 and cpu_self_ms >= 0' cpu_weston_ms cpu_self_ms
[[ $(wc -l <"$HW_DIR/hist.txt") == 200 ]] || fail "--hist: expected 200 samples"

bench --case shm-damage --seconds 1 --size 640x480 --json
check 'shm_damage_frames > 10 and shm_damage_frames_per_s > 10' shm_damage_frames shm_damage_frames_per_s
check 'cpu_weston_ms >= 0 and cpu_weston_us_per_frame >= 0' cpu_weston_ms cpu_weston_us_per_frame

bench --case shm-full --seconds 0.5 --size 320x240 --buffers 2
check 'shm_full_frames > 5' shm_full_frames

bench --case messages --seconds 0.3
check 'messages_per_s > 1000 and messages_iterations >= 1000' messages_per_s messages_iterations

bench --case cpu --seconds 0.2
check 'cpu_weston_ms >= 0' cpu_weston_ms

bench --case roundtrip -n 100 --objects 300
check 'roundtrip_objects == 300 and 0 < roundtrip_p50_us < 1e6' roundtrip_objects roundtrip_p50_us

bench --case shm-damage --seconds 0.5 --size 128x128 --fps 60
check '15 <= shm_damage_frames + shm_damage_dropped <= 30' shm_damage_frames shm_damage_dropped

if [[ -n $VSOMM ]]; then
	# Both proxies are measured (their CPU time may be 0 ticks in so short a run).
	bench --case messages --seconds 0.3
	check 'cpu_host_ms >= 0 and cpu_guest_ms >= 0 and messages_per_s > 1000' \
		cpu_host_ms cpu_guest_ms messages_per_s
	kill -0 "$host_pid" 2>/dev/null || fail "vsomm-host died"
	echo "bench-smoke (through vsomm): ok"
	exit 0
fi

# Bad usage is refused.
status=0
WAYLAND_DISPLAY=$HW_SOCKET "$BENCH" --case nope 2>/dev/null || status=$?
((status == 2)) || fail "--case nope: status $status, expected 2"

kill -0 "$HW_WESTON_PID" 2>/dev/null || fail "weston died"
echo "bench-smoke: ok"
