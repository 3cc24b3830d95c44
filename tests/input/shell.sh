#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Shell features through vsomm, each compared with the same client direct:
# an xdg_popup opened at the pointer (its configure and where it shows
# relative to its parent), a subsurface, fullscreen, maximize, three
# toplevels of one client.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}" "${INPUT_CLIENT:?}"
# shellcheck source=tests/input/seat.sh
source "$SRCDIR/tests/input/seat.sh"

seat_start
vsomm_host_start
shot=$XDG_RUNTIME_DIR/shot.png
fail=0
find_box() { python3 "$SRCDIR/tests/input/shot.py" find "$shot" "$1"; }

# observe CASE MODE: run the client for CASE, write what it saw to obs-CASE-MODE.
observe() {
	local case=$1 mode=$2 log=$XDG_RUNTIME_DIR/$1-$2.log obs=$XDG_RUNTIME_DIR/obs-$1-$2
	local args=() x y w h
	case $case in
	popup) args=(--popup) ;;
	subsurface) args=(--subsurface) ;;
	fullscreen) args=(--fullscreen) ;;
	maximize) args=(--maximize) ;;
	toplevels) args=(--toplevels 3) ;;
	esac
	: >"$obs"
	seat_app "$mode" "$log" "$INPUT_CLIENT" "${args[@]}" --timeout 120
	local pid=$BG_PID
	if ! seat_wait_line "$log" '^ready' 30; then
		echo "no ready" >>"$obs"
		stop_pid "$pid" || true
		return
	fi
	sleep 0.5
	if ! read -r x y w h < <(seat_window_box "$shot" 3060c0); then
		echo "window 0 not on screen" >>"$obs"
	else
		case $case in
		popup)
			seat_click $((x + 50)) $((y + 60))
			seat_wait_line "$log" '^popup ' || true
			sleep 0.5
			seat_shot "$shot"
			grep '^popup' "$log" >>"$obs" || true
			if read -r px py pw ph < <(find_box 20e020); then
				echo "popup shown at $((px - x)) $((py - y)) ${pw}x$ph" >>"$obs"
			fi
			;;
		subsurface)
			if read -r sx sy sw sh < <(find_box e0e020); then
				echo "subsurface shown at $((sx - x)) $((sy - y)) ${sw}x$sh" >>"$obs"
			fi
			;;
		fullscreen | maximize)
			grep -E '^configure 0 [1-9]' "$log" | tail -n 1 >>"$obs" || true
			echo "window $x $y ${w}x$h" >>"$obs"
			;;
		toplevels)
			echo "window 0 ${w}x$h" >>"$obs"
			for c in c03060 30c060; do
				if read -r _ _ w h < <(find_box "$c"); then
					echo "window $c ${w}x$h" >>"$obs"
				fi
			done
			;;
		esac
	fi
	stop_pid "$pid" || true
	sleep 0.3
}

declare -A expect=(
	[popup]='^popup shown at 51 61 100x60$'
	[subsurface]='^subsurface shown at 20 30 60x40$'
	[fullscreen]='^window 0 0 1024x640$'
	[maximize]='^window 0 0 1024x640$'
	[toplevels]='^window 30c060 300x200$'
)
declare -A feature=(
	[popup]='xdg_popup placement'
	[subsurface]='subsurface'
	[fullscreen]='fullscreen'
	[maximize]='maximize'
	[toplevels]='several toplevels'
)
for case in popup subsurface fullscreen maximize toplevels; do
	observe "$case" direct
	observe "$case" vsomm
	d=$XDG_RUNTIME_DIR/obs-$case-direct v=$XDG_RUNTIME_DIR/obs-$case-vsomm
	echo "== $case"
	cat "$v"
	if ! grep -Eq "${expect[$case]}" "$d"; then
		cat "$d"
		echo "RESULT client | ${feature[$case]} | fails | the direct run does not show it either (the seat)"
		fail=1
	elif ! grep -Eq "${expect[$case]}" "$v" || ! diff -u "$d" "$v"; then
		echo "RESULT client | ${feature[$case]} | fails | differs from the direct run"
		fail=1
	else
		echo "RESULT client | ${feature[$case]} | works |"
	fi
done
exit "$fail"
