#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/e2e/privdrop.sh -- least privilege: DAEMON_A started with
# LANWIRE_USER=nobody (and one descriptor too many inherited from its
# parent) switches to that user after creating its TUN and sockets, with
# no capability left in any set (CapInh/CapPrm/CapEff/CapBnd/CapAmb all
# zero, so no CAP_NET_ADMIN), its securebits locked (it reads them back
# with prctl and logs them: /proc shows no securebits), no_new_privs, and
# only its own descriptors open (the inherited one closed). A root helper
# (lanwired-root, CAP_NET_ADMIN and CAP_NET_BIND_SERVICE only) binds and
# marks sockets for it. It must still handshake, serve the UAPI socket (wg
# show/set), move its listen port (also below 1024) with the peer following
# by roaming, set a fwmark that its packets really carry, take a new
# private key, learn a roamed peer endpoint, and on `ip link del` exit with
# its socket removed by the helper. Only meaningful for lanwired: with
# another DAEMON_A the script says so and checks nothing.
#
#	bash tests/e2e/privdrop.sh DAEMON_A DAEMON_B
#
#  ┌─────── lwt-<tag>-a ───────┐          ┌─────── lwt-<tag>-b ───────┐
#  │ lw<tag>a 192.168.4.1/24   │  tunnel  │ lw<tag>b 192.168.4.2/24   │
#  │ DAEMON_A as user nobody   │<========>│ DAEMON_B                  │
#  │  + lanwired-root helper   │          │                           │
#  │ nft: packets with mark    │          │                           │
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
genkey a2
genkey b
IFA=$(ifname a)
IFB=$(ifname b)
# A starts through a wrapper that leaves it one descriptor too many (9, a
# file only this test opens), as a careless parent would.
echo "not for the daemon" >"$E2E_TMP/inherited"
cat >"$E2E_TMP/with-fd9" <<EOF
#!/bin/bash
exec 9<"$E2E_TMP/inherited"
exec "$DAEMON_A" "\$@"
EOF
chmod 700 "$E2E_TMP/with-fd9"
LANWIRE_USER=nobody daemon_start A "$E2E_TMP/with-fd9" "$IFA" || exit 1
daemon_start B "$DAEMON_B" "$IFB" || exit 1
PIDA=$(daemon_pid "$IFA")

# status_field PID FIELD: the value of FIELD in /proc/PID/status.
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# unexpected_fds PID: the daemon's descriptors that are none of its own
# (stdio, the TUN, four sockets: UAPI, UDP v4 and v6, the helper's
# channel; the epoll instance), one per line as "fd -> target".
unexpected_fds()
{
	local fd t sockets=0
	for fd in /proc/"$1"/fd/*; do
		t=$(readlink "$fd") || continue
		fd=${fd##*/}
		case $t in
		socket:*) sockets=$((sockets + 1)) ;;
		/dev/net/tun | anon_inode:\[eventpoll\]) ;;
		*) ((fd <= 2)) || echo "$fd -> $t" ;;
		esac
	done
	((sockets == 4)) || echo "$sockets sockets, not 4"
}

# Scenario: the daemon runs as nobody with no capability at all, locked.
section "privileges after start-up"
check_match "A runs as uid 65534" "^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534" \
	"$(grep '^Uid:' /proc/$PIDA/status)"
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
	check_eq "A's $f is empty (no CAP_NET_ADMIN)" 0000000000000000 "$(status_field "$PIDA" $f)"
done
check_match "A cannot regain privileges" "^NoNewPrivs:[[:space:]]+1" \
	"$(grep '^NoNewPrivs:' /proc/$PIDA/status)"
check "A's securebits 0xef (NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE, all locked), read back with prctl" \
	grep -q "securebits 0xef locked" "$E2E_TMP/$IFA.log"
check_eq "A holds only its own descriptors (the inherited fd 9 closed)" "" "$(unexpected_fds "$PIDA")"
HELPER=$(ps -o pid= --ppid "$PIDA" | tr -d ' ' | head -n 1)
check_eq "A's root helper is lanwired-root" "lanwired-root" "$(cat /proc/"$HELPER"/comm 2>/dev/null)"
check_eq "the helper keeps only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE" \
	0000000000001400 "$(status_field "$HELPER" CapEff 2>/dev/null)"

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
cat >"$E2E_TMP/mark.nft" <<EOF
table inet lwpriv {
	counter marked { }
	chain out {
		type filter hook output priority -300; policy accept;
		meta mark 0x42 udp sport 443 counter name marked
	}
}
EOF
n A nft -f "$E2E_TMP/mark.nft"
marked() { nq A nft list counter inet lwpriv marked | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }
check "wg set fwmark (SO_MARK, by the helper)" n A wg set "$IFA" fwmark 0x42
check_eq "fwmark shown back" "0x42" "$(wgq show "$IFA" fwmark)"
check "ping A->B with the mark" ping_ok A $IN4_B
m=$(marked)
check "A's packets carry mark 0x42 ($m counted)" test "${m:-0}" -ge 3
n A wg set "$IFA" fwmark 0
check_eq "A still has no capability after the fwmark" 0000000000000000 "$(status_field "$PIDA" CapEff)"
check_eq "A still holds only its own descriptors" "" "$(unexpected_fds "$PIDA")"

# Scenario: a new private key as nobody; B swaps A's key.
section "new private key"
check "wg set private-key (a new one)" n A wg set "$IFA" private-key "$(key a2)"
n B wg set "$IFB" peer "$(pub a)" remove peer "$(pub a2)" allowed-ips $IN4_A/32 endpoint $OUT4_A:443
check "ping A->B with the new key" ping_ok A $IN4_B
check "handshake with the new key" handshake_done "$IFB" "$(pub a2)"

# Scenario: B's packets start coming from another port; A, unprivileged,
# learns the new endpoint from them (roaming).
section "peer roams"
n B wg set "$IFB" listen-port 51830
check "ping B->A from B's new port" ping_ok B $IN4_A
check_eq "A learned B's new endpoint" "$OUT4_B:51830" "$(peer_field "$IFA" "$(pub b)" endpoint)"

# Scenario: deleting the interface stops the unprivileged daemon; the root
# helper removes the socket it can no longer unlink itself, and exits.
section "exit"
n A ip link del "$IFA"
check "A exits after ip link del" daemon_wait_exit "$IFA" 10
check "A exit status 0" daemon_exited_cleanly "$IFA"
check "UAPI socket removed" wait_until 5 bash -c "! test -e $(sock_path "$IFA")"
check "the root helper exited too" wait_until 5 eval '! pid_alive "$HELPER"'
