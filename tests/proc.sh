# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tests/proc.sh -- process helpers (and base36, for name tags) shared by
# the end-to-end suite (tests/e2e/lib.sh) and the benchmark (bench/lib.sh):
# sourced, never run.
# They act only on PIDs the caller started.

# pid_alive PID: running and not a zombie.
pid_alive()
{
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}

# kill_pid PID: TERM, 3 s grace, then KILL; reaps it if it is our child.
kill_pid()
{
	local pid=$1 i
	if pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 30; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s; 0 once it succeeds.
wait_until()
{
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# base36 N: N in base 36 (0-9a-z), for short unique tags in namespace
# and interface names.
base36()
{
	local n=$1 digits=0123456789abcdefghijklmnopqrstuvwxyz s=
	while ((n > 0)); do
		s=${digits:n % 36:1}$s
		n=$((n / 36))
	done
	printf '%s' "${s:-0}"
}
