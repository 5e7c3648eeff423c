#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/spoof.sh -- cryptokey routing on receive: a packet that decrypts
# fine from peer B but whose inner source address belongs (by AllowedIPs
# longest-prefix match) to peer C must be dropped by the hub A, never handed
# to A's interface.  Counted with nftables counters in A's prerouting hook on
# A's WireGuard interface, with positive controls proving the counters count.
#
#	bash tests/e2e/spoof.sh DAEMON_A DAEMON_B
#
#                ┌───────────── lwt-<tag>-a (hub, DAEMON_A) ──────────────┐
#                │ lw<tag>a  192.168.4.1/24  fd42::1/64   port 51820      │
#                │   peer B: 192.168.4.2/32 fd42::2/128                   │
#                │           (case 2: 192.168.4.0/24 fd42::/64)           │
#                │   peer C: 192.168.4.3/32 fd42::3/128                   │
#                │ lv<tag>ab 192.168.241.1/24  lv<tag>ac 192.168.242.1/24 │
#                └────────────┬──────────────────────────────┬────────────┘
#                           veth                           veth
#  ┌─ lwt-<tag>-b (DAEMON_B) ─┴──────────┐   ┌─ lwt-<tag>-c (DAEMON_B) ─┴──────────┐
#  │ lv<tag>ba 192.168.241.2/24          │   │ lv<tag>ca 192.168.242.3/24          │
#  │ lw<tag>b  192.168.4.2/24 fd42::2/64 │   │ lw<tag>c  192.168.4.3/24 fd42::3/64 │
#  │   + spoofed 192.168.4.3 192.168.4.4 │   │   port 51822                        │
#  │             fd42::3 fd42::4         │   │   peer A: 192.168.4.0/24 fd42::/64  │
#  │   port 51821                        │   │                                     │
#  │   peer A: 192.168.4.0/24 fd42::/64  │   │                                     │
#  └─────────────────────────────────────┘   └─────────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

OUT4_C=192.168.242.3
OUT4_AC=192.168.242.1
IN4_X=192.168.4.4		# only in B's broader prefix (case 2)
IN6_X=fd42::4

ns_add A B C
link_veth A B
link_veth A C
addr A "$(veth_name A B)" "$OUT4_A/24"
addr B "$(veth_name B A)" "$OUT4_B/24"
addr A "$(veth_name A C)" "$OUT4_AC/24"
addr C "$(veth_name C A)" "$OUT4_C/24"
trio_keys
daemon_start A "$DAEMON_A" "$IFA" || exit 1
daemon_start B "$DAEMON_B" "$IFB" || exit 1
daemon_start C "$DAEMON_B" "$IFC" || exit 1
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$PB" allowed-ips $IN4_B/32,$IN6_B/128 \
	peer "$PC" allowed-ips $IN4_C/32,$IN6_C/128
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips 192.168.4.0/24,fd42::/64 endpoint $OUT4_A:$PORT_A
n C wg set "$IFC" listen-port $PORT_C private-key "$(key c)" \
	peer "$PA" allowed-ips 192.168.4.0/24,fd42::/64 endpoint $OUT4_AC:$PORT_A
wg_addr_up A "$IFA" "$IN4_A/24" "$IN6_A/64"
wg_addr_up B "$IFB" "$IN4_B/24" "$IN6_B/64"
wg_addr_up C "$IFC" "$IN4_C/24" "$IN6_C/64"

# Counters on A: what A's daemon delivers to A's interface, by inner source.
cat >"$E2E_TMP/count.nft" <<EOF
table inet lwspoof {
	counter from_b4 { }
	counter from_c4 { }
	counter from_x4 { }
	counter from_c6 { }
	counter from_x6 { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname "$IFA" ip saddr $IN4_B counter name from_b4
		iifname "$IFA" ip saddr $IN4_C counter name from_c4
		iifname "$IFA" ip saddr $IN4_X counter name from_x4
		iifname "$IFA" ip6 saddr $IN6_C counter name from_c6
		iifname "$IFA" ip6 saddr $IN6_X counter name from_x6
	}
}
EOF
n A nft -f "$E2E_TMP/count.nft"

