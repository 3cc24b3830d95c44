#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# doctor: `vsomm doctor` as users meet it (issue 16).  Each broken link gives
# its own FAIL line and vsomm's exit code for it: no XDG_RUNTIME_DIR (4); no
# device, auto with no render node and no vsomm-host socket, and
# socket:/nonexistent (3); vsomm-host down, a stale socket (3); a device without
# CONTEXT_INIT (3: vsomm-host-faults, VSOMM_SOCKET_FAULT=no-context-init); the
# compositor down behind a live vsomm-host (5); --x11 without Xwayland (6).  And
# the success case against a headless Weston through vsomm-host: exit 0,
# every check ok, the latency, wl_compositor among the relayed globals and
# Weston's screenshooter among the hidden ones.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"

vsomm=$BUILD/launcher/vsomm
harness_init
rt=$XDG_RUNTIME_DIR
# shellcheck source=tests/launcher/lines.sh
source "$SRCDIR/tests/launcher/lines.sh"
# doctor OUT [ARGS...]: run vsomm (no render node: VSOMM_DEVICE unset, and
# auto finds none on this machine), print its exit status
doctor() {
	local out=$1
	shift
	run_out "$out" "$vsomm" "$@"
}
unset VSOMM_DEVICE
if compgen -G "/dev/dri/renderD*" >/dev/null; then
	# the auto cases below assume no virtio_gpu node: say so if there is one
	echo "note: this machine has render nodes: $(echo /dev/dri/renderD*)" >&2
fi

# --- options ---
s=$(doctor "$rt/out" --help)
check "--help documents doctor ($s)" has "$rt/out" '^ +vsomm .*doctor'
s=$(doctor "$rt/out" doctor extra)
check "doctor with an argument: 1 ($s)" test "$s" = 1
s=$(doctor "$rt/out" doctor --serve)
check "doctor --serve: 1 ($s)" test "$s" = 1
s=$(doctor "$rt/out" doctor --device bogus)
check "doctor --device bogus: 1 ($s)" test "$s" = 1
check "doctor --device bogus: its line" has "$rt/out" "^FAIL +device: unknown device 'bogus'"
s=$(doctor "$rt/out" -- doctor)
check "vsomm -- doctor runs an APP called doctor: 127 ($s)" test "$s" = 127

# --- XDG_RUNTIME_DIR ---
s=$(run_out "$rt/out" env -u XDG_RUNTIME_DIR "$vsomm" doctor)
check "no XDG_RUNTIME_DIR: 4 ($s)" test "$s" = 4
check "no XDG_RUNTIME_DIR: its line" has "$rt/out" '^FAIL +XDG_RUNTIME_DIR: not set$'
check "no XDG_RUNTIME_DIR: what to do" has "$rt/out" '^      .*export XDG_RUNTIME_DIR='
s=$(XDG_RUNTIME_DIR=relative doctor "$rt/out" doctor)
check "relative XDG_RUNTIME_DIR: 4 ($s)" test "$s" = 4
mkdir -m 0755 "$rt/open"
s=$(XDG_RUNTIME_DIR=$rt/open doctor "$rt/out" doctor)
check "XDG_RUNTIME_DIR mode 0755: a warning" has "$rt/out" '^warn +XDG_RUNTIME_DIR: .* mode 0755, not 0700'

# --- no device ---
s=$(doctor "$rt/out" doctor)
check "auto, no render node, no vsomm-host socket: 3 ($s)" test "$s" = 3
check "auto, no device: the render node line" has "$rt/out" '^- +render node: no virtio_gpu render node'
check "auto, no device: the socket line" has "$rt/out" "^FAIL +vsomm-host socket: $rt/vsomm-host.sock: No such file"
check "auto, no device: what to do" has "$rt/out" '^      start vsomm-host'
check "auto, no device: the later checks skipped" has "$rt/out" '^- +compositor: not checked: no device'
s=$(doctor "$rt/out" doctor --device socket:/nonexistent)
check "socket:/nonexistent: 3 ($s)" test "$s" = 3
check "socket:/nonexistent: its line" has "$rt/out" '^FAIL +vsomm-host socket: /nonexistent: No such file'
s=$(VSOMM_DEVICE=socket:/nonexistent doctor "$rt/out" doctor)
check "VSOMM_DEVICE=socket:/nonexistent: 3 ($s)" test "$s" = 3
s=$(doctor "$rt/out" doctor --device drm:/dev/null)
check "drm:/dev/null: 3 ($s)" test "$s" = 3
check "drm:/dev/null: not a virtio_gpu" has "$rt/out" '^FAIL +render node: /dev/null: not a virtio_gpu device'
touch "$rt/vsomm-host.sock"
s=$(doctor "$rt/out" doctor)
check "a file that is no socket: 3 ($s)" test "$s" = 3
check "a file that is no socket: its line" has "$rt/out" '^FAIL +vsomm-host socket: .* is not a socket'
rm "$rt/vsomm-host.sock"

