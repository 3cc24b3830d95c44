#!/bin/sh
# SPDX-License-Identifier: MIT
#
# init (pid 1) of the UML guest of tests/uml.  The root is the host's / (hostfs,
# read-only); the kernel command line passes vsomm_out=DIR (a host directory,
# mounted writable at the same path) and vsomm_job=FILE (a shell script run
# here).  The job's output goes to DIR/guest.log, its status to DIR/guest.rc,
# the kernel log to DIR/dmesg.txt; then the guest powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
# /tmp stays the host's (read-only): the test's files live there.
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/shm && mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t hostfs none "$vsomm_out" -o "$vsomm_out"
export XDG_RUNTIME_DIR=/run/user TMPDIR=/run/tmp
mkdir -m 0700 -p "$XDG_RUNTIME_DIR"
mkdir -m 1777 -p "$TMPDIR"
export VSOMM_OUT="$vsomm_out" HOME=/run/tmp
sh "$vsomm_job" >"$vsomm_out/guest.log" 2>&1
echo $? >"$vsomm_out/guest.rc"
dmesg >"$vsomm_out/dmesg.txt" 2>&1 || cat /proc/kmsg >/dev/null
sync
# -ff: reboot(2) at once, no init system to ask
poweroff -ff
