#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The "ha" lab (issue 11; docs/overlay.md): examples/ha.conf (hubs z1 at
# cost 10 and z2 at 20, seed 000's sites LAN1 and LAN2, a laptop on z1)
# brought up with `lanwire up NODE` on every router, in namespaces
# lwha-<tag>-* (tests/overlay/lib.sh). While a TCP transfer runs from a
# LAN1 host to a LAN2 host (sha256 on both ends) and the LAN1 host pings
# the LAN2 host every 10 ms:
#   1. the preferred hub z1 is killed (its lanwireds and BIRD, SIGKILL),
#      then restarted with `lanwire up z1`;
#   2. z1's UDP is silently dropped (nft in its namespace), then restored;
#   3. z1's internet link flaps (down/up every 2 s for 20 s), route
#      changes on LAN1's gateway counted.
# Captures on both hubs' internet side look for plaintext LAN traffic.
# Prints one JSON line:
#   failover_ms      longest gap in answered pings at a failure (the worse
#                    of the two kinds; failover_kill_ms, failover_udp_ms)
#   failback_ms      the same at the return (traffic goes back to z1, the
#                    cheaper hub: failback_kill_ms, failback_udp_ms)
#   transfer_intact  the sha256 of what arrived equals what was sent
#   flaps            route changes for LAN2 on a beyond the two expected
#   no_plaintext     no packet to or from a LAN host on a hub's internet side
#   restart_ms       from `lanwire up z1` (the restart) to a's route to LAN2
#                    taking z1 again
#   restart_link_ms  from the restart to a's WireGuard link to z1
#                    handshaking again
# Asserted: transfer_intact, no_plaintext, failover_ms < 3000 (the goal,
# < 1000, is reported: this is a shared, noisy machine), traffic back on
# z1 after each return; with LANWIRE_LINK_PROBE_MS set (lanwired's probe,
# opt-in, passed on to lanwire up) restart_link_ms < 4000 (restart_ms's
# goal, 3 s, is reported); with LANWIRE_LINK_CARRIER_MS set (lanwired's
# carrier, opt-in, passed on to lanwire up) a's link to z1 losing its
# carrier < 1 s after z1's death (carrier_report; printed, not in the
# JSON). Closing line "lab-ha: N passed, M failed".
#
# Usage: ha.sh [LANWIRE [LANWIRED]]  (default build/lanwire, build/lanwired)
set -u

# shellcheck source=tests/overlay/lib.sh
. "$(dirname "$0")/../overlay/lib.sh"
ov_init "$@"
BG=()

ha_cleanup() {
	local p
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
	ov_cleanup
}
trap ha_cleanup EXIT
trap 'exit 1' INT TERM
ov_need bird birdc ip wg ping nsenter unshare tcpdump nft python3

# Link interfaces (examples/ha.conf's link order): a-z1 is link 1.
A_VIA_Z1=${I}1

# Which link a sends LAN2's traffic into.
a_route() { in_ns a ip route get 192.168.200.10 | head -1; }

# Waits up to $1 s for a to route LAN2 through z1; its exit status.
wait_z1() {
	local i
	for i in $(seq $(($1 * 10))); do
		case $(a_route) in *"dev $A_VIA_Z1 "*) return 0 ;; esac
		sleep 0.1
	done
	return 1
}

# Pings h1 -> h2 every 10 ms for $2 s into $WORK/ping-$1, running $3 after
# $4 s; the longest gap in ms into GAP.
pinged() {
	local name=$1 secs=$2 action=$3 at=$4 pinger
	in_ns h1 ping -D -n -i 0.01 -w "$secs" 192.168.200.10 \
		>"$WORK/ping-$name" 2>&1 &
	pinger=$!
	sleep "$at"
	eval "$action"
	wait "$pinger"
	GAP=$(gap_ms "$WORK/ping-$name")
}

kill_z1() {
	local p
	for p in $(ip netns pids "$P-z1" | grep -vx "${HOLDER[z1]}"); do
		kill -9 "$p" 2>/dev/null
	done
}

drop_udp() {
	in_r z1 nft -f - <<-EOF
	table inet lwhadrop {
		chain in { type filter hook input priority -300; iifname "${I}z1" meta l4proto udp drop; }
		chain out { type filter hook output priority -300; oifname "${I}z1" meta l4proto udp drop; }
	}
	EOF
}

# A TCP transfer h1 -> h2 until $WORK/stop exists, ~2 MB/s of random
# bytes; both ends write the sha256 of what they saw.
start_transfer() {
	in_ns h2 python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7400)); s.listen(1); c, _ = s.accept()
h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
open(sys.argv[1], "w").write("%s %d\n" % (h.hexdigest(), n))
' "$WORK/recv.sha" &
	BG+=($!)
	sleep 0.5
	in_ns h1 python3 -c '
