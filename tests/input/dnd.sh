#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Drag and drop between two guest windows through vsomm, compared with the
# same clients directly on Weston.  vsomm-input-client --dnd is source and
# target (wl_data_device v3, 256 KiB through the offer's pipe, a 24x24 cyan
# drag icon, a white mark where the data landed intact); two cases:
#   one  one client with two toplevels, through `vsomm APP`
#   two  two clients (source window 0, target window 1) through one
#        `vsomm --serve`
# The pointer is driven with xdotool: press in window 0, move in steps
# (Weston's drag grab needs motion events), release in window 1.
# weston-dnd is not used: its windows are translucent and its items drawn in
# random colours, so neither the drop spot nor the result can be found on
# screen reliably; the client logs what happened instead.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}" "${INPUT_CLIENT:?}"
# shellcheck source=tests/input/seat.sh
source "$SRCDIR/tests/input/seat.sh"

seat_start
vsomm_host_start
shot=$XDG_RUNTIME_DIR/shot.png
mime=application/x-vsomm-dnd
fail=0

# One vsomm serving a socket, for the two-client case.
VSOMM_SERVE=wayland-vsomm-dnd
seat_bg_start "$XDG_RUNTIME_DIR/vsomm-serve.log" "$BUILD/launcher/vsomm" \
	--device "socket:$VSOMM_HOST_SOCK" --serve --socket "$VSOMM_SERVE"
if ! wait_for 20 eval "[[ -S $XDG_RUNTIME_DIR/$VSOMM_SERVE ]]"; then
	harness_dump "$XDG_RUNTIME_DIR/vsomm-serve.log"
	seat_result client "drag and drop" fails "vsomm --serve did not come up"
fi

# spot PNG RRGGBB: "x y" of a point of that colour whose 28x28 square
# (2 px up/left, 26 down/right: the pointer, the icon, the mark) is all that
# colour, the nearest such point to the centre of the colour's box.
spot() {
	python3 - "$SRCDIR" "$1" "$2" <<-'PY'
		import os, sys
		from importlib.machinery import SourceFileLoader
		check = SourceFileLoader("cp", os.path.join(sys.argv[1], "tests/clients/check-pattern.py")).load_module()
		rows = check.load_png(sys.argv[2])[2]
		v = int(sys.argv[3], 16)
		c = ((v >> 16) & 255, (v >> 8) & 255, v & 255)
		pts = [(x, y) for y, r in enumerate(rows) for x, p in enumerate(r) if p == c]
		if not pts:
		    sys.exit(1)
		cx = (min(p[0] for p in pts) + max(p[0] for p in pts)) // 2
		cy = (min(p[1] for p in pts) + max(p[1] for p in pts)) // 2
		def ok(x, y):
		    return all(0 <= yy < len(rows) and 0 <= xx < len(rows[yy]) and rows[yy][xx] == c
		               for yy in range(y - 2, y + 26, 2) for xx in range(x - 2, x + 26, 2))
		for x, y in sorted(pts[::7], key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2):
		    if ok(x, y):
		        print(x, y)
		        sys.exit(0)
		sys.exit(1)
	PY
}
pixel() { python3 "$SRCDIR/tests/input/shot.py" pixel "$shot" "$1" "$2"; }
# shot_pixel_is X Y RRGGBB: take a screenshot, is that pixel that colour?
shot_pixel_is() { seat_shot "$shot" && [[ $(pixel "$1" "$2") == "$3" ]]; }
gone() { seat_shot "$shot" && ! python3 "$SRCDIR/tests/input/shot.py" find "$shot" "$1" >/dev/null; }

