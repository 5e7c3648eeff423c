#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire up / down / status on three namespaces, driven only through the
# lanwire command (run inside each namespace with ip netns exec):
#
#   ns lwud-TAG-c (client c)          ns lwud-TAG-z (hub z)          ns lwud-TAG-a (gateway a)
#   198.51.100.2/24 ---- veth ---- 198.51.100.1/24                  site L1, LAN eth0
#                                  203.0.113.1/24 ---- veth ---- 203.0.113.2/24
#   tunnel 10.99.0.0/24: z .1, a .2 (then .9), c from the pool
#
# Scenarios, each a check that fails against the up/down of before
# (issue 10):
#   - up as non-root: a "must run as root" message, nothing done;
#   - a foreign interface of a's name (wireguard-go, configured by hand)
#     is refused by up and by down, naming it and its process, and left
#     byte-identical (wg showconf, addresses, MTU);
#   - a failed up (the daemon does not start; or a route that conflicts
#     with one already on the host) leaves no key in the run directory, no
#     interface, daemon or state;
#   - up makes the interface with lanwired as user nobody, reports each
#     change, keeps no key in the run directory; up again prints
#     "nothing to change" and runs no command;
#   - after editing the description (a's address, a new LAN prefix, a
#     policy rule, the MTU) up on every node applies just that: the
#     address swapped, the route added, the nft table replaced, the MTU
#     set, and no new handshake on any peer (wg show latest-handshakes
#     unchanged) and the daemon-chosen listen ports unchanged;
#   - up refuses an interface of its own that was renamed; down removes
#     it under its new name with its daemon, table and sysctls;
#   - down fails, naming what is left, while the daemon cannot exit
#     (SIGSTOP), keeps its state and succeeds once it can;
#   - down when nothing is up says so;
#   - a Linux client's input table is loaded by up and removed by down.
# Closing line: "updown: N passed, N failed".
set -u
LANWIRE=$(readlink -f "${1:-build/lanwire}")
TAG=$(printf '%05x' $(($$ % 1048576)))
Z=lwud-$TAG-z A=lwud-$TAG-a C=lwud-$TAG-c
IZ=ud${TAG}z IA=ud${TAG}a IC=ud${TAG}c IR=ud${TAG}r
tmp=$(mktemp -d)
pass=0 fail=0
stopped=
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
t() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
has() { grep -qE -- "$2" <<<"$1"; }     # has TEXT REGEX
hasnt() { ! grep -qE -- "$2" <<<"$1"; }
# running PID...: any of them exists and is not a zombie (init may reap late)
running() {
	local p
	for p; do
		[ -e /proc/$p ] && ! grep -q '^State:[[:space:]]*Z' /proc/$p/status 2>/dev/null && return 0
	done
	return 1
}
lw() { local ns=$1; shift; ip netns exec "$ns" "$LANWIRE" -f "$tmp/net.conf" "$@" --run-dir "$tmp/run-$ns"; }
cleanup() {
	local ns ifc
	[ -n "$stopped" ] && kill -CONT $stopped 2>/dev/null
	for ns in $Z $A $C; do
		for ifc in $IZ $IA $IC $IR; do ip -n $ns link del $ifc 2>/dev/null; done
	done
	sleep 0.5
	for ns in $Z $A $C; do ip netns del $ns 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

write_conf() { # ADDRESS-LINE LANS MTU EXTRA-RULE
	cat >"$tmp/net.conf" <<CONF
[network]
name = updown
tunnel = 10.99.0.0/24
keepalive = 1
mtu = $3

[hub z]
endpoint = 203.0.113.1:51820
interface = $IZ
address = 10.99.0.1

[site L1]
gateway = a
interface = $IA
$1
lan = $2
lan-interface = eth0
# the gateway's own address answers c's pings (a site alone means its LANs)
service = icmp -> c

[client c]
interface = $IC
address = 10.99.0.20

[policy]
allow = z <-> L1
allow = c -> L1
$4
CONF
}
write_conf "address = 10.99.0.2" "192.168.77.0/24" 1420 ""
"$LANWIRE" -f "$tmp/net.conf" keys >/dev/null || bad "keys"
priv_a=$(cat "$tmp/net.keys/a.key" 2>/dev/null)
t "a's private key is readable for the secret checks" test -n "$priv_a"

ip netns add $Z; ip netns add $A; ip netns add $C
ip -n $Z link add wan type veth peer name wan netns $A
ip -n $Z link add wan2 type veth peer name wan netns $C
ip -n $Z addr add 203.0.113.1/24 dev wan; ip -n $A addr add 203.0.113.2/24 dev wan
ip -n $Z addr add 198.51.100.1/24 dev wan2; ip -n $C addr add 198.51.100.2/24 dev wan
ip -n $A link add eth0 type veth peer name eth0p; ip -n $A addr add 192.168.77.1/24 dev eth0
for ns in $Z $A $C; do ip -n $ns link set lo up; ip -n $ns link set wan up; done
ip -n $Z link set wan2 up; ip -n $A link set eth0 up
ip -n $C route add default via 198.51.100.1
ip netns exec $A nft add table inet other
before=$(ip netns exec $A nft list ruleset)

# --- not root: a clear message before anything is read or done
cp "$LANWIRE" "$tmp/lanwire-copy"; chmod 755 "$tmp" "$tmp/lanwire-copy"
out=$(ip netns exec $A setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$tmp/lanwire-copy" -f "$tmp/net.conf" up a --run-dir "$tmp/run-$A" 2>&1); rc=$?
chmod 700 "$tmp"; rm -f "$tmp/lanwire-copy"
echo "$out"
t "up as non-root fails" test $rc -ne 0
t "up as non-root says it must run as root" has "$out" 'up must run as root'
t "up as non-root made no interface" bash -c "! ip -n $A link show $IA"

# --- a foreign interface of a's name: refused, left byte-identical
wg genkey >"$tmp/foreign.key"
ip netns exec $A wireguard-go $IA >/dev/null 2>&1
ip netns exec $A wg set $IA private-key "$tmp/foreign.key" listen-port 40001 \
	peer "$(wg genkey | wg pubkey)" allowed-ips 10.123.0.0/24 endpoint 203.0.113.77:5000
ip -n $A addr add 10.123.0.1/24 dev $IA; ip -n $A link set $IA up
foreign() { ip netns exec $A wg showconf $IA; ip -n $A addr show dev $IA; }
fbefore=$(foreign)
t "foreign wireguard-go interface $IA made" test -n "$(ip netns exec $A wg showconf $IA 2>/dev/null)"
out=$(lw $A up a 2>&1); rc=$?
echo "$out"
t "up over a foreign $IA fails" test $rc -ne 0
t "the refusal names the interface" has "$out" "interface $IA exists and lanwire up did not create it"
t "the refusal names the process serving it" has "$out" "served by wireguard-go \(pid [0-9]+\)"
t "up ran no command on it" hasnt "$out" '^\[#\]'
t "foreign interface byte-identical after up (wg showconf, addresses)" test "$(foreign)" = "$fbefore"
out=$(lw $A down a 2>&1); rc=$?
echo "$out"
t "down of a foreign $IA fails" test $rc -ne 0
t "down's refusal names it" has "$out" "interface $IA exists but lanwire up did not create it"
t "foreign interface byte-identical after down" test "$(foreign)" = "$fbefore"
ip -n $A link del $IA
for i in $(seq 50); do [ -e /var/run/wireguard/$IA.sock ] || break; sleep 0.1; done

# --- a failed up leaves no key behind
out=$(lw $A up a --daemon /bin/false 2>&1); rc=$?
echo "$out"
t "up with a daemon that fails exits non-zero" test $rc -ne 0
t "failed up leaves no interface" bash -c "! ip -n $A link show $IA"
t "failed up leaves no private key in the run directory" \
	bash -c "! grep -rqF -- '$priv_a' '$tmp/run-$A'"
t "failed up leaves no .conf in the run directory" \
	bash -c "! ls '$tmp/run-$A'/*.conf"

# --- up: made, reported, lanwired as nobody, no key on disk
out=$(lw $A up a 2>&1); rc=$?
echo "$out"
t "up a exits 0" test $rc -eq 0
t "up starts lanwired as nobody" has "$out" "^\[#\] .*lanwired -u nobody $IA\$"
t "up reports the interface made" has "$out" "^a: interface $IA created"
t "up echoes sysctl" has "$out" '^\[#\] sysctl -q -w net.ipv4.ip_forward=1'
t "up echoes nft -f" has "$out" '^\[#\] nft -f'
t "up reports the peer added" has "$out" '^a: peer z added'
t "interface exists" ip -n $A link show $IA
t "nft table inet lanwire exists" ip netns exec $A nft list table inet lanwire
t "ip_forward is 1" test "$(ip netns exec $A sysctl -n net.ipv4.ip_forward)" = 1
pids=$(pgrep -f "lanwired -u nobody $IA\$")
t "lanwired runs for $IA" test -n "$pids"
t "lanwired runs as user nobody" bash -c "ps -o user= -p '$(echo $pids | tr ' ' ,)' | grep -qx nobody"
t "state file is 0600 in a 0700 directory" \
	bash -c "[ \$(stat -c %a '$tmp/run-$A/$IA.state') = 600 ] && [ \$(stat -c %a '$tmp/run-$A') = 700 ]"
t "no private key anywhere in the run directory" bash -c "! grep -rqF -- '$priv_a' '$tmp/run-$A'"

out=$(lw $A up a 2>&1); rc=$?
echo "$out"
t "up again exits 0" test $rc -eq 0
t "up again says nothing to change" has "$out" '^a: nothing to change$'
t "up again runs no command" hasnt "$out" '^\[#\]'
t "still the same daemon" test "$(pgrep -f "lanwired -u nobody $IA\$")" = "$pids"

t "up z exits 0" lw $Z up z

# --- a first up that fails half-way (a conflicting route on c's host)
# removes what it made and leaves no key
priv_c=$(cat "$tmp/net.keys/c.key")
# c's route to L1, as the planner summarises it (from its AllowedIPs)
lanroute=$("$LANWIRE" -f "$tmp/net.conf" render c 2>/dev/null | sed -n 's/^AllowedIPs = //p' |
	tr ',' '\n' | tr -d ' ' | grep -v '^10\.99\.' | head -n 1)
t "c has a route to L1 beyond the tunnel ($lanroute)" test -n "$lanroute"
ip -n $C route add "$lanroute" via 198.51.100.1 dev wan
out=$(lw $C up c 2>&1); rc=$?
echo "$out"
t "up with a conflicting route fails" test $rc -ne 0
t "the failure names the route" has "$out" "route add $lanroute dev"
t "the failed up undid itself (interface removed)" has "$out" "^c: interface $IC removed"
t "no interface left" bash -c "! ip -n $C link show $IC"
t "no daemon left" bash -c "! pgrep -f 'lanwired -u nobody $IC\$'"
t "no state left" test ! -e "$tmp/run-$C/$IC.state"
t "no private key of c in its run directory" bash -c "! grep -rqF -- '$priv_c' '$tmp/run-$C'"
ip -n $C route del "$lanroute" via 198.51.100.1 dev wan
t "up c exits 0" lw $C up c
for i in $(seq 50); do
	ip netns exec $A ping -c 1 -W 1 10.99.0.1 >/dev/null 2>&1 &&
		ip netns exec $C ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1 && break
	sleep 0.1
done
t "a pings z through the tunnel" ip netns exec $A ping -c 1 -W 2 10.99.0.1
t "c pings a through the hub" ip netns exec $C ping -c 1 -W 2 10.99.0.2
# A Linux client's input table: loaded by up as on hubs and gateways.
t "client c has its nft input table" ip netns exec $C nft list table inet lanwire
st=$(ip netns exec $A "$LANWIRE" -f "$tmp/net.conf" status a 2>&1)
echo "$st"
t "status names the local node" has "$st" "^interface: $IA \(node a"
t "status names the peer" has "$st" '^peer: z \(hub\)'
t "status shows a handshake" has "$st" 'latest handshake: [0-9]'
t "status shows the endpoint" has "$st" 'endpoint: 203.0.113.1:51820'
js=$(ip netns exec $A "$LANWIRE" -f "$tmp/net.conf" status --json a 2>&1)
echo "$js"
t "status --json: node a, its peer z (hub) with a handshake" jq -e \
	'.interfaces[0].node == "a" and .interfaces[0].peers[0].node == "z" and .interfaces[0].peers[0].role == "hub" and .interfaces[0].peers[0].latest_handshake > 0' <<<"$js"
st=$("$LANWIRE" -f "$tmp/net.conf" status 2>&1)
t "status without a node shows both interfaces" bash -c "grep -q 'node a' <<<\"\$0\" && grep -q 'node z' <<<\"\$0\"" "$st"

# --- change the description; up converges with the smallest change
hs() { ip netns exec $1 wg show $2 latest-handshakes | sort; }
hs_all() { hs $Z $IZ; hs $A $IA; hs $C $IC; }
hs_before=$(hs_all)
port_a=$(ip netns exec $A wg show $IA listen-port)
port_c=$(ip netns exec $C wg show $IC listen-port)
zero=$(awk '$2 == 0' <<<"$hs_before")
t "every peer has a handshake before the change" test -z "$zero"
ruleset_a=$(ip netns exec $A nft list table inet lanwire)
sleep 2 # a new handshake now would show a different second
write_conf "address = 10.99.0.9" "192.168.77.0/24, 192.168.78.0/24" 1380 \
	"allow = L1 -> c"
out_a=$(lw $A up a 2>&1); rc_a=$?
out_z=$(lw $Z up z 2>&1); rc_z=$?
out_c=$(lw $C up c 2>&1); rc_c=$?
echo "$out_a"; echo "$out_z"; echo "$out_c"
t "up after the change exits 0 on a, z, c" test $rc_a$rc_z$rc_c = 000
t "a reports its new address" has "$out_a" '^a: address 10.99.0.9/24 added'
t "a reports its old address removed" has "$out_a" '^a: address 10.99.0.2/24 removed'
t "a has 10.99.0.9 and not 10.99.0.2" bash -c "ip -n $A -o addr show dev $IA | grep -q 10.99.0.9/24 && ! ip -n $A -o addr show dev $IA | grep -q 10.99.0.2/"
t "a reports the MTU" has "$out_a" '^a: MTU 1420 -> 1380'
t "a's MTU is 1380" bash -c "ip -n $A link show $IA | grep -q 'mtu 1380'"
t "a reports its nft table replaced" has "$out_a" '^a: nft table inet lanwire replaced'
t "a's nft table changed" test "$(ip netns exec $A nft list table inet lanwire)" != "$ruleset_a"
t "a sets no private key or port again" hasnt "$out_a" 'private-key|listen-port'
t "z reports peer a's allowed IPs changed" has "$out_z" '^z: peer a changed: allowed-ips'
t "z reports the route to the new LAN" has "$out_z" '^z: route 192.168.78.0/24 added'
t "z routes 192.168.78.0/24 into $IZ" bash -c "ip -n $Z route show dev $IZ | grep -q '^192.168.78.0/24'"
# z's report lines name peers ("z: peer c ..."); its echoed commands name
# them by public key, which may itself begin with "c" (a's did once).
pub_c=$(ip netns exec $C wg show $IC public-key)
t "z leaves peer c alone" hasnt "$out_z" "^z: peer c |peer ${pub_c//+/\\+} "
t "no node sets its private key or listen port again" \
	hasnt "$out_a$out_z$out_c" 'wg set [^ ]+ (private-key|listen-port)'
t "listen port of a unchanged ($port_a)" test "$(ip netns exec $A wg show $IA listen-port)" = "$port_a"
t "listen port of c unchanged ($port_c)" test "$(ip netns exec $C wg show $IC listen-port)" = "$port_c"
sleep 3 # keepalives every second: a dropped session would handshake again
t "c reaches a's new address" ip netns exec $C ping -c 1 -W 2 10.99.0.9
t "a reaches z from its new address" ip netns exec $A ping -c 1 -W 2 10.99.0.1
hs_after=$(hs_all)
echo "handshakes before:"; echo "$hs_before"; echo "after:"; echo "$hs_after"
t "no new handshake on any peer (wg show latest-handshakes unchanged)" \
	test "$hs_after" = "$hs_before"
out=$(lw $A up a 2>&1)
t "up a after the change converged: nothing to change" has "$out" '^a: nothing to change$'

# --- rename: up refuses, down removes it under its new name
ip -n $A link set $IA name $IR
out=$(lw $A up a 2>&1); rc=$?
echo "$out"
t "up after a rename fails" test $rc -ne 0
t "up after a rename names the new name" has "$out" "is now named $IR"
t "up after a rename made no second interface" bash -c "! ip -n $A link show $IA"
out=$(lw $A down a 2>&1); rc=$?
echo "$out"
t "down after a rename exits 0" test $rc -eq 0
t "down reports the renamed interface removed" has "$out" "interface $IA \(renamed $IR\) removed"
t "renamed interface gone" bash -c "! ip -n $A link show $IR"
t "daemon exited" eval "! running $(echo $pids)"
t "UAPI socket gone" test ! -e /var/run/wireguard/$IA.sock
t "ruleset as before up (other table kept)" test "$(ip netns exec $A nft list ruleset)" = "$before"
t "ip_forward back to 0" test "$(ip netns exec $A sysctl -n net.ipv4.ip_forward)" = 0
t "run directory emptied" test ! -e "$tmp/run-$A"

# --- down when nothing is up
out=$(lw $A down a 2>&1); rc=$?
echo "$out"
t "down again exits 0" test $rc -eq 0
t "down again says nothing is up" has "$out" "^lanwire: a: nothing is up \(no interface $IA"
t "down again runs no command" hasnt "$out" '^\[#\]'

# --- down fails loudly while the daemon cannot exit
zpids=$(pgrep -f "lanwired -u nobody $IZ\$" | tr '\n' ' ')
stopped=$zpids
kill -STOP $zpids
out=$(lw $Z down z 2>&1); rc=$?
echo "$out"
t "down with a stuck daemon fails" test $rc -ne 0
t "down names the daemon left behind" has "$out" 'left behind.*daemon pid [0-9]+'
t "down keeps its state for another try" test -e "$tmp/run-$Z/$IZ.state"
kill -CONT $zpids; stopped=
sleep 0.5
out=$(lw $Z down z 2>&1); rc=$?
echo "$out"
t "down again once the daemon can exit: 0" test $rc -eq 0
t "z's daemons gone" eval "! running $zpids"
t "z's interface gone" bash -c "! ip -n $Z link show $IZ"
t "z's run directory emptied" test ! -e "$tmp/run-$Z"
t "down c exits 0" lw $C down c
t "c's interface gone" bash -c "! ip -n $C link show $IC"
t "c's nft table gone" bash -c "! ip netns exec $C nft list table inet lanwire"
echo "updown: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
