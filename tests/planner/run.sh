#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shell tests of lanwire, the planner, run on the binary given (default
# build/lanwire):
#
#   two hubs  a dual-stack network with two hubs (two-hubs.conf)
#   golden    every node of the three seed networks (examples/*.conf),
#             rendered in both formats with the committed throwaway keys of
#             tests/planner/keys/, equals tests/planner/golden/
#   seeds     the AllowedIPs, addresses, routes, LAN-router routes and
#             firewall rules the seed posts give are in those files
#   bad       each tests/planner/bad/NAME.conf makes lanwire check print
#             exactly NAME.expect on stderr, and fail unless only warnings
#   secrets   no private key appears in any rendered file but its node's
#             own configuration
#   commands  init, add, remove, keys, render, qr on a network built from
#             scratch, including device-held keys
#   atomic    a failing command leaves description, keys and outputs as
#             they were
#   policy    hosts, protocols and ports rendered into nft lines; lanwire
#             policy's text for examples/hq.conf equals the golden files;
#             a Linux client's PostUp table loads and its PreDown removes it;
#             a gateway's accept_ra PostUp (before IPv6 forwarding) gives 2
#             only to an interface with an RA default route and accept_ra 1
#   tools     rendered files load: nft -c (in a scratch netns) and
#             wg-quick strip, when those tools are present
#   change    renumber, pin, diff, node keys: see change.sh
#   overlay   several hubs and [link]s (overlay/*.conf): golden per-link
#             interfaces, bird.conf and unreachable routes; costs in the
#             BIRD configs; bird -p parses every rendered bird.conf
#
# UPDATE=1 rewrites the golden files instead of comparing them. Prints
# "planner: N passed, N failed" last; exits non-zero on any failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LANWIRE=$(realpath "${1:-$ROOT/build/lanwire}")
EXAMPLES=(leased-line remote-dev star hq)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check NAME COMMAND...: passes when the command succeeds
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; fi
}
lw() { "$LANWIRE" "$@"; }

# A private copy of an example's test keys, with the modes lanwire wants.
keys_of() {
	local dir=$WORK/keys-$1
	if [ ! -d "$dir" ]; then
		cp -r "$HERE/keys/$1" "$dir"
		chmod 700 "$dir"
		chmod 600 "$dir"/*
	fi
	echo "$dir"
}

# ---- golden ----

render_example() { # EXAMPLE FORMAT OUTDIR
	lw -f "$ROOT/examples/$1.conf" -k "$(keys_of "$1")" render --all \
		--format "$2" -o "$3" >/dev/null
}

test_golden() {
	local ex fmt out gold
	for ex in "${EXAMPLES[@]}"; do
		for fmt in wg-quick networkd; do
			out=$WORK/out/$ex/$fmt
			gold=$HERE/golden/$ex/$fmt
			if ! render_example "$ex" "$fmt" "$out"; then
				bad "golden $ex $fmt: render failed"
				continue
			fi
			if [ "${UPDATE:-0}" = 1 ]; then
				rm -rf "$gold" && mkdir -p "$gold"
				cp -r "$out/." "$gold/"
				ok "golden $ex $fmt (updated)"
			elif diff -r "$gold" "$out" >"$WORK/diff" 2>&1; then
				ok "golden $ex $fmt"
			else
				head -40 "$WORK/diff"
				bad "golden $ex $fmt"
			fi
		done
	done
}

# ---- seeds: what the posts give, in the rendered files ----

# The AllowedIPs of a file, in order, space separated.
allowed() {
	sed -n 's/^AllowedIPs *= *//p' "$1" | tr -d ',' | tr '\n' ' ' |
		sed 's/ *$//'
}
routes() { sed -n 's/^Destination=//p' "$1" | tr '\n' ' ' | sed 's/ *$//'; }

expect_eq() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}
expect_line() { # NAME FILE LINE: FILE has exactly that line
	if grep -qxF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3' in $2"; fi
}

test_seed_000() {
	local n=$WORK/out/leased-line/networkd w=$WORK/out/leased-line/wg-quick
	expect_eq "seed 000: z's peers" "$(allowed "$n/z/wg0.netdev")" \
		"10.70.0.2/32 192.168.201.0/24 10.70.0.3/32 192.168.200.0/24"
	expect_eq "seed 000: a's peer z" "$(allowed "$n/a/wg0.netdev")" \
		"10.70.0.0/16 192.168.200.0/24"
	expect_eq "seed 000: c's peer z" "$(allowed "$n/c/wg0.netdev")" \
		"10.70.0.0/16 192.168.201.0/24"
	expect_eq "seed 000: z's routes" "$(routes "$n/z/wg0.network")" \
		"192.168.200.0/24 192.168.201.0/24"
	expect_eq "seed 000: a's routes" "$(routes "$n/a/wg0.network")" \
		"192.168.200.0/24"
	expect_eq "seed 000: c's routes" "$(routes "$n/c/wg0.network")" \
		"192.168.201.0/24"
	expect_line "seed 000: z's address" "$n/z/wg0.network" "Address=10.70.0.1/16"
	expect_line "seed 000: a's address" "$n/a/wg0.network" "Address=10.70.0.2/16"
	expect_line "seed 000: c's address" "$n/c/wg0.network" "Address=10.70.0.3/16"
	expect_line "seed 000: MTU" "$n/a/wg0.netdev" "MTUBytes=1280"
	expect_line "seed 000: endpoint" "$n/c/wg0.netdev" \
		"Endpoint=39.101.166.124:51820"
	expect_line "seed 000: keepalive" "$n/z/wg0.netdev" "PersistentKeepalive=15"
	expect_line "seed 000: LAN1 router" "$n/a/lan-router.txt" \
		"ip route add 192.168.200.0/24 via 192.168.201.247"
	expect_line "seed 000: LAN2 router" "$n/c/lan-router.txt" \
		"ip route add 192.168.201.0/24 via 192.168.200.248"
	expect_line "seed 000: forwarding" "$n/z/wg0.sysctl" "net.ipv4.ip_forward = 1"
	check "seed 000: the two formats agree" \
		diff "$n/a/wg0.nft" "$w/a/wg0.nft"
}

