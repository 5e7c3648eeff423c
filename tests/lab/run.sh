#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The lab's scenarios as tests: `lanwire lab SCENARIO --json` for each seed
# network (as root: it builds namespaces), its exit status, and the facts
# the seed posts promise, read from the JSON with jq. Then up/down on
# namespaces (updown.sh, accept_ra.sh). Closing line: "lab: N passed, N failed".
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
#   hq                 examples/hq.conf run as `lanwire -f FILE lab`: every
#                      source to every address on icmp, tcp/22, tcp/443 and
#                      tcp/udp 7171 as the policy says; contractors reach
#                      branch2:web on tcp/443 only; nobody but admins the
#                      gateways' and hub's own addresses; the widened and
#                      the spoofing client stay refused
#   dualstack          examples/dualstack.conf: the same over IPv6 (ULA
#                      tunnel and LANs), every probe as expected in both
#                      families; the gateways' lan-addresses (IPv4 and
#                      IPv6) open to admins only
#
#   updown             up / down on three namespaces (updown.sh)
#   accept-ra          up / down keep an RA-learned IPv6 default route
#                      (accept_ra.sh)
#
# Every scenario's probes are compared with the matrix the policy implies
# (policy_path_allows()); the checks below pin a few of them by name.
#
# usage: tests/lab/run.sh [build/lanwire] [SCENARIO...]
set -u
cd "$(dirname "$0")/../.."
LANWIRE=$(readlink -f "${1:-build/lanwire}")
shift || true
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(leased-line remote-dev star hq dualstack updown accept-ra)
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# check DESCRIPTION JQ-EXPRESSION: passes when the expression is true.
check() {
	if jq -e "$2" "$json" >/dev/null 2>&1; then ok "$scenario: $1"; else bad "$scenario: $1"; fi
}
# pair FROM TO [PROTO PORT [FAMILY-PATTERN]]: the untampered probe to TO's
# first address (or to its address matching FAMILY-PATTERN, ":" for IPv6).
pair() {
	local sel=".address == (\$r.hosts[] | select(.name == \"$2\") | .address)"
	[ -n "${5:-}" ] && sel=".address | contains(\"$5\")"
	echo ". as \$r | .pairs[] | select(.from == \"$1\" and .to == \"$2\" and .proto == \"${3:-tcp}\" and .port == ${4:-7171} and .tamper == \"none\" and ($sel))"
}
allowed() { check "$1 -> $2 ${3:-tcp}/${4:-7171}${5:+ $5} allowed" "[$(pair "$@") | .observed == \"allow\"] | length > 0 and all"; }
denied() { check "$1 -> $2 ${3:-tcp}/${4:-7171}${5:+ $5} denied" "[$(pair "$@") | .observed == \"deny\"] | length > 0 and all"; }
# seen FROM TO JQ-VALUE ($r is the whole report): the source TO saw.
seen() { check "$1 -> $2 seen from $3" "$(pair "$1" "$2") | .source_seen == $3"; }