import hashlib, os, socket, sys, time
c = socket.create_connection(("192.168.200.10", 7400), timeout=60)
h = hashlib.sha256(); n = 0
while not os.path.exists(sys.argv[2]):
    b = os.urandom(32768); c.sendall(b); h.update(b); n += len(b)
    time.sleep(0.015)
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
open(sys.argv[1], "w").write("%s %d\n" % (h.hexdigest(), n))
' "$WORK/sent.sha" "$WORK/stop" &
	SENDER=$!
	BG+=($SENDER)
}

# Captures on each hub's internet side (headers only).
start_captures() {
	local r
	for r in z1 z2; do
		in_ns "$r" tcpdump -i "$I$r" -n -s 96 -U -w "$WORK/$r.pcap" \
			>/dev/null 2>&1 &
		BG+=($!)
	done
	sleep 1
}

# lanwired's carrier (LANWIRE_LINK_CARRIER_MS, opt-in; docs/overlay.md,
# "Carrier"): carrier_off_ms is the time from z1's kill to a's link to z1
# losing its carrier (ip monitor's clock), -1 when it did not. Separate
# from the JSON line; asserted < 1000 only when the carrier is asked for.
carrier_watch() {
	in_ns a ip -ts -o monitor link >"$WORK/carrier-mon" 2>&1 &
	CARRIER_MON=$!
	BG+=($CARRIER_MON)
	sleep 0.2
}
carrier_report() {
	local line t
	kill "$CARRIER_MON" 2>/dev/null
	line=$(grep -m1 "$A_VIA_Z1: <NO-CARRIER" "$WORK/carrier-mon")
	t=$(echo "$line" | sed -n 's/^\[\([^]]*\)\].*/\1/p')
	carrier_off_ms=-1
	[ -n "$t" ] && carrier_off_ms=$((($(date -d "$t" +%s%N) - KILL_NS) / 1000000))
	if [ "${LANWIRE_LINK_CARRIER_MS:-0}" != 0 ]; then
		[ "$carrier_off_ms" -ge 0 ] && [ "$carrier_off_ms" -lt 1000 ] &&
			ok "a's link to z1 lost its carrier $carrier_off_ms ms after z1's death" ||
			bad "a's link to z1: carrier_off_ms $carrier_off_ms (bounds 0..1000)"
	else
		echo "carrier_off_ms=$carrier_off_ms (lanwired's carrier off)"
	fi
}

ov_build
all_up
ov_wait_ping 30 && ok "LAN1 -> LAN2 through the overlay" ||
	{ bad "LAN1 -> LAN2 never worked"; echo "lab-ha: $passed passed, $failed failed"; exit 1; }
wait_z1 20 && ok "a routes LAN2 through z1 ($A_VIA_Z1)" ||
	bad "a routes LAN2 elsewhere: $(a_route)"
for r in "${ROUTERS[@]}"; do echo "  $(resources "$r")"; done
sleep 3 # every BFD session up
start_captures
start_transfer

# 1. z1 killed, then restarted.
carrier_watch
pinged kill 8 'KILL_NS=$(date +%s%N); kill_z1' 3
fo_kill=$GAP
carrier_report
case $(a_route) in *"dev ${I}2 "*) ok "a fails over to z2 (${I}2)" ;;
*) bad "a after z1's death: $(a_route)" ;; esac
# restart_ms: from the restart to a's route taking z1 again;
# restart_link_ms: to a's link to z1 handshaking again (WireGuard's part,
# the rest is OSPF's).
a_hs() { in_r a wg show "$A_VIA_Z1" latest-handshakes | cut -f2; }
restart_z1() {
	local t0=$(date +%s%N) hs0 i
	hs0=$(a_hs)
	lw up z1 >"$WORK/restart.out" 2>&1 ||
		bad "restart z1: $(tail -2 "$WORK/restart.out")"
	restart_up_ms=$((($(date +%s%N) - t0) / 1000000))
	for i in $(seq 400); do
		if [ "$(a_hs)" != "$hs0" ]; then
			restart_link_ms=$((($(date +%s%N) - t0) / 1000000))
			break
		fi
		sleep 0.05
	done
	wait_z1 20
	restart_ms=$((($(date +%s%N) - t0) / 1000000))
}
restart_ms=-1 restart_link_ms=-1 restart_up_ms=-1
# 2 s, then the restart; the window covers WireGuard's retry timers (the
# hub does not know the sites' endpoints: they come back on their own).
pinged back-kill 20 restart_z1 2
fb_kill=$GAP
wait_z1 10 && ok "traffic back on z1 ${restart_ms} ms after its restart (lanwire up z1 took ${restart_up_ms} ms, a's link to z1 handshook after ${restart_link_ms} ms)" ||
	bad "after z1's restart a routes: $(a_route)"
