#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# report.sh: everything docs/benchmarks.md shows, in one command:
#   1. run-bench.sh: roundtrip, messages, shm-damage, shm-full through direct (A),
#      waypipe (B) and vsomm (C), interleaved, --rounds times, roundtrip samples kept;
#   2. RSS of vsomm and vsomm-host (and of both waypipe ends) with one idle client;
#   3. scaling: 1, 10, 50 concurrent clients at 60 fps with a 64x64 damage
#      (frames committed and dropped, CPU of vsomm and vsomm-host), direct and vsomm;
#   4. 10 000 live objects in one client: roundtrip p50/p99 with 0 and 10 000;
#   5. nested.sh: vsomm against a nested Weston per domain (RSS with one idle
#      client, CPU per paced 1080p frame, screenshots), 3 rounds, its own Weston;
#   6. figures: OUT/report.md (markdown tables), OUT/summary.json, OUT/runs.jsonl,
#      OUT/bench.png (roundtrip latency distribution + throughput ratios; gnuplot).
#   report.sh [--build DIR] [--out DIR] [--rounds N] [--pin CPUS] [--quick]
# Not a test: nothing here passes or fails on speed.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(readlink -f "$here/../..")
BUILD=${BUILD:-$root/build}
OUTDIR=$root/bench-results
ROUNDS=5
PIN=
QUICK=0
while (($#)); do
	case $1 in
	--build) BUILD=$2; shift ;;
	--out) OUTDIR=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--pin) PIN=$2; shift ;;
	--quick) QUICK=1 ;;
	*) echo "usage: report.sh [--build DIR] [--out DIR] [--rounds N] [--pin CPUS] [--quick]" >&2; exit 2 ;;
	esac
	shift
done
BUILD=$(readlink -f "$BUILD")
mkdir -p "$OUTDIR"
OUTDIR=$(readlink -f "$OUTDIR")
BENCH=$BUILD/tests/bench/vsomm-bench
VSOMM=$BUILD/launcher/vsomm
VSOMM_HOST=$BUILD/launcher/vsomm-host
SECS=3 ITER=20000 SCALE_SECS=5 RT_N=5000
((QUICK)) && SECS=0.5 ITER=500 SCALE_SECS=1 RT_N=300
SCALES=${SCALES:-1 10 50}
OBJECTS=${OBJECTS:-10000}

# 1. the interleaved A/B/C run (its own Weston)
pin_args=()
[[ -n $PIN ]] && pin_args=(--pin "$PIN")
bash "$here/run-bench.sh" --build "$BUILD" --rounds "$ROUNDS" --seconds "$SECS" --iterations "$ITER" \
	--out "$OUTDIR/runs.jsonl" --hist-dir "$OUTDIR/hist" "${pin_args[@]}" | tee "$OUTDIR/run-bench.txt"

# 5. the nested-Weston deployment beside vsomm (its own Weston; run here, before
# the next one starts)
NESTED_ROUNDS=3 NESTED_SECS=10
((QUICK)) && NESTED_ROUNDS=1 NESTED_SECS=1
bash "$here/nested.sh" --build "$BUILD" --out "$OUTDIR" --rounds "$NESTED_ROUNDS" --seconds "$NESTED_SECS" \
	>"$OUTDIR/nested.md"

