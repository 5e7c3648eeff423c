# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/hub.sh -- the hub scenario: spoke -> hub -> spoke.  Both spokes
# have one peer, the hub, with allowed-ips the whole tunnel /24; the hub
# has both spokes as peers and forwards between them (the packet leaves
# the hub daemon on its TUN, the hub's kernel routes it back into the same
# TUN, ip_forward=1).  Sourced by bench/bench.sh
# and bench/ab.sh; uses bench/lib.sh.  lwbn below is NSPREFIX (default lwbn).
#
#   lwbn-<tag>-1                  lwbn-<tag>-h                  lwbn-<tag>-2
#   lwbn<tag>1 10.98.0.2 <=====> lwbn<tag>h 10.98.0.1 <=====> lwbn<tag>2 10.98.0.3
#   iperf3 -s                     hub, port 51830               iperf3 -c
#   198.18.1.2 ── veth ── 198.18.1.1            198.18.2.1 ── veth ── 198.18.2.2
#
# Two variants per implementation: "hub" (all three nodes the
# implementation under test) and "hubonly" (only the hub; both spokes run
# SPOKE, default build/lanwired).  Data flows from spoke 2 to spoke 1; the
# daemon CPU and peak RSS figures are the hub's alone.

HUB_NET=10.98.0
HUB_PORT=51830
NS_H='' NS_1='' NS_2='' IF_H='' IF_1='' IF_2=''

hub_topology()
{
	local s
	NS_H=$NSPREFIX-$TAG-h NS_1=$NSPREFIX-$TAG-1 NS_2=$NSPREFIX-$TAG-2
	IF_H=$NSPREFIX${TAG}h IF_1=$NSPREFIX${TAG}1 IF_2=$NSPREFIX${TAG}2
	ns_add "$NS_H"
	ns_add "$NS_1"
	ns_add "$NS_2"
	veth_add "$NS_H" "$NSPREFIX${TAG}h1" 198.18.1.1 "$NS_1" "$NSPREFIX${TAG}1h" 198.18.1.2
	veth_add "$NS_H" "$NSPREFIX${TAG}h2" 198.18.2.1 "$NS_2" "$NSPREFIX${TAG}2h" 198.18.2.2
	ip netns exec "$NS_H" sysctl -qw net.ipv4.ip_forward=1 ||
		die "cannot enable forwarding in $NS_H"
	for s in h 1 2; do make_key "hub$s"; done
}

# hub_up HUB_IMPL SPOKE_IMPL: the three daemons, configured, up, and a
# ping from spoke 2 to spoke 1 through the hub answered (15 s).
hub_up()
{
	local t0
	daemon_start "$NS_H" "$1" "$IF_H" && daemon_start "$NS_1" "$2" "$IF_1" &&
		daemon_start "$NS_2" "$2" "$IF_2" || return 1
	timeout 10 wg set "$IF_H" listen-port $HUB_PORT private-key "$TMP/hubh.key" \
		peer "$(cat "$TMP/hub1.pub")" allowed-ips "$HUB_NET.2/32" endpoint "198.18.1.2:$((HUB_PORT + 1))" \
		peer "$(cat "$TMP/hub2.pub")" allowed-ips "$HUB_NET.3/32" endpoint "198.18.2.2:$((HUB_PORT + 2))" &&
		wg_peer "$IF_1" $((HUB_PORT + 1)) "$TMP/hub1.key" "$(cat "$TMP/hubh.pub")" \
			"$HUB_NET.0/24" "198.18.1.1:$HUB_PORT" &&
		wg_peer "$IF_2" $((HUB_PORT + 2)) "$TMP/hub2.key" "$(cat "$TMP/hubh.pub")" \
			"$HUB_NET.0/24" "198.18.2.1:$HUB_PORT" &&
		if_addr "$IF_H" "$HUB_NET.1/24" && if_addr "$IF_1" "$HUB_NET.2/24" &&
		if_addr "$IF_2" "$HUB_NET.3/24" || return 1
	ip -n "$NS_H" link set "$IF_H" up && ip -n "$NS_1" link set "$IF_1" up &&
		ip -n "$NS_2" link set "$IF_2" up || return 1
	t0=$(now_ms)
	until in_ns "$NS_2" 3 ping -n -q -c1 -W1 "$HUB_NET.2" >/dev/null 2>&1; do
		(($(now_ms) - t0 > 15000)) && { say "  no ping through the hub after 15 s"; return 1; }
		sleep 0.01
	done
}

hub_down()
{
	daemon_stop "$IF_1"
	daemon_stop "$IF_2"
	daemon_stop "$IF_H"
}

# test_hub NAME SPOKE_IMPL: one relayed TCP stream for DURATION; records
# NAME_mbit, NAME_retrans, NAME_hub_cpu_s_per_gbit (the hub daemon's
# CPU-seconds per relayed Gbit), NAME_hub_rss_peak_mib.
test_hub()
{
	local name=$1 spoke=$2 json=$TMP/$1.json c0 c1 hwm line bps bytes retr cpu gbit
	hub_up "${IMPLS[CUR]}" "$spoke" || { say "  $name: hub did not come up"; hub_down; return 1; }
	c0=$(cpu_of "$IF_H")
	iperf_run "$NS_1" "$HUB_NET.2" "$NS_2" "$DURATION" "$json"
	c1=$(cpu_of "$IF_H")
	hwm=$(hwm_of "$IF_H")
	hub_down
	line=$(iperf_read "$json") || { say "  $name: $line"; return 1; }
	read -r bps bytes retr _ <<<"$line"
	cpu=$(calc "printf \"%.2f\", ($c1 - $c0) / $HZ")
	gbit=$(calc "printf \"%.4f\", $bytes * 8 / 1e9")
	record "${name}_mbit" "$(calc "printf \"%.1f\", $bps / 1e6")"
	record "${name}_retrans" "$retr"
	calc "exit !($gbit > 0 && $cpu > 0)" &&
		record "${name}_hub_cpu_s_per_gbit" "$(calc "printf \"%.4f\", $cpu / $gbit")"
	record "${name}_hub_rss_peak_mib" "$(mib "$hwm")"
	say "  $name: $(calc "printf \"%.0f\", $bps / 1e6") Mbit/s relayed, $retr retransmits, hub ${cpu} CPU-s for $gbit Gbit, hub peak RSS $(mib "$hwm") MiB"
}

hub_run()
{
	test_hub hub "${IMPLS[CUR]}"
	test_hub hubonly "$SPOKE"
}
