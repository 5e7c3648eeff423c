#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debian's wireguard-go on overlay links (issue 11: "works with Debian's
# wireguard-go in place of lanwired on any link; the rendered configs are
# plain wg-quick"). examples/ha.conf in namespaces lwgg-<tag>-* (lib.sh):
# hubs z1, z2 and site gateway c brought up with `lanwire up` (lanwired
# per link); site gateway a from its rendered files by hand, each link by
# `wg-quick up LINKIF.conf` with WG_QUICK_USERSPACE_IMPLEMENTATION=
# wireguard-go (this kernel has no WireGuard module, so wg-quick runs
# it), plus the rendered unreachable routes, nft policy and BIRD. So
# both of a's links are wireguard-go facing lanwired on the hubs.
# Asserts: a's links are served by wireguard-go and no lanwired runs
# there; OSPF adjacencies Full and BFD sessions Up over both links, seen
# from a and from the hubs; LAN1 <-> LAN2 pings and a 4 MiB TCP transfer
# (sha256) pass; with z1's link to a taken down, traffic moves to z2 (over
# a's other wireguard-go link) and still flows.
#
# Usage: wggo.sh [LANWIRE [LANWIRED]]  (default build/lanwire, build/lanwired)
set -u

OV_PREFIX=${OV_PREFIX:-lwgg}
# shellcheck source=tests/overlay/lib.sh
. "$(dirname "$0")/../overlay/lib.sh"
ov_init "$@"
WGGO=$(command -v wireguard-go || echo /usr/bin/wireguard-go)
A_LINKS=()

