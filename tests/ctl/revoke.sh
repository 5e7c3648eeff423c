#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire revoke end to end (docs/control.md), run by tests/ctl/run.sh:
#
#   ns lwrv-TAG-c (laptop c) \                          ns lwrv-TAG-a (gateway a) -- ns lwrv-TAG-h
#   ns lwrv-TAG-d (laptop d) -- ns lwrv-TAG-z (hub z) --                           192.168.97.10
#   tunnel 10.98.0.0/24: z .1, a .2, c .20, d .21; serve on 10.98.0.1
#
# Every node up, publish, serve on the hub, an agent on each. Laptop c
# pings the LAN host h through the hub every 10 ms; `lanwire revoke c
# --store` is started; revoke_ms is from then to c's last answered ping
# (printed; asserted only with a generous bound). Then: the description
# has [revoked c] with its address and key, check refuses a new node with
# either, add skips the address; the store has no c.state and serve
# answers c's address 403; the hub has no peer c, the gateway's policy
# no longer names it; laptop d still reaches h, its session kept; c's agent is
# refused; c brought up again with its old description and keys (and its
# agent's last good state) reaches nothing.
# Closing line: "revoke: N passed, N failed".
set -u
LANWIRE=$(readlink -f "${1:-build/lanwire}")
TAG=$(printf '%05x' $((($$ * 7) % 1048576)))
Z=lwrv-$TAG-z A=lwrv-$TAG-a C=lwrv-$TAG-c D=lwrv-$TAG-d H=lwrv-$TAG-h
IZ=lwrv${TAG}z IA=lwrv${TAG}a IC=lwrv${TAG}c ID=lwrv${TAG}d
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
cleanup() {
	local ns ifc p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	if [ $fail -gt 0 ]; then
		for f in "$tmp"/serve.log "$tmp"/agent-*.log; do
			[ -e "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
		done
	fi
	for ns in $Z $A $C $D; do
		for ifc in $IZ $IA $IC $ID; do ip -n $ns link del $ifc 2>/dev/null; done
	done
	sleep 0.5
	for ns in $Z $A $C $D $H; do ip netns del $ns 2>/dev/null; done
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/net.conf" <<CONF
[network]
name = rvtest
tunnel = 10.98.0.0/24
keepalive = 1

[hub z]
endpoint = 203.0.113.1:51820
interface = $IZ
address = 10.98.0.1
service = tcp/8471 -> L1, laptops

[site L1]
gateway = a
interface = $IA
address = 10.98.0.2
lan = 192.168.97.0/24
lan-interface = eth0

[client c]
group = laptops
interface = $IC
address = 10.98.0.20

[client d]
group = laptops
interface = $ID
address = 10.98.0.21

[policy]
allow = laptops -> L1
CONF
"$LANWIRE" -f "$tmp/net.conf" keys >/dev/null || bad "keys"

for ns in $Z $A $C $D $H; do ip netns add $ns; ip -n $ns link set lo up; done
ip -n $Z link add wan type veth peer name wan netns $A
ip -n $Z link add wanc type veth peer name wan netns $C
ip -n $Z link add wand type veth peer name wan netns $D
ip -n $Z addr add 203.0.113.1/24 dev wan; ip -n $A addr add 203.0.113.2/24 dev wan
ip -n $Z addr add 198.51.100.1/24 dev wanc; ip -n $C addr add 198.51.100.2/24 dev wan
ip -n $Z addr add 198.51.101.1/24 dev wand; ip -n $D addr add 198.51.101.2/24 dev wan
ip -n $A link add eth0 type veth peer name eth0 netns $H
ip -n $A addr add 192.168.97.1/24 dev eth0; ip -n $H addr add 192.168.97.10/24 dev eth0
for ns in $Z $A $C $D; do ip -n $ns link set wan up 2>/dev/null; done
ip -n $Z link set wanc up; ip -n $Z link set wand up
ip -n $A link set eth0 up; ip -n $H link set eth0 up
ip -n $H route add default via 192.168.97.1
ip -n $C route add default via 198.51.100.1; ip -n $D route add default via 198.51.101.1

for n in z:$Z a:$A c:$C d:$D; do
	t "up ${n%%:*}" lw ${n#*:} up ${n%%:*} --run-dir "$tmp/run-${n%%:*}"
done
out=$("$LANWIRE" -f "$tmp/net.conf" publish --store "$tmp/store" 2>&1)
t "publish epoch 1" grep -q '^published epoch 1 ' <<<"$out"
ip netns exec $Z "$LANWIRE" serve z --store "$tmp/store" >"$tmp/serve.log" 2>&1 &
pids+=($!)
t "serve listens" wait_for "$tmp/serve.log" 'listening on 10\.98\.0\.1'
agent() { # NODE NS
	ip netns exec $2 "$LANWIRE" agent $1 --network-key "$tmp/net.keys/control.pub" \
		--key "$tmp/$3/$1.key" --hub 10.98.0.1 --state-dir "$tmp/state-$1" \
		--run-dir "$tmp/run-$1" >>"$tmp/agent-$1.log" 2>&1 &
	pids+=($!)
	eval "agent_$1=$!"
}
cp -a "$tmp/net.keys" "$tmp/old.keys"; cp "$tmp/net.conf" "$tmp/old.conf"
for n in z:$Z a:$A c:$C d:$D; do agent ${n%%:*} ${n#*:} net.keys; done
for n in z a c d; do
	t "agent $n applies epoch 1" wait_for "$tmp/agent-$n.log" 'epoch 1 applied'
done
t "c reaches the LAN host through the hub" ip netns exec $C ping -c 1 -W 2 192.168.97.10
t "d reaches the LAN host through the hub" ip netns exec $D ping -c 1 -W 2 192.168.97.10
ip -n $Z addr add 10.98.0.20/32 dev lo
code=$(ip netns exec $Z curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	--interface 10.98.0.20 'http://10.98.0.1:8471/state?epoch=0')
ip -n $Z addr del 10.98.0.20/32 dev lo # (else h's answers to c end on z)
t "before: serve answers c's address with its state ($code)" test "$code" = 200
t "before: the gateway's nft policy names c" \
	bash -c "ip netns exec $A nft list table inet lanwire | grep -q '10\.98\.0\.20'"
key_c=$(cat "$tmp/net.keys/c.pub")
hs_d=$(ip netns exec $Z wg show $IZ latest-handshakes | grep -F "$(cat "$tmp/net.keys/d.pub")")

# --- revoke while c pings every 10 ms
# (line-buffered: ping is killed, its stdio buffer would be lost)
ip netns exec $C stdbuf -oL ping -D -n -i 0.01 -W 1 192.168.97.10 >"$tmp/ping-c.log" 2>&1 &
ping_c=$!
pids+=($ping_c)
sleep 1
t0=$(now)
out=$("$LANWIRE" -f "$tmp/net.conf" revoke c --store "$tmp/store" 2>&1)
echo "$out"
t "revoke publishes epoch 2" grep -q '^published epoch 2 ' <<<"$out"
t "revoke removed c's state from the store" grep -q '^revoked (state removed): c$' <<<"$out"
t "the hub's agent applies epoch 2" wait_for "$tmp/agent-z.log" 'epoch 2 applied' 100
sleep 1.5
kill $ping_c; wait $ping_c 2>/dev/null
last=$(grep 'bytes from' "$tmp/ping-c.log" | tail -n 1 | sed -n 's/^\[\([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p')
answered=$(grep -c 'bytes from' "$tmp/ping-c.log")
if [ -n "$last" ]; then
	revoke_ms=$((last - t0))
	at=$(sed -n 's/.*epoch 2 applied at \([0-9]*\) ms.*/\1/p' "$tmp/agent-z.log")
	echo "revoke_ms=$revoke_ms (answered before: $answered; the hub applied it $((at - t0)) ms after revoke started)"
	# a generous bound (the goal is 1,000 ms; timings belong in the lab
	# and make bench on this shared machine): a cut, not a timeout
	t "c's last answered ping came under ${REVOKE_MAX_MS:-5000} ms after revoke started ($revoke_ms)" \
		test "$revoke_ms" -lt "${REVOKE_MAX_MS:-5000}"
else
	bad "c's pings were never answered"
fi
t "c's pings were answered until the revoke (> 50 answered)" test "$answered" -gt 50

# --- the description, check, add
t "the description has [revoked c] with c's address and key" \
	bash -c "grep -A4 '^\[revoked c\]' '$tmp/net.conf' | grep -q 'address = 10.98.0.20' &&
		grep -A4 '^\[revoked c\]' '$tmp/net.conf' | grep -qF 'public-key = $key_c'"
t "no [client c] is left" bash -c "! grep -q '^\[client c\]' '$tmp/net.conf'"
t "check passes after revoke" "$LANWIRE" -f "$tmp/net.conf" check
cp "$tmp/net.conf" "$tmp/reuse.conf"
printf '[client e]\naddress = 10.98.0.20\n' >>"$tmp/reuse.conf"
out=$("$LANWIRE" -f "$tmp/reuse.conf" -k "$tmp/net.keys" check 2>&1)
t "check refuses a new node with c's address, at its line" \
	grep -qE 'reuse\.conf:[0-9]+: error: address 10\.98\.0\.20 of e was revoked node c' <<<"$out"
cp "$tmp/net.conf" "$tmp/reuse.conf"
printf '[client e]\npublic-key = %s\n' "$key_c" >>"$tmp/reuse.conf"
out=$("$LANWIRE" -f "$tmp/reuse.conf" -k "$tmp/net.keys" check 2>&1)
t "check refuses a new node with c's public key, at its line" \
	grep -qE 'reuse\.conf:[0-9]+: error: public key of e is revoked node c' <<<"$out"
t "revoke c again is refused" bash -c "! '$LANWIRE' -f '$tmp/net.conf' revoke c"

# --- the store, serve, the hub, the gateway, laptop d
t "no c.state in the store" test ! -e "$tmp/store/c.state"
ip -n $Z addr add 10.98.0.20/32 dev lo # c's address, on the hub itself
out=$(ip netns exec $Z curl -s -w ' %{http_code}' --max-time 5 \
	--interface 10.98.0.20 'http://10.98.0.1:8471/state?epoch=0')
t "serve answers c's address 403 revoked ($out)" test "$out" = "revoked
 403"
t "serve logged the refusal" grep -q 'refused revoked node c' "$tmp/serve.log"
ip -n $Z addr del 10.98.0.20/32 dev lo
t "the hub has no peer c" bash -c "! ip netns exec $Z wg show $IZ peers | grep -qF '$key_c'"
# (a's peer z carries the whole tunnel prefix: c shows in a's policy)
t "the gateway's nft policy no longer names c" \
	bash -c "for i in \$(seq 50); do ! ip netns exec $A nft list table inet lanwire | grep -q '10\.98\.0\.20' && exit 0; sleep 0.1; done; exit 1"
t "d still reaches the LAN host" ip netns exec $D ping -c 1 -W 2 192.168.97.10
t "the hub's session with d was kept (no new handshake)" \
	test "$(ip netns exec $Z wg show $IZ latest-handshakes | grep -F "$(cat "$tmp/net.keys/d.pub")")" = "$hs_d"
t "c's agent applied nothing new" bash -c "! grep -q 'epoch 2 applied' '$tmp/agent-c.log'"

# --- c with its old description, keys and agent state: nothing
kill $agent_c; wait $agent_c 2>/dev/null
t "c down" ip netns exec $C "$LANWIRE" -f "$tmp/old.conf" -k "$tmp/old.keys" down c --run-dir "$tmp/run-c"
t "c up again with its old description and keys" \
	ip netns exec $C "$LANWIRE" -f "$tmp/old.conf" -k "$tmp/old.keys" up c --run-dir "$tmp/run-c"
agent c $C old.keys
t "c's agent applies its last good state again" wait_for "$tmp/agent-c.log" 'last good state: epoch 1' 100
# (its long poll held before the revoke just hangs: the hub dropped the
# peer; serve's 403 is tested above from c's address on the hub)
t "c's agent, restarted, gets nothing from the hub (unreachable or 403)" \
	wait_for "$tmp/agent-c.log" 'refused this node \(403|unreachable' 100
t "c (old config) cannot reach the LAN host" bash -c "! ip netns exec $C ping -c 4 -i 0.3 -W 1 192.168.97.10"
t "c (old config) cannot reach the hub" bash -c "! ip netns exec $C ping -c 2 -i 0.3 -W 1 10.98.0.1"
t "c (old config) cannot reach the gateway" bash -c "! ip netns exec $C ping -c 2 -i 0.3 -W 1 10.98.0.2"
t "the hub still has no peer c" bash -c "! ip netns exec $Z wg show $IZ peers | grep -qF '$key_c'"

echo "revoke: $pass passed, $fail failed"
[ $fail -eq 0 ]