sleep 3

# 2. z1's UDP silently dropped, then restored.
pinged udp 8 drop_udp 3
fo_udp=$GAP
pinged back-udp 14 'in_r z1 nft delete table inet lwhadrop' 2
fb_udp=$GAP
wait_z1 10 && ok "traffic back on z1 after its UDP returned" ||
	bad "after z1's UDP returned a routes: $(a_route)"

touch "$WORK/stop"
wait "$SENDER"
for _ in $(seq 50); do [ -s "$WORK/recv.sha" ] && break; sleep 0.1; done
sent=$(cat "$WORK/sent.sha" 2>/dev/null)
recv=$(cat "$WORK/recv.sha" 2>/dev/null)
intact=false
[ -n "$sent" ] && [ "$sent" = "$recv" ] && intact=true
$intact && ok "transfer intact: ${sent#* } bytes, sha256 ${sent%% *}" ||
	bad "transfer: sent '$sent', received '$recv'"

# 3. z1's internet link flaps every 2 s for 20 s; route changes on a.
sleep 3
in_ns a ip -o monitor route >"$WORK/monitor" 2>&1 &
mon=$!
BG+=($mon)
sleep 0.5
for _ in 1 2 3 4 5; do
	in_ns z1 ip link set "${I}z1" down
	sleep 2
	in_ns z1 ip link set "${I}z1" up
	sleep 2
done
wait_z1 15 || bad "after the flaps a routes: $(a_route)"
sleep 1
kill "$mon" 2>/dev/null
changes=$(grep -v '^Deleted' "$WORK/monitor" | grep -c '192.168.200.0/24.*proto bird')
flaps=$((changes > 2 ? changes - 2 : 0))

# No plaintext: no packet to or from a LAN host on a hub's internet side.
for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
sleep 0.5
plain=0 total=0
for r in z1 z2; do
	total=$((total + $(tcpdump -r "$WORK/$r.pcap" -n 2>/dev/null | wc -l)))
	plain=$((plain + $(tcpdump -r "$WORK/$r.pcap" -n \
		'net 192.168.200.0/24 or net 192.168.201.0/24' 2>/dev/null | wc -l)))
done
no_plaintext=false
[ "$total" -gt 0 ] && [ "$plain" -eq 0 ] && no_plaintext=true
$no_plaintext && ok "no plaintext LAN packet among $total captured on the hubs' internet side" ||
	bad "plaintext on the hubs' internet side: $plain of $total packets"

fo=$((fo_kill > fo_udp ? fo_kill : fo_udp))
fb=$((fb_kill > fb_udp ? fb_kill : fb_udp))
# below WHAT VALUE MIN MAX: PASS if MIN <= VALUE < MAX.
below() {
	[ "$2" -ge "$3" ] && [ "$2" -lt "$4" ] && ok "$1 $2 ms < $4" ||
		bad "$1 $2 ms (bounds $3..$4)"
}
# goal WHAT VALUE LIMIT: printed, not asserted.
goal() {
	[ "$2" -ge 0 ] && [ "$2" -lt "$3" ] && echo "goal met: $1 $2 < $3" ||
		echo "goal missed: $1 $2 >= $3 (not asserted)"
}
below "failover (z1 killed)" "$fo_kill" 30 3000
below "failover (z1's UDP dropped)" "$fo_udp" 30 3000
# lanwired's probe (opt-in): a site handshakes with the restarted hub
# about 1 s after up (the whitepaper's timers take 10-12 s); 4 s is loose
# for a noisy machine. restart_ms adds OSPF's part (docs/overlay.md).
if [ -n "${LANWIRE_LINK_PROBE_MS:-}" ]; then
	below "a's link to z1 handshaking after z1's restart" "$restart_link_ms" 0 4000
else
	echo "restart_link_ms=$restart_link_ms (lanwired's probe off)"
fi
goal restart_ms "$restart_ms" 3000
goal failover_ms "$fo" 1000
printf '{"scenario":"ha","failover_ms":%d,"failover_kill_ms":%d,"failover_udp_ms":%d,"failback_ms":%d,"failback_kill_ms":%d,"failback_udp_ms":%d,"transfer_intact":%s,"flaps":%d,"route_changes":%d,"no_plaintext":%s,"restart_ms":%d,"restart_link_ms":%d}\n' \
	"$fo" "$fo_kill" "$fo_udp" "$fb" "$fb_kill" "$fb_udp" "$intact" \
	"$flaps" "$changes" "$no_plaintext" "$restart_ms" "$restart_link_ms"
if grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' \
	"$WORK"/*.out 2>/dev/null; then
	bad "sanitizer reports in the outputs above"
fi
echo "lab-ha: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
