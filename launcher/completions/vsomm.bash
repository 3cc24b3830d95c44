# bash completion for vsomm                                 -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Options of `vsomm --help`, the values of --device and --log-level, `doctor`
# as the first word, and APP: a command from $PATH, then APP's own completion.
# Installed as $datadir/bash-completion/completions/vsomm (launcher/meson.build).

# The values of --device: auto, socket:PATH (a file), drm:PATH (a render node).
_vsomm_device()
{
    local cur=$1
    case $cur in
        socket:*)
            local path=${cur#socket:} f
            local IFS=$'\n'
            for f in $(compgen -f -- "$path"); do
                [[ -d $f ]] && f+=/
                COMPREPLY+=("socket:$f")
            done
            compopt -o nospace
            ;;
        drm:*)
            local nodes=(/dev/dri/renderD*)
            [[ -e ${nodes[0]} ]] || nodes=()
            COMPREPLY=($(compgen -P drm: -W "${nodes[*]}" -- "${cur#drm:}"))
            ;;
        *)
            COMPREPLY=($(compgen -W 'auto socket: drm:' -- "$cur"))
            [[ ${COMPREPLY[*]} == *: ]] && compopt -o nospace
            ;;
    esac
    __ltrim_colon_completions "$cur"
}

_vsomm()
{
    local cur prev words cword split
    _init_completion -s -n : || return

    local opts='--device --serve --socket --title-prefix --app-id-prefix
        --log-level --trace --stop-timeout --x11 --display --xwayland --help
        --version -d -s -S -X -h -V'
    local doctor_opts='--x11 --device -X -d'
    # the options that take a value (as the next word or after =)
    local with_arg='@(-d|--device|-S|--socket|--title-prefix|--app-id-prefix|--log-level|--stop-timeout|--display|--xwayland)'

    case $prev in
        -d | --device)
            _vsomm_device "$cur"
            return
            ;;
        --log-level)
            COMPREPLY=($(compgen -W 'silent error info debug trace' -- "$cur"))
            return
            ;;
        --xwayland)
            _filedir
            return
            ;;
        -S | --socket | --title-prefix | --app-id-prefix | --stop-timeout | --display)
            return
            ;;
    esac
    $split && return

    # The first word that is not an option (nor an option's value) is APP,
    # or `doctor` when it is the first argument.
    local i doctor=
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            ((i + 1 < cword)) && { _command_offset $((i + 1)); return; }
            _command_offset "$cword"
            return
        elif [[ ${words[i]} == doctor && $i == 1 ]]; then
            doctor=1
        elif [[ $doctor && ${words[i]} == @(-d|--device) ]]; then
            ((i++))
        elif [[ $doctor || ${words[i]} == -* ]]; then
            [[ ${words[i]} == $with_arg ]] && ((i++))
        else
            _command_offset $i
            return
        fi
    done

    if [[ $doctor ]]; then
        COMPREPLY=($(compgen -W "$doctor_opts" -- "$cur"))
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        _command_offset "$cword"
        ((cword == 1)) && COMPREPLY+=($(compgen -W doctor -- "$cur"))
    fi
} &&
    complete -F _vsomm vsomm

# ex: filetype=sh