# count NAME: packets counted so far by A's counter NAME.
count()
{
	nq A nft list counter inet lwspoof "$1" |
		awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# Scenario: controls -- B and C reach A from their own addresses, and the
# counters see those packets.
section "controls: B and C ping A from their own addresses"
check "ping B->A from 192.168.4.2" ping_ok B $IN4_A
check "ping C->A from 192.168.4.3" ping_ok C $IN4_A
check "ping C->A from fd42::3" ping_ok C $IN6_A
check "counter sees B's packets" test "$(count from_b4)" -ge 3
check "counter sees C's IPv4 packets" test "$(count from_c4)" -ge 3
check "counter sees C's IPv6 packets" test "$(count from_c6)" -ge 3

addr B "$IFB" "$IN4_C/32" "$IN4_X/32" "$IN6_C/128" "$IN6_X/128"

# spoof_dropped WHAT SRC DST COUNTER: B pings DST from SRC; no answer, and
# A's counter for SRC must not move.  B's tx toward A must grow (B did encrypt
# and send them).  A's rx for B is only reported: wireguard-go counts these
# authenticated-but-dropped packets, the Linux driver does not.
spoof_dropped()
{
	local what=$1 src=$2 dst=$3 ctr=$4 c0 c1 rx0 rx1 tx0 tx1
	c0=$(count "$ctr")
	rx0=$(peer_field "$IFA" "$PB" rx)
	tx0=$(peer_field "$IFB" "$PA" tx)
	check "$what: ping from spoofed $src gets no answer" ping_fails B "$dst" -I "$src"
	c1=$(count "$ctr")
	rx1=$(peer_field "$IFA" "$PB" rx)
	tx1=$(peer_field "$IFB" "$PA" tx)
	check_eq "$what: A delivered nothing from $src" "$c0" "$c1"
	if ((tx1 > tx0)); then
		pass "$what: B did send them through the tunnel (tx +$((tx1 - tx0)))"
	else
		fail "$what: B sent through the tunnel" "B's tx toward A unchanged ($tx0): nothing was tested"
	fi
	info "$what: A's rx for B grew by $((rx1 - rx0)) bytes"
}

# Scenario: case 1 -- B's AllowedIPs on A are its own /32 and /128; B sends
# with C's source address.
section "case 1: B (192.168.4.2/32) spoofs C's address"
spoof_dropped "case 1 IPv4" $IN4_C $IN4_A from_c4
spoof_dropped "case 1 IPv6" $IN6_C $IN6_A from_c6
spoof_dropped "case 1 IPv4 outside any prefix" $IN4_X $IN4_A from_x4

# Scenario: case 2 -- B's AllowedIPs on A cover C's address (192.168.4.0/24),
# but C holds the more specific /32: still dropped.  A source only B's
# broader prefix covers (192.168.4.4) is accepted: the control.
section "case 2: B holds 192.168.4.0/24, C holds the more specific /32"
n A wg set "$IFA" peer "$PB" allowed-ips 192.168.4.0/24,fd42::/64
spoof_dropped "case 2 IPv4" $IN4_C $IN4_A from_c4
spoof_dropped "case 2 IPv6" $IN6_C $IN6_A from_c6
check "case 2: ping from 192.168.4.4 (B's prefix only) is answered" ping_ok B $IN4_A -I $IN4_X
check "case 2: ping from fd42::4 (B's prefix only) is answered" ping_ok B $IN6_A -I $IN6_X
check "case 2: counter saw 192.168.4.4" test "$(count from_x4)" -ge 3
check "case 2: counter saw fd42::4" test "$(count from_x6)" -ge 3

# Scenario: C is unaffected by the spoofing and still reaches A.
section "C unaffected"
check "ping C->A still works" ping_ok C $IN4_A
check "daemon A still running" daemon_alive "$IFA"
