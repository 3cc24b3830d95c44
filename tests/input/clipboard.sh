#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Clipboard both ways through vsomm (wl-clipboard): text and a 10 MiB
# binary payload copied in the guest are pasted intact on the host and the
# reverse; primary selection when the host compositor has it.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/input/seat.sh
source "$SRCDIR/tests/input/seat.sh"
seat_need wl-copy wl-paste

seat_start
vsomm_host_start
fail=0
big=$XDG_RUNTIME_DIR/big.bin
head -c $((10 * 1024 * 1024)) /dev/urandom >"$big"
printf 'vsomm clipboard text\n' >"$XDG_RUNTIME_DIR/text"

# host_paste TYPE OUT [--primary]: paste on the host, directly on Weston.
host_paste() {
	local type=$1 out=$2
	shift 2
	WAYLAND_DISPLAY=$WESTON_SOCKET timeout 30 wl-paste "$@" --no-newline --type "$type" >"$out" 2>/dev/null
}
guest_paste() {
	local type=$1 out=$2
	shift 2
	timeout 30 "$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- \
		wl-paste "$@" --no-newline --type "$type" >"$out" 2>>"$XDG_RUNTIME_DIR/guest-paste.log"
}

# copy_case NAME FROM FILE TYPE [--primary]
copy_case() {
	local name=$1 from=$2 file=$3 type=$4 got=$XDG_RUNTIME_DIR/got-$1
	shift 4
	export SEAT_STDIN=$file
	if [[ $from == guest ]]; then
		seat_app vsomm "$XDG_RUNTIME_DIR/copy-$name.log" wl-copy --foreground "$@" --type "$type"
	else
		seat_app direct "$XDG_RUNTIME_DIR/copy-$name.log" wl-copy --foreground "$@" --type "$type"
	fi
	unset SEAT_STDIN
	local pid=$BG_PID ok=0 start
	start=$(date +%s%3N)
	for _ in $(seq 1 40); do
		if [[ $from == guest ]]; then
			host_paste "$type" "$got" "$@" || true
		else
			guest_paste "$type" "$got" "$@" || true
		fi
		if cmp -s "$file" "$got"; then
			ok=1
			break
		fi
		sleep 0.25
	done
	echo "$name: $(stat -c %s "$got") of $(stat -c %s "$file") bytes in $(($(date +%s%3N) - start)) ms"
	stop_pid "$pid" || true
	sleep 0.3
	if ((ok)); then
		echo "RESULT wl-clipboard | $name | works |"
	else
		harness_dump "$XDG_RUNTIME_DIR/copy-$name.log" "$XDG_RUNTIME_DIR/guest-paste.log"
		echo "RESULT wl-clipboard | $name | fails | pasted data differs from the copied"
		fail=1
	fi
}

copy_case "clipboard text guest to host" guest "$XDG_RUNTIME_DIR/text" text/plain
copy_case "clipboard text host to guest" host "$XDG_RUNTIME_DIR/text" text/plain
copy_case "clipboard 10 MiB binary guest to host" guest "$big" application/octet-stream
copy_case "clipboard 10 MiB binary host to guest" host "$big" application/octet-stream

if WAYLAND_DISPLAY=$WESTON_SOCKET wayland-info 2>/dev/null | grep -q zwp_primary_selection_device_manager_v1; then
	copy_case "primary selection guest to host" guest "$XDG_RUNTIME_DIR/text" text/plain --primary
	copy_case "primary selection host to guest" host "$XDG_RUNTIME_DIR/text" text/plain --primary
else
	for dir in "guest to host" "host to guest"; do
		echo "RESULT wl-clipboard | primary selection $dir | skip | the host compositor (Weston 10) has no zwp_primary_selection_device_manager_v1: untestable here"
	done
fi
exit "$fail"
