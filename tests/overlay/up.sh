#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire up / down of overlay routers (issue 11; planner/apply_overlay.c):
# examples/ha.conf (hubs z1 and z2, sites LAN1 and LAN2, a
# laptop on z1) brought up with `lanwire up NODE` in namespaces
# lwha-<tag>-*, each router in a private mount namespace (both ends of a
# link have the same interface name, and /var/run/wireguard is shared
# machine-wide otherwise). Asserts: LAN1 -> LAN2 pings pass; each link's
# peer has lanwired's probe (lanwire_probe_ms) and carrier
# (lanwire_carrier_ms, with ignore_routes_with_linkdown and backup
# routes) and wg showconf still reads the link; a second up
# changes nothing; down leaves no process, route, interface or file; a
# failed up (BIRD refusing its configuration, or BIRD not starting after
# the links are up) leaves nothing either. The nft policy (the test's
# copy allows LAN1 -> LAN2 only): every router has its table after up;
# LAN2 -> LAN1 is dropped at the site gateways while LAN1 -> LAN2 passes
# and hub z1 forwards it between its links (counted there); with the
# gateways' tables deleted by hand, hub z1's stateless transit still
# drops LAN2 -> LAN1 (ping, and a TCP SYN; its drop counter grows) and
# passes LAN1 -> LAN2 with replies (ping, TCP); as the negative control,
# LAN2 -> LAN1 passes once z1's table is deleted too, and is dropped
# again after up reloads them; a policy change is one "replaced" table
# on every router; down removes every table. Prints
# processes and RSS per router.
#
# Usage: up.sh [LANWIRE [LANWIRED]]  (default build/lanwire, build/lanwired)
set -u

# shellcheck source=tests/overlay/lib.sh
. "$(dirname "$0")/../overlay/lib.sh"
ov_init "$@"
trap ov_cleanup EXIT
trap 'exit 1' INT TERM
ov_need bird birdc ip wg ping nsenter unshare nc

# What a router has that it had not before up: processes other than its
# holder, interfaces other than lo and the test's veths, routes other than
# the connected ones, files in its run directory, forwarding on.
leftovers() {
	local r=$1 left=""
	local pids
	pids=$(ip netns pids "$P-$r" | grep -vx "${HOLDER[$r]}")
	[ -n "$pids" ] && left="$left processes($(echo $pids));"
	in_ns "$r" ip -o link | grep -v -e ': lo:' -e ": $I" |
		grep -q . && left="$left interfaces;"
	in_ns "$r" ip route | grep -v 'proto kernel' | grep -q . &&
		left="$left routes($(in_ns "$r" ip route | grep -v 'proto kernel' | head -2 | tr '\n' ' '));"
	[ -e "$WORK/run-$r" ] && left="$left files($(ls "$WORK/run-$r"));"
	[ "$(in_ns "$r" sysctl -n net.ipv4.ip_forward)" = 0 ] ||
		left="$left forwarding;"
	in_ns "$r" nft list table inet lanwire >/dev/null 2>&1 &&
		left="$left nft table;"
	[ "$(in_ns "$r" sysctl -n net.ipv4.conf.all.ignore_routes_with_linkdown)" = 0 ] ||
		left="$left ignore_routes_with_linkdown;"
	echo "$left"
}

# How many of a's links answer LINE to a UAPI get.
a_links_with() {
	local s n=0
	for s in $(in_r a sh -c 'ls /var/run/wireguard/*.sock'); do
		printf 'get=1\n\n' | in_r a timeout 5 nc -N -U "$s" 2>/dev/null |
			grep -qx "$1" && n=$((n + 1))
	done
	echo "$n"
}

# LANWIRE_LINK_CARRIER_MS=300 (apply_linkdown.c): lanwired's carrier on
# a's link peers, ignore_routes_with_linkdown on, and a's backup routes
# for LAN2 through both hubs (metric 64 + the path's cost: via z1 10 + 10,
# via z2 20 + 20).
carrier_checks() {
	local n routes
	n=$(a_links_with 'lanwire_carrier_ms=300')
	[ "$n" -eq 2 ] && ok "a's 2 links have lanwired's carrier (300 ms)" ||
		bad "lanwired's carrier on $n of a's 2 links"
	[ "$(in_ns a sysctl -n net.ipv4.conf.all.ignore_routes_with_linkdown)" = 1 ] &&
		ok "a ignores routes through links with no carrier" ||
		bad "a's ignore_routes_with_linkdown is not 1"
	routes=$(in_ns a ip -o route show 192.168.200.0/24 | grep -v -e unreachable -e 'proto bird')
	echo "$routes" | grep -q "dev ${I}1 .*metric 84" &&
		echo "$routes" | grep -q "dev ${I}2 .*metric 104" &&
		ok "a's backup routes for LAN2 through z1 (84) and z2 (104)" ||
		bad "a's backup routes for LAN2: $routes"
}