test_seed_001() {
	local n=$WORK/out/remote-dev/networkd w=$WORK/out/remote-dev/wg-quick
	expect_eq "seed 001: z's peers" "$(allowed "$n/z/wg0.netdev")" \
		"10.70.0.2/32 192.168.201.0/24 10.70.0.3/32 192.168.200.0/24 10.70.0.4/32 10.70.0.5/32"
	expect_eq "seed 001: a's peer z" "$(allowed "$n/a/wg0.netdev")" "10.70.0.0/16"
	expect_eq "seed 001: c's routes" "$(routes "$n/c/wg0.network")" ""
	expect_eq "seed 001: e, route conflict fixed" \
		"$(allowed "$w/e/wg0.conf")" "10.70.0.0/16 192.168.200.0/23"
	expect_eq "seed 001: f, route conflict fixed" \
		"$(allowed "$w/f/wg0.conf")" "10.70.0.0/16 192.168.200.0/23"
	expect_line "seed 001: e's address" "$w/e/wg0.conf" "Address = 10.70.0.4/16"
	expect_line "seed 001: f's address" "$w/f/wg0.conf" "Address = 10.70.0.5/16"
	expect_line "seed 001: e's MTU" "$w/e/wg0.conf" "MTU = 1280"
	expect_line "seed 001: LAN1 router" "$n/a/lan-router.txt" \
		"ip route add 10.70.0.0/16 via 192.168.201.247"
	expect_line "seed 001: hardening on a" "$n/a/wg0.nft" \
		$'\t\tiifname "wg0" ip saddr { 10.70.0.4, 10.70.0.5 } ip daddr 192.168.201.0/24 ct state new accept'
	expect_line "seed 001: the rest dropped on a" "$n/a/wg0.nft" \
		$'\t\tiifname "wg0" drop'
	expect_line "seed 001: masquerade on c" "$n/c/wg0.nft" \
		$'\t\toifname "eth2" ip saddr 10.70.0.0/16 ip daddr 192.168.200.0/24 masquerade'
	check "seed 001: no route file for a masquerading site" \
		test ! -e "$n/c/lan-router.txt"
}

test_seed_002() {
	local w=$WORK/out/star/wg-quick v=$WORK/star-visits
	expect_eq "seed 002: router's peers" "$(allowed "$w/router/wg0.conf")" \
		"10.9.0.2/32 192.168.1.0/24 10.9.0.3/32 172.19.50.0/24 10.9.9.1/32 10.9.9.2/32"
	expect_eq "seed 002: home-gw's peer" "$(allowed "$w/home-gw/wg0.conf")" \
		"10.9.9.0/24"
	expect_eq "seed 002: office-gw's peer" \
		"$(allowed "$w/office-gw/wg0.conf")" "10.9.9.0/24"
	expect_line "seed 002: router" "$w/router/wg0.conf" "Address = 10.9.0.1/32"
	expect_line "seed 002: home-gw" "$w/home-gw/wg0.conf" "Address = 10.9.0.2/32"
	expect_line "seed 002: office-gw" "$w/office-gw/wg0.conf" "Address = 10.9.0.3/32"
	expect_line "seed 002: macbook" "$w/macbook/wg0.conf" "Address = 10.9.9.1/32"
	expect_line "seed 002: cellphone" "$w/cellphone/wg0.conf" "Address = 10.9.9.2/32"
	expect_eq "seed 002: mobile routes, summarised" \
		"$(allowed "$w/macbook/wg0.conf")" \
		"10.9.0.0/16 192.168.0.0/23 172.19.50.0/23"
	expect_line "seed 002: home-gw masquerades" "$w/home-gw/wg0.nft" \
		$'\t\toifname "eth0" ip saddr 10.9.9.0/24 ip daddr 192.168.1.0/24 masquerade'
	if grep 'accept' "$w/router/wg0.nft" | grep -q 'saddr.*192\.168\.1\.0/24.*daddr.*172\.19'; then
		bad "seed 002: homelab and office isolated"
	else
		ok "seed 002: homelab and office isolated"
	fi
	# The post's exact /24s, for clients that never sit in either LAN.
	sed 's/^group = mobile$/group = mobile\nvisits = none/' \
		"$ROOT/examples/star.conf" >"$WORK/star-visits.conf"
	lw -f "$WORK/star-visits.conf" -k "$(keys_of star)" render --all \
		-o "$v" >/dev/null 2>&1
	expect_eq "seed 002: visits = none gives the post's routes" \
		"$(allowed "$v/macbook/wg0.conf" 2>/dev/null)" \
		"10.9.0.0/16 192.168.1.0/24 172.19.50.0/24"
}

