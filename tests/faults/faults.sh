#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# faults.sh CASE: faults and a hostile client through the real vsomm,
# vsomm-host and a headless Weston.  Every case checks the fd counts of the
# processes that must survive, before and after.
#
#   weston-killed  Weston is SIGKILLed under two clients: they get a clean
#                  disconnect (they exit, not by a signal), vsomm and vsomm-host
#                  stay up and drop every fd of those clients; a new Weston
#                  comes up and a new client renders through the same vsomm.
#   host-killed    vsomm-host is SIGKILLed under vsomm and its app: both end
#                  (no hang), vsomm says why on stderr ("...vsomm-host.sock: the
#                  ...device lost") and exits with its app's status.
#   vsomm-killed   vsomm is SIGKILLed with three clients: vsomm-host frees every
#                  fd and blob of their contexts (fd count, memfd mappings in
#                  /proc/PID/maps, RSS).
#   hostile        evil-client cases next to a good client: each hostile one is
#                  ended, the good one keeps rendering, nothing leaks.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
CASE=${1:?usage: faults.sh CASE}
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
# shellcheck source=tests/faults/good-client.sh
source "$SRCDIR/tests/faults/good-client.sh"
command -v weston-simple-shm >/dev/null 2>&1 || { echo "SKIP: weston-simple-shm is not installed"; exit 77; }

fail() {
	echo "FAIL: $*" >&2
	harness_dump "${VSOMM_ERR:-}" "$VSOMM_HOST_LOG" "${WESTON_LOG:-}"
	exit 1
}

memfd_maps() { grep -c 'memfd:' /proc/"$1"/maps || true; }
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/"$1"/status; }

# The pid exits within SECONDS; its status (or 255 when it hangs) in EXIT_STATUS.
wait_exit() {
	local pid=$1 seconds=$2
	EXIT_STATUS=255
	wait_for "$seconds" eval "! kill -0 $pid 2>/dev/null || [[ \$(ps -o stat= -p $pid 2>/dev/null) == Z* ]]" ||
		return 1
	EXIT_STATUS=0
	wait "$pid" 2>/dev/null || EXIT_STATUS=$?
}

host_ready() {
	vsomm_host_start --log-level info
	wait_for 10 grep -q 'listening on' "$VSOMM_HOST_LOG" || fail "vsomm-host did not say it is listening"
	HOST_FDS=$(fd_count "$VSOMM_HOST_PID")
	HOST_MAPS=$(memfd_maps "$VSOMM_HOST_PID")
	HOST_RSS=$(rss_kb "$VSOMM_HOST_PID")
	echo "vsomm-host: $HOST_FDS fds, $HOST_MAPS memfd mappings, RSS $HOST_RSS kB"
}

host_back() { # vsomm-host is up and back to its fds and memfd mappings
	kill -0 "$VSOMM_HOST_PID" 2>/dev/null || fail "$1: vsomm-host died"
	wait_fd_count "$VSOMM_HOST_PID" "$HOST_FDS" 10 ||
		fail "$1: vsomm-host had $HOST_FDS fds, now $(fd_count "$VSOMM_HOST_PID")"
	wait_for 5 eval "[[ \$(memfd_maps $VSOMM_HOST_PID) == $HOST_MAPS ]]" ||
		fail "$1: vsomm-host had $HOST_MAPS memfd mappings, now $(memfd_maps "$VSOMM_HOST_PID")"
	echo "$1: vsomm-host back to $HOST_FDS fds, $HOST_MAPS memfd mappings, RSS $(rss_kb "$VSOMM_HOST_PID") kB (was $HOST_RSS)"
}

serve_vsomm() { # vsomm --serve on wayland-faults; sets VSOMM_PID, VSOMM_FDS
	VSOMM_ERR=$XDG_RUNTIME_DIR/vsomm.err
	"$BUILD/launcher/vsomm" --serve --socket wayland-faults --device "socket:$VSOMM_HOST_SOCK" \
		--log-level info 2>"$VSOMM_ERR" &
	VSOMM_PID=$!
	harness_track "$VSOMM_PID"
	wait_for 10 eval '[[ -S $XDG_RUNTIME_DIR/wayland-faults ]]' || fail "vsomm --serve did not come up"
	sleep 0.2
	VSOMM_FDS=$(fd_count "$VSOMM_PID")
	export WAYLAND_DISPLAY=wayland-faults
}

vsomm_back() {
	kill -0 "$VSOMM_PID" 2>/dev/null || fail "$1: vsomm died"
	wait_fd_count "$VSOMM_PID" "$VSOMM_FDS" 10 ||
		fail "$1: vsomm had $VSOMM_FDS fds, now $(fd_count "$VSOMM_PID"): $(ls -l /proc/"$VSOMM_PID"/fd)"
	echo "$1: vsomm back to $VSOMM_FDS fds"
}

