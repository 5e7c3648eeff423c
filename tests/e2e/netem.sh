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
#   a2. a long path, as to another continent or over a satellite hop:
#      200 ms +- 20 ms each way, 5% loss, 1% duplication.  B forgets A and
#      is given it again (peer removed and re-added), so a fresh handshake
#      must cross this path: within $LONG_HS_BOUND s (bound below); then
#      $LONG_KB KiB of TCP B->A arrive intact within $LONG_XFER_BOUND s;
#   b. 50% duplication: about half the outer datagrams arrive twice, but
#      the replay window drops the copies, so A's inner network gets each
#      echo request exactly once (A's Icmp InEchos counts them) and ping at
#      B reports every reply once and no "DUP!";
#   c. a ${OUTAGE_SECONDS} s outage (100% loss) while B keeps pinging A
#      every 0.2 s: traffic resumes, and a new handshake completes, within
#      $OUTAGE_BOUND s of the end of the outage (bound derived from the
#      timers below); no echo request reaches A's inner network twice
#      (tcpdump on A's WireGuard interface: every ICMP sequence number at
#      most once; ping at B: no duplicates); then a $RECOVERY_MB MiB TCP
#      transfer B->A arrives intact (sha256);
#   d. A stopped with SIGTERM, started again and configured from the same
#      file: B, still pinging, recovers by itself within $RESTART_BOUND s;
#   e. B's NAT mapping changes on a lossy, reordering path (5% loss each
#      way, 20 ms +- 10 ms): B's outer datagrams are masqueraded in B's
#      own namespace (B stands for a host behind a home router: the
#      kernel's NAT is the same), first to ports 40000-40099; then the
#      mappings are dropped (B's outer address removed and added back, as
#      nat.sh does: what a router reboot or a mapping expiry does) and new
#      ones come from 41000-41099.  While B keeps pinging, A must follow to
#      the new port, and A->B traffic must resume, within $NAT_BOUND s, and
#      a $NAT_MB MiB TCP transfer B->A through the new mapping, still on
#      the bad path, arrives intact (sha256).  (B's own address does not
#      change: a client whose address changes is another matter, and
#      wireguard-go as that client keeps sending from the old address
#      until its next handshake, 15 s later.)
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
#  ┌──── lwt-<tag>-a (hub) ─────┐     ┌──── lwt-<tag>-r ────┐     ┌──── lwt-<tag>-b ─────────┐
#  │ lw<tag>a  192.168.4.1/24   │     │ l2em lv<tag>ra      │     │ lw<tag>b  192.168.4.2/24 │
#  │ DAEMON_A :51820            │     │      lv<tag>rb      │     │ DAEMON_B :51821          │
#  │  wg setconf FILE           │     │ (delay, jitter,     │     │  endpoint 192.168.241.1  │
#  │ nc -l, Icmp counters       │     │  reorder, loss,     │     │ nc, ping (b, c, d, e)    │
#  │ tcpdump on lw<tag>a (c)    │     │  duplicate)         │     │ (e) nft masquerade       │
#  │ lv<tag>ar 192.168.241.1/24 ├─────┤ no addresses        ├─────┤ lv<tag>br 192.168.241.2  │
#  │  gso_max_segs 1            │     │                     │     │  gso_max_segs 1          │
#  │  static neighbour B        │     │                     │     │  static neighbour A      │
#  └────────────────────────────┘     └─────────────────────┘     └──────────────────────────┘

: "${OUTAGE_SECONDS:=60}"
# About 4.5 minutes with a 60 s outage; run.sh allows netem 400 s plus the
# outage.
: "${E2E_DEADLINE:=$((OUTAGE_SECONDS + 300))}"
. "$(dirname "$0")/lib.sh"
e2e_init "$@"