# Two hubs, IPv4 and IPv6: keys made fresh, every node rendered.
test_two_hubs() {
	local f=$WORK/two-hubs.conf o=$WORK/out/two-hubs
	cp "$HERE/two-hubs.conf" "$f"
	check "two hubs: keys" lw -f "$f" keys
	check "two hubs: wg-quick" lw -f "$f" render --all -o "$o/wg-quick"
	check "two hubs: networkd" lw -f "$f" render --all --format networkd \
		-o "$o/networkd"
	expect_eq "two hubs: east relays to west's spokes" \
		"$(allowed "$o/networkd/east/lw0.netdev" | cut -d' ' -f7-)" \
		"10.9.0.2/32 fd00:9::2/128 10.9.0.4/32 fd00:9::4/128 172.19.50.0/24 10.9.9.2/32 fd00:9::6/128"
	expect_line "two hubs: east dials west over IPv6" \
		"$o/networkd/east/lw0.netdev" "Endpoint=[2001:db8::2]:51821"
	expect_line "two hubs: west listens where told" \
		"$o/networkd/west/lw0.netdev" "ListenPort=4000"
	expect_eq "two hubs: phone summarised in both families" \
		"$(allowed "$o/wg-quick/phone/lw0.conf")" \
		"10.9.0.0/16 fd00:9::/64 192.168.0.0/23 fd12:3456::/63 172.19.50.0/24"
	expect_eq "two hubs: laptop's routes as written" \
		"$(allowed "$o/wg-quick/laptop/lw0.conf")" "10.9.0.0/16 172.16.0.0/12"
	expect_line "two hubs: IPv6 forwarding" "$o/wg-quick/home/lw0.sysctl" \
		"net.ipv6.conf.all.forwarding = 1"
	expect_line "two hubs: IPv6 policy on the gateway" "$o/wg-quick/home/lw0.nft" \
		$'\t\tiifname { "lw0", "lwl1", "lwl2" } ip6 saddr { fd00:9::5, fd00:9::6 } ip6 daddr fd12:3456::/64 ct state new accept'
}

# The wg-quick PostUp that keeps an RA-learned IPv6 default route (as up
# does): run in a scratch namespace (as root) where ra0 (accept_ra 1) and
# ra1 (accept_ra 0) have a default route of proto ra and ra2 (accept_ra 1)
# has none: only ra0 must become 2.
test_keep_ra_hook() {
	local conf=$WORK/out/two-hubs/wg-quick/home/lw0.conf script=$WORK/ra.sh hook
	hook=$(sed -n 's/^PostUp = \(for i in .*accept_ra=2; done\)$/\1/p' "$conf")
	check "wg-quick: an accept_ra hook on a gateway forwarding IPv6" test -n "$hook"
	check "wg-quick: the accept_ra hook comes before IPv6 forwarding" bash -c \
		"grep -n '^PostUp' '$conf' | grep -A1 'accept_ra=2; done' | grep -q 'net.ipv6.conf.all.forwarding=1'"
	check "wg-quick: no accept_ra hook on a client (no forwarding)" bash -c \
		"! grep -q accept_ra '$WORK/out/two-hubs/wg-quick/phone/lw0.conf'"
	if ! unshare -n true 2>/dev/null; then
		echo "skip accept_ra hook run (no network namespaces)"
		return
	fi
	cat >"$script" <<SCRIPT
set -e
for i in 0 1 2; do
	ip link add ra\$i type veth peer name rap\$i
	sysctl -q -w net.ipv6.conf.ra\$i.accept_ra=1
	ip link set ra\$i up; ip link set rap\$i up
done
sysctl -q -w net.ipv6.conf.ra1.accept_ra=0
sleep 2
ip -6 route add default via fe80::1 dev ra0 proto ra metric 1024
ip -6 route add default via fe80::2 dev ra1 proto ra metric 1025
$hook
echo "accept_ra \$(sysctl -n net.ipv6.conf.ra0.accept_ra) \$(sysctl -n net.ipv6.conf.ra1.accept_ra) \$(sysctl -n net.ipv6.conf.ra2.accept_ra)"
ip -6 route show default proto ra | grep -c '^default'
SCRIPT
	expect_eq "wg-quick: the accept_ra hook sets 2 only where RAs keep the default route" \
		"$(unshare -n bash "$script" 2>&1 | tr '\n' ' ')" "accept_ra 2 0 1 2 "
}

# ---- policy: hosts, protocols, ports, services, lanwire policy ----

test_policy_text() {
	local gold=$HERE/golden/hq out=$WORK/policy
	mkdir -p "$out"
	lw -f "$ROOT/examples/hq.conf" policy >"$out/policy.txt" 2>&1
	lw -f "$ROOT/examples/hq.conf" policy b2-gw >"$out/policy-b2-gw.txt" 2>&1
	lw -f "$ROOT/examples/hq.conf" policy phone >"$out/policy-phone.txt" 2>&1
	local f
	for f in policy.txt policy-b2-gw.txt policy-phone.txt; do
		if [ "${UPDATE:-0}" = 1 ]; then
			cp "$out/$f" "$gold/$f"
			ok "policy text $f (updated)"
		elif diff "$gold/$f" "$out/$f" >"$WORK/diff"; then
			ok "policy text $f"
		else
			head -20 "$WORK/diff"
			bad "policy text $f"
		fi
	done
	lw -f "$ROOT/examples/hq.conf" policy nosuch >/dev/null 2>"$WORK/p.err"
	expect_eq "policy of an unknown node: exit 1" "$?" 1
	expect_eq "policy of an unknown node: message" "$(cat "$WORK/p.err")" \
		"lanwire: no node or site nosuch in $ROOT/examples/hq.conf"
	lw -f "$ROOT/examples/hq.conf" policy a b >/dev/null 2>&1
	expect_eq "policy of two nodes: usage, exit 2" "$?" 2
	printf '[network]\ntunnel = 10.0.0.0/8\nbogus = 1\n' >"$WORK/pbad.conf"
	lw -f "$WORK/pbad.conf" policy >/dev/null 2>&1
	expect_eq "policy of a description with errors: exit 2, as check" "$?" 2
}

