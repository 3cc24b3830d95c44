#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Keyboard through vsomm: the keymap (an fd) arrives and maps, repeat info,
# keys and modifiers are those a direct client gets; a command typed into
# foot through vsomm runs.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}" "${INPUT_CLIENT:?}"
# shellcheck source=tests/input/seat.sh
source "$SRCDIR/tests/input/seat.sh"

seat_start
vsomm_host_start
shot=$XDG_RUNTIME_DIR/shot.png
fail=0

for mode in direct vsomm; do
	log=$XDG_RUNTIME_DIR/kb-$mode.log
	seat_app "$mode" "$log" "$INPUT_CLIENT" --timeout 120
	pid=$BG_PID
	seat_wait_line "$log" '^ready' 30 || { cat "$log"; seat_result client keyboard fails "$mode client never ready"; }
	read -r x y _ _ < <(seat_window_box "$shot" 3060c0) || seat_result client keyboard fails "$mode: window not on screen"
	seat_click $((x + 10)) $((y + 10))
	seat_wait_line "$log" '^kbenter 0' || true
	seat_type 'aB'
	seat_wait_line "$log" '^modifiers 0 ' || true
	sleep 0.3
	stop_pid "$pid" || true
	grep -E '^(keymap|repeat|key |modifiers)' "$log" >"$XDG_RUNTIME_DIR/kb-events-$mode" || true
	sleep 0.3
done
cat "$XDG_RUNTIME_DIR/kb-events-vsomm"
for want in '^keymap 1 [0-9]+ ok$' '^repeat 40 400$' '^key 30 1$' '^key 30 0$' '^key 48 1$' \
	'^modifiers 1 0 0 0$'; do
	grep -Eq "$want" "$XDG_RUNTIME_DIR/kb-events-direct" || { echo "direct run lacks /$want/" >&2; fail=1; }
	grep -Eq "$want" "$XDG_RUNTIME_DIR/kb-events-vsomm" || { echo "FAIL: vsomm run lacks /$want/" >&2; fail=1; }
done
diff -u "$XDG_RUNTIME_DIR/kb-events-direct" "$XDG_RUNTIME_DIR/kb-events-vsomm" || { echo "FAIL: keyboard events differ" >&2; fail=1; }
if ((fail)); then
	echo "RESULT client | keyboard (keymap, keys, modifiers, repeat) | fails | events differ or are missing"
else
	echo "RESULT client | keyboard (keymap, keys, modifiers, repeat) | works |"
fi

# Typing into a real terminal through vsomm.
if command -v foot >/dev/null 2>&1; then
	out=$XDG_RUNTIME_DIR/typed
	seat_app vsomm "$XDG_RUNTIME_DIR/foot.log" foot -o font=monospace:size=10 sh
	sleep 3
	seat_click 600 300
	seat_click 600 300
	seat_type "echo hello > $out"
	seat_key Return
	if wait_for 20 grep -qx hello "$out" 2>/dev/null; then
		echo "RESULT foot | keyboard typing | works |"
	else
		seat_shot "$XDG_RUNTIME_DIR/foot.png"
		harness_dump "$XDG_RUNTIME_DIR/foot.log"
		echo "RESULT foot | keyboard typing | fails | the typed command did not run"
		fail=1
	fi
	stop_pid "$BG_PID" || true
else
	echo "RESULT foot | keyboard typing | skip | foot is not installed"
fi
exit "$fail"
