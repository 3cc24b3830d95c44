#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# weston-editor through vsomm: it needs zwp_text_input_manager_v1 (text-input
# v1, Weston's own clients' text input) and takes what is typed through it.
# Weston runs its input method (weston-keyboard, [input-method] in weston.ini):
# with an entry active, Weston routes the seat's keys to the input method,
# which hands them to the editor as text-input keysym / commit_string events.
# The same typing directly and through vsomm must give the same screen (the
# editor's window, the cursor masked), and vsomm's trace must show the text
# arriving through zwp_text_input_v1.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/input/seat.sh
source "$SRCDIR/tests/input/seat.sh"

seat_need weston-editor
keyboard=
for k in /usr/lib/x86_64-linux-gnu/weston-keyboard /usr/libexec/weston-keyboard \
	/usr/lib/weston/weston-keyboard; do
	if [[ -x $k ]]; then keyboard=$k; break; fi
done
[[ -n $keyboard ]] || seat_result weston-editor "text input (text-input-v1)" fails \
	"weston-keyboard (Weston's input method) not found"
SEAT_EXTRA_INI="[input-method]
path=$keyboard"
seat_start
vsomm_host_start
text='vsomm types'

for mode in direct vsomm; do
	log=$XDG_RUNTIME_DIR/editor-$mode.log
	if [[ $mode == direct ]]; then
		seat_app direct "$log" weston-editor
	else
		seat_bg_start "$log" "$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" --trace \
			-- weston-editor
	fi
	pid=$BG_PID
	sleep 2
	kill -0 "$pid" 2>/dev/null || { cat "$log"; seat_result weston-editor "starts" fails "$mode: exited: $(tail -n 1 "$log")"; }
	seat_shot "$XDG_RUNTIME_DIR/editor-$mode-0.png"
	read -r x y w h < <(python3 "$SRCDIR/tests/input/shot.py" bbox "$XDG_RUNTIME_DIR/editor-$mode-0.png") || true
	echo "$mode: window at $x $y ${w}x$h"
	# The editor's first entry fills the top part of its window.
	seat_click $((x + w / 2)) $((y + h / 4))
	sleep 1
	seat_type "$text"
	sleep 1
	# Keys of weston-keyboard's on-screen panel: 'o' and 'k' build a preedit
	# string, the space bar commits it (text-input preedit_string, then
	# commit_string).  The panel is centred at the bottom of the 1024x640
	# output.
	seat_click 662 465
	sleep 0.5
	seat_click 662 515
	sleep 0.5
	seat_click 362 615
	sleep 1
	seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
	sleep 0.5
	seat_shot "$XDG_RUNTIME_DIR/editor-$mode.png"
	stop_pid "$pid" || true
	sleep 0.5
done

fail=0
# The window as first shown (before the input panel): its top-left corner.
read -r dx dy _ _ < <(python3 "$SRCDIR/tests/input/shot.py" bbox "$XDG_RUNTIME_DIR/editor-direct-0.png")
read -r vx vy _ _ < <(python3 "$SRCDIR/tests/input/shot.py" bbox "$XDG_RUNTIME_DIR/editor-vsomm-0.png")
# Title bar and the first entry with the typed text, above the input panel
# (weston-keyboard's panel covers the bottom of the output and is translucent).
region=420,230
if ! python3 "$SRCDIR/tests/input/shot.py" same \
	"$XDG_RUNTIME_DIR/editor-direct.png" "$dx,$dy,$region" \
	"$XDG_RUNTIME_DIR/editor-vsomm.png" "$vx,$vy,$region"; then
	echo "FAIL: the editor's title and entry differ from the direct run" >&2
	fail=1
fi
# Not a blank window: the typed text changed the entry (first shot vs last).
if python3 "$SRCDIR/tests/input/shot.py" same \
	"$XDG_RUNTIME_DIR/editor-vsomm-0.png" "$vx,$vy,$region" \
	"$XDG_RUNTIME_DIR/editor-vsomm.png" "$vx,$vy,$region" >/dev/null; then
	echo "FAIL: typing changed nothing in the editor through vsomm" >&2
	fail=1
fi
# Text input v1 both ways: the editor's text reaches the input method
# (set_surrounding_text with what was typed on the seat's keyboard), and the
# panel's keys reach the editor (preedit "ok", then commit_string).
log=$XDG_RUNTIME_DIR/editor-vsomm.log
for want in 'guest -> host zwp_text_input_v1.*\.activate' \
	"guest -> host zwp_text_input_v1.*set_surrounding_text\(\"Entry$text\"" \
	'host -> guest zwp_text_input_v1.*preedit_string\([0-9]+, "ok", "ok"\)' \
	'host -> guest zwp_text_input_v1.*commit_string\([0-9]+, "ok ?"\)' \
	"guest -> host zwp_text_input_v1.*set_surrounding_text\(\"Entry${text}ok ?\""; do
	if ! grep -Eq "$want" "$log"; then
		echo "FAIL: vsomm's trace lacks /$want/" >&2
		fail=1
	fi
done
echo "text-input messages relayed: $(grep -c 'zwp_text_input_v1' "$log")"
if ((fail)); then
	seat_result weston-editor "text input (text-input-v1)" fails "see the log"
fi
seat_result weston-editor "text input (text-input-v1)" works
