#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# hostile.sh [CASE...]
#
# Hostile clients through one vsomm: vsomm runs hostile-app.sh as its APP,
# which keeps weston-simple-shm running on the same vsomm socket and runs the
# hostile clients one after the other, checking after each that it got the
# protocol error its case expects (interface and code: hostile-client.c's
# table, with the protocol text), that vsomm is up,
# the good client still renders and no fd was left behind in vsomm or
# vsomm-host.  Here: vsomm exits with the script's status, and vsomm-host is
# back to its fd count once vsomm is gone.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
command -v weston-simple-shm >/dev/null 2>&1 || { echo "SKIP: weston-simple-shm is not installed"; exit 77; }

weston_start
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
host_fds=$(fd_count "$VSOMM_HOST_PID")

export BUILD SRCDIR WESTON_SOCKET VSOMM_HOST_PID
export HOSTILE_CLIENT=$BUILD/tests/weston-e2e/hostile-client
export HOSTILE_CASES="${*:-garbage unknown-id pool-too-big buffer-offset buffer-stride buffer-height truncate many-objects}"
vsomm_err=$XDG_RUNTIME_DIR/vsomm.err
"$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- \
	bash "$SRCDIR/tests/weston-e2e/hostile-app.sh" 2>"$vsomm_err" &
vsomm_pid=$!
harness_track "$vsomm_pid"
status=0
wait "$vsomm_pid" || status=$?
if ((status != 0)); then
	echo "FAIL: vsomm exited with $status" >&2
	harness_dump "$vsomm_err" "$VSOMM_HOST_LOG"
	exit 1
fi
if ! wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 5; then
	echo "FAIL: vsomm-host had $host_fds fds before vsomm, $(fd_count "$VSOMM_HOST_PID") after" >&2
	ls -l /proc/"$VSOMM_HOST_PID"/fd >&2 || true
	exit 1
fi
kill -0 "$VSOMM_HOST_PID" || { echo "FAIL: vsomm-host died" >&2; exit 1; }
echo "ok: vsomm survived every hostile client"
