# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/lib.sh -- what every part of the benchmark shares: settings,
# processes, namespaces, the implementations under test, daemons, CPU and
# RSS readings, samples and medians, iperf3 and ping.  Sourced by
# bench/bench.sh, never run.  Globals here are owned by bench.sh's main().

: "${RUNS:=3}"
: "${DURATION:=5}"
: "${UDP_RATE:=1G}"		# the fixed offered rate (iperf3 -b)
: "${UDP_LEN:=1392}"		# fills the 1420 MTU
: "${UDP_WINDOW:=4M}"
: "${UDP_STEP_DURATION:=3}"	# seconds per step of the UDP bisection
: "${UDP_STEPS:=5}"		# steps of the bisection after the fixed rate
: "${UDP_MAX_RATE:=4000}"	# Mbit/s, upper bound of the bisection
: "${UDP_OK_LOSS:=1}"		# % loss a bisection step may have
: "${PINGS:=500}"
: "${PEERS:=10000}"
: "${PREFIXES:=1000000}"
: "${RSS_TODAY_MIB:=7.8}"	# lanwired's peak RSS when issue 14 was filed
: "${MANYPEERS:=1}"
: "${MANYPEERS_TIMEOUT:=1200}"
: "${NSPREFIX:=lwbn}"		# namespaces NSPREFIX-TAG-*, interfaces NSPREFIXTAG*

MTU=1420
IPERF_PORT=5201
HZ=$(getconf CLK_TCK)

TAG='' TMP=''
NS_MADE=()		# namespaces we created
PIDS=()			# every background PID we started
WATCHDOG=
declare -A DPID=()	# iface -> daemon PID
declare -A DNS=()	# iface -> its namespace
declare -A SAMPLES=()	# "impl-index:figure" -> space-separated samples
declare -A MICRO=()	# micro-benchmark figure -> value
IMPLS=()		# daemon paths (or wrappers), index 0 is under test
LABELS=()		# key-safe names, same index
CUR=0			# index of the implementation being measured