test_policy_ports() {
	local f=$WORK/ports.conf o=$WORK/ports
	cat >"$f" <<-'EOF'
	[network]
	tunnel = 10.9.0.0/16, fd00:9::/64
	[hub z]
	endpoint = 198.51.100.1:51820
	service = tcp/22 udp/161 -> e
	[site office]
	lan = 172.19.50.0/24, fd12:3456::/64
	lan-interface = eth0
	ssh = e
	[client e]
	[client f]
	[policy]
	allow = e, f -> office:172.19.50.0/28, office:fd12:3456::5 tcp/22,443,8000-8080 udp/53 icmp
	allow = office:172.19.50.7 -> e tcp/5201
	EOF
	check "ports: keys and render" bash -c \
		"'$LANWIRE' -f '$f' keys && '$LANWIRE' -f '$f' render --all -o '$o'"
	expect_line "ports: tcp ports and a range into the LAN" "$o/office/wg0.nft" \
		$'\t\tiifname "wg0" ip saddr { 10.9.0.3, 10.9.0.4 } ip daddr 172.19.50.0/28 tcp dport { 22, 443, 8000-8080 } ct state new accept'
	expect_line "ports: udp" "$o/office/wg0.nft" \
		$'\t\tiifname "wg0" ip saddr { 10.9.0.3, 10.9.0.4 } ip daddr 172.19.50.0/28 udp dport 53 ct state new accept'
	expect_line "ports: icmp" "$o/office/wg0.nft" \
		$'\t\tiifname "wg0" ip saddr { 10.9.0.3, 10.9.0.4 } ip daddr 172.19.50.0/28 meta l4proto icmp ct state new accept'
	expect_line "ports: ICMPv6 to an IPv6 host" "$o/office/wg0.nft" \
		$'\t\tiifname "wg0" ip6 saddr { fd00:9::3, fd00:9::4 } ip6 daddr fd12:3456::5 meta l4proto ipv6-icmp ct state new accept'
	expect_line "ports: relayed by the hub" "$o/z/wg0.nft" \
		$'\t\tiifname "wg0" oifname "wg0" ip saddr { 10.9.0.3, 10.9.0.4 } ip daddr 172.19.50.0/28 tcp dport { 22, 443, 8000-8080 } ct state new accept'
	expect_line "ports: a LAN host into the tunnel" "$o/office/wg0.nft" \
		$'\t\toifname "wg0" ip saddr 172.19.50.7 ip daddr 10.9.0.3 tcp dport 5201 ct state new accept'
	expect_line "ports: the hub's own service" "$o/z/wg0.nft" \
		$'\t\tiifname "wg0" ip saddr 10.9.0.3 ip daddr 10.9.0.1 udp dport 161 ct state new accept'
	expect_line "ports: the gateway's ssh" "$o/office/wg0.nft" \
		$'\t\tiifname "wg0" ip saddr 10.9.0.3 ip daddr 10.9.0.2 tcp dport 22 ct state new accept'
	expect_line "ports: the gateway guards its tunnel side from the LAN" \
		"$o/office/wg0.nft" \
		$'\t\tiifname != "lo" iifname != "wg0" ip6 daddr fd00:9::2 drop'
	expect_line "ports: the client's input table" "$o/e/wg0.conf" \
		"PostUp = nft add rule inet lanwire input 'iifname \"%i\" ip saddr 172.19.50.7 ip daddr 10.9.0.3 tcp dport 5201 ct state new accept'"
	check "ports: a client no rule opens drops all from the tunnel" bash -c \
		"! grep -q 'ct state new accept' '$o/f/wg0.conf' && grep -qF 'iifname \"%i\" drop' '$o/f/wg0.conf'"
}

# A site's own ssh line goes with it: remove refuses only while a rule
# elsewhere names it.
test_remove_with_services() {
	local d=$WORK/rm f=$WORK/rm/hq.conf
	mkdir -p "$d"
	cp "$ROOT/examples/hq.conf" "$f"
	lw -f "$f" keys >/dev/null 2>&1
	lw -f "$f" remove branch1 >"$WORK/rm.out" 2>&1
	expect_eq "remove refuses a site a rule names, not for its own ssh" \
		"$(cat "$WORK/rm.out")" \
		"lanwire: $f:117: the policy names branch1; edit that rule first
lanwire: $f:118: the policy names branch1; edit that rule first
lanwire: $f:119: the policy names branch1; edit that rule first"
	sed -i 's/, branch1, branch2/, branch2/; s/^allow = hq <-> branch1, branch2/allow = hq <-> branch2/' "$f"
	check "remove of a site with ssh = admins" lw -f "$f" remove branch1
	check "...leaves a consistent description" lw -f "$f" check
}

# add writes os and ssh lines, and refuses a bad os.
test_add_policy_keys() {
	local f=$WORK/addp/lanwire.conf
	mkdir -p "$WORK/addp"
	lw -f "$f" init t --tunnel 10.9.0.0/16 >/dev/null 2>&1
	lw -f "$f" add hub z --endpoint 198.51.100.1:51820 >/dev/null 2>&1
	check "add client --os other" lw -f "$f" add client phone --os other \
		--group admins
	expect_line "...writes os = other" "$f" "os = other"
	check "add site --ssh" lw -f "$f" add site s --lan 10.20.0.0/24 \
		--ssh admins
	expect_line "...writes ssh = admins" "$f" "ssh = admins"
	lw -f "$f" add client x --os bsd >/dev/null 2>"$WORK/addp.err"
	expect_eq "add client --os bsd fails with the reason" \
		"$(cat "$WORK/addp.err")" "lanwire: cannot add client x:
  error: os must be 'linux' (its wg-quick configuration loads an nft input policy) or 'other' (phones, macOS, Windows: the hub guards it), not 'bsd'"
}