ov_build
# The policy one way only, so that the other is a flow it refuses.
sed -i 's/^allow = LAN1 <-> LAN2$/allow = LAN1 -> LAN2/' "$WORK/ha.conf"
grep -qx 'allow = LAN1 -> LAN2' "$WORK/ha.conf" || bad "policy not narrowed"

# 1. up, LAN to LAN; lanwired's probe and carrier asked for (opt-in,
# checked below).
export LANWIRE_LINK_PROBE_MS=1000 LANWIRE_LINK_CARRIER_MS=300
all_up
t0=$(date +%s%N)
if ov_wait_ping 30; then
	ok "LAN1 -> LAN2 through the overlay $(( ($(date +%s%N) - t0) / 1000000 )) ms after up"
else
	bad "LAN1 -> LAN2 never worked"
	in_r a birdc -s "$WORK/run-a/a.bird.ctl" show protocols
	in_r a ip route
fi
for r in "${ROUTERS[@]}"; do echo "  $(resources "$r")"; done
n=$(daemons a)
[ "$n" -eq 2 ] && ok "a runs one lanwired per link (2)" ||
	bad "a runs $n lanwired, not 2"
in_r z1 wg show "${I}k1" peers | wc -l | grep -qx 1 &&
	ok "z1's client interface has its one client only" ||
	bad "z1's client interface: $(in_r z1 wg show "${I}k1" peers | wc -l) peers"
# lanwired's probe on every link peer of a (UAPI lanwire_probe_ms); wg
# showconf, which skips the extension, still reads the link.
probes=$(a_links_with 'lanwire_probe_ms=1000')
[ "$probes" -eq 2 ] && ok "a's 2 links have lanwired's probe (1000 ms)" ||
	bad "lanwired's probe on $probes of a's 2 links"
l=$(in_r a sh -c 'ls /var/run/wireguard/' | head -1)
l=${l%.sock}
in_r a wg showconf "$l" | grep -q '^PersistentKeepalive = 5$' &&
	! in_r a wg showconf "$l" | grep -qiE 'probe|carrier' &&
	ok "wg showconf $l still reads the link, without the probe or the carrier" ||
	bad "wg showconf $l: $(in_r a wg showconf "$l" 2>&1 | tail -2)"
carrier_checks
in_ns a ip route show 192.168.200.0/24 | grep -q "unreachable.*metric 4000" &&
	ok "a has the unreachable route below BIRD's" ||
	bad "a lacks the unreachable route for LAN2"

# 1b. The nft policy up loaded.
for r in "${ROUTERS[@]}"; do
	in_ns "$r" nft list table inet lanwire >/dev/null 2>&1 &&
		ok "$r has its nft policy (table inet lanwire)" ||
		bad "$r has no nft table after up"
done
in_ns z1 nft list chain inet lanwire forward |
	grep -qE 'iifname \{ .* \} oifname \{ .* \} ip saddr .* ip daddr .* accept$' &&
	ok "z1's policy has stateless transit between its links" ||
	bad "z1's policy lacks the transit rule"
# hub_drops: packets z1's transit has dropped between its links.
hub_drops() {
	in_ns z1 nft list chain inet lanwire forward |
		sed -n 's/.* oifname {.*} counter packets \([0-9]*\) .* drop$/\1/p'
}
# lanwire_ping N FROM TO: N pings answered (exit status).
lan_ping() { in_ns "$2" ping -c "$1" -i 0.1 -W 1 -q "$3" >/dev/null 2>&1; }
in_ns z1 nft -f - <<NFT
table inet ${I}count {
	chain count {
		type filter hook forward priority filter - 10; policy accept;
		ip saddr 192.168.201.0/24 ip daddr 192.168.200.0/24 counter
		ip saddr 192.168.200.0/24 ip daddr 192.168.201.0/24 counter
	}
}
NFT
lan_ping 5 h1 192.168.200.10 && ok "LAN1 -> LAN2 (allowed) passes with the policy" ||
	bad "LAN1 -> LAN2 (allowed) dropped"
n=$(in_ns z1 nft list chain inet "${I}count" count | grep -o 'packets [0-9]*' |
	awk '{ print $2 }' | tr '\n' ' ')
