#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/netem.sh -- the tunnel over a bad network, and a hub that
# restarts.  A is the hub (configured from a file with `wg setconf`, no
# endpoint for B); B has A's endpoint and no persistent keepalive.  The
# path between them is impaired both ways:
#   a. 5% loss, reordering, 1% duplication, 50 ms +- 10 ms delay: a
#      $NETEM_MB MiB TCP transfer B->A through the tunnel arrives intact
#      (sha256) within $XFER_BOUND s, and the path did lose, duplicate and
#      reorder datagrams (l2em's counters).  The reordering is netem's own
#      with jitter: delays are uniform in 40..60 ms and frames leave in time
#      order, so datagrams less than 20 ms apart may swap (at the rates of
#      this transfer, most of them do).  Not netem's "reorder N%" on top,
#      which sends N% at once, 50 ms ahead of the rest: with as little as
#      1% of that, TCP itself (CUBIC or BBR, over wireguard-go as over
#      lanwired) falls to 2-3 Mbit/s and 20 MiB take about a minute;
#   b. 50% duplication: about half the outer datagrams arrive twice, but
#      the replay window drops the copies, so A's inner network gets each
#      echo request exactly once (A's Icmp InEchos counts them) and ping at
#      B reports every reply once and no "DUP!";
#   c. a ${OUTAGE_SECONDS} s outage (100% loss) while B pings A: traffic
#      resumes, and a new handshake completes, within $OUTAGE_BOUND s of
#      the end of the outage (bound derived below);
#   d. A stopped with SIGTERM, started again and configured from the same
#      file: B, still pinging, recovers by itself within $RESTART_BOUND s.
# Recovery times are printed as INFO and as "netem.<figure>=<value>" lines.
#
# How the path is made bad: tc netem is the usual tool, but it is not always
# there (our CI VM's kernel has no CONFIG_NET_SCH_NETEM and no modules), and
# it acts per skb, so a run of datagrams sent with UDP_SEGMENT would be lost
# or delayed as one.  Instead a router namespace R bridges A's and B's veths
# in user space with tests/tools/l2em.c (built here with cc), which applies
# netem's delay, jitter, reordering, loss and duplication to each Ethernet
# frame; A's and B's veth ends have gso_max_segs 1, so every outer datagram
# is its own frame.  A new l2em is started for each scenario (the ~0.1 s
# gap between two of them loses a few frames, like a flap).
#
#	bash tests/e2e/netem.sh DAEMON_A DAEMON_B
#
#  ┌──── lwt-<tag>-a (hub) ─────┐     ┌──── lwt-<tag>-r ────┐     ┌──── lwt-<tag>-b ─────────┐
#  │ lw<tag>a  192.168.4.1/24   │     │ l2em lv<tag>ra      │     │ lw<tag>b  192.168.4.2/24 │
#  │ DAEMON_A :51820            │     │      lv<tag>rb      │     │ DAEMON_B :51821          │
#  │  wg setconf FILE           │     │ (delay, jitter,     │     │  endpoint 192.168.241.1  │
#  │ nc -l (a), Icmp counters   │     │  reorder, loss,     │     │ nc (a), ping (b, c, d)   │
#  │ lv<tag>ar 192.168.241.1/24 ├─────┤  duplicate)         ├─────┤ lv<tag>br 192.168.241.2  │
#  │  gso_max_segs 1            │     │ no addresses        │     │  gso_max_segs 1          │
#  └────────────────────────────┘     └─────────────────────┘     └──────────────────────────┘

: "${E2E_DEADLINE:=240}"
. "$(dirname "$0")/lib.sh"
e2e_init "$@"

