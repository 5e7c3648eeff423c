#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/tcp.sh -- bulk TCP through the tunnel: 50 MiB of random data each
# way with netcat (netcat-openbsd), compared by SHA-256, then a short iperf3
# run each way for a throughput figure (reported, only required to be > 0).
#
#	bash tests/e2e/tcp.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ lw<tag>a   192.168.4.1/24         │  tunnel  │ lw<tag>b   192.168.4.2/24         │
#  │            fd42::1/64             │<========>│            fd42::2/64             │
#  │ DAEMON_A, listen-port 51820       │          │ DAEMON_B, listen-port 51821       │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  └───────────────────────────────────┘          └───────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

: "${TCP_MB:=50}"
TCP_PORT=5001

pair_daemons
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$(pub b)" allowed-ips $IN4_B/32,$IN6_B/128 endpoint $OUT4_B:$PORT_B
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$(pub a)" allowed-ips $IN4_A/32,$IN6_A/128 endpoint $OUT4_A:$PORT_A
wg_addr_up A "$IFA" "$IN4_A/24" "$IN6_A/64"
wg_addr_up B "$IFB" "$IN4_B/24" "$IN6_B/64"
check "tunnel up: ping A->B" ping_ok A $IN4_B

say "[+] head -c ${TCP_MB}M /dev/urandom > $E2E_TMP/payload"
head -c "${TCP_MB}M" /dev/urandom >"$E2E_TMP/payload"
want=$(sha256sum <"$E2E_TMP/payload" | cut -d' ' -f1)

listening() { nq "$1" ss -Hltn "sport = :$TCP_PORT" | grep -q LISTEN; }

# transfer FROM TO DST_ADDR LABEL: nc -l on TO, nc -N from FROM, compare sums.
transfer()
{
	local from=$1 to=$2 dst=$3 label=$4 out=$E2E_TMP/recv.$1$2 rpid t0 t1 got size
	rm -f "$out"
	bg "$to" "$out" timeout 120 nc -l "$dst" $TCP_PORT
	rpid=$BG_PID
	if ! wait_until 5 listening "$to"; then
		fail "$label: receiver listening" "nc -l on $to not listening after 5 s"
		return
	fi
	t0=$(date +%s.%N)
	T=120 n "$from" nc -N "$dst" $TCP_PORT <"$E2E_TMP/payload"
	wait_until 20 eval '! pid_alive '"$rpid"
	wait "$rpid" 2>/dev/null
	t1=$(date +%s.%N)
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	got=$(sha256sum <"$out" | cut -d' ' -f1)
	check_eq "$label: $TCP_MB MiB received intact (size)" "$((TCP_MB * 1048576))" "$size"
	check_eq "$label: sha256 matches" "$want" "$got"
	info "$label: $(awk -v a="$t0" -v b="$t1" -v s="$size" 'BEGIN { printf "%.1f s, %.0f Mbit/s", b - a, s * 8 / (b - a) / 1e6 }')"
}

# Scenario: 50 MiB A->B over inner IPv4.
section "nc A->B over inner IPv4"
transfer A B $IN4_B "nc A->B IPv4"

# Scenario: 50 MiB B->A over inner IPv6.
section "nc B->A over inner IPv6"
transfer B A $IN6_A "nc B->A IPv6"

# Scenario: lanwired's crypto threads (README "Crypto threads"): as many
# as LANWIRE_THREADS says or one per online CPU (at most 9), and after
# 100 MiB of bulk TCP the helpers have done some of the AEAD (their CPU
# time is not zero), while the data above arrived intact and in order.
threads_expected()
{
	local n=${LANWIRE_THREADS:-}
	[[ $n =~ ^[1-9]$ ]] || n=$(nproc)
	((n > 9)) && n=9
	printf '%s' "$n"
}

# helper_ticks PID: utime+stime of every thread but the first (the loop).
helper_ticks()
{
	local t sum=0
	for t in /proc/"$1"/task/*; do
		[[ ${t##*/} == "$1" ]] && continue
		sum=$((sum + $(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null || echo 0)))
	done
	printf '%s' "$sum"
}

for role in A B; do
	d=DAEMON_$role ifc=$IFA
	[[ $role == B ]] && ifc=$IFB
	is_lanwired "${!d}" || continue
	section "crypto threads of lanwired in $role"
	pid=$(daemon_pid "$ifc")
	want=$(threads_expected)
	check_eq "$role: $want crypto thread(s) (tasks of PID $pid)" "$want" \
		"$(find /proc/"$pid"/task -mindepth 1 -maxdepth 1 | wc -l)"
	if ((want > 1)); then
		ticks=$(helper_ticks "$pid")
		info "$role: helper threads used $ticks clock ticks"
		check "$role: helper threads did some of the crypto" test "$ticks" -gt 0
	fi
done

# Scenario: iperf3 for 3 s each way, throughput reported.
section "iperf3 A->B and B->A (reverse)"
if command -v iperf3 >/dev/null; then
	bg B "$E2E_TMP/iperf3-server" iperf3 -s -1 -B $IN4_B -p 5201
	ipid=$BG_PID
	if wait_until 5 eval 'nq B ss -Hltn "sport = :5201" | grep -q LISTEN'; then
		out=$(T=20 n A iperf3 -c $IN4_B -p 5201 -t 3 -f m 2>&1)
		bps=$(awk '/receiver/ { print $(NF-2) }' <<<"$out" | tail -n1)
		check_match "iperf3 A->B receiver rate > 0 Mbit/s" '^[0-9.]*[1-9][0-9.]*$' "$bps"
		info "iperf3 A->B: ${bps:-?} Mbit/s"
	else
		fail "iperf3 server listening" "not listening after 5 s"
	fi
	kill_pid "$ipid"
	bg B "$E2E_TMP/iperf3-server" iperf3 -s -1 -B $IN4_B -p 5201
	ipid=$BG_PID
	if wait_until 5 eval 'nq B ss -Hltn "sport = :5201" | grep -q LISTEN'; then
		out=$(T=20 n A iperf3 -c $IN4_B -p 5201 -t 3 -R -f m 2>&1)
		bps=$(awk '/receiver/ { print $(NF-2) }' <<<"$out" | tail -n1)
		check_match "iperf3 B->A (-R) receiver rate > 0 Mbit/s" '^[0-9.]*[1-9][0-9.]*$' "$bps"
		info "iperf3 B->A: ${bps:-?} Mbit/s"
	else
		fail "iperf3 server listening" "not listening after 5 s"
	fi
	kill_pid "$ipid"
else
	info "iperf3 not installed: throughput figure skipped"
fi
check "daemon A still running" daemon_alive "$IFA"
check "daemon B still running" daemon_alive "$IFB"
