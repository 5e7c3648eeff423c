#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/e2e/netnsmove.sh -- the interface moves to another namespace while
# the daemon and its UDP socket stay behind (the "namespace trick" of the
# WireGuard docs): the daemon starts in A, where the veth to B is; its
# interface is moved into C, which has no other link. C reaches B only
# through the tunnel, whose encrypted packets still leave from A. Then the
# interface is deleted inside C and the daemon (still in A) must exit.
#
#	bash tests/e2e/netnsmove.sh DAEMON_A DAEMON_B
#
#  ┌──── lwt-<tag>-c ────┐  ┌──── lwt-<tag>-a ────┐       ┌──── lwt-<tag>-b ────┐
#  │ lw<tag>a (moved in) │  │ DAEMON_A runs here, │       │ lw<tag>b            │
#  │ 192.168.4.1/24      │  │ UDP :51820          │       │ 192.168.4.2/24      │
#  │ no other links      │  │ lv<tag>ab           ├─veth──┤ DAEMON_B :51821     │
#  └─────────────────────┘  └─────────────────────┘       └─────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

pair_topology
ns_add C
genkey a
genkey b
IFA=$(ifname a)
IFB=$(ifname b)
daemon_start A "$DAEMON_A" "$IFA" || exit 1
daemon_start B "$DAEMON_B" "$IFB" || exit 1
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$(pub b)" allowed-ips $IN4_B/32,$IN6_B/128 endpoint $OUT4_B:$PORT_B
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$(pub a)" allowed-ips $IN4_A/32,$IN6_A/128
wg_addr_up B "$IFB" "$IN4_B/24" "$IN6_B/64"

# Scenario: move A's interface into C and bring it up there.
section "interface moved to another namespace"
n A ip link set "$IFA" netns "$(ns_name C)"
check "interface left A" bash -c "! ip netns exec $(ns_name A) ip link show dev $IFA >/dev/null 2>&1"
check "interface is in C" nq C ip link show dev "$IFA"
wg_addr_up C "$IFA" "$IN4_A/24" "$IN6_A/64"
check "UAPI still answers after the move" wgq show "$IFA"

# Scenario: traffic from C goes through the tunnel whose UDP stays in A.
check "ping C->B through the moved interface (v4)" ping_ok C $IN4_B
check "ping C->B through the moved interface (v6)" ping_ok C $IN6_B
check "ping B->C (v4)" ping_ok B $IN4_A
check "handshake completed" handshake_done "$IFA" "$(pub b)"
check_eq "B sees A's endpoint (the UDP socket stayed in A)" \
	"$OUT4_A:$PORT_A" "$(peer_field "$IFB" "$(pub a)" endpoint)"
check "C has no route to B's outer address" \
	bash -c "! ip netns exec $(ns_name C) ping -c1 -W1 $OUT4_B >/dev/null 2>&1"

# Scenario: deleting the interface in C ends the daemon that lives in A.
section "interface deleted in its new namespace"
n C ip link del "$IFA"
check "daemon exits after ip link del in C" daemon_wait_exit "$IFA" 10
check "daemon exit status 0" daemon_exited_cleanly "$IFA"
check "UAPI socket removed" bash -c "! test -e $(sock_path "$IFA")"

