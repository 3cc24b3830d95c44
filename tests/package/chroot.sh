#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/package/chroot.sh DIR: install the packages DIR holds (vsomm_*.deb,
# vsomm-host_*.deb) into a clean Debian bookworm root, run the installed
# /usr/bin/vsomm-host and `/usr/bin/vsomm wayland-info` against a headless
# Weston there, then remove and purge both packages and check that nothing of
# theirs is left.  Run as root (debootstrap, chroot, mount); package.sh runs it.
#
# The root is a `debootstrap --variant=minbase bookworm` from the machine's own
# Debian mirror (/etc/apt/sources.list*), kept as a tarball under
# $VSOMM_PACKAGE_CHROOT_CACHE (default /var/cache/vsomm-package-chroot) keyed
# by a hash of the mirrors and the ISO week, with apt's downloaded packages
# beside it: each run unpacks a fresh copy, so the first run of a week pays for
# debootstrap and the downloads and later ones do not.  /proc and /dev are
# mounted into the copy and unmounted on every way out.
set -euo pipefail
dir=${1:?usage: chroot.sh DIR (holding vsomm_*.deb and vsomm-host_*.deb)}
dir=$(cd "$dir" && pwd)
suite=bookworm
# check and wait_for of the test harness (its functions only: harness_init is
# not called, so it makes no runtime dir and sets no trap)
# shellcheck source=tests/lib/weston.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/weston.sh"

fail() {
	echo "chroot.sh: $*" >&2
	exit 1
}
((EUID == 0)) || fail "must run as root (debootstrap, chroot and mount need it); uid $EUID"
for tool in debootstrap chroot mount umount tar sha256sum flock; do
	command -v "$tool" >/dev/null || fail "no $tool (package debootstrap: tests/lib/deps.sh)"
done
shopt -s nullglob
guest_debs=("$dir"/vsomm_*.deb)
host_debs=("$dir"/vsomm-host_*.deb)
shopt -u nullglob
((${#guest_debs[@]} == 1 && ${#host_debs[@]} == 1)) ||
	fail "$dir must hold one vsomm_*.deb and one vsomm-host_*.deb"

# The machine's Debian mirrors: the URIs of the bookworm and bookworm-security
# suites in /etc/apt/sources.list (one-line) and sources.list.d/*.sources (deb822).
mirror_of() {
	local want=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		awk -v s="$want" '$1 == "deb" { u = ""; for (i = 2; i <= NF; i++) {
			if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; continue }
			if (u == "") { u = $i; continue }
			if ($i == s) { print u; exit } break } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		awk -v s="$want" 'BEGIN { RS = ""; FS = "\n" } {
			uri = ""; hit = 0; deb = 1
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { split(substr($i, 6), a, " "); uri = a[1] }
				if ($i ~ /^Suites:/) { n = split(substr($i, 8), b, " ")
					for (j = 1; j <= n; j++) if (b[j] == s) hit = 1 }
				if ($i ~ /^Types:/ && $i !~ /deb( |$)/) deb = 0
				if ($i ~ /^Enabled: *no/) deb = 0
			}
			if (hit && deb && uri != "") { print uri; exit } }' "$f"
	done
}
mirror=$(mirror_of "$suite" | head -n1)
security=$(mirror_of "$suite-security" | head -n1)
[[ -n $mirror ]] || fail "no '$suite' suite in /etc/apt/sources.list*: which Debian mirror to use?"

cache=${VSOMM_PACKAGE_CHROOT_CACHE:-/var/cache/vsomm-package-chroot}
key=$(printf '%s\n' 1 "$suite" minbase "$mirror" "$security" "$(date -u +%G-W%V)" | sha256sum)
key=${key:0:16}
base=$cache/$key/root.tar
archives=$cache/$key/archives
mkdir -p "$archives/partial"
# one run at a time on the cache (the base tarball, apt's archives)
exec 9>"$cache/lock"
flock 9

work=$(mktemp -d /var/tmp/vsomm-package-chroot.XXXXXX)
root=$work/root
mounts=()
pids=()
chroot_cleanup() {
	local status=$? pid m i
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		m=${mounts[i]}
		umount "$m" 2>/dev/null || umount -l "$m" || status=1
	done
	if grep -q " ${work}/" /proc/self/mountinfo; then
		echo "chroot.sh: still mounted under $work, not removing it" >&2
		status=1
	else
		rm -rf --one-file-system "$work"
	fi
	exit "$status"
}
trap chroot_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mount_in() { # mount_in TARGET MOUNT-ARGS...
	mount "${@:2}" "$1"
	mounts+=("$1")
}

t0=$(date +%s)
if [[ ! -f $base ]]; then
	echo "chroot.sh: debootstrap --variant=minbase $suite from $mirror (cache $base)"
	mkdir -p "$work/new"
	debootstrap --variant=minbase "$suite" "$work/new" "$mirror" >"$work/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
	{
		echo "deb $mirror $suite main"
		echo "deb $mirror $suite-updates main"
		[[ -z $security ]] || echo "deb $security $suite-security main"
	} >"$work/new/etc/apt/sources.list"
	cp /etc/resolv.conf "$work/new/etc/resolv.conf"
	chroot "$work/new" apt-get update >"$work/apt-update.log" 2>&1 ||
		{ tail -n 30 "$work/apt-update.log" >&2; fail "apt-get update in the new root failed"; }
	chroot "$work/new" apt-get clean
	tar -C "$work/new" -cf "$base.tmp" .
	mv "$base.tmp" "$base"
	rm -rf --one-file-system "$work/new"
	echo "chroot.sh: base root made in $(($(date +%s) - t0)) s"