: "${NETEM_MB:=20}"
: "${XFER_BOUND:=60}"		# s for NETEM_MB MiB over the bad path (a)
: "${DUP_PINGS:=40}"
# (a2) A handshake over the long path needs B's initiation and A's response
# both to survive 5% loss (0.95^2 = 0.90 a try); B retries every
# REKEY_TIMEOUT + jitter (5.33 s).  Four tries all failing: 1 in 10,000.
# Three retries after the first try, one 0.44 s round trip, 2 s margin.
: "${LONG_HS_BOUND:=19}"
: "${LONG_KB:=1024}"		# TCP at 400 ms RTT and 5% loss: 50-60 KiB/s
: "${LONG_XFER_BOUND:=90}"
# (c) Bound on traffic resuming after an outage of OUTAGE_SECONDS, from the
# WireGuard timers (daemon/messages.h, daemon/timers.c; wireguard-go has the
# same).  B pings every 0.2 s throughout.  Its first unanswered data packet
# arms new_handshake, which fires KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter
# = 15..15.33 s into the outage; from then on B resends its initiation
# every REKEY_TIMEOUT + jitter (5..5.33 s; jitter is up to 1/3 s), at most
# MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT = 18 times,
# i.e. for REKEY_ATTEMPT_TIME = 90 s.  Even if a rekey attempt had started
# just before the outage, the retries cover the first
# REKEY_ATTEMPT_TIME - REKEY_TIMEOUT = 85 s of it; so for an outage of up
# to 85 s the next initiation leaves within REKEY_TIMEOUT + 1/3 = 5.33 s of
# its end and A answers within one round trip: a new handshake within
# 5.33 s.  Traffic may resume sooner: if B's keypair is still younger than
# REJECT_AFTER_TIME (180 s) at the end, B's next ping (0.2 s) goes through
# with it at once; if it is older, pings wait for that handshake.  Either
# way both are bounded by the next initiation.  After a longer outage B
# has given up; its keypair still valid, its next ping re-arms
# new_handshake: KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + 1/3 s, plus
# one retry in case that initiation went out just before the end: 20.67 s
# (with a keypair past REJECT_AFTER_TIME the next ping asks for a
# handshake at once, which is sooner).  The bound adds 0.2 s for the ping
# interval and 2.5 s for scheduling on a busy machine (two shared cores)
# and is rounded up: 9 s for the default 60 s outage.  The outage is
# silent, as on the internet: A and B have static neighbour entries for
# each other, so their ARP does not fail during it (the kernel would then
# refuse sends with "network is unreachable", a LAN failure, not this one).
OUTAGE_DERIVED=$(awk -v o="$OUTAGE_SECONDS" 'BEGIN { print (o <= 85 ? 5.333 : 20.667) }')
: "${OUTAGE_BOUND:=$(awk -v d="$OUTAGE_DERIVED" 'BEGIN { b = d + 0.2 + 2.5; print (b == int(b) ? b : int(b) + 1) }')}"
: "${RECOVERY_MB:=8}"		# TCP after the outage, clean path
# (d) B keeps sending into the restarted A, whose new instance has no
# session and drops what B sends; B's new_handshake timer fires
# KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s, + jitter) after its first
# unanswered packet and the handshake takes one round trip: recovery well
# under 30 s after A is back.
: "${RESTART_BOUND:=30}"
# (e) Bound on A following B's new NAT mapping on the lossy path.  B pings
# every 0.2 s and its keypair stays valid, so its first datagram through
# the new mapping that survives the 5% loss is authenticated at A, which
# moves B's endpoint there at once; then A's next ping (0.2 s) and B's
# reply must each survive the loss.  Ten datagrams in a row all lost on
# the way: 0.05^10, never; 2 s for each of the two steps, plus 2 s of
# scheduling margin: 6 s, rounded up to 8 s.
: "${NAT_BOUND:=8}"
: "${NAT_MB:=8}"		# TCP through the new mapping, still lossy
: "${NAT_XFER_BOUND:=60}"
PORT_B_NAT=51831		# (e) B's port behind its NAT

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
	kill_pid "$L2EM_PID"
	L2EM_PID=
	L2EM_LAST=$(grep -a -o 'seen=.*' "$E2E_TMP/l2em.log")
	say "      l2em ($L2EM_ARGS) $L2EM_LAST"
}

