# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Helpers of the tests of vsomm doctor and vsomm-host --check (doctor.sh,
# host-check.sh), whose output is lines to match:
#   run_out OUT CMD...   run CMD (60 s at most), stdout to OUT, stderr to OUT.err;
#                        print its exit status
#   has OUT REGEX        a line of OUT matches (grep -E); else show OUT on stderr

run_out() {
	local out=$1 status=0
	shift
	timeout 60 "$@" >"$out" 2>"$out.err" || status=$?
	echo "$status"
}

has() {
	grep -qE "$2" "$1" && return 0
	echo "--- $1 has no line matching /$2/:" >&2
	cat "$1" >&2
	return 1
}
