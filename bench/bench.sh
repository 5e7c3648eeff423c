#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/bench.sh -- userspace WireGuard implementations measured side by
# side on one topology, in one run, alternating (A B A B ...), reporting
# medians and the ratios of the first implementation to the baseline:
#
#	bash bench/bench.sh [IMPL...]		(as root; `make bench` runs it)
#
# IMPL is a daemon with wireguard-go's command line (`IMPL -f IFACE`,
# UAPI socket in /var/run/wireguard), or PATH@VAR=VALUE for one run with
# that environment setting; default build/lanwired (crypto threads, one
# per CPU), build/lanwired@LANWIRE_THREADS=1 (the loop alone) and
# /usr/bin/wireguard-go.  The first IMPL is the one under test; BASELINE
# (default /usr/bin/wireguard-go) is added when not listed, and every ratio
# is first / baseline.  Both ends of the tunnel run the same IMPL.
#
#  ┌──────────── lwb-<tag>-a ────────────┐          ┌──────────── lwb-<tag>-b ────────────┐
#  │ lwb<tag>a  10.99.0.1/24  (MTU 1420) │  tunnel  │ lwb<tag>b  10.99.0.2/24  (MTU 1420) │
#  │ IMPL, listen-port 51820             │<========>│ IMPL, listen-port 51821             │
#  │ iperf3 -s, ping target              │          │ iperf3 -c, ping  (data flows b->a)  │
#  │ lwb<tag>s: one more IMPL, alone,    │          │                                     │
#  │   for `wg setconf` of PEERS peers   │          │                                     │
#  │ lwb<tag>va 198.18.0.1/24            ├── veth ──┤ lwb<tag>vb 198.18.0.2/24            │
#  └─────────────────────────────────────┘          └─────────────────────────────────────┘
#
# One run of one IMPL brings the tunnel up fresh (new daemons, new keys
# loaded, `ip link set up`, ping until answered) before each of: ping RTT,
# TCP 1 stream, TCP 4 streams, UDP at UDP_RATE, UDP unlimited; then
# `wg setconf` of PEERS peers into a lone daemon.  Per test it reads both
# daemons' utime+stime and VmHWM from /proc.  Then the micro-benchmarks of
# the lanwired library (MICROBENCH).  docs/bench.md says what each figure
# means.  Output: progress lines, a table, then one key=value line per
# figure ("bench.<impl>.<figure>=", "bench.ratio.<figure>=",
# "bench.target.<name>=met|not_met|unknown", "bench.micro.<figure>=").
#
# Environment: RUNS (3), DURATION (10 s per iperf3 test), UDP_RATE (500M),
# UDP_LEN (1392, fills the 1420 MTU), UDP_WINDOW (2M socket buffers),
# PINGS (500, 10 ms apart), PEERS (10000), PREFIXES (1000000), BASELINE,
# MICROBENCH (build/bench/microbench; skipped if absent), BENCH_DEADLINE
# (seconds before the watchdog aborts; default from the above).
#
# Everything runs under timeout(1).  Namespaces lwb-<tag>-*, interfaces
# lwb<tag>* and every process started here (by PID) are removed on exit.

set -uo pipefail
export LC_ALL=C
umask 077
top=$(cd "$(dirname "$0")/.." && pwd)

: "${RUNS:=3}"
: "${DURATION:=10}"
: "${UDP_RATE:=500M}"
: "${UDP_LEN:=1392}"
: "${UDP_WINDOW:=2M}"
: "${PINGS:=500}"
: "${PEERS:=10000}"
: "${PREFIXES:=1000000}"
: "${BASELINE:=/usr/bin/wireguard-go}"
: "${MICROBENCH:=$top/build/bench/microbench}"

OUT_A=198.18.0.1 OUT_B=198.18.0.2
IN_A=10.99.0.1 IN_B=10.99.0.2
PORT_A=51820 PORT_B=51821 IPERF_PORT=5201
MTU=1420
HZ=$(getconf CLK_TCK)

