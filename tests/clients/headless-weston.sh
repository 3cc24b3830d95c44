# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# A headless Weston 10 in a private XDG_RUNTIME_DIR for the client smoke tests
# and the benchmark; everything started here is ended by pid on exit.
#
#   source tests/clients/headless-weston.sh
#   hw_weston_start [INI_CORE_LINES…]   # sets HW_WESTON_PID, HW_SOCKET (path: $XDG_RUNTIME_DIR/$HW_SOCKET)
#   hw_track PID                        # end PID on exit too
#   hw_stop PID                         # TERM (KILL after 5 s); returns PID's exit status
#   hw_wait_line FILE LINE SECONDS [PID] # wait for LINE in FILE (fails early if PID dies)
#
# Weston: --use-pixman (the GL renderer draws nothing headless), --debug
# (weston_screenshooter for screenshots), --idle-time=0 (never blank).

HW_SOCKET=${HW_SOCKET:-wayland-vsomm-clients}
HW_PIDS=()
HW_DIR=

hw_now_ms() {
	date +%s%3N
}

hw_init() {
	[[ -n $HW_DIR ]] && return 0
	HW_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vsomm-clients.XXXXXX")
	chmod 0700 "$HW_DIR"
	export XDG_RUNTIME_DIR=$HW_DIR
	# Nothing started here may reach the caller's own compositor.
	unset WAYLAND_DISPLAY WAYLAND_SOCKET DISPLAY
	trap hw_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

hw_track() {
	HW_PIDS+=("$1")
}

hw_stop() {
	local pid=$1 status=0 deadline
	if kill -TERM "$pid" 2>/dev/null; then
		deadline=$(($(hw_now_ms) + 5000))
		while kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]; do
			if (($(hw_now_ms) > deadline)); then
				echo "harness: pid $pid ignored SIGTERM, killing" >&2
				kill -KILL "$pid" 2>/dev/null || true
				break
			fi
			sleep 0.02
		done
	fi
	wait "$pid" 2>/dev/null || status=$?
	return $status
}

hw_cleanup() {
	local status=$? i
	trap - EXIT
	for ((i = ${#HW_PIDS[@]} - 1; i >= 0; i--)); do
		hw_stop "${HW_PIDS[i]}" || true
	done
	HW_PIDS=()
	if [[ -n $HW_DIR && -d $HW_DIR ]]; then
		if [[ ${HW_KEEP:-0} == 1 ]]; then
			echo "harness: kept $HW_DIR" >&2
		else
			rm -rf "$HW_DIR"
		fi
	fi
	exit $status
}

hw_dump() {
	local f
	for f in "$@"; do
		[[ -f $f ]] || continue
		echo "---- $f ----" >&2
		tail -n 40 "$f" >&2
	done
}

# hw_wait_line FILE LINE SECONDS [PID]
hw_wait_line() {
	local file=$1 line=$2 deadline=$(($(hw_now_ms) + $3 * 1000)) pid=${4:-}
	while ! grep -qx -- "$line" "$file" 2>/dev/null; do
		[[ -z $pid ]] || kill -0 "$pid" 2>/dev/null || return 1
		(($(hw_now_ms) < deadline)) || return 1
		sleep 0.02
	done
}

hw_can_connect() {
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$1" \
		2>/dev/null
}

# hw_weston_start [LINES…]: extra lines go into the [core] section of weston.ini.
# shellcheck disable=SC2120 # the lines are optional
hw_weston_start() {
	hw_init
	if ! command -v weston >/dev/null 2>&1; then
		echo "SKIP: weston is not installed" >&2
		exit 77
	fi
	local ini=$HW_DIR/weston.ini line deadline
	{
		echo "[core]"
		for line in "$@"; do echo "$line"; done
		echo
		echo "[shell]"
		echo "background-color=0xff202020"
		echo "panel-position=none"
		# No fade-in: screenshots right after start show the real colors.
		echo "startup-animation=none"
	} >"$ini"
	HW_WESTON_LOG=$HW_DIR/weston.log
	weston --backend=headless-backend.so --use-pixman --debug --socket="$HW_SOCKET" \
		--width="${HW_WIDTH:-1024}" --height="${HW_HEIGHT:-640}" --idle-time=0 \
		-c "$ini" >"$HW_WESTON_LOG" 2>&1 &
	HW_WESTON_PID=$!
	hw_track "$HW_WESTON_PID"
	deadline=$(($(hw_now_ms) + 10000))
	# The socket file appears at bind(), before listen(): a connect proves it.
	until [[ -S $HW_DIR/$HW_SOCKET ]] && hw_can_connect "$HW_DIR/$HW_SOCKET"; do
		if ! kill -0 "$HW_WESTON_PID" 2>/dev/null || (($(hw_now_ms) > deadline)); then
			echo "harness: weston did not come up" >&2
			hw_dump "$HW_WESTON_LOG"
			return 1
		fi
		sleep 0.02
	done
}
