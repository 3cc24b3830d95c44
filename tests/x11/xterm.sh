#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# xterm under Weston's X window manager (the reference), then through
# `vsomm --x11`, on the seat Weston: a click gives it the keyboard, text
# typed with xdotool into the host's seat reaches the shell inside (which
# writes it to a file), and the client area after typing equals the
# reference's pixel for pixel.  The terminal's cursor is hidden (DECTCEM):
# its look depends on focus, which the two window managers may give at
# different moments.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need xterm

BG=3a5f7d TEXT="vsomm typed 42"
x11_seat_start

# run MODE: RES_TYPE, SHOT_<MODE>, BOX_<MODE>
run() {
	local mode=$1 out=$XDG_RUNTIME_DIR/typed-$1 box
	x11_app "$mode" "$XDG_RUNTIME_DIR/xterm-$mode.log" xterm -geometry 40x8 +sb -bg "#$BG" -fg white \
		-xrm 'XTerm*cursorBlink: false' -title "xterm $mode" \
		-e sh -c 'printf "\033[?25lready\n"; IFS= read -r line; printf "%s\n" "$line" >"$0"; printf "got it\n"; exec sleep 1000000' "$out"
	local pid=$BG_PID
	if ! box=$(x11_stable_box "$XDG_RUNTIME_DIR/xterm-$mode.png" "$BG"); then
		harness_dump "$XDG_RUNTIME_DIR/xterm-$mode.log" "${X11_VSOMM_LOG:-/dev/null}"
		RES_TYPE="fails|no xterm window on the host"
		return 1
	fi
	echo "$mode: xterm client area at $box"
	read -r x y w h <<<"$box"
	sleep 0.5 # the shell prints "ready"
	seat_click $((x + w / 2)) $((y + h / 2))
	sleep 0.3
	seat_type "$TEXT"
	seat_key Return
	if wait_for 10 eval "[[ -s $out ]]" && [[ $(cat "$out") == "$TEXT" ]]; then
		RES_TYPE="works|"
	else
		RES_TYPE="fails|the shell read '$(cat "$out" 2>/dev/null)' instead of '$TEXT'"
	fi
	# the pointer off the window, the output settled
	seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
	sleep 0.5
	box=$(x11_stable_box "$XDG_RUNTIME_DIR/xterm-$mode.png" "$BG") || true
	printf -v "BOX_$mode" '%s' "$box"
	cp "$XDG_RUNTIME_DIR/xterm-$mode.png" "$XDG_RUNTIME_DIR/final-$mode.png"
	stop_pid "$pid" || true
	x11_gone "$XDG_RUNTIME_DIR/gone.png" "$BG" || true
}

run weston
if [[ $RES_TYPE != works* ]]; then
	echo "FAIL: the reference (Weston's XWM): $RES_TYPE: the harness is wrong" >&2
	exit 1
fi
x11_vsomm_start
if run vsomm; then
	x11_same xterm "client area equals Weston's XWM" "$XDG_RUNTIME_DIR/final-weston.png" "$BOX_weston" \
		"$XDG_RUNTIME_DIR/final-vsomm.png" "$BOX_vsomm"
else
	x11_result xterm "client area equals Weston's XWM" fails "no window"
fi
x11_result xterm "typing through the host seat" "${RES_TYPE%%|*}" "${RES_TYPE#*|}"
x11_vsomm_alive || x11_result vsomm "stays up" fails "vsomm exited"
x11_exit
