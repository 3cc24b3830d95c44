#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# GTK 3 on X11 (GDK_BACKEND=x11): gtk3-demo's "Menus" window under Weston's
# own X window manager (the reference), then through `vsomm --x11`, on the
# seat Weston.  A user CSS gives the window and the popup menus colours of
# their own, so that both can be found on a screenshot:
#  - the Menus window's client area (after a click gave it the keyboard)
#    equals the reference's pixel for pixel;
#  - a press on the menubar's first item opens its menu, an override-redirect
#    X window, at the same offset from the client area as in the reference.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need gtk3-demo

BG=3a5f7d MENU=c86428
x11_seat_start
mkdir -p "$XDG_RUNTIME_DIR/config/gtk-3.0"
cat >"$XDG_RUNTIME_DIR/config/gtk-3.0/gtk.css" <<CSS
window.background { background-color: #$BG; }
menu { background-color: #$MENU; }
CSS
cmd=(env XDG_CONFIG_HOME="$XDG_RUNTIME_DIR/config" GDK_BACKEND=x11 NO_AT_BRIDGE=1 GTK_THEME=Adwaita
	gtk3-demo --run=menus)

# run MODE: BOX_<MODE>, MENU_<MODE> ("dx dy w h" of the menu from the client area)
run() {
	local mode=$1 png=$XDG_RUNTIME_DIR/gtk-$1.png box menu
	x11_app "$mode" "$XDG_RUNTIME_DIR/gtk-$mode.log" "${cmd[@]}"
	local pid=$BG_PID
	sleep 2 # gtk3-demo maps its main window too; let the window manager settle
	box=$(x11_stable_box "$png" "$BG") || { harness_dump "$XDG_RUNTIME_DIR/gtk-$mode.log"; return 1; }
	read -r x y w h <<<"$box"
	echo "$mode: Menus window client area at $box"
	seat_click $((x + w - 4)) $((y + h - 4)) # an empty corner: the keyboard, no widget
	seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
	sleep 0.7
	box=$(x11_stable_box "$png" "$BG") || return 1
	printf -v "BOX_$mode" '%s' "$box"
	cp "$png" "$XDG_RUNTIME_DIR/final-$mode.png"
	read -r x y w h <<<"$box"
	seat_move $((x + 20)) $((y + 12))
	sleep 0.3
	seat_xdo mousedown 1
	if menu=$(x11_box "$XDG_RUNTIME_DIR/menu-$mode.png" "$MENU" 15); then
		read -r mx my mw mh <<<"$menu"
		printf -v "MENU_$mode" '%s' "$((mx - x)) $((my - y)) $mw $mh"
		echo "$mode: menu at $menu"
	fi
	seat_xdo mouseup 1
	seat_key Escape
	seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
	stop_pid "$pid" || true
	x11_gone "$XDG_RUNTIME_DIR/gone.png" "$BG" || true
}

if ! run weston || [[ -z ${MENU_weston:-} ]]; then
	echo "FAIL: the reference (Weston's XWM) shows no Menus window or no menu: the harness is wrong" >&2
	exit 1
fi
x11_vsomm_start
if run vsomm; then
	x11_result gtk3-demo "window on the host" works
	x11_same gtk3-demo "client area equals Weston's XWM" "$XDG_RUNTIME_DIR/final-weston.png" "$BOX_weston" \
		"$XDG_RUNTIME_DIR/final-vsomm.png" "$BOX_vsomm"
	if [[ -z ${MENU_vsomm:-} ]]; then
		x11_result gtk3-demo "menu (override-redirect) opens at its place" fails "no menu showed"
	elif [[ $MENU_vsomm == "$MENU_weston" ]]; then
		x11_result gtk3-demo "menu (override-redirect) opens at its place" works "at ${MENU_vsomm% * *} of the client area"
	else
		x11_result gtk3-demo "menu (override-redirect) opens at its place" fails "at/size $MENU_vsomm, Weston's XWM: $MENU_weston"
	fi
else
	x11_result gtk3-demo "window on the host" fails "no window with the test colour"
fi
x11_vsomm_alive || x11_result vsomm "stays up" fails "vsomm exited"
x11_exit