in_ns z1 nft delete table inet "${I}count"
set -- $n
[ "${1:-0}" -ge 5 ] && [ "${2:-0}" -ge 5 ] &&
	ok "hub z1 forwarded between its links: $1 packets there, $2 back" ||
	bad "hub z1 forwarded: ${n:-nothing}"
lan_ping 3 h2 192.168.201.10 && bad "LAN2 -> LAN1 (not allowed) passes" ||
	ok "LAN2 -> LAN1 (not allowed) is dropped"
# The gateways' tables deleted by hand: hub z1's transit still drops
# the refused flow (counted there), and passes the allowed one.
in_ns a nft delete table inet lanwire && in_ns c nft delete table inet lanwire
d0=$(hub_drops)
lan_ping 3 h2 192.168.201.10 && bad "LAN2 -> LAN1 passes hub z1 without the gateways' policy" ||
	ok "LAN2 -> LAN1 dropped at hub z1 without the gateways' policy"
d1=$(hub_drops)
[ "${d1:-0}" -ge $(( ${d0:-0} + 3 )) ] &&
	ok "z1's transit counted the refused flow ($d0 -> $d1 drops)" ||
	bad "z1's transit drops: ${d0:-none} -> ${d1:-none}"
lan_ping 3 h1 192.168.200.10 && ok "LAN1 -> LAN2 and its replies still pass hub z1" ||
	bad "LAN1 -> LAN2 dropped at hub z1"
# TCP: LAN1 -> LAN2 opens and carries a reply; LAN2 -> LAN1's SYN is
# dropped at the hub (the reply match refuses a SYN without ACK).
tcp_to() { # FROM TO-NS ADDR: one line echoed back over TCP (exit status)
	local lp
	in_ns "$2" timeout 5 sh -c 'echo pong | nc -N -l 5001' >/dev/null 2>&1 &
	lp=$!
	sleep 0.3
	echo ping | in_ns "$1" timeout 3 nc -N -w 2 "$3" 5001 2>/dev/null | grep -qx pong
	local rc=$?
	kill "$lp" 2>/dev/null; wait "$lp" 2>/dev/null
	return $rc
}
tcp_to h1 h2 192.168.200.10 && ok "TCP LAN1 -> LAN2 through hub z1 answered" ||
	bad "TCP LAN1 -> LAN2 through hub z1 failed"
d0=$(hub_drops)
tcp_to h2 h1 192.168.201.10 && bad "TCP LAN2 -> LAN1 passes hub z1" ||
	ok "TCP LAN2 -> LAN1 dropped at hub z1"
d1=$(hub_drops)
[ "${d1:-0}" -gt "${d0:-0}" ] && ok "z1 counted the refused SYN ($d0 -> $d1)" ||
	bad "z1's drops did not grow for the SYN: ${d0:-none} -> ${d1:-none}"
# Negative control: hub z1's table deleted too.
in_ns z1 nft delete table inet lanwire
lan_ping 3 h2 192.168.201.10 &&
	ok "negative control: without the gateways' and hub's policy LAN2 -> LAN1 passes" ||
	bad "negative control: LAN2 -> LAN1 dropped without any policy"
for r in a c z1; do
	out=$(lw up "$r" 2>/dev/null)
	[ "$out" = "$r: nft table inet lanwire loaded" ] &&
		ok "up $r after its table was deleted: $out" ||
		bad "up $r after its table was deleted said: $(echo "$out" | head -3)"
done
lan_ping 3 h2 192.168.201.10 && bad "LAN2 -> LAN1 passes after up reloaded the policy" ||
	ok "LAN2 -> LAN1 dropped again after up reloaded the policy"
# A policy change replaces the table in one nft transaction.
sed -i 's/^allow = LAN1 -> LAN2$/allow = LAN1 <-> LAN2/' "$WORK/ha.conf"
for r in a c z1 z2; do
	out=$(lw up "$r" 2>/dev/null)
	[ "$out" = "$r: nft table inet lanwire replaced" ] &&
		ok "up $r after the policy change: $out" ||
		bad "up $r after the policy change said: $(echo "$out" | head -3)"
done
lan_ping 3 h2 192.168.201.10 && ok "LAN2 -> LAN1 passes once the policy allows it" ||
	bad "LAN2 -> LAN1 dropped though now allowed"
sed -i 's/^allow = LAN1 <-> LAN2$/allow = LAN1 -> LAN2/' "$WORK/ha.conf"
for r in "${ROUTERS[@]}"; do
	lw up "$r" >/dev/null 2>&1 || bad "up $r with the policy back"
done

# 2. A second up changes nothing.
for r in "${ROUTERS[@]}"; do
	out=$(lw up "$r" 2>/dev/null)
	if [ "$out" = "$r: nothing to change" ]; then
		ok "second up $r: nothing to change"
	else
		bad "second up $r said: $(echo "$out" | head -3)"
	fi
