#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# install: `meson install --destdir` puts the binaries, the four systemd user
# units and the two man pages in place; systemd-analyze verify accepts every
# unit (with ExecStart= pointed into the destdir, and the man pages of
# Documentation= found there).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
harness_init
dest=$XDG_RUNTIME_DIR/dest

if ! meson install -C "$BUILD" --destdir "$dest" --no-rebuild >"$XDG_RUNTIME_DIR/install.log" 2>&1; then
	cat "$XDG_RUNTIME_DIR/install.log" >&2
	echo "FAIL: meson install" >&2
	exit 1
fi
prefix=$(meson introspect "$BUILD" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
root=$dest$prefix
for f in bin/vsomm bin/vsomm-host; do
	check "$f installed, executable" test -x "$root/$f"
done
units=(vsomm.socket vsomm.service vsomm-host.socket vsomm-host.service)
for u in "${units[@]}"; do
	check "lib/systemd/user/$u installed" test -f "$root/lib/systemd/user/$u"
done
mandir=$(meson introspect "$BUILD" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "mandir"))')
[[ $mandir == /* ]] || mandir=$prefix/$mandir
for p in vsomm.1 vsomm-host.1; do
	check "man page $p installed" test -s "$dest$mandir/man1/$p"
	for sec in OPTIONS ENVIRONMENT 'EXIT STATUS' FILES SECURITY EXAMPLES; do
		check "man page $p: section $sec" grep -qx ".SH $sec" "$dest$mandir/man1/$p"
	done
done
check "vsomm.service runs $prefix/bin/vsomm --serve" \
	grep -qx "ExecStart=$prefix/bin/vsomm --serve" "$root/lib/systemd/user/vsomm.service"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: no systemd-analyze (package systemd)" >&2
	exit 77
fi
units_dir=$XDG_RUNTIME_DIR/units
mkdir -p "$units_dir"
for u in "${units[@]}"; do
	sed "s#^ExecStart=$prefix/bin/#ExecStart=$root/bin/#" "$root/lib/systemd/user/$u" >"$units_dir/$u"
done
out=$XDG_RUNTIME_DIR/verify.log
status=0
(cd "$units_dir" && MANPATH=$dest$mandir systemd-analyze verify --user "${units[@]}") >"$out" 2>&1 ||
	status=$?
check "systemd-analyze verify --user: status 0 ($status), no complaint" \
	test "$status" = 0 -a ! -s "$out"
[[ -s $out ]] && cat "$out" >&2

((fails == 0))