# A Linux client's PostUp lines make its table, PreDown removes it (in a
# scratch network namespace, as root).
test_client_table() {
	local conf=$WORK/out/hq/wg-quick/laptop1/wg0.conf script=$WORK/hooks.sh
	if ! command -v nft >/dev/null || ! unshare -n true 2>/dev/null; then
		echo "skip client table (no nft or no network namespaces)"
		return
	fi
	{
		echo 'set -e'
		sed -n 's/^PostUp = \(nft .*\)/\1/p' "$conf"
		echo 'nft list table inet lanwire'
		sed -n 's/^PreDown = \(nft .*\)/\1/p' "$conf"
		echo '! nft list table inet lanwire 2>/dev/null'
	} | sed 's/%i/wg0/g' >"$script"
	if unshare -n bash "$script" >"$WORK/hooks.out" 2>&1; then
		ok "client table: PostUp loads it, PreDown removes it"
	else
		cat "$WORK/hooks.out"
		bad "client table: PostUp loads it, PreDown removes it"
	fi
	expect_line "client table: admins may open connections to laptop1" \
		"$WORK/hooks.out" \
		$'\t\tiifname "wg0" ip saddr 10.99.1.1 ip daddr 10.99.1.11 ct state new accept'
	expect_line "client table: the rest from the tunnel dropped" \
		"$WORK/hooks.out" $'\t\tiifname "wg0" drop'
}

# ---- bad descriptions ----

test_bad() {
	local conf name rc
	for conf in "$HERE"/bad/*.conf; do
		name=$(basename "$conf" .conf)
		(cd "$HERE/bad" && "$LANWIRE" -f "$name.conf" -k none.keys \
			check >/dev/null 2>"$WORK/$name.err")
		rc=$?
		if ! diff "$HERE/bad/$name.expect" "$WORK/$name.err" >"$WORK/diff"; then
			cat "$WORK/diff"
			bad "check $name: messages differ"
		elif grep -q ': error: ' "$HERE/bad/$name.expect" && [ $rc -ne 2 ]; then
			bad "check $name: exit $rc, want 2"
		elif ! grep -q ': error: ' "$HERE/bad/$name.expect" && [ $rc -ne 0 ]; then
			bad "check $name: exit $rc with only warnings"
		else
			ok "check $name"
		fi
	done
	check "bad: no file" bash -c "! '$LANWIRE' -f '$WORK/none.conf' check"
	check "bad: a directory" bash -c "! '$LANWIRE' -f '$WORK' check"
	check "bad: binary junk" bash -c \
		"head -c 4096 /dev/urandom > '$WORK/junk.conf'; ! '$LANWIRE' -f '$WORK/junk.conf' check"
	check "bad: usage" bash -c "'$LANWIRE' frobnicate; [ \$? = 2 ]"
}

# ---- secrets ----

test_secrets() {
	local ex fmt key node f leaks=0 own=0
	for ex in "${EXAMPLES[@]}"; do
		lw -f "$ROOT/examples/$ex.conf" -k "$(keys_of "$ex")" keys \
			>"$WORK/keys-$ex.out" 2>&1
		lw -f "$ROOT/examples/$ex.conf" -k "$(keys_of "$ex")" check \
			>>"$WORK/keys-$ex.out" 2>&1
		for key in "$(keys_of "$ex")"/*.key; do
			node=$(basename "$key" .key)
			for fmt in wg-quick networkd; do
				while IFS= read -r -d '' f; do
					case $f in
					*/"$fmt"/"$node"/wg0.conf | */"$fmt"/"$node"/wg0.netdev)
						grep -qF "$(cat "$key")" "$f" && own=$((own + 1)) ;;
					*)
						if grep -qF "$(cat "$key")" "$f"; then
							echo "  $node's private key in $f"
							leaks=$((leaks + 1))
						fi ;;
					esac
				done < <(find "$WORK/out/$ex/$fmt" -type f -print0)
			done
			grep -qF "$(cat "$key")" "$ROOT/examples/$ex.conf" \
				"$WORK/keys-$ex.out" && leaks=$((leaks + 1))
		done
	done
	expect_eq "secrets: private keys only in their own configs" "$leaks" 0
	expect_eq "secrets: each node's config holds its key" "$own" 58
}

# ---- commands ----

snap() { # a fingerprint of a directory tree: names, modes, contents
	(cd "$1" 2>/dev/null && find . -printf '%p %m\n' | sort &&
		find . -type f -exec md5sum {} + | sort) || echo none
}

