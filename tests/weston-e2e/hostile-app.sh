#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run by vsomm as its APP (see hostile.sh): WAYLAND_DISPLAY is vsomm's socket
# and $PPID is vsomm.  Starts weston-simple-shm, then each of $HOSTILE_CASES.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}" "${HOSTILE_CLIENT:?}" "${VSOMM_HOST_PID:?}" "${WESTON_SOCKET:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh" # helpers only: no harness_init here
vsomm_pid=$PPID
dir=$(mktemp -d "$XDG_RUNTIME_DIR/hostile.XXXXXX")

weston-simple-shm >"$dir/good.out" 2>"$dir/good.err" &
good=$!
trap 'kill -TERM $good 2>/dev/null; wait $good 2>/dev/null || true' EXIT

fail() {
	echo "FAIL: $*" >&2
	harness_dump "$dir/good.err"
	exit 1
}

shot_n=0
# The good client's window is drawn and differs from the last shot.
good_renders() {
	local shot=$dir/shot-$shot_n.png prev=$dir/shot-$((shot_n - 1)).png
	kill -0 "$good" 2>/dev/null || fail "weston-simple-shm died"
	"$BUILD/tests/tools/vsomm-screenshot" --display "$WESTON_SOCKET" -o "$shot" || return 1
	if [[ -f $prev ]]; then
		python3 "$SRCDIR/tests/lib/check-shots.py" --changed "$prev" "$shot" >"$dir/shots.log" || return 1
	else
		python3 "$SRCDIR/tests/lib/check-shots.py" "$shot" >"$dir/shots.log" || return 1
	fi
	shot_n=$((shot_n + 1))
}

wait_for 20 good_renders || fail "weston-simple-shm does not render through vsomm: $(cat "$dir/shots.log")"
sleep 0.5
vsomm_fds=$(fd_count "$vsomm_pid")
host_fds=$(fd_count "$VSOMM_HOST_PID")
echo "base: vsomm $vsomm_fds fds, vsomm-host $host_fds fds"

for case in $HOSTILE_CASES; do
	rc=0
	# The hostile client dies on purpose with its proxies alive: LeakSanitizer
	# would turn its expected protocol error into exit 1.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		timeout 60 "$HOSTILE_CLIENT" "$case" >"$dir/$case.out" 2>&1 || rc=$?
	# The client checks the outcome against the one its case expects
	# (interface and code of the error, hostile-client.c's table).
	result=$(grep "^hostile: $case: got: " "$dir/$case.out" || cat "$dir/$case.out")
	((rc == 0)) && grep -qx "hostile: ok: $case" "$dir/$case.out" ||
		fail "$case: exit $rc: $(cat "$dir/$case.out")"
	kill -0 "$vsomm_pid" 2>/dev/null || fail "$case: vsomm died"
	sleep 0.3
	good_renders || fail "$case: weston-simple-shm stopped rendering: $(cat "$dir/shots.log")"
	wait_fd_count "$vsomm_pid" "$vsomm_fds" 5 ||
		fail "$case: vsomm had $vsomm_fds fds before, $(fd_count "$vsomm_pid") after: $(ls -l /proc/"$vsomm_pid"/fd)"
	wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 5 ||
		fail "$case: vsomm-host had $host_fds fds before, $(fd_count "$VSOMM_HOST_PID") after"
	echo "ok: $case: $result; good client renders; fds vsomm $vsomm_fds, vsomm-host $host_fds"
done
kill -0 "$good" 2>/dev/null || fail "weston-simple-shm died"
