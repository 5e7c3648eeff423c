# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/pair.sh -- the two-node scenario: one tunnel between two
# namespaces, both ends the implementation under test.  Sourced by
# bench/bench.sh and bench/ab.sh; uses bench/lib.sh.  lwbn below is
# NSPREFIX (default lwbn).
#
#  ┌────────── lwbn-<tag>-a ───────────┐          ┌────────── lwbn-<tag>-b ───────────┐
#  │ lwbn<tag>a 10.99.0.1/24 (MTU 1420)│  tunnel  │ lwbn<tag>b 10.99.0.2/24 (MTU 1420)│
#  │ IMPL, listen-port 51820           │<========>│ IMPL, listen-port 51821           │
#  │ iperf3 -s, ping target            │          │ iperf3 -c, ping (data flows b->a) │
#  │ lwbn<tag>s: a lone IMPL for       │          │                                   │
#  │   `wg setconf` of PEERS peers     │          │                                   │
#  │ lwbn<tag>va 198.18.0.1/24         ├── veth ──┤ lwbn<tag>vb 198.18.0.2/24         │
#  └───────────────────────────────────┘          └───────────────────────────────────┘
#
# Every test brings the tunnel up fresh (new daemons, keys, `ip link set
# up`, ping until answered), so each RSS figure starts from a new process.

OUT_A=198.18.0.1 OUT_B=198.18.0.2
IN_A=10.99.0.1 IN_B=10.99.0.2
PORT_A=51820 PORT_B=51821
NS_A='' NS_B='' IF_A='' IF_B='' IF_S=''

pair_topology()
{
	NS_A=$NSPREFIX-$TAG-a NS_B=$NSPREFIX-$TAG-b
	IF_A=$NSPREFIX${TAG}a IF_B=$NSPREFIX${TAG}b IF_S=$NSPREFIX${TAG}s
	ns_add "$NS_A"
	ns_add "$NS_B"
	veth_add "$NS_A" "$NSPREFIX${TAG}va" "$OUT_A" "$NS_B" "$NSPREFIX${TAG}vb" "$OUT_B"
	make_key a
	make_key b
	if [[ -x $MICROBENCH ]]; then
		timeout 120 "$MICROBENCH" conf "$PEERS" >"$TMP/peers.conf" ||
			die "$MICROBENCH conf $PEERS failed"
	fi
}

# tunnel_up IMPL: both daemons configured while down, then `ip link set
# up` on both and ping (-c1 -W1, repeated) until answered.  Records
# first_ping_ms and rss_idle_mib.
tunnel_up()
{
	local impl=$1 t0 ms
	daemon_start "$NS_A" "$impl" "$IF_A" && daemon_start "$NS_B" "$impl" "$IF_B" &&
		wg_peer "$IF_A" $PORT_A "$TMP/a.key" "$(cat "$TMP/b.pub")" "$IN_B/32" "$OUT_B:$PORT_B" &&
		wg_peer "$IF_B" $PORT_B "$TMP/b.key" "$(cat "$TMP/a.pub")" "$IN_A/32" "$OUT_A:$PORT_A" &&
		if_addr "$IF_A" "$IN_A/24" && if_addr "$IF_B" "$IN_B/24" || return 1
	t0=$(now_ms)
	ip -n "$NS_A" link set "$IF_A" up && ip -n "$NS_B" link set "$IF_B" up || return 1
	until in_ns "$NS_B" 3 ping -n -q -c1 -W1 "$IN_A" >/dev/null 2>&1; do
		(($(now_ms) - t0 > 15000)) && { say "  no ping through the tunnel after 15 s"; return 1; }
		sleep 0.01
	done
	ms=$(($(now_ms) - t0))
	record first_ping_ms "$ms"
	record rss_idle_mib "$(mib "$(max_kb "$(proc_kb "${DPID[$IF_A]}" VmRSS)" "$(proc_kb "${DPID[$IF_B]}" VmRSS)")")"
}

max_kb() { echo $(( ${1:-0} > ${2:-0} ? ${1:-0} : ${2:-0} )); }

tunnel_down()
{
	daemon_stop "$IF_A"
	daemon_stop "$IF_B"
}

# pair_iperf SECONDS OUT ARGS...: iperf3 from b to a through the tunnel.
pair_iperf()
{
	local secs=$1 out=$2
	shift 2
	iperf_run "$NS_A" "$IN_A" "$NS_B" "$secs" "$out" "$@"
}

