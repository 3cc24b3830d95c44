#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-fuzz.sh FUZZER CORPUS WORKDIR [SECONDS]
# A bounded libFuzzer run (SECONDS, else $FUZZ_SECONDS, else 20) that starts from
# a copy of the seed corpus CORPUS in WORKDIR (the repository's corpus is never
# written).  A crash leaves its input as WORKDIR/crash-* and fails the test.
set -euo pipefail
fuzzer=$1 corpus=$2 work=$3
seconds=${4:-${FUZZ_SECONDS:-20}}
rm -rf "$work"
mkdir -p "$work/corpus"
cp "$corpus"/* "$work/corpus/"
# The run's own log: the final stats are the figures of docs/reliability.md.
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
	-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1
rc=$?
set -e
grep -E '^(stat::|#[0-9]+ +DONE)' "$work/log" || true
if ((rc != 0)); then
	tail -n 60 "$work/log"
	echo "fuzzer failed ($rc); artifacts in $work"
	exit 1
fi
echo "$(ls "$work/corpus" | wc -l) corpus entries after ${seconds}s"
