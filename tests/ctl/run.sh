#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The control plane end to end (docs/control.md): publish, serve, agent
# on three namespaces, driven only through the lanwire command:
#
#   ns lwct-TAG-c (client c)          ns lwct-TAG-z (hub z)          ns lwct-TAG-a (gateway a)
#   198.51.100.2/24 ---- veth ---- 198.51.100.1/24                  site L1
#                                  203.0.113.1/24 ---- veth ---- 203.0.113.2/24
#   tunnel 10.98.0.0/24: z .1, a .2, c .20; serve on 10.98.0.1 tcp/8471
#
# Scenarios:
#   - every node brought up with lanwire up; publish signs epoch 1; serve
#     on the hub; an agent on each node applies epoch 1 as "nothing to
#     change" (the state is exactly what up applied) and reports it;
#   - each agent's report (epoch, its peers' handshake ages) is on the
#     hub and lanwire status --store (text and --json) shows every node up
#     to date with its peers by name; a bad report is refused (400) and
#     changes nothing;
#   - a node asking from an address that is no node's is refused (403);
#   - an edit (a new LAN prefix on L1, a policy rule) published: each
#     agent whose state changed applies it (publish -> applied, in ms),
#     the new AllowedIPs and route are there, the hub's session with each
#     unchanged peer key survives (no new handshake);
#   - a publish with no change wakes no agent (every node unchanged);
#   - a hub that serves a replayed (older) envelope or a forged one (a
#     field changed under a valid signature, and a bumped epoch) gets it
#     refused with a log line, and nothing on the node changes (wg
#     showconf, routes, the kept state file);
#   - serve restarted: the agents come back to it and apply nothing new;
#   - lanwire revoke (tests/ctl/revoke.sh, its passes and failures
#     counted here).
# Closing line: "ctl: N passed, N failed".
set -u
LANWIRE=$(readlink -f "${1:-build/lanwire}")
TAG=$(printf '%05x' $(($$ % 1048576)))
Z=lwct-$TAG-z A=lwct-$TAG-a C=lwct-$TAG-c
IZ=ct${TAG}z IA=ct${TAG}a IC=ct${TAG}c
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
cleanup() {
	local ns ifc p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	if [ $fail -gt 0 ]; then
		for f in "$tmp"/serve*.log "$tmp"/agent-*.log; do
			[ -e "$f" ] && { echo "--- $f"; tail -n 80 "$f"; }
		done
	fi
	for ns in $Z $A $C; do
		for ifc in $IZ $IA $IC; do ip -n $ns link del $ifc 2>/dev/null; done
	done
	sleep 0.5
	for ns in $Z $A $C; do ip netns del $ns 2>/dev/null; done
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

write_conf() { # LANS EXTRA-RULE
	cat >"$tmp/net.conf" <<CONF
[network]
name = ctltest
tunnel = 10.98.0.0/24
keepalive = 1

[hub z]
endpoint = 203.0.113.1:51820
interface = $IZ
address = 10.98.0.1
# the control plane: agents reach serve on the hub's tunnel address
service = tcp/8471 -> L1, c

[site L1]
gateway = a
interface = $IA
address = 10.98.0.2
lan = $1
lan-interface = eth0

[client c]
interface = $IC
address = 10.98.0.20

[policy]
allow = z <-> L1
allow = c -> L1
$2
CONF
}
write_conf "192.168.97.0/24" ""
"$LANWIRE" -f "$tmp/net.conf" keys >/dev/null || bad "keys"

ip netns add $Z; ip netns add $A; ip netns add $C
ip -n $Z link add wan type veth peer name wan netns $A
ip -n $Z link add wan2 type veth peer name wan netns $C
ip -n $Z addr add 203.0.113.1/24 dev wan; ip -n $A addr add 203.0.113.2/24 dev wan
ip -n $Z addr add 198.51.100.1/24 dev wan2; ip -n $C addr add 198.51.100.2/24 dev wan
ip -n $A link add eth0 type veth peer name eth0p; ip -n $A addr add 192.168.97.1/24 dev eth0
for ns in $Z $A $C; do ip -n $ns link set lo up; ip -n $ns link set wan up; done
ip -n $Z link set wan2 up; ip -n $A link set eth0 up
ip -n $C route add default via 198.51.100.1

for n in z:$Z a:$A c:$C; do
	t "up ${n%%:*}" lw ${n#*:} up ${n%%:*} --run-dir "$tmp/run-${n%%:*}"
done
hs() { ip netns exec $Z wg show $IZ latest-handshakes | awk '$2 != 0 {n++} END {print n+0}'; }
for i in $(seq 50); do [ "$(hs)" = 2 ] && break; sleep 0.1; done
t "hub z has handshaken with a and c" test "$(hs)" = 2

# --- publish epoch 1, serve, agents
out=$("$LANWIRE" -f "$tmp/net.conf" publish --store "$tmp/store" 2>&1)
echo "$out"
t "publish says epoch 1" has "$out" '^published epoch 1 '
t "publish made the network key, 0600" test "$(stat -c %a "$tmp/net.keys/control.key")" = 600
t "every state is 0600" bash -c "[ \"\$(stat -c %a '$tmp/store/'*.state | sort -u)\" = 600 ]"
priv_a=$(cat "$tmp/net.keys/a.key")
psk=$(cat "$tmp/net.keys/"*.psk | head -n 1)
t "no private or preshared key in the store" bash -c "! grep -rqF -e '$priv_a' -e '$psk' '$tmp/store'"

ip netns exec $Z "$LANWIRE" serve z --store "$tmp/store" >"$tmp/serve.log" 2>&1 &
pids+=($!)
t "serve listens on the hub's tunnel address only" \
	wait_for "$tmp/serve.log" 'listening on 10\.98\.0\.1 port 8471'
agent() { # NODE NS
	ip netns exec $2 "$LANWIRE" agent $1 --network-key "$tmp/net.keys/control.pub" \
		--key "$tmp/net.keys/$1.key" --hub 10.98.0.1 --state-dir "$tmp/state-$1" \
		--run-dir "$tmp/run-$1" >>"$tmp/agent-$1.log" 2>&1 &
	pids+=($!)
	eval "agent_$1=$!"
}
agent a $A; agent c $C; agent z $Z
for n in a c z; do
	t "agent $n applies epoch 1" wait_for "$tmp/agent-$n.log" 'epoch 1 applied'
	t "agent $n: epoch 1 is what up applied (nothing to change)" \
		grep -qx "$n: nothing to change" "$tmp/agent-$n.log"
	t "serve records $n's report" wait_for "$tmp/serve.log" "serve: $n applied epoch 1"
done
t "the last good state is kept, 0600" test "$(stat -c %a "$tmp/state-a/a.state")" = 600
t "a's report is on the hub" grep -q '"epoch": 1' "$tmp/store/reports/a.json"
# --- reports: handshake ages, and lanwire status --store of every node
out=$("$LANWIRE" -f "$tmp/net.conf" status --store "$tmp/store" 2>&1)
echo "$out"
t "status --store: every node up to date" has "$out" '^network ctltest: epoch 1, 3 nodes, every one up to date$'
t "status --store: a applied epoch 1 and reported" has "$out" '^node a: published epoch 1, applied 1 \(up to date\), reported [0-9]+ s ago, 1 peer$'
t "status --store: a's peer z by name, with a handshake age and endpoint" \
	has "$out" '^  peer z: handshake [0-9]+ s before the report, endpoint 203\.0\.113\.1:51820, [0-9]+ B received'
t "status --store: z reports both its peers" has "$out" '^node z: .*, 2 peers$'
out=$("$LANWIRE" -f "$tmp/net.conf" status --store "$tmp/store" --json 2>&1)
t "status --store --json: a's applied_epoch and a handshake_age" \
	has "$out" '"node": ?"a",.*"applied_epoch": ?1,.*"handshake_age": ?[0-9]+'
report_a=$(cat "$tmp/store/reports/a.json")
out=$(ip netns exec $A curl -s -w ' %{http_code}' -d '{"epoch": "1", "peers": []}' http://10.98.0.1:8471/applied 2>&1)
t "a bad report is refused (400): $out" has "$out" ' 400$'
t "serve logs the bad report" wait_for "$tmp/serve.log" 'serve: a sent a bad report \(epoch is not'
t "a bad report changes nothing on the hub" test "$(cat "$tmp/store/reports/a.json")" = "$report_a"
out=$(ip netns exec $Z curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.1 \
	http://10.98.0.1:8471/state 2>&1)
t "a request from no node's address is refused (403): $out" test "$out" = 403

# --- an edit published: applied where it changed, sessions kept
hs_before=$(ip netns exec $Z wg show $IZ latest-handshakes)
show_c_before=$(ip netns exec $C wg show $IC dump | cut -f1-4)
sleep 0.5
write_conf "192.168.97.0/24, 192.168.96.0/24" "allow = c -> z icmp"
t0=$(now)
out=$("$LANWIRE" -f "$tmp/net.conf" publish --store "$tmp/store" 2>&1)
echo "$out"
t "publish says epoch 2" has "$out" '^published epoch 2 '
worst=0
for n in z a c; do
	if wait_for "$tmp/agent-$n.log" 'epoch 2 applied' 50; then
		at=$(sed -n 's/.*epoch 2 applied at \([0-9]*\) ms.*/\1/p' "$tmp/agent-$n.log")
		ms=$((at - t0)); [ $ms -gt $worst ] && worst=$ms
		ok "agent $n applied epoch 2, $ms ms after publish started"
	else
		has "$out" "unchanged: .*\b$n\b" && ok "agent $n: unchanged, not woken" ||
			bad "agent $n did not apply epoch 2"
	fi
done
echo "publish_to_applied_ms=$worst"
# A bound that tells a push from a poll (the agent's fallback retry is
# seconds, a long poll 50 s), not the issue's 1,000 ms goal: timing goals
# belong in make bench on this shared machine; the figure is printed above.
max=${CTL_MAX_MS:-5000}
t "publish -> applied on every changed node under $max ms ($worst)" test "$worst" -lt "$max"
t "the hub's peer a now allows the new LAN" \
	bash -c "ip netns exec $Z wg show $IZ allowed-ips | grep -q 192.168.96.0/24"
t "the hub routes the new LAN into the tunnel" \
	bash -c "ip -n $Z route show dev $IZ | grep -q 192.168.96.0/24"
t "the hub's nft table has c's icmp rule" \
	bash -c "ip netns exec $Z nft list table inet lanwire | grep -q 'icmp'"
t "no new handshake on the hub with a or c (sessions kept)" \
	test "$(ip netns exec $Z wg show $IZ latest-handshakes)" = "$hs_before"
t "c's peer keys and endpoint unchanged" \
	test "$(ip netns exec $C wg show $IC dump | cut -f1-4)" = "$show_c_before"

# --- a publish with nothing changed wakes nobody
out=$("$LANWIRE" -f "$tmp/net.conf" publish --store "$tmp/store" 2>&1)
echo "$out"
t "a publish with no change: every node unchanged" has "$out" '^changed: none$'
sleep 0.5
t "no agent applied epoch 3" bash -c "! grep -q 'epoch 3' '$tmp'/agent-*.log"

# --- a hub serving a replayed or forged state: refused, nothing changed
good_a=$(cat "$tmp/state-a/a.state")
conf_a=$(ip netns exec $A wg showconf $IA; ip -n $A route show dev $IA)
# (only a's agent asks meanwhile: the fake hub answers whoever comes)
kill "${pids[0]}" $agent_z $agent_c; wait "${pids[0]}" $agent_z $agent_c 2>/dev/null
fake_hub() { # FILE: one HTTP answer with it, on the hub's serve address
	local len; len=$(stat -c %s "$1")
	{ printf 'HTTP/1.1 200 OK\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' "$len"; cat "$1"; } |
		ip netns exec $Z timeout 15 nc -N -l 10.98.0.1 8471 >/dev/null 2>&1
}
cp "$tmp/store/a.state" "$tmp/a-epoch2.state"
# replayed: the epoch-1 envelope a already applied and moved past
"$LANWIRE" -f "$tmp/net.conf" publish --store "$tmp/old" >/dev/null 2>&1
fake_hub "$tmp/old/a.state"
t "a replayed (older) state is refused" \
	wait_for "$tmp/agent-a.log" 'refused a state from 10\.98\.0\.1: epoch 1 is not newer than 2'
# forged: a's MTU changed and the epoch bumped under epoch 2's signature
sed -e 's/"epoch": 2/"epoch": 9/' "$tmp/a-epoch2.state" >"$tmp/forged1.state"
sed -e 's/"mtu": [0-9]*/"mtu": 1300/' "$tmp/a-epoch2.state" | sed 's/"epoch": 2/"epoch": 10/' >"$tmp/forged2.state"
fake_hub "$tmp/forged1.state"
t "a forged state (epoch bumped) is refused: bad signature" \
	wait_for "$tmp/agent-a.log" 'refused a state .*bad signature'
n_bad=$(grep -c 'bad signature' "$tmp/agent-a.log")
fake_hub "$tmp/forged2.state"
t "a forged state (MTU changed) is refused" \
	bash -c "for i in \$(seq 50); do [ \$(grep -c 'bad signature' '$tmp/agent-a.log') -gt $n_bad ] && exit 0; sleep 0.1; done; exit 1"
t "nothing changed on a (wg showconf, routes)" \
	test "$(ip netns exec $A wg showconf $IA; ip -n $A route show dev $IA)" = "$conf_a"
t "a's kept state is still epoch 2's" test "$(cat "$tmp/state-a/a.state")" = "$good_a"
t "no epoch 9 or 10 applied" bash -c "! grep -qE 'epoch (9|10) applied' '$tmp/agent-a.log'"

# --- serve restarted: agents come back, nothing new to apply
ip netns exec $Z "$LANWIRE" serve z --store "$tmp/store" >"$tmp/serve2.log" 2>&1 &
pids+=($!)
t "serve restarts" wait_for "$tmp/serve2.log" 'listening on'
agent z $Z; agent c $C
for n in z c; do
	t "agent $n restarted: its last good state (epoch 2) again, nothing to change" \
		wait_for "$tmp/agent-$n.log" "last good state: epoch [12]"
done
sleep 1
write_conf "192.168.97.0/24, 192.168.96.0/24, 192.168.95.0/24" "allow = c -> z icmp"
t0=$(now)
"$LANWIRE" -f "$tmp/net.conf" publish --store "$tmp/store" >/dev/null 2>&1
t "after the restart agent a applies epoch 4" wait_for "$tmp/agent-a.log" 'epoch 4 applied' 100
t "after the restart agent z applies epoch 4" wait_for "$tmp/agent-z.log" 'epoch 4 applied' 100
at=$(sed -n 's/.*epoch 4 applied at \([0-9]*\) ms.*/\1/p' "$tmp/agent-a.log")
echo "publish_to_applied_after_restart_ms=$((at - t0))"

# --- key rotation: c makes its next key pair, the admin publishes it,
# while c pings the hub's tunnel address every 10 ms (the policy allows it)
kill $agent_c; wait $agent_c 2>/dev/null
mkdir -m 700 "$tmp/node-c"; cp "$tmp/net.keys/c.key" "$tmp/node-c/c.key"
ip netns exec $C "$LANWIRE" agent c --network-key "$tmp/net.keys/control.pub" \
	--key "$tmp/node-c/c.key" --hub 10.98.0.1 --state-dir "$tmp/state-c" \
	--run-dir "$tmp/run-c" >>"$tmp/agent-c.log" 2>&1 &
pids+=($!)
t "agent c restarted with a key file of its own" wait_for "$tmp/agent-c.log" 'last good state: epoch 4' 50
old_pub=$(ip netns exec $C wg show $IC public-key)
out=$(ip netns exec $C "$LANWIRE" rotate c --key "$tmp/node-c/c.key" 2>&1)
echo "$out"
new_pub=$(sed -n 2p <<<"$out")
t "rotate makes c.key.next, 0600" test "$(stat -c %a "$tmp/node-c/c.key.next")" = 600
t "rotate prints the new public key" test "$(wg pubkey <"$tmp/node-c/c.key.next")" = "$new_pub"
out2=$(ip netns exec $C "$LANWIRE" rotate c --key "$tmp/node-c/c.key" 2>&1)
t "rotate again names the same pending key" test "$(sed -n 2p <<<"$out2")" = "$new_pub"
t "nothing changed on c's interface yet" test "$(ip netns exec $C wg show $IC public-key)" = "$old_pub"
ip netns exec $C ping -n -i 0.01 -c 500 -W 1 10.98.0.1 >"$tmp/ping-rotate.log" 2>&1 &
ping_pid=$!
pids+=($ping_pid)
sleep 1
# the admin: lanwire rotate c --public-key (the key into c's section, its
# old key pair out of the key directory) --store (published); a bad key
# or another node's key first, refused with nothing changed
cp "$tmp/net.conf" "$tmp/net.conf.before"
out=$("$LANWIRE" -f "$tmp/net.conf" rotate c --public-key notakey --store "$tmp/store" 2>&1)
t "rotate --public-key refuses a bad key: $out" has "$out" 'not a public key.*nothing changed'
z_pub=$(wg pubkey <"$tmp/net.keys/z.key")
out=$("$LANWIRE" -f "$tmp/net.conf" rotate c --public-key "$z_pub" --store "$tmp/store" 2>&1)
t "rotate --public-key refuses another node's key" test $? -ne 0
t "... and changes nothing" cmp -s "$tmp/net.conf" "$tmp/net.conf.before"
t "... and keeps c's key pair" test -e "$tmp/net.keys/c.key"
t0=$(now)
out=$("$LANWIRE" -f "$tmp/net.conf" rotate c --public-key "$new_pub" --store "$tmp/store" 2>&1)
echo "$out"
t "rotate --public-key writes the key into c's section" \
	bash -c "sed -n '/^\[client c\]/,/^\[/p' '$tmp/net.conf' | grep -qxF 'public-key = $new_pub'"
t "... and takes c's old key pair out of the key directory" test ! -e "$tmp/net.keys/c.key"
t "publish of the new key: epoch 5" has "$out" '^published epoch 5 '
t "agent c switches to the new key" wait_for "$tmp/agent-c.log" 'rotated: the new key pair is in' 100
t "agent z applies epoch 5" wait_for "$tmp/agent-z.log" 'epoch 5 applied' 100
wait $ping_pid
cat "$tmp/ping-rotate.log" | tail -n 3
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$tmp/ping-rotate.log")
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$tmp/ping-rotate.log")
at_c=$(sed -n 's/.*epoch 5 applied at \([0-9]*\) ms.*/\1/p' "$tmp/agent-c.log")
at_z=$(sed -n 's/.*epoch 5 applied at \([0-9]*\) ms.*/\1/p' "$tmp/agent-z.log")
echo "rotate_lost_pings=$((sent - got)) (of $sent, 10 ms apart; slowest reply $(sed -n 's|^rtt [^=]*= [^/]*/[^/]*/\([^/]*\)/.*|\1|p' "$tmp/ping-rotate.log") ms; epoch 5 reached c $((at_c - at_z)) ms after the hub; both switch at T = publish + 2 s)"
t "c's interface has the new public key" test "$(ip netns exec $C wg show $IC public-key)" = "$new_pub"
# make-before-break: the hub keeps c's old key (no AllowedIPs) until 5 s
# after the switch, then knows c by its new key only
t "the hub knows c by its new key only (within 10 s)" \
	bash -c "for i in \$(seq 100); do ip netns exec $Z wg show $IZ peers | grep -qxF '$new_pub' && ! ip netns exec $Z wg show $IZ peers | grep -qxF '$old_pub' && exit 0; sleep 0.1; done; exit 1"
t "c.key holds the new key, c.key.next is gone" \
	bash -c "[ \"\$(wg pubkey <'$tmp/node-c/c.key')\" = '$new_pub' ] && [ ! -e '$tmp/node-c/c.key.next' ]"
t "c reaches the hub through the tunnel after the rotation" ip netns exec $C ping -n -c 3 -i 0.2 -W 2 10.98.0.1
# the goal: make-before-break (docs/control.md, "Key rotation") loses none
t "no ping lost during the rotation ($got of $sent)" test "$got" -eq "$sent"
# --- lanwire revoke (its own namespaces, lwrv-*): counted here
out=$(bash "$(dirname "$0")/revoke.sh" "$LANWIRE" 2>&1)
echo "$out" | grep -vE '^(PASS|FAIL) ' | grep -E 'revoke_ms|^revoke:' 
echo "$out" | grep -E '^(PASS|FAIL) ' | sed 's/^\(PASS\|FAIL\) /\1 revoke: /'
line=$(grep -E '^revoke: [0-9]+ passed, [0-9]+ failed$' <<<"$out")
if [ -n "$line" ]; then
	pass=$((pass + $(awk '{print $2}' <<<"$line")))
	fail=$((fail + $(awk '{print $4}' <<<"$line")))
else
	echo "$out" | tail -n 40
	bad "tests/ctl/revoke.sh gave no closing line"
fi

echo "ctl: $pass passed, $fail failed"
[ $fail -eq 0 ]
