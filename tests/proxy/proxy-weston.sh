#!/bin/bash
# SPDX-License-Identifier: MIT
#
# End-to-end checks of proxy/ against a real headless Weston, the host
# connection being a plain socket (tests/proxy/proxy-direct.c).
#
#   proxy-weston.sh CASE
#
# Environment (set by meson): PROXY_DIRECT, SYNC_CLIENT, GARBAGE_CLIENT,
# SCREENSHOT (tests/tools/vsomm-screenshot), SRCDIR.
# Every process started here is ended by pid; the runtime dir is private.
set -u

CASE=${1:?usage: proxy-weston.sh CASE}
for tool in weston "$PROXY_DIRECT" "$SYNC_CLIENT" "$GARBAGE_CLIENT"; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

RUNTIME=$(mktemp -d "${TMPDIR:-/tmp}/vsomm-proxy-test.XXXXXX")
chmod 0700 "$RUNTIME"
export XDG_RUNTIME_DIR=$RUNTIME
unset WAYLAND_DISPLAY WAYLAND_SOCKET DISPLAY
WESTON_SOCKET=wayland-host
export VSOMM_HOST_DISPLAY=$WESTON_SOCKET
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$RUNTIME"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$RUNTIME"/*.log; do
		[[ -f $f ]] || continue
		echo "---- $f (tail)"
		tail -n 30 "$f"
	done
	exit 1
}

# start_weston [WESTON ARGS]: --no-config unless ARGS name a config.
start_weston() {
	weston --backend=headless-backend.so --use-pixman --debug "${@:---no-config}" \
		--socket="$WESTON_SOCKET" --idle-time=0 >"$RUNTIME/weston.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		[[ -S $RUNTIME/$WESTON_SOCKET ]] && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || fail "weston exited"
		sleep 0.05
	done
	fail "weston did not create its socket"
}

# through_proxy LOG [proxy options] -- COMMAND...: run COMMAND through the
# proxy; the exit status is COMMAND's.
through_proxy() {
	local log=$1
	shift
	"$PROXY_DIRECT" "$@" 2>"$RUNTIME/$log"
}

# "interface version" lines of a wayland-info output, sorted.
globals_of() {
	sed -n "s/^interface: '\([^']*\)', *version: *\([0-9]*\),.*/\1 \2/p" "$1" | sort
}

# shot NAME: a screenshot of Weston's output, $RUNTIME/NAME.png.
shot() {
	"$SCREENSHOT" --display "$WESTON_SOCKET" -o "$RUNTIME/$1.png"
}

# drawn NAME: shots until one shows a drawn window (10 s at most).
drawn() {
	for _ in $(seq 50); do
		shot "$1" && python3 "$SRCDIR/tests/lib/check-shots.py" "$RUNTIME/$1.png" \
			>"$RUNTIME/shots.log" && return 0
		sleep 0.2
	done
	return 1
}

# blank: shots until the screen is the background only (5 s at most).
blank() {
	for _ in $(seq 25); do
		shot blank && ! python3 "$SRCDIR/tests/lib/check-shots.py" --min-pixels 1 \
			--min-colors 1 "$RUNTIME/blank.png" >/dev/null && return 0
		sleep 0.2
	done
	return 1
}

case $CASE in
simple-shm | simple-damage)
	# The shell draws nothing but a 0x202020 background (no panel and its
	# clock, no animations), as tests/lib/weston.sh's: the shots show the
	# client's window alone.
	cat >"$RUNTIME/weston.ini" <<-INI
		[shell]
		background-color=0xff202020
		panel-position=none
		startup-animation=none
		animation=none
		close-animation=none
	INI
	start_weston -c "$RUNTIME/weston.ini"
	blank || fail "the shell never drew its background"
	;;
*) start_weston ;;
esac

case $CASE in
wayland-info)
	command -v wayland-info >/dev/null || { echo "SKIP: wayland-info missing"; exit 77; }
	WAYLAND_DISPLAY=$WESTON_SOCKET wayland-info >"$RUNTIME/direct.out" 2>&1 ||
		fail "wayland-info direct"
	through_proxy proxy.log -- wayland-info >"$RUNTIME/proxy.out" ||
		fail "wayland-info through the proxy"
	"$PROXY_DIRECT" --list-globals | sort >"$RUNTIME/relayed"
	globals_of "$RUNTIME/direct.out" >"$RUNTIME/direct"
	globals_of "$RUNTIME/proxy.out" >"$RUNTIME/proxy"
	[[ -s $RUNTIME/direct ]] || fail "no globals parsed from wayland-info"
	# Expected: the direct globals vsomm relays, at min(host, vsomm) version.
	awk 'NR == FNR { max[$1] = $2; next }
	     ($1 in max) { v = $2 < max[$1] ? $2 : max[$1]; print $1, v }' \
		"$RUNTIME/relayed" "$RUNTIME/direct" | sort >"$RUNTIME/expected"
	if ! diff -u "$RUNTIME/expected" "$RUNTIME/proxy"; then
		fail "globals through the proxy differ from the expected ones"
	fi
	echo "relayed $(wc -l <"$RUNTIME/proxy") of $(wc -l <"$RUNTIME/direct") host globals"
	;;
