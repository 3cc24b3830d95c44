#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# guest-client.sh MODE: guest-client MODE through vsomm → vsomm-host → fake-compositor
# (tests/fake-compositor/), in a private runtime dir.  Checks:
#  - the guest client's own checks (exit status) and the compositor's "PASS" lines
#    for MODE, and no "FAIL" line anywhere;
#  - shm: vsomm's --trace shows the full first copy and exactly 64×64×4 bytes for
#    the commit with one 64×64 damage;
#  - vsomm-host's fd count is back to where it was before the client ran.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
MODE=${1:?usage: guest-client.sh keymap|clipboard|dmabuf|shm}
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

harness_init
FAKE_SOCKET=fake-compositor-0
FAKE_LOG=$XDG_RUNTIME_DIR/fake-compositor.log
GUEST_LOG=$XDG_RUNTIME_DIR/guest-client.log
VSOMM_LOG=$XDG_RUNTIME_DIR/vsomm.log

"$BUILD/tests/fake-compositor/fake-compositor" --socket "$FAKE_SOCKET" >"$FAKE_LOG" 2>&1 &
FAKE_PID=$!
harness_track "$FAKE_PID"
if ! wait_for 10 grep -q '^ready on' "$FAKE_LOG"; then
	echo "FAIL: fake-compositor did not come up" >&2
	harness_dump "$FAKE_LOG"
	exit 1
fi
VSOMM_COMPOSITOR=$FAKE_SOCKET
vsomm_host_start --log-level info
# The socket appears before vsomm-host has set up its event loop (which dups the
# listening fd): count its fds once it says it is listening.
if ! wait_for 10 grep -q 'listening on' "$VSOMM_HOST_LOG"; then
	echo "FAIL: vsomm-host did not say it is listening" >&2
	harness_dump "$VSOMM_HOST_LOG"
	exit 1
fi
host_fds=$(fd_count "$VSOMM_HOST_PID")

status=0
timeout 120 "$BUILD/launcher/vsomm" --trace -- "$BUILD/tests/fake-compositor/guest-client" "$MODE" \
	>"$GUEST_LOG" 2>"$VSOMM_LOG" || status=$?
cat "$GUEST_LOG"
grep '^PASS\|^FAIL' "$FAKE_LOG" | sed 's/^/compositor: /' || true
if ((status != 0)); then
	echo "FAIL: vsomm guest-client $MODE exited with $status" >&2
fi

fail() {
	echo "FAIL: $*" >&2
	status=1
}

expect() { # expect PATTERN...: each must match a PASS line of the compositor
	local p
	for p in "$@"; do
		grep -q "^PASS $p" "$FAKE_LOG" || fail "the compositor did not report: PASS $p"
	done
}

case $MODE in
keymap)
	expect "keymap sent (3001 bytes)"
	grep -q '^guest: PASS keymap content (0 of 3001' "$GUEST_LOG" || fail "keymap content"
	;;
clipboard)
	wait_for 20 grep -q '^PASS primary-source read' "$FAKE_LOG" || true
	expect "data-offer wrote 1048576 bytes" "data-source read 1048576 bytes, 0 differ" \
		"primary-offer wrote 1048576 bytes" "primary-source read 1048576 bytes, 0 differ"
	for what in "data-offer receive" "primary-offer receive"; do
		grep -q "^guest: PASS $what: read 1048576 bytes, 0 differ" "$GUEST_LOG" ||
			fail "guest: $what"
	done
	;;
dmabuf)
	if [[ ${VSOMM_TEST_HOST_STRICT:-0} == 1 ]]; then
		# A host that takes no guest memory (as rutabaga): vsomm copies only
		# single-plane linear buffers (dmabuf-copy.sh); this tiled NV12 one is
		# refused with `failed`, never sent as a GUEST blob.
		grep -q '^guest: dmabuf NV12 create_immed: failed' "$GUEST_LOG" ||
			fail "the NV12 guest-memory buffer was not refused with failed"
		! grep -q 'dmabuf: add fd' "$FAKE_LOG" || fail "the compositor got the guest's dmabuf planes"
		! grep -q 'refused' "$VSOMM_HOST_LOG" || fail "vsomm-host refused a command"
	else
		expect "dmabuf params: 256x64 format 0x3231564e, planes 0 (offset 0 stride 256) and 1 (offset 16384 stride 256), modifier 0x0100000000000001" \
			"dmabuf planes are the guest's memfd" \
			"dmabuf content on commit 1 (0 of" \
			"dmabuf: the guest's write after commit 1 is seen"
	fi
	;;
shm)
	expect "shm commit 1: 0 pixels differ" "shm commit 2: 0 pixels differ"
	# proxy/shm.c: "shm: wl_buffer@N → shadow: copied B bytes", once per commit
	mapfile -t copies < <(sed -n 's/.*shm: wl_buffer@[0-9]* → shadow: copied \([0-9]*\) bytes.*/\1/p' "$VSOMM_LOG")
	echo "vsomm copies per commit: ${copies[*]:-none}"
	if ((${#copies[@]} != 2)); then
		fail "expected 2 shadow copies in vsomm's trace, got ${#copies[@]}"
	else
		((copies[0] == 1920 * 1080 * 4)) || fail "first commit copied ${copies[0]} bytes, want $((1920 * 1080 * 4))"
		((copies[1] == 64 * 64 * 4)) || fail "the 64x64 damage copied ${copies[1]} bytes, want $((64 * 64 * 4))"
	fi
	;;
esac
if grep -q '^FAIL' "$FAKE_LOG" || grep -q '^guest: FAIL' "$GUEST_LOG"; then
	fail "a check failed (see the FAIL lines)"
	grep '^FAIL\|^guest: FAIL' "$FAKE_LOG" "$GUEST_LOG" >&2 || true
fi

# Every fd vsomm-host took for the client (context, compositor connection,
# blobs, pipes) is gone once the client is.
if ! wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 10; then
	fail "vsomm-host has $(fd_count "$VSOMM_HOST_PID") fds, had $host_fds before the client"
	ls -l /proc/"$VSOMM_HOST_PID"/fd >&2 || true
fi
kill -0 "$VSOMM_HOST_PID" 2>/dev/null || fail "vsomm-host died"
if ((status != 0)); then
	harness_dump "$FAKE_LOG" "$VSOMM_LOG" "$VSOMM_HOST_LOG"
fi
exit "$status"