# record_iperf NAME CPU_TICKS HWM_KB UDP? BPS BYTES RETR LOSS SENT: the
# figures of one iperf3 test; says them in one line.
record_iperf()
{
	local name=$1 ticks=$2 hwm=$3 udp=$4 bps=$5 bytes=$6 retr=$7 loss=$8 sent=$9
	local cpu gbit mbit
	cpu=$(calc "printf \"%.2f\", $ticks / $HZ")
	gbit=$(calc "printf \"%.4f\", $bytes * 8 / 1e9")
	mbit=$(calc "printf \"%.1f\", $bps / 1e6")
	record "${name}_mbit" "$mbit"
	if ((udp)); then
		record "${name}_loss_pct" "$(calc "printf \"%.3f\", $loss")"
		record "${name}_sent_mbit" "$(calc "printf \"%.1f\", $sent / 1e6")"
	else
		record "${name}_retrans" "$retr"
	fi
	if calc "exit !($gbit > 0 && $cpu > 0)"; then
		record "${name}_cpu_s_per_gbit" "$(calc "printf \"%.4f\", $cpu / $gbit")"
		record "${name}_mbit_per_cpu_s" "$(calc "printf \"%.1f\", $gbit * 1000 / $cpu")"
	fi
	record "${name}_rss_peak_mib" "$(mib "$hwm")"
	say "  $name: $mbit Mbit/s, $( ((udp)) && calc "printf \"sent %.0f Mbit/s, loss %.3f %%\", $sent / 1e6, $loss" || echo "$retr retransmits"), daemons ${cpu} CPU-s for $gbit Gbit, peak RSS $(mib "$hwm") MiB"
}

# drop_counters: where datagrams on the way b -> a can be dropped, as
# "tun_tx veth_rx sock rcvbuf tun_rx": b's tunnel interface TX dropped
# (the sending daemon did not read its TUN in time), a's veth RX dropped,
# drops on a's daemon UDP socket (/proc/net/udp*), a's UDP receive-buffer
# errors on every socket (the daemon's and iperf3's), a's tunnel interface
# RX dropped (the receiving daemon's TUN writes).
drop_counters()
{
	local tx vrx sock rcv rx port
	port=$(printf '%04X' $PORT_A)
	tx=$(ip -n "$NS_B" -s -j link show dev "$IF_B" | jq '.[0].stats64.tx.dropped')
	vrx=$(ip -n "$NS_A" -s -j link show dev "$NSPREFIX${TAG}va" | jq '.[0].stats64.rx.dropped')
	rx=$(ip -n "$NS_A" -s -j link show dev "$IF_A" | jq '.[0].stats64.rx.dropped')
	sock=$(ip netns exec "$NS_A" cat /proc/net/udp /proc/net/udp6 |
		awk -v p=":$port" 'substr($2, length($2) - 4) == p { d += $NF } END { print d + 0 }')
	rcv=$(ip netns exec "$NS_A" cat /proc/net/snmp /proc/net/snmp6 |
		awk '$1 == "Udp:" && $6 ~ /^[0-9]+$/ { d += $6 } $1 == "Udp6RcvbufErrors" { d += $2 }
			END { print d + 0 }')
	echo "${tx:-0} ${vrx:-0} $sock $rcv ${rx:-0}"
}

# record_drops NAME "BEFORE" "AFTER" SENT_BPS SECONDS: the drops of
# drop_counters over one test as % of the datagrams sent.
record_drops()
{
	local name=$1 sent=$4 secs=$5 b a n i k out=''
	read -ra b <<<"$2"
	read -ra a <<<"$3"
	n=$(calc "printf \"%.0f\", $sent * $secs / ($UDP_LEN * 8)")
	((n > 0)) || return 0
	k=(tun_tx veth_rx sock rcvbuf_other tun_rx)
	a[3]=$((a[3] - a[2])) b[3]=$((b[3] - b[2]))	# the daemon's socket is counted apart
	for i in 0 1 2 3 4; do
		record "${name}_drop_${k[i]}_pct" "$(calc "printf \"%.3f\", ($((a[i] - b[i]))) * 100 / $n")"
		out+=" ${k[i]} $((a[i] - b[i]))"
	done
	say "    drops of $n datagrams:$out"
}

