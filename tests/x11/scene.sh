#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The reference comparison with a client whose pixels are known: x11-client
# draws a deterministic pattern inside a frame of one colour, first under
# Weston's own X window manager, then through `vsomm --x11`, on the same seat
# Weston.  Checked in each run, and the first run must pass them all (else
# the harness is wrong, not vsomm):
#  - the client area (the frame colour's box) has the requested size;
#  - through vsomm it equals Weston's XWM's pixel for pixel (frames differ by
#    design: Weston's XWM draws a title bar, vsomm asks the host);
#  - an override-redirect window (a menu) created at the toplevel's X root
#    position + (40,60) shows at exactly that offset from the client area;
#  - a WM_TRANSIENT_FOR dialog shows, whole.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need xwininfo
[[ -x $X11_CLIENT ]] || { echo "SKIP: no x11-client (libxcb)"; exit 77; }

TOP=3a5f7d MENU=c86428 DIALOG=2f8f4f
x11_seat_start

# x11_abs MODE WIN: "X Y" of WIN's origin in root coordinates.
x11_abs() {
	DISPLAY=$(x11_display "$1") xwininfo -id "$2" |
		awk '/Absolute upper-left X/ { x = $NF } /Absolute upper-left Y/ { y = $NF } END { print x, y }'
}

# run MODE: sets TOP_BOX; leaves RESULT lines for vsomm, dies for weston.
run() {
	local mode=$1 d=$XDG_RUNTIME_DIR/$1 ok=1
	mkdir -p "$d"
	x11_app "$mode" "$d/top.log" "$X11_CLIENT" window --pattern --color "$TOP" --size 320x240 \
		--title "x11 scene" --class scene,X11Scene
	local top_pid=$BG_PID
	if ! wait_for 20 grep -q '^window 0x' "$d/top.log"; then
		harness_dump "$d/top.log"
		return 1
	fi
	local top
	top=$(awk '/^window/ { print $2; exit }' "$d/top.log")
	if ! TOP_BOX=$(x11_stable_box "$d/top.png" "$TOP"); then
		echo "$mode: the toplevel never showed"
		harness_dump "$d/top.log" "${X11_VSOMM_LOG:-/dev/null}"
		RES_TOP="fails|no window on the host"
		return 1
	fi
	echo "$mode: toplevel 0x${top#0x} client area at $TOP_BOX"
	cp "$d/top.png" "$XDG_RUNTIME_DIR/top-$mode.png"
	read -r tx ty tw th <<<"$TOP_BOX"
	if [[ "$tw $th" != "320 240" ]]; then
		echo "$mode: client area ${tw}x$th, not 320x240"
		RES_TOP="fails|client area ${tw}x$th instead of 320x240"
		ok=0
	fi

	# the menu: override-redirect at the toplevel's root position + (40,60)
	local ax ay
	read -r ax ay < <(x11_abs "$mode" "$top")
	x11_app "$mode" "$d/menu.log" "$X11_CLIENT" window --color "$MENU" --size 120x90 \
		--override-redirect "$((ax + 40)),$((ay + 60))"
	local menu_pid=$BG_PID box
	if box=$(x11_stable_box "$d/menu.png" "$MENU"); then
		read -r mx my mw mh <<<"$box"
		echo "$mode: menu at $box (X root $((ax + 40)),$((ay + 60)))"
		if [[ "$((mx - tx)),$((my - ty)) ${mw}x$mh" == "40,60 120x90" ]]; then
			RES_MENU="works|"
		else
			RES_MENU="fails|at $((mx - tx)),$((my - ty)) (${mw}x$mh) of the client area, not 40,60 (120x90)"
			ok=0
		fi
	else
		RES_MENU="fails|the override-redirect window never showed"
		ok=0
	fi
	stop_pid "$menu_pid" || true

	# the dialog: transient for the toplevel
	x11_app "$mode" "$d/dialog.log" "$X11_CLIENT" window --pattern --color "$DIALOG" --size 160x100 \
		--title "x11 scene dialog" --transient-for "$top"
	local dialog_pid=$BG_PID
	if box=$(x11_stable_box "$d/dialog.png" "$DIALOG"); then
		echo "$mode: dialog at $box"
		read -r _ _ dw dh <<<"$box"
		if [[ "${dw}x$dh" == 160x100 ]]; then
			RES_DIALOG="works|"
		else
			RES_DIALOG="fails|dialog ${dw}x$dh, not 160x100"
			ok=0
		fi
	else
		RES_DIALOG="fails|the transient window never showed"
		ok=0
	fi
	stop_pid "$dialog_pid" || true
	stop_pid "$top_pid" || true
	x11_gone "$d/gone.png" "$TOP" # the next run starts on a clean screen
	((ok))
}

if ! run weston; then
	echo "FAIL: the reference (Weston's XWM) does not pass its own checks: the harness is wrong" >&2
	echo "top: ${RES_TOP:-} menu: ${RES_MENU:-} dialog: ${RES_DIALOG:-}" >&2
	exit 1
fi
ref_box=$TOP_BOX

x11_vsomm_start
RES_TOP= RES_MENU="fails|not reached" RES_DIALOG="fails|not reached"
run vsomm || true
if [[ -z $RES_TOP ]]; then
	if python3 "$SHOT" same "$XDG_RUNTIME_DIR/top-weston.png" "${ref_box// /,}" \
		"$XDG_RUNTIME_DIR/top-vsomm.png" "${TOP_BOX// /,}"; then
		RES_TOP="works|"
	else
		RES_TOP="fails|the client area differs from Weston's XWM's"
	fi
fi
x11_result x11-client "client area equals Weston's XWM" "${RES_TOP%%|*}" "${RES_TOP#*|}"
x11_result x11-client "override-redirect window at its X position" "${RES_MENU%%|*}" "${RES_MENU#*|}"
x11_result x11-client "transient dialog shows" "${RES_DIALOG%%|*}" "${RES_DIALOG#*|}"
x11_vsomm_alive || x11_result vsomm "stays up" fails "vsomm exited"
x11_exit
