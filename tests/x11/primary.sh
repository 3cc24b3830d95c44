#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The primary selection between X clients of `vsomm --x11` and the host, both
# ways, against log-compositor (Weston 10 offers no
# zwp_primary_selection_device_manager_v1; log-compositor does, gives the
# keyboard to each new toplevel, and offers/fetches selections on command).
# xclip -selection primary in the guest; a UTF-8 text and 10 MiB of random
# bytes, compared byte for byte.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need xclip
[[ -x $X11_CLIENT ]] || { echo "SKIP: no x11-client (libxcb)"; exit 77; }

x11_log_start
x11_vsomm_start
d=$XDG_RUNTIME_DIR
printf 'vsomm x11 primary: h\xc3\xa9llo, \xe2\x82\xac 42\n' >"$d/text"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$d/big"
TEXT_MIME="text/plain;charset=utf-8"

x11_app vsomm "$d/focus.log" "$X11_CLIENT" window --title "primary focus" --size 200x120
if ! x11_log_wait 'toplevel T[0-9]+ title .*primary focus' 20; then
	x11_result xclip "primary selection (an X window with the focus)" fails "no toplevel on the host"
	x11_exit
fi
sleep 0.5

# x_to_host NAME FILE TARGET MIME
x_to_host() {
	local name=$1 file=$2 target=$3 mime=$4 got=$d/got-${1// /-} ok=0
	SEAT_STDIN=$file x11_app vsomm "$d/xclip-$name.log" xclip -quiet -selection primary -t "$target" -i
	local pid=$BG_PID
	if x11_log_wait "selection primary mimes .*$mime" 15; then
		for _ in 1 2 3; do
			local n
			n=$(grep -c "fetched primary $mime" "$X11_LOG" || true)
			x11_ctl "fetch primary $mime $got"
			wait_for 30 eval "(( \$(grep -c 'fetched primary $mime' '$X11_LOG' || true) > $n ))" || true
			cmp -s "$file" "$got" && { ok=1; break; }
			sleep 0.5
		done
	fi
	if ((ok)); then
		x11_result xclip "$name" works
	else
		x11_result xclip "$name" fails "the host got $(stat -c %s "$got" 2>/dev/null || echo 0) bytes of $(stat -c %s "$file") ($(grep -E 'selection primary|fetched primary' "$X11_LOG" | tail -n 2 | cut -d' ' -f2- | tr '\n' ' '))"
	fi
	stop_pid "$pid" || true
}

# host_to_x NAME FILE MIME TARGET
host_to_x() {
	local name=$1 file=$2 mime=$3 target=$4 got=$d/got-${1// /-} ok=0
	x11_ctl "offer primary $mime $file"
	for _ in $(seq 1 20); do
		DISPLAY=$X11_DISPLAY timeout 30 xclip -o -selection primary -t "$target" >"$got" 2>>"$d/xclip-out.log" || true
		cmp -s "$file" "$got" && { ok=1; break; }
		sleep 0.3
	done
	if ((ok)); then
		x11_result xclip "$name" works
	else
		x11_result xclip "$name" fails "xclip got $(stat -c %s "$got") bytes of $(stat -c %s "$file") (X targets: $(DISPLAY=$X11_DISPLAY timeout 10 xclip -o -selection primary -t TARGETS 2>&1 | tr '\n' ' '))"
	fi
}

x_to_host "primary selection text X to host" "$d/text" UTF8_STRING "$TEXT_MIME"
x_to_host "primary selection 10 MiB binary X to host" "$d/big" application/octet-stream application/octet-stream
host_to_x "primary selection text host to X" "$d/text" "$TEXT_MIME" UTF8_STRING
host_to_x "primary selection 10 MiB binary host to X" "$d/big" application/octet-stream application/octet-stream
x11_vsomm_alive || x11_result vsomm "stays up" fails "vsomm exited"
x11_exit
