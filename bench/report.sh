# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/report.sh -- the table and the key=value lines: medians per
# implementation, ratios of the first implementation to each other one,
# and issue 14's targets.  Sourced by bench/bench.sh; uses bench/lib.sh.

# Figures in table order: key|label|printf format.
FIGURES=(
	"tcp1_mbit|TCP 1 stream, Mbit/s|%.0f"
	"tcp1_retrans|TCP 1 stream, retransmits|%.0f"
	"tcp1_mbit_per_cpu_s|Mbit per daemon CPU-s, TCP 1|%.0f"
	"tcp1_cpu_s_per_gbit|daemon CPU-s per Gbit, TCP 1|%.2f"
	"tcp1_rss_peak_mib|peak RSS, TCP 1, MiB|%.1f"
	"tcp4_mbit|TCP 4 streams, Mbit/s|%.0f"
	"tcp4_mbit_per_cpu_s|Mbit per daemon CPU-s, TCP 4|%.0f"
	"tcp4_rss_peak_mib|peak RSS, TCP 4, MiB|%.1f"
	"hub_mbit|hub: relayed TCP, Mbit/s|%.0f"
	"hub_retrans|hub: retransmits|%.0f"
	"hub_hub_cpu_s_per_gbit|hub: hub CPU-s per Gbit|%.2f"
	"hub_hub_rss_peak_mib|hub: hub peak RSS, MiB|%.1f"
	"hubonly_mbit|hubonly: relayed TCP, Mbit/s|%.0f"
	"hubonly_hub_cpu_s_per_gbit|hubonly: hub CPU-s per Gbit|%.2f"
	"hubonly_hub_rss_peak_mib|hubonly: hub peak RSS, MiB|%.1f"
	"udp_fixed_sent_mbit|UDP at $UDP_RATE: sent Mbit/s|%.0f"
	"udp_fixed_mbit|UDP at $UDP_RATE: received Mbit/s|%.0f"
	"udp_fixed_loss_pct|UDP at $UDP_RATE: loss %|%.3f"
	"udp_fixed_drop_tun_tx_pct|  dropped at sender's TUN TX, %|%.3f"
	"udp_fixed_drop_veth_rx_pct|  dropped at receiver's veth RX, %|%.3f"
	"udp_fixed_drop_sock_pct|  dropped at receiving daemon socket, %|%.3f"
	"udp_fixed_drop_rcvbuf_other_pct|  dropped at iperf3's socket, %|%.3f"
	"udp_fixed_drop_tun_rx_pct|  dropped at receiver's TUN RX, %|%.3f"
	"udp_fixed_sender_wait_ms_per_s|  sending daemon waiting for a CPU, ms/s|%.0f"
	"udp_ok_mbit|UDP: highest rate, < $UDP_OK_LOSS % loss|%.0f"
	"udp_ok_recv_mbit|UDP: received at that rate|%.0f"
	"udp_max_mbit|UDP unlimited: received Mbit/s|%.0f"
	"udp_max_loss_pct|UDP unlimited: loss %|%.2f"
	"udp_max_rss_peak_mib|peak RSS, UDP unlimited, MiB|%.1f"
	"rtt_avg_ms|idle tunnel RTT avg, ms|%.3f"
	"rtt_p50_ms|idle tunnel RTT p50, ms|%.3f"
	"rtt_p99_ms|idle tunnel RTT p99, ms|%.3f"
	"veth_rtt_avg_ms|raw veth RTT avg, ms|%.3f"
	"rtt_overhead_avg_ms|tunnel RTT overhead avg, ms|%.3f"
	"loaded_rtt_p50_ms|RTT under TCP load p50, ms|%.2f"
	"loaded_rtt_p99_ms|RTT under TCP load p99, ms|%.2f"
	"loaded_rtt_avg_ms|RTT under TCP load avg, ms|%.2f"
	"loaded_ping_loss_pct|pings lost under load, %|%.1f"
	"loaded_tcp_mbit|TCP during that, Mbit/s|%.0f"
	"first_ping_ms|link up -> first ping, ms|%.0f"
	"rss_idle_mib|RSS after first ping, MiB|%.1f"
	"setconf_s|setconf $PEERS peers, s|%.2f"
	"setconf_rss_peak_mib|peak RSS in setconf, MiB|%.1f"
	"setconf_bytes_per_peer|RSS per peer, bytes|%.0f"
)

# Issue 14's targets: name|figure|text; judged in target_status against
# the implementation labelled TARGET_REF (default upstream).
TARGETS=(
	"tcp1_2x_ref|tcp1_mbit|TCP 1 stream >= 2.0x"
	"cpu_2x_ref|tcp1_mbit_per_cpu_s|Mbit per CPU-s >= 2.0x"
	"rss_not_higher|tcp1_rss_peak_mib|peak RSS <= $RSS_TODAY_MIB MiB"
	"hub_2x_ref|hub_mbit|relayed TCP >= 2.0x"
	"udp_loss_under_0.1pct|udp_fixed_loss_pct|loss < 0.1 % at $UDP_RATE"
	"loaded_p99_not_worse|loaded_rtt_p99_ms|p99 under load <= ref"
)

