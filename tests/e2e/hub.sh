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
# B must receive >= 99 % in every case, M >= 99 % of its own (lanwired as
# the hub; 90 % for another hub daemon, for comparison).  The figures
# are printed as INFO lines and "hub.<case>.<peer>=<count>" lines.
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

# burst CASE BAD: counters on B (and M), the burst from H to B and BAD;
# prints the counts.
burst()
{
	local case=$1 bad=$2 pb pm got_b got_m=
	bg B "$E2E_TMP/count-b-$case" "$BURST" count $SINK_PORT 2
	pb=$BG_PID
	if [[ $bad == m ]]; then
		bg M "$E2E_TMP/count-m-$case" "$BURST" count $SINK_PORT 2
		pm=$BG_PID
	fi
	sleep 0.3
	T=60 n H "$BURST" send $HUB_SIZE "$HUB_COUNT" $HUB_RUN \
		"192.168.4.${IN[$bad]}:$SINK_PORT" 192.168.4.2:$SINK_PORT
	wait "$pb"
	got_b=$(cat "$E2E_TMP/count-b-$case")
	if [[ -n ${pm:-} ]]; then
		wait "$pm"
		got_m=$(cat "$E2E_TMP/count-m-$case")
	fi
	info "$case: B received ${got_b:-?} of $HUB_COUNT${got_m:+, M $got_m of $HUB_COUNT}"
	say "hub.$case.b=${got_b:-0}"
	[[ -n $got_m ]] && say "hub.$case.m=$got_m"
	check ">= $MIN_PCT % to healthy B while $case" test "$((${got_b:-0} * 100))" -ge "$((HUB_COUNT * MIN_PCT))"
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
