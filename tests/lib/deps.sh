# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# The Debian (bookworm) packages vsomm's build, tests and demo need, and one
# function that installs the missing ones.  Sourced by tests/run.sh (all of
# them) and launcher/demo.sh (the demo's subset: build and runtime only).

# Build, and what the demo runs: a headless Weston, wayland-info.
VSOMM_DEB_DEMO_PACKAGES=(
	meson ninja-build pkg-config gcc libc6-dev python3
	libwayland-dev libwayland-bin wayland-protocols
	libxkbcommon-dev libdrm-dev libpixman-1-dev libpng-dev
	scdoc
	# X11 support (proxy/xwm/): XCB; Xwayland is what vsomm --x11 runs
	libxcb1-dev libxcb-composite0-dev libxcb-xfixes0-dev
	weston wayland-utils procps
)

# Everything: the demo's packages and what the tests need besides.
VSOMM_DEB_PACKAGES=(
	"${VSOMM_DEB_DEMO_PACKAGES[@]}"
	# second compiler + its sanitizer runtimes (ASan/UBSan build of tests/run.sh)
	clang libclang-rt-14-dev
	# tests/layout: the product code is formatted as .clang-format says
	clang-format
	# end-to-end tests and the demo: headless Weston, its demo clients, wayland-info
	# (weston, wayland-utils: in the demo's list)
	# weston-simple-egl through vsomm: Mesa's EGL with swrast (llvmpipe) over wl_shm
	libegl1 libegl-mesa0 libgl1-mesa-dri
	# benchmarks only (tests/bench/report.sh: the third path, the plot)
	waypipe gnuplot-nox
	# input/app tests (tests/input, tests/apps): Weston's x11 backend in Xvfb
	# driven by xdotool, clipboard tools, real applications, Xwayland
	tmux xvfb xauth xdotool x11-utils wl-clipboard foot mpv gtk-3-examples gtk-4-examples
	qtbase5-examples qtwayland5 xwayland fonts-dejavu-core
	# tests/x11 (X clients through vsomm --x11 and under Weston's own XWM):
	# the clients, xclip for the selections, libxcb-present-dev for x11-client's
	# Present animation (the frame-rate figure); chromium is big (~290 MB
	# installed) but it is the X11 application users start first
	xterm x11-apps xclip chromium libxcb-present-dev
	# tests/uml: the User-Mode Linux guest kernel (built once, cached by config hash)
	linux-source-6.1 bc flex bison make xz-utils patch
	# harness scripts and result parsing: python3, procps (in the demo's list)
	# `meson test --setup valgrind` (docs/reliability.md)
	valgrind
	# tests/launcher: systemd-analyze verify, systemd-socket-activate (no systemd is started);
	# verify runs `man` for each unit's Documentation=man:… (not in a minimal install)
	systemd man-db
	git ca-certificates
	# tests/launcher/completions.sh: bash-completion's loader and zsh's compinit
	bash-completion zsh
	# tests/package: dpkg-buildpackage (dpkg-dev, debhelper, fakeroot), lintian,
	# and debootstrap for the clean bookworm root the packages are installed in
	dpkg-dev debhelper fakeroot lintian debootstrap
)

# vsomm_missing_packages PKG…: print those not installed.
vsomm_missing_packages() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[[ $status == installed ]] || printf '%s\n' "$pkg"
	done
}

# vsomm_install_deps [PKG…]: install what is missing of PKG… (default: all of
# VSOMM_DEB_PACKAGES); apt is skipped when everything is present, so re-runs
# are fast.  Needs root when something is missing.
vsomm_install_deps() {
	local missing wanted=("$@")
	((${#wanted[@]})) || wanted=("${VSOMM_DEB_PACKAGES[@]}")
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "deps: no dpkg-query: not a Debian system, installing nothing" >&2
		return 0
	fi
	mapfile -t missing < <(vsomm_missing_packages "${wanted[@]}")
	if ((${#missing[@]} == 0)); then
		echo "deps: all ${#wanted[@]} packages present"
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
