#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The lab's scenarios as tests: `lanwire lab SCENARIO --json` for each seed
# network (as root: it builds namespaces), its exit status, and the facts
# the seed posts promise, read from the JSON with jq. Then up/down on a
# namespace pair (updown.sh). Closing line: "lab: N passed, N failed".
#
#   leased-line (000)  b <-> d both ways, sources not NATed on the routed
#                      path; the hub cannot open into either LAN
#   remote-dev (001)   developers reach both LANs and each other; LAN2's
#                      masquerade shows c's LAN address to d; an unlisted
#                      client (guest) and the hub are refused while
#                      replies to allowed connections flow; the on-site
#                      laptop f reaches LAN1 on eth1, LAN2 through the tunnel
#   star (002)         mobiles reach home and office; home <-> office and
#                      the hub -> LANs refused
#
# usage: tests/lab/run.sh [build/lanwire] [SCENARIO...]
set -u
cd "$(dirname "$0")/../.."
LANWIRE=$(readlink -f "${1:-build/lanwire}")
shift || true
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(leased-line remote-dev star updown)
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# check DESCRIPTION JQ-EXPRESSION: passes when the expression is true.
check() {
	if jq -e "$2" "$json" >/dev/null 2>&1; then ok "$scenario: $1"; else bad "$scenario: $1"; fi
}
pair() { echo ".pairs[] | select(.from == \"$1\" and .to == \"$2\")"; }
allowed() { check "$1 -> $2 allowed" "$(pair "$1" "$2") | .observed == \"allow\""; }
denied() { check "$1 -> $2 denied" "$(pair "$1" "$2") | .observed == \"deny\""; }
# seen FROM TO JQ-VALUE ($r is the whole report): the source TO saw.
seen() { check "$1 -> $2 seen from $3" ". as \$r | $(pair "$1" "$2") | .source_seen == $3"; }

run_lab() {
	json=$tmp/$scenario.json
	local t0=$SECONDS rc
	"$LANWIRE" lab "$scenario" --json >"$json" 2>"$tmp/$scenario.err"
	rc=$?
	if [ $rc -eq 0 ]; then ok "$scenario: lab exits 0 ($((SECONDS - t0)) s)"
	else bad "$scenario: lab exits $rc"; tail -n 30 "$tmp/$scenario.err"; fi
	check "every observation as expected" '.ok == true and .failed == 0'
	if ip netns list | grep -q "^lwlab-$(jq -r .tag "$json" 2>/dev/null)-"; then
		bad "$scenario: namespaces left behind"
	else ok "$scenario: no namespaces left behind"; fi
	check "throughput measured" '.throughput.mbit_s > 0'
}

leased_line() {
	run_lab
	allowed b d; allowed d b
	seen b d '"192.168.201.55"'   # not NATed: d sees b itself
	seen d b '"192.168.200.244"'
	allowed a d; allowed c b       # gateways' own tunnel addresses
	denied z b; denied z d
}

remote_dev() {
	run_lab
	local h
	for h in e f; do allowed $h b; allowed $h d; done
	allowed e f; allowed f e
	seen e b '"10.70.0.4"'         # LAN1 routes back: not NATed
	seen e d '($r.hosts[] | select(.name == "c") | .lan_address)'  # LAN2 masquerades
	seen f b '"192.168.201.60"'    # on site: directly, from its LAN address
	for h in b d e f; do denied guest $h; done
	denied z b; denied z d         # the gateways' hardening: only developers
	denied b e; denied d e; denied b d
	check "f reaches LAN1 on its LAN interface" \
		'.routes[] | select(.destination == "192.168.201.55") | .dev == "eth1"'
	check "f reaches LAN2 through the tunnel" \
		'.routes[] | select(.destination == "192.168.200.244") | (.dev | startswith("lwl")) and .ok'
}

star() {
	run_lab
	local m
	for m in macbook cellphone; do allowed $m nas; allowed $m desk; done
	denied nas desk; denied desk nas
	denied router nas; denied router desk
	denied home-gw desk; denied office-gw nas
	denied macbook cellphone
	seen macbook nas '"192.168.1.2"'   # home-gw masquerades into the LAN
}

if [ "$(id -u)" != 0 ]; then
	echo "lab: must run as root (network namespaces)"
	echo "lab: 0 passed, 1 failed"
	exit 1
fi
for scenario in "${SCENARIOS[@]}"; do
	echo "=== $scenario"
	case $scenario in
	leased-line) leased_line ;;
	remote-dev) remote_dev ;;
	star) star ;;
	updown)
		out=$(bash tests/lab/updown.sh "$LANWIRE" 2>&1)
		echo "$out" | grep -E '^(PASS|FAIL)'
		p=$(echo "$out" | sed -n 's/^updown: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
		f=$(echo "$out" | sed -n 's/^updown: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
		[ -n "$p" ] || { echo "$out" | tail -n 20; p=0 f=1; }
		pass=$((pass + p)); fail=$((fail + f)) ;;
	*) bad "no scenario $scenario" ;;
	esac
done
echo "lab: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
