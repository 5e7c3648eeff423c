#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
#
# tests/e2e/badinput.sh -- hostile input on both of the daemon's doors:
#   UDP: random, truncated, oversized, empty and type-prefixed garbage
#        datagrams; a replayed (captured) handshake initiation; a replayed
#        (captured) data packet;
#   UAPI: malformed set= transactions straight on the UNIX socket (nc -U),
#        garbage, an endless line, an unknown operation.
# After all of it the daemon is up, its configuration unchanged, the tunnel
# works, and `ip link del` still makes it exit and remove its socket.
# tests/e2e/udpreplay.c is compiled here with cc to replay captured payloads.
#
#	bash tests/e2e/badinput.sh DAEMON_A DAEMON_B
#
#  ┌─────────── lwt-<tag>-a ───────────┐          ┌─────────── lwt-<tag>-b ───────────┐
#  │ lw<tag>a   192.168.4.1/24         │  tunnel  │ lw<tag>b   192.168.4.2/24         │
#  │ DAEMON_A (target), port 51820     │<========>│ DAEMON_B, port 51821              │
#  │ nft counters: responses sent,     │          │ also the garbage sender:          │
#  │   echo requests delivered         │          │   dd > /dev/udp/..., udpreplay    │
#  │ lv<tag>ab  192.168.241.1/24       ├── veth ──┤ lv<tag>ba  192.168.241.2/24       │
#  │   fd00::1  (tcpdump -w here)      │          │   fd00::2                         │
#  └───────────────────────────────────┘          └───────────────────────────────────┘

. "$(dirname "$0")/lib.sh"
e2e_init "$@"

pair_topology
pair_keys
SOCK_A=$(sock_path "$IFA")
daemon_start A "$DAEMON_A" "$IFA" || exit 1
daemon_start B "$DAEMON_B" "$IFB" || exit 1
n A wg set "$IFA" listen-port $PORT_A private-key "$(key a)" peer "$PB" allowed-ips $IN4_B/32
n B wg set "$IFB" listen-port $PORT_B private-key "$(key b)" \
	peer "$PA" allowed-ips $IN4_A/32 endpoint $OUT4_A:$PORT_A
wg_addr_up A "$IFA" "$IN4_A/24"
wg_addr_up B "$IFB" "$IN4_B/24"

REPLAY=
if command -v cc >/dev/null; then
	pp cc -O2 -Wall -o "$E2E_TMP/udpreplay" "$(dirname "$0")/udpreplay.c" && REPLAY=$E2E_TMP/udpreplay
fi
check "udpreplay.c compiles" test -n "$REPLAY"

