#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/e2e/run.sh -- run the end-to-end scenario scripts for one pair of
# daemons, one after the other, and sum their results:
#
#	bash tests/e2e/run.sh DAEMON_A DAEMON_B [SCRIPT...]
#
# DAEMON_A / DAEMON_B may also come from the environment; DAEMON_B defaults
# to DAEMON_A.  SCRIPT names (basic, tcp, ...) pick a subset.  SOAK=1 adds
# soak.sh (about 4 minutes more).  Each script runs under timeout(1)
# (E2E_SCRIPT_TIMEOUT, default 300 s; soak SOAK_SECONDS + 150 s, netem
# 100 s + OUTAGE_SECONDS more); a script that dies
# without its own summary line counts as one failure.  The last line is
#
#	e2e: N passed, N failed
#
# and the exit status is non-zero if anything failed.

here=$(cd "$(dirname "$0")" && pwd)
DAEMON_A=${1:-${DAEMON_A:-}}
DAEMON_B=${2:-${DAEMON_B:-$DAEMON_A}}
shift 2 2>/dev/null || shift $#
if [[ -z $DAEMON_A ]]; then
	echo "usage: bash $0 DAEMON_A [DAEMON_B] [SCRIPT...]" >&2
	echo "e2e: 0 passed, 1 failed"
	exit 2
fi

scripts=("$@")
if ((${#scripts[@]} == 0)); then
	scripts=(basic tcp counters config keys spoof nat scale lowkey badinput wgquick netnsmove privdrop uapistall hub sticky)
	[[ ${SOAK:-0} == 1 ]] && scripts+=(soak)
fi
: "${E2E_SCRIPT_TIMEOUT:=300}"

total_pass=0
total_fail=0
failed=()
declare -A took=()
t_start=$(date +%s)
log=$(mktemp /tmp/lwt-e2e-run.XXXXXX)
trap 'rm -f "$log"' EXIT

for s in "${scripts[@]}"; do
	s=${s%.sh}
	if [[ ! -f $here/$s.sh ]]; then
		echo "FAIL  [run] no such script: $s"
		total_fail=$((total_fail + 1))
		failed+=("$s")
		continue
	fi
	limit=$E2E_SCRIPT_TIMEOUT
	[[ $s == soak ]] && limit=$((${SOAK_SECONDS:-210} + 150))
	# netem waits through a whole outage (OUTAGE_SECONDS, default 60 s).
	[[ $s == netem ]] && limit=$((E2E_SCRIPT_TIMEOUT + 100 + ${OUTAGE_SECONDS:-60}))
	echo
	echo "##### $s ($DAEMON_A <-> $DAEMON_B)"
	t0=$(date +%s)
	timeout -k 10 "$limit" bash "$here/$s.sh" "$DAEMON_A" "$DAEMON_B" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	took[$s]=$(($(date +%s) - t0))
	summary=$(grep -a -E '^e2e: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
	if [[ -n $summary ]]; then
		read -r p f < <(sed -E 's/^e2e: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/' <<<"$summary")
	else
		note=
		((rc == 124)) && note=", timed out after ${limit}s"
		echo "FAIL  [run] $s ended without a summary line (exit $rc$note)"
		p=0
		f=1
	fi
	if ((rc != 0 && f == 0)); then
		echo "FAIL  [run] $s exited $rc with no failure counted"
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	((f > 0)) && failed+=("$s")
done

echo
echo "##### summary ($DAEMON_A <-> $DAEMON_B), $(($(date +%s) - t_start)) s"
for s in "${scripts[@]}"; do
	s=${s%.sh}
	[[ -n ${took[$s]:-} ]] && printf '  %-10s %4s s\n' "$s" "${took[$s]}"
done
((${#failed[@]})) && echo "  failed: ${failed[*]}"
echo "e2e: $total_pass passed, $total_fail failed"
((total_fail == 0))
