#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# completions: the bash completions of vsomm and vsomm-host (launcher/completions/)
# run in a non-interactive bash with bash-completion loaded, as bash runs them
# on Tab (COMP_WORDS split at : and = as readline splits them); every option of
# the built binaries' --help is offered by both the bash and the zsh completions;
# meson installs them where bash-completion's loader and zsh's compinit find
# them; zsh, on a pty, completes as on Tab.
set -euo pipefail
: "${BUILD:?}" "${SRCDIR:?}"
# shellcheck source=tests/lib/weston.sh
source "$SRCDIR/tests/lib/weston.sh"
harness_init
tmp=$XDG_RUNTIME_DIR
comp=$SRCDIR/launcher/completions
bash_completion=/usr/share/bash-completion/bash_completion
if [[ ! -f $bash_completion ]]; then
	echo "FAIL: no $bash_completion (package bash-completion, tests/lib/deps.sh)" >&2
	exit 1
fi
if ! command -v zsh >/dev/null; then
	echo "FAIL: no zsh (package zsh, tests/lib/deps.sh)" >&2
	exit 1
fi

# A private PATH entry with a fake APP, and that APP's own completion where
# bash-completion's loader looks for it (BASH_COMPLETION_USER_DIR).
mkdir -p "$tmp/bin" "$tmp/user/completions" "$tmp/sock"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/vsommtest-app"
chmod +x "$tmp/bin/vsommtest-app"
echo "complete -W '--app-own-option --other' vsommtest-app" >"$tmp/user/completions/vsommtest-app"
touch "$tmp/sock/host.sock"

