#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/manypeers.sh -- many peers on one hub (issue 14, item 3), for each
# implementation in the same run: a hub namespace runs the daemon under
# test with N peers (MANYPEERS_COUNTS, default "1000 10000"); bench/
# loadpeers plays all N from one process in a second namespace, each peer
# from its own address on one veth (real Noise handshakes, cookie replies
# answered with mac2, retries after REKEY_TIMEOUT + jitter, transport data
# sealed with the session keys). Figures per N and implementation:
#   setconf_s   `wg setconf` of the N-peer configuration
#   burst_s     every peer initiates at once: time until the last session
#   hs_per_s    N / burst_s
#   mbit        MANYPEERS_SENDERS (100) peers send MTU-sized packets at once
#               for MANYPEERS_DATA_SECONDS (10): inner Mbit/s the hub
#               delivered to a sink on its tunnel address
#   restart_s   the hub is killed and started again (daemon start, setconf,
#               link up): time from the kill until every peer has a session
#               again, each peer noticing at a random moment of one
#               REKEY_TIMEOUT and retrying as the whitepaper says
#   rss_mib     the hub's peak RSS (VmHWM), the larger of its two lives
#   cookies     cookie replies the peers got in the burst and the restart
#
#	bash bench/manypeers.sh [DAEMON...]
#
# DAEMON defaults to build/lanwired, /usr/bin/wireguard-go and
# /work/shared/ref/wireguard-go-0.0.20250522 (MANYPEERS_REF); a missing one
# is skipped with a message. Prints bench.manypeers.<N>.<figure>.<impl>=V
# lines, then a table. Needs root. Namespaces lwld-<tag>-h/-l (NSPREFIX, if set, instead of
# lwld), removed on exit. MANYPEERS_TIMEOUT (default 1200 s) bounds the whole run.
#
#  ┌─────────── lwld-<tag>-h ───────────┐        ┌────────── lwld-<tag>-l ──────────┐
#  │ lwld<tag>  10.100.0.1/16 DAEMON    │        │ loadpeers run: peer n sends from │
#  │ loadpeers sink 10.100.0.1:9999     │        │  10.77.128.(1+n), port 51999     │
#  │ lwld<tag>hl 10.77.0.1/24 port 51820├─ veth ─┤ lwld<tag>lh 10.77.0.2/24         │
#  │ 10.77.128.0/17 via 10.77.0.2       │        │ local 10.77.128.0/17 dev lo      │
#  └────────────────────────────────────┘        └──────────────────────────────────┘
set -u
umask 077
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${MANYPEERS_COUNTS:=1000 10000}"
: "${MANYPEERS_SENDERS:=100}"
: "${MANYPEERS_DATA_SECONDS:=10}"
: "${MANYPEERS_TIMEOUT:=1200}"
: "${MANYPEERS_REF:=/work/shared/ref/wireguard-go-0.0.20250522}"
LOADPEERS=${LOADPEERS:-$ROOT/build/bench/loadpeers}
PORT=51820

((EUID == 0)) || { echo "manypeers: needs root (network namespaces)" >&2; exit 1; }
if [[ ! -x $LOADPEERS ]]; then
	make -s -C "$ROOT" loadpeers || { echo "manypeers: cannot build loadpeers" >&2; exit 1; }
	LOADPEERS=$ROOT/build/bench/loadpeers
fi

