#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# profile.sh: syscalls (strace -c) or instructions (callgrind) of vsomm and
# vsomm-host per round trip, per frame or per message, independent of the
# machine's load.  Each tool runs the bench case twice (a short and a long run)
# and reports the difference divided by the difference of the counts, so the
# start-up and the connection set-up cancel out.
#   profile.sh [--build DIR] [--tool strace|callgrind] [--case roundtrip|messages|shm-damage] [--n N] [--objects N]
# (shm-damage: 64x64 damage on 1080p buffers, 0.5 s against 3 s; messages:
# per message of the messages case (create_region + add + destroy + the
# delete_id event), N/6 against N loops, default 30000; --objects: live
# wl_regions kept during the round trips)
# Not a test.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(readlink -f "$here/../..")
BUILD=$root/build
TOOL=strace
CASE=roundtrip
N=3000
OBJECTS=0
while (($#)); do
	case $1 in
	--build) BUILD=$2; shift ;;
	--tool) TOOL=$2; shift ;;
	--case) CASE=$2; shift ;;
	--n) N=$2; shift ;;
	--objects) OBJECTS=$2; shift ;;
	*) echo "usage: profile.sh [--build DIR] [--tool strace|callgrind] [--case roundtrip|messages|shm-damage] [--n N] [--objects N]" >&2; exit 2 ;;
	esac
	shift
done
BUILD=$(readlink -f "$BUILD")
command -v "$TOOL" >/dev/null || { [[ $TOOL == callgrind ]] && command -v valgrind >/dev/null; } ||
	{ echo "profile.sh: $TOOL is not installed" >&2; exit 77; }

# shellcheck source=tests/clients/headless-weston.sh
source "$root/tests/clients/headless-weston.sh"
hw_weston_start

# run NAME COUNT: one vsomm-host + vsomm + vsomm-bench under $TOOL.
run() {
	local name=$1 count=$2 sock=$HW_DIR/host-$1.sock wrap_host wrap_guest args
	case $TOOL in
	strace)
		wrap_host=(strace -qq -c -o "$HW_DIR/$name.host")
		wrap_guest=(strace -qq -c -o "$HW_DIR/$name.guest") ;;
	callgrind)
		wrap_host=(valgrind -q --tool=callgrind --callgrind-out-file="$HW_DIR/$name.host")
		wrap_guest=(valgrind -q --tool=callgrind --callgrind-out-file="$HW_DIR/$name.guest") ;;
	esac
	"${wrap_host[@]}" "$BUILD/launcher/vsomm-host" --listen "$sock" --compositor "$HW_SOCKET" \
		>"$HW_DIR/$name.host.log" 2>&1 &
	local host_pid=$!
	hw_track "$host_pid"
	for ((i = 0; i < 1000; i++)); do
		[[ -S $sock ]] && break
		sleep 0.02
	done
	case $CASE in
	roundtrip) args=(--case roundtrip -n "$count" --objects "$OBJECTS") ;;
	shm-damage) args=(--case shm-damage --seconds "$count" --size 1920x1080) ;;
	messages) args=(--case messages -n "$count") ;;
	esac
	"${wrap_guest[@]}" "$BUILD/launcher/vsomm" -d "socket:$sock" -- \
		"$BUILD/tests/bench/vsomm-bench" "${args[@]}" >"$HW_DIR/$name.out" 2>&1
	# strace/valgrind pass SIGTERM on to vsomm-host, which then exits cleanly
	local child
	child=$(pgrep -P "$host_pid" || true)
	if [[ $TOOL == strace && -n $child ]]; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$host_pid" 2>/dev/null || true
	else
		hw_stop "$host_pid" || true
	fi
}

# count NAME: iterations the bench client made (round trips or frames).
count() {
	case $CASE in
	roundtrip) awk -F= '$1 == "roundtrip_n" {print $2}' "$HW_DIR/$1.out" ;;
	shm-damage) awk -F= '$1 == "shm_damage_frames" {print int($2)}' "$HW_DIR/$1.out" ;;
	messages) awk -F= '$1 == "messages_iterations" {print int($2) * 4}' "$HW_DIR/$1.out" ;;
	esac
}

# total FILE: syscalls in an strace -c summary, or Ir in a callgrind file.
total() {
	case $TOOL in
	strace) awk '$NF == "total" {print $(NF-2)}' "$1" ;;
	callgrind) awk '/^summary:/ {print $2}' "$1" ;;
	esac
}

if [[ $CASE == messages && $N == 3000 ]]; then
	N=30000
fi
if [[ $CASE == roundtrip || $CASE == messages ]]; then
	run short $((N / 6 > 0 ? N / 6 : 1))
	run long "$N"
else
	run short 0.5
	run long 3
fi
short=$(count short)
N=$(count long)
for side in guest host; do
	a=$(total "$HW_DIR/short.$side")
	b=$(total "$HW_DIR/long.$side")
	python3 -c "import sys; print(f'{sys.argv[1]:5} {sys.argv[2]}: {(int(sys.argv[4]) - int(sys.argv[3])) / (int(sys.argv[6]) - int(sys.argv[5])):.2f} per iteration')" \
		"$side" "$([[ $TOOL == strace ]] && echo syscalls || echo Ir)" "$a" "$b" "$short" "$N"
	if [[ $TOOL == strace ]]; then
		# per syscall: the difference too
		python3 - "$HW_DIR/short.$side" "$HW_DIR/long.$side" "$short" "$N" <<-'PY'
			import sys
			def calls(path):
			    out = {}
			    for line in open(path):
			        f = line.split()
			        if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
			            out[f[-1]] = int(f[3])
			    return out
			a, b = calls(sys.argv[1]), calls(sys.argv[2])
			d = int(sys.argv[4]) - int(sys.argv[3])
			for k in sorted(b, key=lambda k: -(b[k] - a.get(k, 0))):
			    v = (b[k] - a.get(k, 0)) / d
			    if v >= 0.005:
			        print(f"        {k:14} {v:.3f}")
		PY
	fi
done