TAG='' TMP='' NS_A='' NS_B='' IF_A='' IF_B='' IF_S=''
NS_MADE=()	# namespaces we created
PIDS=()		# every background PID we started
WATCHDOG=
declare -A DPID=()	# iface -> daemon PID
declare -A SAMPLES=()	# "impl-index:figure" -> space-separated samples
declare -A MICRO=()	# micro-benchmark figure -> value
IMPLS=() LABELS=() BASE=-1 BASE_LABEL=none

say() { printf '%s\n' "$*"; }
die() { say "bench: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- processes

. "$(dirname "${BASH_SOURCE[0]}")/../tests/proc.sh"	# pid_alive, kill_pid, wait_until

# in_ns NS SECONDS CMD...: bounded command inside a namespace.
in_ns()
{
	local ns=$1 limit=$2
	shift 2
	ip netns exec "$ns" timeout -k 2 "$limit" "$@"
}

cleanup()
{
	local pid ns ifc
	trap - EXIT INT TERM HUP
	[[ -n $WATCHDOG ]] && kill_pid "$WATCHDOG"
	for pid in "${PIDS[@]}"; do
		kill_pid "$pid"
	done
	# Anything left inside our namespaces was started by us.
	for ns in "${NS_MADE[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill_pid "$pid"
		done
		ip netns del "$ns" 2>/dev/null
	done
	for ifc in $IF_A $IF_B $IF_S; do
		rm -f "/var/run/wireguard/$ifc.sock"
	done
	[[ $TMP == /tmp/lwb-bench.* ]] && rm -rf "$TMP"
}

watchdog_start()
{
	local me=$$ limit=$1
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$limit" &
		sp=$!
		wait "$sp"
		echo "bench: watchdog: still running after ${limit}s, aborting" >&2
		kill -TERM "$me" 2>/dev/null
	) </dev/null >&2 &
	WATCHDOG=$!
}

# ---------------------------------------------------------------- setup

base36()
{
	local n=$1 digits=0123456789abcdefghijklmnopqrstuvwxyz s=
	while ((n > 0)); do
		s=${digits:n % 36:1}$s
		n=$((n / 36))
	done
	printf '%s' "${s:-0}"
}