test_commands() {
	local d=$WORK/net f=$WORK/net/lanwire.conf k=$WORK/net/lanwire.keys
	mkdir -p "$d"
	check "init" lw -f "$f" init office --tunnel 10.9.0.0/16 \
		--infra-pool 10.9.0.0/24 --client-pool 10.9.9.0/24 --mtu 1380
	check "init refuses an existing file" bash -c \
		"! '$LANWIRE' -f '$f' init other --tunnel 10.8.0.0/16"
	check "add hub" lw -f "$f" add hub z --endpoint 198.51.100.1:51820
	check "add site" lw -f "$f" add site home --lan 192.168.1.0/24 \
		--lan-interface eth0 --gateway home-gw
	check "add site with route" lw -f "$f" add site office \
		--lan 172.19.50.0/24 --return route --lan-address 172.19.50.2
	check "add client" lw -f "$f" add client laptop --group staff
	check "add client with its own key" lw -f "$f" add client phone \
		--group staff --os other \
		--public-key hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=
	expect_line "add writes the allocated address" "$f" "address = 10.9.9.2"
	expect_line "add keeps the options" "$f" "lan-interface = eth0"
	check "add refuses a taken name" bash -c \
		"! '$LANWIRE' -f '$f' add client home"
	check "add refuses an option of another kind" bash -c \
		"! '$LANWIRE' -f '$f' add client x --lan 10.1.0.0/24"
	printf '\n[policy]\nallow = staff -> home, office\n' >>"$f"
	check "check passes" lw -f "$f" check
	expect_eq "key directory is 0700" "$(stat -c %a "$k")" 700
	expect_eq "key files are 0600" "$(stat -c %a "$k"/*.key "$k"/*.psk | sort -u)" 600
	check "no private key made for the phone" test ! -e "$k/phone.key"
	expect_eq "preshared keys per pair" "$(ls "$k" | grep -c psk)" 4
	lw -f "$f" render phone >"$WORK/phone.conf" 2>&1
	expect_line "device key loaded by PostUp" "$WORK/phone.conf" \
		"PostUp = wg set %i private-key /etc/wireguard/wg0.key"
	check "device config holds no PrivateKey" bash -c \
		"! grep -q '^PrivateKey' '$WORK/phone.conf'"
	lw -f "$f" qr phone >"$WORK/qr-phone.txt" 2>"$WORK/qr-phone.err"
	expect_eq "qr of a device-held key: the config as text" \
		"$(grep -c '^\[Peer\]$' "$WORK/qr-phone.txt") $(grep -c $'\u2580' "$WORK/qr-phone.txt")" "1 0"
	expect_line "...saying where the key goes" "$WORK/qr-phone.txt" \
		"# PrivateKey = the key this device made (its public key: hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=)"
	check "...with no key and no PostUp for it" bash -c \
		"! grep -Eq '^PrivateKey|^PostUp = wg set' '$WORK/qr-phone.txt'"
	expect_eq "...and what to do on stderr" "$(cat "$WORK/qr-phone.err")" \
		"qr: phone's private key was made on the device, so no QR code can carry its whole configuration: above is the rest. In the WireGuard app, edit the tunnel whose key pair the device generated (public key hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=) and copy in Address, MTU, DNS and the [Peer]; on a Linux device, put the key in the PrivateKey line, or keep it in /etc/wireguard/wg0.key and use lanwire render phone."
	check "qr refuses a gateway" bash -c "! '$LANWIRE' -f '$f' qr home"
	lw -f "$f" qr laptop >"$WORK/qr.txt" 2>"$WORK/qr.err"
	expect_eq "qr of an os = linux client warns its table is left out" \
		"$(cat "$WORK/qr.err")" \
		"lanwire: warning: laptop has os = linux, but the QR code leaves out its nft input table (a phone's app cannot run it); write os = other for a phone"
	check "qr prints a code" grep -q $'\u2580' "$WORK/qr.txt"
	check "qr is square" bash -c "[ \$(wc -l < '$WORK/qr.txt') -ge 15 ]"
	check "qr holds no comment" bash -c "! grep -q lanwire '$WORK/qr.txt'"
	check "render -o" lw -f "$f" render office -o "$WORK/office"
	expect_line "LAN route of a routed site" "$WORK/office/lan-router.txt" \
		"ip route add 10.9.9.0/24 via 172.19.50.2"
	expect_eq "rendered config is 0600" "$(stat -c %a "$WORK/office/wg0.conf")" 600
	lw -f "$f" remove home >"$WORK/remove.out" 2>&1
	expect_eq "remove refuses a site the policy names" \
		"$(cat "$WORK/remove.out")" \
		"lanwire: $f:37: the policy names home; edit that rule first"
	check "remove refuses a hub with spokes" bash -c "! '$LANWIRE' -f '$f' remove z"
	check "remove client" lw -f "$f" remove laptop
	check "its keys are gone" bash -c "! ls '$k' | grep -q laptop"
	check "its section is gone" bash -c "! grep -q laptop '$f'"
	check "still consistent" lw -f "$f" check
	check "keys makes nothing new" bash -c \
		"'$LANWIRE' -f '$f' keys | grep -q '^keys: 0 keys made'"
}

# ---- atomic ----

test_atomic() {
	local d=$WORK/atomic f=$WORK/atomic/lanwire.conf k=$WORK/atomic/lanwire.keys
	local before
	mkdir -p "$d"
	lw -f "$f" init a --tunnel 10.9.0.0/16 >/dev/null
	lw -f "$f" add hub z --endpoint 198.51.100.1:51820 >/dev/null
	before=$(snap "$d")
	check "add with a bad address fails" bash -c \
		"! '$LANWIRE' -f '$f' add client e --address 10.8.0.1"
	expect_eq "...and changes nothing" "$(snap "$d")" "$before"
	check "add with an overlapping LAN fails" bash -c \
		"! '$LANWIRE' -f '$f' add site s --lan 10.9.1.0/24"
	expect_eq "...and changes nothing" "$(snap "$d")" "$before"
	mkdir "$k/e.key"
	before=$(snap "$d")
	check "add whose key cannot be written fails" bash -c \
		"! '$LANWIRE' -f '$f' add client e"
	expect_eq "...and writes neither keys nor description" "$(snap "$d")" "$before"
	rmdir "$k/e.key"
	mv "$k" "$k.away" && touch "$k"
	before=$(snap "$d")
	check "add with a file for a key directory fails" bash -c \
		"! '$LANWIRE' -f '$f' add client e"
	expect_eq "...and changes nothing" "$(snap "$d")" "$before"
	rm "$k" && mv "$k.away" "$k"
	mkdir -p "$WORK/ro/router/wg0.conf"
	before=$(snap "$WORK/ro")
	check "render whose output cannot be written fails" bash -c \
		"! '$LANWIRE' -f '$ROOT/examples/star.conf' -k '$(keys_of star)' render --all -o '$WORK/ro'"
	expect_eq "...and writes no file" "$(snap "$WORK/ro")" "$before"
	before=$(snap "$d")
	check "render of a node without keys fails" bash -c \
		"! '$LANWIRE' -f '$f' -k '$WORK/nokeys' render z -o '$WORK/nokeys-out'"
	check "...and makes nothing" test ! -e "$WORK/nokeys-out" -a ! -e "$WORK/nokeys"
	lw -f "$f" add client e >/dev/null
	printf '[policy]\nallow = e -> z\n' >>"$f"
	before=$(snap "$d")
	check "remove of a named client fails" bash -c "! '$LANWIRE' -f '$f' remove e"
	expect_eq "...and changes nothing" "$(snap "$d")" "$before"
}

