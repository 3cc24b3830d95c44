# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# A Weston with a seat for the input tests: Weston's x11 backend inside a
# private Xvfb, input injected with xdotool (XTEST) into Weston's X window.
# Why this and not a test module: docs/compatibility.md ("The seat").
#
#   source tests/input/seat.sh
#   seat_start            # Xvfb + Weston (x11 backend, pixman, --debug) on $WESTON_SOCKET
#                         # (SEAT_EXTRA_INI: sections appended to its weston.ini)
#   seat_xdo ARGS…        # xdotool on the private X display
#   seat_move X Y         # pointer to output coordinates (the window is at 0,0)
#   seat_click X Y [BTN]  # move + click
#   seat_type TEXT / seat_key KEYS…
#   seat_shot FILE        # screenshot of the Weston output (cursor included)
#   vsomm_run ARGS…       # $BUILD/launcher/vsomm --device socket:$VSOMM_HOST_SOCK -- ARGS…
#   seat_bg_start LOG CMD… # start CMD in the background (tracked; stdin: $SEAT_STDIN); sets BG_PID
#   seat_need TOOL…       # exit 77 unless every TOOL is installed
#
# Everything of tests/lib/weston.sh (harness_init, vsomm_host_start, wait_for,
# stop_pid, cleanup) is there too.  Xvfb picks a free display (-displayfd)
# and listens on its unix socket only.

# shellcheck source=tests/lib/weston.sh
source "${SRCDIR:?}/tests/lib/weston.sh"

SEAT_X_DISPLAY=

seat_need() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "SKIP: $t is not installed"
			exit 77
		fi
	done
}

seat_xdo() {
	DISPLAY=$SEAT_X_DISPLAY xdotool "$@"
}

seat_start() {
	harness_init
	seat_need Xvfb xdotool weston
	local dfile=$XDG_RUNTIME_DIR/x-display
	# -displayfd writes the display number it chose once it listens.
	Xvfb -displayfd 9 -nolisten tcp -noreset -screen 0 "${WESTON_WIDTH}x${WESTON_HEIGHT}x24" \
		9>"$dfile" >"$XDG_RUNTIME_DIR/xvfb.log" 2>&1 &
	SEAT_XVFB_PID=$!
	harness_track "$SEAT_XVFB_PID"
	if ! wait_for 20 eval "[[ -s $dfile ]]"; then
		echo "seat: Xvfb did not come up" >&2
		harness_dump "$XDG_RUNTIME_DIR/xvfb.log"
		return 1
	fi
	SEAT_X_DISPLAY=:$(tr -d '\n' <"$dfile")
	local ini=$XDG_RUNTIME_DIR/weston.ini
	cat >"$ini" <<-INI
		[core]
		repaint-window=16

		[shell]
		background-color=0xff202020
		panel-position=none
		startup-animation=none
		animation=none
		close-animation=none

		[keyboard]
		keymap_layout=us
	INI
	# SEAT_EXTRA_INI: more weston.ini sections (e.g. an [input-method])
	if [[ -n ${SEAT_EXTRA_INI:-} ]]; then
		printf '\n%s\n' "$SEAT_EXTRA_INI" >>"$ini"
	fi
	WESTON_LOG=$XDG_RUNTIME_DIR/weston.log
	DISPLAY=$SEAT_X_DISPLAY weston --backend=x11-backend.so --use-pixman --debug \
		--socket="$WESTON_SOCKET" --width="$WESTON_WIDTH" --height="$WESTON_HEIGHT" \
		--idle-time=0 -c "$ini" >"$WESTON_LOG" 2>&1 &
	WESTON_PID=$!
	harness_track "$WESTON_PID"
	if ! wait_for 20 weston_ready; then
		echo "seat: weston did not come up" >&2
		harness_dump "$WESTON_LOG"
		return 1
	fi
	# Weston's X window gets the X keyboard focus (FocusIn: the seat's
	# keyboard is in) and the pointer sits in it.
	if ! wait_for 20 seat_find_window; then
		echo "seat: no Weston X window" >&2
		DISPLAY=$SEAT_X_DISPLAY xwininfo -root -tree >&2 || true
		return 1
	fi
	seat_xdo windowfocus --sync "$SEAT_X_WINDOW"
	seat_move $((WESTON_WIDTH - 2)) $((WESTON_HEIGHT - 2))
}

seat_find_window() {
	SEAT_X_WINDOW=$(seat_xdo search --classname '^weston' 2>/dev/null | head -n 1) || true
	[[ -n $SEAT_X_WINDOW ]]
}

seat_move() {
	# --sync waits for the pointer to move, which it does not when it is
	# there already: xdotool then gives up after 15 s (a second click on
	# the same spot took that long).
	if [[ $(seat_xdo getmouselocation 2>/dev/null) == "x:$1 y:$2 "* ]]; then
		return 0
	fi
	seat_xdo mousemove --sync "$1" "$2" 2>/dev/null || seat_xdo mousemove "$1" "$2"
}

seat_click() {
	seat_move "$1" "$2"
	seat_xdo click "${3:-1}"
}

seat_type() {
	seat_xdo type --delay 40 "$1"
}

seat_key() {
	seat_xdo key --delay 40 "$@"
}

seat_shot() {
	"$BUILD/tests/tools/vsomm-screenshot" --display "$WESTON_SOCKET" -o "$1"
}

vsomm_run() {
	"$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- "$@"
}

# seat_app MODE LOG CMD…: start CMD directly on Weston (MODE direct) or
# through vsomm (MODE vsomm) in the background; sets BG_PID.
seat_app() {
	local mode=$1 log=$2
	shift 2
	if [[ $mode == direct ]]; then
		seat_bg_start "$log" env WAYLAND_DISPLAY="$WESTON_SOCKET" "$@"
	else
		seat_bg_start "$log" "$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- "$@"
	fi
}

# seat_window_box PNG RRGGBB: "x y w h" of a window of that colour, waiting for it.
seat_window_box() {
	local png=$1 color=$2 box
	for _ in $(seq 1 50); do
		seat_shot "$png"
		if box=$(python3 "$SRCDIR/tests/input/shot.py" find "$png" "$color"); then
			echo "$box"
			return 0
		fi
		sleep 0.2
	done
	return 1
}

seat_bg_start() {
	local log=$1
	shift
	# A background job's stdin is /dev/null unless redirected here.
	"$@" <"${SEAT_STDIN:-/dev/null}" >"$log" 2>&1 &
	BG_PID=$!
	harness_track "$BG_PID"
}

# seat_wait_line FILE REGEX [SECONDS]: wait until FILE has a line matching REGEX.
seat_wait_line() {
	wait_for "${3:-20}" grep -Eq "$2" "$1"
}

# Print the result line the compatibility table reads, then exit with the
# status meson wants: seat_result APP FEATURE works|fails|skip [REASON].
seat_result() {
	echo "RESULT $1 | $2 | $3 | ${4:-}"
	case $3 in
	works) exit 0 ;;
	skip) exit 77 ;;
	*) exit 1 ;;
	esac
}
