#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench.sh: the X11 figures of issue 13 (not a test: nothing is asserted).
#   BUILD=build SRCDIR=. bash tests/x11/bench.sh [SECONDS]
#  - time from `vsomm --x11 -- xterm` to xterm's first frame on the host
#    (log-compositor logs it; Xwayland's lazy start included), median of 3;
#  - an X client's frame rate (x11-client anim: full-window Present frames,
#    one in flight, paced by the host's frame callbacks) through vsomm's XWM
#    against the same client under Weston's XWM, on the seat Weston (target
#    >= 0.8x), and the CPU time vsomm and vsomm-host spend per frame.
# Prints a table.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need xterm
SECS=${1:-5}

cpu_ms() { # utime+stime of PID in ms
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%d\n", ($12 + $13) * 1000 / hz }' "/proc/$1/stat"
}

# ---- first frame (log-compositor) ----
x11_log_start
vsomm_host_start
firsts=()
for i in 1 2 3; do
	from=$(($(wc -l <"$X11_LOG") + 1))
	t0=$(date +%s%3N)
	"$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" --x11 -- xterm -title "bench xterm $i" \
		-e sleep 1000000 >"$XDG_RUNTIME_DIR/first-$i.log" 2>&1 &
	pid=$!
	harness_track "$pid"
	t1=
	for _ in $(seq 1 1000); do
		T=$(tail -n "+$from" "$X11_LOG" | sed -n "s/^[0-9]* toplevel \(T[0-9]*\) title .*bench xterm $i.*/\1/p" | head -n 1)
		if [[ -n $T ]]; then
			S=$(x11_surface_of "$T")
			t1=$(tail -n "+$from" "$X11_LOG" | sed -n "s/^\([0-9]*\) frame $S [0-9]*x[0-9]*$/\1/p" | head -n 1)
			[[ -n $t1 ]] && break
		fi
		sleep 0.02
	done
	stop_pid "$pid" || true
	[[ -n $t1 ]] && firsts+=($((t1 - t0)))
done
stop_pid "$VSOMM_HOST_PID" || true
stop_pid "$X11_LOG_PID" || true
VSOMM_HOST_PID=
first=$(printf '%s\n' "${firsts[@]:-}" | sort -n | sed -n 2p)

# ---- frame rate (seat Weston) ----
unset VSOMM_COMPOSITOR
WESTON_SOCKET=wayland-vsomm-test
x11_seat_start
anim() { # MODE: the client's last line in anim-MODE.log
	DISPLAY=$(x11_display "$1") timeout $((SECS + 30)) "$X11_CLIENT" anim --seconds "$SECS" \
		--size 640x480 >"$XDG_RUNTIME_DIR/anim-$1.log" 2>&1 || true
}
result() { awk '/^anim frames/ { r = $3 " " $5 " " $7 } END { print (r ? r : "0 0 0") }' "$XDG_RUNTIME_DIR/anim-$1.log"; }
anim weston
read -r wf ws wfps <<<"$(result weston)"
x11_vsomm_start
v0=$(cpu_ms "$X11_VSOMM_PID")
h0=$(cpu_ms "$VSOMM_HOST_PID")
anim vsomm
read -r vf vs vfps <<<"$(result vsomm)"
v1=$(cpu_ms "$X11_VSOMM_PID")
h1=$(cpu_ms "$VSOMM_HOST_PID")

echo
echo "| figure | value |"
echo "|---|---|"
echo "| first frame of \`vsomm --x11 -- xterm\` (lazy Xwayland start included), median of 3 | ${first:-?} ms (${firsts[*]:-none}) |"
echo "| x11-client anim 640x480 under Weston's XWM | ${wfps:-?} fps ($wf frames in $ws s) |"
echo "| the same through vsomm's XWM | ${vfps:-?} fps ($vf frames in $vs s) |"
awk -v a="${vfps:-0}" -v b="${wfps:-0}" 'BEGIN { r = "?"; if (b > 0) r = sprintf("%.2f", a / b)
	printf "| ratio vsomm / Weston XWM (target >= 0.8) | %s |\n", r }'
awk -v v="$((v1 - v0))" -v h="$((h1 - h0))" -v f="${vf:-0}" 'BEGIN {
	if (f > 0) printf "| CPU per frame: vsomm / vsomm-host | %.2f ms / %.2f ms |\n", v / f, h / f
	else print "| CPU per frame | ? |" }'
