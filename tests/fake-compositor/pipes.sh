#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# pipes.sh CASE: hostile clipboard pipes through one `vsomm --serve`
# and vsomm-host before the fake compositor (tests/fake-compositor/), next to good
# clients.  CASE:
#   hog      guest-client hog asks for the selection and never reads its pipe
#            while the compositor writes FC_HOG_BYTES (80 MiB) into it: vsomm
#            drops the pipe at its per-pipe queue limit (one log line), the
#            compositor's write ends (no block), good clients (keymap, shm) run
#            to the end meanwhile, and vsomm's RSS comes back down.
#   partial  guest-client partial reads 4 KiB of an 8 MiB selection and closes
#            its read end; then the compositor reads 4 KiB of the guest's 8 MiB
#            source and closes its read end: no crash, both writers end, good
#            clients run before and after.
# Both: vsomm and vsomm-host are back to their fd counts from before any client.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
CASE=${1:?usage: pipes.sh hog|partial}
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

harness_init
FAKE_LOG=$XDG_RUNTIME_DIR/fake-compositor.log
VSOMM_ERR=$XDG_RUNTIME_DIR/vsomm.err
CLIENT=$BUILD/tests/fake-compositor/guest-client
status=0

fail() {
	echo "FAIL: $*" >&2
	status=1
}
die() {
	fail "$@"
	harness_dump "$FAKE_LOG" "$VSOMM_ERR" "$VSOMM_HOST_LOG"
	exit 1
}
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/"$1"/status; }

"$BUILD/tests/fake-compositor/fake-compositor" --socket fake-compositor-0 --script "$CASE" >"$FAKE_LOG" 2>&1 &
FAKE_PID=$!
harness_track "$FAKE_PID"
wait_for 10 grep -q '^ready on' "$FAKE_LOG" || die "fake-compositor did not come up"
# shellcheck disable=SC2034 # read by vsomm_host_start
VSOMM_COMPOSITOR=fake-compositor-0
vsomm_host_start --log-level info
wait_for 10 grep -q 'listening on' "$VSOMM_HOST_LOG" || die "vsomm-host did not say it is listening"
host_fds=$(fd_count "$VSOMM_HOST_PID")

# ASan (the clang build) keeps freed memory in quarantine: without it, the freed
# queue is unmapped there too and the RSS check below holds in both builds.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
	"$BUILD/launcher/vsomm" --serve --socket wayland-pipes --device "socket:$VSOMM_HOST_SOCK" \
	--log-level info 2>"$VSOMM_ERR" &
VSOMM_PID=$!
harness_track "$VSOMM_PID"
# shellcheck disable=SC2016 # expanded by eval, at each try
wait_for 10 eval '[[ -S $XDG_RUNTIME_DIR/wayland-pipes ]]' || die "vsomm --serve did not come up"
sleep 0.2
vsomm_fds=$(fd_count "$VSOMM_PID")
vsomm_rss=$(rss_kb "$VSOMM_PID")
export WAYLAND_DISPLAY=wayland-pipes
echo "before: vsomm $vsomm_fds fds, RSS $vsomm_rss kB; vsomm-host $host_fds fds"

good() { # good MODE: a full keymap or shm round trip through the same vsomm
	local out rc=0
	out=$(timeout 60 "$CLIENT" "$1" 2>&1) || rc=$?
	if ((rc != 0)); then
		fail "good client $1 (exit $rc) next to the $CASE client: $out"
		return 1
	fi
}

good keymap || die "the good client does not work before the hostile one"
HOSTILE_LOG=$XDG_RUNTIME_DIR/hostile.log
timeout 170 "$CLIENT" "$CASE" >"$HOSTILE_LOG" 2>&1 &
hostile=$!
harness_track "$hostile"
# Good clients from when the hostile one starts until it ends, and once after.
runs=0
while true; do
	if ! good keymap || ! good shm; then
		break
	fi
	runs=$((runs + 1))
	if [[ $CASE == hog ]] && ((runs == 1)); then
		echo "vsomm while the pipe fills: RSS $(rss_kb "$VSOMM_PID") kB"
	fi
	kill -0 "$hostile" 2>/dev/null || break
	[[ $(ps -o stat= -p "$hostile" 2>/dev/null) != Z* ]] || break
done
hostile_rc=0
wait "$hostile" || hostile_rc=$?
cat "$HOSTILE_LOG"
((hostile_rc == 0)) || fail "guest-client $CASE exited with $hostile_rc"
good keymap || true
good shm || true
echo "good clients (keymap + shm) during the $CASE client: $runs rounds, all passed"

kill -0 "$VSOMM_PID" 2>/dev/null || fail "vsomm died"
kill -0 "$VSOMM_HOST_PID" 2>/dev/null || fail "vsomm-host died"

# The compositor's writes into the guest's pipe end: all taken or EPIPE, never stuck.
wait_for 60 grep -q '^PASS data-offer\( wrote\|: the reader went away\)' "$FAKE_LOG" ||
	fail "the compositor's write into the $CASE client's pipe did not end"
grep '^PASS data-offer\|^PASS data-source' "$FAKE_LOG" | sed 's/^/compositor: /' || true
case $CASE in
hog)
	n=$(grep -c 'read pipe 0x[0-9a-f]*: reader too slow' "$VSOMM_ERR" || true)
	((n == 1)) || fail "vsomm logged $n 'reader too slow' lines, want 1"
	grep 'reader too slow' "$VSOMM_ERR" || true
	# The 64 MiB queue is freed with the pipe.
	rss=$(rss_kb "$VSOMM_PID")
	peak=$(awk '/^VmHWM/ { print $2 }' /proc/"$VSOMM_PID"/status)
	echo "vsomm RSS after: $rss kB (was $vsomm_rss), peak $peak kB"
	((rss < vsomm_rss + 16384)) || fail "vsomm RSS $rss kB, was $vsomm_rss kB"
	;;
partial)
	grep -q "^PASS data-source closed after $((4096)) bytes, 0 differ" "$FAKE_LOG" ||
		fail "the compositor did not read 4 KiB of the guest's source and close"
	grep -q '^guest: PASS partial: source cancelled' "$HOSTILE_LOG" || fail "guest: partial"
	;;
esac
if grep -q '^FAIL' "$FAKE_LOG" || grep -q '^guest: FAIL' "$HOSTILE_LOG"; then
	fail "a check failed (see the FAIL lines)"
	grep '^FAIL' "$FAKE_LOG" >&2 || true
fi

if ! wait_fd_count "$VSOMM_PID" "$vsomm_fds" 10; then
	fail "vsomm has $(fd_count "$VSOMM_PID") fds, had $vsomm_fds"
	ls -l /proc/"$VSOMM_PID"/fd >&2 || true
fi
if ! wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 10; then
	fail "vsomm-host has $(fd_count "$VSOMM_HOST_PID") fds, had $host_fds"
	ls -l /proc/"$VSOMM_HOST_PID"/fd >&2 || true
fi
echo "after: vsomm $(fd_count "$VSOMM_PID") fds (was $vsomm_fds)," \
	"vsomm-host $(fd_count "$VSOMM_HOST_PID") fds (was $host_fds)"
if ((status != 0)); then
	harness_dump "$FAKE_LOG" "$VSOMM_ERR" "$VSOMM_HOST_LOG"
	exit 1
fi
echo "ok: $CASE"
