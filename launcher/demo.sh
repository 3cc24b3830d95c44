#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The README's demo: installs what is missing of the build and runtime packages
# (Debian, as root; VSOMM_DEB_DEMO_PACKAGES in tests/lib/deps.sh), builds vsomm in
# ./build, and runs a Wayland app through vsomm:
#
#   host compositor: $WAYLAND_DISPLAY when it names a live compositor, else a
#                    headless Weston in a private runtime dir
#   vsomm-host       serves the virtio-gpu socket transport, connects each
#                    guest context to that compositor
#   vsomm APP        the guest side: vsomm-pattern (a test client of this tree)
#                    through the proxy and one cross-domain channel
#
# then takes a screenshot to ./vsomm-demo.png (needs a Weston run with --debug,
# as the headless one is) and stops everything it started.
set -euo pipefail

start_dir=$PWD
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
repo=$PWD
# shellcheck source=tests/lib/deps.sh
source tests/lib/deps.sh
# shellcheck source=tests/lib/weston.sh
source tests/lib/weston.sh

say() { printf '\n== %s\n' "$*"; }

say "dependencies"
# Build and runtime only; tests/run.sh installs what the tests need besides.
vsomm_install_deps "${VSOMM_DEB_DEMO_PACKAGES[@]}"

say "build (./build)"
BUILD=$repo/build
if [[ ! -f $BUILD/meson-private/coredata.dat ]]; then
	rm -rf "$BUILD"
	meson setup "$BUILD" --buildtype=debugoptimized
fi
ninja -C "$BUILD" launcher/vsomm launcher/vsomm-host tests/clients/vsomm-pattern tests/tools/vsomm-screenshot

# The host compositor: the caller's, if it is alive; else a private headless Weston.
compositor=
if [[ -n ${WAYLAND_DISPLAY:-} ]]; then
	if [[ $WAYLAND_DISPLAY == /* ]]; then
		compositor=$WAYLAND_DISPLAY
	else
		compositor=${XDG_RUNTIME_DIR:-/nonexistent}/$WAYLAND_DISPLAY
	fi
	if [[ -S $compositor ]] &&
		WAYLAND_DISPLAY=$compositor timeout 5 wayland-info >/dev/null 2>&1; then
		say "host compositor: yours, $compositor"
	else
		echo "WAYLAND_DISPLAY=$WAYLAND_DISPLAY is not a live compositor: starting a headless Weston"
		compositor=
	fi
fi

harness_init # private XDG_RUNTIME_DIR; everything below is stopped on exit
if [[ -z $compositor ]]; then
	WESTON_SOCKET=wayland-demo-host
	weston_start
	compositor=$XDG_RUNTIME_DIR/$WESTON_SOCKET
	say "host compositor: headless Weston (pid $WESTON_PID) on $compositor"
fi

VSOMM_COMPOSITOR=$compositor
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
say "vsomm-host (pid $VSOMM_HOST_PID) listening on $VSOMM_HOST_SOCK"

say "vsomm vsomm-pattern (a Wayland app through the proxy and a cross-domain channel)"
app_log=$XDG_RUNTIME_DIR/app.log
"$BUILD/launcher/vsomm" --title-prefix '[vsomm] ' "$BUILD/tests/clients/vsomm-pattern" \
	--timeout 120 >"$app_log" 2>&1 &
app_pid=$!
harness_track "$app_pid"
# shellcheck disable=SC2016 # expanded by eval, at each try
if ! wait_for 30 eval 'grep -q "^ready" "$app_log" || ! kill -0 $app_pid 2>/dev/null' ||
	! grep -q '^ready' "$app_log"; then
	harness_dump "$app_log" "$VSOMM_HOST_LOG"
	echo "demo: the app did not come up through vsomm" >&2
	exit 1
fi
echo "the app's window is up (pid $app_pid)"

status=0
shot=$start_dir/vsomm-demo.png
say "screenshot"
if [[ -x $BUILD/tests/tools/vsomm-screenshot ]] &&
	"$BUILD/tests/tools/vsomm-screenshot" --display "$compositor" -o "$shot"; then
	echo "screenshot: $shot"
else
	echo "no screenshot (the compositor must be a Weston run with --debug)"
	status=1
fi
say "stopping what the demo started"
exit $status
