#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vhost-user-stall against a real vsomm-host (--vhost-user): a front-end that
# sends half a message and stalls, a socket-transport guest answered meanwhile,
# the front-end dropped after its timeout, vsomm-host's fd count back where it
# was (test-vhost-user-stall.c, VSOMM_HOST_PID mode).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

harness_init
# GET_CAPSET_INFO needs no compositor: vsomm-host connects to it per context.
VSOMM_COMPOSITOR=$XDG_RUNTIME_DIR/no-compositor.sock
export VSOMM_VHOST_USER_SOCK=$XDG_RUNTIME_DIR/vhost-user.sock
vsomm_host_start --vhost-user "$VSOMM_VHOST_USER_SOCK"
# shellcheck disable=SC2016 # expanded by eval, at each try
wait_for 10 eval '[[ -S $VSOMM_VHOST_USER_SOCK ]]' || {
	echo "FAIL: no vhost-user socket" >&2
	harness_dump "$VSOMM_HOST_LOG"
	exit 1
}
export VSOMM_HOST_PID VSOMM_HOST_SOCK

status=0
"$BUILD/tests/vhost-user/test-vhost-user-stall" || status=$?
if ((status != 0)); then
	harness_dump "$VSOMM_HOST_LOG"
fi
kill -0 "$VSOMM_HOST_PID" 2>/dev/null || { echo "FAIL: vsomm-host died" >&2; status=1; }
grep -F "half sent" "$VSOMM_HOST_LOG" || { echo "FAIL: vsomm-host did not log the drop" >&2; status=1; }
exit "$status"
