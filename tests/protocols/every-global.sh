#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# every-global.sh [--newer]: every global vsomm relays, exercised through vsomm
# and vsomm-host against a scripted host (every-global-host): bind, an event,
# a request (and the object it creates, with its event), the destructor, as
# tests/protocols/exercise.h picks them from the forwarding tables.  Checks
# that the guest client saw every relayed global of
# build/protocols/forward-tables.json and each event, and that the host got
# each request.  --newer: the host offers every global one version above
# vsomm's, and the client must see vsomm's versions (a newer compositor
# degrades to what vsomm knows).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
harness_init

newer=()
cap=()
if [[ ${1:-} == --newer ]]; then
	newer=(--newer)
	cap=(--expect-version-cap)
fi
host_log=$XDG_RUNTIME_DIR/host.log
"$BUILD/tests/protocols/every-global-host" --socket every-global "${newer[@]}" >"$host_log" 2>&1 &
host_pid=$!
harness_track "$host_pid"
wait_for 10 grep -q '^READY' "$host_log" || { cat "$host_log"; echo "FAIL: the scripted host did not start" >&2; exit 1; }
VSOMM_COMPOSITOR=every-global vsomm_host_start

out=$XDG_RUNTIME_DIR/client.log
status=0
timeout 60 "$BUILD/launcher/vsomm" --device "socket:$VSOMM_HOST_SOCK" -- \
	"$BUILD/tests/protocols/every-global-client" "${cap[@]}" >"$out" 2>"$out.err" || status=$?
cat "$out"
fail=0
if ((status != 0)); then
	echo "FAIL: the client exited with status $status" >&2
	cat "$out.err" >&2
	fail=1
fi
# Every relayed global of this build was announced and exercised.
python3 - "$BUILD/protocols/forward-tables.json" "$out" "$host_log" <<'PY' || fail=1
import json, re, sys
summary = json.load(open(sys.argv[1]))
relayed = {n for n, g in summary["globals"].items() if g["relayed"]}
lines = open(sys.argv[2]).read().splitlines()
host = open(sys.argv[3]).read().splitlines()
ok = {l.split()[1]: l for l in lines if l.startswith("ok ")}
bad = 0
for name in sorted(relayed - set(ok)):
    print(f"FAIL: {name} (relayed) was not exercised through vsomm")
    bad = 1
requests = set(l.split()[1] for l in host if l.startswith("REQ "))
events = set(l.split()[1] for l in host if l.startswith("EVENT "))
sent = 0
for name, line in sorted(ok.items()):
    fields = dict(f.split("=", 1) for f in line.split()[3:])
    for key in ("request", "destroy"):
        if key in fields:
            sent += 1
            if f"{name}.{fields[key]}" not in requests:
                print(f"FAIL: {name}.{fields[key]} sent by the client never reached the host")
                bad = 1
    if "child" in fields and "child-event" in fields and \
            f"{fields['child']}.{fields['child-event']}" not in events:
        print(f"FAIL: the host never sent {fields['child']}.{fields['child-event']}")
        bad = 1
with_event = sum(1 for l in ok.values() if " event=" in l)
print(f"every-global: {len(ok)} of {len(relayed)} relayed globals exercised, {with_event} with "
      f"an event, {sent} requests reached the host, {len(events)} kinds of event sent")
sys.exit(bad)
PY
if ! stop_pid "$VSOMM_HOST_PID"; then :; fi
exit "$fail"
