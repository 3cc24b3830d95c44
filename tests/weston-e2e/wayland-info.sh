#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# wayland-info through vsomm lists Weston's globals and versions minus exactly
# the ones docs/protocols.md documents as hidden (check-protocols.py).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
command -v wayland-info >/dev/null 2>&1 || { echo "SKIP: wayland-info is not installed"; exit 77; }

weston_start
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
host_fds=$(fd_count "$VSOMM_HOST_PID")

direct=$XDG_RUNTIME_DIR/wayland-info.direct
through=$XDG_RUNTIME_DIR/wayland-info.vsomm
WAYLAND_DISPLAY=$WESTON_SOCKET timeout 20 wayland-info >"$direct" 2>&1
if ! timeout 30 "$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- wayland-info \
	>"$through" 2>"$through.err"; then
	echo "FAIL: wayland-info through vsomm failed" >&2
	harness_dump "$through" "$through.err" "$VSOMM_HOST_LOG"
	exit 1
fi
if grep -qi 'error' "$through.err"; then
	echo "FAIL: errors through vsomm" >&2
	harness_dump "$through.err"
	exit 1
fi
if ! python3 "$SRCDIR/tests/weston-e2e/check-protocols.py" "$SRCDIR" "$BUILD/protocols/forward-tables.json" "$direct" "$through"; then
	diff -u "$direct" "$through" >&2 || true
	exit 1
fi
if ! wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 3; then
	echo "FAIL: vsomm-host had $host_fds fds before, $(fd_count "$VSOMM_HOST_PID") after" >&2
	exit 1
fi
