#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# signals: a stop signal ends everything vsomm started, however APP started it.
#   - a wrapper that does not exec (`sh -c 'APP; true'`): SIGTERM to vsomm ends
#     the real application too, and vsomm exits (this is what `timeout`, a
#     user's kill and a service manager's stop send: KillMode=mixed);
#   - a process that ignores SIGTERM: SIGKILL after --stop-timeout; a second
#     signal skips the rest of the grace period;
#   - a double-forking daemon (its own session): SIGTERM reaches it too; in
#     normal operation (APP exits by itself) vsomm still waits for it;
#   - a terminal (tmux): APP reads the terminal, and Ctrl-C ends APP, the
#     wrapper's child and vsomm with status 130;
#   - a bad --stop-timeout is a usage error.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
WESTON_SOCKET=wayland-host
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

vsomm=$BUILD/launcher/vsomm
weston_start
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
rt=$XDG_RUNTIME_DIR
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! alive "$1"; }
now_ms() { date +%s%3N; }

# start_vsomm ARGS...: vsomm in the background with SIGINT/SIGHUP at their
# defaults (bash gives background jobs SIGINT ignored); sets VPID.
start_vsomm() {
	env --default-signal=INT,HUP "$vsomm" "$@" >"$rt/vsomm.out" 2>&1 &
	VPID=$!
	harness_track "$VPID"
}
# wait_status PID SECONDS: s = its exit status, or "timeout" (then it is killed).
# (Not in a $(…) subshell: only this shell can wait for its children.)
wait_status() {
	local pid=$1
	s=0
	if ! wait_for "$2" gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		s=timeout
		return
	fi
	wait "$pid" || s=$?
}
# track_file FILE: the pid written in FILE, tracked for cleanup.
track_file() {
	local pid
	wait_for 10 test -s "$1" || { echo 0; return; }
	pid=$(cat "$1")
	harness_track "$pid"
	echo "$pid"
}

# --- a wrapper that does not exec: the real application ends too ---
rm -f "$rt/app.pid"
start_vsomm sh -c "sh -c 'echo \$\$ >$rt/app.pid; exec sleep 300'; true"
app=$(track_file "$rt/app.pid")
t0=$(now_ms)
kill -TERM "$VPID"
wait_status "$VPID" 10
check "wrapper: vsomm exits after SIGTERM, status 143 ($s)" test "$s" = 143
check "wrapper: the real application (pid $app) is gone" gone "$app"
check "wrapper: no grace period was needed ($(($(now_ms) - t0)) ms)" \
	test $(($(now_ms) - t0)) -lt 3000

# --- a process that ignores SIGTERM: SIGKILL after --stop-timeout ---
rm -f "$rt/app.pid"
start_vsomm --stop-timeout 1 sh -c "trap '' TERM; echo \$\$ >$rt/app.pid; while :; do sleep 0.2; done"
app=$(track_file "$rt/app.pid")
t0=$(now_ms)
kill -TERM "$VPID"
wait_status "$VPID" 10
t=$(($(now_ms) - t0))
check "ignores SIGTERM: vsomm exits with APP's SIGKILL status 137 ($s)" test "$s" = 137
check "ignores SIGTERM: after the 1 s grace period, not before ($t ms)" \
	test "$t" -ge 900 -a "$t" -lt 5000
check "ignores SIGTERM: APP (pid $app) is gone" gone "$app"

# VSOMM_STOP_TIMEOUT, and a second signal skips the rest of the grace period
rm -f "$rt/app.pid"
VSOMM_STOP_TIMEOUT=30 start_vsomm sh -c "trap '' TERM INT; echo \$\$ >$rt/app.pid; while :; do sleep 0.2; done"
app=$(track_file "$rt/app.pid")
kill -TERM "$VPID"
sleep 0.5
check "VSOMM_STOP_TIMEOUT=30: still in the grace period after 0.5 s" alive "$app"
t0=$(now_ms)
kill -INT "$VPID"
wait_status "$VPID" 10
check "second signal: SIGKILL at once, status 137 ($s, $(($(now_ms) - t0)) ms)" \
	test "$s" = 137 -a $(($(now_ms) - t0)) -lt 3000

