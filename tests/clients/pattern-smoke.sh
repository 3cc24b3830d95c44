#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# pattern-smoke: vsomm-pattern on a headless Weston reaches "ready" (its frames
# were shown: frame callbacks fire only for a mapped surface), the output then
# shows the pattern pixel for pixel (check-pattern.py), it stays up, and exits
# 0 on SIGTERM and on --timeout; also at buffer scale 2 with 12 moving squares.
#   pattern-smoke.sh PATH/TO/vsomm-pattern
set -euo pipefail

PATTERN=${1:?usage: pattern-smoke.sh VSOMM_PATTERN}
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=tests/clients/headless-weston.sh
source "$HERE/headless-weston.sh"

hw_weston_start

fail() {
	echo "FAIL: $*" >&2
	hw_dump "$HW_DIR"/pattern-*.err "$HW_WESTON_LOG"
	exit 1
}

# run_until_ready NAME ARGS…: start vsomm-pattern, wait for "ready"; sets PID.
run_until_ready() {
	local name=$1
	shift
	WAYLAND_DISPLAY=$HW_SOCKET "$PATTERN" "$@" >"$HW_DIR/pattern-$name.out" \
		2>"$HW_DIR/pattern-$name.err" &
	PID=$!
	hw_track "$PID"
	hw_wait_line "$HW_DIR/pattern-$name.out" ready 20 "$PID" ||
		fail "$name: no \"ready\" from vsomm-pattern $*"
}

# check_screen NAME W H STEPS: the output shows the pattern, pixel for pixel
# (weston-screenshooter comes with weston; Weston runs with --debug for it).
check_screen() {
	local dir=$HW_DIR/shot-$1 shot
	command -v weston-screenshooter >/dev/null 2>&1 || { echo "no weston-screenshooter: visual check skipped"; return 0; }
	mkdir -p "$dir"
	(cd "$dir" && WAYLAND_DISPLAY=$HW_SOCKET timeout 20 weston-screenshooter) ||
		fail "$1: weston-screenshooter failed"
	shot=$(find "$dir" -name '*.png' | head -n 1)
	[[ -n $shot ]] || fail "$1: no screenshot written"
	python3 "$HERE/check-pattern.py" "$shot" "$2" "$3" "$4" || fail "$1: the screen is wrong"
}

# Default: one small-damage step, SIGTERM after a moment of being mapped.
run_until_ready default
check_screen default 400 300 1
sleep 0.3
kill -0 "$PID" 2>/dev/null || fail "default: exited while it should stay mapped"
status=0
hw_stop "$PID" || status=$?
((status == 0)) || fail "default: exit status $status after SIGTERM"

# Scale 2 (800x600 buffers) and 12 moving squares (double buffering, releases).
run_until_ready scaled --size 300x200 --scale 2 --steps 12
check_screen scaled 300 200 12
status=0
hw_stop "$PID" || status=$?
((status == 0)) || fail "scaled: exit status $status after SIGTERM"

# --timeout ends it on its own with 0.
run_until_ready timeout --timeout 0.5 --steps 2
status=0
wait "$PID" || status=$?
((status == 0)) || fail "timeout: exit status $status"

# Bad options are refused (status 2), not run.
status=0
WAYLAND_DISPLAY=$HW_SOCKET "$PATTERN" --size 0x10 2>/dev/null || status=$?
((status == 2)) || fail "--size 0x10: status $status, expected 2"

kill -0 "$HW_WESTON_PID" 2>/dev/null || fail "weston died"
echo "pattern-smoke: ok"
