#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/basic.sh -- two daemons, one veth: handshakes from either side,
# inner IPv4 and IPv6 over outer IPv4, inner IPv4 over outer IPv6, what
# `wg show IFACE dump` reports, and that the daemon exits on SIGTERM and on
# `ip link del`.
#
#	bash tests/e2e/basic.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ lw<tag>aN  192.168.4.1/24         │  tunnel  │ lw<tag>bN  192.168.4.2/24         │
#  │            fd42::1/64             │<========>│            fd42::2/64             │
#  │ DAEMON_A, listen-port 51820       │          │ DAEMON_B, listen-port 51821       │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  │            fd00::1/64             │          │            fd00::2/64             │
#  └───────────────────────────────────┘          └───────────────────────────────────┘
#
# Each case starts a fresh pair of daemons (N = 1, 2, 3) in the same namespaces.

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

pair_topology
genkey a
genkey b

# start_pair N: daemons for case N, keys, inner addresses; no peers yet.
start_pair()
{
	IFA=$(ifname "a$1")
	IFB=$(ifname "b$1")
	daemon_start A "$DAEMON_A" "$IFA" || return 1
	daemon_start B "$DAEMON_B" "$IFB" || return 1
	n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)"
	n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)"
	wg_addr_up A "$IFA" "$IN4_A/24" "$IN6_A/64"
	wg_addr_up B "$IFB" "$IN4_B/24" "$IN6_B/64"
}

# check_dump IFACE PUB ENDPOINT ALLOWED: what `wg show IFACE dump` says of the peer.
check_dump()
{
	local ifc=$1 peer=$2 ep=$3 allowed=$4 line now hs rx tx got_ep got_allowed
	line=$(peer_line "$ifc" "$peer")
	if [[ -z $line ]]; then
		fail "$ifc dump lists the peer" "no line for $peer"
		return
	fi
	IFS=$'\t' read -r _ _ got_ep got_allowed hs rx tx _ <<<"$line"
	now=$(date +%s)
	check_eq "$ifc dump: endpoint" "$ep" "$got_ep"
	check_eq "$ifc dump: allowed-ips" "$allowed" "$got_allowed"
	if ((hs > now - 60 && hs <= now + 1)); then
		pass "$ifc dump: latest handshake is recent ($((now - hs)) s ago)"
	else
		fail "$ifc dump: latest handshake is recent" "latest-handshake=$hs, now=$now"
	fi
	# at least the handshake message plus 3 pings of each kind went each way
	if ((rx >= 92 + 6 * 32 && tx >= 92 + 6 * 32)); then
		pass "$ifc dump: transfer counters rx=$rx tx=$tx"
	else
		fail "$ifc dump: transfer counters" "rx=$rx tx=$tx, expected both >= $((92 + 6 * 32))"
	fi
}

# check_interface_line IFACE KEYNAME PORT: first line of the dump.
check_interface_line()
{
	local priv pubk port
	IFS=$'\t' read -r priv pubk port _ < <(wgq show "$1" dump)
	check_eq "$1 dump: private key" "$(cat "$(key "$2")")" "$priv"
	check_eq "$1 dump: public key" "$(pub "$2")" "$pubk"
	check_eq "$1 dump: listen port" "$3" "$port"
}

# stop_by_sigterm IFACE ROLE / stop_by_linkdel IFACE ROLE: the daemon must exit
# within 5 s and remove its UAPI socket; the interface must be gone.
stop_by_sigterm()
{
	check "$1: daemon exits on SIGTERM" daemon_stop "$1"
	check "$1: exit status 0 after SIGTERM" daemon_exited_cleanly "$1"
	check_not "$1: UAPI socket removed after SIGTERM" test -e "$(sock_path "$1")"
	check_not "$1: interface gone after SIGTERM" link_exists "$2" "$1"
}

stop_by_linkdel()
{
	n "$2" ip link del dev "$1"
	check "$1: daemon exits after ip link del" daemon_wait_exit "$1" 5
	check "$1: exit status 0 after ip link del" daemon_exited_cleanly "$1"
	check_not "$1: UAPI socket removed after ip link del" test -e "$(sock_path "$1")"
}

