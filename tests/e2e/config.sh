#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/config.sh -- configuration changes on a running daemon, without a
# restart: allowed-ips cut and restore traffic, peer remove / re-add, the
# showconf -> setconf / addconf / syncconf round-trips, listen-port change
# (the other side follows by roaming), private-key rotation, fwmark,
# persistent-keepalive and preshared-key.
#
#	bash tests/e2e/config.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ lw<tag>a   192.168.4.1/24         │  tunnel  │ lw<tag>b   192.168.4.2/24         │
#  │ DAEMON_A, listen-port 51820       │<========>│ DAEMON_B, listen-port 51821       │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  └───────────────────────────────────┘          └───────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

pair_daemons
genkey a2
genkey c
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" \
	peer "$PB" allowed-ips $IN4_B/32 endpoint $OUT4_B:$PORT_B
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32 endpoint $OUT4_A:$PORT_A
wg_addr_up A "$IFA" "$IN4_A/24"
wg_addr_up B "$IFB" "$IN4_B/24"

both_ways_ok()
{
	ping_ok A $IN4_B && ping_ok B $IN4_A
}

# Scenario: baseline.
section "baseline"
check "ping A<->B" both_ways_ok

# Scenario: allowed-ips on A no longer cover B's address: A has no peer to
# send to, and B's packets carry a source A does not accept from B.
section "wg set allowed-ips cuts and restores traffic"
n A wg set "$IFA" peer "$PB" allowed-ips 192.168.4.99/32
check_eq "dump shows the new allowed-ips" "192.168.4.99/32" "$(peer_field "$IFA" "$PB" allowed-ips)"
check "ping A->B fails (no peer for 192.168.4.2)" ping_fails A $IN4_B
check "ping B->A fails (source not allowed from B)" ping_fails B $IN4_A
n A wg set "$IFA" peer "$PB" allowed-ips $IN4_B/32
check_eq "dump shows the restored allowed-ips" "$IN4_B/32" "$(peer_field "$IFA" "$PB" allowed-ips)"
check "ping A<->B works again" both_ways_ok

# Scenario: removing the peer stops traffic; adding it back restores it
# (with a new handshake, the old session is gone with the peer).
section "wg set peer remove / re-add"
n A wg set "$IFA" peer "$PB" remove
check_eq "wg show peers is empty" "" "$(n A wg show "$IFA" peers)"
check "ping A->B fails" ping_fails A $IN4_B
check "ping B->A fails" ping_fails B $IN4_A
n A wg set "$IFA" peer "$PB" allowed-ips $IN4_B/32 endpoint $OUT4_B:$PORT_B
check_eq "wg show peers lists B again" "$PB" "$(n A wg show "$IFA" peers)"
check_eq "re-added peer starts without a handshake" "0" "$(peer_field "$IFA" "$PB" handshake)"
check "ping A<->B works again" both_ways_ok
check "re-added peer completed a new handshake" handshake_done "$IFA" "$PB"

# Scenario: showconf -> setconf gives back the same showconf.
section "showconf / setconf round-trip"
n A wg showconf "$IFA" >"$E2E_TMP/conf1"
check "showconf has PrivateKey, ListenPort, the peer, AllowedIPs, Endpoint" \
	eval 'grep -qx "PrivateKey = $(cat "$(key a)")" "$E2E_TMP/conf1" &&
	grep -qx "ListenPort = $PORT_A" "$E2E_TMP/conf1" &&
	grep -qx "PublicKey = $PB" "$E2E_TMP/conf1" &&
	grep -qx "AllowedIPs = $IN4_B/32" "$E2E_TMP/conf1" &&
	grep -qx "Endpoint = $OUT4_B:$PORT_B" "$E2E_TMP/conf1"'
n A wg setconf "$IFA" "$E2E_TMP/conf1"
n A wg showconf "$IFA" >"$E2E_TMP/conf2"
check "showconf after setconf is identical" cmp -s "$E2E_TMP/conf1" "$E2E_TMP/conf2"
check "ping A<->B after setconf" both_ways_ok

# Scenario: setconf with a different AllowedIPs cuts traffic; setconf back restores.
sed "s|^AllowedIPs = .*|AllowedIPs = 192.168.4.99/32|" "$E2E_TMP/conf1" >"$E2E_TMP/conf3"
n A wg setconf "$IFA" "$E2E_TMP/conf3"
check_eq "setconf applied AllowedIPs" "192.168.4.99/32" "$(peer_field "$IFA" "$PB" allowed-ips)"
check "ping A->B fails after setconf without B's address" ping_fails A $IN4_B
n A wg setconf "$IFA" "$E2E_TMP/conf1"
check "ping A<->B after setconf back" both_ways_ok

