#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# client.sh NAME: one X application under Weston's own X window manager (the
# reference), then through `vsomm --x11`, on the seat Weston; its client area
# (found by the background colour the application is given) must show, be
# given the keyboard by a click, and equal the reference pixel for pixel.
# (xeyes is not here: it paints its background black whatever it is told, so
# its client area has no colour of its own to be found by.)
# Each application is made deterministic:
#   xclock          digital, a fixed strftime text (no time), no updates
#   xmessage        every widget on the test colour
#   qt5-calculator  Qt5's calculator example, QT_QPA_PLATFORM=xcb, a style
#                   sheet with the test colour
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"

name=${1:?usage: client.sh NAME}
BG=3a5f7d
QT_EXAMPLES=/usr/lib/x86_64-linux-gnu/qt5/examples
case $name in
xclock)
	x11_need xclock
	cmd=(xclock -digital -strftime "vsomm xclock" -update 3600 -bg "#$BG" -fg white -geometry 220x50)
	;;
xmessage)
	x11_need xmessage
	cmd=(xmessage -xrm "*background: #$BG" -xrm "*foreground: white" "vsomm xmessage: an X client")
	;;
qt5-calculator)
	calc=$QT_EXAMPLES/widgets/widgets/calculator/calculator
	[[ -x $calc ]] || { echo "SKIP: no $calc (qtbase5-examples)"; exit 77; }
	printf 'QWidget { background: #%s; color: white; }\n' "$BG" >"${TMPDIR:-/tmp}/x11-qt5-$$.qss"
	qss=${TMPDIR:-/tmp}/x11-qt5-$$.qss
	cmd=(env QT_QPA_PLATFORM=xcb XDG_SESSION_TYPE=x11 QT_X11_NO_MITSHM=0 "$calc" -stylesheet "$qss")
	;;
*)
	echo "client.sh: unknown client $name" >&2
	exit 2
	;;
esac

x11_seat_start
[[ -n ${qss:-} ]] && mv "$qss" "$XDG_RUNTIME_DIR/style.qss" && qss=$XDG_RUNTIME_DIR/style.qss &&
	cmd[-1]=$qss

# run MODE: SHOT_FINAL/BOX_<MODE>; false when no window showed
run() {
	local mode=$1 box png=$XDG_RUNTIME_DIR/$name-$1.png
	x11_app "$mode" "$XDG_RUNTIME_DIR/$name-$mode.log" "${cmd[@]}"
	local pid=$BG_PID
	if ! box=$(x11_stable_box "$png" "$BG"); then
		harness_dump "$XDG_RUNTIME_DIR/$name-$mode.log" "${X11_VSOMM_LOG:-/dev/null}"
		return 1
	fi
	echo "$mode: $name client area at $box"
	read -r x y _ _ <<<"$box"
	# the same focus and pointer history in both runs
	seat_click $((x + 2)) $((y + 2))
	sleep 0.3
	seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
	sleep 0.7
	box=$(x11_stable_box "$png" "$BG") || true
	printf -v "BOX_$mode" '%s' "$box"
	cp "$png" "$XDG_RUNTIME_DIR/final-$mode.png"
	kill -0 "$pid" 2>/dev/null || { echo "$mode: $name exited"; return 1; }
	stop_pid "$pid" || true
	x11_gone "$XDG_RUNTIME_DIR/gone.png" "$BG" || true
}

if ! run weston; then
	echo "FAIL: $name shows no window under Weston's XWM: the harness is wrong" >&2
	exit 1
fi
# X11_SECOND=weston: the reference against itself (is the client deterministic?)
second=${X11_SECOND:-vsomm}
[[ $second == vsomm ]] && x11_vsomm_start
if run "$second"; then
	x11_result "$name" "window on the host" works
	x11_same "$name" "client area equals Weston's XWM" "$XDG_RUNTIME_DIR/final-weston.png" "$BOX_weston" \
		"$XDG_RUNTIME_DIR/final-$second.png" "$(eval echo "\$BOX_$second")"
else
	x11_result "$name" "window on the host" fails "no window with the client's colour"
	x11_result "$name" "client area equals Weston's XWM" fails "no window"
fi
[[ ${second:-vsomm} != vsomm ]] || x11_vsomm_alive || x11_result vsomm "stays up" fails "vsomm exited"
x11_exit