cat >"$E2E_TMP/count.nft" <<EOF
table inet lwbad {
	counter responses { }
	counter echo_in { }
	counter garbage { }
	chain in {
		type filter hook input priority -300; policy accept;
		ip saddr $OUT4_B udp dport $PORT_A udp sport != $PORT_B counter name garbage
		ip6 saddr $OUT6_B udp dport $PORT_A udp sport != $PORT_B counter name garbage
	}
	chain out {
		type filter hook output priority -300; policy accept;
		udp sport $PORT_A udp length 100 @th,64,8 2 counter name responses
	}
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname "$IFA" ip saddr $IN4_B icmp type echo-request counter name echo_in
	}
}
EOF
n A nft -f "$E2E_TMP/count.nft"
count() { nq A nft list counter inet lwbad "$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }

# Scenario: capture B's first initiation and first data packet (an 84-byte
# echo request: 16 + 96 + 16 = 128 bytes of UDP payload) as they reach A.
section "capture an initiation and a data packet"
bg A "$E2E_TMP/tcpdump1.log" tcpdump -i "$VETH_A" -n -U -Z root -c 1 -w "$E2E_TMP/init.pcap" \
	"udp dst port $PORT_A and udp[8] = 1"
TD1=$BG_PID
bg A "$E2E_TMP/tcpdump2.log" tcpdump -i "$VETH_A" -n -U -Z root -c 1 -w "$E2E_TMP/data.pcap" \
	"udp dst port $PORT_A and udp[8] = 4 and udp[4:2] = 136"
TD2=$BG_PID
check "tcpdump listening" wait_until 10 eval 'grep -qs "listening on" "$E2E_TMP/tcpdump1.log" && grep -qs "listening on" "$E2E_TMP/tcpdump2.log"'
check "ping B->A (B initiates)" ping_ok B $IN4_A
check "initiation captured" wait_until 5 eval '! pid_alive $TD1'
check "data packet captured" wait_until 5 eval '! pid_alive $TD2'
kill_pid "$TD1"
kill_pid "$TD2"

n A wg showconf "$IFA" >"$E2E_TMP/conf.before"
HS0=$(peer_field "$IFA" "$PB" handshake)
EP0=$(peer_field "$IFA" "$PB" endpoint)
check_eq "A's endpoint for B" "$OUT4_B:$PORT_B" "$EP0"

# state_unchanged WHAT: configuration, B's endpoint and handshake as before.
state_unchanged()
{
	n A wg showconf "$IFA" >"$E2E_TMP/conf.now"
	check "$1: configuration unchanged" cmp -s "$E2E_TMP/conf.before" "$E2E_TMP/conf.now"
	check_eq "$1: B's endpoint unchanged" "$EP0" "$(peer_field "$IFA" "$PB" endpoint)"
	check_eq "$1: latest handshake unchanged" "$HS0" "$(peer_field "$IFA" "$PB" handshake)"
}

alive_and_working()
{
	check "$1: daemon A still running" daemon_alive "$IFA"
	check "$1: UAPI still answers" eval 'wgq show "$IFA" dump >/dev/null'
	check "$1: ping A<->B" eval 'ping_ok A $IN4_B && ping_ok B $IN4_A'
}

# Scenario: garbage datagrams from B's namespace (another source port than
# B's daemon): random bytes of many sizes, each message type truncated,
# one byte long, right-sized with random content, oversized (fragmented
# 9000 and 65000 bytes), an empty datagram, and 400 random ones over outer
# IPv4 and IPv6.
section "garbage datagrams"
cat >"$E2E_TMP/garbage.sh" <<'EOF'
# runs inside B's namespace: $1 = IPv4 target, $2 = IPv6 target, $3 = port,
# $4 = scratch file
msg=$4
send() { dd if=/dev/urandom bs="$1" count=1 status=none >"/dev/udp/$2/$3" 2>/dev/null; }
# one datagram: type byte $1, three zero bytes, $2 random bytes (built in a
# file first: each write(2) to /dev/udp is a datagram of its own)
typed()
{
	{ printf "\\x$1\\x00\\x00\\x00"; head -c "$2" /dev/urandom; } >"$msg"
	dd if="$msg" bs=$((4 + $2)) count=1 status=none >"/dev/udp/$3/$4" 2>/dev/null
}
for sz in 1 2 3 4 5 8 15 16 17 31 32 33 47 48 63 64 65 91 92 93 147 148 149 1419 1420 1452 1500 9000 65000; do
	send "$sz" "$1" "$3"
done
for t in 01 02 03 04 05 00 ff; do
	for rest in 0 1 4 12 27 28 29 60 61 87 88 89 143 144 145 200 1400; do
		typed "$t" "$rest" "$1" "$3"
	done
done
for i in $(seq 200); do
	send $((RANDOM % 1500 + 1)) "$1" "$3"
	send $((RANDOM % 1500 + 1)) "$2" "$3"
done
EOF
T=60 n B bash "$E2E_TMP/garbage.sh" $OUT4_A $OUT6_A $PORT_A "$E2E_TMP/msg"
if [[ -n $REPLAY ]]; then
	check "an empty datagram sent" eval 'nq B "$REPLAY" $OUT4_A $PORT_A - </dev/null 2>/dev/null'
fi
sleep 0.5
g=$(count garbage)
check "A's port received the garbage ($g of 549 datagrams counted)" test "$g" -ge 540
state_unchanged "after garbage"
alive_and_working "after garbage"

# Scenario: replay the captured initiation (5 times, from another source
# port): its TAI64N timestamp is not newer than the last one A accepted, so
# A must not answer, not roam B's endpoint, not start a new session.
section "replayed handshake initiation"
HS0=$(peer_field "$IFA" "$PB" handshake)
EP0=$(peer_field "$IFA" "$PB" endpoint)
if [[ -n $REPLAY ]]; then
	r0=$(count responses)
	check "control: the response counter saw A's original response" test "$r0" -ge 1
	check "replay the captured initiation 5 times" n B "$REPLAY" -t 1 -n 5 $OUT4_A $PORT_A "$E2E_TMP/init.pcap"
	sleep 1
	check_eq "A sent no handshake response to the replay" "$r0" "$(count responses)"
	state_unchanged "after replayed initiation"
	alive_and_working "after replayed initiation"
else
	fail "replayed initiation" "no udpreplay (cc missing?)"
fi

# Scenario: replay the captured data packet (an echo request from B, on the
# still current session): the replay window rejects it, A delivers nothing.
section "replayed data packet"
if [[ -n $REPLAY ]]; then
	e0=$(count echo_in)
	check "control: the echo counter saw B's echo requests" test "$e0" -ge 3
	rx0=$(peer_field "$IFA" "$PB" rx)
	check "replay the captured data packet 3 times" n B "$REPLAY" -t 4 -n 3 $OUT4_A $PORT_A "$E2E_TMP/data.pcap"
	sleep 1
	check_eq "A delivered no replayed echo request" "$e0" "$(count echo_in)"
	check_eq "replayed data not counted in rx (wireguard-go and Linux drop it first)" "$rx0" "$(peer_field "$IFA" "$PB" rx)"
	alive_and_working "after replayed data"
else
	fail "replayed data packet" "no udpreplay (cc missing?)"
fi

# uapi REQUEST: send REQUEST (printf format) to A's UAPI socket, print the errno line.
uapi()
{
	say "[+] printf '${1//$'\n'/\\n}' | nc -N -U $SOCK_A"
	# shellcheck disable=SC2059
	printf "$1" | timeout 5 nc -N -U "$SOCK_A" 2>/dev/null | grep -m1 '^errno=' || true
}

# uapi_negative WHAT REQUEST: the reply is errno=-N with N > 0.
uapi_negative()
{
	check_match "UAPI $1 -> negative errno" '^errno=-[1-9][0-9]*$' "$(uapi "$2")"
}

# Scenario: malformed UAPI set= transactions are refused with errno=-N and
# change nothing; garbage, an endless line and an unknown operation do not
# take the daemon down.
section "malformed UAPI"
n A wg showconf "$IFA" >"$E2E_TMP/conf.before"
HS0=$(peer_field "$IFA" "$PB" handshake)
EP0=$(peer_field "$IFA" "$PB" endpoint)
PBHEX=$(base64 -d <<<"$PB" | od -An -v -tx1 | tr -d ' \n')
check_eq "UAPI listen_port=abc -> errno=-22" "errno=-22" "$(uapi 'set=1\nlisten_port=abc\n\n')"
uapi_negative "listen_port=99999" 'set=1\nlisten_port=99999\n\n'
uapi_negative "private_key=zz" 'set=1\nprivate_key=zz\n\n'
uapi_negative "unknown key foo=bar" 'set=1\nfoo=bar\n\n'
uapi_negative "line without '='" 'set=1\ngarbage\n\n'
uapi_negative "short public_key" 'set=1\npublic_key=abcd\n\n'
uapi_negative "fwmark=xyz" 'set=1\nfwmark=xyz\n\n'
uapi_negative "replace_peers=maybe" 'set=1\nreplace_peers=maybe\n\n'
uapi_negative "bad endpoint on B" "set=1\npublic_key=$PBHEX\nendpoint=nonsense\n\n"
uapi_negative "allowed_ip /99 on B" "set=1\npublic_key=$PBHEX\nallowed_ip=1.2.3.4/99\n\n"
uapi_negative "persistent_keepalive_interval=70000 on B" "set=1\npublic_key=$PBHEX\npersistent_keepalive_interval=70000\n\n"
uapi 'get=2\n\n' >/dev/null
check "daemon alive after unknown operation get=2" daemon_alive "$IFA"
say "[+] head -c 4096 /dev/urandom | nc -N -U $SOCK_A"
head -c 4096 /dev/urandom | timeout 5 nc -N -U "$SOCK_A" >/dev/null 2>&1
check "daemon alive after 4 KiB of binary garbage" daemon_alive "$IFA"
say "[+] 1 MiB line without newline | nc -N -U $SOCK_A"
head -c 1048576 /dev/zero | tr '\0' 'a' | timeout 10 nc -N -U "$SOCK_A" >/dev/null 2>&1
check "daemon alive after a 1 MiB line" daemon_alive "$IFA"
say "[+] connect and close without a request, 20 times"
for i in $(seq 20); do timeout 5 nc -N -U "$SOCK_A" </dev/null >/dev/null 2>&1; done
check "daemon alive after empty connections" daemon_alive "$IFA"
state_unchanged "after malformed UAPI"
alive_and_working "after malformed UAPI"

# Information only (wireguard-go applies a set= line by line; the house style
# asks lanwired to validate the whole transaction first): does a failing
# transaction leave its earlier lines applied?
reply=$(uapi 'set=1\nlisten_port=4242\nlisten_port=abc\n\n')
port=$(wgq show "$IFA" listen-port)
if [[ $port == 4242 ]]; then
	info "transaction 'listen_port=4242, listen_port=abc' answered $reply and left listen_port=4242 applied (not atomic)"
	n A wg set "$IFA" listen-port $PORT_A
else
	info "transaction 'listen_port=4242, listen_port=abc' answered $reply and changed nothing (atomic)"
fi

# Scenario: deleting the interface makes the daemon exit and remove its socket.
section "ip link del"
n A ip link del dev "$IFA"
check "daemon A exits after ip link del" daemon_wait_exit "$IFA" 5
check "daemon A exit status 0" daemon_exited_cleanly "$IFA"
check_not "A's UAPI socket removed" test -e "$SOCK_A"
check "daemon B still running" daemon_alive "$IFB"
