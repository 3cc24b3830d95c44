#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# uml-compare.sh NAME [--ready|--settle SECONDS] -- CMD [ARGS...]
#
# tests/compare/compare.sh with the vsomm run inside the User-Mode Linux guest:
# CMD connected directly to the host's Weston and `vsomm --device drm:...  CMD`
# in the guest (the kernel's virtio_gpu, vsomm-host as its vhost-user device)
# must give pixel-identical screenshots, cropped to the window.  wl_shm clients
# and keymaps need HOST3D mappable blobs: the guest must see the host-visible
# region (tests/uml/patches), and its kernel log must have no virtio_gpu error.
#
# Guest and host take turns through files in the shared results directory:
# the guest writes `shoot` once CMD is up, the host shoots and writes `done`.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
# shellcheck source=tests/uml/uml.sh
source "$SRCDIR/tests/uml/uml.sh"

name=$1
shift
mode=settle settle=3
while [[ $# -gt 0 && $1 != -- ]]; do
	case $1 in
	--ready) mode=ready ;;
	--settle) settle=$2; shift ;;
	*) echo "uml-compare.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
shift
command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }
uml_kernel

weston_start
VSOMM_VHOST_SOCK=$XDG_RUNTIME_DIR/vsomm-vhost.sock
vsomm_host_start --vhost-user "$VSOMM_VHOST_SOCK"

# shot LABEL: screenshots until two in a row are the same; kept as $name-LABEL.png
shot() {
	local out=$XDG_RUNTIME_DIR/$name-$1 prev='' cur i
	for ((i = 0; i < 20; i++)); do
		"$BUILD/tests/tools/vsomm-screenshot" --display "$WESTON_SOCKET" -o "$out-shot.png"
		cur=$(cksum <"$out-shot.png")
		[[ $cur == "$prev" ]] && break
		prev=$cur
		sleep 0.5
	done
	mv "$out-shot.png" "$out.png"
}

# Direct, on the host.
WAYLAND_DISPLAY=$WESTON_SOCKET "$@" >"$XDG_RUNTIME_DIR/$name-direct.log" 2>&1 &
pid=$!
harness_track "$pid"
if [[ $mode == ready ]]; then
	wait_for 30 grep -q '^ready' "$XDG_RUNTIME_DIR/$name-direct.log" ||
		{ echo "FAIL: direct run never got ready" >&2; exit 1; }
	sleep 0.5
else
	sleep "$settle"
fi
shot direct
stop_pid "$pid" || true
sleep 0.3

# Through vsomm in the guest.
{
	printf '%q --device drm:/dev/dri/renderD128 --' "$BUILD/launcher/vsomm"
	printf ' %q' "$@"
	printf ' >"$VSOMM_OUT/app.log" 2>&1 &\n'
	cat <<JOB
pid=\$!
i=0
while [ \$i -lt 600 ] && kill -0 \$pid 2>/dev/null; do
	if [ $mode = ready ]; then grep -q '^ready' "\$VSOMM_OUT/app.log" && break; fi
	if [ $mode = settle ] && [ \$i -ge $((settle * 10)) ]; then break; fi
	sleep 0.1; i=\$((i + 1))
done
kill -0 \$pid 2>/dev/null || { echo "app exited early"; exit 1; }
touch "\$VSOMM_OUT/shoot"
i=0
while [ \$i -lt 1200 ] && [ ! -e "\$VSOMM_OUT/done" ]; do sleep 0.1; i=\$((i + 1)); done
kill \$pid
wait \$pid
exit 0
JOB
} >"$XDG_RUNTIME_DIR/job.sh"
uml_start "$XDG_RUNTIME_DIR/job.sh"
# shellcheck disable=SC2016 # expanded by eval, at each try
if ! wait_for 120 eval '[[ -e $UML_OUT/shoot ]] || ! kill -0 $UML_PID 2>/dev/null'; then
	echo "FAIL: the guest run never got ready" >&2
fi
if [[ -e $UML_OUT/shoot ]]; then
	[[ $mode == ready ]] && sleep 0.5
	shot uml
fi
touch "$UML_OUT/done"
uml_wait 120
rc=$(cat "$UML_OUT/guest.rc")
if [[ $rc != 0 || ! -e $XDG_RUNTIME_DIR/$name-uml.png ]]; then
	echo "FAIL: $name in the guest (status $rc)" >&2
	cat "$UML_OUT/guest.log" "$UML_OUT/app.log" >&2 || true
	tail -n 30 "$UML_OUT/dmesg.txt" >&2 || true
	tail -n 30 "$VSOMM_HOST_LOG" >&2
	exit 1
fi
grep -E '\[drm\]' "$UML_OUT/dmesg.txt" || true
if ! grep -q '+host_visible' "$UML_OUT/dmesg.txt"; then
	echo "FAIL: the guest has no host-visible memory" >&2
	exit 1
fi
uml_check_dmesg
if ! python3 "$SRCDIR/tests/compare/compare-shots.py" \
	"$XDG_RUNTIME_DIR/$name-direct.png" "$XDG_RUNTIME_DIR/$name-uml.png"; then
	mkdir -p "$BUILD/compare-failures"
	cp "$XDG_RUNTIME_DIR/$name"-*.png "$XDG_RUNTIME_DIR/$name"-*.log "$UML_OUT"/*.log \
		"$BUILD/compare-failures/" || true
	echo "shots kept in $BUILD/compare-failures" >&2
	exit 1
fi
echo "ok: $name through vsomm in UML matches the direct run"
