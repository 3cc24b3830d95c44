# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# The Debian (bookworm) packages vsomm's build, tests and demo need, and one
# function that installs the missing ones.  Sourced by tests/run.sh and
# launcher/demo.sh.

VSOMM_DEB_PACKAGES=(
	# build
	meson ninja-build pkg-config gcc libc6-dev
	libwayland-dev libwayland-bin wayland-protocols
	libxkbcommon-dev libdrm-dev libgbm-dev libpixman-1-dev libpng-dev
	scdoc
	# second compiler + its sanitizer runtimes (ASan/UBSan build of tests/run.sh)
	clang libclang-rt-14-dev
	# end-to-end tests and the demo: headless Weston, its demo clients, wayland-info
	weston wayland-utils
	# weston-simple-egl through vsomm: Mesa's EGL with swrast (llvmpipe) over wl_shm
	libegl1 libegl-mesa0 libgl1-mesa-dri
	# benchmarks only (tests/bench/report.sh: the third path, the plot)
	waypipe gnuplot-nox
	# input/app tests (tests/input, tests/apps): Weston's x11 backend in Xvfb
	# driven by xdotool, clipboard tools, real applications, Xwayland
	xvfb xauth xdotool x11-utils wl-clipboard foot mpv gtk-3-examples gtk-4-examples
	qtbase5-examples qtwayland5 xwayland fonts-dejavu-core
	# tests/uml: the User-Mode Linux guest kernel (built once, cached by config hash)
	linux-source-6.1 bc flex bison make xz-utils patch
	# harness scripts and result parsing
	python3 procps
	# `meson test --setup valgrind` (docs/reliability.md)
	valgrind
	# tests/launcher: systemd-analyze verify, systemd-socket-activate (no systemd is started);
	# verify runs `man` for each unit's Documentation=man:… (not in a minimal install)
	systemd man-db
	git ca-certificates
)

# Print the packages of VSOMM_DEB_PACKAGES that are not installed.
vsomm_missing_packages() {
	local pkg status
	for pkg in "${VSOMM_DEB_PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[[ $status == installed ]] || printf '%s\n' "$pkg"
	done
}

# Install what is missing (apt is skipped when everything is present, so
# re-runs are fast).  Needs root when something is missing.
vsomm_install_deps() {
	local missing
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "deps: no dpkg-query: not a Debian system, installing nothing" >&2
		return 0
	fi
	mapfile -t missing < <(vsomm_missing_packages)
	if ((${#missing[@]} == 0)); then
		echo "deps: all ${#VSOMM_DEB_PACKAGES[@]} packages present"
		return 0
	fi
	echo "deps: installing ${missing[*]}"
	local sudo=()
	if ((EUID != 0)); then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			echo "deps: missing packages and not root: ${missing[*]}" >&2
			return 1
		fi
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update
	"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}
