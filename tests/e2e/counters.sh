#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/counters.sh -- exact transfer counters.  `wg show IFACE dump`
# rx/tx count UDP payload bytes on the wire, handshake messages included:
#
#	initiation 148, response 92, keepalive 32,
#	data packet carrying an inner IP packet of L bytes:
#		16 (type, receiver, counter) + pad(L) + 16 (Poly1305 tag)
#		pad(L) = min(roundup(L, 16), MTU of the WireGuard interface)
#
# (this is what both wireguard-go and the Linux driver count).  After the
# first handshake settles, N pings of a known size are sent; the deltas of
# rx and tx on both sides must be exactly N * wire(L) in each direction.
# Each window is short (a few seconds): no passive keepalive (10 s after the
# last receive without a send) and no rekey (120 s) can fall into it.
#
#	bash tests/e2e/counters.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ lw<tag>a   192.168.4.1/24         │  tunnel  │ lw<tag>b   192.168.4.2/24         │
#  │            fd42::1/64             │<========>│            fd42::2/64             │
#  │ DAEMON_A, listen-port 51820       │          │ DAEMON_B, listen-port 51821       │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  └───────────────────────────────────┘          └───────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

: "${COUNT_N:=10}"

pair_daemons
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$PB" allowed-ips $IN4_B/32,$IN6_B/128 endpoint $OUT4_B:$PORT_B
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32,$IN6_A/128
wg_addr_up A "$IFA" "$IN4_A/24" "$IN6_A/64"
wg_addr_up B "$IFB" "$IN4_B/24" "$IN6_B/64"
MTU_A=$(nq A cat "/sys/class/net/$IFA/mtu")
MTU_B=$(nq B cat "/sys/class/net/$IFB/mtu")
info "MTU A=$MTU_A B=$MTU_B"

# wire L MTU: bytes on the wire (UDP payload) for an inner packet of L bytes.
wire()
{
	local l=$1 mtu=$2 p
	p=$(((l + 15) / 16 * 16))
	((p > mtu)) && p=$mtu
	echo $((16 + p + 16))
}

# snap: "A_rx A_tx B_rx B_tx" from one dump each.
snap()
{
	local a b
	a=$(peer_line "$IFA" "$PB" | cut -f6,7)
	b=$(peer_line "$IFB" "$PA" | cut -f6,7)
	# shellcheck disable=SC2086 # split "rx\ttx" into words
	echo $a $b
}

# Scenario: the first handshake (A initiates, carrying one 84-byte echo
# request) counts 148 + wire(84) sent and 92 + wire(84) received on A, the
# mirror on B.
section "handshake accounting"
check "one ping A->B completes the handshake" \
	n A ping -q -n -c 1 -W 5 -w 6 $IN4_B >/dev/null
sleep 0.5
read -r arx atx brx btx <<<"$(snap)"
w84=$(wire 84 "$MTU_A")
check_eq "A tx = initiation 148 + 1 data" $((148 + w84)) "$atx"
check_eq "A rx = response 92 + 1 data" $((92 + w84)) "$arx"
check_eq "B rx = initiation 148 + 1 data" $((148 + w84)) "$brx"
check_eq "B tx = response 92 + 1 data" $((92 + w84)) "$btx"

# settle: counters unchanged over 0.5 s (at most 5 tries)
prev=$(snap)
for i in 1 2 3 4 5; do
	sleep 0.5
	cur=$(snap)
	[[ $cur == "$prev" ]] && break
	prev=$cur
done
check_eq "counters settled after the handshake" "$prev" "$cur"

# window ROLE DST FAMILY SIZE: COUNT_N pings of SIZE payload from ROLE; every
# echo request and reply is one data packet of L = header + 8 + SIZE bytes.
window()
{
	local role=$1 dst=$2 fam=$3 size=$4 l w exp before after
	local b_arx b_atx b_brx b_btx a_arx a_atx a_brx a_btx
	if [[ $fam == 4 ]]; then l=$((20 + 8 + size)); else l=$((40 + 8 + size)); fi
	w=$(wire "$l" "$MTU_A")
	exp=$((COUNT_N * w))
	before=$(snap)
	check "$COUNT_N pings $role->$dst -s $size all answered" \
		n "$role" ping -q -n -c "$COUNT_N" -i 0.2 -s "$size" -W 2 -w 10 "$dst" >/dev/null
	after=$(snap)
	read -r b_arx b_atx b_brx b_btx <<<"$before"
	read -r a_arx a_atx a_brx a_btx <<<"$after"
	info "L=$l wire=$w x $COUNT_N: deltas A rx/tx $((a_arx - b_arx))/$((a_atx - b_atx)) B rx/tx $((a_brx - b_brx))/$((a_btx - b_btx))"
	check_eq "L=$l: A tx delta = $COUNT_N x $w" "$exp" $((a_atx - b_atx))
	check_eq "L=$l: A rx delta = $COUNT_N x $w" "$exp" $((a_arx - b_arx))
	check_eq "L=$l: B tx delta = $COUNT_N x $w" "$exp" $((a_btx - b_btx))
	check_eq "L=$l: B rx delta = $COUNT_N x $w" "$exp" $((a_brx - b_brx))
}

# Scenario: inner IPv4, L = 129 (padded to 144, 176 on the wire), A pings B.
section "inner IPv4 L=129, A->B"
window A $IN4_B 4 101

# Scenario: inner IPv6, L = 125 (padded to 128, 160 on the wire), B pings A.
section "inner IPv6 L=125, B->A"
window B $IN6_A 6 77

# Scenario: L already a multiple of 16 (IPv4 L = 128): no padding added.
section "inner IPv4 L=128, A->B"
window A $IN4_B 4 100

# Scenario: padding is capped at the MTU: L = MTU - 3 pads to MTU, not beyond.
section "inner IPv4 L=MTU-3 (padding capped at MTU), B->A"
window B $IN4_A 4 $((MTU_A - 3 - 28))

check "daemon A still running" daemon_alive "$IFA"
check "daemon B still running" daemon_alive "$IFB"