case $CASE in
weston-killed)
	weston_start
	host_ready
	serve_vsomm
	good_start
	first=$GOOD_PID
	weston-simple-shm >/dev/null 2>&1 &
	second=$!
	sleep 1
	kill -0 "$second" || fail "the second client did not start"
	kill -KILL "$WESTON_PID"
	wait "$WESTON_PID" 2>/dev/null || true
	for pid in "$first" "$second"; do
		wait_exit "$pid" 15 || fail "client $pid still runs 15 s after Weston died"
		((EXIT_STATUS < 128)) || fail "client $pid was killed by signal $((EXIT_STATUS - 128))"
		echo "client $pid: exit status $EXIT_STATUS after Weston died"
	done
	vsomm_back "Weston killed"
	host_back "Weston killed"
	rm -f "$XDG_RUNTIME_DIR/$WESTON_SOCKET" "$XDG_RUNTIME_DIR/$WESTON_SOCKET.lock"
	weston_start
	GOOD_SHOT=0
	good_start
	echo "a new client renders through the same vsomm and vsomm-host"
	kill -TERM "$GOOD_PID"
	wait "$GOOD_PID" 2>/dev/null || true
	vsomm_back "second Weston"
	host_back "second Weston"
	;;
host-killed)
	weston_start
	host_ready
	VSOMM_ERR=$XDG_RUNTIME_DIR/vsomm.err
	"$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- weston-simple-shm 2>"$VSOMM_ERR" &
	vsomm_pid=$!
	harness_track "$vsomm_pid"
	GOOD_DIR=$XDG_RUNTIME_DIR
	wait_for 20 eval '"$BUILD/tests/tools/vsomm-screenshot" --display "$WESTON_SOCKET" -o "$XDG_RUNTIME_DIR/s.png" && python3 "$SRCDIR/tests/lib/check-shots.py" "$XDG_RUNTIME_DIR/s.png" >/dev/null' ||
		fail "weston-simple-shm does not render through vsomm"
	kill -KILL "$VSOMM_HOST_PID"
	wait "$VSOMM_HOST_PID" 2>/dev/null || true
	wait_exit "$vsomm_pid" 20 || fail "vsomm still runs 20 s after vsomm-host died"
	echo "vsomm: exit status $EXIT_STATUS after vsomm-host died; its stderr:"
	cat "$VSOMM_ERR"
	# vsomm exits with its app's status (weston-simple-shm exits 0 on a disconnect).
	grep -Eq 'vsomm-host.sock: .*device lost' "$VSOMM_ERR" ||
		fail "vsomm did not say that vsomm-host went away"
	;;
vsomm-killed)
	weston_start
	host_ready
	VSOMM_ERR=$XDG_RUNTIME_DIR/vsomm.err
	"$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- bash -c \
		'weston-simple-shm & weston-simple-shm & weston-simple-shm & wait' 2>"$VSOMM_ERR" &
	vsomm_pid=$!
	harness_track "$vsomm_pid"
	wait_for 20 eval '(( $(fd_count $VSOMM_HOST_PID) >= HOST_FDS + 3 ))' || fail "three clients did not connect"
	sleep 2
	echo "with 3 clients: vsomm-host $(fd_count "$VSOMM_HOST_PID") fds, $(memfd_maps "$VSOMM_HOST_PID") memfd mappings, RSS $(rss_kb "$VSOMM_HOST_PID") kB"
	(($(memfd_maps "$VSOMM_HOST_PID") > HOST_MAPS)) || fail "no shadow blob was mapped in vsomm-host"
	kill -KILL "$vsomm_pid"
	wait "$vsomm_pid" 2>/dev/null || true
	host_back "vsomm killed"
	rss=$(rss_kb "$VSOMM_HOST_PID")
	((rss < HOST_RSS + 16384)) || fail "vsomm-host RSS $rss kB, was $HOST_RSS kB"
	;;
hostile)
	weston_start
	host_ready
	serve_vsomm
	base_vsomm=$VSOMM_FDS base_host=$HOST_FDS base_maps=$HOST_MAPS
	good_start
	VSOMM_FDS=$(fd_count "$VSOMM_PID")
	HOST_FDS=$(fd_count "$VSOMM_HOST_PID")
	HOST_MAPS=$(memfd_maps "$VSOMM_HOST_PID")
	for c in "random 1" "random 2" "random 3" "random 4" "random 5" "random 6" pool-socket \
		pool-dir pool-pipe huge-pool; do
		rc=0
		# shellcheck disable=SC2086 # "random N" is two words
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
			timeout 60 "$BUILD/tests/faults/evil-client" $c >"$XDG_RUNTIME_DIR/evil.out" 2>&1 || rc=$?
		result=$(cat "$XDG_RUNTIME_DIR/evil.out")
		((rc == 0)) || fail "$c: exit $rc: $result"
		sleep 0.3
		good_check "$c"
		vsomm_back "$c: $result" >/dev/null
		host_back "$c" >/dev/null
		echo "ok: $c: $result; good client renders; fds vsomm $VSOMM_FDS, vsomm-host $HOST_FDS"
	done
	kill -TERM "$GOOD_PID"
	wait "$GOOD_PID" 2>/dev/null || true
	VSOMM_FDS=$base_vsomm HOST_FDS=$base_host HOST_MAPS=$base_maps
	vsomm_back "hostile done"
	host_back "hostile done"
	;;
*) echo "unknown case $CASE" >&2; exit 1 ;;
esac
echo "ok: $CASE"