say() { printf '%s\n' "$*"; }
die() { say "bench: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

. "$(dirname "${BASH_SOURCE[0]}")/../tests/proc.sh"	# pid_alive, kill_pid, wait_until, base36

# in_ns NS SECONDS CMD...: bounded command inside a namespace.
in_ns()
{
	local ns=$1 limit=$2
	shift 2
	ip netns exec "$ns" timeout -k 2 "$limit" "$@"
}

# ns_add NAME: a namespace with lo up, remembered for cleanup.
ns_add()
{
	ip netns add "$1" || die "cannot create namespace $1"
	NS_MADE+=("$1")
	ip -n "$1" link set lo up
}

# veth_add NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair across two namespaces,
# addressed (/24) and up; fails unless it carries a ping.
veth_add()
{
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" &&
		ip -n "$1" addr add "$3/24" dev "$2" &&
		ip -n "$4" addr add "$6/24" dev "$5" &&
		ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up ||
		die "cannot set up veth $2-$5"
	wait_until 5 in_ns "$4" 3 ping -n -q -c1 -W1 "$3" >/dev/null ||
		die "veth $2-$5 does not carry pings"
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
	for ifc in "${!DNS[@]}"; do
		rm -f "/var/run/wireguard/$ifc.sock"
	done
	[[ $TMP == /tmp/lwbn-bench.* ]] && rm -rf "$TMP"
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

# pick_tag: TAG, five characters unused by any namespace or UAPI socket;
# namespaces are NSPREFIX-TAG-*, interfaces NSPREFIXTAG* (at most 13
# characters with a prefix of 6).
pick_tag()
{
	local t
	t=$(base36 $$)
	while ((${#t} < 5)); do t=0$t; done
	t=${t: -5}
	while ip netns list 2>/dev/null | grep -q "^$NSPREFIX-$t-" ||
		compgen -G "/var/run/wireguard/$NSPREFIX$t*" >/dev/null; do
		t=${t:0:4}$(base36 $((RANDOM % 36)))
	done
	TAG=$t
}

# nsprefix_check: NSPREFIX is 1-6 lower-case letters or digits, starting
# with a letter, so that every interface name fits IFNAMSIZ.
nsprefix_check()
{
	[[ $NSPREFIX =~ ^[a-z][a-z0-9]{0,5}$ ]] ||
		die "NSPREFIX '$NSPREFIX' must be 1-6 lower-case letters or digits, starting with a letter"
}

# ---------------------------------------------------------------- implementations

# resolve_impl PATH: absolute path of an executable, or fail.
resolve_impl()
{
	local p
	p=$(command -v -- "$1") || return 1
	[[ $p == /* ]] || p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
	[[ -x $p ]] && printf '%s' "$p"
}

# find_upstream: the upstream wireguard-go release kept next to the
# repository (../shared/ref from the main checkout, ../../shared/ref from
# a worktree under wt/), or UPSTREAM if set.  Only ever run, never linked.
find_upstream()
{
	local d f
	if [[ -n ${UPSTREAM:-} ]]; then
		printf '%s' "$UPSTREAM"
		return
	fi
	for d in "$top/../shared/ref" "$top/../../shared/ref"; do
		compgen -G "$d/wireguard-go-*" >/dev/null || continue
		for f in "$d"/wireguard-go-*; do
			[[ -f $f && -x $f ]] && printf '%s\n' "$(cd "$d" && pwd)/${f##*/}"
		done | sort -V | tail -n 1
		return
	done
}

# variant_wrapper PATH VAR=VALUE: a script in $TMP that runs PATH with
# VAR=VALUE in its environment (exec, so the PID is the daemon's).
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

# add_impl [LABEL=]PATH[@VAR=VALUE]: one more column.
add_impl()
{
	local arg=$1 label='' p n
	if [[ $arg =~ ^([A-Za-z][A-Za-z0-9_-]*)=(.+)$ ]]; then
		label=${BASH_REMATCH[1]} arg=${BASH_REMATCH[2]}
	fi
	if [[ $arg =~ ^(.+)@([A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_.-]*)$ ]]; then
		p=$(resolve_impl "${BASH_REMATCH[1]}") ||
			die "'${BASH_REMATCH[1]}' is not an executable (run make?)"
		p=$(variant_wrapper "$p" "${BASH_REMATCH[2]}")
	else
		p=$(resolve_impl "$arg") || die "'$arg' is not an executable (run make?)"
	fi
	[[ -n $label ]] || label=$(basename "$p" | tr -c 'A-Za-z0-9_\n-' '_')
	n=1
	while printf '%s\n' "${LABELS[@]}" | grep -qx -- "$label"; do
		n=$((n + 1))
		label=${label%-[0-9]*}-$n
	done
	IMPLS+=("$p")
	LABELS+=("$label")
}

# parse_impls [IMPL...]: the default is lanwired, Debian's wireguard-go and
# the upstream release, labelled lanwired, debian and upstream.
parse_impls()
{
	local up a
	if (($#)); then
		for a; do add_impl "$a"; done
		return
	fi
	add_impl "lanwired=$top/build/lanwired"
	if [[ -x /usr/bin/wireguard-go ]]; then
		add_impl "debian=/usr/bin/wireguard-go"
	else
		say "bench: /usr/bin/wireguard-go not installed (make deps): no debian column"
	fi
	up=$(find_upstream)
	if [[ -n $up && -x $up ]]; then
		add_impl "upstream=$up"
	else
		say "bench: no upstream wireguard-go in ../shared/ref (or UPSTREAM): no upstream column, no ratio_upstream"
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
	DNS[$ifc]=$ns
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

# daemon_stop IFACE: ends it by PID, waits (5 s) for its interface to go.
daemon_stop()
{
	local ifc=$1 pid=${DPID[$1]:-} ns=${DNS[$1]:-}
	[[ -n $pid ]] || return 0
	kill_pid "$pid"
	unset "DPID[$ifc]"
	rm -f "/var/run/wireguard/$ifc.sock"
	wait_until 5 eval "! ip -n $ns link show dev $ifc >/dev/null 2>&1"
}

# wg_peer IFACE PORT KEYFILE PUB ALLOWED ENDPOINT: listen port, key, one peer.
wg_peer()
{
	timeout 10 wg set "$1" listen-port "$2" private-key "$3" \
		peer "$4" allowed-ips "$5" endpoint "$6"
}

# if_addr IFACE ADDR/LEN: address and MTU on a daemon's interface.
if_addr()
{
	ip -n "${DNS[$1]}" addr add "$2" dev "$1" &&
		ip -n "${DNS[$1]}" link set "$1" mtu $MTU
}

# make_key NAME: $TMP/NAME.key and $TMP/NAME.pub.
make_key()
{
	wg genkey >"$TMP/$1.key" && wg pubkey <"$TMP/$1.key" >"$TMP/$1.pub" ||
		die "wg genkey failed"
}

# proc_cpu PID: utime + stime in clock ticks (fields 14 and 15).
proc_cpu() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }

# proc_kb PID FIELD: VmRSS, VmHWM, ... of /proc/PID/status in kB.
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# cpu_of IFACE...: CPU ticks of those daemons together.
cpu_of()
{
	local ifc t=0 c
	for ifc; do
		c=$(proc_cpu "${DPID[$ifc]}")
		t=$((t + ${c:-0}))
	done
	echo "$t"
}

# wait_of IFACE: nanoseconds the daemon's threads together spent runnable
# but waiting for a CPU (the second field of /proc/PID/task/*/schedstat);
# 0 when unreadable.
wait_of()
{
	cat /proc/"${DPID[$1]}"/task/*/schedstat 2>/dev/null | awk '{ t += $2 } END { printf "%.0f\n", t }'
}

# hwm_of IFACE...: the largest VmHWM of those daemons, kB.
hwm_of()
{
	local ifc m=0 k
	for ifc; do
		k=$(proc_kb "${DPID[$ifc]}" VmHWM)
		((${k:-0} > m)) && m=$k
	done
	echo "$m"
}

# ---------------------------------------------------------------- samples

record()
{
	[[ $2 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] || return 0
	SAMPLES[$CUR:$1]+="$2 "
}

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

# ---------------------------------------------------------------- iperf3, ping

# iperf_run SRV_NS SRV_ADDR CLI_NS SECONDS OUT ARGS...: one-shot iperf3
# server, client for SECONDS -> OUT (JSON).
iperf_run()
{
	local sns=$1 addr=$2 cns=$3 secs=$4 out=$5 spid rc
	shift 5
	ip netns exec "$sns" timeout -k 2 $((secs + 40)) iperf3 -s -1 \
		-B "$addr" -p $IPERF_PORT >/dev/null 2>&1 </dev/null &
	spid=$!
	PIDS+=("$spid")
	if ! wait_until 5 iperf_listening "$sns"; then
		kill_pid "$spid"
		echo '{"error":"iperf3 server not listening"}' >"$out"
		return 1
	fi
	in_ns "$cns" $((secs + 30)) iperf3 -c "$addr" -p $IPERF_PORT \
		-t "$secs" -J --connect-timeout 5000 "$@" >"$out" 2>/dev/null
	rc=$?
	wait_until 5 eval "! pid_alive $spid"
	kill_pid "$spid"
	return $rc
}

iperf_listening() { in_ns "$1" 3 ss -Hltn "sport = :$IPERF_PORT" | grep -q LISTEN; }

# iperf_read JSON: "received_bps received_bytes retransmits loss_pct
# sent_bps", or fails with the reason on stdout.
iperf_read()
{
	local err
	err=$(jq -r '.error // empty' "$1" 2>/dev/null)
	if [[ -n $err || ! -s $1 ]]; then
		echo "iperf3 failed: ${err:-no output}"
		return 1
	fi
	jq -r '.end.sum_received as $r |
		"\($r.bits_per_second) \($r.bytes) \(.end.sum_sent.retransmits // 0) \($r.lost_percent // 0) \(.end.sum_sent.bits_per_second)"' "$1"
}

# ping_stats NS DST COUNT: "avg p50 p99 answered", COUNT pings 10 ms apart.
ping_stats()
{
	in_ns "$1" $(($3 / 50 + 20)) ping -n -i 0.01 -W 1 -c "$3" "$2" 2>/dev/null |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -g |
		awk 'function pct(p,  i) { i = int(NR * p); if (i < NR * p) i++; return t[i] }
			{ t[NR] = $1; s += $1 } END {
			if (!NR) { print "n/a n/a n/a 0"; exit }
			printf "%.4f %.4f %.4f %d\n", s / NR, pct(0.5), pct(0.99), NR }'
}
