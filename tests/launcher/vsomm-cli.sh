#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vsomm-cli: vsomm as users meet it, against a headless Weston and vsomm-host.
#   Every exit status of vsomm(1): APP's own, 128+signal, 1 usage, 2 socket in use,
#   3 no device, 4 no XDG_RUNTIME_DIR, 5 vsomm-host cannot reach the compositor,
#   126/127; signal forwarding; the socket and its .lock gone after a normal exit
#   and after SIGTERM; a stale socket replaced; an app whose child connects after
#   the app exited; VSOMM_* environment; --trace.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
WESTON_SOCKET=wayland-host # not wayland-vsomm-*: those are vsomm's, checked below
source "$SRCDIR/tests/lib/weston.sh"

vsomm=$BUILD/launcher/vsomm
pattern=$BUILD/tests/clients/vsomm-pattern
weston_start
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
rt=$XDG_RUNTIME_DIR
# run_status OUTFILE CMD...: run with a timeout, print the exit status
run_status() {
	local out=$1 status=0
	shift
	timeout 60 "$@" >"$out" 2>&1 || status=$?
	echo "$status"
}
no_vsomm_files() { ! compgen -G "$rt/wayland-vsomm-*" >/dev/null; }
one_line() { [[ $(wc -l <"$1") -eq 1 ]]; }

# --- options ---
s=$(run_status "$rt/help" "$vsomm" --help)
check "--help exits 0 ($s)" test "$s" = 0
check "--help documents the exit codes and --serve" grep -q -- '--serve' "$rt/help"
s=$(run_status "$rt/version" "$vsomm" --version)
check "--version exits 0 and names the version ($s)" grep -q '^vsomm [0-9]' "$rt/version"
s=$(run_status "$rt/out" "$vsomm" --no-such-option true)
check "unknown option: 1 ($s)" test "$s" = 1
s=$(run_status "$rt/out" "$vsomm")
check "no APP: 1 ($s)" test "$s" = 1
s=$(run_status "$rt/out" "$vsomm" --log-level loud true)
check "bad --log-level: 1 ($s)" test "$s" = 1
s=$(run_status "$rt/out" env VSOMM_LOG_LEVEL=loud "$vsomm" true)
check "bad VSOMM_LOG_LEVEL: 1 ($s)" test "$s" = 1

# --- APP's status ---
s=$(run_status "$rt/out" "$vsomm" true)
check "APP's status 0 ($s)" test "$s" = 0
s=$(run_status "$rt/out" "$vsomm" sh -c 'exit 7')
check "APP's status 7 ($s)" test "$s" = 7
s=$(run_status "$rt/out" "$vsomm" sh -c 'kill -KILL $$')
check "APP killed by SIGKILL: 137 ($s)" test "$s" = 137
s=$(run_status "$rt/out" "$vsomm" sh -c 'test "$WAYLAND_DISPLAY" = wayland-vsomm-0 && test -S "$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY"')
check "APP sees WAYLAND_DISPLAY=wayland-vsomm-0, a live socket ($s)" test "$s" = 0
s=$(run_status "$rt/out" "$vsomm" "$pattern" --timeout 0.5)
check "a Wayland client through vsomm exits 0 ($s)" test "$s" = 0
check "no socket or lock left after a normal exit" no_vsomm_files

