# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# The good client of the fault and limit tests: weston-simple-shm on
# $WAYLAND_DISPLAY, checked by screenshots of the host compositor
# ($WESTON_SOCKET): its frames keep arriving there.  Source after
# tests/lib/weston.sh (helpers only).
#
#   good_start          start it, wait until it renders; sets GOOD_PID, GOOD_DIR
#   good_check WHAT     it is alive and the screen changed since the last check
#   good_fail MSG...    print, dump its log, exit 1

good_fail() {
	echo "FAIL: $*" >&2
	harness_dump "$GOOD_DIR/good.err"
	exit 1
}

GOOD_SHOT=0
good_renders() {
	local shot=$GOOD_DIR/shot-$GOOD_SHOT.png prev=$GOOD_DIR/shot-$((GOOD_SHOT - 1)).png
	kill -0 "$GOOD_PID" 2>/dev/null || good_fail "weston-simple-shm died"
	"$BUILD/tests/tools/vsomm-screenshot" --display "$WESTON_SOCKET" -o "$shot" || return 1
	if [[ -f $prev ]]; then
		python3 "$SRCDIR/tests/lib/check-shots.py" --changed "$prev" "$shot" \
			>"$GOOD_DIR/shots.log" || return 1
	else
		python3 "$SRCDIR/tests/lib/check-shots.py" "$shot" >"$GOOD_DIR/shots.log" || return 1
	fi
	GOOD_SHOT=$((GOOD_SHOT + 1))
}

good_start() {
	GOOD_DIR=$(mktemp -d "$XDG_RUNTIME_DIR/good.XXXXXX")
	weston-simple-shm >"$GOOD_DIR/good.out" 2>"$GOOD_DIR/good.err" &
	GOOD_PID=$!
	if [[ -n ${HARNESS_RUNTIME_DIR:-} ]]; then
		harness_track "$GOOD_PID" # this shell owns the harness: its cleanup ends it
	else
		trap 'kill -TERM $GOOD_PID 2>/dev/null; wait $GOOD_PID 2>/dev/null || true' EXIT
	fi
	wait_for 20 good_renders ||
		good_fail "weston-simple-shm does not render through vsomm: $(cat "$GOOD_DIR/shots.log")"
	sleep 0.5
}

good_check() {
	wait_for 10 good_renders ||
		good_fail "$1: weston-simple-shm stopped rendering: $(cat "$GOOD_DIR/shots.log")"
}
