#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Overlay smoke test (issue 11, first slice): tests/planner/overlay/ha.conf
# (hubs z1 at cost 10 and z2 at 20, sites LAN1 and LAN2 linked to both)
# rendered by lanwire and run in namespaces lwbd-<tag>-*: one lanwired per
# link, one BIRD per router with its own config, socket and pid file, the
# rendered unreachable routes. Pings every 10 ms from a LAN1 host to a LAN2
# host; the preferred hub's lanwireds and BIRD are killed; the longest gap
# in answered pings is printed (failover_ms), asserted only loosely.
#
# Each router runs in its own mount namespace with a private
# /var/run/wireguard: both ends of a link have the same interface name
# (link-interface + number), and the UAPI socket directory is shared
# machine-wide otherwise.
#
# Usage: smoke.sh [LANWIRE [LANWIRED]]  (default build/lanwire, build/lanwired)
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LANWIRE=$(realpath "${1:-$ROOT/build/lanwire}")
LANWIRED=$(realpath "${2:-$ROOT/build/lanwired}")
TAG=$(printf '%x' $$ | tail -c 4)
P=lwbd-$TAG
WORK=$(mktemp -d)
I=lwbd$TAG
declare -A PIDS=()
# ROUTERS, HOLDER, ok/bad, in_r/in_ns, make_wan/make_host/make_holder,
# gap_ms.
# shellcheck source=tests/overlay/lib.sh
. "$HERE/lib.sh"

cleanup() {
	local r p
	for r in "${!PIDS[@]}"; do
		for p in ${PIDS[$r]}; do kill "$p" 2>/dev/null; done
	done
	ov_del_ns
	[ -n "${KEEP:-}" ] && cp "$WORK/ping" /tmp/lwbd-ping.txt; rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in bird ip wg ping; do
	command -v "$t" >/dev/null || { echo "smoke: no $t"; exit 1; }
done

render() {
	cp -r "$ROOT/tests/planner/keys/overlay-ha" "$WORK/keys"
	chmod 700 "$WORK/keys" && chmod 600 "$WORK/keys"/*
	sed 's/^link-pool = .*/&\nlink-interface = lwbd/' \
		"$ROOT/tests/planner/overlay/ha.conf" >"$WORK/ha.conf"
	"$LANWIRE" -f "$WORK/ha.conf" -k "$WORK/keys" render --all \
		-o "$WORK/out" >/dev/null 2>&1
}

# Router $1: unreachable routes, one lanwired per link, BIRD.
start_router() {
	local r=$1 dir=$WORK/out/$1 f ifc addr
	grep '^ip route' "$dir/overlay-routes.txt" | while read -r line; do
		# shellcheck disable=SC2086 # the rendered line is a command
		in_r "$r" $line
	done
	for f in "$dir"/lwbd*.conf; do
		ifc=$(basename "$f" .conf)
		# nsenter forks: the daemon's PID comes from inside.
		in_r "$r" sh -c 'echo $$ >"$1"; exec env WG_PROCESS_FOREGROUND=1 "$2" -f "$3"' \
			sh "$WORK/$r-$ifc.pid" "$LANWIRED" "$ifc" \
			>"$WORK/$r-$ifc.log" 2>&1 &
		for _ in $(seq 50); do
			[ -s "$WORK/$r-$ifc.pid" ] && break
			sleep 0.1
		done
		PIDS[$r]="${PIDS[$r]:-} $(cat "$WORK/$r-$ifc.pid")"
		for _ in $(seq 50); do
			in_r "$r" test -S "/var/run/wireguard/$ifc.sock" && break
			sleep 0.1
		done
		wg-quick strip "$f" >"$WORK/$r-$ifc.wg" 2>/dev/null
		in_r "$r" wg setconf "$ifc" "$WORK/$r-$ifc.wg" ||
			bad "$r: wg setconf $ifc"
		addr=$(sed -n 's/^Address = //p' "$f")
		in_r "$r" ip addr add "$addr" dev "$ifc"
		in_r "$r" ip link set "$ifc" mtu 1420 up
	done
	# In the foreground, so that this script reaps it.
	in_r "$r" sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$WORK/$r.pid" \
		bird -f -c "$dir/bird.conf" -s "$WORK/$r.ctl" \
		-P "$WORK/$r.bird.pid" >"$WORK/$r.bird.log" 2>&1 &
	for _ in $(seq 20); do [ -s "$WORK/$r.pid" ] && break; sleep 0.1; done
	[ -s "$WORK/$r.pid" ] || bad "$r: bird did not start"
	PIDS[$r]="${PIDS[$r]:-} $(cat "$WORK/$r.pid" 2>/dev/null)"
}

render || { echo "smoke: render failed"; exit 1; }
make_wan
for r in "${ROUTERS[@]}"; do
	in_ns "$r" sysctl -q -w net.ipv4.ip_forward=1
	make_holder "$r"
done
make_host h1 a 192.168.201.10 192.168.201.247
make_host h2 c 192.168.200.10 192.168.200.248
for r in "${ROUTERS[@]}"; do start_router "$r"; done

t0=$(date +%s%N)
for _ in $(seq 150); do
	in_ns h1 ping -c1 -W1 192.168.200.10 >/dev/null 2>&1 && break
	sleep 0.2
done
if in_ns h1 ping -c1 -W1 192.168.200.10 >/dev/null 2>&1; then
	ok "LAN1 -> LAN2 through the overlay after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
	bad "LAN1 -> LAN2 never worked"
	for r in "${ROUTERS[@]}"; do
		echo "--- $r"; in_r "$r" birdc -s "$WORK/$r.ctl" show protocols
		in_r "$r" ip route
	done
	exit 1
fi
# Costs: both directions through z1 (10 + 10 < 20 + 20).
# (OSPF may first find the path through z2, then z1's adjacency comes up.)
for _ in $(seq 100); do
	route=$(in_r a ip route get 192.168.200.10 | head -1)
	case $route in *lwbd1*) break ;; esac
	sleep 0.2
