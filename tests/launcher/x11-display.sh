#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# x11-display: vsomm --x11 as users meet it, without looking at X windows
# (tests/x11/ does that): the X display vsomm claims, DISPLAY in APP, the
# lock file and sockets on every way out, lazy start of Xwayland, Xwayland
# dying mid-session, and the errors (display in use, bad Xwayland, bad
# options).  Needs a headless Weston, vsomm-host, Xwayland and xdpyinfo.
#
# /tmp is shared with whatever else runs on the machine: the automatic
# display number is whatever is free (checked, not assumed), and the tests
# that need a given number take one from :600 up that nothing uses.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
WESTON_SOCKET=wayland-host
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

for tool in Xwayland xdpyinfo; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool is not installed" >&2; exit 77; }
done
vsomm=$BUILD/launcher/vsomm
weston_start
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
rt=$XDG_RUNTIME_DIR
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! alive "$1"; }

# The display's three traces: lock, socket, abstract socket.
lock_of() { echo "/tmp/.X$1-lock"; }
sock_of() { echo "/tmp/.X11-unix/X$1"; }
abstract_up() { grep -q " @/tmp/.X11-unix/X$1\$" /proc/net/unix; }
# traces_gone N: no lock, no sockets.  Another server (of another test on
# this machine) may claim a number as soon as it is free: a lock that holds
# another live pid than vsomm's is that server's, and so are the sockets.
traces_gone() {
	local owner
	owner=$(tr -d ' \n' <"$(lock_of "$1")" 2>/dev/null) || owner=
	if [[ -n $owner ]] && ((owner != VPID)) && kill -0 "$owner" 2>/dev/null; then
		return 0
	fi
	[[ ! -e $(lock_of "$1") && ! -e $(sock_of "$1") ]] && ! abstract_up "$1"
}
# lock_is N PID: the lock holds PID as X servers write it ("%10d\n")
lock_is() { [[ $(cat "$(lock_of "$1")" 2>/dev/null) == "$(printf '%10d' "$2")" ]]; }
# A display number nothing uses, from :600 up (beyond the automatic range).
free_display() {
	local n=${1:-600}
	while [[ -e $(lock_of "$n") || -e $(sock_of "$n") ]] || abstract_up "$n"; do
		n=$((n + 1))
	done
	echo "$n"
}
# Xwayland's pid: vsomm's child (empty when none runs).
xwayland_of() { pgrep -P "$1" -x Xwayland || true; }
no_xwayland() { [[ -z $(xwayland_of "$1") ]]; }
xclient() { DISPLAY=:$1 timeout 20 xdpyinfo >/dev/null 2>"$rt/xdpyinfo.err"; }
# reports WHAT: how many times vsomm's log says WHAT
reports() { grep -c "$1" "$rt/vsomm.out" || true; }

# start_vsomm ARGS...: vsomm in the background; sets VPID.
start_vsomm() {
	"$vsomm" "$@" >"$rt/vsomm.out" 2>&1 &
	VPID=$!
	harness_track "$VPID"
}
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
# APP that tells its DISPLAY and waits to be ended.
waiting_app=(sh -c 'echo "$DISPLAY" >"$0.tmp" && mv "$0.tmp" "$0"; exec sleep 300' "$rt/display")
started_display() {
	wait_for 10 test -s "$rt/display" || { echo none; return; }
	tr -d ':\n' <"$rt/display"
}

# --- the automatic display: DISPLAY in APP, lock and sockets, lazy start ---
rm -f "$rt/display"
start_vsomm --x11 "${waiting_app[@]}"
n=$(started_display)
check "APP gets DISPLAY=:N ($n)" test "$n" != none
[[ $n != none ]] || { harness_dump "$rt/vsomm.out"; exit 1; }
check ":$n: /tmp/.X$n-lock holds vsomm's pid as 10 chars + newline" lock_is "$n" "$VPID"
check ":$n: /tmp/.X11-unix/X$n is a socket" test -S "$(sock_of "$n")"
check ":$n: the abstract socket @/tmp/.X11-unix/X$n listens" abstract_up "$n"
check "/tmp/.X11-unix is sticky and world-writable" \
	test "$(stat -c %a /tmp/.X11-unix)" = 1777
