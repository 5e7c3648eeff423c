#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire up / down / status on a namespace pair, driven only through the
# lanwire command (run inside each namespace with ip netns exec):
#
#   ns lwud-TAG-z (hub z)                      ns lwud-TAG-a (gateway a)
#   wan 203.0.113.1/24  ------- veth -------   wan 203.0.113.2/24
#   tunnel 10.99.0.1                           tunnel 10.99.0.2, LAN eth0
#
# up twice is idempotent (the second syncs, one daemon, one table); status
# names the peer; down removes exactly what up added: the nft ruleset is
# as before (an unrelated table survives), the interface, its UAPI socket
# and its daemon are gone, ip_forward is back to 0, the run directory is
# empty. Closing line: "updown: N passed, N failed".
set -u
LANWIRE=$(readlink -f "${1:-build/lanwire}")
TAG=$(printf '%05x' $(($$ % 1048576)))
Z=lwud-$TAG-z A=lwud-$TAG-a IZ=lwu${TAG}z IA=lwu${TAG}a
tmp=$(mktemp -d)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
t() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
lw() { local ns=$1; shift; ip netns exec "$ns" "$LANWIRE" -f "$tmp/net.conf" "$@" --run-dir "$tmp/run-$ns"; }
cleanup() {
	ip netns exec $Z ip link del $IZ 2>/dev/null
	ip netns exec $A ip link del $IA 2>/dev/null
	sleep 0.5
	ip netns del $Z 2>/dev/null; ip netns del $A 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/net.conf" <<CONF
[network]
name = updown
tunnel = 10.99.0.0/24
keepalive = 1

[hub z]
endpoint = 203.0.113.1:51820
interface = $IZ

[site L1]
gateway = a
interface = $IA
lan = 192.168.77.0/24
lan-interface = eth0

[policy]
allow = z <-> L1
CONF
"$LANWIRE" -f "$tmp/net.conf" keys >/dev/null || bad "keys"

ip netns add $Z; ip netns add $A
ip -n $Z link add wan type veth peer name wan netns $A
ip -n $Z addr add 203.0.113.1/24 dev wan; ip -n $A addr add 203.0.113.2/24 dev wan
ip -n $A link add eth0 type veth peer name eth0p; ip -n $A addr add 192.168.77.1/24 dev eth0
for ns in $Z $A; do ip -n $ns link set lo up; ip -n $ns link set wan up; done
ip -n $A link set eth0 up
ip netns exec $A nft add table inet other
before=$(ip netns exec $A nft list ruleset)

out=$(lw $A up a 2>&1); rc=$?
echo "$out"
t "up a exits 0" test $rc -eq 0
t "up echoes wg-quick up" grep -q '^\[#\] wg-quick up' <<<"$out"
t "up echoes sysctl" grep -q '^\[#\] sysctl -q -w net.ipv4.ip_forward=1' <<<"$out"
t "up echoes nft -f" grep -q '^\[#\] nft -f' <<<"$out"
t "interface exists" ip -n $A link show $IA
t "nft table inet lanwire exists" ip netns exec $A nft list table inet lanwire
t "ip_forward is 1" test "$(ip netns exec $A sysctl -n net.ipv4.ip_forward)" = 1
pid=$(pgrep -f "lanwired $IA\$" | head -n 1)
t "lanwired runs for $IA" test -n "$pid"

out=$(lw $A up a 2>&1); rc=$?
echo "$out"
t "up again exits 0" test $rc -eq 0
t "up again syncs instead of a second wg-quick up" grep -q '^\[#\] wg syncconf' <<<"$out"
t "up again runs no wg-quick up" bash -c "! grep -q 'wg-quick up' <<<\"\$0\"" "$out"
t "up again sets no sysctl" bash -c "! grep -q 'sysctl' <<<\"\$0\"" "$out"
t "still one daemon" test "$(pgrep -f "lanwired $IA\$" | wc -l)" = 1
t "still one lanwire table" test "$(ip netns exec $A nft list tables | grep -c 'inet lanwire')" = 1

t "up z exits 0" lw $Z up z
for i in $(seq 50); do
	ip netns exec $A ping -c 1 -W 1 10.99.0.1 >/dev/null 2>&1 && break
	sleep 0.1
done
t "a pings z through the tunnel" ip netns exec $A ping -c 1 -W 2 10.99.0.1
st=$(ip netns exec $A "$LANWIRE" -f "$tmp/net.conf" status a 2>&1)
echo "$st"
t "status names the local node" grep -q "^interface: $IA (node a" <<<"$st"
t "status names the peer" grep -q '^peer: z (hub)' <<<"$st"
t "status shows a handshake" grep -q 'latest handshake: [0-9]' <<<"$st"
t "status shows the endpoint" grep -q 'endpoint: 203.0.113.1:51820' <<<"$st"
js=$(ip netns exec $A "$LANWIRE" -f "$tmp/net.conf" status --json a 2>&1)
echo "$js"
t "status --json: node a, its peer z (hub) with a handshake" jq -e \
	'.interfaces[0].node == "a" and .interfaces[0].peers[0].node == "z" and .interfaces[0].peers[0].role == "hub" and .interfaces[0].peers[0].latest_handshake > 0' <<<"$js"
st=$("$LANWIRE" -f "$tmp/net.conf" status 2>&1)
t "status without a node shows both interfaces" bash -c "grep -q 'node a' <<<\"\$0\" && grep -q 'node z' <<<\"\$0\"" "$st"

out=$(lw $A down a 2>&1); rc=$?
echo "$out"
t "down a exits 0" test $rc -eq 0
t "down echoes nft delete table" grep -q '^\[#\] nft delete table inet lanwire' <<<"$out"
t "down echoes wg-quick down" grep -q '^\[#\] wg-quick down' <<<"$out"
t "interface gone" bash -c "! ip -n $A link show $IA"
t "UAPI socket gone" test ! -e /var/run/wireguard/$IA.sock
t "daemon exited" bash -c "! kill -0 $pid"
t "ruleset as before up (other table kept)" test "$(ip netns exec $A nft list ruleset)" = "$before"
t "ip_forward back to 0" test "$(ip netns exec $A sysctl -n net.ipv4.ip_forward)" = 0
t "run directory emptied" test ! -e "$tmp/run-$A"
out=$(lw $A down a 2>&1); rc=$?
t "down again exits 0 and does nothing" bash -c "[ $rc -eq 0 ] && ! grep -q '^\[#\]' <<<\"\$0\"" "$out"
t "down z exits 0" lw $Z down z
t "z's interface gone" bash -c "! ip -n $Z link show $IZ"
echo "updown: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
