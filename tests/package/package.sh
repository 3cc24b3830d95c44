#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# package: the Debian packages (debian/, docs/packaging.md).  From a copy of the
# source tree (the files git knows, with their changes, no build dirs) in a
# temporary dir: dpkg-buildpackage -us -uc -b builds exactly vsomm and
# vsomm-host, each holding exactly its product files (no test binary, not the
# other side's); their Depends are shared libraries only; Build-Depends are
# tests/lib/deps.sh's build packages; no maintainer script enables a unit;
# lintian reports no error.  Then chroot.sh installs both in a clean bookworm
# root, runs them there against a headless Weston and removes them again.
# Needs root (for chroot.sh): CI runs as root.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
# shellcheck source=tests/lib/deps.sh
source "$SRCDIR/tests/lib/deps.sh"
harness_init
tmp=$XDG_RUNTIME_DIR

if ((EUID != 0)); then
	echo "FAIL: the package test installs into a debootstrap chroot and must run as root (uid $EUID)" >&2
	exit 1
fi
for tool in dpkg-buildpackage dpkg-checkbuilddeps dh lintian debootstrap git; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: no $tool (packages dpkg-dev, debhelper, lintian, debootstrap, git: tests/lib/deps.sh)" >&2
		exit 1
	fi
done

version=$(meson introspect "$BUILD" --projectinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
check "debian/changelog is at meson's version $version" \
	test "$(cd "$SRCDIR" && dpkg-parsechangelog -S Version)" = "$version"

# The copy: what git tracks or would track (working tree contents), no build dir.
src=$tmp/src/vsomm-$version
mkdir -p "$src"
(cd "$SRCDIR" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
	[[ -e $f ]] && printf '%s\0' "$f"
done | tar --null -T - -cf -) | tar -C "$src" -xf -
check "the copy has debian/control and no build dir" \
	test -f "$src/debian/control" -a ! -e "$src/build" -a ! -e "$src/build-asan"

t0=$(date +%s)
if ! (cd "$src" && dpkg-checkbuilddeps && nice -n 19 dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log" >&2
	echo "FAIL: dpkg-buildpackage -us -uc -b" >&2
	exit 1
fi
echo "ok: dpkg-buildpackage -us -uc -b ($(($(date +%s) - t0)) s)"
out=$tmp/src
arch=$(dpkg --print-architecture)
guest=$out/vsomm_${version}_$arch.deb
host=$out/vsomm-host_${version}_$arch.deb
built=$(cd "$out" && ls -1 -- *.deb | grep -v -- '-dbgsym_' | paste -sd' ')
check "two packages built: vsomm, vsomm-host ($built)" \
	test "$built" = "vsomm-host_${version}_$arch.deb vsomm_${version}_$arch.deb"

# contents: the files (not directories) of each package, exactly
files_of() { dpkg-deb --fsys-tarfile "$1" | tar -t | sed -n 's#^\./#/#; /[^/]$/p' | sort; }
expect_files() {
	local deb=$1 got want
	shift
	got=$(files_of "$deb")
	want=$(printf '%s\n' "$@" | sort)
	check "${deb##*/} holds exactly its ${#@} files" test "$got" = "$want"
	[[ $got == "$want" ]] || diff <(echo "$want") <(echo "$got") | sed 's/^/   /' >&2 || true
}
side_files() { # side_files NAME: what the package NAME holds
	printf '%s\n' /usr/bin/$1 /usr/lib/systemd/user/$1.service /usr/lib/systemd/user/$1.socket \
		/usr/share/man/man1/$1.1.gz /usr/share/doc/$1/changelog.gz /usr/share/doc/$1/copyright \
		/usr/share/bash-completion/completions/$1 /usr/share/zsh/vendor-completions/_$1
}
mapfile -t guest_files < <(side_files vsomm)
mapfile -t host_files < <(side_files vsomm-host)
expect_files "$guest" "${guest_files[@]}"
expect_files "$host" "${host_files[@]}"

# The dev build installs the same product files, and nothing of tests/.
installed=$(meson introspect "$BUILD" --installed | python3 -c '
import json, sys
for p in json.load(sys.stdin).values(): print(p)' | sed 's#^/usr/local/#/usr/#' | sort)
want=$(printf '%s\n' "${guest_files[@]}" "${host_files[@]}" | grep -v /usr/share/doc/ | sed 's/\.gz$//' | sort)
check "meson install (tests enabled) installs the packages' files, no test program" test "$installed" = "$want"
[[ $installed == "$want" ]] || diff <(echo "$want") <(echo "$installed") | sed 's/^/   /' >&2 || true

# relations: Depends only shared libraries (${shlibs:Depends}), nothing of the
# test list; Build-Depends within deps.sh's build list; no maintainer script
deps_of() { dpkg-deb -f "$1" "$2" | tr ',|' '\n\n' | sed -E 's/\(.*\)//; s/^ +//; s/ +$//; /^$/d'; }
for deb in "$guest" "$host"; do
	mapfile -t depends < <(deps_of "$deb" Depends)
	check "${deb##*/}: Depends are libraries (${depends[*]})" \
		test -n "${depends[*]}" -a -z "$(printf '%s\n' "${depends[@]}" | grep -v '^lib')"
	bad=()
	for p in "${depends[@]}" $(deps_of "$deb" Recommends) $(deps_of "$deb" Suggests); do
		case " ${VSOMM_DEB_PACKAGES[*]} " in
		*" $p "*) [[ $p == @(weston|xwayland) ]] || bad+=("$p") ;;
		esac
	done
	check "${deb##*/}: no build or test package in its relations (${bad[*]:-none})" test ${#bad[@]} = 0
	dpkg-deb -e "$deb" "$tmp/control-${deb##*/}"
	scripts=$(cd "$tmp/control-${deb##*/}" && ls | { grep -vxE 'control|md5sums' || true; } | paste -sd' ')
	check "${deb##*/}: no maintainer script (${scripts:-none}): the units are not enabled" test -z "$scripts"
done
build_depends=$(cd "$src" && python3 -c '
import re
text = open("debian/control").read().split("\n\n")[0]
field = re.search(r"^Build-Depends:(.*?)(?=^\S)", text + "\nX:", re.S | re.M).group(1)
field = re.sub(r"#.*", "", field)
for d in field.split(","):
    d = re.sub(r"\(.*?\)", "", d).strip()
    if d and not d.startswith("debhelper-compat"): print(d)')
extra=()
for p in $build_depends; do
	case " ${VSOMM_DEB_DEMO_PACKAGES[*]} " in
	*" $p "*) ;;
	*) extra+=("$p") ;;
	esac
done
check "Build-Depends ($(echo $build_depends)) are in deps.sh's build list (${extra[*]:-all})" test ${#extra[@]} = 0

# lintian: no error (its warnings and notes: docs/packaging.md)
status=0
lintian --fail-on error --display-info "$out/vsomm_${version}_$arch.changes" >"$tmp/lintian.log" 2>&1 ||
	status=$?
grep -v '^running with root privileges' "$tmp/lintian.log" || true
check "lintian: no error (status $status)" test "$status" = 0

# installed in a clean root, run, removed
check "chroot.sh: installed, run against a headless Weston, removed" bash "$SRCDIR/tests/package/chroot.sh" "$out"

((fails == 0))
