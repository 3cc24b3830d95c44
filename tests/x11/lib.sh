# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# The harness of the X11 tests (issue 13).  X clients run on one of two X
# servers, both on the same host compositor:
#   weston  Weston's own Xwayland and X window manager (`weston --xwayland`):
#           the reference, what X clients look like natively;
#   vsomm   the Xwayland of `vsomm --x11` (through vsomm and vsomm-host), with
#           vsomm's X window manager.
#
#   source tests/x11/lib.sh
#   x11_seat_start          # the seat Weston of tests/input/seat.sh, with --xwayland
#   x11_log_start           # log-compositor (+ control fifo) as the host instead
#   x11_vsomm_start [ARGS]  # vsomm-host + `vsomm --x11 ARGS`; sets X11_DISPLAY, X11_VSOMM_PID
#                           # and X11_WAYLAND_DISPLAY (the session's Wayland socket)
#   x11_display MODE        # the DISPLAY of MODE (weston: waits for Weston's)
#   x11_app MODE LOG CMD…   # CMD in the background on MODE's X server; sets BG_PID
#   x11_box PNG RRGGBB      # "x y w h" of the client area (that colour's box), waiting for it
#   x11_stable_box PNG RRGGBB  # the same, once two shots agree
#   x11_gone PNG RRGGBB     # wait until that colour is off the screen
#   x11_ctl LINE            # a command to log-compositor
#   x11_log_wait REGEX [S]  # wait for a line of log-compositor's output
#   x11_toplevel REGEX      # "T<n>" of the last toplevel whose title matches
#   x11_xwayland_pid        # pid of vsomm's Xwayland (empty when none runs)
#   x11_vsomm_alive         # vsomm still runs
#   x11_result APP FEATURE works|fails|skip [REASON]   (RESULT line, no exit)
# and everything of tests/input/seat.sh and tests/lib/weston.sh.
#
# vsomm's command line for X (VSOMM_X11_ARGS, default "--x11") follows its man
# page; X clients of the vsomm mode run with DISPLAY set to vsomm's display
# (they need not be vsomm's children: the display is a socket like any X
# server's).

# shellcheck source=tests/input/seat.sh
source "${SRCDIR:?}/tests/input/seat.sh"

X11_CLIENT=${X11_CLIENT:-$BUILD/tests/x11/x11-client}
HOSTILE_X=${HOSTILE_X:-$BUILD/tests/x11/hostile-x}
LOG_COMPOSITOR=${LOG_COMPOSITOR:-$BUILD/tests/x11/log-compositor}
VSOMM_X11_ARGS=${VSOMM_X11_ARGS:---x11}
X11_DISPLAY=
X11_VSOMM_PID=
X11_WESTON_DISPLAY=
X11_LOG=
X11_FAILS=0
SHOT=${SRCDIR}/tests/input/shot.py

x11_need() {
	seat_need "$@"
}

# Weston's xwayland.so: Weston listens on an X display of its own and starts
# its Xwayland on the first connection.
x11_seat_start() {
	x11_need Xwayland
	[[ -e /usr/lib/x86_64-linux-gnu/libweston-10/xwayland.so || -n $(find /usr/lib -name xwayland.so -path '*weston*' 2>/dev/null | head -n 1) ]] || {
		echo "SKIP: Weston has no xwayland.so"
		exit 77
	}
	# seat.sh starts `weston … &`: the same with --xwayland.  exec: the
	# background job's pid stays Weston's (the harness stops it by pid).
	weston() { exec weston --xwayland "$@"; }
	seat_start
	unset -f weston
}

x11_weston_display() {
	if [[ -z $X11_WESTON_DISPLAY ]]; then
		wait_for 20 grep -q 'xserver listening on display' "$WESTON_LOG" || return 1
		X11_WESTON_DISPLAY=$(sed -n 's/.*xserver listening on display \(:[0-9]*\).*/\1/p' "$WESTON_LOG" | tail -n 1)
	fi
	echo "$X11_WESTON_DISPLAY"
}

x11_display() {
	case $1 in
	weston) x11_weston_display ;;
	vsomm) echo "$X11_DISPLAY" ;;
	*) return 1 ;;
	esac
}

# log-compositor instead of Weston: vsomm-host connects to it.
x11_log_start() {
	harness_init
	local fifo=$XDG_RUNTIME_DIR/log-compositor.ctl
	mkfifo "$fifo"
	X11_CTL=$fifo
	X11_LOG=$XDG_RUNTIME_DIR/log-compositor.log
	"$LOG_COMPOSITOR" --socket wayland-x11-log --control "$fifo" "$@" >"$X11_LOG" 2>&1 &
	X11_LOG_PID=$!
	harness_track "$X11_LOG_PID"
	if ! wait_for 10 grep -q 'ready on' "$X11_LOG"; then
		harness_dump "$X11_LOG"
		return 1
	fi
	export VSOMM_COMPOSITOR=wayland-x11-log
	WESTON_SOCKET=wayland-x11-log
}

x11_ctl() {
	# the fifo is held open for reading by log-compositor: this never blocks long
	timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' sh "$1" "$X11_CTL"
}

x11_log_wait() {
	wait_for "${2:-20}" grep -Eq "$1" "$X11_LOG"
}

# x11_toplevel REGEX: the T<n> of the last toplevel whose title matches.
x11_toplevel() {
	sed -n 's/^[0-9]* toplevel \(T[0-9]*\) title \(.*\)$/\1 \2/p' "$X11_LOG" |
		grep -E "^T[0-9]+ .*$1" | tail -n 1 | cut -d' ' -f1
}

