#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The README's demo: installs what is missing (Debian, as root), builds vsomm in
# ./build, and shows a Wayland connection crossing the cross-domain channel:
#
#   host compositor: $WAYLAND_DISPLAY when it names a live compositor, else a
#                    headless Weston in a private runtime dir
#   vsomm-host       serves the virtio-gpu socket transport, connects each
#                    guest context to that compositor
#   xdomain-probe    a guest: lists the compositor's globals through one channel
#   vsomm <app>      (when the proxy is built) weston-simple-shm through vsomm
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
vsomm_install_deps

say "build (./build)"
BUILD=$repo/build
if [[ ! -f $BUILD/meson-private/coredata.dat ]]; then
	rm -rf "$BUILD"
	meson setup "$BUILD" --buildtype=debugoptimized
fi
ninja -C "$BUILD" launcher/vsomm-host tests/tools/xdomain-probe tests/tools/vsomm-screenshot
# The vsomm proxy, when its sources are there (proxy/ is in progress): optional.
ninja -C "$BUILD" build.ninja >/dev/null # regenerate first: the target list may be stale
all_targets=$(ninja -C "$BUILD" -t targets all 2>/dev/null | cut -d: -f1)
for t in launcher/vsomm proxy/vsomm; do
	if grep -qx "$t" <<<"$all_targets" && ! ninja -C "$BUILD" "$t"; then
		echo "demo: $t does not build yet: going on without it" >&2
		rm -f "$BUILD/$t"
	fi
done

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
	WESTON_SOCKET=wayland-vsomm-demo
	weston_start
	compositor=$XDG_RUNTIME_DIR/$WESTON_SOCKET
	say "host compositor: headless Weston (pid $WESTON_PID) on $compositor"
fi

VSOMM_COMPOSITOR=$compositor
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
say "vsomm-host (pid $VSOMM_HOST_PID) listening on $VSOMM_HOST_SOCK"

say "xdomain-probe: the compositor's globals, through one cross-domain channel"
if ! "$BUILD/tests/tools/xdomain-probe" --device "socket:$VSOMM_HOST_SOCK" \
	--expect wl_compositor --expect wl_shm; then
	harness_dump "$VSOMM_HOST_LOG"
	echo "demo: the probe failed" >&2
	exit 1
fi

vsomm=
for b in "$BUILD/launcher/vsomm" "$BUILD/proxy/vsomm"; do
	[[ -x $b ]] && vsomm=$b && break
done
if [[ -n $vsomm ]] && command -v weston-simple-shm >/dev/null 2>&1; then
	say "vsomm weston-simple-shm (a guest app through the proxy)"
	"$vsomm" weston-simple-shm >"$XDG_RUNTIME_DIR/app.log" 2>&1 &
	app_pid=$!
	harness_track "$app_pid"
	sleep 2
	if ! kill -0 "$app_pid" 2>/dev/null; then
		harness_dump "$XDG_RUNTIME_DIR/app.log" "$VSOMM_HOST_LOG"
		echo "demo: vsomm weston-simple-shm exited early" >&2
	fi
else
	say "the vsomm proxy is not built yet: no app window in this demo"
fi

shot=$start_dir/vsomm-demo.png
say "screenshot"
if [[ -x $BUILD/tests/tools/vsomm-screenshot ]] &&
	"$BUILD/tests/tools/vsomm-screenshot" --display "$compositor" -o "$shot"; then
	echo "screenshot: $shot"
else
	echo "no screenshot (the compositor must be a Weston run with --debug)"
fi
say "stopping what the demo started"
