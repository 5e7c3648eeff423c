#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/sticky.sh -- sticky source addresses: A (DAEMON_A) answers B
# from the local address B's packets arrived on, for IPv4 and IPv6, keeps
# following B when B switches to A's other address (roams), and when that
# address is removed from A falls back to the kernel's choice (B then roams
# to it) and learns again.  B (DAEMON_B) initiates; what A's replies came
# from is read from B's `wg show endpoints`.
#
#	bash tests/e2e/sticky.sh DAEMON_A DAEMON_B
#
#  ┌──── lwt-<tag>-a (DAEMON_A) ─────┐        ┌──── lwt-<tag>-b (DAEMON_B) ────┐
#  │ lw<tag>a 192.168.4.1 fd42::1    │        │ lw<tag>b 192.168.4.2 fd42::2   │
#  │ lv<tag>ab 10.0.0.1 10.0.0.2     ├─ veth ─┤ lv<tag>ba 10.0.0.3             │
#  │           fd00:aa::1 fd00:aa::2 │        │           fd00:aa::3           │
#  └─────────────────────────────────┘        └────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

ns_add A B
link_veth A B
VA=$(veth_name A B)
VB=$(veth_name B A)
addr A "$VA" 10.0.0.1/24 10.0.0.2/24 fd00:aa::1/96 fd00:aa::2/96
addr B "$VB" 10.0.0.3/24 fd00:aa::3/96
pair_keys
daemon_start A "$DAEMON_A" "$IFA" || exit 1
daemon_start B "$DAEMON_B" "$IFB" || exit 1
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$PB" allowed-ips $IN4_B/32,$IN6_B/128
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32,$IN6_A/128
wg_addr_up A "$IFA" "$IN4_A/24" "$IN6_A/64"
wg_addr_up B "$IFB" "$IN4_B/24" "$IN6_B/64"

# reached_at EP: B pings A through the tunnel after pointing at EP; A's
# replies must come from EP, so B's endpoint stays EP.
reached_at()
{
	local ep=$1 what=$2 got
	n B wg set "$IFB" peer "$PA" endpoint "$ep"
	check "$what: ping through the tunnel" ping_ok B $IN4_A
	got=$(peer_field "$IFB" "$PA" endpoint)
	check_eq "$what: A answered from $ep" "$ep" "$got"
}

section "1. replies from the address reached (v4, v6), both ways round"
reached_at 10.0.0.2:$PORT_A "v4 second address"
reached_at 10.0.0.1:$PORT_A "v4 first address"
reached_at "[fd00:aa::2]:$PORT_A" "v6 second address"
reached_at "[fd00:aa::1]:$PORT_A" "v6 first address"

section "2. B roams to A's other address: A follows (v4, v6)"
reached_at 10.0.0.2:$PORT_A "v4 after roaming"
reached_at "[fd00:aa::2]:$PORT_A" "v6 after roaming"

section "3. the sticky address is removed from A"
# A's source for B is fd00:aa::2; without it A must fall back, B sees A's
# replies from fd00:aa::1 and follows.  A sends first (ping from A).
n A ip addr del fd00:aa::2/96 dev "$VA"
check "v6: A reaches B after its source address went" ping_ok A $IN4_B
check_eq "v6: B now sees A at the address left" "[fd00:aa::1]:$PORT_A" \
	"$(peer_field "$IFB" "$PA" endpoint)"
reached_at 10.0.0.2:$PORT_A "v4 second address again"
n A ip addr del 10.0.0.2/24 dev "$VA"
if is_lanwired "$DAEMON_A"; then
	check "v4: A reaches B after its source address went" ping_ok A $IN4_B
	check_eq "v4: B now sees A at the address left" "10.0.0.1:$PORT_A" \
		"$(peer_field "$IFB" "$PA" endpoint)"
else
	# Debian's wireguard-go 0.0.20220316 keeps sending from the removed
	# IPv4 address (measured: its pings do not get through until B sends
	# again), so for it this is reported, not asserted.
	ping_ok A $IN4_B && r=reaches || r="does not reach"
	info "v4: $DAEMON_A $r B after its source address went (not asserted)"
	n B ping -q -c 1 -W 2 $IN4_A >/dev/null 2>&1
fi

section "4. learned again: the address comes back and B uses it"
addr A "$VA" 10.0.0.2/24
reached_at 10.0.0.2:$PORT_A "v4 re-added address"