# complete FILE FUNCTION LINE: COMPREPLY, one per line, of FUNCTION (from FILE)
# for the cursor at the end of LINE; the compopt options it set go to
# $tmp/compopt.  compopt only works inside a completion bash started by Tab,
# so here it records its arguments.
complete_line() {
	: >"$tmp/compopt"
	env -i PATH=/usr/bin:/bin HOME="$tmp" XDG_RUNTIME_DIR="$tmp" \
		BASH_COMPLETION_USER_DIR="$tmp/user" APP_PATH="$tmp/bin" OPTLOG="$tmp/compopt" \
		bash --norc --noprofile -c '
		source "$1"
		source "$2"
		compopt() { printf "%s\n" "$*" >>"$OPTLOG"; }
		PATH=$APP_PATH # commands for APP: the fake app only
		line=$4
		COMP_LINE=$line
		COMP_POINT=${#line}
		COMP_WORDS=()
		read -ra parts <<<"$line"
		for p in "${parts[@]}"; do
			while [[ $p =~ ^([^:=]*)([:=])(.*)$ ]]; do
				[[ -n ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
				COMP_WORDS+=("${BASH_REMATCH[2]}")
				p=${BASH_REMATCH[3]}
			done
			[[ -n $p ]] && COMP_WORDS+=("$p")
		done
		[[ $line == *[[:space:]] || ${line: -1} == [:=] ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		"$3" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$bash_completion" "$1" "$2" "$3"
}
vsomm_c() { complete_line "$comp/vsomm.bash" _vsomm "$1"; }
host_c() { complete_line "$comp/vsomm-host.bash" _vsomm_host "$1"; }

# expect WHAT LINE FUNC WORD...: the completion of LINE is exactly WORD... (sorted)
expect() {
	local what=$1 line=$2 func=$3 got want
	shift 3
	got=$("$func" "$line" | sort | paste -sd' ')
	want=$(printf '%s\n' "$@" | sort | paste -sd' ')
	check "$what: '$line' -> '$want'" test "$got" = "$want"
	[[ $got == "$want" ]] || echo "   got: '$got'" >&2
}
# offers WHAT LINE FUNC WORD...: the completion of LINE contains every WORD
offers() {
	local what=$1 line=$2 func=$3 out w missing=()
	shift 3
	out=$("$func" "$line")
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$out" || missing+=("$w")
	done
	check "$what: '$line' offers $*" test ${#missing[@]} = 0
	((${#missing[@]} == 0)) || echo "   missing: ${missing[*]}; got: $(paste -sd' ' <<<"$out")" >&2
}

# vsomm: options, their values, doctor, APP
expect "long option" "vsomm --dev" vsomm_c --device
expect "device kinds" "vsomm --device " vsomm_c auto socket: drm:
expect "device kind s" "vsomm --device s" vsomm_c socket:
check "socket: leaves the cursor after the colon (nospace)" grep -qx -- '-o nospace' "$tmp/compopt"
expect "device socket path (after readline's : break)" "vsomm -d socket:$tmp/sock/h" vsomm_c "$tmp/sock/host.sock"
expect "device socket path, --device=" "vsomm --device=socket:$tmp/so" vsomm_c "$tmp/sock/"
expect "log levels" "vsomm --log-level " vsomm_c silent error info debug trace
expect "log level d" "vsomm --log-level=d" vsomm_c debug
expect "doctor as the first word" "vsomm doc" vsomm_c doctor
expect "doctor's options" "vsomm doctor -" vsomm_c --x11 --device -X -d
expect "doctor --device values" "vsomm doctor --device " vsomm_c auto socket: drm:
expect "no value offered for --socket" "vsomm --socket " vsomm_c
expect "APP from PATH" "vsomm vsommtest-a" vsomm_c vsommtest-app
expect "APP from PATH after options" "vsomm --log-level info -X vsommtest-a" vsomm_c vsommtest-app
expect "APP after --" "vsomm -- vsommtest-a" vsomm_c vsommtest-app
expect "doctor only as the first word" "vsomm -X doc" vsomm_c
expect "APP's own completion" "vsomm -d auto --trace vsommtest-app --app" vsomm_c --app-own-option
expect "APP's options are not vsomm's" "vsomm vsommtest-app --dev" vsomm_c
# vsomm-host
expect "vsomm-host long option" "vsomm-host --str" host_c --strict
expect "vsomm-host --check" "vsomm-host --ch" host_c --check
expect "vsomm-host log levels" "vsomm-host --log-level " host_c silent error info debug trace
expect "vsomm-host --limit names" "vsomm-host --limit c" host_c connection-blob-bytes= contexts=
expect "vsomm-host --limit value is the user's" "vsomm-host --limit items=" host_c
expect "vsomm-host --listen path" "vsomm-host --listen $tmp/sock/h" host_c "$tmp/sock/host.sock"

# Every option of the built binaries' --help is completed, by bash (all of
# them offered after -) and by zsh (a spec in the _file).
help_options() { # the option words at the start of --help's option lines
	"$1" --help | sed -nE 's/^ +((-[A-Za-z]), )?(--[a-z0-9-]+).*/\2 \3/p' | tr ' ' '\n' | sed '/^$/d'
}
mapfile -t vsomm_opts < <(help_options "$BUILD/launcher/vsomm")
mapfile -t host_opts < <(help_options "$BUILD/launcher/vsomm-host")
check "vsomm --help lists options (${#vsomm_opts[@]})" test ${#vsomm_opts[@]} -ge 15
check "vsomm-host --help lists options (${#host_opts[@]})" test ${#host_opts[@]} -ge 9
offers "bash: every option of vsomm --help" "vsomm -" vsomm_c "${vsomm_opts[@]}"
offers "bash: every option of vsomm-host --help" "vsomm-host -" host_c "${host_opts[@]}"
zsh_has() { # zsh_has FILE OPTION...: each OPTION has a spec in FILE
	local f=$1 o missing=()
	shift
	for o in "$@"; do
		grep -qE -- "(^|[{,'*)])${o}[]=+[,}]" "$f" || missing+=("$o")
	done
	((${#missing[@]} == 0)) || echo "   missing in ${f##*/}: ${missing[*]}" >&2
	((${#missing[@]} == 0))
}
check "zsh: every option of vsomm --help in _vsomm" zsh_has "$comp/_vsomm" "${vsomm_opts[@]}"
check "zsh: every option of vsomm-host --help in _vsomm-host" zsh_has "$comp/_vsomm-host" "${host_opts[@]}"
check "zsh: vsomm-host --check in _vsomm-host" zsh_has "$comp/_vsomm-host" --check
check "zsh: doctor in _vsomm" grep -q 'doctor' "$comp/_vsomm"
for f in _vsomm _vsomm-host; do
	check "zsh -n $f" zsh -n "$comp/$f"
done

# Installed by meson where the loaders look: bash-completion's loader finds
# them through XDG_DATA_DIRS, zsh's compinit through fpath.  The tree under
# $dest is what `meson install` would put there (meson introspect --installed),
# for the completions.
dest=$tmp/dest
datadir=$(meson introspect "$BUILD" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
d = o["datadir"]
print(d if d.startswith("/") else o["prefix"] + "/" + d)')
while IFS=$'\t' read -r from to; do
	mkdir -p "$dest${to%/*}"
	cp "$from" "$dest$to"
done < <(meson introspect "$BUILD" --installed | python3 -c '
import json, sys
for src, dst in json.load(sys.stdin).items():
    if "/completions/" in src: print(src + "\t" + dst)')
for cmd in vsomm vsomm-host; do
	check "bash completion $cmd installed" test -s "$dest$datadir/bash-completion/completions/$cmd"
	check "zsh completion _$cmd installed" test -s "$dest$datadir/zsh/vendor-completions/_$cmd"
	check "bash-completion's loader loads the installed $cmd completion" \
		env -i PATH=/usr/bin:/bin XDG_DATA_DIRS="$dest$datadir" BASH_COMPLETION_USER_DIR=/nonexistent \
		bash --norc --noprofile -c 'source "$1"; _completion_loader "$2"; complete -p "$2"' _ \
		"$bash_completion" "$cmd"
done
zcomps=$(env -i PATH=/usr/bin:/bin HOME="$tmp" zsh -f -c '
	fpath=("$1" $fpath)
	autoload -Uz compinit
	compinit -u -D
	print -r -- "$_comps[vsomm] $_comps[vsomm-host]"' _ "$dest$datadir/zsh/vendor-completions" 2>&1)
check "zsh compinit binds the installed _vsomm, _vsomm-host ($zcomps)" test "$zcomps" = "_vsomm _vsomm-host"

# zsh completing as on Tab: an interactive zsh on a pty (zsh/zpty) with the
# installed completions, PATH the fake APP only, and APP's own completion
# defined; each LINE is typed with a Tab, what the terminal shows is kept
# (control characters out) in $tmp/zsh/N.
mkdir -p "$tmp/zsh"
zsh_lines=(
	'vsomm --dev'
	'vsomm --device=s'
	'vsomm --device '
	'vsomm --log-level='
	'vsomm doc'
	'vsomm doctor --'
	'vsomm -X vsommtest-a'
	'vsomm --trace vsommtest-app --app'
	'vsomm-host --str'
	'vsomm-host --ch'
	'vsomm-host --limit=conn'
)
cat >"$tmp/zsh/run.zsh" <<'EOF_ZSH'
zmodload zsh/zpty
out_dir=$1 fpath_dir=$2 app_path=$3
shift 3
zpty -b z 'zsh -f -i'
zpty -w z "fpath=($fpath_dir \$fpath); autoload -Uz compinit; compinit -u -D
PATH=$app_path; rehash
_vsommtest_app() { compadd -- --app-own-option }; compdef _vsommtest_app vsommtest-app
PS1='%% '; print READY\$((1 + 1))"
zpty -r z chunk '*READY2*' || exit 1
integer n=0
for line in "$@"; do
  all=
  zpty -w -n z "$line"$'\t'
  sleep 0.5
  while zpty -r -t z chunk; do all+=$chunk; done
  print -r -- "${all//[[:cntrl:]]/ }" >$out_dir/$((++n))
  zpty -w -n z $'\C-u'
  sleep 0.2
  while zpty -r -t z chunk; do :; done
done
zpty -d z
EOF_ZSH
if ! env -i PATH=/usr/bin:/bin HOME="$tmp" TERM=dumb timeout 60 zsh -f "$tmp/zsh/run.zsh" "$tmp/zsh" \
	"$dest$datadir/zsh/vendor-completions" "$tmp/bin" "${zsh_lines[@]}"; then
	echo "FAIL: the zsh pty session did not start" >&2
	fails=$((fails + 1))
fi
# zsh_shows N WHAT TEXT...: the terminal after line N (from 1) shows every TEXT
zsh_shows() {
	local n=$1 what=$2 t missing=()
	shift 2
	for t in "$@"; do
		grep -qF -- "$t" "$tmp/zsh/$n" 2>/dev/null || missing+=("$t")
	done
	check "zsh: '${zsh_lines[n - 1]}' + Tab: $what" test ${#missing[@]} = 0
	((${#missing[@]} == 0)) || echo "   missing: ${missing[*]}; shown: $(cat "$tmp/zsh/$n" 2>/dev/null)" >&2
}
zsh_shows 1 "--device=" 'vsomm --device='
zsh_shows 2 "socket:" 'vsomm --device=socket:'
zsh_shows 3 "the device kinds" auto drm: socket:
zsh_shows 4 "the log levels" silent error info debug trace
zsh_shows 5 "doctor" 'vsomm doctor '
zsh_shows 6 "doctor's options" --x11 --device
zsh_shows 7 "APP from PATH" 'vsomm -X vsommtest-app '
zsh_shows 8 "APP's own completion" 'vsommtest-app --app-own-option '
zsh_shows 9 "--strict" 'vsomm-host --strict '
zsh_shows 10 "--check" 'vsomm-host --check '
zsh_shows 11 "a --limit name" 'vsomm-host --limit=connection-blob-bytes='

((fails == 0))