# ---- tools ----

test_tools() {
	local f n=0 bad_files=0
	if command -v nft >/dev/null && unshare -n true 2>/dev/null; then
		for f in $(find "$WORK/out" -name '*.nft'); do
			n=$((n + 1))
			unshare -n nft -c -f "$f" >/dev/null 2>&1 || {
				echo "  nft refuses $f"
				bad_files=$((bad_files + 1))
			}
		done
		expect_eq "nft -c accepts all $n rulesets" "$bad_files" 0
	else
		echo "skip nft -c (no nft or no network namespaces)"
	fi
	if command -v wg-quick >/dev/null; then
		n=0 bad_files=0
		for f in $(find "$WORK/out" -path '*wg-quick*' -name wg0.conf); do
			n=$((n + 1))
			wg-quick strip "$f" >/dev/null 2>&1 || {
				echo "  wg-quick refuses $f"
				bad_files=$((bad_files + 1))
			}
		done
		expect_eq "wg-quick strip accepts all $n configs" "$bad_files" 0
	else
		echo "skip wg-quick strip (no wg-quick)"
	fi
}

# ---- overlay: several hubs, [link]s, BIRD ----

OVERLAYS=(ha direct asymmetric)

overlay_conf() { # NAME: its description (direct, asymmetric: examples)
	if [ "$1" = asymmetric ] || [ "$1" = direct ]; then
		echo "$HERE/../../examples/$1.conf"
	else
		echo "$HERE/overlay/$1.conf"
	fi
}

