#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/e2e/privdrop.sh -- least privilege: DAEMON_A started with
# LANWIRE_USER=nobody switches to that user after creating its TUN and
# sockets, keeping only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE. It must
# still handshake, serve the UAPI socket (wg show/set), move its listen
# port (also below 1024) with the peer following by roaming, learn a
# roamed peer endpoint, set a fwmark, and on `ip link del` exit with its
# socket removed (by the root janitor it left behind). Only meaningful for
# lanwired: with another DAEMON_A the script says so and checks nothing.
#
#	bash tests/e2e/privdrop.sh DAEMON_A DAEMON_B
#
#  ┌─────── lwt-<tag>-a ───────┐          ┌─────── lwt-<tag>-b ───────┐
#  │ lw<tag>a 192.168.4.1/24   │  tunnel  │ lw<tag>b 192.168.4.2/24   │
#  │ DAEMON_A as user nobody   │<========>│ DAEMON_B                  │
#  │ lv<tag>ab 192.168.241.1   ├── veth ──┤ lv<tag>ba 192.168.241.2   │
#  └───────────────────────────┘          └───────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

# Ask --version: wireguard-go takes --help for an interface name and would
# start a daemon for it.
if ! timeout 5 "$DAEMON_A" --version 2>&1 | grep -q '^lanwired'; then
	info "DAEMON_A is not lanwired (no --user option): nothing to check"
	pass "skipped for $DAEMON_A"
	exit 0
fi

pair_topology
genkey a
genkey b
IFA=$(ifname a)
IFB=$(ifname b)
LANWIRE_USER=nobody daemon_start A "$DAEMON_A" "$IFA" || exit 1
daemon_start B "$DAEMON_B" "$IFB" || exit 1
PIDA=$(daemon_pid "$IFA")

# Scenario: the daemon runs as nobody with exactly two capabilities.
section "privileges after start-up"
check_match "A runs as uid 65534" "^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534" \
	"$(grep '^Uid:' /proc/$PIDA/status)"
check_match "A keeps only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE" \
	"^CapEff:[[:space:]]+0*1400$" "$(grep '^CapEff:' /proc/$PIDA/status)"
check_match "A cannot regain privileges" "^NoNewPrivs:[[:space:]]+1" \
	"$(grep '^NoNewPrivs:' /proc/$PIDA/status)"

# Scenario: configured over UAPI after the drop, it handshakes and carries traffic.
section "UAPI and traffic as nobody"
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$(pub b)" allowed-ips $IN4_B/32 endpoint $OUT4_B:$PORT_B
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$(pub a)" allowed-ips $IN4_A/32 endpoint $OUT4_A:$PORT_A
wg_addr_up A "$IFA" "$IN4_A/24"
wg_addr_up B "$IFB" "$IN4_B/24"
check "ping A->B" ping_ok A $IN4_B
check "handshake done" handshake_done "$IFA" "$(pub b)"

# Scenario: a new listen port, one below 1024 too; B follows by roaming.
section "listen port changes"
check "wg set listen-port 51900" n A wg set "$IFA" listen-port 51900
check "ping A->B from the new port" ping_ok A $IN4_B
check_eq "B learned A's new port" "$OUT4_A:51900" "$(peer_field "$IFB" "$(pub a)" endpoint)"
check "wg set listen-port 443 (privileged port)" n A wg set "$IFA" listen-port 443
check "ping A->B from port 443" ping_ok A $IN4_B
check_eq "B learned port 443" "$OUT4_A:443" "$(peer_field "$IFB" "$(pub a)" endpoint)"
check "wg set fwmark (needs CAP_NET_ADMIN)" n A wg set "$IFA" fwmark 0x42
check_eq "fwmark shown back" "0x42" "$(wgq show "$IFA" fwmark)"
n A wg set "$IFA" fwmark 0

# Scenario: B's packets start coming from another port; A, unprivileged,
# learns the new endpoint from them (roaming).
section "peer roams"
n B wg set "$IFB" listen-port 51830
check "ping B->A from B's new port" ping_ok B $IN4_A
check_eq "A learned B's new endpoint" "$OUT4_B:51830" "$(peer_field "$IFA" "$(pub b)" endpoint)"

# Scenario: deleting the interface stops the unprivileged daemon; the root
# janitor removes the socket it can no longer unlink itself.
section "exit"
n A ip link del "$IFA"
check "A exits after ip link del" daemon_wait_exit "$IFA" 10
check "A exit status 0" daemon_exited_cleanly "$IFA"
check "UAPI socket removed" wait_until 5 bash -c "! test -e $(sock_path "$IFA")"