# --- vsomm's own errors: one line each, distinct codes ---
s=$(run_status "$rt/out" "$vsomm" no-such-app-vsomm)
check "APP not found: 127 ($s)" test "$s" = 127
check "APP not found: one line" one_line "$rt/out"
printf 'x\n' >"$rt/not-exec"
s=$(run_status "$rt/out" "$vsomm" "$rt/not-exec")
check "APP not executable: 126 ($s)" test "$s" = 126
s=$(run_status "$rt/out" env -u XDG_RUNTIME_DIR "$vsomm" true)
check "no XDG_RUNTIME_DIR: 4 ($s)" test "$s" = 4
check "no XDG_RUNTIME_DIR: one line" one_line "$rt/out"
s=$(run_status "$rt/out" "$vsomm" --device "socket:$rt/nobody.sock" true)
check "no device: 3 ($s)" test "$s" = 3
check "no device: one line" one_line "$rt/out"
mkdir -p "$rt/empty"
s=$(run_status "$rt/out" env XDG_RUNTIME_DIR="$rt/empty" "$vsomm" true)
check "no vsomm-host on the default socket: 3 ($s)" test "$s" = 3
check "... says so" grep -q 'no vsomm-host' "$rt/out"
s=$(run_status "$rt/out" env VSOMM_DEVICE="socket:$rt/nobody.sock" "$vsomm" true)
check "VSOMM_DEVICE is used: 3 ($s)" test "$s" = 3

# vsomm-host without a compositor: the device answers, the compositor does not
"$BUILD/launcher/vsomm-host" --listen "$rt/lonely.sock" --compositor "$rt/no-compositor" \
	>"$rt/lonely.log" 2>&1 &
lonely=$!
harness_track "$lonely"
wait_for 10 test -S "$rt/lonely.sock"
s=$(run_status "$rt/out" "$vsomm" --device "socket:$rt/lonely.sock" true)
check "vsomm-host cannot reach the compositor: 5 ($s)" test "$s" = 5
check "... one line" one_line "$rt/out"
check "... APP never ran, no socket left" no_vsomm_files

# socket name in use: a live vsomm holds it
"$vsomm" --socket wayland-vsomm-held sleep 60 >"$rt/held.log" 2>&1 &
held=$!
harness_track "$held"
wait_for 10 test -S "$rt/wayland-vsomm-held"
s=$(run_status "$rt/out" "$vsomm" --socket wayland-vsomm-held true)
check "socket name in use: 2 ($s)" test "$s" = 2
check "... one line" one_line "$rt/out"
check "... the holder's socket is still there" test -S "$rt/wayland-vsomm-held"
s=$(run_status "$rt/out" "$vsomm" --socket wayland-vsomm-other sh -c 'test "$WAYLAND_DISPLAY" = wayland-vsomm-other')
check "--socket NAME is APP's WAYLAND_DISPLAY ($s)" test "$s" = 0

# --- signals: SIGTERM to vsomm reaches APP; vsomm exits 128+15 and cleans up ---
"$vsomm" sh -c 'trap "echo got-term >$XDG_RUNTIME_DIR/term; exit 42" TERM; echo up >$XDG_RUNTIME_DIR/up; while :; do sleep 0.1; done' &
pid=$!
harness_track "$pid"
wait_for 10 test -e "$rt/up"
kill -TERM "$pid"
s=0
wait "$pid" || s=$?
check "SIGTERM forwarded: APP's trap ran and vsomm exits with its status 42 ($s)" \
	test "$s" = 42 -a -e "$rt/term"
# (under nohup SIGHUP is ignored, and APP inherits that: give it the default)
env --default-signal=HUP "$vsomm" sleep 60 &
pid=$!
harness_track "$pid"
wait_for 10 test -S "$rt/wayland-vsomm-0"
kill -HUP "$pid"
s=0
wait "$pid" || s=$?
check "SIGHUP forwarded: APP killed by it, vsomm exits 129 ($s)" test "$s" = 129
# (bash starts background jobs with SIGINT ignored; vsomm and APP keep that, as
# nohup'd programs keep SIGHUP ignored: give them the default back)
env --default-signal=INT "$vsomm" sleep 60 &
pid=$!
harness_track "$pid"
wait_for 10 test -S "$rt/wayland-vsomm-0"
kill -INT "$pid"
s=0
wait "$pid" || s=$?
check "SIGINT forwarded: vsomm exits 130 ($s)" test "$s" = 130
check "no socket or lock left after the signals (only the held one)" \
	test "$(cd "$rt" && echo wayland-vsomm-*)" = "wayland-vsomm-held wayland-vsomm-held.lock"
