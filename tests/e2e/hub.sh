#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/hub.sh -- one bad peer must not cost the others: the hub H
# (DAEMON_A) sends a paced burst of 1300-byte datagrams through the tunnel
# to one bad peer and a healthy peer B, in turns of runs of 8 (the bad
# peer's first, so B's datagrams follow its failures in a send batch):
#   1. X, whose endpoint the hub cannot route to (ENETUNREACH),
#   2. R, whose outer datagrams an nft `reject` in H's OUTPUT refuses
#      (EPERM),
#   3. M, reached over a 1280-byte link: a UDP_SEGMENT run to it is refused
#      (EINVAL/EMSGSIZE), its datagrams must go one by one and be
#      fragmented by the kernel.
# What the hub is judged on is what reaches B's wire: an nft counter in
# B's namespace counts the hub's outer datagrams to B (by bytes: a
# UDP_SEGMENT run is one skb there), and at least 99 %
# of the burst must arrive (lanwired as the hub; 90 % for another hub
# daemon, for comparison).  What B's daemon then delivers to the sink is
# asserted at 99 % too when B is lanwired; a wireguard-go B has lost up to
# 2 % of a paced burst on its own receive side (3,921 of 4,000 in a CI
# run whose hub sent every datagram), so for it 95 %.  M >= the hub's
# bound of its own.  The figures are printed as INFO lines and
# "hub.<case>.<peer>=<count>" lines.
#
#	bash tests/e2e/hub.sh DAEMON_A DAEMON_B
#
#                ┌──────────── lwt-<tag>-h (hub, DAEMON_A) ─────────────┐
#                │ lw<tag>h 192.168.4.1/24, port 51820, udpburst send   │
#                │ lv<tag>hb .241.1  lv<tag>hx .242.1  lv<tag>hr .243.1 │
#                │ lv<tag>hm .244.1 (mtu 1280)                          │
#                └───┬─────────────────┬───────────────┬─────────────┬──┘
#  ┌─ b (DAEMON_B) ──┴┐ ┌─ x (DAEMON_A) ┴┐ ┌─ r (DAEMON_B) ┴┐ ┌─ m (DAEMON_A) ┴─┐
#  │ .241.2  4.2      │ │ .242.2  4.3    │ │ .243.2  4.4    │ │ .244.2  4.5     │
#  │ udpburst count   │ │                │ │                │ │ mtu 1280, count │
#  └──────────────────┘ └────────────────┘ └────────────────┘ └─────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${HUB_COUNT:=4000}"		# datagrams to each peer per case
HUB_SIZE=1300
HUB_RUN=8
SINK_PORT=9000
# The bound asserted: 99 % for lanwired as the hub (what this test is
# for); another hub (wireguard-go, for comparison) only has to get 90 %
# (seen: 3,972 of 4,000 to M on a busy machine).
MIN_PCT=90
is_lanwired "$DAEMON_A" && MIN_PCT=99
# What B's daemon must deliver of what reached it (see the header).
RX_PCT=95
is_lanwired "$DAEMON_B" && RX_PCT=99
declare -A NET=([b]=241 [x]=242 [r]=243 [m]=244)
declare -A IN=([b]=2 [x]=3 [r]=4 [m]=5)
declare -A DMN=([b]=$DAEMON_B [x]=$DAEMON_A [r]=$DAEMON_B [m]=$DAEMON_A)

BURST=$E2E_TMP/udpburst
pp cc -O2 -Wall -o "$BURST" "$ROOT/tests/tools/udpburst.c" || e2e_die "cannot build udpburst"

ns_add H B X R M
genkey h
IFH=$(ifname h)
daemon_start H "$DAEMON_A" "$IFH" || exit 1
n H wg set "$IFH" listen-port $PORT_A private-key "$(key h)"
wg_addr_up H "$IFH" 192.168.4.1/24
for p in b x r m; do
	P=${p^^}
	link_veth H "$P"
	if [[ $p == m ]]; then
		n H ip link set "$(veth_name H M)" mtu 1280
		n M ip link set "$(veth_name M H)" mtu 1280
	fi
	addr H "$(veth_name H "$P")" "192.168.${NET[$p]}.1/24"
	addr "$P" "$(veth_name "$P" H)" "192.168.${NET[$p]}.2/24"
	genkey "$p"
	daemon_start "$P" "${DMN[$p]}" "$(ifname "$p")" || exit 1
	n "$P" wg set "$(ifname "$p")" listen-port $PORT_B private-key "$(key "$p")" \
		peer "$(pub h)" allowed-ips 192.168.4.0/24 endpoint "192.168.${NET[$p]}.1:$PORT_A"
	wg_addr_up "$P" "$(ifname "$p")" "192.168.4.${IN[$p]}/24"
	n H wg set "$IFH" peer "$(pub "$p")" allowed-ips "192.168.4.${IN[$p]}/32"
	check "session hub <-> $p" ping_ok "$P" 192.168.4.1
