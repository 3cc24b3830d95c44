#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# ivi_application through vsomm on a real Weston with ivi-shell (the IVI
# deployments virtio-loopback comes from).  The same IVI client runs directly
# and through vsomm; Weston's own protocol log (WAYLAND_DEBUG=server) must show
# the same placement request both times: ivi_application.surface_create with
# the client's IVI id on a wl_surface that gets a buffer of the client's size,
# and no protocol error.
#
# Not a screenshot: Weston 10 places IVI surfaces only through a controller
# module, and its hmi-controller needs weston-ivi-shell-user-interface, which
# Debian does not ship (Weston then exits at start); without a controller
# nothing is shown, and the ivi-shell has no weston_screenshooter either.  What
# the shell is told (the id and the surface) is what decides the placement.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
WESTON_SOCKET=wayland-ivi
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
harness_init
ivi_id=4242
size=320x200

ini=$XDG_RUNTIME_DIR/weston.ini
printf '[core]\nshell=ivi-shell.so\nidle-time=0\n' >"$ini"
WESTON_LOG=$XDG_RUNTIME_DIR/weston.log
WAYLAND_DEBUG=server weston --backend=headless-backend.so --use-pixman \
	--socket="$WESTON_SOCKET" -c "$ini" >"$WESTON_LOG" 2>&1 &
WESTON_PID=$!
harness_track "$WESTON_PID"
wait_for 10 test -S "$XDG_RUNTIME_DIR/$WESTON_SOCKET" || { harness_dump "$WESTON_LOG"; echo "FAIL: ivi-shell Weston did not start" >&2; exit 1; }
grep -q "ivi-shell.so" "$WESTON_LOG" || { echo "FAIL: Weston did not load ivi-shell" >&2; exit 1; }
vsomm_host_start

fail=0
for mode in direct vsomm; do
	log=$XDG_RUNTIME_DIR/ivi-$mode.log
	before=$(wc -l <"$WESTON_LOG")
	status=0
	if [[ $mode == direct ]]; then
		WAYLAND_DISPLAY=$WESTON_SOCKET timeout 30 "$BUILD/tests/protocols/ivi-client" \
			"$ivi_id" "$size" 1 >"$log" 2>&1 || status=$?
	else
		timeout 30 "$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- \
			"$BUILD/tests/protocols/ivi-client" "$ivi_id" "$size" 1 >"$log" 2>&1 || status=$?
	fi
	tail -n +"$((before + 1))" "$WESTON_LOG" >"$XDG_RUNTIME_DIR/weston-$mode.log"
	wlog=$XDG_RUNTIME_DIR/weston-$mode.log
	if ((status != 0)) || ! grep -qx ready "$log"; then
		echo "FAIL: $mode: the IVI client failed (status $status)" >&2
		cat "$log" >&2
		fail=1
		continue
	fi
	# ivi_application@N.surface_create(4242, wl_surface@S, new id ivi_surface@I)
	create=$(grep -Eo "ivi_application@[0-9]+\.surface_create\($ivi_id, wl_surface@[0-9]+, new id ivi_surface@[0-9]+\)" "$wlog" | head -n 1) || true
	if [[ -z $create ]]; then
		echo "FAIL: $mode: Weston never got surface_create($ivi_id, …)" >&2
		fail=1
		continue
	fi
	surface=$(grep -Eo 'wl_surface@[0-9]+' <<<"$create")
	buffers=$(grep -Eo "create_buffer\(new id wl_buffer@[0-9]+, [0-9]+, ${size%x*}, ${size#*x}," "$wlog" | grep -Eo 'wl_buffer@[0-9]+' | sort -u) || true
	attached=no
	for b in $buffers; do
		if grep -Eq "$surface\.attach\($b, 0, 0\)" "$wlog"; then attached=yes; fi
	done
	errors=$(grep -c '\.error(' "$wlog" || true)
	echo "$mode: $create; a ${size} buffer attached to $surface: $attached; protocol errors: $errors"
	if [[ $attached != yes ]] || ((errors != 0)); then
		echo "FAIL: $mode: Weston did not get the client's surface as the direct run did" >&2
		fail=1
	fi
	grep -q "$surface\.commit()" "$wlog" || { echo "FAIL: $mode: no commit of $surface" >&2; fail=1; }
done
exit "$fail"