# Case 1: A initiates over outer IPv4.  Only A knows an endpoint, so the first
# handshake must come from A; B learns A's endpoint from the initiation.
section "case 1: A initiates, outer IPv4"
start_pair 1 || exit 1
n A wg set "$IFA" peer "$(pub b)" allowed-ips $IN4_B/32,$IN6_B/128 endpoint $OUT4_B:$PORT_B
n B wg set "$IFB" peer "$(pub a)" allowed-ips $IN4_A/32,$IN6_A/128
check_eq "B has no endpoint for A before any traffic" "(none)" "$(peer_field "$IFB" "$(pub a)" endpoint)"
check_eq "no handshake before any traffic" "0" "$(peer_field "$IFA" "$(pub b)" handshake)"
check "ping A->B inner IPv4 (A initiates)" ping_ok A $IN4_B
check "ping B->A inner IPv4" ping_ok B $IN4_A
check "ping A->B inner IPv6" ping_ok A $IN6_B
check "ping B->A inner IPv6" ping_ok B $IN6_A
check_interface_line "$IFA" a $PORT_A
check_interface_line "$IFB" b $PORT_B
check_dump "$IFA" "$(pub b)" "$OUT4_B:$PORT_B" "$IN4_B/32,$IN6_B/128"
check_dump "$IFB" "$(pub a)" "$OUT4_A:$PORT_A" "$IN4_A/32,$IN6_A/128"
n A wg show "$IFA" latest-handshakes
n A wg show "$IFA" transfer
stop_by_sigterm "$IFA" A
stop_by_sigterm "$IFB" B

# Case 2: fresh daemons, B initiates over outer IPv4; A learns B's endpoint.
section "case 2: B initiates, outer IPv4"
start_pair 2 || exit 1
n A wg set "$IFA" peer "$(pub b)" allowed-ips $IN4_B/32,$IN6_B/128
n B wg set "$IFB" peer "$(pub a)" allowed-ips $IN4_A/32,$IN6_A/128 endpoint $OUT4_A:$PORT_A
check_eq "A has no endpoint for B before any traffic" "(none)" "$(peer_field "$IFA" "$(pub b)" endpoint)"
check "ping B->A inner IPv4 (B initiates)" ping_ok B $IN4_A
check "ping A->B inner IPv4" ping_ok A $IN4_B
check "ping B->A inner IPv6" ping_ok B $IN6_A
check "ping A->B inner IPv6" ping_ok A $IN6_B
check_dump "$IFA" "$(pub b)" "$OUT4_B:$PORT_B" "$IN4_B/32,$IN6_B/128"
check_dump "$IFB" "$(pub a)" "$OUT4_A:$PORT_A" "$IN4_A/32,$IN6_A/128"
stop_by_linkdel "$IFA" A
stop_by_linkdel "$IFB" B

# Case 3: fresh daemons, inner IPv4 and IPv6 over outer IPv6 ([fd00::2]:51821).
section "case 3: A initiates, outer IPv6"
start_pair 3 || exit 1
n A wg set "$IFA" peer "$(pub b)" allowed-ips $IN4_B/32,$IN6_B/128 endpoint "[$OUT6_B]:$PORT_B"
n B wg set "$IFB" peer "$(pub a)" allowed-ips $IN4_A/32,$IN6_A/128
check "ping A->B inner IPv4 over outer IPv6" ping_ok A $IN4_B
check "ping B->A inner IPv4 over outer IPv6" ping_ok B $IN4_A
check "ping A->B inner IPv6 over outer IPv6" ping_ok A $IN6_B
check_dump "$IFA" "$(pub b)" "[$OUT6_B]:$PORT_B" "$IN4_B/32,$IN6_B/128"
check_dump "$IFB" "$(pub a)" "[$OUT6_A]:$PORT_A" "$IN4_A/32,$IN6_A/128"
stop_by_sigterm "$IFA" A
stop_by_linkdel "$IFB" B
