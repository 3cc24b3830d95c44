#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# fast-calloc.sh yes|no VSOMM VSOMM_HOST: VSOMM defines calloc (launcher/calloc.c)
# exactly when the build option fast_calloc is on; VSOMM_HOST never does.
set -euo pipefail
want=$1 vsomm=$2 host=$3

defines_calloc() {
	nm -D --defined-only "$1" 2>/dev/null | grep -qE ' T calloc$' ||
		nm --defined-only "$1" 2>/dev/null | grep -qE ' T calloc$'
}

if defines_calloc "$vsomm"; then got=yes; else got=no; fi
if [[ $got != "$want" ]]; then
	echo "FAIL: vsomm defines calloc: $got, the build option fast_calloc says $want" >&2
	exit 1
fi
if defines_calloc "$host"; then
	echo "FAIL: vsomm-host defines calloc (fast_calloc is for vsomm only)" >&2
	exit 1
fi
echo "vsomm's calloc: $got (as configured); vsomm-host: libc's"
