# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tests/ctl/lib.sh -- what the control plane's namespace tests (run.sh,
# join.sh, revoke.sh) share: counting checks and running lanwire. Sourced
# after the script has set LANWIRE and tmp (its description is
# $tmp/net.conf).

pass=0 fail=0
pids=()
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# t WHAT CMD...: a check that CMD succeeds
t() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
has() { grep -qE -- "$2" <<<"$1"; }
# lw NS ARGS...: lanwire on the test's description in namespace NS
lw() { local ns=$1; shift; ip netns exec "$ns" "$LANWIRE" -f "$tmp/net.conf" "$@"; }
now() { date +%s%3N; }
# wait_for FILE REGEX [TENTHS]: until FILE has a line matching REGEX
wait_for() {
	local i
	for i in $(seq "${3:-100}"); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