sleep 0.5
check "lazy: no Xwayland before the first X client" no_xwayland "$VPID"
fds_idle=$(fd_count "$VPID")
check "the first X client (xdpyinfo) is served" xclient "$n"
xw=$(xwayland_of "$VPID")
check "one Xwayland runs now (pid ${xw:-none})" test -n "$xw"
check "Xwayland's command line" \
	grep -qE "^Xwayland :$n -rootless -noreset -nolisten tcp -listenfd [0-9]+ -listenfd [0-9]+ -wm [0-9]+ -displayfd [0-9]+$" \
	<(tr '\0' ' ' <"/proc/$xw/cmdline" | sed 's/ $//')
check "Xwayland is in a session of its own, not APP's" \
	test "$(ps -o sid= -p "$xw" | tr -d ' ')" = "$xw"
check "a second X client is served by the same Xwayland" xclient "$n"
check "... (still pid $xw)" test "$(xwayland_of "$VPID")" = "$xw"

# --- Xwayland killed mid-session: reported once, the next client starts another ---
kill -KILL "$xw"
wait_for 10 no_xwayland "$VPID" || true
sleep 0.3
check "Xwayland killed: vsomm and APP carry on" alive "$VPID"
check "Xwayland killed: reported once" \
	test "$(reports "Xwayland (pid $xw) was killed by signal 9")" = 1
check "Xwayland killed: back to listening, no Xwayland until the next client" no_xwayland "$VPID"
check "Xwayland killed: vsomm's fds back to their idle count ($fds_idle)" \
	wait_fd_count "$VPID" "$fds_idle" 5
check "Xwayland killed: the next X client is served" xclient "$n"
xw2=$(xwayland_of "$VPID")
check "Xwayland killed: ... by a new Xwayland (${xw2:-none}, was $xw)" \
	test -n "$xw2" -a "$xw2" != "$xw"

# --- a second vsomm skips the live display ---
rm -f "$rt/display2"
"$vsomm" --x11 sh -c 'echo "$DISPLAY" >"$0"' "$rt/display2" >"$rt/vsomm2.out" 2>&1 &
v2=$!
harness_track "$v2"
wait_status "$v2" 20
check "a second vsomm --x11 runs (status $s)" test "$s" = 0
check "a second vsomm --x11 takes another display ($(cat "$rt/display2" 2>/dev/null), not :$n)" \
	test "$(tr -d '\n' <"$rt/display2" 2>/dev/null)" != ":$n" -a -s "$rt/display2"

# --- SIGTERM: status 143, Xwayland stopped, lock and sockets gone ---
kill -TERM "$VPID"
wait_status "$VPID" 20
check "SIGTERM: vsomm exits with 143 ($s)" test "$s" = 143
check "SIGTERM: Xwayland ($xw2) is gone" gone "$xw2"
check "SIGTERM: lock and sockets of :$n are gone" traces_gone "$n"
check "SIGTERM: Xwayland ended without a fatal error (no server reset)" \
	eval "! grep -q 'Fatal server error' $rt/vsomm.out"

# --- APP exits (while Xwayland runs): vsomm exits at once, all gone ---
t0=$(date +%s%3N)
start_vsomm --x11 sh -c 'xdpyinfo >/dev/null && pgrep -P "$PPID" -x Xwayland >"$0"; echo "$DISPLAY" >"$0.display"' "$rt/xw.pid"
wait_status "$VPID" 30
t=$(($(date +%s%3N) - t0))
check "APP exits: vsomm exits with APP's status 0 ($s)" test "$s" = 0
check "APP exits: Xwayland did not keep vsomm alive ($t ms)" test "$t" -lt 8000
xw=$(cat "$rt/xw.pid" 2>/dev/null || echo 0)
n=$(tr -d ':\n' <"$rt/xw.pid.display" 2>/dev/null || echo 0)
check "APP exits: Xwayland ran (pid $xw) and is gone" test "$xw" -gt 0 -a ! -e "/proc/$xw"
check "APP exits: lock and sockets of :$n are gone" traces_gone "$n"
check "APP exits: nothing reported at error level" eval "! grep -q ' error \\[' $rt/vsomm.out"

