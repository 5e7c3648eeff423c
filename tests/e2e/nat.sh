#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/nat.sh -- roaming behind NAT.  B sits behind a masquerading router
# R and has PersistentKeepalive; A has no endpoint for B and no route to B's
# real address, so it can only answer where B's authenticated packets came
# from (R's address and NAT port).  Then the NAT mapping changes twice and A
# must follow each time within a bound:
#   1. R's outer address changes (192.168.241.254 -> .253); the kernel drops
#      the masqueraded conntrack entries of the removed address;
#   2. same address, new port: R's address is removed and re-added (the
#      mappings are dropped again) and new mappings come from another port
#      range.
#
#	bash tests/e2e/nat.sh DAEMON_A DAEMON_B
#
#  ┌──── lwt-<tag>-a ────┐      ┌────────────── lwt-<tag>-r ──────────────┐      ┌──── lwt-<tag>-b ────┐
#  │ lw<tag>a            │      │ nft: ip nat postrouting                 │      │ lw<tag>b            │
#  │  192.168.4.1/24     │      │   oifname lv<tag>ra masquerade          │      │  192.168.4.2/24     │
#  │  port 51820         │      │   (later: to :40000-40099, :41000-...)  │      │  port 51821         │
#  │  peer B: no endpoint│      │ ip_forward=1                            │      │  keepalive 1 s      │
#  │ lv<tag>ar           ├─veth─┤ lv<tag>ra               lv<tag>rb       ├─veth─┤ lv<tag>br           │
#  │  192.168.241.1/24   │      │  192.168.241.254/24     192.168.242.254 │      │  192.168.242.2/24   │
#  │  (no route to .242) │      │  (then .253)                            │      │  default via .254   │
#  └─────────────────────┘      └─────────────────────────────────────────┘      └─────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

R_OUT=192.168.241.254
R_OUT2=192.168.241.253
R_IN=192.168.242.254
B_REAL=192.168.242.2
: "${NAT_BOUND:=10}"		# seconds A may take to follow a new mapping

line_topology
addr A "$VAR" "$OUT4_A/24"
addr R "$VRA" "$R_OUT/24"
addr R "$VRB" "$R_IN/24"
addr B "$VBR" "$B_REAL/24"
n B ip route add default via $R_IN
n R sysctl -qw net.ipv4.ip_forward=1
cat >"$E2E_TMP/nat.nft" <<EOF
table ip lwnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$VRA" masquerade
	}
}
EOF
n R nft -f "$E2E_TMP/nat.nft"

pair_keys
daemon_start A "$DAEMON_A" "$IFA" || exit 1
daemon_start B "$DAEMON_B" "$IFB" || exit 1
wg_addr_up A "$IFA" "$IN4_A/24"
wg_addr_up B "$IFB" "$IN4_B/24"

# endpoint_ip / endpoint_port: what A currently has for B.
ep() { peer_field "$IFA" "$PB" endpoint; }
ep_is_from() { [[ $(ep) == "$1":* ]]; }

# Scenario: A learns B's NATed endpoint from B's keepalives and reaches B
# with no endpoint configured.
section "A learns B's endpoint through the NAT"
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" peer "$PB" allowed-ips $IN4_B/32
check_eq "A has no endpoint configured for B" "(none)" "$(ep)"
check_not "A has no route to B's real address" eval "nq A ip route get $B_REAL >/dev/null 2>&1"
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32 endpoint $OUT4_A:$PORT_A persistent-keepalive 1
check "A learned an endpoint at R's outer address within ${NAT_BOUND}s" wait_until "$NAT_BOUND" ep_is_from $R_OUT
info "A's endpoint for B: $(ep)"
check "handshake completed" handshake_done "$IFA" "$PB"
check "ping A->B through the NAT" ping_ok A $IN4_B
check "ping B->A through the NAT" ping_ok B $IN4_A

# Scenario: R's outer address changes (and new mappings get ports 40000-40099):
# A must move to R's new address from B's next keepalive.
section "NAT rebinding 1: router's outer address changes"
n R nft flush chain ip lwnat post
n R nft add rule ip lwnat post oifname "$VRA" meta l4proto udp masquerade to :40000-40099
t0=$(date +%s.%N)
n R ip addr del $R_OUT/24 dev "$VRA"
n R ip addr add $R_OUT2/24 dev "$VRA"
check "A moved to R's new address within ${NAT_BOUND}s" wait_until "$NAT_BOUND" ep_is_from $R_OUT2
port=$(ep)
port=${port##*:}
check "new mapping uses a port in 40000-40099 (got $port)" test "$port" -ge 40000 -a "$port" -le 40099
check "ping A->B after rebinding 1" ping_ok A $IN4_B
t1=$(date +%s.%N)
info "rebinding 1: traffic back $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after the change"

# Scenario: same outer address, new port: R's address is removed and added
# back (which drops the masqueraded conntrack entries of that address, as a
# NAT reboot or mapping expiry would) while new mappings get ports from
# 41000-41099.  A must move to the new port.
section "NAT rebinding 2: same address, new port"
n R nft flush chain ip lwnat post
n R nft add rule ip lwnat post oifname "$VRA" meta l4proto udp masquerade to :41000-41099
t0=$(date +%s.%N)
n R ip addr del $R_OUT2/24 dev "$VRA"
n R ip addr add $R_OUT2/24 dev "$VRA"
ep_port_in_41k() { local p; p=$(ep); p=${p##*:}; [[ $p =~ ^41[0-9][0-9][0-9]$ ]] && ((p <= 41099)); }
check "A moved to the new NAT port within ${NAT_BOUND}s" wait_until "$NAT_BOUND" ep_port_in_41k
check "A's endpoint address is still R's" ep_is_from $R_OUT2
info "A's endpoint for B: $(ep)"
check "ping A->B after rebinding 2" ping_ok A $IN4_B
t1=$(date +%s.%N)
info "rebinding 2: traffic back $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after the change"
check "ping B->A after rebinding 2" ping_ok B $IN4_A
check "daemon A still running" daemon_alive "$IFA"
check "daemon B still running" daemon_alive "$IFB"
