#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# compare.sh NAME [--ready|--settle SECONDS] [--tolerance N] -- CMD [ARGS...]
#
# Screenshots of CMD connected directly to a headless Weston and through
# vsomm + vsomm-host must be pixel-identical (cropped to the window: Weston
# places windows at random).  --ready waits for CMD to print "ready";
# otherwise the shot is taken after --settle seconds (default 2).
# vsomm-host's fds are back to their count once the vsomm run is over.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

name=$1
shift
mode=settle settle=2 tolerance=0
while [[ $# -gt 0 && $1 != -- ]]; do
	case $1 in
	--ready) mode=ready ;;
	--settle) settle=$2; shift ;;
	--tolerance) tolerance=$2; shift ;;
	*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
shift
command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }

weston_start
vsomm_host_start
host_fds=$(fd_count "$VSOMM_HOST_PID")

# shoot LABEL RUNNER...: run CMD under RUNNER, capture, stop it.
shoot() {
	local label=$1 out=$XDG_RUNTIME_DIR/$name-$1
	shift
	"$@" >"$out.log" 2>&1 &
	local pid=$!
	harness_track "$pid"
	if [[ $mode == ready ]]; then
		if ! wait_for 20 grep -q '^ready' "$out.log"; then
			echo "FAIL: $label run never got ready" >&2
			cat "$out.log" >&2
			exit 1
		fi
		sleep 0.5
	else
		sleep "$settle"
	fi
	kill -0 "$pid" 2>/dev/null || { echo "FAIL: $label run exited early" >&2; cat "$out.log" >&2; exit 1; }
	# On a loaded machine a client may still be drawing: shoot until two shots
	# in a row are the same (at most 20 tries), then keep the last.
	local shot=$XDG_RUNTIME_DIR/$name-$label-shot prev='' cur i
	for ((i = 0; i < 20; i++)); do
		"$BUILD/tests/tools/vsomm-screenshot" --display "$WESTON_SOCKET" -o "$shot.png"
		cur=$(cksum <"$shot.png")
		[[ $cur == "$prev" ]] && break
		prev=$cur
		sleep 0.5
	done
	mv "$shot.png" "$out.png"
	stop_pid "$pid" || true
	# Let Weston unmap it before the next shot.
	sleep 0.3
}

shoot direct env WAYLAND_DISPLAY="$WESTON_SOCKET" "$@"
shoot vsomm "$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- "$@"

if ! python3 "$SRCDIR/tests/compare/compare-shots.py" \
	"$XDG_RUNTIME_DIR/$name-direct.png" "$XDG_RUNTIME_DIR/$name-vsomm.png" \
	--tolerance "$tolerance"; then
	mkdir -p "$BUILD/compare-failures"
	cp "$XDG_RUNTIME_DIR/$name"-*.png "$XDG_RUNTIME_DIR/$name"-*.log "$BUILD/compare-failures/" || true
	echo "shots kept in $BUILD/compare-failures" >&2
	exit 1
fi
if ! wait_fd_count "$VSOMM_HOST_PID" "$host_fds" 3; then
	echo "FAIL: vsomm-host had $host_fds fds before, $(fd_count "$VSOMM_HOST_PID") after" >&2
	exit 1
fi
