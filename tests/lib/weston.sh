# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Harness for tests and the demo that start processes: a private
# XDG_RUNTIME_DIR, a headless Weston, vsomm-host, fd accounting, and a cleanup
# trap that ends exactly the processes started here (by pid) and removes the
# runtime dir.
#
#   source tests/lib/weston.sh
#   harness_init            # private runtime dir + cleanup trap (weston_start calls it)
#   weston_start            # headless Weston on $WESTON_SOCKET; sets WESTON_PID
#   vsomm_host_start [ARGS] # $BUILD/launcher/vsomm-host; sets VSOMM_HOST_PID, VSOMM_HOST_SOCK
#                           # (VSOMM_TEST_HOST_STRICT=1: with --strict, as rutabaga)
#   fd_count PID            # open fds of PID
#   harness_track PID       # have cleanup end a process started by the caller
#   check WHAT CMD...       # "ok: WHAT" or "FAIL: WHAT" (counted in $fails)
#
# Variables: BUILD (build dir, for vsomm-host), WESTON_SOCKET, WESTON_WIDTH/HEIGHT,
# VSOMM_COMPOSITOR (what vsomm-host connects to; default: $WESTON_SOCKET),
# HARNESS_KEEP=1 keeps the runtime dir (for debugging).

WESTON_SOCKET=${WESTON_SOCKET:-wayland-vsomm-test}
WESTON_WIDTH=${WESTON_WIDTH:-1024}
WESTON_HEIGHT=${WESTON_HEIGHT:-640}
HARNESS_PIDS=()
HARNESS_RUNTIME_DIR=
HARNESS_STOP_TIMEOUT=${HARNESS_STOP_TIMEOUT:-5}

# check DESCRIPTION COMMAND...: "ok: DESCRIPTION" when COMMAND succeeds, else
# "FAIL: DESCRIPTION" on stderr and one more in $fails; the script ends with
# a non-zero status when $fails is.
fails=0
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what" >&2
		fails=$((fails + 1))
	fi
}

# Wait until COMMAND succeeds, at most SECONDS (fractional ok); 0 if it did.
wait_for() {
	local ms deadline
	ms=$(awk -v t="$1" 'BEGIN { printf "%d", t * 1000 }')
	shift
	deadline=$(($(date +%s%3N) + ms))
	while true; do
		"$@" && return 0
		(($(date +%s%3N) < deadline)) || return 1
		sleep 0.02
	done
}

harness_init() {
	[[ -n $HARNESS_RUNTIME_DIR ]] && return 0
	HARNESS_RUNTIME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vsomm-test.XXXXXX")
	chmod 0700 "$HARNESS_RUNTIME_DIR"
	export XDG_RUNTIME_DIR=$HARNESS_RUNTIME_DIR
	# Nothing started here may reach the caller's own compositor.
	unset WAYLAND_DISPLAY WAYLAND_SOCKET DISPLAY
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

harness_track() {
	HARNESS_PIDS+=("$1")
}

# stop_pid PID: TERM, wait up to HARNESS_STOP_TIMEOUT s, then KILL.  Returns the
# process's exit status when it is our child.
stop_pid() {
	local pid=$1 status=0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || status=$?; return $status; }
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_for "$HARNESS_STOP_TIMEOUT" eval "! kill -0 $pid 2>/dev/null || [[ \$(ps -o stat= -p $pid 2>/dev/null) == Z* ]]"; then
		echo "harness: pid $pid ignored SIGTERM, killing" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || status=$?
	return $status
}

