#!/usr/bin/env bash
# make demo-tunnel: seed 004's two-node tunnel (the main job is now `make demo`,
# the lab), built in two network namespaces on this machine. Node "office" runs lanwired, node
# "laptop" runs lanwired too (set PEER_DAEMON=/usr/bin/wireguard-go to meet
# Debian's wireguard-go instead). Both are configured with the real wg-quick.
#
#   ns lwdemo-office                         ns lwdemo-laptop
#   lwdemo0 10.70.0.1/24  <== WireGuard ==>  lwdemo1 10.70.0.2/24
#   veth 198.51.100.1/24  ----- veth -----   198.51.100.2/24
#
# Prints each command, pings through the tunnel, measures TCP throughput
# with iperf3 for 5 s, shows `wg show`, and removes everything on exit.
set -euo pipefail
DAEMON=$(readlink -f "${1:-build/lanwired}")
PEER_DAEMON=$(readlink -f "${PEER_DAEMON:-$DAEMON}")
A=lwdemo-office B=lwdemo-laptop IA=lwdemo0 IB=lwdemo1
tmp=$(mktemp -d)

say() { printf '\n== %s\n' "$*"; }
run() { printf '[+] %s\n' "$*"; "$@"; }
cleanup() {
	set +e
	for ns in $A $B; do
		ip netns exec $ns wg-quick down "$tmp/$([ $ns = $A ] && echo $IA || echo $IB).conf" >/dev/null 2>&1
	done
	[ -n "${iperf_pid:-}" ] && kill "$iperf_pid" 2>/dev/null
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

[ -x "$DAEMON" ] || { echo "demo: $DAEMON not built (run make)" >&2; exit 1; }
say "Two namespaces joined by a veth pair (the 'internet')"
ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true
run ip netns add $A
run ip netns add $B
run ip link add lwdemo-va netns $A type veth peer name lwdemo-vb netns $B
run ip -n $A addr add 198.51.100.1/24 dev lwdemo-va
run ip -n $B addr add 198.51.100.2/24 dev lwdemo-vb
run ip -n $A link set lwdemo-va up
run ip -n $B link set lwdemo-vb up
run ip -n $A link set lo up
run ip -n $B link set lo up

say "Keys (private keys stay in $tmp, mode 0600)"
umask 077
wg genkey >"$tmp/a.key"; wg genkey >"$tmp/b.key"
pa=$(wg pubkey <"$tmp/a.key"); pb=$(wg pubkey <"$tmp/b.key")
echo "office public key: $pa"
echo "laptop public key: $pb"
cat >"$tmp/$IA.conf" <<CONF
[Interface]
Address = 10.70.0.1/24
ListenPort = 51820
PrivateKey = $(cat "$tmp/a.key")
MTU = 1420

[Peer]
PublicKey = $pb
AllowedIPs = 10.70.0.2/32
CONF
cat >"$tmp/$IB.conf" <<CONF
[Interface]
Address = 10.70.0.2/24
PrivateKey = $(cat "$tmp/b.key")

[Peer]
PublicKey = $pa
Endpoint = 198.51.100.1:51820
AllowedIPs = 10.70.0.0/24
PersistentKeepalive = 15
CONF

say "wg-quick up with lanwired as the userspace implementation"
run ip netns exec $A env WG_QUICK_USERSPACE_IMPLEMENTATION="$DAEMON" wg-quick up "$tmp/$IA.conf"
run ip netns exec $B env WG_QUICK_USERSPACE_IMPLEMENTATION="$PEER_DAEMON" wg-quick up "$tmp/$IB.conf"

say "Ping through the tunnel (laptop -> office)"
run ip netns exec $B ping -c 5 -i 0.2 10.70.0.1

say "TCP throughput through the tunnel, 5 s (iperf3)"
ip netns exec $A iperf3 -s -1 -B 10.70.0.1 >/dev/null 2>&1 & iperf_pid=$!
sleep 0.5
run ip netns exec $B iperf3 -c 10.70.0.1 -t 5 -f m | tail -n 4

say "wg show on both ends"
run ip netns exec $A wg show $IA
run ip netns exec $B wg show $IB

say "Done: the tunnel works. Cleaning up."
