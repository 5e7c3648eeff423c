#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/bench.sh -- userspace WireGuard implementations measured side by
# side in one run, alternating (A B C A B C ...), reporting medians and the
# ratios of the first implementation to each of the others:
#
#	bash bench/bench.sh [[LABEL=]IMPL[@VAR=VALUE]...]   (as root; `make bench`)
#
# IMPL is a daemon with wireguard-go's command line (`IMPL -f IFACE`, UAPI
# socket in /var/run/wireguard); @VAR=VALUE runs it with that environment
# setting.  Default: lanwired=build/lanwired, debian=/usr/bin/wireguard-go
# and upstream=the wireguard-go release in ../shared/ref (skipped with a
# message when absent; UPSTREAM=PATH names another).
#
# The parts, one file per concern:
#	lib.sh     settings, processes, daemons, CPU/RSS, samples, iperf3, ping
#	pair.sh    two nodes: TCP 1 and 4 streams, UDP at UDP_RATE and the
#	           bisection for the highest rate under 1 % loss, UDP unlimited,
#	           idle RTT, RTT under TCP load, `wg setconf` of PEERS peers
#	hub.sh     spoke -> hub -> spoke: all three nodes under test ("hub"),
#	           only the hub ("hubonly", spokes SPOKE = build/lanwired)
#	report.sh  table, issue 14's targets, key=value lines
# then bench/manypeers.sh when it exists (MANYPEERS=0 skips it; bounded by
# MANYPEERS_TIMEOUT, 1200 s), given every implementation as LABEL=PATH;
# then bench/ctlscale.sh (one hub's serve and 1,000 simulated agents;
# CTLSCALE=0 skips it, CTLSCALE_TIMEOUT 600 s bounds it).
#
# docs/bench.md says what each figure means and lists every setting
# (RUNS 3, DURATION 5, UDP_RATE 1G, ...).  Everything runs under
# timeout(1) and a watchdog; namespaces NSPREFIX-<tag>-*, interfaces
# NSPREFIX<tag>* (NSPREFIX default lwbn) and every process started here
# (by PID) are removed on exit.

set -uo pipefail
export LC_ALL=C
umask 077
top=$(cd "$(dirname "$0")/.." && pwd)
here=$top/bench

: "${MICROBENCH:=$top/build/bench/microbench}"
: "${SPOKE:=$top/build/lanwired}"
: "${TARGET_REF:=upstream}"
LOAD_START='' LOAD_END=''

. "$here/lib.sh"
. "$here/pair.sh"
. "$here/hub.sh"
. "$here/report.sh"

preflight()
{
	local tool v
	((EUID == 0)) || die "must run as root (network namespaces)"
	nsprefix_check
	for tool in ip wg iperf3 ping jq ss timeout awk ps sysctl; do
		command -v "$tool" >/dev/null || die "missing tool: $tool (make deps)"
	done
	[[ -c /dev/net/tun ]] || die "no /dev/net/tun"
	for v in RUNS DURATION PINGS PEERS UDP_STEPS UDP_STEP_DURATION UDP_MAX_RATE \
		MANYPEERS_TIMEOUT; do
		[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number"
	done
	((RUNS > 0 && DURATION > 1 && PINGS > 0)) || die "RUNS, DURATION (> 1), PINGS too small"
	SPOKE=$(resolve_impl "$SPOKE") || die "spoke daemon '$SPOKE' is not an executable (run make?)"
	mkdir -p /var/run/wireguard
}

run_micro()
{
	local k v
	[[ -x $MICROBENCH ]] || { say "bench: no $MICROBENCH, micro-benchmarks skipped"; return; }
	say "== micro-benchmarks: $MICROBENCH $PREFIXES"
	while IFS='=' read -r k v; do
		[[ -n $k ]] && MICRO[$k]=$v
	done < <(timeout -k 2 300 "$MICROBENCH" "$PREFIXES")
	((${#MICRO[@]})) || say "  microbench printed nothing"
}

# run_manypeers: bench/manypeers.sh (the many-peers hub load) when present.
run_manypeers()
{
	local args=() i
	[[ -f $here/manypeers.sh ]] || return 0
	if [[ $MANYPEERS == 0 ]]; then
		say "bench: MANYPEERS=0: bench/manypeers.sh skipped"
		return 0
	fi
	# manypeers.sh takes the daemons' paths and names them itself
	# (impl_label); LABEL=PATH words were taken for paths and skipped.
	args=("${IMPLS[@]}")
	say ""
	say "== bench/manypeers.sh ${args[*]} (at most ${MANYPEERS_TIMEOUT}s)"
	timeout -k 10 "$MANYPEERS_TIMEOUT" bash "$here/manypeers.sh" "${args[@]}" ||
		say "bench: bench/manypeers.sh failed or timed out (status $?)"
}

# run_ctlscale: bench/ctlscale.sh (one serve, CTLSCALE_AGENTS simulated
# agents holding requests open; issue 12) when present; its
# bench.ctlscale.* key=value lines go to the report's stdout.
run_ctlscale()
{
	[[ -f $here/ctlscale.sh ]] || return 0
	if [[ ${CTLSCALE:-1} == 0 ]]; then
		say "bench: CTLSCALE=0: bench/ctlscale.sh skipped"
		return 0
	fi
	say ""
	say "== bench/ctlscale.sh (at most ${CTLSCALE_TIMEOUT:-600}s)"
	timeout -k 10 "${CTLSCALE_TIMEOUT:-600}" bash "$here/ctlscale.sh" \
		"$top/build/lanwire" "$top/build/bench/ctlscale" ||
		say "bench: bench/ctlscale.sh failed or timed out (status $?)"
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

main()
{
	local run i deadline
	preflight
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
	TMP=$(mktemp -d /tmp/lwbn-bench.XXXXXX) || die "mktemp failed"
	parse_impls "$@"
	pick_tag
	deadline=${BENCH_DEADLINE:-$((600 + RUNS * ${#IMPLS[@]} * (9 * (DURATION + 15) + UDP_STEPS * (UDP_STEP_DURATION + 5) + PINGS / 25 + 60)))}
	watchdog_start "$deadline"
	LOAD_START=$(load_avg)
	say "bench: tag $TAG, RUNS=$RUNS, DURATION=${DURATION}s, UDP_RATE=$UDP_RATE, PINGS=$PINGS, PEERS=$PEERS, deadline ${deadline}s, load $LOAD_START"
	pair_topology
	hub_topology
	for ((run = 1; run <= RUNS; run++)); do
		for i in "${!IMPLS[@]}"; do
			CUR=$i
			say "== run $run/$RUNS: ${LABELS[i]} (${IMPLS[i]})"
			pair_run
			hub_run
		done
	done
	run_micro
	LOAD_END=$(load_avg)
	report
	kill_pid "$WATCHDOG"
	WATCHDOG=
	run_manypeers
	run_ctlscale
}

main "$@"
