#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/scale.sh -- large configurations through the UAPI socket:
#   1. one peer holding 255 x 256 x 2 = 130,560 prefixes (10.x.y.0/24 and
#      fdaa:x:y::/48) plus its two tunnel addresses, set with one
#      `wg setconf`, shown back complete by `wg show IFACE allowed-ips`
#      (count and sorted set compared), traffic still flowing;
#   2. 40 peers with 52 prefixes each, set with one `wg setconf` and shown
#      back complete, peer by peer.
#
#	bash tests/e2e/scale.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ lw<tag>a   192.168.4.1/24         │  tunnel  │ lw<tag>b   192.168.4.2/24         │
#  │            fd42::1/64             │<========>│            fd42::2/64             │
#  │ DAEMON_A, listen-port 51820       │          │ DAEMON_B, listen-port 51821       │
#  │  peer B: 130,562 prefixes, then   │          │  peer A: 192.168.4.1/32 fd42::1   │
#  │  40 peers x 52 (B is the first)   │          │                                   │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  └───────────────────────────────────┘          └───────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"
export LC_ALL=C

pair_daemons
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32,$IN6_A/128 endpoint $OUT4_A:$PORT_A
wg_addr_up A "$IFA" "$IN4_A/24" "$IN6_A/64"
wg_addr_up B "$IFB" "$IN4_B/24" "$IN6_B/64"

# allowed_lines: prefixes on stdin, one a line -> "AllowedIPs = a,b,..." lines of 256.
allowed_lines()
{
	awk '{ printf "%s%s", (NR % 256 == 1 ? "AllowedIPs = " : ","), $0; if (NR % 256 == 0) print "" }
	     END { if (NR % 256) print "" }'
}

# elapsed T0: seconds since T0 (date +%s.%N), one decimal.
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Scenario: one peer, 130,560 generated prefixes + B's 2 tunnel addresses.
section "one peer with 130,560 prefixes"
{
	printf '10.%s.0/24\n' {0..254}.{0..255}
	for ((x = 1; x <= 255; x++)); do
		printf "fdaa:$(printf %x $x):%x::/48\n" {1..256}
	done
	printf '%s\n' $IN4_B/32 $IN6_B/128
} >"$E2E_TMP/big.list"
sort "$E2E_TMP/big.list" >"$E2E_TMP/big.want"
want_n=$(wc -l <"$E2E_TMP/big.want")
check_eq "generated 130,560 + 2 distinct prefixes" "130562" "$(sort -u "$E2E_TMP/big.list" | wc -l)"
{
	printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n\n' "$(cat "$(key a)")" $PORT_A
	printf '[Peer]\nPublicKey = %s\nEndpoint = %s:%s\n' "$PB" $OUT4_B $PORT_B
	allowed_lines <"$E2E_TMP/big.list"
} >"$E2E_TMP/big.conf"
t0=$(date +%s.%N)
T=120 check "wg setconf with 130,562 allowed-ips" n A wg setconf "$IFA" "$E2E_TMP/big.conf"
info "setconf took $(elapsed "$t0") s"
t0=$(date +%s.%N)
T=120 n A wg show "$IFA" allowed-ips >"$E2E_TMP/big.show"
info "show allowed-ips took $(elapsed "$t0") s"
check_eq "allowed-ips output is one line for the one peer" "1" "$(wc -l <"$E2E_TMP/big.show")"
check_eq "that line is for B" "$PB" "$(cut -f1 "$E2E_TMP/big.show")"
cut -f2 "$E2E_TMP/big.show" | tr ' ' '\n' | sed '/^$/d' | sort >"$E2E_TMP/big.got"
check_eq "wg show reports $want_n prefixes" "$want_n" "$(wc -l <"$E2E_TMP/big.got")"
check "the sorted sets are identical" cmp -s "$E2E_TMP/big.want" "$E2E_TMP/big.got"
check "ping A->B with the large table" ping_ok A $IN4_B
check "ping B->A with the large table" ping_ok B $IN4_A
check "ping A->B over IPv6 with the large table" ping_ok A $IN6_B
n A wg set "$IFA" peer "$PB" allowed-ips $IN4_B/32,$IN6_B/128
check_eq "replacing the 130,562 with 2 leaves 2" "$IN4_B/32,$IN6_B/128" "$(peer_field "$IFA" "$PB" allowed-ips)"
check "daemon A still running" daemon_alive "$IFA"

# Scenario: 40 peers x 52 prefixes (26 IPv4 /29, 26 IPv6 /48; the first peer
# is B with 50 of those plus its two tunnel addresses), one setconf.
section "40 peers with 52 prefixes each"
{
	printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n' "$(cat "$(key a)")" $PORT_A
	: >"$E2E_TMP/many.want"
	for ((i = 0; i < 40; i++)); do
		if ((i == 0)); then
			p=$PB
		else
			genkey "p$i"
			p=$(pub "p$i")
		fi
		{
			for ((j = 0; j < 26; j++)); do
				((i == 0 && j == 25)) && { echo $IN4_B/32; continue; }
				echo "172.16.$i.$((j * 8))/29"
			done
			for ((j = 0; j < 26; j++)); do
				((i == 0 && j == 25)) && { echo $IN6_B/128; continue; }
				printf 'fd10:%x:%x::/48\n' $((i + 1)) $((j + 1))
			done
		} >"$E2E_TMP/peer.list"
		sed "s|^|$p |" "$E2E_TMP/peer.list" >>"$E2E_TMP/many.want"
		printf '\n[Peer]\nPublicKey = %s\n' "$p"
		((i == 0)) && printf 'Endpoint = %s:%s\n' $OUT4_B $PORT_B
		allowed_lines <"$E2E_TMP/peer.list"
	done
} >"$E2E_TMP/many.conf"
sort -o "$E2E_TMP/many.want" "$E2E_TMP/many.want"
check_eq "generated 40 x 52 distinct prefixes" "2080" "$(cut -d' ' -f2 "$E2E_TMP/many.want" | sort -u | wc -l)"
check "wg setconf with 40 peers" n A wg setconf "$IFA" "$E2E_TMP/many.conf"
check_eq "wg show peers lists 40" "40" "$(wgq show "$IFA" peers | wc -l)"
n A wg show "$IFA" allowed-ips >"$E2E_TMP/many.show"
awk -F'\t' '{ n = split($2, a, " "); for (i = 1; i <= n; i++) print $1, a[i] }' "$E2E_TMP/many.show" |
	sort >"$E2E_TMP/many.got"
check_eq "wg show reports 2080 (peer, prefix) pairs" "2080" "$(wc -l <"$E2E_TMP/many.got")"
check "every peer has exactly its 52 prefixes" cmp -s "$E2E_TMP/many.want" "$E2E_TMP/many.got"
bad=$(awk '{ c[$1]++ } END { for (k in c) if (c[k] != 52) print k }' "$E2E_TMP/many.got" | wc -l)
check_eq "no peer with a count other than 52" "0" "$bad"
check "ping A->B (first of 40 peers)" ping_ok A $IN4_B
check "ping B->A" ping_ok B $IN4_A
check "daemon A still running" daemon_alive "$IFA"
