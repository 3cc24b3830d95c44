#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Xwayland killed mid-session, and what vsomm(1) promises (proxy/xwm/
# xserver.c): the death is reported once, vsomm goes on serving (its APP and
# Wayland clients carry on), the X window's host toplevel goes away, and the
# next X client starts a new Xwayland whose windows show.  Host:
# log-compositor; a Wayland client (weston-simple-shm) of the same session
# keeps drawing throughout.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need weston-simple-shm
[[ -x $X11_CLIENT ]] || { echo "SKIP: no x11-client (libxcb)"; exit 77; }

x11_log_start
x11_vsomm_start
d=$XDG_RUNTIME_DIR

WAYLAND_DISPLAY=$X11_WAYLAND_DISPLAY seat_bg_start "$d/shm.log" weston-simple-shm
shm_pid=$BG_PID
x11_app vsomm "$d/x1.log" "$X11_CLIENT" window --title "before the crash"
x1_pid=$BG_PID
if ! x11_log_wait 'toplevel T[0-9]+ title .*before the crash' 20; then
	x11_result Xwayland "killed mid-session" fails "the first X window never became a toplevel"
	x11_exit
fi
T1=$(x11_toplevel 'before the crash')
xw=$(x11_xwayland_pid)
[[ -n $xw ]] || { x11_result Xwayland "killed mid-session" fails "no Xwayland child of vsomm"; x11_exit; }
shm_t=$(sed -n 's/^[0-9]* toplevel \(T[0-9]*\) title .*simple-shm.*/\1/p' "$X11_LOG" | tail -n 1)
shm_s=$(x11_surface_of "${shm_t:-T0}")
log_from=$(($(wc -l <"$X11_VSOMM_LOG") + 1))
echo "killing Xwayland (pid $xw)"
kill -KILL "$xw"
wait_for 10 eval '! kill -0 '"$xw"' 2>/dev/null' || true
sleep 1

if x11_vsomm_alive; then
	x11_result vsomm "stays up when Xwayland dies" works
else
	x11_result vsomm "stays up when Xwayland dies" fails "vsomm exited"
	harness_dump "$X11_VSOMM_LOG"
	x11_exit
fi
reports=$(tail -n "+$log_from" "$X11_VSOMM_LOG" | grep -i 'xwayland' | grep -E -i -c 'signal|kill|exit|died|status' || true)
tail -n "+$log_from" "$X11_VSOMM_LOG" | grep -i 'xwayland' | head -n 3 || true
if ((reports >= 1 && reports <= 2)); then
	x11_result vsomm "Xwayland's death reported once" works
else
	x11_result vsomm "Xwayland's death reported once" fails "$reports lines about it in vsomm's log"
fi
if x11_log_wait "toplevel $T1 destroyed" 10; then
	x11_result Xwayland "the dead server's windows leave the host" works
else
	x11_result Xwayland "the dead server's windows leave the host" fails "toplevel $T1 stays"
fi
stop_pid "$x1_pid" || true

x11_app vsomm "$d/x2.log" "$X11_CLIENT" window --title "after the crash"
if x11_log_wait 'toplevel T[0-9]+ title .*after the crash' 30; then
	xw2=$(x11_xwayland_pid)
	x11_result Xwayland "the next X client gets a new server" works "Xwayland $xw -> ${xw2:-?}"
else
	harness_dump "$d/x2.log" "$X11_VSOMM_LOG"
	x11_result Xwayland "the next X client gets a new server" fails "no window for the next X client"
fi
if [[ -n $shm_s ]] && kill -0 "$shm_pid" 2>/dev/null; then
	n1=$(grep -c "commits $shm_s " "$X11_LOG" || true)
	sleep 2
	n2=$(grep -c "commits $shm_s " "$X11_LOG" || true)
	if ((n2 > n1)); then
		x11_result vsomm "Wayland clients carry on when Xwayland dies" works
	else
		x11_result vsomm "Wayland clients carry on when Xwayland dies" fails "weston-simple-shm stopped committing"
	fi
else
	x11_result vsomm "Wayland clients carry on when Xwayland dies" fails "weston-simple-shm is gone"
fi
x11_exit