# --- --x11 without Xwayland ---
s=$(doctor "$rt/out" doctor --x11 --xwayland /nonexistent/Xwayland)
check "--x11, no Xwayland: 3 first (no device) ($s)" test "$s" = 3
check "--x11, no Xwayland: its line" has "$rt/out" '^FAIL +Xwayland: /nonexistent/Xwayland: not found'
check "--x11, no Xwayland: what to do" has "$rt/out" '^      install Xwayland'

# --- vsomm-host down: its socket left behind ---
weston_start
# shellcheck disable=SC2119 # no extra vsomm-host arguments
vsomm_host_start
kill -KILL "$VSOMM_HOST_PID"
wait "$VSOMM_HOST_PID" 2>/dev/null || true
check "a stale socket is left" test -S "$VSOMM_HOST_SOCK"
s=$(doctor "$rt/out" doctor)
check "vsomm-host down (stale socket): 3 ($s)" test "$s" = 3
check "vsomm-host down: its line" has "$rt/out" '^FAIL +vsomm-host socket: .*Connection refused \(a stale socket'
check "vsomm-host down: what to do" has "$rt/out" '^      start vsomm-host'

# --- a device without CONTEXT_INIT ---
# shellcheck disable=SC2119 # no extra vsomm-host arguments
VSOMM_SOCKET_FAULT=no-context-init VSOMM_HOST_BIN=$BUILD/launcher/vsomm-host-faults vsomm_host_start
s=$(doctor "$rt/out" doctor)
check "no CONTEXT_INIT: 3 ($s)" test "$s" = 3
check "no CONTEXT_INIT: its line" has "$rt/out" '^FAIL +vsomm-host socket: .*cross-domain 5: yes; CONTEXT_INIT: no;'
check "no CONTEXT_INIT: no context tried" has "$rt/out" '^- +cross-domain context: not checked'
stop_pid "$VSOMM_HOST_PID" || true

# --- the working chain ---
# shellcheck disable=SC2119
vsomm_host_start
s=$(doctor "$rt/ok" doctor --x11 --xwayland /bin/true)
check "against Weston through vsomm-host: 0 ($s)" test "$s" = 0
check "no check FAIL or warn" test "$(grep -cE '^(FAIL|warn) ' "$rt/ok")" = 0
# auto on a machine without virtio_gpu: the render nodes are the one line not ok
check "no check skipped but the render nodes" test "$(grep -E '^- ' "$rt/ok" | grep -Ecv '^- +render node: no virtio_gpu')" = 0
for line in 'XDG_RUNTIME_DIR' 'vsomm-host socket' 'cross-domain context' 'compositor' 'globals' 'Xwayland'; do
	check "the $line line is ok" has "$rt/ok" "^ok +$line: "
done
check "the socket line names the peer (uid $(id -u))" has "$rt/ok" "^ok +vsomm-host socket: .*uid $(id -u); cross-domain 5: yes; CONTEXT_INIT: yes; RESOURCE_BLOB: yes"
check "the compositor line has the latency" has "$rt/ok" '^ok +compositor: wl_display.sync answered in [0-9]+\.[0-9] ms$'
check "wl_compositor among the relayed globals" has "$rt/ok" '^ +relayed: (.* )?wl_compositor( |$)'
check "weston_screenshooter among the denied globals" grep -qE '^ +(hidden, denied.*: |  +).*weston_screenshooter' "$rt/ok"
check "the checks in order" test "$(grep -oE '^(ok|FAIL|warn|-) +[A-Za-z_ -]+:' "$rt/ok" | sed -E 's/^[a-zA-Z-]+ +//' | tr -d '\n')" = "XDG_RUNTIME_DIR:render node:vsomm-host socket:cross-domain context:compositor:globals:Xwayland:"
check "nothing on stderr" test ! -s "$rt/ok.err"
s=$(doctor "$rt/out" --device "socket:$VSOMM_HOST_SOCK" doctor)
check "--device before the word doctor: 0 ($s)" test "$s" = 0
s=$(doctor "$rt/out" doctor --x11 --xwayland /nonexistent/Xwayland)
check "--x11, no Xwayland, all else working: 6 ($s)" test "$s" = 6

# --- the compositor down, vsomm-host up ---
stop_pid "$WESTON_PID" || true
s=$(doctor "$rt/out" doctor)
check "compositor down: 5 ($s)" test "$s" = 5
check "compositor down: the context still works" has "$rt/out" '^ok +cross-domain context: '
check "compositor down: its line" has "$rt/out" '^FAIL +compositor: the connection ended'
check "compositor down: what to do" has "$rt/out" '^      vsomm-host cannot reach the host compositor'
check "compositor down: globals skipped" has "$rt/out" '^- +globals: not checked'

((fails == 0)) || { echo "$fails check(s) failed" >&2; exit 1; }