done

# The hub's outer datagrams as they reach B's side of the veth.
cat >"$E2E_TMP/wire-b.nft" <<EOF2
table inet lwhubb {
	counter wire { }
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr 192.168.${NET[b]}.1 udp dport $PORT_B counter name wire
	}
}
EOF2
n B nft -f "$E2E_TMP/wire-b.nft" || e2e_die "cannot load the counter in B"
# A UDP_SEGMENT run crosses the veth as one skb (counted once, its bytes
# one IPv4+UDP header plus every segment's payload), so datagrams are
# counted by bytes: the WireGuard payload over the size of one data
# message (16-byte header, the padded inner packet, 16-byte tag).  The
# few handshakes and keepalives add less than one datagram.
WG_DATA_LEN=$(( 16 + (HUB_SIZE + 28 + 15) / 16 * 16 + 16 ))
wire_b()
{
	nq B nft list counter inet lwhubb wire | awk -v len=$WG_DATA_LEN '{
		for (i = 1; i < NF; i++) {
			if ($i == "packets") p = $(i + 1)
			if ($i == "bytes") b = $(i + 1)
		}
	} END { printf "%d\n", (b - 28 * p) / len }'
}

# burst CASE BAD: counters on B (and M), the burst from H to B and BAD;
# prints the counts.
burst()
{
	local case=$1 bad=$2 pb pm got_b got_m= wire0 wire
	bg B "$E2E_TMP/count-b-$case" "$BURST" count $SINK_PORT 2
	pb=$BG_PID
	if [[ $bad == m ]]; then
		bg M "$E2E_TMP/count-m-$case" "$BURST" count $SINK_PORT 2
		pm=$BG_PID
	fi
	sleep 0.3
	wire0=$(wire_b)
	T=60 n H "$BURST" send $HUB_SIZE "$HUB_COUNT" $HUB_RUN \
		"192.168.4.${IN[$bad]}:$SINK_PORT" 192.168.4.2:$SINK_PORT
	wait "$pb"
	wire=$(( $(wire_b) - ${wire0:-0} ))
	got_b=$(cat "$E2E_TMP/count-b-$case")
	if [[ -n ${pm:-} ]]; then
		wait "$pm"
		got_m=$(cat "$E2E_TMP/count-m-$case")
	fi
	info "$case: the hub put $wire datagrams on B's wire; B received ${got_b:-?} of $HUB_COUNT${got_m:+, M $got_m of $HUB_COUNT}"
	say "hub.$case.b_wire=$wire"
	say "hub.$case.b=${got_b:-0}"
	[[ -n $got_m ]] && say "hub.$case.m=$got_m"
	check ">= $MIN_PCT % sent to healthy B while $case" test "$((wire * 100))" -ge "$((HUB_COUNT * MIN_PCT))"
	check ">= $RX_PCT % delivered by B while $case" test "$((${got_b:-0} * 100))" -ge "$((HUB_COUNT * RX_PCT))"
	[[ $bad == m ]] &&
		check ">= $MIN_PCT % to M over the 1280-byte link" test "$((${got_m:-0} * 100))" -ge "$((HUB_COUNT * MIN_PCT))"
}

section "1. X unroutable (ENETUNREACH)"
n H wg set "$IFH" peer "$(pub x)" endpoint 198.51.100.9:$PORT_B
burst unreachable x

section "2. R refused by nft reject in OUTPUT"
cat >"$E2E_TMP/reject.nft" <<EOF2
table inet lwhub {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 192.168.${NET[r]}.2 udp dport $PORT_B reject
	}
}
EOF2
n H nft -f "$E2E_TMP/reject.nft"
burst refused r

section "3. M behind a 1280-byte link"
burst small-mtu m

if is_lanwired "$DAEMON_A"; then
	check "the hub logged failed sends at error level" \
		grep -q "ERROR.*failed to send to 198.51.100.9" "$E2E_TMP/$IFH.log"
fi
