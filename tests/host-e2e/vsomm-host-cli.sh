#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vsomm-host-cli: the command line and the life of the listening socket.
#   --help exits 0 and documents --listen; the socket is 0600; a second instance
#   on the same socket is refused; SIGTERM exits 0 and removes the socket.
# No compositor is needed: vsomm-host connects to it per guest context.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

bin=$BUILD/launcher/vsomm-host
harness_init

help=$XDG_RUNTIME_DIR/help.out
status=0
timeout 5 "$bin" --help >"$help" 2>&1 || status=$?
check "--help exits 0 (got $status)" test "$status" -eq 0
check "--help mentions --listen" grep -q -- '--listen' "$help"

status=0
timeout 5 "$bin" --no-such-option >/dev/null 2>&1 || status=$?
check "an unknown option is an error (got $status)" test "$status" -ne 0 -a "$status" -ne 124

VSOMM_COMPOSITOR=$XDG_RUNTIME_DIR/no-compositor-here
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
check "socket mode is 0600 (got $(stat -c %a "$VSOMM_HOST_SOCK"))" \
	test "$(stat -c %a "$VSOMM_HOST_SOCK")" = 600

status=0
timeout 5 "$bin" --listen "$VSOMM_HOST_SOCK" --compositor "$VSOMM_COMPOSITOR" \
	>"$XDG_RUNTIME_DIR/second.log" 2>&1 || status=$?
check "a second instance on the same socket is refused (got $status)" \
	test "$status" -ne 0 -a "$status" -ne 124
check "the first instance still runs" kill -0 "$VSOMM_HOST_PID"
check "the socket is still there" test -S "$VSOMM_HOST_SOCK"

kill -TERM "$VSOMM_HOST_PID"
status=0
# shellcheck disable=SC2016 # expanded by eval, at each try
if wait_for 5 eval '! kill -0 $VSOMM_HOST_PID 2>/dev/null'; then
	wait "$VSOMM_HOST_PID" || status=$?
	HARNESS_PIDS=()
else
	status="none: still running 5 s after SIGTERM"
fi
check "SIGTERM exits 0 (got $status)" test "$status" = 0
check "the socket is removed on exit" test ! -e "$VSOMM_HOST_SOCK"

if ((fails)); then
	harness_dump "$VSOMM_HOST_LOG" "$XDG_RUNTIME_DIR/second.log"
	exit 1
fi
