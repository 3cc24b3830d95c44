#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# pattern-smoke: vsomm-pattern on a headless Weston reaches "ready" (its frames
# were shown: frame callbacks fire only for a mapped surface), stays up, and
# exits 0 on SIGTERM and on --timeout; also at buffer scale 2 with many steps.
#   pattern-smoke.sh PATH/TO/vsomm-pattern
set -euo pipefail

PATTERN=${1:?usage: pattern-smoke.sh VSOMM_PATTERN}
# shellcheck source=tests/clients/headless-weston.sh
source "$(dirname "${BASH_SOURCE[0]}")/headless-weston.sh"

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

# Default: one small-damage step, SIGTERM after a moment of being mapped.
run_until_ready default
sleep 0.3
kill -0 "$PID" 2>/dev/null || fail "default: exited while it should stay mapped"
status=0
hw_stop "$PID" || status=$?
((status == 0)) || fail "default: exit status $status after SIGTERM"

# Scale 2 (800x600 buffers) and 12 moving squares (double buffering, releases).
run_until_ready scaled --size 300x200 --scale 2 --steps 12
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