# --- a double-forking daemon ---
rm -f "$rt/daemon.pid"
start_vsomm sh -c "setsid sh -c 'echo \$\$ >$rt/daemon.pid; exec sleep 300' & sleep 300"
daemon=$(track_file "$rt/daemon.pid")
check "daemon: in a session of its own ($(ps -o sid= -p "$daemon" | tr -d ' ') vs vsomm's $(ps -o sid= -p "$VPID" | tr -d ' '))" \
	test "$(ps -o sid= -p "$daemon")" != "$(ps -o sid= -p "$VPID")"
kill -TERM "$VPID"
wait_status "$VPID" 10
check "daemon: vsomm exits after SIGTERM, status 143 ($s)" test "$s" = 143
check "daemon: the daemon (pid $daemon) got the signal too" gone "$daemon"

# normal operation: APP exits, its daemon keeps running and vsomm waits for it
rm -f "$rt/daemon.done"
start_vsomm sh -c "setsid sh -c 'sleep 1; touch $rt/daemon.done' &"
wait_status "$VPID" 10
check "daemon outliving APP: vsomm waited for it (status $s)" \
	test "$s" = 0 -a -e "$rt/daemon.done"

# --- usage ---
s=0
"$vsomm" --stop-timeout soon true >"$rt/out" 2>&1 || s=$?
check "bad --stop-timeout: 1 ($s)" test "$s" = 1
s=0
VSOMM_STOP_TIMEOUT=-1 "$vsomm" true >"$rt/out" 2>&1 || s=$?
check "bad VSOMM_STOP_TIMEOUT: 1 ($s)" test "$s" = 1

# --- a terminal: APP reads it, Ctrl-C ends everything ---
if ! command -v tmux >/dev/null; then
	echo "FAIL: tmux is not installed (tests/lib/deps.sh lists it)" >&2
	exit 1
fi
tmux_sock=$rt/tmux.sock
tmux_run() { tmux -S "$tmux_sock" "$@"; }
# The session's shell runs vsomm in its foreground, as a user's shell does.
tmux_run -f /dev/null new-session -d -x 120 -y 30 -s signals \
	"env XDG_RUNTIME_DIR=$rt PATH=$PATH bash --norc --noprofile"
tmux_pid=$(tmux_run display-message -p '#{pid}')
harness_track "$tmux_pid"
rm -f "$rt/line" "$rt/app.pid" "$rt/status"
tmux_run send-keys -t signals "$vsomm sh -c 'read -r line; echo \"\$line\" >$rt/line'; echo \"status=\$?\" >$rt/status" Enter
sleep 1
tmux_run send-keys -t signals "typed-into-app" Enter
wait_for 10 test -s "$rt/status" || true
check "terminal: APP read the line typed into it ($(cat "$rt/line" 2>/dev/null))" \
	grep -qx typed-into-app "$rt/line"
check "terminal: vsomm exited 0 ($(cat "$rt/status" 2>/dev/null))" grep -qx status=0 "$rt/status"

rm -f "$rt/status"
tmux_run send-keys -t signals "$vsomm sh -c 'sh -c \"echo \\\$\\\$ >$rt/app.pid; exec sleep 300\"; true'; echo \"status=\$?\" >$rt/status" Enter
app=$(track_file "$rt/app.pid")
tmux_run send-keys -t signals C-c
wait_for 10 test -s "$rt/status" || true
check "terminal: Ctrl-C ends vsomm with status 130 ($(cat "$rt/status" 2>/dev/null))" \
	grep -qx status=130 "$rt/status"
check "terminal: the wrapper's application (pid $app) is gone" gone "$app"
tmux_run kill-server || true

if ((fails)); then
	echo "$fails check(s) failed; vsomm's last output:" >&2
	cat "$rt/vsomm.out" >&2 || true
	exit 1
fi
echo "all signal checks passed"