done
case $route in
*lwbd1*) ok "a routes LAN2 through z1 (lwbd1): $route" ;;
*) bad "a routes LAN2 elsewhere: $route" ;;
esac
# Let every adjacency settle (BFD sessions up) before the failure.
sleep 3
in_ns h1 ping -D -n -i 0.01 -w 8 192.168.200.10 >"$WORK/ping" 2>&1 &
pinger=$!
sleep 3
for p in ${PIDS[z1]}; do kill -9 "$p" 2>/dev/null; done
unset 'PIDS[z1]'
wait "$pinger" 2>/dev/null
gap=$(gap_ms "$WORK/ping")
answered=$(grep -c 'bytes from' "$WORK/ping")
unreach=$(grep -c 'Unreachable' "$WORK/ping")
echo "failover_ms=$gap (hub z1's lanwireds and BIRD killed; $answered answers, $unreach unreachable)"
route=$(in_r a ip route get 192.168.200.10 | head -1)
case $route in
*lwbd2*) ok "a routes LAN2 through z2 (lwbd2) now: $route" ;;
*) bad "a did not fail over to z2: $route" ;;
esac
# Pings every 10 ms: a gap of 50 ms or more says the failure was seen.
if [ "$gap" -ge 50 ] && [ "$gap" -lt 10000 ]; then
	ok "failover gap $gap ms, within the loose bound (10 s)"
else
	bad "failover gap $gap ms"
fi
tail -n 2 "$WORK/ping" | head -1 | grep -q ' 0 received' &&
	bad "no answers at all" || ok "pings answered after the failure"
# Stop the rest, then read the daemons' logs for sanitizer reports.
for r in "${!PIDS[@]}"; do
	for p in ${PIDS[$r]}; do kill "$p" 2>/dev/null; done
done
PIDS=()
sleep 1
if grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' \
	"$WORK"/*.log 2>/dev/null; then
	bad "sanitizer reports in the logs above"
else
	ok "no sanitizer reports in $(ls "$WORK"/*.log | wc -l) daemon logs"
fi
echo "overlay-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