simple-shm | simple-damage)
	# The client runs 5 s through the proxy without an error, and draws: its
	# window keeps changing (three shots a second apart), and each shot is
	# one frame of what the client draws, equal to a direct run where that
	# does not depend on the animation phase (window size, simple-shm's
	# padding, simple-damage's border and fill), checked against the
	# client's drawing code where it does (tests/lib/check-weston-simple.py).
	client=weston-$CASE
	command -v "$client" >/dev/null || { echo "SKIP: $client missing"; exit 77; }
	[[ -x ${SCREENSHOT:-} ]] || { echo "SKIP: no vsomm-screenshot"; exit 77; }
	WAYLAND_DISPLAY=$WESTON_SOCKET "$client" >"$RUNTIME/direct.log" 2>&1 &
	direct=$!
	PIDS+=("$direct")
	drawn direct || fail "$client draws nothing directly: $(cat "$RUNTIME/shots.log")"
	kill -TERM "$direct"
	wait "$direct"
	blank || fail "the direct run's window is still shown"

	through_proxy proxy.log -- timeout 5 "$client" >"$RUNTIME/client.log" 2>&1 &
	proxied=$!
	PIDS+=("$proxied")
	drawn proxy-1 || fail "$client draws nothing through the proxy: $(cat "$RUNTIME/shots.log")"
	sleep 1
	shot proxy-2 || fail "screenshot"
	sleep 1
	shot proxy-3 || fail "screenshot"
	wait "$proxied"
	status=$?
	[[ $status == 124 ]] || fail "$client ended early with status $status"
	if grep -Eiq "error|fail" "$RUNTIME/client.log" "$RUNTIME/proxy.log"; then
		fail "errors in the logs"
	fi
	python3 "$SRCDIR/tests/lib/check-weston-simple.py" "$CASE" "$RUNTIME/direct.png" \
		"$RUNTIME"/proxy-{1,2,3}.png || fail "$client through the proxy"
	;;
sync)
	through_proxy proxy.log -- "$SYNC_CLIENT" roundtrip || fail "round trips"
	;;
errors)
	through_proxy proxy.log -- "$SYNC_CLIENT" bad-version || fail "bad-version"
	through_proxy proxy2.log -- "$SYNC_CLIENT" host-error || fail "host-error"
	;;
title)
	WAYLAND_DEBUG=client through_proxy proxy.log --title-prefix "guest: " \
		--app-id-prefix "vm." -- "$SYNC_CLIENT" title || fail "title client"
	grep -q 'set_title("guest: hello")' "$RUNTIME/proxy.log" || fail "no prefixed title"
	grep -q 'set_app_id("vm.org.test")' "$RUNTIME/proxy.log" || fail "no prefixed app_id"
	;;
garbage)
	# One proxy, several clients: the garbage one is disconnected while
	# weston-simple-shm keeps running and new clients still work.
	command -v weston-simple-shm >/dev/null || { echo "SKIP: weston-simple-shm missing"; exit 77; }
	cat >"$RUNTIME/both.sh" <<-EOS
		#!/bin/bash
		timeout 3 weston-simple-shm & shm=\$!
		"$SYNC_CLIENT" roundtrip || exit 10
		"$GARBAGE_CLIENT" || exit 11
		"$SYNC_CLIENT" roundtrip || exit 12
		wait \$shm; status=\$?
		[[ \$status == 124 ]] || exit 13
		exit 0
	EOS
	chmod +x "$RUNTIME/both.sh"
	through_proxy proxy.log -- "$RUNTIME/both.sh" >"$RUNTIME/client.log" 2>&1
	status=$?
	[[ $status == 0 ]] || fail "garbage case, status $status"
	;;
*)
	echo "unknown case $CASE"
	exit 2
	;;
esac
echo "PASS: $CASE"
exit 0
