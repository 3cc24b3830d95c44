#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# dmabuf-copy.sh: a linux-dmabuf client whose buffers are guest memory (memfds,
# what a guest dmabuf is on the socket transport) shows the same frames
#   1. connected directly to the fake compositor,
#   2. through vsomm and vsomm-host, which takes guest memory: the compositor
#      gets the client's own memfds,
#   3. through vsomm and vsomm-host --strict, which refuses guest memory in a
#      SEND as rutabaga (crosvm, QEMU) does: vsomm copies the buffers into
#      HOST3D shadows, the compositor gets wl_shm buffers.
# "The same frames": the hash of every committed frame as the compositor read it
# (fake-compositor.c), equal across the three runs and to what the client drew.
# Also: nothing refused by vsomm-host --strict, its fds back after the client.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

harness_init
FAKE_SOCKET=fake-compositor-0
status=0
fail() {
	echo "FAIL: $*" >&2
	status=1
}

start_fake() { # start_fake LOG: sets FAKE_PID
	"$BUILD/tests/fake-compositor/fake-compositor" --socket "$FAKE_SOCKET" >"$1" 2>&1 &
	FAKE_PID=$!
	harness_track "$FAKE_PID"
	wait_for 10 grep -q '^ready on' "$1" || { harness_dump "$1"; fail "fake-compositor did not come up"; exit 1; }
}


run() { # run NAME KIND [vsomm-host args...]: sets HASHES_<NAME>
	local name=$1 kind=$2
	shift 2
	local fake_log=$XDG_RUNTIME_DIR/fake-$name.log guest_log=$XDG_RUNTIME_DIR/guest-$name.log
	local vsomm_log=$XDG_RUNTIME_DIR/vsomm-$name.log st=0 host_fds=
	start_fake "$fake_log"
	if [[ $name == direct ]]; then
		WAYLAND_DISPLAY=$FAKE_SOCKET timeout 60 "$BUILD/tests/fake-compositor/guest-client" \
			dmabuf-linear >"$guest_log" 2>&1 || st=$?
	else
		VSOMM_COMPOSITOR=$FAKE_SOCKET VSOMM_TEST_HOST_STRICT=0 vsomm_host_start --log-level info "$@"
		wait_for 10 grep -q 'listening on' "$VSOMM_HOST_LOG" || fail "$name: vsomm-host did not say it is listening"
		host_fds=$(fd_count "$VSOMM_HOST_PID")
		timeout 60 "$BUILD/launcher/vsomm" --trace -- "$BUILD/tests/fake-compositor/guest-client" \
			dmabuf-linear >"$guest_log" 2>"$vsomm_log" || st=$?
	fi
	echo "== $name"
	grep '^guest:\|^frame\|^PASS\|^FAIL' "$guest_log" "$fake_log" || true
	((st == 0)) || fail "$name: guest-client exited with $st"
	grep -q '^FAIL\|^guest: FAIL' "$fake_log" "$guest_log" && fail "$name: a check failed"
	local drawn shown kinds
	drawn=$(sed -n 's/^guest: frame [0-9]* hash \(0x[0-9a-f]*\)$/\1/p' "$guest_log")
	shown=$(sed -n 's/^frame [0-9]* hash \(0x[0-9a-f]*\) .*/\1/p' "$fake_log")
	kinds=$(sed -n 's/^frame [0-9]* hash 0x[0-9a-f]* (\(.*\))$/\1/p' "$fake_log" | sort -u | tr '\n' ' ')
	[[ $kinds == "$kind " ]] || fail "$name: frames arrived as '${kinds}', want '$kind'"
	[[ $(wc -l <<<"$shown") == 3 && -n $shown ]] || fail "$name: the compositor saw $(grep -c . <<<"$shown") frames, want 3"
	[[ $shown == "$drawn" ]] || fail "$name: the compositor's frames differ from what the client drew"
	printf -v "HASHES_$name" '%s' "$shown"
	if [[ $kind == shm ]]; then
		# proxy/shm.c's trace, once per commit: whole frames, then the damaged rectangle
		local copies
		copies=$(sed -n 's/.*shm: wl_buffer@[0-9]* → shadow: copied \([0-9]*\) bytes.*/\1/p' "$vsomm_log" | tr '\n' ' ')
		echo "vsomm copies per commit: $copies"
		[[ $copies == "240000 4800 240000 " ]] || fail "$name: copies of $copies bytes, want 300x200x4, 40x30x4, 300x200x4"
	fi
	if [[ -n $host_fds ]]; then
		if grep -q 'refused' "$VSOMM_HOST_LOG"; then
			fail "$name: vsomm-host refused a command"
			grep 'refused' "$VSOMM_HOST_LOG" >&2
		fi
		wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 10 ||
			fail "$name: vsomm-host has $(fd_count "$VSOMM_HOST_PID") fds, had $host_fds before the client"
		stop_pid "$VSOMM_HOST_PID" || true
	fi
	((status == 0)) || harness_dump "$fake_log" "$guest_log" "$vsomm_log" "${VSOMM_HOST_LOG:-}"
	stop_pid "$FAKE_PID" || true
	rm -f "$XDG_RUNTIME_DIR/$FAKE_SOCKET" "$XDG_RUNTIME_DIR/$FAKE_SOCKET.lock"
}

run direct dmabuf
run lenient dmabuf
run strict shm --strict
# shellcheck disable=SC2154 # set by run through printf -v
{
	[[ $HASHES_lenient == "$HASHES_direct" ]] || fail "through vsomm-host: frames differ from the direct run"
	[[ $HASHES_strict == "$HASHES_direct" ]] || fail "through vsomm-host --strict: frames differ from the direct run"
}
((status == 0)) && echo "ok: the same 3 frames direct, through vsomm-host and through vsomm-host --strict (copied)"
exit "$status"