# l2em_count NAME: a counter of the last l2em stopped (lost, dups, ...).
l2em_count() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$L2EM_LAST"; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
figure() { say "netem.$1=$2"; }
# within T B: T is a number and T <= B.
within() { awk -v t="$1" -v b="$2" 'BEGIN { exit !(t ~ /^[0-9.]+$/ && t <= b) }'; }

# replies_above N: B has received more than N echo replies.
replies_above() { (($(icmp B InEchoReps) > $1)); }

# handshake_changed H: A's latest handshake with B is no longer H.
handshake_changed()
{
	local h
	h=$(peer_field "$IFA" "$PB" handshake)
	[[ -n $h && $h != "$1" ]]
}

listening() { nq A ss -Hltn "sport = :$NC_PORT" | grep -q LISTEN; }

# xfer LABEL KB BOUND FIGURE: KB KiB of random bytes over TCP from B to A
# through the tunnel; checks size, sha256 and that it took at most BOUND
# seconds; prints the time as figure FIGURE.
xfer()
{
	local label=$1 kb=$2 bound=$3 fig=$4 want got size t0 took rpid
	head -c "${kb}K" /dev/urandom >"$E2E_TMP/payload"
	want=$(sha256sum <"$E2E_TMP/payload" | cut -d' ' -f1)
	: >"$E2E_TMP/recv"
	bg A "$E2E_TMP/recv" timeout $((bound + 10)) nc -l $IN4_A $NC_PORT
	rpid=$BG_PID
	if ! wait_until 5 listening; then
		fail "$label: receiver listening" "nc -l on A not listening after 5 s"
		kill_pid "$rpid"
		return 1
	fi
	t0=$(now)
	T=$bound n B nc -N $IN4_A $NC_PORT <"$E2E_TMP/payload"
	wait_until 10 eval '! pid_alive '"$rpid"
	took=$(since "$t0")
	got=$(sha256sum <"$E2E_TMP/recv" | cut -d' ' -f1)
	size=$(stat -c %s "$E2E_TMP/recv")
	check_eq "$label: $kb KiB arrived (size)" $((kb * 1024)) "$size"
	check_eq "$label: sha256 matches" "$want" "$got"
	check "$label: transfer took at most ${bound}s (took $took s)" within "$took" "$bound"
	info "$label: $kb KiB in $took s ($(awk -v t="$took" -v k="$kb" 'BEGIN { printf "%.3f", k * 0.008192 / t }') Mbit/s)"
	figure "$fig" "$took"
	kill_pid "$rpid"
}

# ping_summary FILE: "transmitted received duplicates" of a ping's output.
ping_summary()
{
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received\(, +\([0-9]*\) duplicates\)\{0,1\}.*/\1 \2 \4/p' "$1" |
		awk '{ print $1, $2, $3 + 0 }'
}

# stop_ping PID: SIGINT, so ping prints its summary, and wait for it.
stop_ping()
{
	kill -INT "$1" 2>/dev/null
	wait_until 5 eval '! pid_alive '"$1"
	wait "$1" 2>/dev/null
}

pp cc -O2 -Wall -o "$L2EM" "$(dirname "$0")/../tools/l2em.c" || e2e_die "cannot build l2em"

line_topology
addr A "$VAR" "$OUT4_A/24"
addr B "$VBR" "$OUT4_B/24"
# One frame per datagram on the path (see the header), and R quiet.
n A ip link set "$VAR" gso_max_segs 1
n B ip link set "$VBR" gso_max_segs 1
n R sysctl -qw net.ipv6.conf.all.disable_ipv6=1
# Static neighbours: an outage (c) loses packets silently, as on the
# internet, instead of failing the hosts' ARP.
n A ip neigh replace $OUT4_B lladdr "$(nq B cat "/sys/class/net/$VBR/address")" dev "$VAR" nud permanent
n B ip neigh replace $OUT4_A lladdr "$(nq A cat "/sys/class/net/$VAR/address")" dev "$VBR" nud permanent
path || exit 1

pair_keys
cat >"$E2E_TMP/a.conf" <<EOC
[Interface]
PrivateKey = $(cat "$(key a)")
ListenPort = $PORT_A