impls=("$@")
if ((${#impls[@]} == 0)); then
	impls=("$ROOT/build/lanwired" /usr/bin/wireguard-go "$MANYPEERS_REF")
fi

TAG=$(printf '%x' $(($$ % 65536)))
P=${NSPREFIX:-lwld}
[[ $P =~ ^[a-z][a-z0-9]{0,5}$ ]] || { echo "manypeers: NSPREFIX must be 1-6 lower-case letters or digits" >&2; exit 1; }
NSH=$P-$TAG-h NSL=$P-$TAG-l IFH=$P$TAG VH=$P${TAG}hl VL=$P${TAG}lh
TMP=$(mktemp -d /tmp/lwld-manypeers.XXXXXX)
HUB_PID= TOOL_PID= SINK_PID= WATCHDOG=

kill_wait() # PID: TERM, then KILL after 5 s
{
	local pid=$1 i
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup()
{
	kill_wait "$TOOL_PID"; kill_wait "$SINK_PID"; kill_wait "$HUB_PID"
	[[ -n $WATCHDOG ]] && kill "$WATCHDOG" 2>/dev/null
	ip netns del "$NSH" 2>/dev/null
	ip netns del "$NSL" 2>/dev/null
	rm -f "/var/run/wireguard/$IFH.sock"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

me=$$
( sleep "$MANYPEERS_TIMEOUT"; echo "manypeers: still running after ${MANYPEERS_TIMEOUT}s, aborting" >&2
  kill -TERM "$me" ) </dev/null >/dev/null 2>&1 &
WATCHDOG=$!

inh() { ip netns exec "$NSH" "$@"; }
inl() { ip netns exec "$NSL" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
field() { sed -n "s/.*[ :]$1=\([^ ]*\).*/\1/p" <<<"$2" | tail -n 1; }

setup_net()
{
	ip netns add "$NSH" && ip netns add "$NSL" || return 1
	inh ip link set lo up; inl ip link set lo up
	ip link add "$VH" netns "$NSH" type veth peer name "$VL" netns "$NSL" || return 1
	inh ip addr add 10.77.0.1/24 dev "$VH"; inh ip link set "$VH" up
	inl ip addr add 10.77.0.2/24 dev "$VL"; inl ip link set "$VL" up
	inh ip route add 10.77.128.0/17 via 10.77.0.2
	inl ip route add local 10.77.128.0/17 dev lo
}

impl_label() # DAEMON
{
	if timeout 5 "$1" --version 2>&1 | grep -q '^lanwired'; then
		[[ $1 == "$ROOT/build/lanwired" ]] && echo lanwired ||
			echo "lanwired-$(basename "$(dirname "$(dirname "$1")")")"
	elif [[ $1 == /usr/bin/wireguard-go ]]; then
		echo wggo-debian
	else
		basename "$1" | sed 's/^wireguard-go-0\.0\./wggo-/'
	fi
}

# Background commands run through ip netns exec itself (it execs them), never
# through inh/inl, so the PID is the program's own.
# hub_start DAEMON: the daemon in the hub namespace, its interface
# configured from $TMP/hub.conf; sets HUB_PID and SETCONF_S.
hub_start()
{
	local i t0
	ip netns exec "$NSH" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error "$1" -f "$IFH" \
		>>"$TMP/hub.log" 2>&1 </dev/null &
	HUB_PID=$!
	for ((i = 0; i < 100; i++)); do
		[[ -S /var/run/wireguard/$IFH.sock ]] && inh ip link show "$IFH" >/dev/null 2>&1 && break
		sleep 0.1
	done
	t0=$(now)
	timeout 120 ip netns exec "$NSH" wg setconf "$IFH" "$TMP/hub.conf" || return 1
	SETCONF_S=$(since "$t0")
	inh ip addr add 10.100.0.1/16 dev "$IFH" && inh ip link set "$IFH" up
}

hub_stop()
{
	kill_wait "$HUB_PID"
	HUB_PID=
	rm -f "/var/run/wireguard/$IFH.sock"
}

hwm_mib() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

declare -A R=()
# put N FIGURE IMPL VALUE
put() { R[$1.$2.$3]=$4; echo "bench.manypeers.$1.$2.$3=$4"; }

# one DAEMON LABEL N: every figure for one implementation and peer count.
one()
{
	local d=$1 l=$2 nn=$3 out burst data sink rst rss1 rss2 t_kill i
	local pub tmo=$((nn / 200 + 60))
	wg genkey >"$TMP/hub.key"; pub=$(wg pubkey <"$TMP/hub.key")
	"$LOADPEERS" conf "$nn" "$(cat "$TMP/hub.key")" $PORT >"$TMP/hub.conf" || return 1
	: >"$TMP/hub.log"
	hub_start "$d" || { echo "manypeers: $l: hub did not start" >&2; hub_stop; return 1; }
	put "$nn" setconf_s "$l" "$SETCONF_S"
	out=$TMP/run.log
	ip netns exec "$NSL" "$LOADPEERS" run -m restart -n "$nn" -t "$tmo" 10.77.0.1 $PORT "$pub" >"$out" 2>&1 &
	TOOL_PID=$!
	for ((i = 0; i < tmo * 10; i++)); do
		grep -q '^loadpeers: ready' "$out" && break
		kill -0 "$TOOL_PID" 2>/dev/null || break
		sleep 0.1
	done
	burst=$(grep '^loadpeers: mode=burst' "$out")
	echo "# $l N=$nn $burst"
	put "$nn" burst_s "$l" "$(field seconds "$burst")"
	put "$nn" hs_per_s "$l" "$(field hs_per_s "$burst")"
	if ! grep -q '^loadpeers: ready' "$out"; then
		echo "manypeers: $l: not every peer got a session; loadpeers said:" >&2
		tail -n 5 "$out" >&2
		kill_wait "$TOOL_PID"; TOOL_PID=; hub_stop; return 1
	fi
	# (c) 100 peers at once, to a sink on the hub's tunnel address.
	ip netns exec "$NSH" "$LOADPEERS" sink 9999 $((MANYPEERS_DATA_SECONDS + 30)) >"$TMP/sink.log" 2>&1 &
	SINK_PID=$!
	for ((i = 0; i < 50; i++)); do grep -q ready "$TMP/sink.log" && break; sleep 0.1; done
	data=$(inl "$LOADPEERS" run -m data -P "$MANYPEERS_SENDERS" -p 51998 \
		-d "$MANYPEERS_DATA_SECONDS" 10.77.0.1 $PORT "$pub" 2>&1 | grep '^loadpeers: mode=data')
	sleep 1
	kill_wait "$SINK_PID"; SINK_PID=
	sink=$(grep '^sink: packets' "$TMP/sink.log")
	echo "# $l N=$nn $data"
	echo "# $l N=$nn $sink"
	put "$nn" mbit "$l" "$(field mbit "$sink")"
	# (a) restart.
	rss1=$(hwm_mib "$HUB_PID")
	kill -USR1 "$TOOL_PID"
	t_kill=$(now)
	hub_stop
	hub_start "$d" || { echo "manypeers: $l: hub did not restart" >&2; }
	echo "# $l N=$nn restart: hub up and configured after $(since "$t_kill") s"
	wait "$TOOL_PID"
	TOOL_PID=
	rst=$(grep '^loadpeers: mode=restart' "$out")
	echo "# $l N=$nn $rst"
	[[ $(field sessions "$rst") == "$nn" ]] && put "$nn" restart_s "$l" "$(field seconds "$rst")" ||
		put "$nn" restart_s "$l" "fail"
	put "$nn" cookies "$l" "$((10#0$(field cookies "$burst") + 10#0$(field cookies "$rst")))"
	rss2=$(hwm_mib "$HUB_PID")
	put "$nn" rss_mib "$l" "$(awk -v a="${rss1:-0}" -v b="${rss2:-0}" 'BEGIN { print (a > b ? a : b) }')"
	hub_stop
}

echo "# manypeers: $(uptime)"
setup_net || { echo "manypeers: cannot build the namespaces" >&2; exit 1; }
labels=()
for d in "${impls[@]}"; do
	if [[ ! -x $d ]]; then
		echo "manypeers: $d is absent, skipped"
		continue
	fi
	labels+=("$(impl_label "$d")")
done
for nn in $MANYPEERS_COUNTS; do
	k=0
	for d in "${impls[@]}"; do
		[[ -x $d ]] || continue
		l=${labels[k]}; k=$((k + 1))
		one "$d" "$l" "$nn" || echo "manypeers: $l with $nn peers failed"
	done
done
echo "# manypeers: done $(uptime)"

printf '\n%-7s %-10s' peers figure
printf ' %16s' "${labels[@]}"
echo
for nn in $MANYPEERS_COUNTS; do
	for f in setconf_s burst_s hs_per_s mbit restart_s rss_mib cookies; do
		printf '%-7s %-10s' "$nn" "$f"
		for l in "${labels[@]}"; do printf ' %16s' "${R[$nn.$f.$l]:--}"; done
		echo
	done
done
