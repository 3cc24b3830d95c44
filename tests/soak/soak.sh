#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# soak.sh [CYCLES [FRAMES [OUTDIR]]]: one vsomm (--serve) and one vsomm-host in
# front of a headless Weston; CYCLES client connect/disconnect cycles (each a
# client that binds, attaches and commits a 257x256 wl_shm buffer, so a shadow
# blob is made and freed) and FRAMES wl_shm frames (vsomm-bench shm-full,
# 256x256) through them.  RSS and fd counts of both are sampled over time into
# OUTDIR/soak.csv (printed too) and plotted into OUTDIR/soak.png (gnuplot).
# Fails when, after the run, either process has more fds than after warm-up or
# its RSS grew by more than SOAK_MAX_RSS_KB (default 2048 kB).
# Defaults: 300 cycles, 3000 frames (the CI variant, under a minute).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
CYCLES=${1:-300}
FRAMES=${2:-3000}
OUT=${3:-$BUILD/tests/soak/out}
MAX_RSS_KB=${SOAK_MAX_RSS_KB:-2048}
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
# ASan (the clang build of tests/run.sh) keeps freed memory in quarantine, so
# RSS grows by design there: no quarantine, to measure what the code keeps.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
mkdir -p "$OUT"
csv=$OUT/soak.csv

weston_start
vsomm_host_start
wait_for 10 grep -q 'listening on' "$VSOMM_HOST_LOG" || true
"$BUILD/launcher/vsomm" --serve --socket wayland-soak --device "socket:$VSOMM_HOST_SOCK" \
	2>"$XDG_RUNTIME_DIR/vsomm.err" &
VSOMM_PID=$!
harness_track "$VSOMM_PID"
wait_for 10 eval '[[ -S $XDG_RUNTIME_DIR/wayland-soak ]]' || { echo "FAIL: vsomm did not come up" >&2; exit 1; }
export WAYLAND_DISPLAY=wayland-soak

rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/"$1"/status; }
start=$(date +%s.%N)
sample() { # sample CYCLES_DONE FRAMES_DONE
	local t
	t=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')
	echo "$t,$1,$2,$(rss_kb "$VSOMM_PID"),$(fd_count "$VSOMM_PID"),$(rss_kb "$VSOMM_HOST_PID"),$(fd_count "$VSOMM_HOST_PID")" |
		tee -a "$csv"
}
cycle() {
	local rc=0
	# limit-client "survives" (exit 1) when nothing stopped it
	"$BUILD/tests/limits/limit-client" buffers 1 >/dev/null 2>&1 || rc=$?
	((rc == 1)) || { echo "FAIL: cycle client exit $rc" >&2; harness_dump "$XDG_RUNTIME_DIR/vsomm.err"; exit 1; }
}

echo "seconds,cycles,frames,vsomm_rss_kb,vsomm_fds,host_rss_kb,host_fds" | tee "$csv"
# warm-up: allocator arenas, libwayland buffers, Weston's first surfaces
for ((i = 0; i < 20; i++)); do cycle; done
"$BUILD/tests/bench/vsomm-bench" --case shm-full --size 256x256 --seconds 1 >/dev/null
sleep 0.5
sample 0 0
base=$(tail -n 1 "$csv")
every=$((CYCLES / 20 > 0 ? CYCLES / 20 : 1))
for ((c = 1; c <= CYCLES; c++)); do
	cycle
	((c % every == 0)) && sample "$c" 0
done
frames=0
while ((frames < FRAMES)); do
	n=$("$BUILD/tests/bench/vsomm-bench" --case shm-full --size 256x256 --seconds 2 |
		awk -F= '/^shm_full_frames=/ { print $2 }')
	[[ $n =~ ^[0-9]+$ ]] || { echo "FAIL: vsomm-bench gave no frame count" >&2; exit 1; }
	frames=$((frames + n))
	sample "$CYCLES" "$frames"
done
sleep 0.5
sample "$CYCLES" "$frames"
last=$(tail -n 1 "$csv")

IFS=, read -r _ _ _ v_rss0 v_fd0 h_rss0 h_fd0 <<<"$base"
IFS=, read -r _ _ _ v_rss1 v_fd1 h_rss1 h_fd1 <<<"$last"
echo "vsomm:      RSS $v_rss0 -> $v_rss1 kB, fds $v_fd0 -> $v_fd1"
echo "vsomm-host: RSS $h_rss0 -> $h_rss1 kB, fds $h_fd0 -> $h_fd1"
if command -v gnuplot >/dev/null 2>&1; then
	gnuplot <<-GP
		set terminal pngcairo size 900,500 noenhanced
		set output "$OUT/soak.png"
		set datafile separator ","
		set key top left
		set xlabel "seconds"
		set ylabel "RSS (kB)"
		set y2label "open fds"
		set y2tics
		set ytics nomirror
		set yrange [0:*]
		set y2range [0:40]
		set title "soak: $CYCLES client cycles, then $frames frames through one vsomm and one vsomm-host"
		plot "$csv" using 1:4 skip 1 with linespoints title "vsomm RSS", \
		     "$csv" using 1:6 skip 1 with linespoints title "vsomm-host RSS", \
		     "$csv" using 1:5 skip 1 axes x1y2 with steps title "vsomm fds", \
		     "$csv" using 1:7 skip 1 axes x1y2 with steps title "vsomm-host fds"
	GP
	echo "plot: $OUT/soak.png"
fi
status=0
((v_fd1 <= v_fd0)) || { echo "FAIL: vsomm fds grew $v_fd0 -> $v_fd1" >&2; status=1; }
((h_fd1 <= h_fd0)) || { echo "FAIL: vsomm-host fds grew $h_fd0 -> $h_fd1" >&2; status=1; }
((v_rss1 - v_rss0 <= MAX_RSS_KB)) || { echo "FAIL: vsomm RSS grew by $((v_rss1 - v_rss0)) kB" >&2; status=1; }
((h_rss1 - h_rss0 <= MAX_RSS_KB)) || { echo "FAIL: vsomm-host RSS grew by $((h_rss1 - h_rss0)) kB" >&2; status=1; }
exit $status