# drag CASE MODE: run the case, write what was observed to obs-CASE-MODE.
drag() {
	local case=$1 mode=$2 obs=$XDG_RUNTIME_DIR/obs-$1-$2
	local src=$XDG_RUNTIME_DIR/$1-$2-src.log dst pids=() display
	local x0 y0 x1 y1 bx by i steps=12
	: >"$obs"
	display=$WESTON_SOCKET
	[[ $mode == vsomm ]] && display=$VSOMM_SERVE
	if [[ $case == one ]]; then
		dst=$src
		seat_app "$mode" "$src" "$INPUT_CLIENT" --dnd --toplevels 2 --timeout 120
		pids+=("$BG_PID")
	else
		dst=$XDG_RUNTIME_DIR/$1-$2-dst.log
		seat_bg_start "$src" env WAYLAND_DISPLAY="$display" "$INPUT_CLIENT" --dnd --timeout 120
		pids+=("$BG_PID")
		seat_bg_start "$dst" env WAYLAND_DISPLAY="$display" "$INPUT_CLIENT" --dnd --first 1 --timeout 120
		pids+=("$BG_PID")
	fi
	if ! seat_wait_line "$src" '^ready' 30 || ! seat_wait_line "$dst" '^ready' 30; then
		echo "clients never ready" >>"$obs"
		harness_dump "$src" "$dst"
	elif ! read -r x0 y0 < <(wait_for 10 spot_into "$shot" 3060c0 && cat "$XDG_RUNTIME_DIR/spot"); then
		echo "window 0 not on screen" >>"$obs"
	else
		seat_move "$x0" "$y0"
		seat_wait_line "$src" '^enter 0 ' || true
		seat_xdo mousedown 1
		seat_wait_line "$src" '^drag-start 0' || true
		# The icon follows the pointer from the start of the drag.
		if wait_for 10 shot_pixel_is $((x0 + 20)) $((y0 + 20)) 20e0e0; then
			echo "icon shown at the pointer" >>"$obs"
		fi
		# Window 0 was raised by the press: where window 1 shows now.
		if ! read -r x1 y1 < <(spot "$shot" c03060); then
			echo "window 1 not on screen" >>"$obs"
			seat_xdo mouseup 1
		else
			read -r bx by _ _ < <(python3 "$SRCDIR/tests/input/shot.py" find "$shot" c03060)
			for ((i = 1; i <= steps; i++)); do
				seat_move $((x0 + (x1 - x0) * i / steps)) $((y0 + (y1 - y0) * i / steps))
				sleep 0.05
			done
			# Release once the target saw the pointer at the drop spot.
			seat_wait_line "$dst" "^dnd-(enter 1|motion) $((x1 - bx))\.00 $((y1 - by))\.00" || true
			seat_xdo mouseup 1
			seat_wait_line "$dst" '^dnd-data ' || true
			seat_wait_line "$src" '^source-(finished|cancelled)' || true
			grep -E '^dnd-drop ' "$dst" | sed 's/^/target: /' >>"$obs" || true
			echo "expected: dnd-drop 1 $((x1 - bx)) $((y1 - by))" >>"$obs"
			seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
			if wait_for 10 shot_pixel_is $((x1 + 8)) $((y1 + 8)) ffffff; then
				echo "mark shown at the drop spot" >>"$obs"
			fi
		fi
	fi
	for i in "${pids[@]}"; do
		stop_pid "$i" || true
	done
	# What happened, in order, without coordinates and repeats (the number
	# of motion events and the action negotiation on the way may differ).
	story "$src" >"$XDG_RUNTIME_DIR/story-$case-$mode"
	[[ $dst == "$src" ]] || story "$dst" >>"$XDG_RUNTIME_DIR/story-$case-$mode"
	wait_for 10 gone 3060c0 || true
	wait_for 10 gone c03060 || true
}

# spot_into PNG COLOR: spot, after a fresh screenshot, into $XDG_RUNTIME_DIR/spot.
spot_into() { seat_shot "$1" && spot "$1" "$2" >"$XDG_RUNTIME_DIR/spot"; }

story() {
	grep -E '^(drag-start|dnd-enter|dnd-leave|dnd-drop|dnd-data|source-send|source-performed|source-finished|source-cancelled)' "$1" |
		sed -E 's/^(dnd-enter -?[0-9]+) [-0-9.]+ [-0-9.]+/\1/; s/^(dnd-drop -?[0-9]+) .*/\1/' | uniq || true
}

declare -A feature=(
	[one]='drag and drop between two toplevels of one client'
	[two]='drag and drop between two clients'
)
for case in one two; do
	drag "$case" direct
	drag "$case" vsomm
	echo "== $case"
	for mode in direct vsomm; do
		echo "-- $mode"
		cat "$XDG_RUNTIME_DIR/obs-$case-$mode" "$XDG_RUNTIME_DIR/story-$case-$mode"
	done
	why=
	for mode in direct vsomm; do
		o=$XDG_RUNTIME_DIR/obs-$case-$mode s=$XDG_RUNTIME_DIR/story-$case-$mode
		exp=$(sed -n 's/^expected: //p' "$o")
		for want in '^icon shown at the pointer$' '^mark shown at the drop spot$'; do
			grep -Eq "$want" "$o" || why+="$mode: no /$want/; "
		done
		[[ -n $exp ]] && grep -qx "target: $exp" "$o" || why+="$mode: the drop is not at the spot; "
		for want in '^drag-start 0$' "^dnd-enter 1 $mime\$" '^dnd-drop 1$' "^source-send $mime\$" \
			'^source-performed$' '^dnd-data 262144 ok$' '^source-finished$'; do
			grep -Eq "$want" "$s" || why+="$mode: no /$want/; "
		done
	done
	diff -u "$XDG_RUNTIME_DIR/story-$case-direct" "$XDG_RUNTIME_DIR/story-$case-vsomm" ||
		why+="the drag differs direct vs vsomm; "
	if [[ -z $why ]]; then
		echo "RESULT client | ${feature[$case]} | works |"
	else
		echo "FAIL: $why" >&2
		if grep -q '^direct' <<<"${why//; /$'\n'}"; then
			echo "RESULT client | ${feature[$case]} | fails | the direct run fails too (the seat): ${why%; }"
		else
			echo "RESULT client | ${feature[$case]} | fails | ${why%; }"
		fi
		fail=1
	fi
done
exit "$fail"