# --- APP leaves a daemon: vsomm waits for it, and for it only (not for Xwayland) ---
t0=$(date +%s%3N)
start_vsomm --x11 sh -c 'xdpyinfo >/dev/null && setsid sleep 2 </dev/null >/dev/null 2>&1 & sleep 0.5'
wait_status "$VPID" 30
t=$(($(date +%s%3N) - t0))
check "daemon left running: vsomm exits with 0 ($s)" test "$s" = 0
check "daemon left running: vsomm waited for it, then exited ($t ms, 2000 to 8000)" \
	test "$t" -ge 2000 -a "$t" -lt 8000

# --- APP crashes: 128+11, all gone ---
start_vsomm --x11 sh -c 'xdpyinfo >/dev/null; pgrep -P "$PPID" -x Xwayland >"$0.xw"; echo "$DISPLAY" >"$0"; kill -SEGV $$' "$rt/display"
wait_status "$VPID" 30
n=$(tr -d ':\n' <"$rt/display" 2>/dev/null || echo 0)
check "APP crashes: vsomm exits with 139 ($s)" test "$s" = 139
check "APP crashes: lock and sockets of :$n are gone" traces_gone "$n"
xw=$(cat "$rt/display.xw" 2>/dev/null || echo 0)
check "APP crashes: Xwayland ran (pid $xw) and is gone" test "$xw" -gt 0 -a ! -e "/proc/$xw"

# --- --display N with a stale lock (dead pid) and a stale socket: taken over ---
k=$(free_display)
sh -c 'exit 0' &
dead=$!
wait "$dead"
printf '%10d\n' "$dead" >"$(lock_of "$k")"
: >"$(sock_of "$k")"
rm -f "$rt/display"
start_vsomm --x11 --display "$k" "${waiting_app[@]}"
check "stale lock of :$k: taken over (DISPLAY=:$(started_display))" test "$(started_display)" = "$k"
check "stale lock of :$k: now holds vsomm's pid" lock_is "$k" "$VPID"
check "stale socket of :$k: replaced by a listening one" test -S "$(sock_of "$k")"
check "stale lock of :$k: X clients are served" xclient "$k"

# --- --display N in use (a live lock): a clear error, status 2, the lock left alone ---
"$vsomm" --x11 --display "$k" true >"$rt/inuse.out" 2>&1 && s=0 || s=$?
check "--display $k in use: status 2 ($s)" test "$s" = 2
check "--display $k in use: says so" grep -q "X display :$k is in use" "$rt/inuse.out"
check "--display $k in use: one line on stderr" test "$(wc -l <"$rt/inuse.out")" = 1
check "--display $k in use: the owner's lock and socket are untouched" \
	eval "lock_is $k $VPID && test -S $(sock_of "$k")"
kill -TERM "$VPID"
wait_status "$VPID" 20
check "--display $k: lock and sockets gone after SIGTERM" traces_gone "$k"

# a live lock of another program (no socket): skipped the same way
k=$(free_display)
sleep 300 &
holder=$!
harness_track "$holder"
printf '%10d\n' "$holder" >"$(lock_of "$k")"
"$vsomm" --x11 --display "$k" true >"$rt/inuse.out" 2>&1 && s=0 || s=$?
check "live lock of pid $holder on :$k: status 2 ($s)" test "$s" = 2
check "live lock on :$k: left alone" lock_is "$k" "$holder"
rm -f "$(lock_of "$k")"
kill "$holder"

# --- --serve --x11: the display for any client, until SIGTERM ---
k=$(free_display)
start_vsomm --serve --x11 --display ":$k" --socket wayland-x11-serve
wait_for 10 test -S "$(sock_of "$k")" || true
check "--serve --x11: :$k is served" xclient "$k"
xw=$(xwayland_of "$VPID")
kill -TERM "$VPID"
wait_status "$VPID" 20
check "--serve --x11: SIGTERM, status 0 ($s)" test "$s" = 0
check "--serve --x11: Xwayland (${xw:-none}) is gone" test -n "$xw" -a ! -e "/proc/${xw:-0}"
check "--serve --x11: lock and sockets gone" traces_gone "$k"

