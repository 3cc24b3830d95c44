#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Inside a User-Mode Linux guest, vsomm talks to the kernel's virtio_gpu driver
# (drm backend) whose device is vsomm-host's vhost-user back-end: wayland-info
# through vsomm lists the host Weston's globals.  The guest kernel log has no
# virtio_gpu errors, and the device has host-visible memory.  `vsomm doctor`
# (auto) in the guest reports the node as virtio_gpu with capset 5,
# CONTEXT_INIT, RESOURCE_BLOB and host-visible memory, and exits 0.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
# shellcheck source=tests/uml/uml.sh
source "$SRCDIR/tests/uml/uml.sh"
command -v wayland-info >/dev/null || { echo "SKIP: no wayland-info"; exit 77; }
uml_kernel

weston_start
VSOMM_VHOST_SOCK=$XDG_RUNTIME_DIR/vsomm-vhost.sock
vsomm_host_start --vhost-user "$VSOMM_VHOST_SOCK"

cat >"$XDG_RUNTIME_DIR/job.sh" <<JOB
set -x
ls -l /dev/dri
"$BUILD/launcher/vsomm" doctor >"\$VSOMM_OUT/doctor.txt" 2>&1
echo \$? >"\$VSOMM_OUT/doctor.rc"
"$BUILD/launcher/vsomm" --device drm:/dev/dri/renderD128 -- wayland-info >"\$VSOMM_OUT/info.txt" 2>"\$VSOMM_OUT/vsomm.log"
JOB
uml_run "$XDG_RUNTIME_DIR/job.sh"
rc=$(cat "$UML_OUT/guest.rc")
if [[ $rc != 0 ]] || ! grep -q "interface: 'wl_compositor'" "$UML_OUT/info.txt"; then
	echo "FAIL: wayland-info in the guest (status $rc)" >&2
	cat "$UML_OUT/guest.log" "$UML_OUT/vsomm.log" >&2 || true
	tail -n 30 "$UML_OUT/dmesg.txt" >&2 || true
	cat "$VSOMM_HOST_LOG" >&2
	exit 1
fi
# The guest sees the globals the host compositor announces.
WAYLAND_DISPLAY=$WESTON_SOCKET wayland-info | grep -o "interface: '[a-z_0-9]*'" | sort -u >"$UML_OUT/direct.txt"
grep -o "interface: '[a-z_0-9]*'" "$UML_OUT/info.txt" | sort -u >"$UML_OUT/guest.txt"
grep -q wl_shm "$UML_OUT/guest.txt" || { echo "FAIL: no wl_shm in the guest's globals" >&2; exit 1; }
uml_check_dmesg
# The host-visible region (tests/uml/patches + vsomm-host's SHMEM messages):
# without it HOST3D mappable blobs (wl_shm shadows, keymaps) cannot be mapped.
if ! grep -q '+host_visible' "$UML_OUT/dmesg.txt"; then
	echo "FAIL: the guest's virtio_gpu has no host-visible memory" >&2
	exit 1
fi
grep -E '\[drm\]' "$UML_OUT/dmesg.txt" || true
cat "$UML_OUT/doctor.txt"
doctor_has() {
	grep -qE "$1" "$UML_OUT/doctor.txt" || { echo "FAIL: vsomm doctor in the guest: no /$1/" >&2; exit 1; }
}
[[ $(cat "$UML_OUT/doctor.rc") == 0 ]] || { echo "FAIL: vsomm doctor in the guest exits $(cat "$UML_OUT/doctor.rc")" >&2; exit 1; }
doctor_has '^ok +render node: /dev/dri/renderD128: virtio_gpu; capsets ([0-9]+,)*5(,[0-9]+)* \(cross-domain 5: yes\); CONTEXT_INIT: yes; RESOURCE_BLOB: yes; host-visible memory: yes$'
doctor_has '^ok +cross-domain context: drm:/dev/dri/renderD128: '
doctor_has '^ok +compositor: wl_display.sync answered in [0-9.]+ ms$'
doctor_has '^ +relayed: (.* )?wl_compositor( |$)'
echo "ok: wayland-info in UML lists $(wc -l <"$UML_OUT/guest.txt") interfaces (direct: $(wc -l <"$UML_OUT/direct.txt"))"