: "${NETEM_MB:=20}"
: "${XFER_BOUND:=60}"		# s for NETEM_MB MiB over the bad path (a)
: "${DUP_PINGS:=40}"
: "${OUTAGE_SECONDS:=20}"
# (c) Bound on traffic resuming after the outage.  B's current keypair is
# still valid after 20 s (REJECT_AFTER_TIME is 180 s), so its next ping
# should get through at once.  Meanwhile B's new_handshake timer fired
# KEEPALIVE_TIMEOUT + REKEY_TIMEOUT = 15 s into the outage, and B resends
# its initiation every REKEY_TIMEOUT + up to 333 ms of jitter, so the next
# one leaves within 5.33 s of the end of the outage and completes a new
# handshake; a side that only speaks again with its next keepalive adds
# KEEPALIVE_TIMEOUT (10 s):  5 + 0.333 + 10 = 15.3 s, rounded up to 16 s.
: "${OUTAGE_BOUND:=16}"
# (d) B keeps sending into the restarted A, whose new instance has no
# session and drops what B sends; B's new_handshake timer fires
# KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s, + jitter) after its first
# unanswered packet and the handshake takes one round trip: recovery well
# under 30 s after A is back.
: "${RESTART_BOUND:=30}"

NC_PORT=5001
L2EM=$E2E_TMP/l2em
L2EM_PID=
L2EM_ARGS=
L2EM_LAST=

# icmp ROLE FIELD: a counter of the Icmp: line of /proc/net/snmp in ROLE.
icmp()
{
	nq "$1" cat /proc/net/snmp | awk -v f="$2" '
		$1 == "Icmp:" && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == "Icmp:" && hdr { print $col[f] }'
}

