#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# activation: both programs under systemd's protocols without a running systemd.
# systemd-socket-activate binds the socket, starts the program at the first
# connection with LISTEN_FDS/LISTEN_FDNAMES, and NOTIFY_SOCKET names a datagram
# socket this test reads: READY=1 (+ STATUS=) must come, apps must work through
# the activated sockets, SIGTERM must end each with 0 and STOPPING=1, and the
# activated socket paths belong to "systemd" (not removed by the programs).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
WESTON_SOCKET=wayland-host
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
if ! command -v systemd-socket-activate >/dev/null 2>&1; then
	echo "SKIP: no systemd-socket-activate (package systemd)" >&2
	exit 77
fi
weston_start
rt=$XDG_RUNTIME_DIR

# notify_listen NAME: a datagram socket $rt/NAME.notify, its messages in $rt/NAME.msgs
notify_listen() {
	python3 -u - "$rt/$1.notify" "$rt/$1.msgs" <<-'PY' &
		import socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		s.bind(sys.argv[1])
		with open(sys.argv[2], "a") as out:
		    while True:
		        out.write(s.recv(4096).decode() + "\n--\n")
		        out.flush()
	PY
	harness_track $!
	wait_for 10 test -S "$rt/$1.notify"
}

# --- vsomm-host, activated ---
notify_listen host
systemd-socket-activate -l "$rt/vsomm-host.sock" --fdname=vsomm-host \
	-E NOTIFY_SOCKET="$rt/host.notify" -E XDG_RUNTIME_DIR="$rt" \
	"$BUILD/launcher/vsomm-host" --compositor "$WESTON_SOCKET" >"$rt/host.log" 2>&1 &
host=$!
harness_track "$host"
wait_for 10 test -S "$rt/vsomm-host.sock"
check "no READY before the first connection (not started yet)" test ! -s "$rt/host.msgs"
s=0
timeout 60 "$BUILD/launcher/vsomm" "$BUILD/tests/clients/vsomm-pattern" --timeout 0.5 \
	>"$rt/app1.log" 2>&1 || s=$?
check "an app through activated vsomm-host exits 0 ($s)" test "$s" = 0
check "vsomm-host sent READY=1" wait_for 10 grep -qx 'READY=1' "$rt/host.msgs"
check "... with a STATUS= line" grep -q '^STATUS=listening on the activated socket' "$rt/host.msgs"

# --- vsomm --serve, activated: many apps on one socket ---
notify_listen serve
systemd-socket-activate -l "$rt/wayland-vsomm" --fdname=wayland \
	-E NOTIFY_SOCKET="$rt/serve.notify" -E XDG_RUNTIME_DIR="$rt" \
	"$BUILD/launcher/vsomm" --serve >"$rt/serve.log" 2>&1 &
serve=$!
harness_track "$serve"
wait_for 10 test -S "$rt/wayland-vsomm"
for i in 1 2; do
	s=0
	WAYLAND_DISPLAY=wayland-vsomm timeout 60 "$BUILD/tests/clients/vsomm-pattern" --timeout 0.5 \
		>"$rt/serve-app$i.log" 2>&1 || s=$?
	check "app $i on the activated vsomm --serve socket exits 0 ($s)" test "$s" = 0
done
check "vsomm --serve sent READY=1" wait_for 10 grep -qx 'READY=1' "$rt/serve.msgs"
check "... with STATUS=serving wayland-vsomm" grep -q '^STATUS=serving wayland-vsomm' "$rt/serve.msgs"
if python3 -c 'import fcntl,sys; f=open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX|fcntl.LOCK_NB)' \
	"$rt/wayland-vsomm.lock" 2>/dev/null; then
	echo "FAIL: wayland-vsomm.lock is not held" >&2
	fails=$((fails + 1))
else
	echo "ok: wayland-vsomm.lock is held"
fi
s=0
timeout 30 "$BUILD/launcher/vsomm" --socket wayland-vsomm true >"$rt/clash.log" 2>&1 || s=$?
check "a vsomm that wants the activated name is refused with 2 ($s)" test "$s" = 2

# --- SIGTERM: 0, STOPPING=1, the activated paths left to their owner ---
for p in serve host; do
	pid=${!p}
	kill -TERM "$pid"
	s=0
	if wait_for 10 eval "! kill -0 $pid 2>/dev/null || [[ \$(ps -o stat= -p $pid) == Z* ]]"; then
		wait "$pid" || s=$?
	else
		s="still running"
	fi
	check "$p: SIGTERM exits 0 ($s)" test "$s" = 0
	check "$p: sent STOPPING=1" wait_for 5 grep -qx 'STOPPING=1' "$rt/$p.msgs"
done
check "the activated sockets stay (systemd's to remove)" \
	test -S "$rt/wayland-vsomm" -a -S "$rt/vsomm-host.sock"
check "the lock vsomm took is gone" test ! -e "$rt/wayland-vsomm.lock"

if ((fails)); then
	harness_dump "$rt/host.log" "$rt/serve.log" "$rt/app1.log" "$rt/serve-app1.log" \
		"$rt/host.msgs" "$rt/serve.msgs" "$rt/clash.log"
	exit 1
fi