# x11_surface_of T<n>: the S<m> of a toplevel.
x11_surface_of() {
	sed -n "s/^[0-9]* toplevel $1 surface \(S[0-9]*\)$/\1/p" "$X11_LOG" | tail -n 1
}

# x11_vsomm_start [ARGS]: vsomm-host (if not running) and vsomm with X11;
# the session's DISPLAY is read from a shell vsomm starts.
x11_vsomm_start() {
	[[ -n ${VSOMM_HOST_PID:-} ]] || vsomm_host_start
	local dfile=$XDG_RUNTIME_DIR/vsomm-display
	rm -f "$dfile"
	X11_VSOMM_LOG=$XDG_RUNTIME_DIR/vsomm-x11.log
	# shellcheck disable=SC2086 # VSOMM_X11_ARGS: words
	"$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" $VSOMM_X11_ARGS "$@" -- \
		sh -c 'printf "%s\n%s\n" "$DISPLAY" "$WAYLAND_DISPLAY" >"$0.tmp" && mv "$0.tmp" "$0"; exec sleep 1000000' "$dfile" \
		</dev/null >"$X11_VSOMM_LOG" 2>&1 &
	X11_VSOMM_PID=$!
	harness_track "$X11_VSOMM_PID"
	if ! wait_for 20 eval "[[ -s $dfile ]] || ! x11_vsomm_alive"; then
		:
	fi
	if [[ ! -s $dfile ]]; then
		harness_dump "$X11_VSOMM_LOG" "$VSOMM_HOST_LOG"
		x11_result vsomm "X11 session starts" fails "vsomm $VSOMM_X11_ARGS gave its app no DISPLAY: $(head -n 1 "$X11_VSOMM_LOG")"
		x11_exit
	fi
	X11_DISPLAY=$(head -n 1 "$dfile")
	X11_WAYLAND_DISPLAY=$(sed -n 2p "$dfile")
	if [[ -z $X11_DISPLAY ]]; then
		x11_result vsomm "X11 session starts" fails "vsomm $VSOMM_X11_ARGS set no DISPLAY"
		x11_exit
	fi
	echo "vsomm serves X display $X11_DISPLAY (pid $X11_VSOMM_PID)"
}

x11_vsomm_alive() {
	[[ -n $X11_VSOMM_PID ]] && kill -0 "$X11_VSOMM_PID" 2>/dev/null &&
		[[ $(ps -o stat= -p "$X11_VSOMM_PID" 2>/dev/null) != Z* ]]
}

# The Xwayland vsomm started: a child of vsomm named Xwayland.
x11_xwayland_pid() {
	[[ -n $X11_VSOMM_PID ]] || return 0
	local p
	for p in /proc/[0-9]*; do
		[[ -r $p/stat ]] || continue
		local stat
		stat=$(cat "$p/stat" 2>/dev/null) || continue
		# pid (comm) state ppid …
		local comm=${stat#*(}
		comm=${comm%%)*}
		local rest=${stat##*) }
		local ppid
		ppid=$(cut -d' ' -f2 <<<"$rest")
		if [[ $comm == Xwayland && $ppid == "$X11_VSOMM_PID" ]]; then
			echo "${p#/proc/}"
			return 0
		fi
	done
}

# x11_app MODE LOG CMD…
x11_app() {
	local mode=$1 log=$2 display
	shift 2
	display=$(x11_display "$mode") || { echo "x11: no $mode X display" >&2; return 1; }
	DISPLAY=$display seat_bg_start "$log" "$@"
}

# x11_box PNG RRGGBB [TRIES]: the bounding box of a colour on the seat's screen.
x11_box() {
	local png=$1 color=$2 tries=${3:-50} box
	for _ in $(seq 1 "$tries"); do
		seat_shot "$png"
		if box=$(python3 "$SHOT" find "$png" "$color"); then
			echo "$box"
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# x11_stable_box PNG RRGGBB: x11_box, once two shots in a row agree (a window
# manager may move or resize a window right after it maps).
x11_stable_box() {
	local png=$1 color=$2 a b
	a=$(x11_box "$png" "$color") || return 1
	for _ in $(seq 1 20); do
		sleep 0.3
		b=$(x11_box "$png" "$color") || return 1
		[[ $a == "$b" ]] && { echo "$b"; return 0; }
		a=$b
	done
	echo "$b"
}

# x11_gone PNG RRGGBB: wait (10 s at most) until no pixel has that colour.
x11_gone() {
	local _
	for _ in $(seq 1 50); do
		seat_shot "$1"
		python3 "$SHOT" find "$1" "$2" >/dev/null || return 0
		sleep 0.2
	done
	return 1
}

# x11_same APP FEATURE SHOT_A BOX_A SHOT_B BOX_B: a RESULT line, works when
# the two client areas ("x y w h") are equal pixel for pixel.
x11_same() {
	local out
	if [[ ${4#* * } != "${6#* * }" ]]; then
		x11_result "$1" "$2" fails "client area ${6#* * } instead of ${4#* * } (${6// /,} vs ${4// /,})"
	elif out=$(python3 "$SHOT" same "$3" "${4// /,}" "$5" "${6// /,}"); then
		x11_result "$1" "$2" works "${out}"
	else
		x11_result "$1" "$2" fails "$out"
	fi
}

x11_result() {
	echo "RESULT $1 | $2 | $3 | ${4:-}"
	case $3 in
	works | skip) ;;
	*) X11_FAILS=$((X11_FAILS + 1)) ;;
	esac
}

# The end of a script: 0 when every RESULT worked (or was skipped).
x11_exit() {
	((X11_FAILS == 0)) && exit 0
	echo "x11: $X11_FAILS result(s) failed" >&2
	exit 1
}