run_lab() {
	json=$tmp/$scenario.json
	local t0=$SECONDS rc
	if [ -n "${file:-}" ]; then
		"$LANWIRE" -f "$file" lab --json >"$json" 2>"$tmp/$scenario.err"
	else
		"$LANWIRE" lab "$scenario" --json >"$json" 2>"$tmp/$scenario.err"
	fi
	rc=$?
	if [ $rc -eq 0 ]; then ok "$scenario: lab exits 0 ($((SECONDS - t0)) s)"
	else bad "$scenario: lab exits $rc"; tail -n 30 "$tmp/$scenario.err"; fi
	check "every observation as expected" '.ok == true and .failed == 0'
	if ip netns list | grep -q "^lwlab-$(jq -r .tag "$json" 2>/dev/null)-"; then
		bad "$scenario: namespaces left behind"
	else ok "$scenario: no namespaces left behind"; fi
	[ -n "${file:-}" ] || check "throughput measured" '.throughput.mbit_s > 0'
	# tampered clients, where there are two clients to tamper with
	if jq -e '[.hosts[] | select(.kind == "client")] | length >= 2' "$json" >/dev/null 2>&1; then
		check "the widened client was probed" '[.pairs[] | select(.tamper == "widened")] | length > 0'
		check "the spoofing client was refused everything" \
			'[.pairs[] | select(.tamper == "spoofed")] | length > 0 and all(.observed == "deny")'
	fi
	# the matrix, for the note
	jq -r '.matrix[] | "  \(.group) \(.family) \(.tamper): \(.probes) probes, expected \(.expected_allow) allowed, observed \(.observed_allow)"' "$json" 2>/dev/null
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

hq() {
	file=examples/hq.conf run_lab
	local c
	for c in contractor1 contractor2; do
		allowed $c branch2:web tcp 443
		denied $c branch2:web tcp 22; denied $c branch2:web
		denied $c branch2 tcp 443; denied $c hq tcp 443; denied $c vps icmp 0
	done
	allowed laptop1 hq; allowed laptop1 branch1 tcp 443; allowed phone branch2
	denied laptop1 laptop2; denied laptop1 vps tcp 22; denied laptop1 hq-gw tcp 22
	allowed admin vps tcp 22; allowed admin vps icmp 0; allowed admin hq-gw tcp 22
	allowed admin b2-gw tcp 22; denied admin vps tcp 443
	allowed admin laptop1; allowed admin contractor1 tcp 22
	denied hq b1-gw tcp 22; denied hq vps icmp 0; denied branch2:web hq-gw tcp 22
	allowed hq branch1; allowed branch1 hq; denied branch1 branch2; denied vps laptop1
	check "the widened contractor reaches only branch2:web tcp/443" \
		'[.pairs[] | select(.tamper == "widened" and .observed == "allow") | "\(.to) \(.proto)/\(.port)"] | unique == ["branch2:web tcp/443"]'
}

dualstack() {
	file=examples/dualstack.conf run_lab
	local fam
	for fam in . :; do
		allowed laptop1 office tcp 7171 $fam; allowed laptop1 lab tcp 22 $fam
		denied laptop1 lab tcp 7171 $fam; denied lab office tcp 7171 $fam
		allowed office lab udp 7171 $fam; allowed admin hub tcp 22 $fam
		denied laptop1 hub tcp 22 $fam; denied laptop1 laptop2 icmp 0 $fam
	done
	allowed laptop2 office:printer tcp 631 :
	# the gateways' own LAN addresses (lan-address, one per family)
	allowed admin office-gw tcp 22 192.168.30.1; allowed admin office-gw tcp 22 fd30:30:30::1
	allowed admin lab-gw tcp 22 192.168.40.1; allowed admin lab-gw tcp 22 fd40:40:40::1
	denied laptop1 office-gw tcp 22 192.168.30.1; denied laptop1 office-gw tcp 22 fd30:30:30::1
	denied laptop1 lab-gw tcp 22 fd40:40:40::1
	check "IPv6 probed as much as IPv4" \
		'([.pairs[] | select(.address | contains(":"))] | length) >= ([.pairs[] | select(.address | contains(":") | not)] | length)'
}

# run_script NAME FILE: a test script of its own, its PASS/FAIL lines and
# its closing line "NAME: N passed, N failed" counted here.
run_script() {
	local out p f
	out=$(bash "$2" "$LANWIRE" 2>&1)
	echo "$out" | grep -E '^(PASS|FAIL)'
	p=$(echo "$out" | sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed\$/\1/p")
	f=$(echo "$out" | sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed\$/\2/p")
	[ -n "$p" ] || { echo "$out" | tail -n 20; p=0 f=1; }
	pass=$((pass + p)); fail=$((fail + f))
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
	hq) hq ;;
	dualstack) dualstack ;;
	updown) run_script updown tests/lab/updown.sh ;;
	accept-ra) run_script accept-ra tests/lab/accept_ra.sh ;;
	*) bad "no scenario $scenario" ;;
	esac
done
echo "lab: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
