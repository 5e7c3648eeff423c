# SPDX-License-Identifier: MIT
# bash completion for lanwire(8). Commands and their options are read from
# the program itself (`lanwire --help`, `lanwire help`), so a new command
# completes without an edit here; node names come from the description
# (-f FILE, else lanwire.conf here): the names of its [hub], [site] and
# [client] sections and its sites' gateways (and its groups for --ssh).

# The description named on the command line so far, or the default.
_lanwire_file()
{
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-f | --file)
			printf '%s\n' "${COMP_WORDS[i + 1]/#\~/$HOME}"
			return
			;;
		esac
	done
	echo lanwire.conf
}

# KIND (node: any node or site; client; who: nodes, sites and groups)
# names of the description FILE.
_lanwire_names()
{
	[[ -r $2 ]] || return
	awk -v kind="$1" '
		/^[ \t]*\[/ {
			gsub(/[][]/, " "); sec = $1; name = $2
			if (name != "" && (kind == sec || kind != "client"))
				print name
			next
		}
		sec == "site" && tolower($1) == "gateway" && $2 == "=" &&
		    kind != "client" { print $3 }
		sec == "client" && tolower($1) == "group" && $2 == "=" &&
		    kind == "who" { print $3 }
	' "$2" 2>/dev/null | sort -u
}

_lanwire_commands()
{
	"${1:-lanwire}" --help 2>/dev/null | awk '/^  [a-z]/ { print $1 }'
}

# The long options of COMMAND, from its usage line in `lanwire help`.
_lanwire_options()
{
	"$1" help 2>/dev/null | awk -v c="$2" '$1 == "lanwire" && $2 == c' |
		grep -o -- '--[a-z-]*' | sort -u
	printf '%s\n' --file --keys --help
}

_lanwire()
{
	local cur prev cmd i prog=${COMP_WORDS[0]} file
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	case $prev in
	-f | --file | --against)
		_filedir conf 2>/dev/null ||
			COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	-k | --keys | -o | --run-dir | --hook-dir | --rendered)
		_filedir -d 2>/dev/null ||
			COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--daemon)
		COMPREPLY=($(compgen -c -- "$cur"))
		return
		;;
	--format)
		COMPREPLY=($(compgen -W "wg-quick networkd" -- "$cur"))
		return
		;;
	--return)
		COMPREPLY=($(compgen -W "route masquerade" -- "$cur"))
		return
		;;
	--address-prefix)
		COMPREPLY=($(compgen -W "tunnel host" -- "$cur"))
		return
		;;
	--os)
		COMPREPLY=($(compgen -W "linux other" -- "$cur"))
		return
		;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	--ssh)
		COMPREPLY=($(compgen -W "$(_lanwire_names who "$(_lanwire_file)")" -- "$cur"))
		return
		;;
	--git)	# revisions of the repository the description is in
		COMPREPLY=($(compgen -W "HEAD $(cd "$(dirname "$(_lanwire_file)")" 2>/dev/null &&
			git for-each-ref --format='%(refname:short)' 2>/dev/null)" -- "$cur"))
		return
		;;
	esac

	# The command: the first word that is not an option or its value.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-f | --file | -k | --keys) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-f --file -k --keys --version --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_lanwire_commands "$prog")" -- "$cur"))
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_lanwire_options "$prog" "$cmd")" -- "$cur"))
		return
	fi
	file=$(_lanwire_file)
	case $cmd in
	add)
		[[ $((COMP_CWORD - i)) -eq 1 ]] &&
			COMPREPLY=($(compgen -W "hub site client" -- "$cur"))
		;;
	qr)
		COMPREPLY=($(compgen -W "$(_lanwire_names client "$file")" -- "$cur"))
		;;
	lab)
		COMPREPLY=($(compgen -W "$("$prog" help 2>/dev/null |
			sed -n 's/^lanwire \(\[-f FILE\] \)\{0,1\}lab \[\([^]]*\)\].*/\2/p' |
			tr '|' ' ')" -- "$cur"))
		;;
	init | keys | check | help | pin | diff) ;;
	*)	# render, up, down, status, remove, policy: a node or site
		COMPREPLY=($(compgen -W "$(_lanwire_names node "$file")" -- "$cur"))
		;;
	esac
}
complete -F _lanwire lanwire