# 2-4 on a fresh Weston
# shellcheck source=tests/clients/headless-weston.sh
source "$root/tests/clients/headless-weston.sh"
hw_weston_start
EXTRA=$OUTDIR/extra.jsonl
: >"$EXTRA"
wait_socket() {
	local i
	for ((i = 0; i < 500; i++)); do
		[[ -S $1 ]] && return 0
		sleep 0.02
	done
	return 1
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_rss_kib() { # a process and its children
	local total sum=0 p
	for p in $1 $(pgrep -P "$1" || true); do
		total=$(rss_kib "$p")
		sum=$((sum + total))
	done
	echo "$sum"
}

HOST_SOCK=$HW_DIR/vsomm-host.sock
"$VSOMM_HOST" --listen "$HOST_SOCK" --compositor "$HW_SOCKET" >"$HW_DIR/vsomm-host.log" 2>&1 &
HOST_PID=$!
hw_track "$HOST_PID"
wait_socket "$HOST_SOCK" || { echo "report: vsomm-host did not start" >&2; exit 1; }

# 2. RSS with one idle client (the cpu case: connected, a window-less client waiting)
host_before=$(rss_kib "$HOST_PID")
"$VSOMM" -d "socket:$HOST_SOCK" -- "$BENCH" --case cpu --seconds 3 >/dev/null &
vpid=$!
sleep 1.5
printf '{"rss": "vsomm", "vsomm_kib": %d, "vsomm_host_kib": %d, "vsomm_host_before_kib": %d}\n' \
	"$(rss_kib "$vpid")" "$(rss_kib "$HOST_PID")" "$host_before" >>"$EXTRA"
wait "$vpid" || true
if command -v waypipe >/dev/null 2>&1; then
	WP_SOCK=$HW_DIR/waypipe.sock
	WAYLAND_DISPLAY=$HW_SOCKET waypipe --no-gpu --socket "$WP_SOCK" client >/dev/null 2>&1 &
	wp_client=$!
	hw_track "$wp_client"
	wait_socket "$WP_SOCK" || true
	waypipe --no-gpu --socket "$WP_SOCK" server -- "$BENCH" --case cpu --seconds 3 >/dev/null 2>&1 &
	wp_server=$!
	sleep 1.5
	printf '{"rss": "waypipe", "server_kib": %d, "client_kib": %d}\n' \
		"$(tree_rss_kib "$wp_server")" "$(tree_rss_kib "$wp_client")" >>"$EXTRA"
	wait "$wp_server" || true
fi

# 3. scaling: N clients at 60 fps, 64x64 damage on 512x384 buffers
# scale MODE N: one JSON line with the summed figures of N concurrent clients.
scale() {
	local mode=$1 n=$2 dir=$HW_DIR/scale-$1-$2 i g0 h0 g1 h1 gpid
	mkdir -p "$dir"
	local cmd="for i in \$(seq $n); do '$BENCH' --json --case shm-damage --fps 60 --seconds $SCALE_SECS --size 512x384 >'$dir'/\$i.json 2>'$dir'/\$i.err & done; wait"
	h0=$(ticks "$HOST_PID")
	if [[ $mode == direct ]]; then
		WAYLAND_DISPLAY=$HW_SOCKET bash -c "$cmd"
		g0=0 g1=0
	else
		"$VSOMM" -d "socket:$HOST_SOCK" -- bash -c "$cmd" &
		gpid=$!
		g0=$(ticks "$gpid")
		# the launcher's CPU just before it exits: sample until the clients are done
		g1=$g0
		while kill -0 "$gpid" 2>/dev/null; do
			i=$(ticks "$gpid")
			((i > 0)) && g1=$i
			sleep 0.2
		done
		wait "$gpid" || true
	fi
	h1=$(ticks "$HOST_PID")
	python3 - "$dir" "$mode" "$n" "$SCALE_SECS" "$((g1 - g0))" "$((h1 - h0))" >>"$EXTRA" <<-'PY'
		import glob, json, sys
		d, mode, n, secs, g, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
		runs = []
		for f in glob.glob(d + "/*.json"):
		    t = open(f).read().strip()
		    if t.startswith("{"):
		        runs.append(json.loads(t))
		frames = sum(r["shm_damage_frames"] for r in runs)
		dropped = sum(r.get("shm_damage_dropped", 0) for r in runs)
		print(json.dumps({"scale": mode, "clients": n, "ok_clients": len(runs), "seconds": secs,
		                  "target_frames": n * (round(60 * secs) - 1), "frames": frames, "dropped": dropped,
		                  "vsomm_cpu_pct": g * 10.0 / secs / 10, "vsomm_host_cpu_pct": h * 10.0 / secs / 10,
		                  "client_self_cpu_ms": sum(r["cpu_self_ms"] for r in runs)}))
	PY
}
for n in $SCALES; do
	scale direct "$n"
	scale vsomm "$n"
done

# 4. live objects: roundtrip latency with 0 and $OBJECTS wl_regions alive
for objs in 0 "$OBJECTS"; do
	for mode in direct vsomm; do
		if [[ $mode == direct ]]; then
			line=$(WAYLAND_DISPLAY=$HW_SOCKET "$BENCH" --json --case roundtrip -n "$RT_N" --objects "$objs")
		else
			line=$("$VSOMM" -d "socket:$HOST_SOCK" -- "$BENCH" --json --case roundtrip -n "$RT_N" --objects "$objs")
		fi
		printf '{"objects": %d, "mode": "%s", "result": %s}\n' "$objs" "$mode" "$line" >>"$EXTRA"
	done
done

# 6. tables (nested.sh's too) and plot
python3 "$here/report.py" "$OUTDIR" | tee "$OUTDIR/report.md"
if command -v gnuplot >/dev/null 2>&1; then
	gnuplot "$OUTDIR/bench.gp" && echo "report: plot in $OUTDIR/bench.png" >&2
else
	echo "report: no gnuplot (Debian gnuplot-nox): no plot" >&2
fi
