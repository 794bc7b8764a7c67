# Bash completion for smcroutectl(8), the control program of smcrouted.
# Install as /usr/share/bash-completion/completions/smcroutectl, or source it from ~/.bashrc.
#
# Commands, options, interface names (from the daemon, else /sys/class/net), and the groups and
# sources the daemon lists in `show` and `show groups`. The daemon is asked only when its socket
# exists, so completing never waits for one that is not running.

_smcroutectl_commands='help version flush kill reload restart show add remove del join leave explain monitor top'
_smcroutectl_options='-b -d -j -i -I -n -p -t -s --interval --once -u -h --help -v --version --dry-run'

# Runs the smcroutectl being completed, with the -u/-i of its command line, if its daemon's socket exists.
_smcroutectl_ask() {
    local sock=/run/${_smcroutectl_ident:-smcroute}.sock
    [[ -n $_smcroutectl_sock ]] && sock=$_smcroutectl_sock
    [[ -S $sock ]] || return 1
    "$_smcroutectl_prog" -u "$sock" -p -t "$@" 2>/dev/null
}

# Interface names: the daemon's list, else the kernel's.
_smcroutectl_interfaces() {
    local names
    names=$(_smcroutectl_ask show interfaces | awk 'NF >= 2 { print $2 }')
    if [[ -z $names ]]; then
        names=$(command ls /sys/class/net 2>/dev/null)
    fi
    printf '%s\n' "$names"
}

_smcroutectl_is_group() {
    [[ $1 =~ ^(22[4-9]|23[0-9])\. || $1 =~ ^[fF][fF] ]]
}

# Addresses in the daemon's route and group tables, asked once: the kinds named, "groups"
# (multicast) and/or "sources".
_smcroutectl_addresses() {
    local IFS=' '
    local wants=" $* " a kind
    { _smcroutectl_ask show routes; _smcroutectl_ask show groups; } | tr '(),' '   ' | tr -s ' \t' '\n' |
        grep -E '^[0-9a-fA-F:.]+(/[0-9]+)?$' | grep -E '[.:]' | sort -u |
        while read -r a; do
            if _smcroutectl_is_group "$a"; then kind=groups; else kind=sources; fi
            [[ $wants == *" $kind "* ]] && printf '%s\n' "$a"
        done
}

_smcroutectl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local _smcroutectl_prog=${COMP_WORDS[0]} _smcroutectl_sock= _smcroutectl_ident=
    local cmd= i w
    local -a args=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            -u) _smcroutectl_sock=${COMP_WORDS[i + 1]}; ((i++)) ;;
            -i | -I) _smcroutectl_ident=${COMP_WORDS[i + 1]}; ((i++)) ;;
            -s | --interval) ((i++)) ;;
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=$w; else args+=("$w"); fi ;;
        esac
    done
    local IFS=$'\n'
    COMPREPLY=()
    case $prev in
        -u) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        -i | -I | -s | --interval) return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        IFS=' ' COMPREPLY=($(compgen -W "$_smcroutectl_options" -- "$cur"))
        return 0
    fi
    if [[ -z $cmd ]]; then
        IFS=' ' COMPREPLY=($(compgen -W "$_smcroutectl_commands" -- "$cur"))
        return 0
    fi
    local n=${#args[@]} words=
    case $cmd in
        help) ((n == 0)) && words=${_smcroutectl_commands// /$'\n'} ;;
        show) ((n == 0)) && words=$'interfaces\ngroups\npending\nroutes' ;;
        add | remove | del | join | leave)
            # IIF [SOURCE] GROUP, then (add only) OIFs.
            if ((n == 0)); then
                words=$(_smcroutectl_interfaces)
            elif ((n == 1)); then
                words=$(_smcroutectl_addresses sources groups)
            elif ((n == 2)) && ! _smcroutectl_is_group "${args[1]}"; then
                words=$(_smcroutectl_addresses groups)
            elif [[ $cmd == add ]]; then
                words=$(_smcroutectl_interfaces)
            fi
            ;;
        explain)
            # [IIF] SOURCE GROUP
            if ((n == 0)); then
                words=$(_smcroutectl_interfaces; _smcroutectl_addresses sources)
            elif ((n == 1)); then
                words=$(_smcroutectl_addresses sources groups)
            elif ((n == 2)); then
                words=$(_smcroutectl_addresses groups)
            fi
            ;;
    esac
    [[ -n $words ]] && COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return 0
}

complete -F _smcroutectl smcroutectl
