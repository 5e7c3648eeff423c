#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire up / down keep a SLAAC host's IPv6 default route (issue 10,
# item 6): IPv6 forwarding makes the kernel ignore router advertisements
# where accept_ra is 1, so the default route they keep would expire.
#
#   ns lwv6-ra-TAG (hub z, dual-stack tunnel: up switches IPv6 forwarding on)
#     lwv6TAGa  veth, accept_ra 1, default via fe80::1 proto ra  -> 2, back to 1
#     lwv6TAGb  veth, accept_ra 0, default via fe80::2 proto ra  -> left 0
#     lwv6TAGc  veth, accept_ra 1, a static route only           -> left 1
#   (each veth's peer, lwv6TAGap ..., stays in the namespace, unused)
#
# A route "proto ra" added by hand stands for one learned from a router
# (a namespace with a router sending RAs would test the kernel, not
# lanwire). Checks: after up, raTAGa's accept_ra is 2, the others
# unchanged, both RA default routes still there, forwarding on, the old
# value in the state file, a second up changes nothing; after down, every
# value is back and the routes are still there. Then an accept_ra lanwire
# does not know (3) is refused with a message naming it, and that failed
# up leaves forwarding off and no interface.
# Closing line: "accept-ra: N passed, N failed".
set -u
LANWIRE=$(readlink -f "${1:-build/lanwire}")
TAG=$(printf '%05x' $(($$ % 1048576)))
NS=lwv6-ra-$TAG IZ=lwv6${TAG}z IFA=lwv6${TAG}a IFB=lwv6${TAG}b IFC=lwv6${TAG}c
tmp=$(mktemp -d)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
t() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', want '$3')"; fi; }
cleanup() {
	local i
	for i in $IZ $IFA $IFB $IFC; do ip -n $NS link del $i 2>/dev/null; done
	sleep 0.3
	ip netns del $NS 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
lw() { ip netns exec $NS "$LANWIRE" -f "$tmp/net.conf" "$@" --run-dir "$tmp/run"; }
ra() { ip netns exec $NS sysctl -n net.ipv6.conf.$1.accept_ra; }
fwd6() { ip netns exec $NS sysctl -n net.ipv6.conf.all.forwarding; }
ra_routes() { ip -n $NS -6 route show default proto ra | grep -o 'dev [^ ]*' | sort | tr '\n' ' '; }

if [ "$(id -u)" != 0 ]; then
	echo "accept-ra: must run as root (network namespaces)"
	echo "accept-ra: 0 passed, 1 failed"
	exit 1
fi

cat >"$tmp/net.conf" <<CONF
[network]
name = accept-ra
tunnel = 10.97.0.0/24, fd97:97:97::/64

[hub z]
endpoint = 203.0.113.1:51820
interface = $IZ
address = 10.97.0.1, fd97:97:97::1
listen-port = 51820

[client c]
address = 10.97.0.20, fd97:97:97::20

[policy]
allow = c -> z
CONF
"$LANWIRE" -f "$tmp/net.conf" keys >/dev/null || bad "keys"

ip netns add $NS
ip -n $NS link set lo up
for i in $IFA $IFB $IFC; do
	ip -n $NS link add $i type veth peer name ${i}p
	ip netns exec $NS sysctl -q -w net.ipv6.conf.$i.accept_ra=1
	ip -n $NS link set $i up; ip -n $NS link set ${i}p up
done
ip netns exec $NS sysctl -q -w net.ipv6.conf.$IFB.accept_ra=0
ip netns exec $NS sysctl -q -w net.ipv6.conf.all.forwarding=0
sleep 2 # link-local addresses (DAD) before routes via fe80::
ip -n $NS -6 route add default via fe80::1 dev $IFA proto ra metric 1024
ip -n $NS -6 route add default via fe80::2 dev $IFB proto ra metric 1025
ip -n $NS -6 route add 2001:db8:c::/48 via fe80::3 dev $IFC
routes_before=$(ra_routes)
eq "two RA default routes to start with" "$routes_before" "dev $IFA dev $IFB "

# --- up: accept_ra 2 on the RA interface that accepted RAs, before forwarding
out=$(lw up z 2>&1); rc=$?
echo "$out"
eq "up exits 0" $rc 0
eq "IPv6 forwarding on" "$(fwd6)" 1
eq "$IFA (accept_ra 1, RA default route) now accepts RAs when forwarding" "$(ra $IFA)" 2
eq "$IFB (accept_ra 0) left alone" "$(ra $IFB)" 0
eq "$IFC (no RA default route) left alone" "$(ra $IFC)" 1
eq "both RA default routes still there" "$(ra_routes)" "$routes_before"
t "up reports the change and why" grep -q "sysctl net.ipv6.conf.$IFA.accept_ra 1 -> 2 ($IFA's IPv6 default route is learned from router advertisements)" <<<"$out"
l_ra=$(grep -n 'accept_ra 1 -> 2' <<<"$out" | cut -d: -f1)
l_fwd=$(grep -n 'all.forwarding 0 -> 1' <<<"$out" | cut -d: -f1)
t "accept_ra set before forwarding (lines $l_ra, $l_fwd)" test "${l_ra:-99}" -lt "${l_fwd:-0}"
t "the old value is in the state file" grep -qx "sysctl net.ipv6.conf.$IFA.accept_ra 1" "$tmp/run/$IZ.state"
out=$(lw up z 2>&1); rc=$?
eq "a second up exits 0" $rc 0
t "a second up changes nothing" grep -q "z: nothing to change" <<<"$out"

# --- down: the old values back, the routes kept
out=$(lw down z 2>&1); rc=$?
echo "$out"
eq "down exits 0" $rc 0
eq "$IFA's accept_ra back to 1" "$(ra $IFA)" 1
eq "IPv6 forwarding back off" "$(fwd6)" 0
eq "$IFB still 0" "$(ra $IFB)" 0
eq "RA default routes still there after down" "$(ra_routes)" "$routes_before"
t "no state left" test ! -e "$tmp/run/$IZ.state"

# --- an accept_ra lanwire does not know: refused, nothing left
ip netns exec $NS sysctl -q -w net.ipv6.conf.$IFA.accept_ra=3
out=$(lw up z 2>&1); rc=$?
echo "$out"
t "up with accept_ra 3 fails" test $rc -ne 0
t "the refusal names the interface, the sysctl and what to do" grep -q \
	"$IFA has an IPv6 default route learned from router advertisements and net.ipv6.conf.$IFA.accept_ra = 3, which lanwire does not know; not switching IPv6 forwarding on. Set it to 2" <<<"$out"
eq "forwarding stays off" "$(fwd6)" 0
eq "$IFA's accept_ra untouched" "$(ra $IFA)" 3
t "the failed up left no interface" bash -c "! ip -n $NS link show $IZ"
t "the failed up left no state" test ! -e "$tmp/run/$IZ.state"

echo "accept-ra: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
