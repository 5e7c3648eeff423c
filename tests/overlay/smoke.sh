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
# shellcheck source=tests/overlay/manual.sh
. "$HERE/manual.sh"
ov_manual_init lwbd "$@"
ROUTERS=(z1 z2 a c)
declare -A HOLDER=() WAN=([z1]=1 [z2]=2 [a]=3 [c]=4)

cleanup() {
	ov_stop_all h1 h2
	[ -n "${KEEP:-}" ] && cp "$WORK/ping" /tmp/lwbd-ping.txt; rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in bird ip wg ping; do
	command -v "$t" >/dev/null || { echo "smoke: no $t"; exit 1; }
done

ov_render "$ROOT/tests/planner/overlay/ha.conf" overlay-ha link-pool ||
	{ echo "smoke: render failed"; exit 1; }
make_wan
for r in "${ROUTERS[@]}"; do make_holder "$r"; done
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
stop_and_check_logs
echo "overlay-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
