#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# registry-weston: a real headless Weston, vsomm-host, and xdomain-probe through
# the socket transport.  The globals Weston lists must come back through the
# channel, and vsomm-host must be back to its fd count once the probe is gone.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

weston_start
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start

before=$(fd_count "$VSOMM_HOST_PID")
out=$XDG_RUNTIME_DIR/probe.out
if ! "$BUILD/tests/tools/xdomain-probe" --device "socket:$VSOMM_HOST_SOCK" \
	--expect wl_compositor --expect wl_shm --expect xdg_wm_base >"$out" 2>&1; then
	cat "$out"
	echo "FAIL: xdomain-probe failed" >&2
	harness_dump "$VSOMM_HOST_LOG" "$WESTON_LOG"
	exit 1
fi
cat "$out"
grep -q 'interface=wl_output ' "$out" || { echo "FAIL: no wl_output listed" >&2; exit 1; }

if ! wait_fd_count "$VSOMM_HOST_PID" "$before" 2; then
	echo "FAIL: vsomm-host had $before fds before the probe, $(fd_count "$VSOMM_HOST_PID") after" >&2
	ls -l /proc/"$VSOMM_HOST_PID"/fd >&2 || true
	harness_dump "$VSOMM_HOST_LOG"
	exit 1
fi
kill -0 "$VSOMM_HOST_PID" || { echo "FAIL: vsomm-host died" >&2; exit 1; }
echo "ok: globals listed through the channel, vsomm-host fds $before → $(fd_count "$VSOMM_HOST_PID")"
