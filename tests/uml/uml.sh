# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Host side of the UML tests: boot the guest kernel against vsomm-host's
# vhost-user socket and run a job script inside (tests/uml/guest-init.sh).
#
#   source tests/uml/uml.sh      # after tests/lib/weston.sh
#   uml_kernel                   # sets UML_KERNEL (builds or finds it; fails if it cannot)
#   uml_run JOB                  # boot, run JOB (a file) inside; sets UML_OUT (results dir)
#   uml_start JOB; ...; uml_wait # the same, with the host free while the guest runs
#
# VSOMM_UML_KERNEL=PATH uses that kernel instead of the recipe's (kernel work).
# Needs VSOMM_VHOST_SOCK (vsomm-host --vhost-user PATH).

uml_kernel() {
	local rc=0
	uml_host_facts
	echo "uml: host: $UML_HOST_FACTS"
	if [[ -n ${VSOMM_UML_KERNEL:-} ]]; then
		UML_KERNEL=$VSOMM_UML_KERNEL
		return
	fi
	UML_KERNEL=$("$SRCDIR/tests/uml/build-kernel.sh") || rc=$?
	((rc == 0)) || { echo "FAIL: no UML guest kernel (build-kernel.sh exit $rc)" >&2; exit 1; }
	echo "uml: kernel: $UML_KERNEL"
}

# uml_host_facts: UML_HOST_FACTS = the host CPU model and XSAVE sizes
# (tests/uml/host-xsave.c): the guest kernel transfers that area on every
# switch to one of its processes (tests/uml/patches/0002-*).
uml_host_facts() {
	if [[ -x ${HOST_XSAVE:-} ]]; then
		UML_HOST_FACTS=$("$HOST_XSAVE" 2>&1) || true
	else
		UML_HOST_FACTS="cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); xsave: not measured (HOST_XSAVE unset)"
	fi
}

# uml_run JOB [TIMEOUT]: the guest's console goes to $UML_OUT/console.log.
uml_run() {
	uml_start "$1" && uml_wait "${2:-120}"
}

# uml_start JOB: boot the guest in the background (UML_PID, UML_OUT).
uml_start() {
	local job=$1
	UML_OUT=$(mktemp -d "$XDG_RUNTIME_DIR/uml-out.XXXXXX")
	cp "$job" "$UML_OUT/job.sh"
	# UML needs a writable, exec-able TMPDIR for its physical memory file.
	mkdir -p "$XDG_RUNTIME_DIR/uml-tmp"
	TMPDIR=$XDG_RUNTIME_DIR/uml-tmp "$UML_KERNEL" mem=256M root=/dev/root rootfstype=hostfs \
		rootflags=/ ro init="$SRCDIR/tests/uml/guest-init.sh" con0=fd:0,fd:1 con=null \
		"virtio_uml.device=$VSOMM_VHOST_SOCK:16" "vsomm_out=$UML_OUT" \
		"vsomm_job=$UML_OUT/job.sh" </dev/null >"$UML_OUT/console.log" 2>&1 &
	UML_PID=$!
	harness_track "$UML_PID"
}

# uml_wait [TIMEOUT]: until the guest has powered off; fails if its job did not run.
uml_wait() {
	local timeout=${1:-120} pid=$UML_PID
	local deadline=$((SECONDS + timeout))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS > deadline)); then
			echo "FAIL: the UML guest did not finish in $timeout s" >&2
			tail -n 40 "$UML_OUT/console.log" >&2
			return 1
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
	if [[ ! -f $UML_OUT/guest.rc ]]; then
		uml_diagnose >&2
		echo "FAIL: the guest job did not run" >&2
		tail -n 40 "$UML_OUT/console.log" >&2
		return 1
	fi
}

# uml_diagnose: why a guest never ran its job, from its console, with the host
# facts the known causes depend on.
uml_diagnose() {
	local log=$UML_OUT/console.log
	[[ -n ${UML_HOST_FACTS:-} ]] || uml_host_facts
	if grep -q 'ptrace set fp regs failed' "$log"; then
		echo "FAIL: the guest kernel cannot run a process: the host refused its FP/XSAVE state" \
			"(ptrace PTRACE_SETREGSET NT_X86_XSTATE). Host: $UML_HOST_FACTS." \
			"A kernel without tests/uml/patches/0002-um-x86-xsave-size-from-host.patch fails" \
			"so on hosts whose XSAVE area is larger than 2696 bytes (AMX)."
	elif grep -qE 'ptrace .* failed|check_ptrace' "$log"; then
		echo "FAIL: the guest kernel cannot trace its processes on this host" \
			"($(grep -m1 -E 'ptrace .* failed|check_ptrace' "$log")). Host: $UML_HOST_FACTS."
	elif grep -q 'Kernel panic' "$log"; then
		echo "FAIL: the guest kernel panicked: $(grep -m1 'Kernel panic' "$log"). Host: $UML_HOST_FACTS."
	fi
}

# No virtio_gpu errors in the guest kernel log.
uml_check_dmesg() {
	if grep -iE 'virtio_gpu.*(error|fail)|\[drm\].*(error|\*ERROR\*)|shared memory request' "$UML_OUT/dmesg.txt"; then
		echo "FAIL: virtio_gpu errors in the guest kernel log" >&2
		return 1
	fi
}