[Peer]
PublicKey = $PB
AllowedIPs = $IN4_B/32
EOC
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
xfer "a: bad path" $((NETEM_MB * 1024)) "$XFER_BOUND" xfer_s
path_stop
check "the path lost datagrams ($(l2em_count lost))" test "$(l2em_count lost)" -gt 0
check "the path duplicated datagrams ($(l2em_count dups))" test "$(l2em_count dups)" -gt 0
check "the path reordered datagrams ($(l2em_count reordered) of $(l2em_count seen))" \
	test "$(l2em_count reordered)" -gt 0
figure path_frames "$(l2em_count seen)"
figure path_lost "$(l2em_count lost)"
figure path_dups "$(l2em_count dups)"
figure path_reordered "$(l2em_count reordered)"
# ---------------------------------------------------------------- a2

# Scenario: a long, lossy path; a fresh handshake and TCP must cross it.
section "a2. 200 ms +- 20 ms, 5% loss, 1% duplication: new handshake, $LONG_KB KiB TCP B->A"
path -d 200 -j 20 -l 5 -D 1
n B wg set "$IFB" peer "$PA" remove
check "B forgot A (no handshake)" eval '! handshake_done "$IFB" "$PA"'
n B wg set "$IFB" peer "$PA" allowed-ips $IN4_A/32 endpoint $OUT4_A:$PORT_A
t0=$(now)
bg B "$E2E_TMP/ping-a2" ping -n -i 0.5 -w $((LONG_HS_BOUND + 2)) $IN4_A
ppid=$BG_PID
wait_until "$LONG_HS_BOUND" handshake_done "$IFB" "$PA"
took=$(since "$t0")
handshake_done "$IFB" "$PA" || took=none
stop_ping "$ppid"
check "a2: new handshake over the long path within ${LONG_HS_BOUND}s (took $took s)" \
	within "$took" "$LONG_HS_BOUND"
figure long_handshake_s "$took"
rtt=$(n B ping -n -c 5 -i 0.5 -W 3 $IN4_A 2>&1 | sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
info "a2: RTT through the tunnel: ${rtt:-?} ms (average of the answered of 5 pings)"
xfer "a2: long path" "$LONG_KB" "$LONG_XFER_BOUND" long_xfer_s
path_stop
check "a2: the path lost datagrams ($(l2em_count lost))" test "$(l2em_count lost)" -gt 0
check "a2: the path reordered datagrams ($(l2em_count reordered) of $(l2em_count seen))" \
	test "$(l2em_count reordered)" -gt 0

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

# icmp_seqs PCAP: the sequence numbers of the echo requests in PCAP, one a line.
icmp_seqs() { tcpdump -n -r "$1" 2>/dev/null | sed -n 's/.*ICMP echo request, id [0-9]*, seq \([0-9]*\),.*/\1/p'; }

capture_ready() { grep -q 'listening on' "$E2E_TMP/tcpdump-c.log"; }
# capture_has N: the capture holds at least N echo requests.
capture_has() { (($(icmp_seqs "$E2E_TMP/c.pcap" | grep -c .) >= $1)); }

# Scenario: the path to the hub is down for OUTAGE_SECONDS while B keeps
# sending; then it comes back.  Every echo request that reaches A's inner
# network is captured there, to see that none arrives twice (say, resent
# from a queue and also delivered late).
section "c. ${OUTAGE_SECONDS}s outage of the path to the hub, then recovery (bound ${OUTAGE_BOUND}s)"
path
bg A "$E2E_TMP/tcpdump-c.log" tcpdump -n -U --immediate-mode -i "$IFA" -w "$E2E_TMP/c.pcap" 'icmp[icmptype] == icmp-echo'
cpid=$BG_PID
wait_until 5 capture_ready || fail "c: tcpdump on $IFA ready" "no 'listening on' after 5 s"
in0=$(icmp A InEchos)
bg B "$E2E_TMP/ping-c" ping -n -i 0.2 -w $((OUTAGE_SECONDS + OUTAGE_BOUND + 60)) $IN4_A
ppid=$BG_PID
r0=$(icmp B InEchoReps)
sleep 1
check "B->A traffic flows before the outage" replies_above "$r0"
hs0=$(peer_field "$IFA" "$PB" handshake)
path -l 100
t_start=$(now)
sleep "$OUTAGE_SECONDS"
path
t_end=$(now)
info "c: outage of $(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.1f", b - a }') s (l2em dropped $(l2em_count lost) frames)"
check "c: the path lost everything during the outage" test "$(l2em_count sent)" = 0
r0=$(icmp B InEchoReps)
if wait_until "$OUTAGE_BOUND" replies_above "$r0"; then
	rec=$(since "$t_end")
	pass "traffic resumed within ${OUTAGE_BOUND}s of the end of the outage (derived ${OUTAGE_DERIVED}s + ping interval + margin)"
