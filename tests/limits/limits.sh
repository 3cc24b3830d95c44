#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# limits.sh CASE: one per-client limit of vsomm, or one per-context limit of
# vsomm-host set with --limit, exceeded by limit-client through the real vsomm,
# vsomm-host and a headless Weston, next to a good client (weston-simple-shm).
# Checks (limits-app.sh): the bad client is disconnected, the good one keeps
# rendering, fd counts of vsomm and vsomm-host are back; here: exactly one log
# line names the limit, vsomm-host is still up and back to its fd count.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
CASE=${1:?usage: limits.sh CASE}
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
command -v weston-simple-shm >/dev/null 2>&1 || { echo "SKIP: weston-simple-shm is not installed"; exit 77; }

host_args=()
vsomm_env=()
refused_alone=0 # a blob or image past a limit is refused alone: no context may end
case $CASE in
vsomm-objects)
	vsomm_env=(VSOMM_LIMIT_OBJECTS=2000) LIMIT_CASE=objects LIMIT_N=5000
	want='more than 2000 objects: disconnected' log=vsomm ;;
vsomm-shadow-bytes)
	vsomm_env=(VSOMM_LIMIT_SHADOW_BYTES=4000000) LIMIT_CASE=buffers LIMIT_N=40
	want='shadow buffers over 4000000 bytes .*: disconnected' log=vsomm ;;
vsomm-pending-bytes)
	vsomm_env=(VSOMM_LIMIT_PENDING_BYTES=65536) LIMIT_CASE=pending LIMIT_N=50000
	want='bytes pending, over 65536: disconnected' log=vsomm ;;
host-blob-bytes)
	host_args=(--limit blob-bytes=4000000) LIMIT_CASE=buffers LIMIT_N=40 refused_alone=1
	want='blob of [0-9]+ bytes over the limit' log=host ;;
host-connection-blob-bytes)
	# the good client's shadows count too: they are on the same connection
	host_args=(--limit connection-blob-bytes=4000000) LIMIT_CASE=buffers LIMIT_N=40 refused_alone=1
	want='blob of [0-9]+ bytes over the connection.s limit' log=host ;;
host-items)
	# image items get 15/16 of the table: 15 of 16
	host_args=(--limit items=16) LIMIT_CASE=buffers LIMIT_N=40 refused_alone=1
	want='more than 15 items' log=host ;;
*) echo "unknown case $CASE" >&2; exit 1 ;;
esac
export LIMIT_CASE LIMIT_N

weston_start
vsomm_host_start "${host_args[@]}"
wait_for 10 grep -q 'listening on' "$VSOMM_HOST_LOG" || true
host_fds=$(fd_count "$VSOMM_HOST_PID")
export BUILD SRCDIR WESTON_SOCKET WESTON_PID VSOMM_HOST_PID
vsomm_err=$XDG_RUNTIME_DIR/vsomm.err
env "${vsomm_env[@]}" "$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- \
	bash "$SRCDIR/tests/limits/limits-app.sh" 2>"$vsomm_err" &
vsomm_pid=$!
harness_track "$vsomm_pid"
status=0
wait "$vsomm_pid" || status=$?
if ((status != 0)); then
	echo "FAIL: vsomm exited with $status" >&2
	harness_dump "$vsomm_err" "$VSOMM_HOST_LOG"
	exit 1
fi
logfile=$vsomm_err
[[ $log == host ]] && logfile=$VSOMM_HOST_LOG
lines=$(grep -Ec "$want" "$logfile" || true)
if ((lines != 1)); then
	echo "FAIL: $lines log lines match '$want' (want 1)" >&2
	harness_dump "$vsomm_err" "$VSOMM_HOST_LOG"
	exit 1
fi
grep -E "$want" "$logfile"
# vsomm ends the client whose shadow was refused (wl_shm has no per-buffer
# error), so only vsomm-host's log tells a refused blob from an ended context.
if ((refused_alone)) && grep -q 'context ended' "$VSOMM_HOST_LOG"; then
	echo "FAIL: vsomm-host ended a context instead of refusing the blob alone" >&2
	harness_dump "$VSOMM_HOST_LOG"
	exit 1
fi
echo "log ($log): $(wc -l <"$logfile") lines in all"
kill -0 "$VSOMM_HOST_PID" || { echo "FAIL: vsomm-host died" >&2; exit 1; }
if ! wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 5; then
	echo "FAIL: vsomm-host had $host_fds fds before vsomm, $(fd_count "$VSOMM_HOST_PID") after" >&2
	exit 1
fi
echo "ok: $CASE"
