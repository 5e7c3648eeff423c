#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire up / down of overlay routers (issue 11; planner/apply_overlay.c):
# tests/planner/overlay/ha.conf (hubs z1 and z2, sites LAN1 and LAN2, a
# laptop on z1) brought up with `lanwire up NODE` in namespaces
# lwha-<tag>-*, each router in a private mount namespace (both ends of a
# link have the same interface name, and /var/run/wireguard is shared
# machine-wide otherwise). Asserts: LAN1 -> LAN2 pings pass; a second up
# changes nothing; down leaves no process, route, interface or file; a
# failed up (BIRD refusing its configuration, or BIRD not starting after
# the links are up) leaves nothing either. Prints processes and RSS per
# router.
#
# Usage: up.sh [LANWIRE [LANWIRED]]  (default build/lanwire, build/lanwired)
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LANWIRE=$(realpath "${1:-$ROOT/build/lanwire}")
LANWIRED=$(realpath "${2:-$ROOT/build/lanwired}")
TAG=$(printf '%x' $$ | tail -c 4)
P=lwha-$TAG
I=lwha$TAG
WORK=$(mktemp -d)
ROUTERS=(z1 z2 a c)
declare -A HOLDER=() WAN=([z1]=1 [z2]=2 [a]=3 [c]=4)
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

in_r() { local r=$1; shift; nsenter -t "${HOLDER[$r]}" -n -m "$@"; }
in_ns() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }

# lanwire up/down NODE in its router's namespaces, extra PATH first.
lw() {
	local verb=$1 r=$2
	in_r "$r" env PATH="${XPATH:-}$PATH" "$LANWIRE" -f "$WORK/ha.conf" \
		-k "$WORK/keys" "$verb" --daemon "$LANWIRED" \
		--run-dir "$WORK/run-$r" "$r"
}

