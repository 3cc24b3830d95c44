#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# animated.sh CLIENT [ARGS...]
#
# An animated client runs through vsomm for at least 5 s without errors: it
# is still running after 5 s (then it gets SIGTERM), neither vsomm, the client
# nor vsomm-host logs an error, screenshots during the run show a drawn window
# that keeps changing, and vsomm-host is back to its fd count afterwards.
# weston-simple-shm and weston-simple-damage are also run directly first, and
# every shot through vsomm must be one frame of what the client draws, equal
# to the direct run where that does not depend on the animation phase
# (tests/lib/check-weston-simple.py says what is checked and why).
#
# EGL clients get Mesa's software rasteriser on the Wayland platform
# (LIBGL_ALWAYS_SOFTWARE=1): with no DRM device, no wl_drm and no dmabuf
# through vsomm, swrast draws into wl_shm buffers, which vsomm copies.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
RUN_SECONDS=${RUN_SECONDS:-5}

command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }
name=$(basename "$1")

weston_start
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
host_fds=$(fd_count "$VSOMM_HOST_PID")

shot() {
	"$BUILD/tests/tools/vsomm-screenshot" --display "$WESTON_SOCKET" -o "$XDG_RUNTIME_DIR/$1.png"
}

case $name in
weston-simple-shm | weston-simple-damage) simple=${name#weston-} ;;
*) simple= ;;
esac
# The screen shows the shell's background alone (and nothing else).
blank() {
	shot blank &&
		! python3 "$SRCDIR/tests/lib/check-shots.py" --min-pixels 1 --min-colors 1 \
			"$XDG_RUNTIME_DIR/blank.png" >/dev/null
}
if [[ -n $simple ]]; then
	# The shell's background first (Weston is up before the shell has drawn
	# it), then the direct run's shot, then the background alone again.
	wait_for 10 blank || { echo "FAIL: the shell never drew its background" >&2; exit 1; }
	WAYLAND_DISPLAY=$WESTON_SOCKET "$@" >"$XDG_RUNTIME_DIR/direct.log" 2>&1 &
	direct=$!
	harness_track "$direct"
	# shellcheck disable=SC2016 # expanded by eval, at each try
	if ! wait_for 30 eval 'shot direct && python3 "$SRCDIR/tests/lib/check-shots.py" "$XDG_RUNTIME_DIR/direct.png" >/dev/null'; then
		echo "FAIL: $name draws nothing directly" >&2
		harness_dump "$XDG_RUNTIME_DIR/direct.log"
		exit 1
	fi
	stop_pid "$direct" || true
	wait_for 5 blank || { echo "FAIL: the direct run's window is still shown" >&2; exit 1; }
fi

vsomm_err=$XDG_RUNTIME_DIR/vsomm.err
client_err=$XDG_RUNTIME_DIR/$name.err
export CLIENT_ERR=$client_err
start=$(date +%s%3N)
# The client's stderr goes to its own file: sh execs it, so it is vsomm's child.
# shellcheck disable=SC2016 # expanded by the inner sh
"$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- \
	env LIBGL_ALWAYS_SOFTWARE=1 EGL_PLATFORM=wayland \
	sh -c 'exec "$@" 2>"$CLIENT_ERR"' sh "$@" >"$XDG_RUNTIME_DIR/$name.out" 2>"$vsomm_err" &
vsomm_pid=$!
harness_track "$vsomm_pid"

fail() {
	echo "FAIL: $*" >&2
	harness_dump "$vsomm_err" "$client_err" "$VSOMM_HOST_LOG"
	exit 1
}

client_pid() {
	pgrep -P "$vsomm_pid" | head -n 1
}
wait_for 20 eval '[[ -n $(client_pid) ]]' || fail "vsomm started no client"
client=$(client_pid)

# Shots until one shows a drawn window (software EGL can be slow to start),
# then two more a second apart: the window keeps changing.
drawn() {
	shot first && python3 "$SRCDIR/tests/lib/check-shots.py" "$XDG_RUNTIME_DIR/first.png" >/dev/null
}
wait_for 30 drawn || fail "no drawn window: $(python3 "$SRCDIR/tests/lib/check-shots.py" "$XDG_RUNTIME_DIR/first.png")"
sleep 1
shot second
sleep 1
shot third
python3 "$SRCDIR/tests/lib/check-shots.py" --changed \
	"$XDG_RUNTIME_DIR/first.png" "$XDG_RUNTIME_DIR/second.png" "$XDG_RUNTIME_DIR/third.png" ||
	fail "$name does not render through vsomm"
if [[ -n $simple ]]; then
	python3 "$SRCDIR/tests/lib/check-weston-simple.py" "$simple" "$XDG_RUNTIME_DIR/direct.png" \
		"$XDG_RUNTIME_DIR/first.png" "$XDG_RUNTIME_DIR/second.png" "$XDG_RUNTIME_DIR/third.png" ||
		fail "$name through vsomm does not draw what it draws directly"
fi

# At least RUN_SECONDS since the start, then the client must still be there.
left=$((start + RUN_SECONDS * 1000 - $(date +%s%3N)))
((left <= 0)) || sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", ms / 1000 }')"
kill -0 "$client" 2>/dev/null || fail "$name exited before ${RUN_SECONDS} s"
kill -0 "$vsomm_pid" 2>/dev/null || fail "vsomm exited before ${RUN_SECONDS} s"
elapsed=$(($(date +%s%3N) - start))

kill -TERM "$client"
status=0
wait_for 10 eval '! kill -0 $vsomm_pid 2>/dev/null' || fail "vsomm did not exit after its client"
wait "$vsomm_pid" || status=$?
# 143: the client died of SIGTERM; 0: it handled it.
[[ $status == 0 || $status == 143 ]] || fail "vsomm exited with $status"

for log in "$vsomm_err" "$client_err" "$VSOMM_HOST_LOG"; do
	if grep -Eiq 'error|protocol|warning' "$log"; then
		fail "$(basename "$log") has errors: $(grep -Ei 'error|protocol|warning' "$log" | head -n 5)"
	fi
done
if ! wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 3; then
	fail "vsomm-host had $host_fds fds before, $(fd_count "$VSOMM_HOST_PID") after"
fi
echo "ok: $name ran ${elapsed} ms through vsomm, drawing, no errors, vsomm exit $status"