# Scenario: addconf adds a peer and leaves the existing one (and its session) alone.
section "addconf / syncconf"
printf '[Peer]\nPublicKey = %s\nAllowedIPs = 192.168.4.50/32\n' "$(pub c)" >"$E2E_TMP/add.conf"
hs_before=$(peer_field "$IFA" "$PB" handshake)
n A wg addconf "$IFA" "$E2E_TMP/add.conf"
check_eq "addconf: two peers" "2" "$(wgq show "$IFA" peers | wc -l)"
check_eq "addconf: new peer's allowed-ips" "192.168.4.50/32" "$(peer_field "$IFA" "$(pub c)" allowed-ips)"
check_eq "addconf: B's session untouched (same latest handshake)" "$hs_before" "$(peer_field "$IFA" "$PB" handshake)"
check "ping A<->B after addconf" both_ways_ok

# Scenario: syncconf back to conf1 removes the added peer and keeps B's session.
hs_before=$(peer_field "$IFA" "$PB" handshake)
n A wg syncconf "$IFA" "$E2E_TMP/conf1"
check_eq "syncconf: only B left" "$PB" "$(wgq show "$IFA" peers)"
check_eq "syncconf: B's session untouched (same latest handshake)" "$hs_before" "$(peer_field "$IFA" "$PB" handshake)"
n A wg showconf "$IFA" >"$E2E_TMP/conf4"
check "showconf after syncconf equals conf1" cmp -s "$E2E_TMP/conf1" "$E2E_TMP/conf4"
check "ping A<->B after syncconf" both_ways_ok

# Scenario: listen-port change on A; B still has the old port, learns the new
# one from A's next authenticated packet.
section "listen-port change"
n A wg set "$IFA" listen-port 51830
check_eq "dump shows listen port 51830" "51830" "$(wgq show "$IFA" listen-port)"
check "ping A->B from the new port" ping_ok A $IN4_B
check_eq "B learned A's new endpoint" "$OUT4_A:51830" "$(peer_field "$IFB" "$PA" endpoint)"
check "ping B->A to the new port" ping_ok B $IN4_A

# Scenario: private-key rotation on A; B swaps the peer key.
section "private-key rotation"
n A wg set "$IFA" private-key "$(key a2)"
check_eq "A's public key is the new one" "$(pub a2)" "$(wgq show "$IFA" public-key)"
n B wg set "$IFB" peer "$PA" remove peer "$(pub a2)" allowed-ips $IN4_A/32 endpoint $OUT4_A:51830
check "ping A<->B with the new key" both_ways_ok
check "handshake with the new key" handshake_done "$IFB" "$(pub a2)"

# Scenario: fwmark and persistent-keepalive are stored and shown back.
section "fwmark / persistent-keepalive"
n A wg set "$IFA" fwmark 0x1234
check_eq "fwmark shown" "0x1234" "$(wgq show "$IFA" fwmark)"
n A wg set "$IFA" fwmark 0
check_eq "fwmark off" "off" "$(wgq show "$IFA" fwmark)"
n A wg set "$IFA" peer "$PB" persistent-keepalive 25
check_eq "persistent-keepalive 25 in dump" "25" "$(peer_field "$IFA" "$PB" keepalive)"
n A wg set "$IFA" peer "$PB" persistent-keepalive off
check_eq "persistent-keepalive off in dump" "off" "$(peer_field "$IFA" "$PB" keepalive)"
check "ping A<->B with fwmark cleared" both_ways_ok

# Scenario: preshared-key: equal PSKs handshake, different PSKs do not.
section "preshared-key"
wg genpsk >"$E2E_TMP/psk1"
wg genpsk >"$E2E_TMP/psk2"
n B wg set "$IFB" peer "$(pub a2)" preshared-key "$E2E_TMP/psk1"
n A wg set "$IFA" peer "$PB" remove
n A wg set "$IFA" peer "$PB" allowed-ips $IN4_B/32 endpoint $OUT4_B:$PORT_B preshared-key "$E2E_TMP/psk2"
check_eq "dump shows A's preshared key" "$(cat "$E2E_TMP/psk2")" "$(peer_line "$IFA" "$PB" | cut -f2)"
check "ping A->B fails with mismatched preshared keys" ping_fails A $IN4_B
check_eq "no handshake with mismatched preshared keys" "0" "$(peer_field "$IFA" "$PB" handshake)"
n A wg set "$IFA" peer "$PB" preshared-key "$E2E_TMP/psk1"
check "ping A<->B with equal preshared keys" both_ways_ok
check "handshake with equal preshared keys" handshake_done "$IFA" "$PB"

check "daemon A still running" daemon_alive "$IFA"
check "daemon B still running" daemon_alive "$IFB"