cleanup() {
	local r
	for r in "${ROUTERS[@]}"; do
		[ -n "${HOLDER[$r]:-}" ] && lw down "$r" >/dev/null 2>&1
	done
	for r in "${!HOLDER[@]}"; do kill "${HOLDER[$r]}" 2>/dev/null; done
	wait 2>/dev/null
	for r in wan "${ROUTERS[@]}" h1 h2; do
		ip netns del "$P-$r" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in bird birdc ip wg ping nsenter unshare; do
	command -v "$t" >/dev/null || { echo "up: no $t"; exit 1; }
done

setup_desc() {
	cp -r "$ROOT/tests/planner/keys/overlay-ha" "$WORK/keys"
	chmod 700 "$WORK/keys" && chmod 600 "$WORK/keys"/*
	sed -e "s/^link-pool = .*/&\nlink-interface = $I/" \
		-e "s/^\[hub z\([12]\)\]$/&\ninterface = ${I}k\1/" \
		"$ROOT/tests/planner/overlay/ha.conf" >"$WORK/ha.conf"
}

make_wan() {
	local r
	ip netns add "$P-wan"
	in_ns wan ip link add "${I}br" type bridge
	in_ns wan ip link set "${I}br" up
	for r in "${ROUTERS[@]}"; do
		ip netns add "$P-$r"
		ip link add "$I$r" type veth peer name "$I${r}w"
		ip link set "$I$r" netns "$P-$r"
		ip link set "$I${r}w" netns "$P-wan"
		in_ns wan ip link set "$I${r}w" master "${I}br" up
		in_ns "$r" ip addr add "203.0.113.${WAN[$r]}/24" dev "$I$r"
		in_ns "$r" ip link set "$I$r" up
		in_ns "$r" ip link set lo up
	done
}

make_host() {
	local h=$1 gw=$2 addr=$3 gwaddr=$4
	ip netns add "$P-$h"
	ip link add "$I$h" type veth peer name "$I${h}g"
	ip link set "$I$h" netns "$P-$h"
	ip link set "$I${h}g" netns "$P-$gw"
	in_ns "$h" ip addr add "$addr/24" dev "$I$h"
	in_ns "$h" ip link set "$I$h" up
	in_ns "$h" ip link set lo up
	in_ns "$h" ip route add default via "$gwaddr"
	in_ns "$gw" ip addr add "$gwaddr/24" dev "$I${h}g"
	in_ns "$gw" ip link set "$I${h}g" up
}

make_holder() {
	local r=$1
	ip netns exec "$P-$r" unshare -m --propagation private \
		sh -c 'mount -t tmpfs lwha /var/run/wireguard && exec sleep 100000' &
	HOLDER[$r]=$!
	for _ in $(seq 30); do
		in_r "$r" true 2>/dev/null && break
		sleep 0.1
	done
}

# What a router has that it had not before up: processes other than its
# holder, interfaces other than lo and the test's veths, routes other than
# the connected ones, files in its run directory, forwarding on.
leftovers() {
	local r=$1 left=""
	local pids
	pids=$(ip netns pids "$P-$r" | grep -vx "${HOLDER[$r]}")
	[ -n "$pids" ] && left="$left processes($(echo $pids));"
	in_ns "$r" ip -o link | grep -v -e ': lo:' -e ": $I" |
		grep -q . && left="$left interfaces;"
	in_ns "$r" ip route | grep -v 'proto kernel' | grep -q . &&
		left="$left routes($(in_ns "$r" ip route | grep -v 'proto kernel' | head -2 | tr '\n' ' '));"
	[ -e "$WORK/run-$r" ] && left="$left files($(ls "$WORK/run-$r"));"
	[ "$(in_ns "$r" sysctl -n net.ipv4.ip_forward)" = 0 ] ||
		left="$left forwarding;"
	echo "$left"
}

all_up() {
	local r
	for r in "${ROUTERS[@]}"; do
		if lw up "$r" >"$WORK/up-$r.out" 2>"$WORK/up-$r.err"; then
			ok "up $r ($(wc -l <"$WORK/up-$r.out") changes)"
		else
			bad "up $r: $(tail -3 "$WORK/up-$r.err")"
		fi
	done
}

# Processes and RSS (kB) in router $1's namespace, holder excluded.
resources() {
	local r=$1 p rss total=0 n=0 names=""
	for p in $(ip netns pids "$P-$r" | grep -vx "${HOLDER[$r]}"); do
		rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${rss:-0}))
		n=$((n + 1))
		names="$names $(cat "/proc/$p/comm" 2>/dev/null)"
	done
	echo "$r: $n processes ($(echo $names | tr ' ' '\n' | sort | uniq -c |
		awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')), RSS $total kB"
}

setup_desc
make_wan
for r in "${ROUTERS[@]}"; do make_holder "$r"; done
make_host h1 a 192.168.201.10 192.168.201.247
make_host h2 c 192.168.200.10 192.168.200.248

# 1. up, LAN to LAN.
all_up
t0=$(date +%s%N)
for _ in $(seq 150); do
	in_ns h1 ping -c1 -W1 192.168.200.10 >/dev/null 2>&1 && break
	sleep 0.2
done
if in_ns h1 ping -c1 -W1 192.168.200.10 >/dev/null 2>&1; then
	ok "LAN1 -> LAN2 through the overlay $(( ($(date +%s%N) - t0) / 1000000 )) ms after up"
else
	bad "LAN1 -> LAN2 never worked"
	in_r a birdc -s "$WORK/run-a/a.bird.ctl" show protocols
	in_r a ip route
fi
for r in "${ROUTERS[@]}"; do echo "  $(resources "$r")"; done
# lanwired processes in router $1's namespace (each keeps a privileged
# helper, lanwired-root, when it drops privileges: not counted).
daemons() {
	for p in $(ip netns pids "$P-$1"); do cat "/proc/$p/comm"; done 2>/dev/null |
		grep -cx lanwired
}
n=$(daemons a)
[ "$n" -eq 2 ] && ok "a runs one lanwired per link (2)" ||
	bad "a runs $n lanwired, not 2"
