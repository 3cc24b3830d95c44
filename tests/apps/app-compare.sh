#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# app-compare.sh NAME SETTLE [--tolerance N] [--wmask X,Y,W,H]... -- CMD [ARGS...]
#
# A real application on the seat Weston (tests/input/seat.sh), directly and
# through vsomm: after SETTLE seconds each is screenshotted with the pointer
# parked in the output's corner (masked), cropped to the window, and the
# crops compared (at most N pixels may differ; --wmask blanks a box of the
# window that legitimately differs, e.g. a clock).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# An output larger than the apps' windows, so that Weston can place them whole.
WESTON_WIDTH=1280 WESTON_HEIGHT=960
# shellcheck source=tests/input/seat.sh
source "$SRCDIR/tests/input/seat.sh"

name=$1 settle=$2
shift 2
tolerance=0
wmasks=()
while [[ $1 != -- ]]; do
	case $1 in
	--tolerance) tolerance=$2; shift ;;
	--wmask) wmasks+=(--wmask "$2"); shift ;;
	*) echo "app-compare: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
shift
prog=$1
[[ $prog == env ]] && prog=$(for a in "${@:2}"; do [[ $a == *=* ]] || { echo "$a"; break; }; done)
command -v "$prog" >/dev/null 2>&1 || seat_result "$name" "renders as direct" skip "$prog is not installed"

seat_start
vsomm_host_start
# The pointer: parked in the corner, or still at Weston's start position
# (0,0) when no X motion has reached Weston yet.
mask="$((WESTON_WIDTH - 40)),$((WESTON_HEIGHT - 40)),40,40"
mask0="0,0,40,40"

# Weston places windows at random, sometimes partly off the output: then the
# run is repeated (at most 3 times).
for mode in direct vsomm; do
	for try in 1 2 3; do
		seat_app "$mode" "$XDG_RUNTIME_DIR/$mode.log" "$@"
		pid=$BG_PID
		sleep "$settle"
		if ! kill -0 "$pid" 2>/dev/null; then
			harness_dump "$XDG_RUNTIME_DIR/$mode.log"
			seat_result "$name" "renders as direct" fails "the $mode run exited early"
		fi
		seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
		sleep 0.5
		seat_shot "$XDG_RUNTIME_DIR/$name-$mode.png"
		stop_pid "$pid" || true
		sleep 0.5
		python3 "$SRCDIR/tests/input/shot.py" inside "$XDG_RUNTIME_DIR/$name-$mode.png" "$mask" "$mask0" && break
		echo "$mode try $try: the window touches the output's edge, again"
	done
done

if python3 "$SRCDIR/tests/input/shot.py" compare "$XDG_RUNTIME_DIR/$name-direct.png" \
	"$XDG_RUNTIME_DIR/$name-vsomm.png" --mask "$mask" --mask "$mask0" --tolerance "$tolerance" "${wmasks[@]}"; then
	seat_result "$name" "renders as direct" works
fi
mkdir -p "$BUILD/app-failures"
cp "$XDG_RUNTIME_DIR/$name"-*.png "$XDG_RUNTIME_DIR"/*.log "$BUILD/app-failures/" 2>/dev/null || true
harness_dump "$XDG_RUNTIME_DIR/vsomm.log"
seat_result "$name" "renders as direct" fails "screenshots differ (kept in $BUILD/app-failures)"