fi

mkdir "$root"
tar -C "$root" -xf "$base"
mount_in "$root/proc" -t proc proc
mount_in "$root/dev" --bind /dev
mount_in "$root/var/cache/apt/archives" --bind "$archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# no service of a package is started in the throw-away root
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mkdir "$root/debs"
cp "${guest_debs[0]}" "${host_debs[0]}" "$root/debs/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
# in_root_bg LOG ARGS...: in_root ARGS in the background as the very process $!
# names (exec: no subshell in between that a SIGTERM would end while the
# chrooted program lives on) and without the cache lock's fd (a program that
# outlived the script would hold the lock and stall every later run).
in_root_bg() {
	local log=$1
	shift
	(
		exec 9>&-
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@" \
			>"$log" 2>&1
	) &
	pids+=($!)
}

# Weston and wayland-info first, then a snapshot of the tree: after the
# packages are purged again the tree must be that snapshot exactly.
apt_in_root() { # apt_in_root LOG ARGS...
	in_root DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${@:2}" \
		>"$work/$1" 2>&1 || { tail -n 40 "$work/$1" >&2; fail "apt-get install ${*:2} failed"; }
}
# every path of the root but the state of dpkg and apt, logs and mounts
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./run -o -path ./tmp \
		-o -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache -o -path ./var/log \
		-o -path ./debs -o -path ./etc/ld.so.cache \) -prune -o -printf '%p %y %m %s\n' | sort)
}
echo "chroot.sh: apt install weston wayland-utils"
apt_in_root weston.install.log weston wayland-utils
snapshot >"$work/before"
echo "chroot.sh: apt install ./${guest_debs[0]##*/} ./${host_debs[0]##*/}"
apt_in_root install.log "/debs/${guest_debs[0]##*/}" "/debs/${host_debs[0]##*/}"
echo "chroot.sh: installed in $(($(date +%s) - t0)) s"

check "vsomm --version from /usr/bin" in_root /usr/bin/vsomm --version
check "vsomm-host --version from /usr/bin" in_root /usr/bin/vsomm-host --version
# the user units are the user's to enable: no link of the packages in the
# systemd configuration (a postinst running `systemctl --user --global enable`)
check "no user unit enabled by the packages" \
	test -z "$(find "$root/etc/systemd" "$root/etc/xdg/systemd" -name 'vsomm*' 2>/dev/null)"
in_root dpkg -L vsomm vsomm-host | grep '^/' | grep -vxF /. | sort -u >"$work/owned"

run=/run/vsomm-package-test
mkdir -m 0700 "$root$run"
in_root_bg "$work/weston.log" XDG_RUNTIME_DIR=$run weston --backend=headless-backend.so \
	--use-pixman --socket=wayland-pkg --width=640 --height=480 --idle-time=0
wait_for 20 test -S "$root$run/wayland-pkg" || { cat "$work/weston.log" >&2; fail "headless Weston did not start"; }
in_root_bg "$work/vsomm-host.log" XDG_RUNTIME_DIR=$run WAYLAND_DISPLAY=wayland-pkg \
	/usr/bin/vsomm-host
wait_for 20 test -S "$root$run/vsomm-host.sock" ||
	{ cat "$work/vsomm-host.log" >&2; fail "vsomm-host did not serve $run/vsomm-host.sock"; }
status=0
timeout 60 chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR=$run \
	/usr/bin/vsomm wayland-info >"$work/wayland-info.log" 2>&1 9>&- || status=$?
check "vsomm wayland-info exits 0 ($status)" test "$status" = 0
check "wayland-info through vsomm lists wl_compositor" grep -q "'wl_compositor'" "$work/wayland-info.log"
((fails == 0)) || cat "$work/wayland-info.log" "$work/vsomm-host.log" >&2
for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
	kill -TERM "${pids[i]}"
	status=0
	wait "${pids[i]}" || status=$?
	check "process ${pids[i]} ended after SIGTERM (status $status)" test "$status" -lt 128 -o "$status" = 143
done
pids=()

check "dpkg -r vsomm vsomm-host" in_root dpkg -r vsomm vsomm-host
check "dpkg -P vsomm vsomm-host" in_root dpkg -P vsomm vsomm-host
check "neither package known to dpkg any more" \
	test -z "$(in_root dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' vsomm vsomm-host 2>/dev/null | grep -v '^un ')"
# Every path the packages owned is gone, but directories other packages own too,
# and the tree is the one before the packages came (nothing left or changed).
left=()
while read -r path; do
	[[ -e $root$path || -L $root$path ]] || continue
	if [[ -d $root$path && ! -L $root$path ]] && in_root dpkg-query -S "$path" >/dev/null 2>&1; then
		continue
	fi
	left+=("$path")
done <"$work/owned"
check "no path of the packages left (${left[*]:-none})" test ${#left[@]} = 0
snapshot >"$work/after"
check "the tree is as before the packages were installed" cmp -s "$work/before" "$work/after"
cmp -s "$work/before" "$work/after" || diff "$work/before" "$work/after" | head -n 20 >&2 || true
echo "chroot.sh: done in $(($(date +%s) - t0)) s"
((fails == 0))