cleanup() {
	local status=$? i
	trap - EXIT
	for ((i = ${#HARNESS_PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${HARNESS_PIDS[i]}" || true
	done
	HARNESS_PIDS=()
	if [[ -n $HARNESS_RUNTIME_DIR && -d $HARNESS_RUNTIME_DIR ]]; then
		if [[ ${HARNESS_KEEP:-0} == 1 ]]; then
			echo "harness: kept $HARNESS_RUNTIME_DIR" >&2
		else
			rm -rf "$HARNESS_RUNTIME_DIR"
		fi
	fi
	exit $status
}

# Print a file's content to stderr, for test logs.
harness_dump() {
	local f
	for f in "$@"; do
		[[ -f $f ]] || continue
		echo "---- $f ----" >&2
		tail -n 60 "$f" >&2
	done
}

# Weston 10 headless: --use-pixman (the GL renderer draws nothing headless),
# --debug (exposes weston_screenshooter to every client; weston runs as root
# without complaint), --idle-time=0 (never blank the output).
weston_start() {
	harness_init
	if ! command -v weston >/dev/null 2>&1; then
		echo "SKIP: weston is not installed" >&2
		exit 77
	fi
	local ini=$XDG_RUNTIME_DIR/weston.ini
	cat >"$ini" <<-INI
		[core]
		repaint-window=16

		[shell]
		background-color=0xff202020
		panel-position=none
		startup-animation=none
		animation=none
		close-animation=none
	INI
	WESTON_LOG=$XDG_RUNTIME_DIR/weston.log
	weston --backend=headless-backend.so --use-pixman --debug \
		--socket="$WESTON_SOCKET" --width="$WESTON_WIDTH" --height="$WESTON_HEIGHT" \
		--idle-time=0 -c "$ini" >"$WESTON_LOG" 2>&1 &
	WESTON_PID=$!
	harness_track "$WESTON_PID"
	if ! wait_for 10 weston_ready; then
		echo "harness: weston did not come up" >&2
		harness_dump "$WESTON_LOG"
		return 1
	fi
}

# The socket exists and (when wayland-info is there) the shell's globals are up.
weston_ready() {
	kill -0 "$WESTON_PID" 2>/dev/null || return 1
	[[ -S $XDG_RUNTIME_DIR/$WESTON_SOCKET ]] || return 1
	command -v wayland-info >/dev/null 2>&1 || return 0
	WAYLAND_DISPLAY=$WESTON_SOCKET timeout 5 wayland-info 2>/dev/null | grep -q "'xdg_wm_base'"
}

vsomm_host_start() {
	harness_init
	local bin=${VSOMM_HOST_BIN:-${BUILD:?BUILD must name the build dir}/launcher/vsomm-host}
	[[ -x $bin ]] || { echo "harness: no $bin" >&2; return 1; }
	VSOMM_HOST_SOCK=$XDG_RUNTIME_DIR/vsomm-host.sock
	VSOMM_HOST_LOG=$XDG_RUNTIME_DIR/vsomm-host.log
	# The guest side must work against a host as strict as rutabaga: run.sh runs
	# every guest-side test so once (docs/compatibility.md, "Peers").
	local strict=()
	[[ ${VSOMM_TEST_HOST_STRICT:-0} == 1 ]] && strict=(--strict)
	"$bin" --listen "$VSOMM_HOST_SOCK" --compositor "${VSOMM_COMPOSITOR:-$WESTON_SOCKET}" \
		"${strict[@]}" "$@" >"$VSOMM_HOST_LOG" 2>&1 &
	VSOMM_HOST_PID=$!
	harness_track "$VSOMM_HOST_PID"
	# shellcheck disable=SC2016 # expanded by eval, at each try
	if ! wait_for 10 eval 'kill -0 $VSOMM_HOST_PID 2>/dev/null && [[ -S $VSOMM_HOST_SOCK ]]'; then
		echo "harness: vsomm-host did not come up" >&2
		harness_dump "$VSOMM_HOST_LOG"
		return 1
	fi
}

fd_count() {
	local fds=(/proc/"$1"/fd/*)
	[[ -e ${fds[0]} ]] || { echo 0; return; }
	echo "${#fds[@]}"
}

# wait_fd_count PID N [SECONDS]: poll until PID has N open fds (teardown is async).
wait_fd_count() {
	wait_for "${3:-2}" eval "[[ \$(fd_count $1) == $2 ]]"
}
