#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# ab.sh: one optimisation measured against its absence, in one run.
#   ab.sh --a BUILD_A --b BUILD_B [--case CASE] [--rounds N] [--pin CPU] [-- BENCH_ARGS...]
#   ab.sh --build BUILD --env-a VAR=VALUE --env-b VAR=VALUE [...]
# One headless Weston; vsomm-host of A and of B beside it; then, --rounds times,
# vsomm-bench --case CASE through A's vsomm and through B's, alternating (the
# first of each round alternates too).  Prints every run and the median of the
# B/A ratios of each figure.  A and B are build dirs (e.g. a `git worktree` of
# the commit before a change, built with meson); --env-a/--env-b run one build
# with an environment variable set differently (VSOMM_COPY_STREAM=0 / 1).
# @HOST@ in BENCH_ARGS becomes each side's vsomm-host pid: `-- --pid host=@HOST@`
# gives cpu_host_ms, the CPU time of that side's vsomm-host during the run.
# Not a test.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(readlink -f "$here/../..")
A='' B='' BUILD='' ENV_A='' ENV_B='' CASE=shm-damage ROUNDS=5 PIN=''
usage() {
	echo "usage: ab.sh (--a BUILD_A --b BUILD_B | --build BUILD --env-a VAR=VAL --env-b VAR=VAL)" \
		"[--case CASE] [--rounds N] [--pin CPU] [-- BENCH_ARGS...]" >&2
	exit 2
}
while (($#)); do
	case $1 in
	--a) A=$2; shift ;;
	--b) B=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--env-a) ENV_A=$2; shift ;;
	--env-b) ENV_B=$2; shift ;;
	--case) CASE=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--pin) PIN=$2; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
	shift
done
if [[ -n $BUILD ]]; then
	[[ -n $ENV_A && -n $ENV_B ]] || usage
	A=$BUILD B=$BUILD
fi
[[ -n $A && -n $B ]] || usage
A=$(readlink -f "$A") B=$(readlink -f "$B")
for d in "$A" "$B"; do
	for exe in launcher/vsomm launcher/vsomm-host tests/bench/vsomm-bench; do
		[[ -x $d/$exe ]] || { echo "ab.sh: no $d/$exe (build it first)" >&2; exit 1; }
	done
done

# shellcheck source=tests/lib/weston.sh
BUILD=$A source "$root/tests/lib/weston.sh"
weston_start
pin=()
if [[ -n $PIN ]]; then
	pin=(taskset -c "$PIN")
	taskset -a -p -c "$PIN" "$WESTON_PID" >/dev/null
fi
declare -A sock host_pid
for side in a b; do
	dir=$A
	[[ $side == b ]] && dir=$B
	sock[$side]=$XDG_RUNTIME_DIR/vsomm-host-$side.sock
	"${pin[@]}" "$dir/launcher/vsomm-host" --listen "${sock[$side]}" --compositor "$WESTON_SOCKET" \
		>"$XDG_RUNTIME_DIR/host-$side.log" 2>&1 &
	harness_track $!
	host_pid[$side]=$!
	wait_for 10 test -S "${sock[$side]}" || { echo "ab.sh: vsomm-host $side did not start" >&2; exit 1; }
done

out=$XDG_RUNTIME_DIR/ab.txt
for ((r = 0; r < ROUNDS; r++)); do
	order=(a b)
	((r % 2)) && order=(b a)
	for side in "${order[@]}"; do
		dir=$A envv=$ENV_A
		[[ $side == b ]] && dir=$B envv=$ENV_B
		# @HOST@ in BENCH_ARGS: this side's vsomm-host pid (--pid host=@HOST@)
		args=("${@//@HOST@/${host_pid[$side]}}")
		env ${envv:+"$envv"} "${pin[@]}" "$dir/launcher/vsomm" --device "socket:${sock[$side]}" -- \
			"$dir/tests/bench/vsomm-bench" --case "$CASE" "${args[@]}" 2>/dev/null |
			sed "s/^/$r $side /" >>"$out"
	done
done
python3 - "$out" "$A${ENV_A:+ $ENV_A}" "$B${ENV_B:+ $ENV_B}" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r, side, kv = line.split(None, 2)
    if '=' not in kv:
        continue
    k, v = kv.strip().split('=', 1)
    try:
        runs.setdefault(k, {}).setdefault(int(r), {})[side] = float(v)
    except ValueError:
        pass
print(f"A: {sys.argv[2]}\nB: {sys.argv[3]}")
for k, per_round in runs.items():
    if not any(w in k for w in ('per_s', 'p50', 'p99', 'per_frame', 'cpu_')):
        continue
    a = [p['a'] for p in per_round.values() if 'a' in p]
    b = [p['b'] for p in per_round.values() if 'b' in p]
    ratios = [p['b'] / p['a'] for p in per_round.values() if p.get('a') and 'b' in p]
    if not ratios:
        continue
    print(f"{k:32} A {statistics.median(a):12.1f}  B {statistics.median(b):12.1f}  "
          f"B/A {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})")
PY
