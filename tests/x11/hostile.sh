#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Hostile X clients against vsomm's X window manager (hostile-x): absurd
# property sizes and types, invalid UTF-8 titles, WM_TRANSIENT_FOR loops,
# map/unmap in a tight loop, WM_NAME set 10 000 times per second.  The host
# is log-compositor, so the test sees what reaches it.  After each case:
#  - vsomm is still running;
#  - a witness X window (x11-client anim, a Present-paced animation) kept
#    committing frames on the host during the case, and still does;
#  - a new X client connects (xdpyinfo);
# and per case: every title and app_id the host got is valid UTF-8 (utf8,
# props), the invalid title arrives repaired (utf8), the last of 10 000
# names per second is the host's title in the end (nameflood); at the end,
# vsomm exits on SIGTERM.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/x11/lib.sh
source "$SRCDIR/tests/x11/lib.sh"
x11_need xdpyinfo
[[ -x $HOSTILE_X && -x $X11_CLIENT ]] || { echo "SKIP: no hostile-x/x11-client (libxcb)"; exit 77; }
SECONDS_PER_CASE=${HOSTILE_SECONDS:-3}

x11_log_start
x11_vsomm_start
d=$XDG_RUNTIME_DIR

x11_app vsomm "$d/witness.log" "$X11_CLIENT" anim --seconds 0 --size 160x120 --title "hostile witness"
witness_pid=$BG_PID
if ! x11_log_wait 'toplevel T[0-9]+ title .*hostile witness' 20; then
	harness_dump "$d/witness.log" "$X11_VSOMM_LOG"
	x11_result vsomm "hostile X clients (a witness window to watch)" fails "the witness window never became a toplevel"
	x11_exit
fi
WT=$(x11_toplevel 'hostile witness')
WS=$(x11_surface_of "$WT")

# commits of the witness surface, as log-compositor counts them now
witness_commits() {
	local n
	n=$(grep -c "commits $WS " "$X11_LOG" || true)
	x11_ctl "commits $WS"
	wait_for 5 eval "(( \$(grep -c 'commits $WS ' '$X11_LOG' || true) > $n ))" || true
	sed -n "s/^[0-9]* commits $WS \([0-9]*\)$/\1/p" "$X11_LOG" | tail -n 1
}

for case in ${HOSTILE_CASES:-props utf8 loops mapflood nameflood}; do
	before=$(witness_commits)
	from=$(($(wc -l <"$X11_LOG") + 1))
	start=$(date +%s%3N)
	status=0
	DISPLAY=$X11_DISPLAY timeout 120 "$HOSTILE_X" "$case" "$SECONDS_PER_CASE" >"$d/hostile-$case.log" 2>&1 || status=$?
	during=$(witness_commits)
	elapsed=$(($(date +%s%3N) - start))
	sleep 1
	after=$(witness_commits)
	tail -n 3 "$d/hostile-$case.log"
	echo "$case: ${elapsed} ms, witness commits $before -> $during -> $after"
	why=
	x11_vsomm_alive || why="vsomm exited"
	[[ -z $why ]] && ! kill -0 "$witness_pid" 2>/dev/null && why="the witness X client died"
	[[ -z $why ]] && ((${during:-0} - ${before:-0} < elapsed * 10 / 1000)) &&
		why="the witness drew $((${during:-0} - ${before:-0})) frames in ${elapsed} ms (< 10 per second)"
	[[ -z $why ]] && ((${after:-0} <= ${during:-0})) && why="the witness stopped drawing after the case"
	[[ -z $why ]] && ! DISPLAY=$X11_DISPLAY timeout 10 xdpyinfo >/dev/null 2>&1 && why="a new X client can not connect"
	[[ -z $why && $status != 0 ]] && why="hostile-x ended with status $status (the X server went away?)"
	if [[ -z $why ]] && tail -n "+$from" "$X11_LOG" | grep -Eq '(title|app_id)-utf8 invalid'; then
		why="invalid UTF-8 reached the host: $(tail -n "+$from" "$X11_LOG" | grep -E -B1 '(title|app_id)-utf8 invalid' | head -n 1 | cut -d' ' -f2-)"
	fi
	if [[ -z $why && $case == utf8 ]] &&
		! wait_for 5 eval "tail -n +$from '$X11_LOG' | grep -Eq 'title hostile-utf8 .* end$'"; then
		why="the invalid title never arrived (repaired) on the host"
	fi
	if [[ -z $why && $case == nameflood ]]; then
		nt=$(x11_toplevel 'nameflood')
		last=$(sed -n "s/^[0-9]* toplevel $nt title \(.*\)$/\1/p" "$X11_LOG" | tail -n 1)
		echo "nameflood: the host got $(grep -c "toplevel $nt title " "$X11_LOG" || true) titles; the last: $last"
		[[ $last == "nameflood final" ]] || why="the host's last title is '$last', not 'nameflood final'"
	fi
	if [[ -z $why ]]; then
		x11_result vsomm "hostile X: $case" works
	else
		harness_dump "$d/hostile-$case.log"
		x11_result vsomm "hostile X: $case" fails "$why"
	fi
done
# vsomm still serves its loop after the floods: SIGTERM ends it (an XWM that
# held the loop made the harness SIGKILL it).
if x11_vsomm_alive; then
	kill -TERM "$X11_VSOMM_PID"
	if wait_for 10 eval '! x11_vsomm_alive'; then
		x11_result vsomm "hostile X: exits on SIGTERM afterwards" works
	else
		x11_result vsomm "hostile X: exits on SIGTERM afterwards" fails "vsomm still runs 10 s after SIGTERM"
	fi
fi
x11_exit
