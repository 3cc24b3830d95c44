#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# record.sh OUTDIR [SESSION...]
#
# Records the relay corpus (docs/relay-corpus.md): each session runs a real
# client through vsomm (socket transport) and vsomm-host against Weston with a
# seat (tests/input/seat.sh: pixman, x11 backend in a private Xvfb, input by
# xdotool), with a wire-tap at both Wayland boundaries of vsomm:
#
#   app ──▶ wire-tap ──▶ vsomm ══▶ vsomm-host ──▶ wire-tap ──▶ Weston
#           SESSION.guest.N                       SESSION.host.N
#
# (N: the tap's connection number).  X sessions (vsomm --x11) are recorded
# at the host boundary only: Xwayland reaches vsomm through WAYLAND_SOCKET,
# which no tap sits on.  Logs are written xz-compressed to OUTDIR.
# Needs BUILD (the build dir) and SRCDIR.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
outdir=$(realpath "$1")
shift
# shellcheck source=tests/input/seat.sh
source "$SRCDIR/tests/input/seat.sh"

TAP=$BUILD/tests/relay/wire-tap
VSOMM=$BUILD/launcher/vsomm
# The options every session runs vsomm with: replay.py reads them back from
# the corpus (sessions.txt) and runs the vsomm under test the same way.
VSOMM_ARGS=(--title-prefix '[vm] ' --app-id-prefix 'vm.')

# name|seconds|kind|command  (kind: wayland, or x11 for a client of vsomm --x11)
SESSIONS=(
	"simple-shm|3|wayland|weston-simple-shm"
	"simple-damage|3|wayland|weston-simple-damage"
	"flower|2|wayland|weston-flower"
	"clickdot|2|wayland|weston-clickdot"
	"wayland-info|2|wayland|wayland-info"
	"eventdemo|2|wayland|weston-eventdemo"
	"dnd|2|wayland|weston-dnd"
	"editor|2|wayland|weston-editor"
	"terminal|3|wayland|weston-terminal --shell=/bin/sh"
	"presentation-shm|2|wayland|weston-presentation-shm"
	"scaler|2|wayland|weston-scaler"
	"smoke|2|wayland|weston-smoke"
	"confine|2|wayland|weston-confine"
	"resizor|2|wayland|weston-resizor"
	"fullscreen|2|wayland|weston-fullscreen"
	"multi-resource|2|wayland|weston-multi-resource"
	"gtk3-demo|5|wayland|env GDK_BACKEND=wayland NO_AT_BRIDGE=1 gtk3-demo --run=button_box"
	"foot|3|wayland|foot -o font=monospace:size=10 -o cursor.blink=no sh -c 'echo vsomm; sleep 600'"
	"xterm|4|x11|xterm -e sh -c 'echo vsomm; sleep 600'"
	"xeyes|3|x11|xeyes"
)

want=("$@")
selected() {
	((${#want[@]} == 0)) && return 0
	local w
	for w in "${want[@]}"; do [[ $w == "$1" ]] && return 0; done
	return 1
}

mkdir -p "$outdir"
seat_start
tap_host=$XDG_RUNTIME_DIR/tap-host

# Input while a session runs: the pointer crosses the output (and whatever
# window Weston placed there), a click in the middle, a few keys.
session_input() {
	local w=$WESTON_WIDTH h=$WESTON_HEIGHT
	seat_move $((w / 4)) $((h / 4))
	seat_move $((w / 2)) $((h / 2))
	seat_click $((w / 2 + 10)) $((h / 2 + 10))
	seat_type "ls"
	seat_move $((w * 3 / 4)) $((h * 3 / 4))
	seat_move $((w - 2)) $((h - 2))
}

# record_one NAME SECONDS KIND COMMAND
record_one() {
	local name=$1 secs=$2 kind=$3 cmd=$4 tap_host_pid vsomm_pid='' tap_guest_pid='' app_pid p
	local logdir=$XDG_RUNTIME_DIR/$name
	mkdir -p "$logdir"
	"$TAP" --listen "$tap_host" --upstream "$XDG_RUNTIME_DIR/$WESTON_SOCKET" --log "$logdir/$name.host" &
	tap_host_pid=$!
	harness_track "$tap_host_pid"
	wait_for 5 test -S "$tap_host"
	# shellcheck disable=SC2119 # no arguments for vsomm-host
	VSOMM_COMPOSITOR=$tap_host vsomm_host_start
	if [[ $kind == wayland ]]; then
		"$VSOMM" --device "socket:$VSOMM_HOST_SOCK" --serve --socket wayland-rec "${VSOMM_ARGS[@]}" \
			>"$logdir/vsomm.log" 2>&1 &
		vsomm_pid=$!
		harness_track "$vsomm_pid"
		wait_for 10 test -S "$XDG_RUNTIME_DIR/wayland-rec"
		"$TAP" --listen "$XDG_RUNTIME_DIR/tap-guest" --upstream "$XDG_RUNTIME_DIR/wayland-rec" \
			--log "$logdir/$name.guest" &
		tap_guest_pid=$!
		harness_track "$tap_guest_pid"
		wait_for 5 test -S "$XDG_RUNTIME_DIR/tap-guest"
		WAYLAND_DISPLAY=tap-guest timeout -s TERM "$secs" sh -c "exec $cmd" >"$logdir/app.log" 2>&1 &
	else
		"$VSOMM" --device "socket:$VSOMM_HOST_SOCK" --x11 "${VSOMM_ARGS[@]}" -- \
			sh -c "timeout -s TERM $secs $cmd" >"$logdir/vsomm.log" 2>&1 &
	fi
	app_pid=$!
	harness_track "$app_pid"
	sleep 1.2
	session_input
	wait "$app_pid" || true
	sleep 0.5
	for p in $tap_guest_pid $vsomm_pid $VSOMM_HOST_PID $tap_host_pid; do
		stop_pid "$p" || true
	done
	HARNESS_PIDS=("$SEAT_XVFB_PID" "$WESTON_PID")
	VSOMM_HOST_PID=
	local f n=0
	for f in "$logdir/$name".*.[0-9]*; do
		[[ -e $f ]] || continue
		xz -9e -c "$f" >"$outdir/${f##*/}.xz"
		n=$((n + 1))
	done
	echo "$name: $n logs ($(du -ch "$outdir/$name".*.xz | tail -n 1 | cut -f1))"
	if ((n == 0)); then
		harness_dump "$logdir/vsomm.log" "$logdir/app.log" "$VSOMM_HOST_LOG"
		return 1
	fi
}

{
	echo "# name|seconds|kind|command  (recorded by tests/relay/record.sh)"
	printf 'vsomm-args'
	printf '|%s' "${VSOMM_ARGS[@]}"
	echo
} >"$outdir/sessions.txt.new"
for s in "${SESSIONS[@]}"; do
	IFS='|' read -r name secs kind cmd <<<"$s"
	if selected "$name"; then
		rm -f "$outdir/$name".*.xz
		check "recorded $name" record_one "$name" "$secs" "$kind" "$cmd"
	fi
	if [[ -n $(compgen -G "$outdir/$name.*.xz") ]]; then
		echo "$s" >>"$outdir/sessions.txt.new"
	fi
done
mv "$outdir/sessions.txt.new" "$outdir/sessions.txt"
((fails == 0))
