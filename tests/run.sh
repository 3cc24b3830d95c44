#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The one test command: installs what the build and tests need (Debian
# bookworm, as root; apt is skipped when everything is present), then builds and
# runs every meson test in two configurations:
#   build-ci       gcc, debugoptimized
#   build-ci-asan  clang, -Db_sanitize=address,undefined (leaks and UB are fatal),
#                  every vsomm-host a test starts with --strict (VSOMM_TEST_HOST_STRICT=1):
#                  the guest side runs once against vsomm-host as it is and once
#                  against one as strict as rutabaga (docs/compatibility.md, "Peers"),
#                  at no extra time
# Ends with "N passed, N failed"; exits non-zero if anything failed.
#
# VSOMM_TEST_ARGS (optional, split on spaces) is passed to both `meson test`
# runs, e.g. VSOMM_TEST_ARGS='--suite unit' or a test name, to run a subset.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
# shellcheck source=tests/lib/deps.sh
source tests/lib/deps.sh

vsomm_install_deps "${VSOMM_DEB_PACKAGES[@]}"

total_pass=0
total_fail=0
total_skip=0
failed_configs=()

# count_results BUILDDIR: adds the results of the last `meson test` run.
count_results() {
	local log=$1/meson-logs/testlog.json counts
	if [[ ! -f $log ]]; then
		total_fail=$((total_fail + 1))
		return
	fi
	counts=$(python3 - "$log" <<'PY'
import json, sys
ok = fail = skip = 0
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            r = json.loads(line).get("result", "")
        except ValueError:  # a torn line (another meson test on this dir): unknown, so failed
            r = "UNREADABLE"
        if r in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif r == "SKIP":
            skip += 1
        else:
            fail += 1
print(ok, fail, skip)
PY
) || counts="0 1 0"
	read -r p f s <<<"$counts"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

# run_config NAME CC [meson options…]
run_config() {
	local dir=$1 cc=$2
	shift 2
	echo
	echo "==== $dir (CC=$cc $*) ===="
	if [[ -f $dir/meson-private/coredata.dat ]]; then
		CC=$cc meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; rm -rf "$dir"; }
	fi
	if [[ ! -f $dir/meson-private/coredata.dat ]]; then
		if ! CC=$cc meson setup "$dir" "$@" >"$dir.setup.log" 2>&1; then
			cat "$dir.setup.log"
			echo "$dir: meson setup FAILED"
			failed_configs+=("$dir (setup)")
			total_fail=$((total_fail + 1))
			return 0
		fi
	fi
	rm -f "$dir.setup.log"
	# Keep going on build errors: the tests whose programs did build still run
	# (the others fail), so one broken target does not hide every result.
	if ! ninja -C "$dir" -k 0; then
		echo "$dir: build FAILED"
		failed_configs+=("$dir (build)")
		total_fail=$((total_fail + 1))
	fi
	rm -f "$dir/meson-logs/testlog.json"
	if ! meson test -C "$dir" --no-rebuild --print-errorlogs "${MESON_TEST_ARGS[@]}" \
		"${extra_test_args[@]}"; then
		failed_configs+=("$dir (tests)")
	fi
	count_results "$dir"
}

read -r -a extra_test_args <<<"${VSOMM_TEST_ARGS:-}"
MESON_TEST_ARGS=()
run_config build-ci gcc --buildtype=debugoptimized

export VSOMM_TEST_HOST_STRICT=1
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Sanitized code runs slower: give the tests more time on a small CI machine.
MESON_TEST_ARGS=(--timeout-multiplier 3)
run_config build-ci-asan clang --buildtype=debugoptimized \
	-Db_sanitize=address,undefined -Db_lundef=false

echo
if ((${#failed_configs[@]})); then
	echo "failed: ${failed_configs[*]}"
fi
((total_skip == 0)) || echo "$total_skip skipped"
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
