#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/ab.sh -- an A/B comparison of two daemons (two lanwired builds, or
# one build with two settings), alternating so that drift and other work
# on the machine fall on both alike:
#
#	bash bench/ab.sh [LABEL=]A_IMPL[@VAR=VALUE] [LABEL=]B_IMPL[@VAR=VALUE]   (as root)
#
# Rounds run A B, B A, A B, ... (ABBA: neither side always goes first).
# Each round, for each side, on a fresh tunnel: TCP with STREAMS streams
# for DURATION seconds through the pair of bench/pair.sh; with UDP=1 also
# UDP unlimited (iperf3 -b 0); with UDP_FIXED=1 also UDP at UDP_RATE
# (1G) with the drop counters of make bench and its search for the highest
# rate with < 1 % loss (UDP_STEPS, 5; 0 skips the search); with LOADED=1
# also ping under one TCP stream (test_loaded); with HUB=1 also one TCP
# stream spoke -> hub -> spoke with all three nodes that side (bench/hub.sh).
#
# Settings: ROUNDS (5), STREAMS (1), DURATION (5), UDP (0), UDP_FIXED (0),
# LOADED (0), HUB (0), UDP_RATE and UDP_STEPS as in bench/lib.sh,
# NSPREFIX (lwbn: namespaces NSPREFIX-<tag>-*, interfaces NSPREFIX<tag>*).
#
# Prints every sample as it comes, then per figure the medians, B/A and
# the spread of each side ((max - min) / median, the noise to judge B/A
# by), as a table and as key=value lines:
#	ab.<figure>.a=V  ab.<figure>.b=V  ab.<figure>.b_over_a=R
#	ab.<figure>.a_spread_pct=P  ab.<figure>.b_spread_pct=P
# Figures: tcp_mbit, tcp_cpu_s_per_gbit (both daemons' CPU-seconds per
# Gbit carried), tcp_sender_wait_ms_per_s (ms per second the sending
# daemon waited for a CPU), udp_max_mbit, udp_max_cpu_s_per_gbit,
# udp_fixed_loss_pct, udp_fixed_drop_tun_tx_pct, udp_fixed_cpu_s_per_gbit,
# udp_fixed_sender_wait_ms_per_s, udp_ok_mbit,
# loaded_rtt_p50_ms, loaded_rtt_p99_ms, loaded_tcp_mbit, hub_mbit,
# hub_hub_cpu_s_per_gbit (the hub's alone).  Lower is better for cpu_*.

set -uo pipefail
export LC_ALL=C
umask 077
top=$(cd "$(dirname "$0")/.." && pwd)
here=$top/bench

: "${ROUNDS:=5}"
: "${STREAMS:=1}"
: "${UDP:=0}"
: "${HUB:=0}"
: "${UDP_FIXED:=0}"
: "${LOADED:=0}"
MICROBENCH=''		# pair_topology: no setconf file wanted here

. "$here/lib.sh"
. "$here/pair.sh"
. "$here/hub.sh"

ab_preflight()
{
	local tool v
	((EUID == 0)) || die "must run as root (network namespaces)"
	nsprefix_check
	for tool in ip wg iperf3 ping jq ss timeout awk; do
		command -v "$tool" >/dev/null || die "missing tool: $tool (make deps)"
	done
	for v in ROUNDS STREAMS DURATION; do
		[[ ${!v} =~ ^[0-9]+$ ]] && ((${!v} > 0)) || die "$v must be a whole number above 0"
	done
	((DURATION > 1)) || die "DURATION must be above 1"
	for v in UDP UDP_FIXED LOADED HUB; do
		[[ ${!v} =~ ^[01]$ ]] || die "$v is 0 or 1"
	done
	mkdir -p /var/run/wireguard
}

