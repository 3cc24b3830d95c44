#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Build (or find in the cache) the User-Mode Linux kernel of the UML tests and
# print its path.  docs/uml.md has the background.
#
# The kernel is Debian's linux-source-6.1 + tinyconfig + tests/uml/kernel.config,
# with tests/uml/patches/*.patch applied.  The cache key is a hash of the source
# package version, the config fragment, the patches and this script, so editing
# any of them builds a new kernel; an unchanged one is reused across runs:
#   $VSOMM_UML_CACHE (default /var/cache/vsomm-uml, else $XDG_CACHE_HOME/vsomm-uml)/<hash>/linux
# Concurrent callers (gcc and ASan test runs) serialise on a lock file.
#
# Exit 1 when the kernel source or a build tool is missing (tests/run.sh
# installs them: a missing one is a failure, not a skip) or the build fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_tar=/usr/src/linux-source-6.1.tar.xz
if [[ ! -r $src_tar ]]; then
	echo "uml: $src_tar missing (apt-get install linux-source-6.1 bc flex bison)" >&2
	exit 1
fi
for tool in make gcc flex bison bc xz; do
	command -v "$tool" >/dev/null || { echo "uml: $tool missing" >&2; exit 1; }
done

cache=${VSOMM_UML_CACHE:-}
if [[ -z $cache ]]; then
	cache=/var/cache/vsomm-uml
	if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w $cache ]]; then
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/vsomm-uml
	fi
fi
mkdir -p "$cache"

version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %s-%Y "$src_tar")
hash=$({
	echo "$version"
	cat "$here/kernel.config" "$here/build-kernel.sh"
	for p in "$here"/patches/*.patch; do if [[ -e $p ]]; then cat "$p"; fi; done
} | sha256sum | cut -c1-16)
out=$cache/$hash

exec 9>"$cache/lock"
flock 9
if [[ -x $out/linux ]]; then
	echo "$out/linux"
	exit 0
fi

work=$cache/build-$hash
rm -rf "$work"
mkdir -p "$work"
log=$work/build.log
echo "uml: building kernel $hash in $work (log: $log)" >&2
start=$(date +%s)
{
	tar -C "$work" -xf "$src_tar"
	srcdir=$work/linux-source-6.1
	for p in "$here"/patches/*.patch; do
		[[ -e $p ]] || continue
		echo "applying $p"
		patch -d "$srcdir" -p1 --forward --batch <"$p"
	done
	kb=$work/kbuild
	make -C "$srcdir" ARCH=um O="$kb" tinyconfig
	args=()
	while IFS= read -r line; do
		line=${line%%#*}
		[[ -n ${line// } ]] || continue
		name=${line%%=*}
		val=${line#*=}
		case $val in
		y) args+=(--enable "$name") ;;
		n) args+=(--disable "$name") ;;
		*) echo "bad line in kernel.config: $line"; exit 1 ;;
		esac
	done <"$here/kernel.config"
	"$srcdir/scripts/config" --file "$kb/.config" "${args[@]}"
	make -C "$kb" ARCH=um olddefconfig
	make -C "$kb" ARCH=um syncconfig
	bad=0
	# Every requested option must have survived olddefconfig (a missing
	# dependency silently drops it).
	while IFS= read -r line; do
		line=${line%%#*}
		[[ -n ${line// } ]] || continue
		name=${line%%=*}
		val=${line#*=}
		got=$("$srcdir/scripts/config" --file "$kb/.config" --state "$name")
		if [[ $val == y && $got != y ]] || [[ $val == n && $got == y ]]; then
			echo "kernel.config: $name=$val did not stick (got $got)"
			bad=1
		fi
	done <"$here/kernel.config"
	((bad == 0))
	make -C "$kb" ARCH=um -j"$(nproc)" linux
} >"$log" 2>&1 || {
	echo "uml: kernel build failed, last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}
mkdir -p "$out"
cp "$work/kbuild/linux" "$out/linux.tmp"
cp "$work/kbuild/.config" "$out/config"
cp "$log" "$out/build.log"
mv "$out/linux.tmp" "$out/linux"
rm -rf "$work"
echo "uml: kernel $hash built in $(($(date +%s) - start)) s" >&2
echo "$out/linux"