# --- stopping: an X client during the grace period starts no Xwayland ---
# (APP ignores SIGTERM, so vsomm waits for --stop-timeout before SIGKILL; an
# Xwayland started then would be killed, or lose its Wayland connection, while
# it starts: "could not connect to wayland server / Couldn't add screen")
rm -f "$rt/display"
start_vsomm --x11 --stop-timeout 3 sh -c 'trap "" TERM; echo "$DISPLAY" >"$0.tmp" && mv "$0.tmp" "$0"; while :; do sleep 1; done' "$rt/display"
n=$(started_display)
kill -TERM "$VPID"
sleep 0.5
DISPLAY=:$n timeout 10 xdpyinfo >/dev/null 2>&1 && s=0 || s=$?
check "stopping: an X client is turned away, at once (xdpyinfo status $s)" test "$s" = 1
check "stopping: no Xwayland started" no_xwayland "$VPID"
wait_status "$VPID" 20
check "stopping: vsomm exits after the grace period (status $s)" test "$s" != timeout
check "stopping: no Xwayland failed to start" \
	eval "! grep -qi 'could not connect to wayland server\\|Couldn.t add screen' $rt/vsomm.out"
check "stopping: lock and sockets of :$n are gone" traces_gone "$n"

# --- an Xwayland that dies before it is ready: reported once, no restart loop ---
cat >"$rt/bad-xwayland" <<-'EOF'
	#!/bin/sh
	exit 3
EOF
chmod +x "$rt/bad-xwayland"
k=$(free_display)
rm -f "$rt/display"
start_vsomm --x11 --display "$k" --xwayland "$rt/bad-xwayland" "${waiting_app[@]}"
started_display >/dev/null
DISPLAY=:$k timeout 10 xdpyinfo >/dev/null 2>&1 && s=0 || s=$?
check "Xwayland exits 3 at once: the X client fails, not hangs (status $s)" test "$s" = 1
sleep 1
check "Xwayland exits 3 at once: reported once" \
	test "$(reports "exited with status 3 before it was ready")" = 1
check "Xwayland exits 3 at once: vsomm carries on" alive "$VPID"
DISPLAY=:$k timeout 10 xdpyinfo >/dev/null 2>&1 || true
check "Xwayland exits 3 at once: the next client tries a new one (2 reports)" \
	test "$(reports "exited with status 3 before it was ready")" = 2
kill -TERM "$VPID"
wait_status "$VPID" 20
check "Xwayland exits 3 at once: lock and sockets gone after SIGTERM" traces_gone "$k"

# --- errors at start ---
expect() { # expect STATUS PATTERN ARGS...: vsomm ARGS exits with STATUS, saying PATTERN
	local want=$1 pattern=$2
	shift 2
	"$vsomm" "$@" >"$rt/err.out" 2>&1 && s=0 || s=$?
	check "vsomm $*: status $want ($s)" test "$s" = "$want"
	check "vsomm $*: says '$pattern'" grep -q -- "$pattern" "$rt/err.out"
}
k=$(free_display)
expect 6 "/nonexistent/Xwayland: command not found" --x11 --display "$k" --xwayland /nonexistent/Xwayland true
check "bad --xwayland: no lock left for :$k" traces_gone "$k"
printf '#!/bin/sh\n' >"$rt/not-executable"
chmod 0644 "$rt/not-executable"
expect 6 "not executable" --x11 --xwayland "$rt/not-executable" true
VSOMM_XWAYLAND=/nonexistent expect 6 "/nonexistent: command not found" --x11 true
expect 1 "go with --x11" --display 5 true
expect 1 "bad X display 'x5'" --x11 --display x5 true
expect 1 "bad X display '70000'" --x11 --display 70000 true
"$vsomm" --help >"$rt/help.out"
check "--help shows --x11, --display, --xwayland and status 6" \
	eval "grep -q -- '--x11' $rt/help.out && grep -q -- '--display N' $rt/help.out && grep -q -- '--xwayland PATH' $rt/help.out && grep -q '6 Xwayland' $rt/help.out"
# VSOMM_X11=1 is --x11
VSOMM_X11=1 "$vsomm" sh -c 'echo "$DISPLAY" >"$0"' "$rt/envx" >"$rt/err.out" 2>&1 || true
check "VSOMM_X11=1: APP gets DISPLAY ($(cat "$rt/envx" 2>/dev/null))" grep -q '^:[0-9]' "$rt/envx"

if ((fails)); then
	harness_dump "$rt/vsomm.out"
	exit 1
fi
