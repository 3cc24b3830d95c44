#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# host-check: `vsomm-host --check` (issue 16): against a headless Weston, the
# compositor reachable with its latency, its globals (count and names), the
# limits in force from --limit and the environment, exit 0 and no socket
# created; with the compositor gone, its FAIL line and exit 5.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

host=$BUILD/launcher/vsomm-host
weston_start
rt=$XDG_RUNTIME_DIR
# shellcheck source=tests/launcher/lines.sh
source "$SRCDIR/tests/launcher/lines.sh"

s=$(run_out "$rt/out" "$host" --help)
check "--help documents --check" has "$rt/out" '^ +--check '

s=$(VSOMM_HOST_LIMIT_PIPES=9 run_out "$rt/ok" "$host" --check --compositor "$WESTON_SOCKET" --limit items=100)
check "--check against Weston: 0 ($s)" test "$s" = 0
check "the compositor reachable, with the latency" has "$rt/ok" "^ok +compositor: $rt/$WESTON_SOCKET: wl_display.sync answered in [0-9]+\.[0-9] ms$"
n=$(WAYLAND_DISPLAY=$WESTON_SOCKET wayland-info | grep -c "^interface: ")
check "the globals: Weston's $n" has "$rt/ok" "^ok +globals: $n "
check "wl_compositor and xdg_wm_base among them" has "$rt/ok" '^ +(name/version: )?.*wl_compositor/[0-9]+.*'
check "xdg_wm_base among them" grep -qE '(^| )xdg_wm_base/[0-9]+' "$rt/ok"
check "the limits: --limit items=100" has "$rt/ok" '^ok +limits: .*items=100[,$]'
check "the limits: VSOMM_HOST_LIMIT_PIPES=9" has "$rt/ok" '^ok +limits: .*pipes=9[,$]'
check "the limits: the defaults marked" has "$rt/ok" '^ok +limits: blob-bytes=1073741824 \(default\)'
check "no listening socket created" test ! -e "$rt/vsomm-host.sock"
check "nothing on stderr" test ! -s "$rt/ok.err"
s=$(WAYLAND_DISPLAY=$WESTON_SOCKET run_out "$rt/out" "$host" --check)
check "--check with WAYLAND_DISPLAY: 0 ($s)" test "$s" = 0
s=$(run_out "$rt/out" env -u XDG_RUNTIME_DIR "$host" --check --compositor "$WESTON_SOCKET")
check "--check, no XDG_RUNTIME_DIR for a socket name: 4 ($s)" test "$s" = 4

stop_pid "$WESTON_PID" || true
s=$(run_out "$rt/down" "$host" --check --compositor "$WESTON_SOCKET")
check "--check, the compositor gone: 5 ($s)" test "$s" = 5
check "its line" has "$rt/down" "^FAIL +compositor: $rt/$WESTON_SOCKET: "
check "what to do" has "$rt/down" '^      start the host compositor'
check "the limits still shown" has "$rt/down" '^ok +limits: '

((fails == 0)) || { echo "$fails check(s) failed" >&2; exit 1; }