pick_tag()
{
	local t
	t=$(base36 $$)
	while ((${#t} < 5)); do t=0$t; done
	t=${t: -5}
	while ip netns list 2>/dev/null | grep -q "^lwb-$t-" ||
		compgen -G "/var/run/wireguard/lwb$t*" >/dev/null; do
		t=${t:0:4}$(base36 $((RANDOM % 36)))
	done
	TAG=$t
	NS_A=lwb-$t-a NS_B=lwb-$t-b
	IF_A=lwb${t}a IF_B=lwb${t}b IF_S=lwb${t}s
}

# resolve_impl PATH: absolute path of an executable, or fail.
resolve_impl()
{
	local p
	p=$(command -v -- "$1") || return 1
	[[ $p == /* ]] || p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
	[[ -x $p ]] && printf '%s' "$p"
}

# variant_wrapper PATH VAR=VALUE: a script in $TMP that runs PATH with
# VAR=VALUE in its environment (exec, so the PID is the daemon's); prints
# its path, named after PATH and the setting so the label says both.
variant_wrapper()
{
	local path=$1 setting=$2 name w
	name=$(basename "$path")-$(tr 'A-Z=' 'a-z_' <<<"${setting#LANWIRE_}")
	w=$TMP/variants/$name
	mkdir -p "$TMP/variants"
	printf '#!/bin/sh\nexec env %q %q "$@"\n' "$setting" "$path" >"$w"
	chmod 0755 "$w"
	printf '%s' "$w"
}

# parse_impls IMPL...: fills IMPLS, LABELS (unique, key-safe) and BASE.
# IMPL is a path, or PATH@VAR=VALUE for that daemon run with VAR=VALUE
# (say build/lanwired@LANWIRE_THREADS=1).
parse_impls()
{
	local arg p label base base_path i n
	(($#)) || set -- "$top/build/lanwired" \
		"$top/build/lanwired@LANWIRE_THREADS=1" "$BASELINE"
	base_path=$(resolve_impl "$BASELINE") || base_path=
	for arg; do
		if [[ $arg =~ ^(.+)@([A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_.-]*)$ ]]; then
			p=$(resolve_impl "${BASH_REMATCH[1]}") ||
				die "'${BASH_REMATCH[1]}' is not an executable (run make?)"
			p=$(variant_wrapper "$p" "${BASH_REMATCH[2]}")
		else
			p=$(resolve_impl "$arg") || die "'$arg' is not an executable (run make?)"
		fi
		IMPLS+=("$p")
	done
	if [[ -n $base_path ]]; then
		for i in "${!IMPLS[@]}"; do
			[[ ${IMPLS[i]} == "$base_path" ]] && BASE=$i
		done
		if ((BASE < 0)); then
			IMPLS+=("$base_path")
			BASE=$((${#IMPLS[@]} - 1))
		fi
	else
		say "bench: baseline $BASELINE not found: no ratios" >&2
	fi
	# Labels: basenames, made key-safe; on a clash the baseline keeps the
	# plain name and the others get -2, -3, ...
	for i in $( ((BASE < 0)) || echo "$BASE") "${!IMPLS[@]}"; do
		[[ -n ${LABELS[i]:-} ]] && continue
		base=$(basename "${IMPLS[i]}" | tr -c 'A-Za-z0-9_.\n-' '_')
		label=$base n=1
		while printf '%s\n' "${LABELS[@]}" | grep -qx -- "$label"; do
			n=$((n + 1))
			label=$base-$n
		done
		LABELS[i]=$label
	done
	((BASE < 0)) || BASE_LABEL=${LABELS[BASE]}
}

preflight()
{
	local tool
	((EUID == 0)) || die "must run as root (network namespaces)"
	for tool in ip wg iperf3 ping jq ss timeout awk ps; do
		command -v "$tool" >/dev/null || die "missing tool: $tool (make deps)"
	done
	[[ -c /dev/net/tun ]] || die "no /dev/net/tun"
	[[ $RUNS =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ ]] ||
		die "RUNS and DURATION must be positive integers"
	[[ $PINGS =~ ^[1-9][0-9]*$ && $PEERS =~ ^[1-9][0-9]*$ ]] ||
		die "PINGS and PEERS must be positive integers"
	mkdir -p /var/run/wireguard
}

topology_up()
{
	ip netns add "$NS_A" || die "cannot create namespace $NS_A"
	NS_MADE+=("$NS_A")
	ip netns add "$NS_B" || die "cannot create namespace $NS_B"
	NS_MADE+=("$NS_B")
	ip link add "lwb${TAG}va" netns "$NS_A" type veth \
		peer name "lwb${TAG}vb" netns "$NS_B" || die "cannot create veth"
	ip -n "$NS_A" addr add "$OUT_A/24" dev "lwb${TAG}va" &&
		ip -n "$NS_B" addr add "$OUT_B/24" dev "lwb${TAG}vb" &&
		ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up &&
		ip -n "$NS_A" link set "lwb${TAG}va" up &&
		ip -n "$NS_B" link set "lwb${TAG}vb" up ||
		die "cannot configure the veth pair"
	wait_until 5 in_ns "$NS_B" 3 ping -n -q -c1 -W1 "$OUT_A" >/dev/null ||
		die "the veth pair does not carry pings"
}

make_keys()
{
	local s
	for s in a b; do
		wg genkey >"$TMP/$s.key" && wg pubkey <"$TMP/$s.key" >"$TMP/$s.pub" ||
			die "wg genkey failed"
	done
	if [[ -x $MICROBENCH ]]; then
		timeout 120 "$MICROBENCH" conf "$PEERS" >"$TMP/peers.conf" ||
			die "$MICROBENCH conf $PEERS failed"
	fi
}

# ---------------------------------------------------------------- daemons

# daemon_start NS IMPL IFACE: foreground daemon in NS, waits (10 s) for its
# UAPI socket and interface.
daemon_start()
{
	local ns=$1 impl=$2 ifc=$3 pid
	ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error \
		"$impl" -f "$ifc" >>"$TMP/$ifc.log" 2>&1 </dev/null &
	pid=$!
	PIDS+=("$pid")
	DPID[$ifc]=$pid
	wait_until 10 daemon_ready "$ns" "$ifc" && return 0
	say "  $ifc: no UAPI socket or interface after 10 s$(pid_alive "$pid" || echo ' (daemon exited)')"
	tail -n 5 "$TMP/$ifc.log" | sed 's/^/    /'
	return 1
}

daemon_ready()
{
	pid_alive "${DPID[$2]}" && [[ -S /var/run/wireguard/$2.sock ]] &&
		ip -n "$1" link show dev "$2" >/dev/null 2>&1
}

# daemon_stop NS IFACE: ends it by PID, waits (5 s) for its interface to go.
daemon_stop()
{
	local ns=$1 ifc=$2 pid=${DPID[$2]:-}
	[[ -n $pid ]] || return 0
	kill_pid "$pid"
	unset "DPID[$ifc]"
	rm -f "/var/run/wireguard/$ifc.sock"
	wait_until 5 eval "! ip -n $ns link show dev $ifc >/dev/null 2>&1"
}

# proc_cpu PID: utime + stime in clock ticks (fields 14 and 15).
proc_cpu() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }

# proc_kb PID FIELD: VmRSS, VmHWM, ... of /proc/PID/status in kB.
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ---------------------------------------------------------------- tunnel

# tunnel_up IMPL: both daemons, keys, peers, endpoints, addresses; then
# `ip link set up` on both and ping (-c1 -W1, repeated) until answered.
# Records first_ping_ms and rss_idle_mib for impl index CUR.
tunnel_up()
{
	local impl=$1 t0 deadline ms
	daemon_start "$NS_A" "$impl" "$IF_A" && daemon_start "$NS_B" "$impl" "$IF_B" ||
		return 1
	timeout 10 wg set "$IF_A" listen-port $PORT_A private-key "$TMP/a.key" \
		peer "$(cat "$TMP/b.pub")" allowed-ips "$IN_B/32" endpoint "$OUT_B:$PORT_B" &&
		timeout 10 wg set "$IF_B" listen-port $PORT_B private-key "$TMP/b.key" \
			peer "$(cat "$TMP/a.pub")" allowed-ips "$IN_A/32" endpoint "$OUT_A:$PORT_A" &&
		ip -n "$NS_A" addr add "$IN_A/24" dev "$IF_A" &&
		ip -n "$NS_B" addr add "$IN_B/24" dev "$IF_B" &&
		ip -n "$NS_A" link set "$IF_A" mtu $MTU &&
		ip -n "$NS_B" link set "$IF_B" mtu $MTU || return 1
	t0=$(now_ms)
	deadline=$((t0 + 15000))
	ip -n "$NS_A" link set "$IF_A" up && ip -n "$NS_B" link set "$IF_B" up || return 1
	until in_ns "$NS_B" 3 ping -n -q -c1 -W1 "$IN_A" >/dev/null 2>&1; do
		(($(now_ms) > deadline)) && { say "  no ping through the tunnel after 15 s"; return 1; }
		sleep 0.01
	done
	ms=$(($(now_ms) - t0))
	record first_ping_ms "$ms"
	record rss_idle_mib "$(mib "$(max "$(proc_kb "${DPID[$IF_A]}" VmRSS)" "$(proc_kb "${DPID[$IF_B]}" VmRSS)")")"
	return 0
}

tunnel_down()
{
	daemon_stop "$NS_A" "$IF_A"
	daemon_stop "$NS_B" "$IF_B"
}

# cpu_both: CPU ticks of both tunnel daemons together.
cpu_both()
{
	local a b
	a=$(proc_cpu "${DPID[$IF_A]}") b=$(proc_cpu "${DPID[$IF_B]}")
	echo $((${a:-0} + ${b:-0}))
}

# hwm_both: the larger VmHWM of the two, kB.
hwm_both() { max "$(proc_kb "${DPID[$IF_A]}" VmHWM)" "$(proc_kb "${DPID[$IF_B]}" VmHWM)"; }

# ---------------------------------------------------------------- samples

CUR=0	# index of the implementation being measured

record()
{
	[[ $2 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] || return 0
	SAMPLES[$CUR:$1]+="$2 "
}

max() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
calc() { awk "BEGIN { $1 }"; }

# median "V V V": n/a when empty.
median()
{
	tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g |
		awk '{ a[NR] = $1 } END {
			if (!NR) { print "n/a"; exit }
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "%.10g\n", m }'
}

med() { median "${SAMPLES[$1:$2]:-}"; }

# ---------------------------------------------------------------- tests

iperf_listening() { in_ns "$NS_A" 3 ss -Hltn "sport = :$IPERF_PORT" | grep -q LISTEN; }

# iperf_run OUT ARGS...: one-shot server in A, client in B -> OUT (JSON).
iperf_run()
{
	local out=$1 spid rc
	shift
	ip netns exec "$NS_A" timeout -k 2 $((DURATION + 40)) iperf3 -s -1 \
		-B "$IN_A" -p $IPERF_PORT >/dev/null 2>&1 </dev/null &
	spid=$!
	PIDS+=("$spid")
	if ! wait_until 5 iperf_listening; then
		kill_pid "$spid"
		echo '{"error":"iperf3 server not listening"}' >"$out"
		return 1
	fi
	in_ns "$NS_B" $((DURATION + 30)) iperf3 -c "$IN_A" -p $IPERF_PORT \
		-t "$DURATION" -J --connect-timeout 5000 "$@" >"$out" 2>/dev/null
	rc=$?
	wait_until 5 eval "! pid_alive $spid"
	kill_pid "$spid"
	return $rc
}

# test_iperf NAME ARGS...: fresh tunnel, iperf3 with ARGS, records
# NAME_mbit, NAME_retrans (TCP) or NAME_loss_pct (UDP), NAME_cpu_s_per_gbit,
# NAME_gbit_per_cpu_s and NAME_rss_peak_mib.
test_iperf()
{
	local name=$1 impl=${IMPLS[CUR]} json=$TMP/$1.json c0 c1 hwm err
	local bps bytes retr loss cpu gbit
	shift
	tunnel_up "$impl" || { say "  $name: tunnel did not come up"; tunnel_down; return 1; }
	c0=$(cpu_both)
	iperf_run "$json" "$@"
	c1=$(cpu_both)
	hwm=$(hwm_both)
	tunnel_down
	err=$(jq -r '.error // empty' "$json" 2>/dev/null)
	if [[ -n $err || ! -s $json ]]; then
		say "  $name: iperf3 failed: ${err:-no output}"
		return 1
	fi
	read -r bps bytes retr loss < <(jq -r '.end.sum_received as $r |
		"\($r.bits_per_second) \($r.bytes) \(.end.sum_sent.retransmits // 0) \($r.lost_percent // 0)"' "$json")
	cpu=$(calc "printf \"%.2f\", ($c1 - $c0) / $HZ")
	gbit=$(calc "printf \"%.4f\", $bytes * 8 / 1e9")
	record "${name}_mbit" "$(calc "printf \"%.1f\", $bps / 1e6")"
	if [[ $* == *-u* ]]; then
		record "${name}_loss_pct" "$(calc "printf \"%.3f\", $loss")"
	else
		record "${name}_retrans" "$retr"
	fi
	if calc "exit !($gbit > 0 && $cpu > 0)"; then
		record "${name}_cpu_s_per_gbit" "$(calc "printf \"%.4f\", $cpu / $gbit")"
		record "${name}_gbit_per_cpu_s" "$(calc "printf \"%.4f\", $gbit / $cpu")"
	fi
	record "${name}_rss_peak_mib" "$(mib "$hwm")"
	say "  $name: $(calc "printf \"%.0f\", $bps / 1e6") Mbit/s, $([[ $* == *-u* ]] && calc "printf \"loss %.3f %%\", $loss" || echo "$retr retransmits"), daemons ${cpu} CPU-s for $gbit Gbit, peak RSS $(mib "$hwm") MiB"
}

# ping_stats NS DST: "avg p99 answered" over PINGS pings 10 ms apart.
ping_stats()
{
	in_ns "$1" $((PINGS / 50 + 20)) ping -n -i 0.01 -W 1 -c "$PINGS" "$2" 2>/dev/null |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -g |
		awk '{ t[NR] = $1; s += $1 } END {
			if (!NR) { print "n/a n/a 0"; exit }
			i = int(NR * 0.99); if (i < NR * 0.99) i++
			printf "%.4f %.4f %d\n", s / NR, t[i], NR }'
}

# test_ping: raw veth RTT, then RTT through a fresh tunnel, same way.
test_ping()
{
	local vavg vp99 vn tavg tp99 tn
	tunnel_up "${IMPLS[CUR]}" || { say "  ping: tunnel did not come up"; tunnel_down; return 1; }
	read -r vavg vp99 vn < <(ping_stats "$NS_B" "$OUT_A")
	read -r tavg tp99 tn < <(ping_stats "$NS_B" "$IN_A")
	tunnel_down
	record veth_rtt_avg_ms "$vavg"
	record veth_rtt_p99_ms "$vp99"
	record rtt_avg_ms "$tavg"
	record rtt_p99_ms "$tp99"
	if [[ $vavg != n/a && $tavg != n/a ]]; then
		record rtt_overhead_avg_ms "$(calc "printf \"%.4f\", $tavg - $vavg")"
		record rtt_overhead_p99_ms "$(calc "printf \"%.4f\", $tp99 - $vp99")"
	fi
	say "  ping: veth avg $vavg ms p99 $vp99 ms ($vn/$PINGS), tunnel avg $tavg ms p99 $tp99 ms ($tn/$PINGS)"
}

# test_setconf: PEERS peers into a lone daemon with one `wg setconf`.
test_setconf()
{
	local pid rss0 rss1 hwm t0 t1 n s
	[[ -s $TMP/peers.conf ]] || return 0
	daemon_start "$NS_A" "${IMPLS[CUR]}" "$IF_S" || { daemon_stop "$NS_A" "$IF_S"; return 1; }
	pid=${DPID[$IF_S]}
	sleep 0.2
	rss0=$(proc_kb "$pid" VmRSS)
	t0=$(date +%s%N)
	if ! timeout -k 2 300 wg setconf "$IF_S" "$TMP/peers.conf"; then
		say "  setconf: wg setconf of $PEERS peers failed"
		daemon_stop "$NS_A" "$IF_S"
		return 1
	fi
	t1=$(date +%s%N)
	rss1=$(proc_kb "$pid" VmRSS)
	hwm=$(proc_kb "$pid" VmHWM)
	n=$(timeout 60 wg show "$IF_S" peers | wc -l)
	daemon_stop "$NS_A" "$IF_S"
	if ((n != PEERS)); then
		say "  setconf: wg show lists $n peers, not $PEERS"
		return 1
	fi
	s=$(calc "printf \"%.3f\", ($t1 - $t0) / 1e9")
	record setconf_s "$s"
	record setconf_rss_before_mib "$(mib "$rss0")"
	record setconf_rss_after_mib "$(mib "$rss1")"
	record setconf_rss_peak_mib "$(mib "$hwm")"
	record setconf_bytes_per_peer "$(calc "printf \"%.0f\", ($rss1 - $rss0) * 1024 / $PEERS")"
	say "  setconf: $PEERS peers in $s s, RSS $(mib "$rss0") -> $(mib "$rss1") MiB (peak $(mib "$hwm") MiB)"
}

run_once()
{
	test_ping
	test_iperf tcp1
	test_iperf tcp4 -P 4
	test_iperf udp_fixed -u -b "$UDP_RATE" -l "$UDP_LEN" -w "$UDP_WINDOW"
	test_iperf udp_max -u -b 0 -l "$UDP_LEN" -w "$UDP_WINDOW"
	test_setconf
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

# ---------------------------------------------------------------- report

# Figures in table order: key|label|printf format.
FIGURES=(
	"tcp1_mbit|TCP 1 stream, Mbit/s|%.0f"
	"tcp1_retrans|TCP 1 stream, retransmits|%.0f"
	"tcp4_mbit|TCP 4 streams, Mbit/s|%.0f"
	"tcp4_retrans|TCP 4 streams, retransmits|%.0f"
	"udp_fixed_mbit|UDP at $UDP_RATE, received Mbit/s|%.0f"
	"udp_fixed_loss_pct|UDP at $UDP_RATE, loss %|%.3f"
	"udp_max_mbit|UDP unlimited, received Mbit/s|%.0f"
	"udp_max_loss_pct|UDP unlimited, loss %|%.2f"
	"tcp1_cpu_s_per_gbit|daemon CPU-s per Gbit, TCP 1|%.2f"
	"tcp1_gbit_per_cpu_s|Gbit per daemon CPU-s, TCP 1|%.3f"
	"tcp4_cpu_s_per_gbit|daemon CPU-s per Gbit, TCP 4|%.2f"
	"udp_max_cpu_s_per_gbit|daemon CPU-s per Gbit, UDP max|%.2f"
	"veth_rtt_avg_ms|raw veth RTT avg, ms|%.3f"
	"veth_rtt_p99_ms|raw veth RTT p99, ms|%.3f"
	"rtt_avg_ms|tunnel RTT avg, ms|%.3f"
	"rtt_p99_ms|tunnel RTT p99, ms|%.3f"
	"rtt_overhead_avg_ms|RTT overhead avg, ms|%.3f"
	"rtt_overhead_p99_ms|RTT overhead p99, ms|%.3f"
	"first_ping_ms|link up -> first ping, ms|%.0f"
	"rss_idle_mib|RSS after first ping, MiB|%.1f"
	"tcp1_rss_peak_mib|peak RSS, TCP 1, MiB|%.1f"
	"tcp4_rss_peak_mib|peak RSS, TCP 4, MiB|%.1f"
	"udp_max_rss_peak_mib|peak RSS, UDP max, MiB|%.1f"
	"setconf_s|setconf $PEERS peers, s|%.2f"
	"setconf_rss_before_mib|RSS before setconf, MiB|%.1f"
	"setconf_rss_after_mib|RSS after setconf, MiB|%.1f"
	"setconf_rss_peak_mib|peak RSS in setconf, MiB|%.1f"
	"setconf_bytes_per_peer|RSS per peer, bytes|%.0f"
)

# Targets: figure -> "name|text"; judged in target_status.
declare -A TARGET=(
	[tcp1_mbit]="tcp1_4x|>= 4x"
	[tcp1_gbit_per_cpu_s]="gbit_per_cpu_3x|>= 3x"
	[udp_fixed_loss_pct]="udp_loss_under_1pct|< 1 %"
	[rtt_overhead_avg_ms]="rtt_overhead_vs_base|<= base"
	[tcp1_rss_peak_mib]="rss_quarter_tcp|<= 0.25x"
	[setconf_rss_peak_mib]="peers_under_64mib|< 64 MiB"
)

ratio()
{
	local a b
	((BASE >= 0)) || { echo n/a; return; }
	a=$(med 0 "$1") b=$(med "$BASE" "$1")
	[[ $a == n/a || $b == n/a ]] && { echo n/a; return; }
	calc "if ($b == 0) print \"n/a\"; else printf \"%.2f\", $a / $b"
}

# target_status FIGURE: met, not_met or unknown.
target_status()
{
	local fig=$1 a b r cond
	a=$(med 0 "$fig")
	((BASE >= 0)) && b=$(med "$BASE" "$fig") || b=n/a
	r=$(ratio "$fig")
	case $fig in
	tcp1_mbit) [[ $r == n/a ]] || cond="$r >= 4" ;;
	tcp1_gbit_per_cpu_s) [[ $r == n/a ]] || cond="$r >= 3" ;;
	tcp1_rss_peak_mib) [[ $r == n/a ]] || cond="$r <= 0.25" ;;
	udp_fixed_loss_pct) [[ $a == n/a ]] || cond="$a < 1" ;;
	setconf_rss_peak_mib) [[ $a == n/a ]] || cond="$a < 64" ;;
	rtt_overhead_avg_ms) [[ $a == n/a || $b == n/a ]] || cond="$a <= $b" ;;
	esac
	[[ -n ${cond:-} ]] || { echo unknown; return; }
	calc "print ($cond) ? \"met\" : \"not_met\""
}

fmt()
{
	[[ $2 == n/a ]] && { echo n/a; return; }
	calc "printf \"$1\", $2"
}

report()
{
	local spec key label f i r t name text
	local w=$(( ${#IMPLS[@]} * 20 + 58 ))
	say ""
	say "== lanwire bench: ${#IMPLS[@]} implementations, RUNS=$RUNS, DURATION=${DURATION}s, medians; ratio = ${LABELS[0]} / $BASE_LABEL"
	for i in "${!IMPLS[@]}"; do
		say "   ${LABELS[i]} = ${IMPLS[i]}"
	done
	printf '%-34s' "figure"
	for i in "${!IMPLS[@]}"; do printf '%20s' "${LABELS[i]:0:19}"; done
	printf '%9s  %s\n' "ratio" "target"
	printf '%*s\n' "$w" '' | tr ' ' -
	for spec in "${FIGURES[@]}"; do
		IFS='|' read -r key label f <<<"$spec"
		printf '%-34s' "$label"
		for i in "${!IMPLS[@]}"; do
			printf '%20s' "$(fmt "$f" "$(med "$i" "$key")")"
		done
		r=$(ratio "$key")
		printf '%9s' "$([[ $r == n/a ]] && echo - || echo "${r}x")"
		if [[ -n ${TARGET[$key]:-} ]]; then
			IFS='|' read -r name text <<<"${TARGET[$key]}"
			t=$(target_status "$key")
			printf '  %-10s %s' "$text" "${t/_/ }"
		fi
		printf '\n'
	done
	if ((${#MICRO[@]})); then
		say ""
		say "== micro-benchmarks of the lanwired library: one core, per CPU-second, $PREFIXES prefixes per family"
		for key in allowedips_v4_lookups_per_s allowedips_v6_lookups_per_s \
			allowedips_v4_inserts_per_s allowedips_v6_inserts_per_s \
			allowedips_v4_bytes_per_prefix allowedips_v6_bytes_per_prefix \
			handshakes_per_s responder_handshakes_per_s; do
			printf '%-34s%16s\n' "$key" "${MICRO[$key]:-n/a}"
		done
	fi
	say ""
	say "bench.runs=$RUNS"
	say "bench.duration_s=$DURATION"
	say "bench.udp_rate=$UDP_RATE"
	say "bench.under_test=${LABELS[0]}"
	say "bench.baseline=$BASE_LABEL"
	for spec in "${FIGURES[@]}"; do
		IFS='|' read -r key label f <<<"$spec"
		for i in "${!IMPLS[@]}"; do
			say "bench.${LABELS[i]}.$key=$(med "$i" "$key")"
		done
		say "bench.ratio.$key=$(ratio "$key")"
	done
	for key in tcp1_mbit tcp1_gbit_per_cpu_s udp_fixed_loss_pct \
		rtt_overhead_avg_ms tcp1_rss_peak_mib setconf_rss_peak_mib; do
		IFS='|' read -r name text <<<"${TARGET[$key]}"
		say "bench.target.$name=$(target_status "$key")"
	done
	for key in $(printf '%s\n' "${!MICRO[@]}" | sort); do
		say "bench.micro.$key=${MICRO[$key]}"
	done
}

# ---------------------------------------------------------------- main

main()
{
	local run i deadline
	preflight
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
	TMP=$(mktemp -d /tmp/lwb-bench.XXXXXX) || die "mktemp failed"
	parse_impls "$@"
	pick_tag
	deadline=${BENCH_DEADLINE:-$((600 + RUNS * ${#IMPLS[@]} * (4 * (DURATION + 30) + PINGS / 50 + 200)))}
	watchdog_start "$deadline"
	say "bench: tag $TAG, RUNS=$RUNS, DURATION=${DURATION}s, UDP_RATE=$UDP_RATE, PINGS=$PINGS, PEERS=$PEERS, deadline ${deadline}s"
	topology_up
	make_keys
	for ((run = 1; run <= RUNS; run++)); do
		for i in "${!IMPLS[@]}"; do
			CUR=$i
			say "== run $run/$RUNS: ${LABELS[i]} (${IMPLS[i]})"
			run_once
		done
	done
	run_micro
	report
}

main "$@"