cleanup() {
	local l p
	for l in "${A_LINKS[@]}"; do
		in_r a wg-quick down "$WORK/out/a/$l.conf" >/dev/null 2>&1
	done
	[ -s "$WORK/a.bird.pid" ] && kill "$(cat "$WORK/a.bird.pid")" 2>/dev/null
	# wireguard-go exits with its interface; any that lingers is ours.
	for p in $(ip netns pids "$P-a" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = wireguard-go ] &&
			kill "$p" 2>/dev/null
	done
	ov_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ov_need bird birdc ip wg wg-quick nft nc sha256sum nsenter unshare "$WGGO"

# birdc on router $1 (a: the hand-started BIRD's socket).
bc() {
	local r=$1
	shift
	if [ "$r" = a ]; then
		in_r a birdc -s "$WORK/a.bird.ctl" "$@"
	else
		in_r "$r" birdc -s "$WORK/run-$r/$r.bird.ctl" "$@"
	fi
}

# Router a from its rendered files, links by wg-quick under wireguard-go.
start_a_wggo() {
	local dir=$WORK/out/a f l
	grep '^ip route' "$dir/overlay-routes.txt" | while read -r line; do
		# shellcheck disable=SC2086 # the rendered line is a command
		in_r a $line
	done
	in_r a nft -f "$dir/wg0.nft" || bad "a: nft -f wg0.nft"
	for f in "$dir/$I"*.conf; do
		l=$(basename "$f" .conf)
		A_LINKS+=("$l")
		if in_r a env WG_QUICK_USERSPACE_IMPLEMENTATION="$WGGO" \
			wg-quick up "$f" >"$WORK/wgquick-$l.out" 2>&1; then
			ok "a: wg-quick up $l.conf (wireguard-go)"
		else
			bad "a: wg-quick up $l.conf: $(tail -2 "$WORK/wgquick-$l.out")"
		fi
	done
	in_r a bird -c "$dir/bird.conf" -s "$WORK/a.bird.ctl" \
		-P "$WORK/a.bird.pid" >"$WORK/a.bird.out" 2>&1 ||
		bad "a: bird did not start: $(tail -2 "$WORK/a.bird.out")"
}

# How many of router $1's OSPF neighbours are Full, BFD sessions Up.
ospf_full() { bc "$1" show ospf neighbors 2>/dev/null | grep -c 'Full/PtP'; }
bfd_up() { bc "$1" show bfd sessions 2>/dev/null | grep -cw 'Up'; }

# A 4 MiB transfer h1 -> h2 tcp/5001; prints the received sha256.
transfer() {
	rm -f "$WORK/got"
	in_ns h2 timeout 20 nc -l 192.168.200.10 5001 >"$WORK/got" &
	local l=$!
	sleep 0.5
	in_ns h1 timeout 15 nc -N -w 5 192.168.200.10 5001 <"$WORK/payload" \
		2>/dev/null
	wait "$l" 2>/dev/null
	sha256sum <"$WORK/got" | cut -d' ' -f1
}

start=$(date +%s)
ov_build
"$LANWIRE" -f "$WORK/ha.conf" -k "$WORK/keys" render --all -o "$WORK/out" \
	>/dev/null 2>&1 || { echo "wggo: render failed"; exit 1; }
head -c $((4 << 20)) /dev/urandom >"$WORK/payload"
want=$(sha256sum <"$WORK/payload" | cut -d' ' -f1)
for r in z1 z2 c; do
	lw up "$r" >"$WORK/up-$r.out" 2>"$WORK/up-$r.err" &&
		ok "up $r (lanwired)" || bad "up $r: $(tail -2 "$WORK/up-$r.err")"
done
start_a_wggo

comms=$(for p in $(ip netns pids "$P-a" | grep -vx "${HOLDER[a]}"); do
	cat "/proc/$p/comm"; done 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')
n=$(echo "$comms" | grep -o '[0-9]* wireguard-go' | cut -d' ' -f1)
[ "${n:-0}" -eq 2 ] && ! echo "$comms" | grep -q lanwired &&
	ok "a's 2 links are served by wireguard-go, no lanwired there ($comms)" ||
	bad "a runs: $comms"

# OSPF Full and BFD Up over both of a's links, from both sides.
for _ in $(seq 100); do
	[ "$(ospf_full a)" -ge 2 ] && [ "$(bfd_up a)" -ge 2 ] && break
	sleep 0.2
done
[ "$(ospf_full a)" -eq 2 ] && ok "a: OSPF Full with both hubs over wireguard-go" ||
	{ bad "a: $(ospf_full a) OSPF neighbours Full"; bc a show ospf neighbors; }
[ "$(bfd_up a)" -eq 2 ] && ok "a: BFD Up on both wireguard-go links" ||
	{ bad "a: $(bfd_up a) BFD sessions Up"; bc a show bfd sessions; }
for r in z1 z2; do
	a_addr=$(sed -n 's/^Address = \(.*\)\/31$/\1/p' "$WORK"/out/a/"$I"*.conf)
	s=$(bc "$r" show bfd sessions 2>/dev/null | grep -F -f <(echo "$a_addr") |
		grep -cw Up)
	[ "$s" -eq 1 ] && ok "$r (lanwired): BFD Up with a's wireguard-go end" ||
		bad "$r: $s BFD sessions Up with a"
done

if ov_wait_ping 20; then
	ok "LAN1 -> LAN2 over a's wireguard-go links"
else
	bad "LAN1 -> LAN2 never worked"
fi
in_ns h2 ping -c 3 -W 1 -q 192.168.201.10 >/dev/null 2>&1 &&
	ok "LAN2 -> LAN1 too" || bad "LAN2 -> LAN1"
got=$(transfer)
[ "$got" = "$want" ] && ok "4 MiB LAN1 -> LAN2 tcp/5001, sha256 equal" ||
	bad "4 MiB LAN1 -> LAN2: sha256 $got"

# z1's link to a down (its end, lanwired): a's traffic moves to z2 over
# a's other wireguard-go link.
l1=$(grep -l 'Endpoint = 203.0.113.1:' "$WORK"/out/a/"$I"*.conf | head -1)
l1=$(basename "$l1" .conf)
in_r z1 ip link set "$l1" down
for _ in $(seq 50); do
	in_ns a ip route get 192.168.200.10 2>/dev/null | grep -q "dev $l1 " ||
		break
	sleep 0.2
done
route=$(in_ns a ip route get 192.168.200.10 2>/dev/null | head -1)
case $route in
*"dev $I"*) echo "$route" | grep -q "dev $l1 " &&
	bad "a still routes by z1 ($route)" || ok "a routes by z2 now: $route" ;;
*) bad "a's route to LAN2: $route" ;;
esac
got=$(transfer)
[ "$got" = "$want" ] && ok "4 MiB again by z2, sha256 equal" ||
	bad "4 MiB by z2: sha256 $got"
in_r z1 ip link set "$l1" up

if grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' \
	"$WORK"/*.out "$WORK"/*.err 2>/dev/null; then
	bad "sanitizer reports in the outputs above"
fi
echo "run time $(( $(date +%s) - start )) s"
echo "overlay-wggo: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