# test_iperf NAME ARGS...: fresh tunnel, one iperf3 test for DURATION.
test_iperf()
{
	local name=$1 json=$TMP/$1.json c0 c1 d0 w0 w1 hwm line udp=0
	shift
	[[ " $* " == *" -u "* ]] && udp=1
	tunnel_up "${IMPLS[CUR]}" || { say "  $name: tunnel did not come up"; tunnel_down; return 1; }
	d0=$(drop_counters)
	w0=$(wait_of "$IF_B")
	c0=$(cpu_of "$IF_A" "$IF_B")
	pair_iperf "$DURATION" "$json" "$@"
	c1=$(cpu_of "$IF_A" "$IF_B")
	w1=$(wait_of "$IF_B")
	record "${name}_sender_wait_ms_per_s" "$(calc "printf \"%.1f\", ($w1 - $w0) / 1e6 / $DURATION")"
	hwm=$(hwm_of "$IF_A" "$IF_B")
	if ((udp)) && line=$(iperf_read "$json"); then
		# shellcheck disable=SC2086
		record_drops "$name" "$d0" "$(drop_counters)" "$(set -- $line; echo "$5")" "$DURATION"
		[[ $name == udp_fixed ]] && udp_search "$line"
	fi
	tunnel_down
	line=$(iperf_read "$json") || { say "  $name: $line"; return 1; }
	# shellcheck disable=SC2086
	record_iperf "$name" $((c1 - c0)) "$hwm" $udp $line
}

# rate_mbit RATE: iperf3's -b notation (500M, 1G, 1.5G) in Mbit/s.
rate_mbit()
{
	awk -v r="$1" 'BEGIN { m = 1e-6
		if (r ~ /[kK]$/) m = 1e-3; else if (r ~ /[mM]$/) m = 1; else if (r ~ /[gG]$/) m = 1e3
		printf "%d\n", (r + 0) * m }'
}

# udp_search "BPS BYTES RETR LOSS SENT": on the tunnel that just carried
# the fixed-rate test, bisect the offered rate for the highest one with
# under UDP_OK_LOSS % loss: from UDP_RATE's result, doubling while it
# passes (up to UDP_MAX_RATE), then halving the interval, UDP_STEPS steps
# of UDP_STEP_DURATION s.  Records udp_ok_mbit (offered) and
# udp_ok_recv_mbit (received at that rate).
udp_search()
{
	local lo=0 lo_recv=0 hi=0 rate i json=$TMP/udp_step.json line loss sent recv
	rate=$(rate_mbit "$UDP_RATE")
	read -r recv _ _ loss sent <<<"$1"
	for ((i = 0; ; i++)); do
		recv=$(calc "printf \"%.0f\", $recv / 1e6") sent=$(calc "printf \"%.0f\", $sent / 1e6")
		if calc "exit !($loss < $UDP_OK_LOSS)"; then
			lo=$rate lo_recv=$recv
			# A sender that cannot reach the offered rate cannot test more.
			calc "exit !($sent < 0.9 * $rate)" && { say "    udp search: sender-limited at $sent Mbit/s"; break; }
			if ((hi == 0)); then
				((rate >= UDP_MAX_RATE)) && break
				rate=$((rate * 2 > UDP_MAX_RATE ? UDP_MAX_RATE : rate * 2))
			else
				rate=$(((lo + hi) / 2))
			fi
		else
			hi=$rate
			rate=$(((lo + hi) / 2))
		fi
		((i >= UDP_STEPS)) && break
		((hi > 0 && hi - lo <= (lo / 20 > 10 ? lo / 20 : 10))) && break
		pair_iperf "$UDP_STEP_DURATION" "$json" -u -b "${rate}M" -l "$UDP_LEN" -w "$UDP_WINDOW"
		line=$(iperf_read "$json") || { say "    udp search at ${rate}M: $line"; break; }
		read -r recv _ _ loss sent <<<"$line"
		say "    udp ${rate}M: loss $(calc "printf \"%.3f\", $loss") %, received $(calc "printf \"%.0f\", $recv / 1e6") Mbit/s"
	done
	record udp_ok_mbit "$lo"
	record udp_ok_recv_mbit "$lo_recv"
	say "  udp search: highest offered rate with < $UDP_OK_LOSS % loss: $lo Mbit/s (received $lo_recv)"
}