else
	rec=none
	fail "traffic resumed within ${OUTAGE_BOUND}s of the end of the outage" "no echo reply after $(since "$t_end") s"
fi
info "c: first echo reply $rec s after the outage ended"
figure outage_s "$OUTAGE_SECONDS"
figure outage_bound_s "$OUTAGE_BOUND"
figure outage_traffic_s "$rec"
# Under 15 s (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) nobody asked for a handshake.
if ((OUTAGE_SECONDS > 16)); then
	if wait_until "$OUTAGE_BOUND" handshake_changed "$hs0"; then
		hs=$(since "$t_end")
		pass "a new handshake completed within ${OUTAGE_BOUND}s of the end of the outage"
	else
		hs=none
		fail "a new handshake completed within ${OUTAGE_BOUND}s of the end of the outage"
	fi
	info "c: new handshake seen at A $hs s after the outage ended"
	figure outage_handshake_s "$hs"
fi
sleep 1
stop_ping "$ppid"
sleep 0.5
in1=$(icmp A InEchos)
# The capture is read while tcpdump runs: give it up to 3 s to have written
# every request the stack counted before it is stopped (the check below
# still wants them all).
wait_until 3 capture_has $((in1 - in0))
kill_pid "$cpid"
info "c: tcpdump: $(grep -E 'captured|received by filter|dropped by kernel' "$E2E_TMP/tcpdump-c.log" | tr '\n' ' ')"
read -r tx rx dup < <(ping_summary "$E2E_TMP/ping-c")
seqs=$(icmp_seqs "$E2E_TMP/c.pcap")
nseq=$(grep -c . <<<"$seqs")
twice=$(sort -n <<<"$seqs" | uniq -d | tr '\n' ' ')
info "c: B sent ${tx:-?} echo requests, ${rx:-?} answered, ${dup:-?} duplicate replies; A's inner network got $nseq (InEchos +$((in1 - in0)))"
figure outage_pings_sent "${tx:-0}"
figure outage_pings_answered "${rx:-0}"
check "c: ping summary read" test -n "$tx"
check_eq "c: no echo request reached A's inner network twice (sequence numbers seen twice)" "" "$twice"
check "c: the capture saw what A's stack counted (InEchos +$((in1 - in0)), captured $nseq)" \
	test "$nseq" -eq $((in1 - in0)) -a "$nseq" -gt 0
check "c: A's inner network got no more requests than B sent ($nseq <= ${tx:-0})" test "$nseq" -le "${tx:-0}"
check_eq "c: ping at B: no duplicate replies" 0 "${dup:-x}"
xfer "c: after the outage" $((RECOVERY_MB * 1024)) 30 outage_xfer_s
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
kill_pid "$ppid"
check "ping A->B after the restart" ping_ok A $IN4_B
check "daemon A running" daemon_alive "$IFA"
check "daemon B running" daemon_alive "$IFB"

# ---------------------------------------------------------------- e

# a_replies_above N: A has received more than N echo replies.
a_replies_above() { (($(icmp A InEchoReps) > $1)); }