# label_index LABEL: index of that implementation, or fails.
label_index()
{
	local i
	for i in "${!LABELS[@]}"; do
		[[ ${LABELS[i]} == "$1" ]] && { echo "$i"; return 0; }
	done
	return 1
}

# ratio FIGURE INDEX: median of the first implementation / median of INDEX.
ratio()
{
	local a b
	a=$(med 0 "$1") b=$(med "$2" "$1")
	[[ $a == n/a || $b == n/a ]] && { echo n/a; return; }
	calc "if ($b == 0) print \"n/a\"; else printf \"%.2f\", $a / $b"
}

# target_status NAME FIGURE: met, not_met or unknown.
target_status()
{
	local name=$1 fig=$2 a r ref cond=
	a=$(med 0 "$fig")
	ref=$(label_index "$TARGET_REF") && r=$(ratio "$fig" "$ref") || r=n/a
	case $name in
	*_2x_ref) [[ $r == n/a ]] || cond="$r >= 2" ;;
	loaded_p99_not_worse) [[ $r == n/a ]] || cond="$r <= 1" ;;
	rss_not_higher) [[ $a == n/a ]] || cond="$a <= $RSS_TODAY_MIB" ;;
	udp_loss_under_0.1pct) [[ $a == n/a ]] || cond="$a < 0.1" ;;
	esac
	[[ -n $cond ]] || { echo unknown; return; }
	calc "print ($cond) ? \"met\" : \"not_met\""
}

fmt()
{
	[[ $2 == n/a ]] && { echo n/a; return; }
	calc "printf \"$1\", $2"
}

report_table()
{
	local spec key label f i r
	printf '%-36s' figure
	for i in "${!LABELS[@]}"; do printf '%12s' "${LABELS[i]:0:11}"; done
	for ((i = 1; i < ${#LABELS[@]}; i++)); do printf '%11s' "/${LABELS[i]:0:9}"; done
	printf '\n%*s\n' $((36 + 12 * ${#LABELS[@]} + 11 * (${#LABELS[@]} - 1))) '' | tr ' ' -
	for spec in "${FIGURES[@]}"; do
		IFS='|' read -r key label f <<<"$spec"
		printf '%-36s' "$label"
		for i in "${!LABELS[@]}"; do
			printf '%12s' "$(fmt "$f" "$(med "$i" "$key")")"
		done
		for ((i = 1; i < ${#LABELS[@]}; i++)); do
			r=$(ratio "$key" "$i")
			printf '%11s' "$([[ $r == n/a ]] && echo - || echo "${r}x")"
		done
		printf '\n'
	done
}

report_targets()
{
	local spec name fig text
	say ""
	say "== issue 14 targets for ${LABELS[0]} (ratios against $TARGET_REF)"
	for spec in "${TARGETS[@]}"; do
		IFS='|' read -r name fig text <<<"$spec"
		printf '  %-34s %s\n' "$text" "$(target_status "$name" "$fig" | tr _ ' ')"
	done
}

report_micro()
{
	local key
	((${#MICRO[@]})) || return 0
	say ""
	say "== micro-benchmarks of the lanwired library: one core, per CPU-second, $PREFIXES prefixes per family"
	for key in allowedips_v4_lookups_per_s allowedips_v6_lookups_per_s \
		allowedips_v4_inserts_per_s allowedips_v6_inserts_per_s \
		handshakes_per_s responder_handshakes_per_s; do
		printf '  %-34s%16s\n' "$key" "${MICRO[$key]:-n/a}"
	done
}

report_keys()
{
	local spec key label f i name fig text
	say "bench.runs=$RUNS"
	say "bench.duration_s=$DURATION"
	say "bench.udp_rate=$UDP_RATE"
	say "bench.implementations=${LABELS[*]}"
	for i in "${!LABELS[@]}"; do say "bench.path.${LABELS[i]}=${IMPLS[i]}"; done
	say "bench.spoke=$SPOKE"
	say "bench.load_start=$LOAD_START"
	say "bench.load_end=$LOAD_END"
	for spec in "${FIGURES[@]}"; do
		IFS='|' read -r key label f <<<"$spec"
		for i in "${!LABELS[@]}"; do
			say "bench.$key.${LABELS[i]}=$(med "$i" "$key")"
		done
		for ((i = 1; i < ${#LABELS[@]}; i++)); do
			say "bench.ratio_${LABELS[i]}.$key=$(ratio "$key" "$i")"
		done
	done
	for spec in "${TARGETS[@]}"; do
		IFS='|' read -r name fig text <<<"$spec"
		say "bench.target.${name/_ref/_$TARGET_REF}=$(target_status "$name" "$fig")"
	done
	for key in $(printf '%s\n' "${!MICRO[@]}" | sort); do
		say "bench.micro.$key=${MICRO[$key]}"
	done
}

report()
{
	local i
	say ""
	say "== lanwire bench: RUNS=$RUNS alternating, DURATION=${DURATION}s, medians; ratio /X = ${LABELS[0]} / X"
	say "   load average at start: $LOAD_START; at end: $LOAD_END"
	for i in "${!LABELS[@]}"; do say "   ${LABELS[i]} = ${IMPLS[i]}"; done
	say "   hubonly spokes = $SPOKE"
	report_table
	report_targets
	report_micro
	say ""
	report_keys
}
