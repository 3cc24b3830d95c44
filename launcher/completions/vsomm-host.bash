# bash completion for vsomm-host                            -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Options of `vsomm-host --help` (and --check), the values of --log-level,
# --limit NAME=, --compositor (the Wayland sockets of $XDG_RUNTIME_DIR) and
# the paths of --listen and --vhost-user.
# Installed as $datadir/bash-completion/completions/vsomm-host.

_vsomm_host()
{
    local cur prev words cword split
    _init_completion -s || return

    case $prev in
        --listen | --vhost-user)
            _filedir
            return
            ;;
        --compositor)
            local s names=()
            for s in "${XDG_RUNTIME_DIR:-/nonexistent}"/wayland-*; do
                [[ -S $s ]] && names+=("${s##*/}")
            done
            COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
            [[ $cur == /* ]] && _filedir
            return
            ;;
        --log-level)
            COMPREPLY=($(compgen -W 'silent error info debug trace' -- "$cur"))
            return
            ;;
        --limit)
            # the names of cross-domain/host/limits.c; the value N is the user's
            [[ $cur == *=* ]] && return
            COMPREPLY=($(compgen -S = -W 'blob-bytes items pipes queued-bytes
                connection-blob-bytes contexts' -- "$cur"))
            compopt -o nospace
            return
            ;;
    esac
    $split && return

    COMPREPLY=($(compgen -W '--listen --compositor --log-level --trace --limit
        --vhost-user --strict --check --version --help' -- "$cur"))
} &&
    complete -F _vsomm_host vsomm-host

# ex: filetype=sh