# ab_side I: one side's tests on fresh tunnels.
ab_side()
{
	CUR=$1
	say "== round $2/$ROUNDS: ${LABELS[CUR]} (${IMPLS[CUR]})"
	if ((STREAMS > 1)); then
		test_iperf tcp -P "$STREAMS"
	else
		test_iperf tcp
	fi
	((UDP)) && test_iperf udp_max -u -b 0 -l "$UDP_LEN" -w "$UDP_WINDOW"
	((UDP_FIXED)) && test_iperf udp_fixed -u -b "$UDP_RATE" -l "$UDP_LEN" -w "$UDP_WINDOW"
	((LOADED)) && test_loaded
	((HUB)) && test_hub hub "${IMPLS[CUR]}"
	return 0
}

# spread "V V V": (max - min) / median in percent, n/a when empty.
spread()
{
	tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g |
		awk '{ a[NR] = $1 } END {
			if (!NR) { print "n/a"; exit }
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			if (m == 0) { print "n/a"; exit }
			printf "%.1f\n", (a[NR] - a[1]) * 100 / m }'
}

ab_report()
{
	local f a b r sa sb figs=(tcp_mbit tcp_cpu_s_per_gbit tcp_sender_wait_ms_per_s)
	((UDP)) && figs+=(udp_max_mbit udp_max_cpu_s_per_gbit)
	((UDP_FIXED)) && figs+=(udp_fixed_loss_pct udp_fixed_drop_tun_tx_pct
		udp_fixed_cpu_s_per_gbit udp_fixed_sender_wait_ms_per_s udp_ok_mbit)
	((LOADED)) && figs+=(loaded_rtt_p50_ms loaded_rtt_p99_ms loaded_tcp_mbit)
	((HUB)) && figs+=(hub_mbit hub_hub_cpu_s_per_gbit)
	say ""
	say "A = ${LABELS[0]} (${IMPLS[0]}), B = ${LABELS[1]} (${IMPLS[1]}); $ROUNDS rounds, STREAMS=$STREAMS, DURATION=${DURATION}s, UDP_RATE=$UDP_RATE; load $LOAD_START -> $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-24s %10s %10s %8s %9s %9s\n' figure "A median" "B median" "B/A" "A spread" "B spread"
	for f in "${figs[@]}"; do
		a=$(med 0 "$f") b=$(med 1 "$f")
		r=n/a
		[[ $a != n/a && $b != n/a ]] && calc "exit !($a > 0)" &&
			r=$(calc "printf \"%.3f\", $b / $a")
		sa=$(spread "${SAMPLES[0:$f]:-}") sb=$(spread "${SAMPLES[1:$f]:-}")
		printf '%-24s %10s %10s %8s %8s%% %8s%%\n' "$f" "$a" "$b" "$r" "$sa" "$sb"
		KV+=("ab.$f.a=$a" "ab.$f.b=$b" "ab.$f.b_over_a=$r"
			"ab.$f.a_spread_pct=$sa" "ab.$f.b_spread_pct=$sb")
	done
	say ""
	printf '%s\n' "${KV[@]}"
}

main()
{
	local round
	KV=()
	(($# == 2)) || die "usage: bash bench/ab.sh [LABEL=]A_IMPL[@VAR=VALUE] [LABEL=]B_IMPL[@VAR=VALUE]"
	ab_preflight
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
	TMP=$(mktemp -d /tmp/lwbn-bench.XXXXXX) || die "mktemp failed"
	add_impl "$1"
	add_impl "$2"
	pick_tag
	watchdog_start $((120 + ROUNDS * 2 * (1 + UDP + UDP_FIXED * 2 + LOADED + HUB) * (DURATION + 40)))
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	say "ab: tag $TAG, namespaces $NSPREFIX-$TAG-*, load $LOAD_START"
	pair_topology
	((HUB)) && hub_topology
	for ((round = 1; round <= ROUNDS; round++)); do
		if ((round % 2)); then
			ab_side 0 "$round"
			ab_side 1 "$round"
		else
			ab_side 1 "$round"
			ab_side 0 "$round"
		fi
	done
	ab_report
}

main "$@"
