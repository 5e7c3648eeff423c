#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire lab live (issue 12; planner/lab_live.c): runs
# `lanwire lab live --json` with the given lanwire binary and checks its
# one JSON line: the five figures are there, by their exact names
# (join_ms, revoke_ms, change_ms, sessions_kept, rotate_lost_pings), with
# sane values; the run exits 0. rotate_lost_pings must be 0 (the goal:
# make-before-break rotation, docs/control.md "Key rotation"). Timings
# are bounded only generously (a shared, noisy machine): their goals
# (join_ms < 3,000, change_ms and revoke_ms < 1,000) are printed by the
# lab itself and in its JSON, not asserted here. The lab makes and
# removes its own namespaces (lwlab-TAG-*). A make check step (lab-live,
# lab-live-san), about 35 s.
# Usage: tests/lab/live.sh [LANWIRE [LANWIRED]]
# Closing line: "lab-live: N passed, M failed".
set -u
LANWIRE=$(readlink -f "${1:-build/lanwire}")
LANWIRED=$(readlink -f "${2:-$(dirname "$LANWIRE")/lanwired}")
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
t() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

"$LANWIRE" lab live --json --daemon "$LANWIRED" >"$out" 2>"$err"
rc=$?
[ $rc = 0 ] || tail -n 40 "$err"
cat "$out"
t "lab live exits 0 ($rc)" test "$rc" = 0
# shellcheck source=tests/lab/json.sh
. "$(dirname "$0")/json.sh"
t "the output is one JSON object" python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read())' "$out"
for f in join_ms revoke_ms change_ms rotate_lost_pings; do
	v=$(field "$out" $f)
	t "$f is a whole number ($v)" bash -c "[[ '$v' =~ ^[0-9]+$ ]]"
done
v=$(field "$out" sessions_kept)
t "sessions_kept is true ($v)" test "$v" = true
v=$(field "$out" join_ms)
t "join_ms under a generous 30,000 ($v)" bash -c "[[ '$v' =~ ^[0-9]+$ ]] && [ $v -lt 30000 ]"
v=$(field "$out" change_ms)
t "change_ms under a generous 15,000 ($v)" bash -c "[[ '$v' =~ ^[0-9]+$ ]] && [ $v -lt 15000 ]"
v=$(field "$out" revoke_ms)
t "revoke_ms under a generous 5,000 ($v)" bash -c "[[ '$v' =~ ^[0-9]+$ ]] && [ $v -lt 5000 ]"
v=$(field "$out" rotate_lost_pings)
t "rotate_lost_pings is 0 ($v)" test "$v" = 0
# (other labs may run at the same time: only this run's tag)
tag=$(sed -n 's/^lab: building namespaces lwlab-\([0-9a-z]*\)-\*$/\1/p' "$err")
t "the run named its namespaces ($tag)" test -n "$tag"
t "no namespace of the run is left" bash -c "! ip netns list | grep -q '^lwlab-$tag-'"

echo "lab-live: $pass passed, $fail failed"
[ $fail -eq 0 ]
