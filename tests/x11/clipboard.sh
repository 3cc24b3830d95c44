#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The clipboard between X clients of `vsomm --x11` and the host, both ways,
# on the seat Weston: xclip in the guest, wl-copy/wl-paste on the host
# (directly on Weston), a UTF-8 text and 10 MiB of random bytes (INCR on the
# X side), compared byte for byte.  An X window of the session is clicked
# first: a host gives the selection to the client with the keyboard focus.
# (The primary selection: primary.sh, against log-compositor; Weston 10 has
# none.)
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need xclip wl-copy wl-paste
[[ -x $X11_CLIENT ]] || { echo "SKIP: no x11-client (libxcb)"; exit 77; }

x11_seat_start
x11_vsomm_start
d=$XDG_RUNTIME_DIR
printf 'vsomm x11 clipboard: h\xc3\xa9llo, \xe2\x82\xac 42\n' >"$d/text"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$d/big"

x11_app vsomm "$d/focus.log" "$X11_CLIENT" window --title "clipboard focus" --color 3a5f7d --size 200x120
if ! box=$(x11_stable_box "$d/focus.png" 3a5f7d); then
	x11_result xclip "clipboard (an X window to focus)" fails "no X window on the host"
	x11_exit
fi
read -r fx fy _ _ <<<"$box"
focus_x() {
	seat_click $((fx + 20)) $((fy + 20))
	sleep 0.2
}

# x_to_host NAME FILE TARGET MIME
x_to_host() {
	local name=$1 file=$2 target=$3 mime=$4 got=$d/got-$1 ok=0 start
	focus_x
	SEAT_STDIN=$file x11_app vsomm "$d/xclip-$name.log" xclip -quiet -selection clipboard -t "$target" -i
	local pid=$BG_PID
	start=$(date +%s%3N)
	for _ in $(seq 1 30); do
		WAYLAND_DISPLAY=$WESTON_SOCKET timeout 30 wl-paste --no-newline --type "$mime" >"$got" 2>>"$d/paste.log" || true
		cmp -s "$file" "$got" && { ok=1; break; }
		sleep 0.3
		focus_x
	done
	echo "$name: $(stat -c %s "$got") of $(stat -c %s "$file") bytes in $(($(date +%s%3N) - start)) ms"
	if ((ok)); then
		x11_result xclip "$name" works
	else
		local types
		types=$(WAYLAND_DISPLAY=$WESTON_SOCKET timeout 10 wl-paste --list-types 2>&1 | tr '\n' ' ')
		x11_result xclip "$name" fails "wl-paste --type $mime got $(stat -c %s "$got") bytes, not the copied $(stat -c %s "$file") (host offers: ${types:-nothing})"
	fi
	stop_pid "$pid" || true
}

# host_to_x NAME FILE MIME TARGET
host_to_x() {
	local name=$1 file=$2 mime=$3 target=$4 got=$d/got-$1 ok=0 start
	SEAT_STDIN=$file seat_bg_start "$d/wl-copy-$name.log" env WAYLAND_DISPLAY="$WESTON_SOCKET" \
		wl-copy --foreground --type "$mime"
	local pid=$BG_PID
	sleep 0.3
	start=$(date +%s%3N)
	for _ in $(seq 1 30); do
		focus_x
		DISPLAY=$X11_DISPLAY timeout 30 xclip -o -selection clipboard -t "$target" >"$got" 2>>"$d/xclip-out.log" || true
		cmp -s "$file" "$got" && { ok=1; break; }
		sleep 0.3
	done
	echo "$name: $(stat -c %s "$got") of $(stat -c %s "$file") bytes in $(($(date +%s%3N) - start)) ms"
	if ((ok)); then
		x11_result xclip "$name" works
	else
		local targets
		targets=$(DISPLAY=$X11_DISPLAY timeout 10 xclip -o -selection clipboard -t TARGETS 2>&1 | tr '\n' ' ')
		x11_result xclip "$name" fails "xclip -t $target got $(stat -c %s "$got") bytes, not the copied $(stat -c %s "$file") (X targets: ${targets:-none})"
	fi
	stop_pid "$pid" || true
}

x_to_host "clipboard text X to host" "$d/text" UTF8_STRING "text/plain;charset=utf-8"
x_to_host "clipboard 10 MiB binary X to host" "$d/big" application/octet-stream application/octet-stream
host_to_x "clipboard text host to X" "$d/text" "text/plain;charset=utf-8" UTF8_STRING
host_to_x "clipboard 10 MiB binary host to X" "$d/big" application/octet-stream application/octet-stream
x11_vsomm_alive || x11_result vsomm "stays up" fails "vsomm exited"
x11_exit
