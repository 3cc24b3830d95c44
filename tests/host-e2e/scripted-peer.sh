#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# scripted-peer: vsomm-host with a scripted compositor.  The compositor socket is
# served by test-scripted-peer itself (see its header); this wrapper gives it a
# private runtime dir and a vsomm-host whose --compositor points there.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

harness_init
# vsomm-host connects to the compositor per context, so the socket may appear
# after vsomm-host starts: test-scripted-peer binds it before opening a channel.
export VSOMM_PEER_SOCKET=$XDG_RUNTIME_DIR/scripted-peer.sock
VSOMM_COMPOSITOR=$VSOMM_PEER_SOCKET
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
export VSOMM_HOST_PID VSOMM_HOST_SOCK

status=0
"$BUILD/tests/host-e2e/test-scripted-peer" || status=$?
if ((status != 0)); then
	harness_dump "$VSOMM_HOST_LOG"
fi
kill -0 "$VSOMM_HOST_PID" 2>/dev/null || { echo "FAIL: vsomm-host died" >&2; status=1; }
exit "$status"
