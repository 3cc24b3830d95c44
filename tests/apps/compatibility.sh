#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# compatibility.sh [BUILDDIR]: run the input, app and x11 suites and rewrite the
# table in docs/compatibility.md from their results.
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
build=${1:-build}
ninja -C "$build" || exit 1
meson test -C "$build" --no-rebuild --suite input --suite apps --suite x11
python3 tests/apps/compat-table.py docs/compatibility.md "$build/meson-logs/testlog.json"
