#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What the host learns about X windows, read on the host side: vsomm
# (`--x11 --title-prefix --app-id-prefix`) and vsomm-host in front of
# log-compositor, which logs every xdg_toplevel request and configures on
# command.  X side: x11-client windows, xdotool and x11-client state.
#  - title from _NET_WM_NAME (UTF-8 kept), with the prefix; a live change;
#  - app_id from WM_CLASS, with the prefix;
#  - min/max size from WM_NORMAL_HINTS;
#  - WM_TRANSIENT_FOR → xdg_toplevel.set_parent;
#  - fullscreen asked by the X client (_NET_WM_STATE message) → set_fullscreen,
#    and the host's fullscreen configure → _NET_WM_STATE_FULLSCREEN and the
#    output's size on the X side; both back, the window's own size restored;
#  - the host's close → WM_DELETE_WINDOW;
#  - an override-redirect window → a child (popup or subsurface) of its
#    toplevel's surface at its X offset;
#  - server-side decorations asked for (the host offers xdg-decoration).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need xdotool xwininfo
[[ -x $X11_CLIENT ]] || { echo "SKIP: no x11-client (libxcb)"; exit 77; }

x11_log_start
x11_vsomm_start --title-prefix "[guest] " --app-id-prefix "guest."
d=$XDG_RUNTIME_DIR
X() { DISPLAY=$X11_DISPLAY "$@"; }

# want FEATURE REGEX [SECONDS]: a RESULT for a line of the host's log.
want() {
	if x11_log_wait "$2" "${3:-10}"; then
		x11_result x11-client "$1" works
	else
		x11_result x11-client "$1" fails "the host never saw /$2/"
	fi
}
# want_x FEATURE FILE REGEX [FROM]: a RESULT for a line of an X client's
# output (from line FROM on).
want_x() {
	if wait_for 10 eval "tail -n +${4:-1} '$2' | grep -Eq '$3'"; then
		x11_result x11-client "$1" works
	else
		x11_result x11-client "$1" fails "the X client never saw /$3/"
	fi
}

x11_app vsomm "$d/main.log" "$X11_CLIENT" window --title "props main héllo" --class props,X11Props \
	--size 300x200 --min 120x80 --max 800x600
main_pid=$BG_PID
wait_for 20 grep -q '^window 0x' "$d/main.log" || { harness_dump "$d/main.log"; exit 1; }
main=$(awk '/^window/ { print $2; exit }' "$d/main.log")
if ! x11_log_wait 'toplevel T[0-9]+ title .*props main' 20; then
	harness_dump "$X11_LOG" "$X11_VSOMM_LOG"
	x11_result x11-client "toplevel on the host" fails "no xdg_toplevel with the window's title"
	x11_exit
fi
x11_result x11-client "toplevel on the host" works
T=$(x11_toplevel 'props main')
S=$(x11_surface_of "$T")
echo "X window $main is host toplevel $T (surface $S)"
want "title (_NET_WM_NAME, UTF-8, --title-prefix)" "toplevel $T title \[guest\] props main h\\\\xc3\\\\xa9llo$"
want "app_id from WM_CLASS (--app-id-prefix)" "toplevel $T app_id guest\.(X11Props|props)$"
want "min size from WM_NORMAL_HINTS" "toplevel $T min 120x80$"
want "max size from WM_NORMAL_HINTS" "toplevel $T max 800x600$"

X xdotool set_window --name "props renamed" "$main"
want "title change while mapped" "toplevel $T title \[guest\] props renamed$"

if grep -Eq "toplevel $T decoration server" "$X11_LOG"; then
	x11_result x11-client "server-side decorations asked of the host" works
else
	x11_result x11-client "server-side decorations asked of the host" fails "no zxdg_toplevel_decoration_v1 in server mode"
fi

# transient
x11_app vsomm "$d/dialog.log" "$X11_CLIENT" window --title "props dialog" --transient-for "$main" --size 160x100
dialog_pid=$BG_PID
if x11_log_wait 'toplevel T[0-9]+ title .*props dialog' 20; then
	T2=$(x11_toplevel 'props dialog')
	want "WM_TRANSIENT_FOR as the toplevel's parent" "toplevel $T2 parent $T$"