# rx_packets ROLE DEV: packets received on DEV.
rx_packets() { nq "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }

l2em_ready() { grep -q '^l2em: ready' "$E2E_TMP/l2em.log"; }

# path ARGS...: replace the l2em bridging A and B by one with ARGS (none:
# a clean path); waits until it forwards.
path()
{
	path_stop
	: >"$E2E_TMP/l2em.log"
	bg R "$E2E_TMP/l2em.log" "$L2EM" -t 200 "$@" "$VRA" "$VRB"
	L2EM_PID=$BG_PID
	L2EM_ARGS=${*:-clean}
	wait_until 5 l2em_ready || { fail "l2em $* started" "not ready after 5 s"; return 1; }
}

path_stop()
{
	[[ -n $L2EM_PID ]] || return 0
	e2e_kill "$L2EM_PID"
	L2EM_PID=
	L2EM_LAST=$(grep -a -o 'seen=.*' "$E2E_TMP/l2em.log")
	say "      l2em ($L2EM_ARGS) $L2EM_LAST"
}

# l2em_count NAME: a counter of the last l2em stopped (lost, dups, ...).
l2em_count() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$L2EM_LAST"; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
figure() { say "netem.$1=$2"; }

# replies_above N: B has received more than N echo replies.
replies_above() { (($(icmp B InEchoReps) > $1)); }

# handshake_changed H: A's latest handshake with B is no longer H.
handshake_changed()
{
	local h
	h=$(peer_field "$IFA" "$PB" handshake)
	[[ -n $h && $h != "$1" ]]
}

pp cc -O2 -Wall -o "$L2EM" "$(dirname "$0")/../tools/l2em.c" || e2e_die "cannot build l2em"

ns_add A R B
link_veth A R
link_veth R B
VAR=$(veth_name A R)
VRA=$(veth_name R A)
VRB=$(veth_name R B)
VBR=$(veth_name B R)
addr A "$VAR" "$OUT4_A/24"
addr B "$VBR" "$OUT4_B/24"
# One frame per datagram on the path (see the header), and R quiet.
n A ip link set "$VAR" gso_max_segs 1
n B ip link set "$VBR" gso_max_segs 1
n R sysctl -qw net.ipv6.conf.all.disable_ipv6=1
path || exit 1

genkey a
genkey b
IFA=$(ifname a)
IFB=$(ifname b)
PA=$(pub a)
PB=$(pub b)
cat >"$E2E_TMP/a.conf" <<EOF
[Interface]
PrivateKey = $(cat "$(key a)")
ListenPort = $PORT_A

[Peer]
PublicKey = $PB
AllowedIPs = $IN4_B/32
EOF
daemon_start A "$DAEMON_A" "$IFA" || exit 1
daemon_start B "$DAEMON_B" "$IFB" || exit 1
n A wg setconf "$IFA" "$E2E_TMP/a.conf"
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32 endpoint $OUT4_A:$PORT_A
wg_addr_up A "$IFA" "$IN4_A/24"
wg_addr_up B "$IFB" "$IN4_B/24"
check "tunnel up through the bridge: ping B->A" ping_ok B $IN4_A

# ---------------------------------------------------------------- a

# Scenario: a lossy, reordering, duplicating, slow path; TCP must get a
# file through intact.
section "a. 5% loss, reordering, 1% duplication, 50 ms +- 10 ms: $NETEM_MB MiB TCP B->A"
path -d 50 -j 10 -l 5 -D 1
rtt=$(n B ping -n -c 10 -i 0.2 -W 2 $IN4_A 2>&1 | sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
info "a: RTT through the tunnel: ${rtt:-?} ms (average of 10 pings)"
say "[+] head -c ${NETEM_MB}M /dev/urandom > $E2E_TMP/payload"
head -c "${NETEM_MB}M" /dev/urandom >"$E2E_TMP/payload"
want=$(sha256sum <"$E2E_TMP/payload" | cut -d' ' -f1)
listening() { nq A ss -Hltn "sport = :$NC_PORT" | grep -q LISTEN; }
bg A "$E2E_TMP/recv" timeout $((XFER_BOUND + 10)) nc -l $IN4_A $NC_PORT
rpid=$BG_PID
if wait_until 5 listening; then
	t0=$(now)
	T=$XFER_BOUND n B nc -N $IN4_A $NC_PORT <"$E2E_TMP/payload"
	wait_until 10 eval '! pid_alive '"$rpid"
	took=$(since "$t0")
	got=$(sha256sum <"$E2E_TMP/recv" | cut -d' ' -f1)
	size=$(stat -c %s "$E2E_TMP/recv")
	check_eq "$NETEM_MB MiB arrived over the bad path (size)" $((NETEM_MB * 1048576)) "$size"
	check_eq "sha256 matches" "$want" "$got"
	check "transfer took at most ${XFER_BOUND}s (took $took s)" \
		awk -v t="$took" -v b="$XFER_BOUND" 'BEGIN { exit !(t <= b) }'
	info "a: $NETEM_MB MiB in $took s ($(awk -v t="$took" -v m="$NETEM_MB" 'BEGIN { printf "%.1f", m * 8.388608 / t }') Mbit/s)"
	figure xfer_s "$took"
else
	fail "a: receiver listening" "nc -l on A not listening after 5 s"
fi
e2e_kill "$rpid"
path_stop
check "the path lost datagrams ($(l2em_count lost))" test "$(l2em_count lost)" -gt 0
check "the path duplicated datagrams ($(l2em_count dups))" test "$(l2em_count dups)" -gt 0
check "the path reordered datagrams ($(l2em_count reordered) of $(l2em_count seen))" \
	test "$(l2em_count reordered)" -gt 0
figure path_frames "$(l2em_count seen)"
figure path_lost "$(l2em_count lost)"
figure path_dups "$(l2em_count dups)"
figure path_reordered "$(l2em_count reordered)"

# ---------------------------------------------------------------- b

# Scenario: heavy duplication; the replay window must drop every copy.
section "b. 50% duplication: no echo request delivered twice"
path -D 50
in0=$(icmp A InEchos)
out0=$(icmp A OutEchoReps)
rx0=$(rx_packets A "$VAR")
out=$(n B ping -n -c "$DUP_PINGS" -i 0.05 -W 2 $IN4_A 2>&1)
sleep 0.2
rx1=$(rx_packets A "$VAR")
in1=$(icmp A InEchos)
out1=$(icmp A OutEchoReps)
say "$(tail -n 2 <<<"$out")"
dups=$(grep -c 'DUP!' <<<"$out")
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
check "the path did duplicate: A's veth got $((rx1 - rx0)) frames for $DUP_PINGS requests" \
	test $((rx1 - rx0)) -ge $((DUP_PINGS + 5))
check_eq "A's inner network got each echo request once" "$DUP_PINGS" $((in1 - in0))
check_eq "A answered each once" "$DUP_PINGS" $((out1 - out0))
check_eq "ping at B: every reply received" "$DUP_PINGS" "$recv"
check_eq "ping at B: no DUP! replies" 0 "$dups"
figure dup_outer_frames $((rx1 - rx0))
figure dup_inner_requests $((in1 - in0))

# ---------------------------------------------------------------- c

# Scenario: the path to the hub is down for OUTAGE_SECONDS while B keeps
# sending; then it comes back.
section "c. ${OUTAGE_SECONDS}s outage of the path to the hub, then recovery"
path
bg B "$E2E_TMP/ping-c" ping -n -q -i 0.2 -w $((OUTAGE_SECONDS + OUTAGE_BOUND + 10)) $IN4_A
ppid=$BG_PID
r0=$(icmp B InEchoReps)
sleep 1
check "B->A traffic flows before the outage" replies_above "$r0"
hs0=$(peer_field "$IFA" "$PB" handshake)
path -l 100
sleep "$OUTAGE_SECONDS"
path
t_end=$(now)
r0=$(icmp B InEchoReps)
if wait_until "$OUTAGE_BOUND" replies_above "$r0"; then
	rec=$(since "$t_end")
	pass "traffic resumed within ${OUTAGE_BOUND}s of the end of the outage"
else
	rec=none
	fail "traffic resumed within ${OUTAGE_BOUND}s of the end of the outage" "no echo reply after $(since "$t_end") s"
fi
info "c: first echo reply $rec s after the outage ended"
figure outage_traffic_s "$rec"
if wait_until "$OUTAGE_BOUND" handshake_changed "$hs0"; then
	hs=$(since "$t_end")
	pass "a new handshake completed within ${OUTAGE_BOUND}s of the end of the outage"
else
	hs=none
	fail "a new handshake completed within ${OUTAGE_BOUND}s of the end of the outage"
fi
info "c: new handshake $hs s after the outage ended"
figure outage_handshake_s "$hs"
e2e_kill "$ppid"

# ---------------------------------------------------------------- d

# Scenario: the hub restarts with the same keys and configuration file;
# B, which keeps sending, must get its tunnel back by itself.
section "d. hub restart with the same keys: B recovers by itself"
bg B "$E2E_TMP/ping-d" ping -n -q -i 0.2 -w $((RESTART_BOUND + 20)) $IN4_A
ppid=$BG_PID
r0=$(icmp B InEchoReps)
sleep 1
check "B->A traffic flows before the restart" replies_above "$r0"
t_stop=$(now)
check "A exits on SIGTERM" daemon_stop "$IFA"
check "A started again" daemon_start A "$DAEMON_A" "$IFA"
n A wg setconf "$IFA" "$E2E_TMP/a.conf"
wg_addr_up A "$IFA" "$IN4_A/24"
t_up=$(now)
r0=$(icmp B InEchoReps)
if wait_until "$RESTART_BOUND" replies_above "$r0"; then
	rec=$(since "$t_up")
	rec_stop=$(since "$t_stop")
	pass "B's tunnel recovered within ${RESTART_BOUND}s of A's restart"
else
	rec=none
	rec_stop=none
	fail "B's tunnel recovered within ${RESTART_BOUND}s of A's restart" "no echo reply after $(since "$t_up") s"
fi
info "d: first echo reply $rec s after A was configured again, $rec_stop s after SIGTERM (restart took $(awk -v a="$t_stop" -v b="$t_up" 'BEGIN { printf "%.1f", b - a }') s)"
figure restart_recovery_s "$rec"
figure restart_recovery_since_stop_s "$rec_stop"
e2e_kill "$ppid"
check "ping A->B after the restart" ping_ok A $IN4_B
check "daemon A running" daemon_alive "$IFA"
check "daemon B running" daemon_alive "$IFB"
path_stop
