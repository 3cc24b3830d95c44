#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# uml-errors.sh FAULT EXPECTED-REGEX DOCTOR-REGEX
#
# The drm backend's answer to a device that lacks what cross-domain needs, on
# a real guest kernel: the test-only vsomm-host-faults (vsomm-host with fault
# injection compiled in) serves the guest over vhost-user with
# VSOMM_VHOST_USER_FAULT=FAULT (no-capset: no capset 5; no-context-init: no
# VIRTIO_GPU_F_CONTEXT_INIT), and vsomm in the guest must fail with a clear
# message matching EXPECTED-REGEX (the drm backend's, shown by
# vsomm at its default log level), without a virtio_gpu error in the kernel log.
# `vsomm doctor` on the node must fail (exit 3) with a render node line matching
# DOCTOR-REGEX (what the node lacks, as the kernel's GETPARAMs say).
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
# shellcheck source=tests/uml/uml.sh
source "$SRCDIR/tests/uml/uml.sh"
fault=$1 expected=$2 doctor_expected=$3
uml_kernel

weston_start
VSOMM_VHOST_SOCK=$XDG_RUNTIME_DIR/vsomm-vhost.sock
VSOMM_HOST_BIN=$BUILD/launcher/vsomm-host-faults VSOMM_VHOST_USER_FAULT=$fault vsomm_host_start --vhost-user "$VSOMM_VHOST_SOCK"

cat >"$XDG_RUNTIME_DIR/job.sh" <<JOB
"$BUILD/launcher/vsomm" --device drm:/dev/dri/renderD128 -- true 2>"\$VSOMM_OUT/vsomm.log"
echo \$? >"\$VSOMM_OUT/vsomm.rc"
"$BUILD/launcher/vsomm" doctor --device drm:/dev/dri/renderD128 >"\$VSOMM_OUT/doctor.txt" 2>&1
echo \$? >"\$VSOMM_OUT/doctor.rc"
JOB
uml_run "$XDG_RUNTIME_DIR/job.sh"
cat "$UML_OUT/vsomm.log"
if [[ $(cat "$UML_OUT/vsomm.rc") == 0 ]]; then
	echo "FAIL: vsomm succeeded on a device with fault $fault" >&2
	exit 1
fi
if ! grep -qE "$expected" "$UML_OUT/vsomm.log"; then
	echo "FAIL: vsomm's error does not say /$expected/" >&2
	exit 1
fi
cat "$UML_OUT/doctor.txt"
if [[ $(cat "$UML_OUT/doctor.rc") != 3 ]]; then
	echo "FAIL: vsomm doctor exits $(cat "$UML_OUT/doctor.rc"), not 3 (no device)" >&2
	exit 1
fi
if ! grep -qE "^FAIL +render node: /dev/dri/renderD128: virtio_gpu; .*$doctor_expected" "$UML_OUT/doctor.txt"; then
	echo "FAIL: vsomm doctor's render node line does not say /$doctor_expected/" >&2
	exit 1
fi
uml_check_dmesg
echo "ok: fault $fault gives a clear error, and vsomm doctor says what is missing"
