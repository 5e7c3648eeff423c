#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/wgquick.sh -- both sides brought up by the real wg-quick with
# WG_QUICK_USERSPACE_IMPLEMENTATION pointing at the daemon (no WireGuard
# kernel module, so wg-quick falls back to it; the daemon daemonizes itself,
# as wg-quick expects).  Ping works both ways over IPv4 and IPv6; `wg-quick
# down` removes the interface and the daemon exits and removes its socket;
# a second `up` after `down` works again.
#
#	bash tests/e2e/wgquick.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ wg-quick up <tmp>/lw<tag>a.conf   │  tunnel  │ wg-quick up <tmp>/lw<tag>b.conf   │
#  │  -> DAEMON_A lw<tag>a             │<========>│  -> DAEMON_B lw<tag>b             │
#  │  Address 192.168.4.1/24 fd42::1/64│          │  Address 192.168.4.2/24 fd42::2/64│
#  │  ListenPort 51820                 │          │  ListenPort 51821                 │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  └───────────────────────────────────┘          └───────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

command -v wg-quick >/dev/null || e2e_die "missing tool: wg-quick"
pair_topology
genkey a
genkey b
IFA=$(ifname a)
IFB=$(ifname b)
E2E_IFACES+=("$IFA" "$IFB")
CONF_A=$E2E_TMP/$IFA.conf
CONF_B=$E2E_TMP/$IFB.conf
cat >"$CONF_A" <<EOF
[Interface]
PrivateKey = $(cat "$(key a)")
Address = $IN4_A/24, $IN6_A/64
ListenPort = $PORT_A

[Peer]
PublicKey = $(pub b)
AllowedIPs = $IN4_B/32, $IN6_B/128
Endpoint = $OUT4_B:$PORT_B
EOF
cat >"$CONF_B" <<EOF
[Interface]
PrivateKey = $(cat "$(key b)")
Address = $IN4_B/24, $IN6_B/64
ListenPort = $PORT_B

[Peer]
PublicKey = $(pub a)
AllowedIPs = $IN4_A/32, $IN6_A/128
Endpoint = $OUT4_A:$PORT_A
EOF
chmod 600 "$CONF_A" "$CONF_B"

# wgquick ROLE DAEMON up|down CONF: run wg-quick in ROLE's namespace, its
# output (the "[#] ..." lines) to the log and then shown.  Output goes to a
# file, never a pipe: the daemon it starts inherits it.
wgquick()
{
	local role=$1 d=$2 verb=$3 conf=$4 log rc
	WGQ_N=$((${WGQ_N:-0} + 1))
	log=$E2E_TMP/wg-quick-$WGQ_N-$role-$verb.log
	say "[+] $role: WG_QUICK_USERSPACE_IMPLEMENTATION=$d wg-quick $verb $conf"
	ip netns exec "$(ns_name "$role")" timeout -k 2 30 \
		env -u WG_PROCESS_FOREGROUND WG_QUICK_USERSPACE_IMPLEMENTATION="$d" LOG_LEVEL=verbose \
		wg-quick "$verb" "$conf" >>"$log" 2>&1 </dev/null 3>&-
	rc=$?
	grep -a -v -e '^DEBUG' -e '^INFO' "$log" | sed 's/^/      /' >&3
	return $rc
}

# ns_pids ROLE: processes left in ROLE's namespace (ours: the daemon).
ns_pids() { ip netns pids "$(ns_name "$1")" 2>/dev/null; }
no_pids() { [[ -z $(ns_pids "$1") ]]; }

# up ROLE DAEMON CONF IFACE ADDR: wg-quick up, checks, remembers the daemon's PID.
up()
{
	local role=$1 d=$2 conf=$3 ifc=$4 a=$5 pids more
	check "$role: wg-quick up exits 0" wgquick "$role" "$d" up "$conf"
	check "$role: interface $ifc exists" link_exists "$role" "$ifc"
	check "$role: UAPI socket exists" test -S "$(sock_path "$ifc")"
	pids=$(ns_pids "$role")
	read -ra more <<<"$pids"
	E2E_BG+=("${more[@]}")
	check_eq "$role: exactly one process (the daemon) left in the namespace" 1 "$(wc -w <<<"$pids")"
	UP_PID=$pids
	check_eq "$role: wg show lists the peer" "1" "$(wgq show "$ifc" peers | wc -l)"
	check "$role: address $a assigned" eval "nq $role ip addr show dev $ifc | grep -q 'inet $a/24'"
}

# down ROLE DAEMON CONF IFACE PID: wg-quick down, then everything is gone.
down()
{
	local role=$1 d=$2 conf=$3 ifc=$4 pid=$5
	check "$role: wg-quick down exits 0" wgquick "$role" "$d" down "$conf"
	check_not "$role: interface gone" link_exists "$role" "$ifc"
	check "$role: daemon exited within 5 s" wait_until 5 eval "! pid_alive $pid"
	check "$role: UAPI socket removed within 5 s" wait_until 5 eval "! test -e $(sock_path "$ifc")"
	check "$role: no process left in the namespace" wait_until 5 no_pids "$role"
}

# Scenario: both sides up with wg-quick, traffic both ways.
section "wg-quick up on both sides"
up A "$DAEMON_A" "$CONF_A" "$IFA" $IN4_A
PID_A=$UP_PID
up B "$DAEMON_B" "$CONF_B" "$IFB" $IN4_B
PID_B=$UP_PID
check "ping A->B IPv4" ping_ok A $IN4_B
check "ping B->A IPv4" ping_ok B $IN4_A
check "ping A->B IPv6" ping_ok A $IN6_B
check "handshake shown by wg show" handshake_done "$IFA" "$(pub b)"
check_eq "wg-quick set the MTU (1500 - 80)" "1420" "$(nq A cat "/sys/class/net/$IFA/mtu")"

# Scenario: wg-quick down removes the interface; the daemon exits by itself.
section "wg-quick down"
down A "$DAEMON_A" "$CONF_A" "$IFA" "$PID_A"
check "ping B->A fails with A down" ping_fails B $IN4_A

# Scenario: up again after down (no stale socket or state in the way).
section "wg-quick up again"
up A "$DAEMON_A" "$CONF_A" "$IFA" $IN4_A
PID_A=$UP_PID
check "ping A->B after the second up" ping_ok A $IN4_B
down A "$DAEMON_A" "$CONF_A" "$IFA" "$PID_A"
down B "$DAEMON_B" "$CONF_B" "$IFB" "$PID_B"