# ep: A's endpoint for B; ep_mapped ADDR LO HI: at ADDR, port in LO..HI.
ep() { peer_field "$IFA" "$PB" endpoint; }
ep_mapped()
{
	local e p
	e=$(ep)
	p=${e##*:}
	[[ ${e%:*} == "$1" && $p =~ ^[0-9]+$ ]] && ((p >= $2 && p <= $3))
}

# Scenario: B's NAT mapping changes while the path loses 5% each way and
# reorders; both sides keep pinging.  A must follow B to its new address
# and port, and TCP must get through the new mapping intact.
section "e. NAT mapping change on a lossy, reordering path (5% loss, 20 ms +- 10 ms)"
path -d 20 -j 10 -l 5
cat >"$E2E_TMP/natb.nft" <<EOC
table ip lwnatb {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$VBR" meta l4proto udp masquerade to :40000-40099
	}
}
EOC
n B nft -f "$E2E_TMP/natb.nft" || fail "e: nft masquerade loaded in B"
# A fresh local port for B, so that the conntrack entry of its flow is made
# by B's first datagram and masqueraded (one made by a datagram from A,
# say a keepalive arriving just after the table was loaded, would never
# be, and removing the address would not drop it).
n B wg set "$IFB" listen-port $PORT_B_NAT
bg B "$E2E_TMP/ping-eb" ping -n -q -i 0.2 -w 120 $IN4_A
pbid=$BG_PID
check "e: A sees B through the first mapping ($OUT4_B:40000-40099) within ${NAT_BOUND}s" \
	wait_until "$NAT_BOUND" ep_mapped $OUT4_B 40000 40099
info "e: A's endpoint for B: $(ep)"
bg A "$E2E_TMP/ping-ea" ping -n -q -i 0.2 -w 120 $IN4_B
paid=$BG_PID
r0=$(icmp A InEchoReps)
check "e: A->B traffic flows through the first mapping" wait_until 5 a_replies_above "$r0"
# The mappings are dropped (removing the masqueraded address drops its
# conntrack entries) and new ones take ports 41000-41099.
n B nft flush chain ip lwnatb post
n B nft add rule ip lwnatb post oifname "$VBR" meta l4proto udp masquerade to :41000-41099
t0=$(now)
n B ip addr del "$OUT4_B/24" dev "$VBR"
n B ip addr add "$OUT4_B/24" dev "$VBR"
n B ip neigh replace $OUT4_A lladdr "$(nq A cat "/sys/class/net/$VAR/address")" dev "$VBR" nud permanent
# First A's endpoint moves; then an echo reply to a ping A sent after that.
moved=none
back=none
if wait_until "$NAT_BOUND" ep_mapped $OUT4_B 41000 41099; then
	moved=$(since "$t0")
	r0=$(icmp A InEchoReps)
	left=$(awk -v b="$NAT_BOUND" -v m="$moved" 'BEGIN { l = b - m; print (l > 0 ? int(l + 0.999) : 0) }')
	wait_until "$left" a_replies_above "$r0" && back=$(since "$t0")
fi
check "e: A moved to B's new mapping ($OUT4_B:41000-41099) within ${NAT_BOUND}s (after $moved s, endpoint $(ep))" \
	within "$moved" "$NAT_BOUND"
check "e: A->B traffic resumed within ${NAT_BOUND}s of the change (after $back s)" within "$back" "$NAT_BOUND"
figure nat_endpoint_s "$moved"
figure nat_traffic_s "$back"
xfer "e: through the new mapping, lossy path" $((NAT_MB * 1024)) "$NAT_XFER_BOUND" nat_xfer_s
check "e: A's endpoint for B still the new mapping after the transfer ($(ep))" \
	ep_mapped $OUT4_B 41000 41099
stop_ping "$paid"
stop_ping "$pbid"
info "e: ping A->B: $(ping_summary "$E2E_TMP/ping-ea"); B->A: $(ping_summary "$E2E_TMP/ping-eb") (sent received dups)"
path_stop
check "e: the path lost datagrams ($(l2em_count lost))" test "$(l2em_count lost)" -gt 0
check "e: the path reordered datagrams ($(l2em_count reordered))" test "$(l2em_count reordered)" -gt 0
figure nat_path_lost "$(l2em_count lost)"
figure nat_path_reordered "$(l2em_count reordered)"
check "daemon A running at the end" daemon_alive "$IFA"
check "daemon B running at the end" daemon_alive "$IFB"