done
# A changed cost: BIRD reloads (same pid), nothing else changes.
pid=$(cat "$WORK/run-a/a.bird.pid")
sed -i 's/^cost = 20$/cost = 30/' "$WORK/ha.conf"
out=$(lw up a 2>/dev/null)
[ "$out" = "a: BIRD configuration reloaded" ] &&
	[ "$(cat "$WORK/run-a/a.bird.pid")" = "$pid" ] &&
	ok "up a after a cost change: $out (pid $pid kept)" ||
	bad "up a after a cost change said: $(echo "$out" | head -3)"
sed -i 's/^cost = 30$/cost = 20/' "$WORK/ha.conf"
lw up a >/dev/null 2>&1 || bad "up a with the cost back"
in_ns h1 ping -c1 -W1 192.168.200.10 >/dev/null 2>&1 &&
	ok "LAN1 -> LAN2 still passes after the second up" ||
	bad "LAN1 -> LAN2 broken by the second up"

# 3. down leaves nothing, and touches no other namespace's daemons: both
# ends of a link run "lanwired IFACE" with the same IFACE.
before=$(daemons z1)
lw down a >"$WORK/down-a.out" 2>&1 || bad "down a: $(tail -2 "$WORK/down-a.out")"
after=$(daemons z1)
[ "$before" -eq "$after" ] && ok "down a left z1's $after lanwired alone" ||
	bad "down a: z1 had $before lanwired, now $after"
for r in z1 z2 c; do
	lw down "$r" >"$WORK/down-$r.out" 2>&1 || bad "down $r: $(tail -2 "$WORK/down-$r.out")"
done
sleep 0.5
for r in "${ROUTERS[@]}"; do
	left=$(leftovers "$r")
	[ -z "$left" ] && ok "down $r left nothing" || bad "down $r left:$left"
done
out=$(lw down a 2>&1) && ok "a second down: ${out#lanwire: }" ||
	bad "a second down failed: $out"

# up_refused WHAT PATTERN VAR=VALUE...: `up a` with those variables set
# must fail before anything changes, say PATTERN, and leave nothing.
refusals=0
up_refused() {
	local what=$1 pat=$2 out left
	shift 2
	refusals=$((refusals + 1))
	out=$WORK/refused-$refusals.out
	if (export "$@"; lw up a) >"$out" 2>&1; then
		bad "up a with $what succeeded"
	elif grep -q "$pat" "$out"; then
		ok "up a refused $what: $(grep "$pat" "$out" | head -1 | cut -c1-90)"
	else
		bad "up a with $what failed without saying why: $(tail -2 "$out")"
	fi
	left=$(leftovers a)
	[ -z "$left" ] && ok "up a with $what left nothing" ||
		bad "up a with $what left:$left"
}

# 4. Failed ups leave nothing: a BIRD that refuses every configuration
# (before anything changes), then one that does not start (after the
# routes and links are up).
mkdir "$WORK/fake"
printf '#!/bin/sh\nexit 1\n' >"$WORK/fake/bird"
chmod 755 "$WORK/fake/bird"
up_refused "a BIRD refusing its configuration" 'BIRD refuses' XPATH="$WORK/fake:"
up_refused "a bad probe" 'LANWIRE_LINK_PROBE_MS=50: not 0' LANWIRE_LINK_PROBE_MS=50
up_refused "a bad carrier" 'LANWIRE_LINK_CARRIER_MS=50: not 0' LANWIRE_LINK_CARRIER_MS=50
printf '#!/bin/sh\ncase " $* " in *" -p "*) exec %s "$@" ;; esac\nexit 1\n' \
	"$(command -v bird)" >"$WORK/fake/bird"
if XPATH="$WORK/fake:" lw up a >"$WORK/f2.out" 2>&1; then
	bad "up a with a BIRD that does not start succeeded"
else
	grep -q 'undoing' "$WORK/f2.out" && grep -q 'interface .* created' "$WORK/f2.out" &&
		grep -q 'nft table inet lanwire loaded' "$WORK/f2.out" &&
		ok "up a failed after its policy and links were up, and undid them" ||
		bad "up a failed differently: $(tail -3 "$WORK/f2.out")"
fi
sleep 0.5
left=$(leftovers a)
[ -z "$left" ] && ok "the failed up left nothing" || bad "the failed up left:$left"

if grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' \
	"$WORK"/*.out "$WORK"/*.err 2>/dev/null; then
	bad "sanitizer reports in the outputs above"
fi
echo "overlay-up: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
