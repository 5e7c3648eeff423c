#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/soak.sh -- long run (about 3.5 minutes, not part of run.sh unless
# SOAK=1): continuous traffic across REKEY_AFTER_TIME (120 s).  A pings B
# every 0.2 s for SOAK_SECONDS (default 210) while a 2 Mbit/s iperf3 TCP
# stream runs alongside; the session must be re-keyed (a second, later
# latest-handshake seen in `wg show latest-handshakes`) and traffic must keep
# flowing through the rotation: < 1% ping loss, iperf3 completes.
#
#	bash tests/e2e/soak.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ lw<tag>a   192.168.4.1/24         │  tunnel  │ lw<tag>b   192.168.4.2/24         │
#  │ DAEMON_A, listen-port 51820       │<========>│ DAEMON_B, listen-port 51821       │
#  │ ping -i 0.2, iperf3 -c            │          │ iperf3 -s                         │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  └───────────────────────────────────┘          └───────────────────────────────────┘

: "${SOAK_SECONDS:=210}"
: "${E2E_DEADLINE:=$((SOAK_SECONDS + 90))}"
. "$(dirname "$0")/lib.sh"
e2e_init "$@"

pair_daemons
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$PB" allowed-ips $IN4_B/32 endpoint $OUT4_B:$PORT_B
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32 endpoint $OUT4_A:$PORT_A
wg_addr_up A "$IFA" "$IN4_A/24"
wg_addr_up B "$IFB" "$IN4_B/24"
check "tunnel up" ping_ok A $IN4_B
H1=$(peer_field "$IFA" "$PB" handshake)
info "first handshake at $H1"

# Scenario: SOAK_SECONDS of ping and iperf3 across the 120 s rekey.
section "${SOAK_SECONDS}s of traffic across REKEY_AFTER_TIME"
count=$((SOAK_SECONDS * 5))
bg A "$E2E_TMP/ping.out" timeout $((SOAK_SECONDS + 20)) \
	ping -n -q -c $count -i 0.2 -W 2 -w $((SOAK_SECONDS + 10)) $IN4_B
PING_PID=$BG_PID
IPERF_PID=
if command -v iperf3 >/dev/null; then
	bg B "$E2E_TMP/iperf3-s.out" timeout $((SOAK_SECONDS + 30)) iperf3 -s -1 -B $IN4_B -p 5201
	if wait_until 5 eval 'nq B ss -Hltn "sport = :5201" | grep -q LISTEN'; then
		bg A "$E2E_TMP/iperf3-c.out" timeout $((SOAK_SECONDS + 30)) \
			iperf3 -c $IN4_B -p 5201 -t $((SOAK_SECONDS - 5)) -b 2M -f m
		IPERF_PID=$BG_PID
	fi
fi
declare -A seen=([$H1]=1)
for ((i = 0; i < SOAK_SECONDS + 15 && i < 400; i++)); do
	pid_alive "$PING_PID" || break
	h=$(peer_field "$IFA" "$PB" handshake)
	hb=$(peer_field "$IFB" "$PA" handshake)
	[[ -n $h && $h != 0 ]] && seen[$h]=1
	((i % 30 == 0)) && info "t=${i}s latest handshake A=$h B=$hb"
	sleep 1
done
wait "$PING_PID"
say "$(cat "$E2E_TMP/ping.out")"
read -r sent recv < <(awk '/packets transmitted/ { print $1, $4 }' "$E2E_TMP/ping.out")
sent=${sent:-0}
recv=${recv:-0}
check "ping ran the whole time ($sent sent of $count)" test "$sent" -ge $((count * 99 / 100))
if ((sent > 0 && (sent - recv) * 100 < sent)); then
	pass "ping loss < 1% ($((sent - recv)) of $sent lost)"
else
	fail "ping loss < 1%" "$recv of $sent received"
fi
H2=$(peer_field "$IFA" "$PB" handshake)
info "handshakes seen on A: ${!seen[*]}"
check "a second handshake happened (A: first $H1, latest $H2)" test "$H2" -gt "$H1"
check "the re-key came after ~REKEY_AFTER_TIME (>= 100 s after the first)" test "$H2" -ge $((H1 + 100))
if [[ -n $IPERF_PID ]]; then
	wait_until 40 eval '! pid_alive $IPERF_PID'
	wait "$IPERF_PID"
	rc=$?
	check_eq "iperf3 across the rekey exits 0" 0 "$rc"
	info "iperf3: $(grep -a receiver "$E2E_TMP/iperf3-c.out" | tail -n1)"
else
	info "iperf3 not run"
fi
check "daemon A still running" daemon_alive "$IFA"
check "daemon B still running" daemon_alive "$IFB"
check "ping A->B after the soak" ping_ok A $IN4_B