test_overlay() {
	local ex out gold n=0 bad_files=0 f
	for ex in "${OVERLAYS[@]}"; do
		out=$WORK/out/overlay-$ex/wg-quick
		gold=$HERE/golden/overlay-$ex/wg-quick
		if ! lw -f "$(overlay_conf "$ex")" -k "$(keys_of "overlay-$ex")" \
			render --all -o "$out" >/dev/null 2>&1; then
			bad "overlay $ex: render failed"
			continue
		fi
		if [ "${UPDATE:-0}" = 1 ]; then
			rm -rf "$gold" && mkdir -p "$gold" && cp -r "$out/." "$gold/"
			ok "golden overlay $ex (updated)"
		elif diff -r "$gold" "$out" >"$WORK/diff" 2>&1; then
			ok "golden overlay $ex"
		else
			head -40 "$WORK/diff"
			bad "golden overlay $ex"
		fi
	done
	out=$WORK/out/overlay-ha/wg-quick
	# Costs: z1 10 and z2 20 on a's links; the hubs' link at the larger.
	expect_eq "overlay ha: a's costs" \
		"$(sed -n 's/^\t*cost \([0-9]*\);/\1/p' "$out/a/bird.conf" | tr '\n' ' ')" \
		"10 20 "
	expect_eq "overlay ha: z1's costs" \
		"$(sed -n 's/^\t*cost \([0-9]*\);/\1/p' "$out/z1/bird.conf" | tr '\n' ' ')" \
		"20 10 10 "
	expect_line "overlay ha: a announces LAN1" "$out/a/bird.conf" \
		"$(printf '\t\tstubnet 192.168.201.0/24;')"
	expect_line "overlay ha: z1 announces the laptop" "$out/z1/bird.conf" \
		"$(printf '\t\tstubnet 10.70.9.1/32;')"
	expect_line "overlay ha: BFD 100 ms" "$out/c/bird.conf" \
		"$(printf '\t\tinterval 100 ms;')"
	expect_line "overlay ha: links Table = off" "$out/c/lwl4.conf" "Table = off"
	expect_line "overlay ha: links carry everything" "$out/c/lwl4.conf" \
		"AllowedIPs = 0.0.0.0/0, ::/0"
	expect_line "overlay ha: c dials z2's link port" "$out/c/lwl4.conf" \
		"Endpoint = 203.0.113.2:51904"
	expect_line "overlay ha: unreachable LAN2 on a" "$out/a/overlay-routes.txt" \
		"ip route replace unreachable 192.168.200.0/24 metric 4000"
	expect_line "overlay ha: unreachable link pool" "$out/a/overlay-routes.txt" \
		"ip route replace unreachable 10.70.0.0/16 metric 4000"
	out=$WORK/out/overlay-direct/wg-quick
	expect_line "overlay direct: c dials a's public address" \
		"$out/c/lwl2.conf" "Endpoint = 198.51.100.7:51902"
	if grep -q '^Endpoint' "$out/a/lwl2.conf"; then
		bad "overlay direct: a has no endpoint for c (behind NAT)"
	else
		ok "overlay direct: a waits for c"
	fi
	expect_eq "overlay direct: the direct link's cost" \
		"$(sed -n '/"lwl2" {/,/}/s/^\t*cost \([0-9]*\);/\1/p' "$out/a/bird.conf")" 5
	# seed 003: rp_filter loose exactly on a's link to c (C -> A comes in
	# there, A -> C leaves by B) and c's link to B; B stateless between links
	out=$WORK/out/overlay-asymmetric/wg-quick
	expect_eq "overlay asymmetric: loose rp_filter where paths differ" \
		"$(grep -l 'rp_filter=2' "$out"/*/lwl*.conf 2>/dev/null |
			sed "s|$out/||" | tr '\n' ' ')" "a/lwl2.conf c/lwl1.conf "
	# B's transit between links: the policy's rule both ways, no state
	local bl='iifname { "lwl0", "lwl1" } oifname { "lwl0", "lwl1" }'
	expect_line "overlay asymmetric: B forwards A -> C tcp/5001 statelessly" \
		"$out/B/wg0.nft" $'\t\t'"$bl"' ip saddr { 10.70.0.2, 192.168.51.0/24 } ip daddr 192.168.53.0/24 tcp dport 5001 accept'
	expect_line "overlay asymmetric: B forwards its replies, no SYN back" \
		"$out/B/wg0.nft" $'\t\t'"$bl"' ip saddr 192.168.53.0/24 ip daddr { 10.70.0.2, 192.168.51.0/24 } tcp sport 5001 tcp flags & (syn | ack) != syn accept'
	expect_line "overlay asymmetric: B forwards echo replies C -> A" \
		"$out/B/wg0.nft" $'\t\t'"$bl"' ip saddr 192.168.53.0/24 ip daddr { 10.70.0.2, 192.168.51.0/24 } icmp type echo-reply accept'
	expect_line "overlay asymmetric: B drops the rest between links" \
		"$out/B/wg0.nft" $'\t\t'"$bl"' counter drop'
	expect_eq "overlay asymmetric: B accepts nothing else between links" \
		"$(grep -c "$bl.* accept\$" "$out/B/wg0.nft")" 4
	expect_line "overlay asymmetric: c's tunnel match covers its links" \
		"$out/c/wg0.nft" $'\t\tiifname { "wg0", "lwl1", "lwl2" } drop'
	expect_line "overlay asymmetric: OSPF accepted on c's links" \
		"$out/c/wg0.nft" $'\t\tiifname { "lwl1", "lwl2" } meta l4proto 89 accept'
	expect_line "overlay asymmetric: c announces its tunnel address" \
		"$out/c/bird.conf" $'\t\tstubnet 10.70.0.3/32;'
	if command -v nft >/dev/null && [ "$(id -u)" = 0 ]; then
		bad_files=0
		for f in "$out"/*/wg0.nft; do
			nft -c -f "$f" >/dev/null 2>&1 || bad_files=$((bad_files + 1))
		done
		expect_eq "overlay asymmetric: nft -c accepts every ruleset" \
			"$bad_files" 0
		bad_files=0
	fi
	# two-hubs.conf: an overlay too (two hubs), dual stack.
	out=$WORK/out/overlay-two-hubs
	if lw -f "$HERE/two-hubs.conf" -k "$WORK/two-hubs-overlay.keys" keys \
		>/dev/null 2>&1 &&
		lw -f "$HERE/two-hubs.conf" -k "$WORK/two-hubs-overlay.keys" \
			render --all -o "$out" >/dev/null 2>&1; then
		ok "overlay two-hubs: renders"
	else
		bad "overlay two-hubs: render failed"
	fi
	# the hubs' stateless transit in IPv6 as in IPv4 (dual stack)
	expect_line "overlay two-hubs: east's IPv6 echo replies between links" \
		"$out/east/lw0.nft" $'\t\tiifname { "lwl0", "lwl1", "lwl3" } oifname { "lwl0", "lwl1", "lwl3" } ip6 saddr fd12:3456::/64 ip6 daddr fd00:9::4 icmpv6 type { echo-reply, destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept'
	# one transit rule per stateful relay rule, family by family
	local fam tr st
	for fam in ip ip6; do
		tr=$(grep -c "^"$'\t\t''iifname { "lwl0", "lwl1", "lwl3" } oifname { "lwl0", "lwl1", "lwl3" } '"$fam"' saddr [^;]* accept$' "$out/east/lw0.nft")
		tr=$((tr - $(grep -c "oifname { \"lwl0\", \"lwl1\", \"lwl3\" } $fam saddr .*\(flags\|type\|!=\)" "$out/east/lw0.nft")))
		st=$(grep -c "iifname { \"lw0\", \"lwl0\", \"lwl1\", \"lwl3\" } oifname { \"lw0\", \"lwl0\", \"lwl1\", \"lwl3\" } $fam saddr .* ct state new accept" "$out/east/lw0.nft")
		expect_eq "overlay two-hubs: east's $fam transit rules = its $fam relay rules ($st)" "$tr" "$st"
	done
	if command -v nft >/dev/null && [ "$(id -u)" = 0 ]; then
		for f in "$out"/*/*.nft; do
			nft -c -f "$f" >/dev/null 2>&1 || bad_files=$((bad_files + 1))
		done
		expect_eq "overlay two-hubs: nft -c accepts every ruleset" \
			"$bad_files" 0
		bad_files=0
	fi
	if command -v bird >/dev/null; then
		for f in $(find "$WORK/out" -name bird.conf); do
			n=$((n + 1))
			bird -p -c "$f" >/dev/null 2>&1 || {
				echo "  bird -p refuses $f"
				bad_files=$((bad_files + 1))
			}
		done
		expect_eq "bird -p accepts all $n configs" "$bad_files" 0
		[ "$n" -ge 10 ] && ok "bird -p saw $n configs" ||
			bad "bird -p saw only $n configs"
	else
		bad "no bird (make deps installs bird2)"
	fi
	if command -v wg-quick >/dev/null; then
		n=0 bad_files=0
		for f in $(find "$WORK/out" -path '*overlay*' -name 'lwl*.conf'); do
			n=$((n + 1))
			wg-quick strip "$f" >/dev/null 2>&1 || {
				echo "  wg-quick refuses $f"
				bad_files=$((bad_files + 1))
			}
		done
		expect_eq "wg-quick strip accepts all $n link configs" "$bad_files" 0
	fi
}

# shellcheck source=tests/planner/change.sh
. "$HERE/change.sh"

cd "$WORK" || exit 1
test_golden
test_seed_000
test_seed_001
test_seed_002
test_two_hubs
test_policy_text
test_policy_ports
test_client_table
test_keep_ra_hook
test_remove_with_services
test_add_policy_keys
test_bad
test_secrets
test_commands
test_atomic
test_tools
test_overlay
test_renumber
test_pin
test_diff
test_node_keys
echo "planner: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