# test_ping: raw veth RTT, then RTT through a fresh idle tunnel.
test_ping()
{
	local vavg v50 vp99 vn tavg t50 tp99 tn
	tunnel_up "${IMPLS[CUR]}" || { say "  ping: tunnel did not come up"; tunnel_down; return 1; }
	read -r vavg v50 vp99 vn < <(ping_stats "$NS_B" "$OUT_A" "$PINGS")
	read -r tavg t50 tp99 tn < <(ping_stats "$NS_B" "$IN_A" "$PINGS")
	tunnel_down
	record veth_rtt_avg_ms "$vavg"
	record veth_rtt_p99_ms "$vp99"
	record rtt_avg_ms "$tavg"
	record rtt_p50_ms "$t50"
	record rtt_p99_ms "$tp99"
	if [[ $vavg != n/a && $tavg != n/a ]]; then
		record rtt_overhead_avg_ms "$(calc "printf \"%.4f\", $tavg - $vavg")"
	fi
	say "  ping: veth avg $vavg ms p99 $vp99 ms ($vn/$PINGS), tunnel avg $tavg p50 $t50 p99 $tp99 ms ($tn/$PINGS)"
}

# test_loaded: RTT through the tunnel while one TCP stream fills it in the
# same direction (b -> a): the pings queue behind the stream's packets in
# the sending daemon, so p99 shows the daemon's queueing (bufferbloat).
# The stream runs DURATION + 2 s; pings start after 1 s, 10 ms apart.
test_loaded()
{
	local json=$TMP/loaded.json ipid n avg p50 p99 got line
	n=$(((DURATION - 1) * 100))
	((n >= 100)) || n=100
	tunnel_up "${IMPLS[CUR]}" || { say "  loaded ping: tunnel did not come up"; tunnel_down; return 1; }
	pair_iperf $((DURATION + 2)) "$json" &
	ipid=$!
	PIDS+=("$ipid")
	sleep 1
	read -r avg p50 p99 got < <(ping_stats "$NS_B" "$IN_A" "$n")
	wait "$ipid"
	tunnel_down
	line=$(iperf_read "$json") || { say "  loaded ping: $line"; return 1; }
	record loaded_rtt_avg_ms "$avg"
	record loaded_rtt_p50_ms "$p50"
	record loaded_rtt_p99_ms "$p99"
	record loaded_ping_loss_pct "$(calc "printf \"%.2f\", ($n - $got) * 100 / $n")"
	record loaded_tcp_mbit "$(calc "printf \"%.1f\", ${line%% *} / 1e6")"
	say "  loaded ping: avg $avg p50 $p50 p99 $p99 ms ($got/$n answered) under $(calc "printf \"%.0f\", ${line%% *} / 1e6") Mbit/s TCP"
}

# test_setconf: PEERS peers into a lone daemon with one `wg setconf`.
test_setconf()
{
	local pid rss0 rss1 hwm t0 t1 n s
	[[ -s $TMP/peers.conf ]] || return 0
	daemon_start "$NS_A" "${IMPLS[CUR]}" "$IF_S" || { daemon_stop "$IF_S"; return 1; }
	pid=${DPID[$IF_S]}
	sleep 0.2
	rss0=$(proc_kb "$pid" VmRSS)
	t0=$(date +%s%N)
	if ! timeout -k 2 300 wg setconf "$IF_S" "$TMP/peers.conf"; then
		say "  setconf: wg setconf of $PEERS peers failed"
		daemon_stop "$IF_S"
		return 1
	fi
	t1=$(date +%s%N)
	rss1=$(proc_kb "$pid" VmRSS)
	hwm=$(proc_kb "$pid" VmHWM)
	n=$(timeout 60 wg show "$IF_S" peers | wc -l)
	daemon_stop "$IF_S"
	((n == PEERS)) || { say "  setconf: wg show lists $n peers, not $PEERS"; return 1; }
	s=$(calc "printf \"%.3f\", ($t1 - $t0) / 1e9")
	record setconf_s "$s"
	record setconf_rss_peak_mib "$(mib "$hwm")"
	record setconf_bytes_per_peer "$(calc "printf \"%.0f\", ($rss1 - $rss0) * 1024 / $PEERS")"
	say "  setconf: $PEERS peers in $s s, RSS $(mib "$rss0") -> $(mib "$rss1") MiB (peak $(mib "$hwm") MiB)"
}

pair_run()
{
	test_ping
	test_iperf tcp1
	test_iperf tcp4 -P 4
	test_iperf udp_fixed -u -b "$UDP_RATE" -l "$UDP_LEN" -w "$UDP_WINDOW"
	test_iperf udp_max -u -b 0 -l "$UDP_LEN" -w "$UDP_WINDOW"
	test_loaded
	test_setconf
}
