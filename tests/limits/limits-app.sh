#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run by vsomm as its APP (see limits.sh): WAYLAND_DISPLAY is vsomm's socket and
# $PPID is vsomm.  Starts weston-simple-shm (the good client), then runs
# limit-client $LIMIT_CASE $LIMIT_N, which must be disconnected; after it, vsomm
# is up, the good client still renders and no fd is left behind in vsomm or
# vsomm-host.  $LIMIT_BEFORE / $LIMIT_AFTER: commands run around the bad client.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}" "${VSOMM_HOST_PID:?}" "${WESTON_SOCKET:?}" "${LIMIT_CASE:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh" # helpers only: no harness_init here
# shellcheck source=tests/faults/good-client.sh
source "$SRCDIR/tests/faults/good-client.sh"
vsomm_pid=$PPID
good_start
vsomm_fds=$(fd_count "$vsomm_pid")
host_fds=$(fd_count "$VSOMM_HOST_PID")
echo "base: vsomm $vsomm_fds fds, vsomm-host $host_fds fds"

eval "${LIMIT_BEFORE:-}"
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	timeout 90 "$BUILD/tests/limits/limit-client" "$LIMIT_CASE" "${LIMIT_N:-1000}" \
	>"$GOOD_DIR/bad.out" 2>&1 || rc=$?
eval "${LIMIT_AFTER:-}"
result=$(cat "$GOOD_DIR/bad.out")
((rc == 0)) || good_fail "$LIMIT_CASE: limit-client exit $rc: $result"
kill -0 "$vsomm_pid" 2>/dev/null || good_fail "vsomm died"
sleep 0.3
good_check "$LIMIT_CASE"
wait_fd_count "$vsomm_pid" "$vsomm_fds" 5 ||
	good_fail "vsomm had $vsomm_fds fds before, $(fd_count "$vsomm_pid") after"
wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 5 ||
	good_fail "vsomm-host had $host_fds fds before, $(fd_count "$VSOMM_HOST_PID") after"
echo "ok: $LIMIT_CASE: $result; good client renders; fds vsomm $vsomm_fds, vsomm-host $host_fds"