kill -TERM "$held"

# --- a stale socket (no live lock holder) is replaced ---
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$rt/wayland-vsomm-0"
: >"$rt/wayland-vsomm-0.lock"
s=$(run_status "$rt/out" "$vsomm" sh -c 'test "$WAYLAND_DISPLAY" = wayland-vsomm-0')
check "a stale wayland-vsomm-0 is replaced, not skipped ($s)" test "$s" = 0
wait_for 10 no_vsomm_files || true
check "... and removed after" no_vsomm_files

# --- an app that forks a child which connects after the app exited ---
# vsomm waits for APP's descendants (it is their subreaper) and exits with APP's status.
s=$(run_status "$rt/out" "$vsomm" sh -c "(sleep 1; '$pattern' --timeout 0.5 && echo child-ok >'$rt/child') & exit 3")
check "the orphaned child connected and drew ($(cat "$rt/child" 2>/dev/null || echo none))" \
	test -e "$rt/child"
check "... and vsomm exited with APP's status 3 ($s)" test "$s" = 3

# --- prefixes (environment and options), seen by the host compositor ---
if command -v weston-debug >/dev/null 2>&1; then
	# Weston --debug logs every request it gets; the subscription shows up first
	WAYLAND_DISPLAY=$WESTON_SOCKET timeout 60 weston-debug proto >"$rt/proto" 2>&1 &
	harness_track $!
	wait_for 10 test -s "$rt/proto"
	VSOMM_TITLE_PREFIX='[env] ' "$vsomm" --app-id-prefix vm. "$pattern" --timeout 0.5 >/dev/null 2>&1
	check "the host sees the title with VSOMM_TITLE_PREFIX" \
		wait_for 10 grep -qa 'set_title("\[env\] vsomm-pattern")' "$rt/proto"
	check "the host sees the app_id with --app-id-prefix" \
		wait_for 10 grep -qa 'set_app_id("vm.vsomm-pattern")' "$rt/proto"
	VSOMM_TITLE_PREFIX='[env] ' "$vsomm" --title-prefix '[opt] ' "$pattern" --timeout 0.5 >/dev/null 2>&1
	check "--title-prefix wins over VSOMM_TITLE_PREFIX" \
		wait_for 10 grep -qa 'set_title("\[opt\] vsomm-pattern")' "$rt/proto"
else
	echo "note: no weston-debug, prefixes not checked"
fi

# --- the trace: both sides, fd translations, copy sizes ---
s=$(run_status "$rt/trace" env VSOMM_TRACE=1 "$vsomm" "$pattern" --timeout 0.5)
check "VSOMM_TRACE=1 run exits 0 ($s)" test "$s" = 0
check "trace: guest -> host messages" grep -q 'guest -> host' "$rt/trace"
check "trace: host -> guest messages" grep -q 'host -> guest' "$rt/trace"
check "trace: fds sent on the channel become identifiers" grep -q 'SEND fd [0-9]* -> blob res' "$rt/trace"
check "trace: what the channel receives (ids become fds when there are any)" grep -q "channel: RECEIVE [0-9]* bytes, [0-9]* fds" "$rt/trace"
check "trace: copy sizes" grep -q 'copied [0-9]* bytes' "$rt/trace"
s=$(run_status "$rt/trace2" "$vsomm" --trace "$pattern" --timeout 0.5)
check "--trace does the same" grep -q 'guest -> host' "$rt/trace2"
s=$(run_status "$rt/notrace" "$vsomm" "$pattern" --timeout 0.5)
check "without --trace nothing of it" test "$(grep -c -- '->' "$rt/notrace" || true)" = 0

if ((fails)); then
	harness_dump "$VSOMM_HOST_LOG" "$rt/out" "$rt/trace" "$rt/lonely.log"
	exit 1
fi
