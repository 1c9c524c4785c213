# bash completion for stsenv(1).  Installed as
# share/bash-completion/completions/stsenv; works without the
# bash-completion package too (then a wrapped command's arguments complete
# as file names).
_stsenv() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i sub= opts
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--)
			_stsenv_command $((i + 1))
			return
			;;
		--source | --format | --names) ((i++)) ;;
		-*) ;;
		exec | env | status) [[ -z $sub ]] && sub=${COMP_WORDS[i]} ;;
		*)
			_stsenv_command "$i"
			return
			;;
		esac
	done
	case $prev in
	--source)
		COMPREPLY=($(compgen -W 'auto uri file oidc profile ecs' -- "$cur"))
		return
		;;
	--format)
		if [[ $sub == status ]]; then
			COMPREPLY=($(compgen -W 'text json' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'sh json dotenv' -- "$cur"))
		fi
		return
		;;
	--names)
		COMPREPLY=($(compgen -W 'alibaba_cloud alibabacloud alicloud oss vars' -- "$cur"))
		return
		;;
	esac
	opts='--source -v --verbose -q --quiet -h --help'
	case $sub in
	env) opts+=' --format --names --marker' ;;
	status) opts+=' --format --json' ;;
	exec) opts+=' --on-rotate=restart --on-rotate= --' ;;
	*) opts+=' --version --on-rotate=restart --on-rotate= --' ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [[ -z $sub ]]; then
		COMPREPLY=($(compgen -W 'exec env status' -- "$cur") $(compgen -c -- "$cur"))
	elif [[ $sub == exec ]]; then
		COMPREPLY=($(compgen -c -- "$cur"))
	fi
}

# The wrapped command, from word $1 on: its own completion if
# bash-completion is there, else commands, then file names.
_stsenv_command() {
	if declare -F _command_offset >/dev/null; then
		_command_offset "$1"
	elif (($1 == COMP_CWORD)); then
		COMPREPLY=($(compgen -c -- "${COMP_WORDS[COMP_CWORD]}"))
	else
		COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}"))
	fi
}

complete -F _stsenv stsenv
