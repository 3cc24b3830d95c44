#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# proxy/window.h against a real Weston (tests/window/window-test.c):
#   window-weston.sh roles      headless Weston (tests/lib/weston.sh)
#   window-weston.sh roles-shadow  the same with shm shadows (vsomm's copy path)
#   window-weston.sh selection  Weston with a seat in Xvfb (tests/input/seat.sh),
#                               wl-copy/wl-paste on the host, xdotool clicks
#   window-weston.sh host-error|host-error-own  headless: the host ends the
#                               managed client with a protocol error
# Environment (meson): WINDOW_TEST, SCREENSHOT, SRCDIR.
set -euo pipefail
: "${WINDOW_TEST:?}" "${SCREENSHOT:?}" "${SRCDIR:?}"
CASE=${1:?usage: window-weston.sh roles|roles-shadow|selection|host-error|host-error-own}
export FIND_COLOR=$SRCDIR/tests/window/find-color.py

case $CASE in
roles | roles-shadow | host-error*)
	# shellcheck source=tests/lib/weston.sh
	source "$SRCDIR/tests/lib/weston.sh"
	weston_start
	;;
selection)
	# shellcheck source=tests/input/seat.sh
	source "$SRCDIR/tests/input/seat.sh"
	seat_need wl-copy wl-paste xdotool
	seat_start
	export DISPLAY=$SEAT_X_DISPLAY
	;;
*)
	echo "unknown case $CASE" >&2
	exit 2
	;;
esac
export WESTON_SOCKET SCREENSHOT
status=0
# WAYLAND_DEBUG: the requests vsomm sends the host, for the title check.
debug=${WINDOW_DEBUG:-}; [[ $CASE == roles* ]] && debug=client
WAYLAND_DEBUG=$debug "$WINDOW_TEST" "$CASE" 2>"$XDG_RUNTIME_DIR/window-test.log" || status=$?
if [[ $status != 0 ]]; then
	harness_dump "$XDG_RUNTIME_DIR/window-test.log" "$WESTON_LOG"
fi
# (host-error*: the error is the point of the test)
if [[ $CASE != host-error* ]] && grep -q "protocol error\|error [0-9]* on" "$XDG_RUNTIME_DIR/window-test.log"; then
	echo "FAIL: a host protocol error" >&2
	grep "error" "$XDG_RUNTIME_DIR/window-test.log" >&2
	status=1
fi
if [[ $CASE == roles* ]]; then
	# The prefixes of --title-prefix/--app-id-prefix, invalid UTF-8 replaced.
	if ! grep -q "xdg_toplevel@[0-9]*\.set_title(\"vm: xterm $(printf '\xe2\x98\x83') $(printf '\xef\xbf\xbd')!\")" \
		"$XDG_RUNTIME_DIR/window-test.log"; then
		echo "FAIL: no prefixed, repaired title on the host" >&2
		grep "set_title" "$XDG_RUNTIME_DIR/window-test.log" >&2 || true
		status=1
	else
		echo "ok: title on the host"
	fi
	if ! grep -q 'xdg_toplevel@[0-9]*\.set_app_id("vm.XTerm")' "$XDG_RUNTIME_DIR/window-test.log"; then
		echo "FAIL: no prefixed app_id on the host" >&2
		status=1
	else
		echo "ok: app_id on the host"
	fi
fi
exit $status
