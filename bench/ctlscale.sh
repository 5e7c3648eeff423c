#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/ctlscale.sh -- one hub's `lanwire serve` with N simulated agents
# holding requests open (issue 12, "a scale figure in make bench"):
#
#  ┌──────────────────────────── lwro-<tag> ─────────────────────────────┐
#  │ lanwire serve z --store STORE   listening on 10.99.0.1 tcp/8471     │
#  │ bench/ctlscale: N agents, agent i sending from 10.99.(64+i/250).(1+i%250)
#  │ local 10.99.0.0/16 dev lo  (every tunnel address is this host's)    │
#  └─────────────────────────────────────────────────────────────────────┘
#
# The description is real (a hub and N Linux clients, each with its own
# tunnel address), its keys made by `lanwire keys`, every state signed by
# `lanwire publish`. serve tells nodes apart by the source address of a
# request; through WireGuard that is the peer's tunnel address. Here the
# namespace's loopback owns the whole tunnel prefix (an AnyIP local
# route), so agent i's requests come from node i's tunnel address without
# N WireGuard sessions: the figure is serve's, not the tunnel's. The
# agents (bench/ctlscale.c, libcurl multi, one process) do on the wire
# what lanwire agent does -- a long poll, the envelope, POST /applied with
# a report, the next long poll -- but neither verify nor apply.
#
# Then the network's MTU is edited (every node's state changes) and
# published again. Figures, as bench.ctlscale.<N>.<figure>=V lines:
#   publish_ms        `lanwire publish` of the N+1 states (signing included)
#   all_got_ms        from the start of that publish until the last agent
#                     has its new envelope (publish to all applied, as far
#                     as serve is concerned)
#   spread_ms         first to last agent getting it
#   all_reported_ms   from the start of the publish until serve has
#                     answered every agent's report (written to disk)
#   hold_cpu_pct      serve's CPU (user+system, % of one core) over
#                     CTLSCALE_HOLD_S seconds with all N requests held
#   round_cpu_s       serve's CPU seconds from the publish to the last report
#   rss_mib           serve's peak RSS (VmHWM) with N held and after the round
#   threads           serve's threads with N held (one per connection)
#   errors            requests that failed
#
#	bash bench/ctlscale.sh [LANWIRE [CTLSCALE]]
#
# Defaults: build/lanwire, build/bench/ctlscale (make ctlscale);
# CTLSCALE_AGENTS (1000; a description holds at most 1,024 nodes),
# CTLSCALE_HOLD_S (10). Exit 1 if any request failed or a report is
# missing (make check runs 50 agents: step ctl-scale). Needs root. The namespace lwro-<tag>-s (NSPREFIX, if
# set, instead of lwro) is removed on exit; serve and the client are ended by PID.
set -u
umask 077
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LANWIRE=$(readlink -f "${1:-$ROOT/build/lanwire}")
CLIENT=$(readlink -f "${2:-$ROOT/build/bench/ctlscale}")
N=${CTLSCALE_AGENTS:-1000}
HOLD_S=${CTLSCALE_HOLD_S:-10}
TAG=$(printf '%05x' $(($$ % 1048576)))
P=${NSPREFIX:-lwro}
[[ $P =~ ^[a-z][a-z0-9]{0,5}$ ]] || { echo "ctlscale: NSPREFIX must be 1-6 lower-case letters or digits" >&2; exit 1; }
NS=$P-$TAG-s
tmp=$(mktemp -d /tmp/lwro-ctlscale.XXXXXX)
pids=()
say() { echo "$*" >&2; }
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	[ -n "${KEEP:-}" ] && say "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
now() { date +%s%3N; }
die() { say "ctlscale: $*"; echo "ctlscale: 0 passed, 1 failed"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (a network namespace)"
[ -x "$LANWIRE" ] || die "no $LANWIRE (make)"
[ -x "$CLIENT" ] || die "no $CLIENT (make ctlscale)"
[ "$N" -ge 1 ] && [ "$N" -le 1023 ] || die "CTLSCALE_AGENTS from 1 to 1023 (a description holds up to 1024 nodes)"

# The description: hub z at 10.99.0.1, client i at 10.99.(64 + i/250).(1 + i%250).
addr_of() { echo "10.99.$((64 + $1 / 250)).$((1 + $1 % 250))"; }
write_conf() { # MTU
	local i
	{
		printf '[network]\nname = ctlscale\ntunnel = 10.99.0.0/16\n'
		printf 'infra-pool = 10.99.0.0/24\nclient-pool = 10.99.64.0/18\nmtu = %s\n\n' "$1"
		printf '[hub z]\nendpoint = 192.0.2.1:51820\naddress = 10.99.0.1\nlisten-port = 51820\n'
		printf 'service = tcp/8471 -> agents\n\n'
		for ((i = 0; i < N; i++)); do
			printf '[client c%d]\naddress = %s\ngroup = agents\n\n' "$i" "$(addr_of $i)"
		done
		printf '[policy]\nallow = agents -> z\n'
	} >"$tmp/net.conf"
}
for ((i = 0; i < N; i++)); do addr_of $i; done >"$tmp/addrs"
write_conf 1400
"$LANWIRE" -f "$tmp/net.conf" keys >/dev/null 2>"$tmp/keys.err" || die "lanwire keys: $(tail -n 3 "$tmp/keys.err")"
"$LANWIRE" -f "$tmp/net.conf" publish --store "$tmp/store" >"$tmp/publish1.out" 2>&1 ||
	die "publish: $(tail -c 300 "$tmp/publish1.out")"

ip netns add "$NS" || die "cannot make namespace $NS"
ip -n "$NS" link set lo up
ip -n "$NS" route add local 10.99.0.0/16 dev lo
ip netns exec "$NS" "$LANWIRE" -f "$tmp/net.conf" serve z --store "$tmp/store" >"$tmp/serve.log" 2>&1 &
pids+=($!)
SERVE=$!
for i in $(seq 50); do grep -q listening "$tmp/serve.log" && break; sleep 0.1; done
grep -q listening "$tmp/serve.log" || die "serve did not start: $(cat "$tmp/serve.log")"
ip netns exec "$NS" "$CLIENT" 10.99.0.1 "$tmp/addrs" >"$tmp/client.log" 2>&1 &
pids+=($!)
CLIENT_PID=$!
wait_line() { # REGEX TENTHS
	local i
	for ((i = 0; i < $2; i++)); do
		grep -qE "$1" "$tmp/client.log" && return 0
		kill -0 "$CLIENT_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
t_start=$(now)
wait_line '^ready ' 1200 || die "the agents did not all get epoch 1: $(cat "$tmp/client.log")"
say "ctlscale: $N agents have epoch 1 after $(($(now) - t_start)) ms; holding"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVE/stat"; }
status_kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVE/status"; }
HZ=$(getconf CLK_TCK)
sleep 1 # every agent has asked again
c0=$(cpu_ticks)
sleep "$HOLD_S"
c1=$(cpu_ticks)
threads=$(status_kib Threads)
rss_held=$(status_kib VmHWM)
hold_pct=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v s="$HOLD_S" 'BEGIN {printf "%.1f", 100 * d / hz / s}')

write_conf 1380
c2=$(cpu_ticks)
t0=$(now)
"$LANWIRE" -f "$tmp/net.conf" publish --store "$tmp/store" >"$tmp/publish2.out" 2>&1 ||
	die "publish: $(tail -c 300 "$tmp/publish2.out")"
t1=$(now)
wait_line '^reported ' 1200 || die "the agents did not all get and report epoch 2: $(cat "$tmp/client.log")"
c3=$(cpu_ticks)
rss=$(status_kib VmHWM)
read -r _ _ _ first last < <(grep '^got ' "$tmp/client.log")
read -r _ _ reported < <(grep '^reported ' "$tmp/client.log")
read -r _ errors < <(grep '^errors ' "$tmp/client.log")
reports=$(ls "$tmp/store/reports" | wc -l)
[ "$reports" -eq "$N" ] || say "ctlscale: $reports reports on disk, not $N"

k=bench.ctlscale.$N
echo "$k.publish_ms=$((t1 - t0))"
echo "$k.all_got_ms=$((last - t0))"
echo "$k.spread_ms=$((last - first))"
echo "$k.all_reported_ms=$((reported - t0))"
echo "$k.hold_cpu_pct=$hold_pct"
echo "$k.round_cpu_s=$(awk -v d=$((c3 - c2)) -v hz="$HZ" 'BEGIN {printf "%.2f", d / hz}')"
echo "$k.rss_mib=$(awk -v r="$rss" 'BEGIN {printf "%.1f", r / 1024}')"
echo "$k.rss_held_mib=$(awk -v r="$rss_held" 'BEGIN {printf "%.1f", r / 1024}')"
echo "$k.threads=$threads"
echo "$k.errors=$errors"
echo "$k.load=$(cut -d' ' -f1 /proc/loadavg)"
# the smoke run in make check (step ctl-scale) fails on these, never on a time
if [ "$errors" = 0 ] && [ "$reports" -eq "$N" ]; then
	say "ctlscale: $N agents, every one got its new envelope and reported"
	echo "ctlscale: 1 passed, 0 failed"
else
	say "ctlscale: $errors errors, $reports of $N reports"
	echo "ctlscale: 0 passed, 1 failed"
	exit 1
fi
