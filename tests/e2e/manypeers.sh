#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/manypeers.sh -- many peers on one hub, small: DAEMON_A is the
# hub with MANYPEERS_N peers (default 200) set with one `wg setconf`;
# bench/loadpeers plays all of them from one process in the other
# namespace, each from its own address (a local route for the whole
# range, "AnyIP"): they initiate at once (real Noise handshakes, retries
# after REKEY_TIMEOUT + jitter, cookie replies answered), confirm their
# session with a keepalive and send one inner UDP packet each to a sink
# on the hub's tunnel address.  Asserts every peer got a session, the
# hub shows a handshake for every peer and the sink got a packet from
# every peer's tunnel address.  DAEMON_B is not used.
#
#	bash tests/e2e/manypeers.sh DAEMON_A [DAEMON_B]
#
#  ┌──────────── lwt-<tag>-h ────────────┐        ┌──────────── lwt-<tag>-l ───────────┐
#  │ lw<tag>h  10.100.0.1/16  DAEMON_A   │        │ loadpeers run: peer n sends from   │
#  │   N peers: 10.100.0.(2+n)/32        │        │   10.77.128.(1+n):51999            │
#  │ loadpeers sink 10.100.0.1:9999      │        │ local 10.77.128.0/17 dev lo        │
#  │ lv<tag>hl 10.77.0.1/24, port 51820  ├─ veth ─┤ lv<tag>lh 10.77.0.2/24             │
#  │ 10.77.128.0/17 via 10.77.0.2        │        │                                    │
#  └─────────────────────────────────────┘        └────────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${MANYPEERS_N:=200}"
LOADPEERS=${LOADPEERS:-$ROOT/build/bench/loadpeers}
if [[ ! -x $LOADPEERS ]]; then
	pp make -s -C "$ROOT" loadpeers || e2e_die "cannot build loadpeers"
	LOADPEERS=$ROOT/build/bench/loadpeers
fi

IFH=$(ifname h)
section "hub with $MANYPEERS_N peers, $MANYPEERS_N loadpeers peers"
ns_add H L
link_veth H L
addr H "$(veth_name H L)" 10.77.0.1/24
addr L "$(veth_name L H)" 10.77.0.2/24
n H ip route add 10.77.128.0/17 via 10.77.0.2
n L ip route add local 10.77.128.0/17 dev lo
genkey hub
daemon_start H "$DAEMON_A" "$IFH" || exit 1
"$LOADPEERS" conf "$MANYPEERS_N" "$(cat "$(key hub)")" $PORT_A >"$E2E_TMP/hub.conf" ||
	e2e_die "loadpeers conf failed"
check "wg setconf with $MANYPEERS_N peers" n H wg setconf "$IFH" "$E2E_TMP/hub.conf"
n H ip addr add 10.100.0.1/16 dev "$IFH"
n H ip link set "$IFH" up
check_eq "the hub lists $MANYPEERS_N peers" "$MANYPEERS_N" "$(wgq show "$IFH" peers | wc -l)"

bg H "$E2E_TMP/sink.log" "$LOADPEERS" sink 9999 30 "$MANYPEERS_N"
sink_pid=$BG_PID
wait_until 5 grep -qs "^sink: ready" "$E2E_TMP/sink.log"
T=40 n L "$LOADPEERS" run -m burst -n "$MANYPEERS_N" -D -t 25 \
	10.77.0.1 $PORT_A "$(pub hub)" >"$E2E_TMP/run.log" 2>&1
rc=$?
res=$(grep '^loadpeers: mode=burst' "$E2E_TMP/run.log")
info "$res"
check_eq "loadpeers exited 0" 0 "$rc"
check_match "every peer got a session" "sessions=$MANYPEERS_N " "$res"
check_match "no response failed to authenticate" "bad_responses=0 " "$res"

# latest-handshake is column 5 of a peer's dump line.
hs=$(wgq show "$IFH" dump | awk -F'\t' 'NR > 1 && $5 > 0' | wc -l)
check_eq "the hub shows a handshake for every peer" "$MANYPEERS_N" "$hs"
wait_until 5 grep -qs "^sink: packets" "$E2E_TMP/sink.log"
kill_pid "$sink_pid" 2>/dev/null
wait_until 3 grep -qs "^sink: packets" "$E2E_TMP/sink.log"
sink=$(grep '^sink: packets' "$E2E_TMP/sink.log")
info "$sink"
check_match "the sink got data from every peer's tunnel address" " sources=$MANYPEERS_N " "$sink"
