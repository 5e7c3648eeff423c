#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The overlay's cost on one router (issue 11: "BIRD's and lanwired's
# resource cost per router (processes, RSS) for a hub with 2 hubs + 20
# sites"). Writes a description with hubs h1 (cost 10) and h2 (cost 20)
# and sites S1..S20 (each on both hubs: 41 links, 21 of them h1's), makes
# its keys, and brings hub h1 up with `lanwire up h1` in a namespace
# lwsc-<tag>-h1 (a private mount namespace for /var/run/wireguard).
#
#   PEERS=none (default): nothing else runs; h1's links have no live peer
#     (no handshake, no OSPF neighbour, BFD sessions Down). RSS of idle
#     links.
#   PEERS=sites: the 20 site gateways are brought up too (`lanwire up`
#     each, in its own namespace on a bridge with h1), so h1's 20 site
#     links carry OSPF and BFD (100 ms x 3) to live peers; h2 stays down.
#
# Prints, for h1 after SETTLE seconds (default 15): processes and RSS in
# all and per kind (bird, lanwired, its privileged helper lanwired-root),
# CPU time they used over the next 10 s, and OSPF neighbours Full / BFD
# sessions Up. Not in make check.
#
# Usage: sudo bench/overlay-scale.sh [LANWIRE [LANWIRED]]
#   env PEERS=none|sites, SETTLE=seconds, OV_PREFIX (default lwsc)
set -u

OV_PREFIX=${OV_PREFIX:-lwsc}
PEERS=${PEERS:-none}
SETTLE=${SETTLE:-15}
N_SITES=20
# shellcheck source=tests/overlay/lib.sh
. "$(dirname "$0")/../tests/overlay/lib.sh"
ov_init "$@"
OV_DESC=$WORK/scale.conf
ROUTERS=(h1)
declare -A WAN=([h1]=1)
if [ "$PEERS" = sites ]; then
	for i in $(seq "$N_SITES"); do
		ROUTERS+=("g$i")
		WAN[g$i]=$((10 + i))
	done
elif [ "$PEERS" != none ]; then
	echo "PEERS=$PEERS: none or sites" >&2
	exit 2
fi
trap ov_cleanup EXIT
trap 'exit 1' INT TERM
ov_need bird birdc ip wg nsenter unshare

write_desc() {
	local i
	cat <<EOF
[network]
name = scale
tunnel = 10.80.0.0/16
infra-pool = 10.80.0.0/24
link-pool = 10.80.255.0/24
link-interface = $I
keepalive = 15

[hub h1]
endpoint = 203.0.113.1:51820
cost = 10
address = 10.80.0.1
listen-port = 51820

[hub h2]
endpoint = 203.0.113.2:51820
cost = 20
address = 10.80.0.2
listen-port = 51820
EOF
	for i in $(seq "$N_SITES"); do
		printf '\n[site S%d]\ngateway = g%d\nlan = 10.81.%d.0/24\naddress = 10.80.0.%d\n' \
			"$i" "$i" "$i" $((10 + i))
	done
	# A ring of site pairs, so that every site is in the policy.
	printf '\n[policy]\n'
	for i in $(seq "$N_SITES"); do
		printf 'allow = S%d <-> S%d\n' "$i" $((i % N_SITES + 1))
	done
}

# Processes of router $1 (holder excluded) as "comm pid" lines.
procs() {
	local p
	for p in $(ip netns pids "$P-$1" | grep -vx "${HOLDER[$1]}"); do
		echo "$(cat "/proc/$p/comm" 2>/dev/null) $p"
	done
}

# CPU ticks (utime + stime) of the pids on stdin, summed.
ticks() {
	local p t=0
	while read -r _ p; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

write_desc >"$OV_DESC"
mkdir -m 700 "$WORK/keys"
"$LANWIRE" -f "$OV_DESC" -k "$WORK/keys" keys >/dev/null 2>&1 ||
	{ echo "overlay-scale: lanwire keys failed"; exit 1; }
"$LANWIRE" -f "$OV_DESC" -k "$WORK/keys" check >/dev/null ||
	{ echo "overlay-scale: check failed"; exit 1; }
make_wan
for r in "${ROUTERS[@]}"; do make_holder "$r"; done
t0=$(date +%s%N)
lw up h1 >"$WORK/up-h1.out" 2>"$WORK/up-h1.err" ||
	{ echo "up h1 failed: $(tail -3 "$WORK/up-h1.err")"; exit 1; }
echo "up h1: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(wc -l <"$WORK/up-h1.out") changes"
for r in "${ROUTERS[@]:1}"; do
	lw up "$r" >"$WORK/up-$r.out" 2>"$WORK/up-$r.err" ||
		echo "up $r failed: $(tail -2 "$WORK/up-$r.err")"
done
links=$(in_r h1 ip -o link | grep -cE ": ${I}[0-9]+:")
echo "h1: $links link interfaces; peers: $PEERS"
sleep "$SETTLE"

procs h1 >"$WORK/procs"
resources h1
declare -A T0=()
for k in bird lanwired lanwired-root; do T0[$k]=$(grep "^$k " "$WORK/procs" | ticks); done
sleep 10
hz=$(getconf CLK_TCK)
all=0
for k in bird lanwired lanwired-root; do
	t=$(( $(grep "^$k " "$WORK/procs" | ticks) - T0[$k] ))
	all=$((all + t))
	echo "  $k: $(grep -c "^$k " "$WORK/procs") processes, CPU over 10 s $((t * 1000 / hz)) ms"
done
echo "h1: CPU over 10 s $((all * 1000 / hz)) ms in all ($(awk -v t="$all" -v hz="$hz" 'BEGIN { printf "%.1f", t / hz / 10 * 100 }') % of one core)"
sock=$WORK/run-h1/h1.bird.ctl
echo "h1: OSPF neighbours Full: $(in_r h1 birdc -s "$sock" show ospf neighbors | grep -c 'Full/PtP');" \
	"BFD sessions Up: $(in_r h1 birdc -s "$sock" show bfd sessions | grep -cw Up)"