in_r z1 wg show "${I}k1" peers | wc -l | grep -qx 1 &&
	ok "z1's client interface has its one client only" ||
	bad "z1's client interface: $(in_r z1 wg show "${I}k1" peers | wc -l) peers"
in_ns a ip route show 192.168.200.0/24 | grep -q "unreachable.*metric 4000" &&
	ok "a has the unreachable route below BIRD's" ||
	bad "a lacks the unreachable route for LAN2"

# 2. A second up changes nothing.
for r in "${ROUTERS[@]}"; do
	out=$(lw up "$r" 2>/dev/null)
	if [ "$out" = "$r: nothing to change" ]; then
		ok "second up $r: nothing to change"
	else
		bad "second up $r said: $(echo "$out" | head -3)"
	fi
done
in_ns h1 ping -c1 -W1 192.168.200.10 >/dev/null 2>&1 &&
	ok "LAN1 -> LAN2 still passes after the second up" ||
	bad "LAN1 -> LAN2 broken by the second up"

# 3. down leaves nothing, and touches no other namespace's daemons: both
# ends of a link run "lanwired IFACE" with the same IFACE.
before=$(daemons z1)
lw down a >"$WORK/down-a.out" 2>&1 || bad "down a: $(tail -2 "$WORK/down-a.out")"
after=$(daemons z1)
[ "$before" -eq "$after" ] && ok "down a left z1's $after lanwired alone" ||
	bad "down a: z1 had $before lanwired, now $after"
for r in z1 z2 c; do
	lw down "$r" >"$WORK/down-$r.out" 2>&1 || bad "down $r: $(tail -2 "$WORK/down-$r.out")"
done
sleep 0.5
for r in "${ROUTERS[@]}"; do
	left=$(leftovers "$r")
	[ -z "$left" ] && ok "down $r left nothing" || bad "down $r left:$left"
done
out=$(lw down a 2>&1) && ok "a second down: ${out#lanwire: }" ||
	bad "a second down failed: $out"

# 4. Failed ups leave nothing: a BIRD that refuses every configuration
# (before anything changes), then one that does not start (after the
# routes and links are up).
mkdir "$WORK/fake"
printf '#!/bin/sh\nexit 1\n' >"$WORK/fake/bird"
chmod 755 "$WORK/fake/bird"
if XPATH="$WORK/fake:" lw up a >"$WORK/f1.out" 2>&1; then
	bad "up a with a BIRD refusing its configuration succeeded"
else
	grep -q 'BIRD refuses' "$WORK/f1.out" &&
		ok "up a refused: $(grep 'BIRD refuses' "$WORK/f1.out" | cut -c1-90)..." ||
		bad "up a failed without saying why: $(tail -2 "$WORK/f1.out")"
fi
left=$(leftovers a)
[ -z "$left" ] && ok "the refused up left nothing" || bad "the refused up left:$left"
printf '#!/bin/sh\ncase " $* " in *" -p "*) exec %s "$@" ;; esac\nexit 1\n' \
	"$(command -v bird)" >"$WORK/fake/bird"
if XPATH="$WORK/fake:" lw up a >"$WORK/f2.out" 2>&1; then
	bad "up a with a BIRD that does not start succeeded"
else
	grep -q 'undoing' "$WORK/f2.out" && grep -q 'interface .* created' "$WORK/f2.out" &&
		ok "up a failed after its links were up, and undid them" ||
		bad "up a failed differently: $(tail -3 "$WORK/f2.out")"
fi
sleep 0.5
left=$(leftovers a)
[ -z "$left" ] && ok "the failed up left nothing" || bad "the failed up left:$left"

if grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' \
	"$WORK"/*.out "$WORK"/*.err 2>/dev/null; then
	bad "sanitizer reports in the outputs above"
fi
echo "overlay-up: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
