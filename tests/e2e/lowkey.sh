#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/lowkey.sh -- peers with low-order public keys (the all-zero key
# first, then the other X25519 low-order points the Linux driver's netns test
# uses).  Their DH results are all-zero: no handshake may ever complete with
# them, whether the daemon refuses such a peer (the Linux driver silently
# ignores it) or keeps it and never finishes a handshake (wireguard-go).  The
# daemon must stay up, keep answering on its UAPI socket and keep serving
# its ordinary peer B.
#
#	bash tests/e2e/lowkey.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ lw<tag>a   192.168.4.1/24         │  tunnel  │ lw<tag>b   192.168.4.2/24         │
#  │ DAEMON_A, listen-port 51820       │<========>│ DAEMON_B, listen-port 51821       │
#  │  peer B      192.168.4.2/32       │          │  peer A: 192.168.4.1/32           │
#  │  peer 0...0= 192.168.4.9/32,      │          │  nft counter: initiations in      │
#  │   endpoint B, keepalive 1         │          │                                   │
#  │  peers low-order 192.168.4.10-15  │          │                                   │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  └───────────────────────────────────┘          └───────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

ZERO=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
LOW_ORDER=(
	AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
	4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=
	X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=
	7P///////////////////////////////////////38=
	7f///////////////////////////////////////38=
	7v///////////////////////////////////////38=
)

pair_daemons
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$PB" allowed-ips $IN4_B/32 endpoint $OUT4_B:$PORT_B
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32
wg_addr_up A "$IFA" "$IN4_A/24"
wg_addr_up B "$IFB" "$IN4_B/24"

# Count handshake initiations (first payload byte 1, 148 bytes) reaching B.
cat >"$E2E_TMP/init.nft" <<EOF
table inet lwlow {
	counter initiations { }
	chain in {
		type filter hook input priority -300; policy accept;
		udp dport $PORT_B udp length 156 @th,64,8 1 counter name initiations
	}
}
EOF
n B nft -f "$E2E_TMP/init.nft"
initiations() { nq B nft list counter inet lwlow initiations | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }

# low_peer_ok KEY: the peer is absent, or present with latest handshake 0.
low_peer_ok()
{
	local line
	line=$(peer_line "$IFA" "$1")
	[[ -z $line ]] && return 0
	[[ $(cut -f5 <<<"$line") == 0 ]]
}

# Scenario: the all-zero public key, with an endpoint and keepalive so the
# daemon would try to handshake on its own, and traffic routed to it.
section "all-zero public key"
if n A wg set "$IFA" peer $ZERO allowed-ips 192.168.4.9/32 endpoint $OUT4_B:$PORT_B persistent-keepalive 1; then
	info "wg set with the zero key was accepted"
else
	info "wg set with the zero key was refused"
fi
if [[ -n $(peer_line "$IFA" $ZERO) ]]; then
	info "the zero-key peer is listed by wg show"
else
	info "the zero-key peer is not listed by wg show (ignored, as the Linux driver does)"
fi
check "ping to the zero-key peer's address gets no answer" ping_fails A 192.168.4.9
sleep 2
check "zero-key peer: no handshake (latest handshake 0 or peer absent)" low_peer_ok $ZERO
check "daemon A still running" daemon_alive "$IFA"
check "UAPI still answers" eval 'wgq show "$IFA" dump >/dev/null'

# Scenario: the other low-order points, each with an address and traffic.
section "other low-order public keys"
args=()
for i in "${!LOW_ORDER[@]}"; do
	args+=(peer "${LOW_ORDER[$i]}" allowed-ips "192.168.4.$((10 + i))/32" endpoint "$OUT4_B:$PORT_B" persistent-keepalive 1)
done
n A wg set "$IFA" "${args[@]}"
for i in "${!LOW_ORDER[@]}"; do
	nq A ping -q -n -c 1 -W 1 -w 1 "192.168.4.$((10 + i))" >/dev/null 2>&1
done
sleep 1
for k in $ZERO "${LOW_ORDER[@]}"; do
	check "low-order key $k: no handshake" low_peer_ok "$k"
done
check_eq "no handshake initiation was sent for any low-order peer" "0" "$(initiations)"
check "daemon A still running" daemon_alive "$IFA"

# Scenario: the ordinary peer is unaffected.
section "ordinary peer unaffected"
check "ping A->B" ping_ok A $IN4_B
check "ping B->A" ping_ok B $IN4_A
check "B's handshake completed" handshake_done "$IFA" "$PB"
check "control: B's initiation counter saw A's initiation" test "$(initiations)" -ge 1
for k in $ZERO "${LOW_ORDER[@]}"; do
	low_peer_ok "$k" || fail "low-order key $k completed a handshake" "latest handshake $(peer_field "$IFA" "$k" handshake)"
done
check "daemon A still running" daemon_alive "$IFA"
check "daemon B still running" daemon_alive "$IFB"
