#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Pointer through vsomm: enter/motion/button/axis arrive with the same
# surface coordinates as directly, and the client's shm cursor
# (wl_pointer.set_cursor) shows on the host's screen.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}" "${INPUT_CLIENT:?}"
# shellcheck source=tests/input/seat.sh
source "$SRCDIR/tests/input/seat.sh"

seat_start
vsomm_host_start
shot=$XDG_RUNTIME_DIR/shot.png
fail=0

for mode in direct vsomm; do
	log=$XDG_RUNTIME_DIR/pointer-$mode.log
	seat_app "$mode" "$log" "$INPUT_CLIENT" --cursor --timeout 120
	pid=$BG_PID
	seat_wait_line "$log" '^ready' 30 || { cat "$log"; seat_result client pointer fails "$mode client never ready"; }
	read -r x y w h < <(seat_window_box "$shot" 3060c0) || seat_result client pointer fails "$mode: window not on screen"
	echo "$mode: window at $x,$y ${w}x$h"
	seat_move $((x + 40)) $((y + 50))
	seat_wait_line "$log" '^enter 0' || true
	seat_move $((x + 100)) $((y + 80))
	seat_wait_line "$log" '^motion 100' || true
	seat_xdo click 1
	seat_xdo click 5
	seat_wait_line "$log" '^axis' || true
	sleep 0.3
	seat_shot "$shot"
	cursor=$(python3 "$SRCDIR/tests/input/shot.py" pixel "$shot" $((x + 107)) $((y + 87)))
	echo "$mode: pixel under the cursor: $cursor"
	seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
	seat_wait_line "$log" '^leave 0' || true
	stop_pid "$pid" || true
	grep -E "^(enter|leave|motion|button|axis|discrete|cursor)" "$log" >"$XDG_RUNTIME_DIR/events-$mode" || true
	echo "cursor $cursor" >>"$XDG_RUNTIME_DIR/events-$mode"
	sleep 0.3
done

cat "$XDG_RUNTIME_DIR/events-vsomm"
for want in '^enter 0 40.00 50.00$' '^motion 100.00 80.00$' '^button 272 1$' '^button 272 0$' \
	'^axis 0 ' '^leave 0$' '^cursor ff00ff$'; do
	if ! grep -Eq "$want" "$XDG_RUNTIME_DIR/events-direct"; then
		echo "direct run lacks /$want/ (the seat, not vsomm)" >&2
		fail=1
	fi
	if ! grep -Eq "$want" "$XDG_RUNTIME_DIR/events-vsomm"; then
		echo "FAIL: vsomm run lacks /$want/" >&2
		fail=1
	fi
done
if ! diff -u "$XDG_RUNTIME_DIR/events-direct" "$XDG_RUNTIME_DIR/events-vsomm"; then
	echo "FAIL: pointer events differ direct vs vsomm" >&2
	fail=1
fi
if ((fail)); then
	seat_result client pointer fails "events differ or are missing (see log)"
fi
echo "RESULT client | cursor image | works |"
seat_result client pointer works
