#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# chromium as users start it (its default platform: X11) on a local page,
# under Weston's own X window manager (the reference), then through
# `vsomm --x11`, on the seat Weston.  The page is one colour with a box of
# another in it: the page's area must show through vsomm with the size it
# has under Weston's XWM, and the box inside at the same place.  --app mode
# (no tabs, no address bar), --no-sandbox (the tests run as root),
# --disable-gpu, a profile in the private runtime dir, no first-run UI.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
chrome=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chrome ]] || { echo "SKIP: chromium is not installed"; exit 77; }

PAGE=3a5f7d BOXC=c86428
x11_seat_start
page=$XDG_RUNTIME_DIR/page.html
cat >"$page" <<HTML
<!doctype html><html><head><title>vsomm chromium</title><style>
html, body { margin: 0; height: 100%; background: #$PAGE; overflow: hidden; }
div { position: absolute; left: 40px; top: 30px; width: 120px; height: 80px; background: #$BOXC; }
</style></head><body><div></div></body></html>
HTML

run() {
	local mode=$1 box inner
	x11_app "$mode" "$XDG_RUNTIME_DIR/chromium-$mode.log" "$chrome" --no-sandbox --disable-gpu \
		--user-data-dir="$XDG_RUNTIME_DIR/chromium-$mode" --no-first-run --no-default-browser-check \
		--disable-features=Translate,MediaRouter --password-store=basic --window-size=500,360 \
		--window-position=60,60 --app="file://$page"
	local pid=$BG_PID
	box=$(x11_stable_box "$XDG_RUNTIME_DIR/chromium-$mode.png" "$PAGE" 150) || {
		harness_dump "$XDG_RUNTIME_DIR/chromium-$mode.log"
		stop_pid "$pid" || true
		return 1
	}
	inner=$(python3 "$SHOT" find "$XDG_RUNTIME_DIR/chromium-$mode.png" "$BOXC") || inner="0 0 0 0"
	read -r x y w h <<<"$box"
	read -r ix iy iw ih <<<"$inner"
	printf -v "PAGE_$mode" '%s' "${w}x$h"
	printf -v "BOX_$mode" '%s' "$((ix - x)),$((iy - y)) ${iw}x$ih"
	echo "$mode: page at $box, box at $inner"
	stop_pid "$pid" || true
	x11_gone "$XDG_RUNTIME_DIR/gone.png" "$PAGE" || true
}

if ! run weston; then
	echo "FAIL: chromium shows no page under Weston's XWM: the harness is wrong" >&2
	exit 1
fi
x11_vsomm_start
if run vsomm; then
	x11_result chromium "window on the host (X11 platform)" works
	if [[ $PAGE_vsomm == "$PAGE_weston" && $BOX_vsomm == "$BOX_weston" ]]; then
		x11_result chromium "page as under Weston's XWM" works "page $PAGE_vsomm, box at $BOX_vsomm"
	else
		x11_result chromium "page as under Weston's XWM" fails "page $PAGE_vsomm, box at $BOX_vsomm; Weston's XWM: page $PAGE_weston, box at $BOX_weston"
	fi
else
	x11_result chromium "window on the host (X11 platform)" fails "no page on the host"
fi
x11_vsomm_alive || x11_result vsomm "stays up" fails "vsomm exited"
x11_exit