else
	x11_result x11-client "WM_TRANSIENT_FOR as the toplevel's parent" fails "the dialog never became a toplevel"
fi
stop_pid "$dialog_pid" || true

# override-redirect child at its X offset from the toplevel
read -r ax ay < <(X xwininfo -id "$main" | awk '/Absolute upper-left X/ { x = $NF } /Absolute upper-left Y/ { y = $NF } END { print x, y }')
x11_app vsomm "$d/menu.log" "$X11_CLIENT" window --override-redirect "$((ax + 30)),$((ay + 50))" --size 90x60 --color c86428
menu_pid=$BG_PID
if x11_log_wait "(popup P[0-9]+ surface S[0-9]+ parent $S at 30,50 |subsurface S[0-9]+ position 30,50$)" 10; then
	x11_result x11-client "override-redirect window placed relative to its toplevel" works
else
	x11_result x11-client "override-redirect window placed relative to its toplevel" fails \
		"no popup/subsurface of $S at 30,50 (X root $ax,$ay + 30,50): $(grep -E 'popup|subsurface' "$X11_LOG" | tail -n 2 | tr '\n' ' ')"
fi
stop_pid "$menu_pid" || true

# fullscreen, asked by the X client and back
from=$(($(wc -l <"$d/main.log") + 1))
X "$X11_CLIENT" state "$main" add fullscreen
want "fullscreen asked by the X client (_NET_WM_STATE)" "toplevel $T fullscreen$"
want_x "fullscreen: the X window gets the output's size" "$d/main.log" "^configure $main 1024x640" "$from"
want_x "fullscreen: _NET_WM_STATE_FULLSCREEN set for the X client" "$d/main.log" "^state.*_NET_WM_STATE_FULLSCREEN" "$from"
from=$(($(wc -l <"$d/main.log") + 1))
X "$X11_CLIENT" state "$main" remove fullscreen
want "unfullscreen asked by the X client" "toplevel $T unfullscreen$"
want_x "unfullscreen: _NET_WM_STATE_FULLSCREEN removed" "$d/main.log" "^state( _NET_WM_STATE_(FOCUSED|MAXIMIZED_HORZ|MAXIMIZED_VERT))*$" "$from"
want_x "unfullscreen: the X window gets its size back" "$d/main.log" "^configure $main 300x200" "$from"

# fullscreen, configured by the host and back
from=$(($(wc -l <"$d/main.log") + 1))
x11_ctl "state $T fullscreen"
want_x "the host's fullscreen reaches _NET_WM_STATE" "$d/main.log" "^state.*_NET_WM_STATE_FULLSCREEN" "$from"
if wait_for 10 eval "tail -n +$from '$d/main.log' | grep -q '^configure $main 1024x640'" ||
	X xwininfo -id "$main" | grep -q -- '-geometry 1024x640'; then
	x11_result x11-client "the host's fullscreen size reaches the X window" works
else
	x11_result x11-client "the host's fullscreen size reaches the X window" fails "the X window is $(X xwininfo -id "$main" | awk '/-geometry/ { print $2 }')"
fi
from=$(($(wc -l <"$d/main.log") + 1))
x11_ctl "state $T none"
want_x "the host's unfullscreen reaches _NET_WM_STATE" "$d/main.log" "^state( _NET_WM_STATE_(FOCUSED|MAXIMIZED_HORZ|MAXIMIZED_VERT))*$" "$from"

# close from the host: WM_DELETE_WINDOW
x11_ctl "close $T"
if wait_for 10 grep -q "^deleted $main" "$d/main.log"; then
	x11_result x11-client "the host's close sends WM_DELETE_WINDOW" works
	want "the toplevel goes when the X window does" "toplevel $T destroyed"
else
	x11_result x11-client "the host's close sends WM_DELETE_WINDOW" fails "the X client got no WM_DELETE_WINDOW"
fi
stop_pid "$main_pid" || true
x11_vsomm_alive || x11_result vsomm "stays up" fails "vsomm exited"
x11_exit
