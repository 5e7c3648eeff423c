#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seed 003's asymmetric paths from examples/asymmetric.conf (issue 11):
# hub B at cost 10, sites A and C, [link A C] cost 30 (A -> C), 10
# (C -> A). Rendered by lanwire and run in namespaces lwas-<tag>-*, as
# smoke.sh does: one lanwired per link, one BIRD per router, the rendered
# unreachable routes and nftables policy. Asserts, with nft counters on B,
# that A -> C passes B and C -> A does not; an 8 MiB TCP transfer from
# A's LAN to C's on tcp/5001 with equal sha256 under the rendered
# rp_filter (loose on the two rendered link ends, strict elsewhere); and,
# as the negative control, that strict rp_filter everywhere breaks it.
#
# Usage: asymmetric.sh [LANWIRE [LANWIRED]]
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/overlay/manual.sh
. "$HERE/manual.sh"
ov_manual_init lwas "$@"
ROUTERS=(B a c)
declare -A HOLDER=() WAN=([B]=2 [a]=3 [c]=4)
NFT=1

cleanup() {
	ov_stop_all h1 h2
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in bird ip wg nft nc sha256sum; do
	command -v "$t" >/dev/null || { echo "asymmetric: no $t"; exit 1; }
done

# rp_filter: "rendered" runs the link files' rp_filter PostUp lines over
# strict (1) everywhere; "strict" leaves 1 everywhere.
set_rp() {
	local mode=$1 r f ifc
	for r in "${ROUTERS[@]}"; do
		in_r "$r" sysctl -q -w net.ipv4.conf.all.rp_filter=1
		for f in "$WORK/out/$r"/lwas*.conf; do
			ifc=$(basename "$f" .conf)
			in_r "$r" sysctl -q -w "net.ipv4.conf.$ifc.rp_filter=1"
			[ "$mode" = rendered ] || continue
			sed -n 's/^PostUp = \(sysctl .*rp_filter.*\)/\1/p' "$f" |
				sed "s/%i/$ifc/" | while read -r line; do
				# shellcheck disable=SC2086
				in_r "$r" $line
			done
		done
	done
}

# Packets B forwards per direction, from its counter table.
b_counters() {
	in_r B nft -f - <<'NFT'
table inet lwascount
delete table inet lwascount
table inet lwascount {
	chain count {
		type filter hook forward priority filter - 10; policy accept;
		ip saddr 192.168.51.0/24 ip daddr 192.168.53.0/24 counter comment "ac"
		ip saddr 192.168.53.0/24 ip daddr 192.168.51.0/24 counter comment "ca"
	}
}
NFT
}
b_count() { # ac|ca packets|bytes
	in_r B nft list chain inet lwascount count |
		awk -v c="\"$1\"" -v w="$2" '$0 ~ "comment " c {
			for (i = 1; i < NF; i++) if ($i == w) print $(i + 1) }'
}

# An 8 MiB transfer h1 -> h2 tcp/5001 given $1 s; prints the received
# sha256.
transfer() {
	rm -f "$WORK/got"
	in_ns h2 timeout "$(($1 + 2))" nc -l 192.168.53.10 5001 >"$WORK/got" &
	local l=$!
	sleep 0.5
	in_ns h1 timeout "$1" nc -N -w 5 192.168.53.10 5001 <"$WORK/payload" \
		2>/dev/null
	wait "$l" 2>/dev/null
	sha256sum <"$WORK/got" | cut -d' ' -f1
}

start=$(date +%s)
ov_render "$ROOT/examples/asymmetric.conf" overlay-asymmetric infra-pool ||
	{ echo "asymmetric: render failed"; exit 1; }
head -c $((8 << 20)) /dev/urandom >"$WORK/payload"
want=$(sha256sum <"$WORK/payload" | cut -d' ' -f1)
make_wan
# C's public-address, 198.51.100.3, which every router reaches on-link
for r in "${ROUTERS[@]}"; do
	in_ns "$r" ip route add 198.51.100.0/24 dev "lwas$TAG$r"
done
in_ns c ip addr add 198.51.100.3/32 dev "lwas${TAG}c"
for r in "${ROUTERS[@]}"; do make_holder "$r"; done
make_host h1 a 192.168.51.10 192.168.51.1
make_host h2 c 192.168.53.10 192.168.53.1
for r in "${ROUTERS[@]}"; do start_router "$r"; done
set_rp rendered

# Wait for the costs' paths: a -> C's LAN by B (lwas0), c -> A's direct
# (lwas2).
for _ in $(seq 150); do
	ra=$(in_r a ip route get 192.168.53.10 2>/dev/null | head -1)
	rc=$(in_r c ip route get 192.168.51.10 2>/dev/null | head -1)
	case "$ra|$rc" in *"dev lwas0 "*"|"*"dev lwas2 "*) break ;; esac
	sleep 0.2
done
case $ra in *"dev lwas0 "*) ok "a routes C's LAN via B: $ra" ;;
*) bad "a routes C's LAN: $ra" ;; esac
case $rc in *"dev lwas2 "*) ok "c routes A's LAN direct: $rc" ;;
*) bad "c routes A's LAN: $rc" ;; esac
sleep 2

b_counters
if in_ns h1 ping -c 20 -i 0.05 -W 1 -q 192.168.53.10 >/dev/null 2>&1; then
	ok "LAN A -> LAN C pings answered"
else
	bad "LAN A -> LAN C pings"
fi
t0=$(date +%s%N)
got=$(transfer 30)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ac=$(b_count ac packets) ca=$(b_count ca packets)
acb=$(b_count ac bytes) cab=$(b_count ca bytes)
# (packets: GRO on the links coalesces the transfer's segments)
echo "B forwarded: A -> C $ac packets $acb bytes, C -> A $ca packets $cab bytes (20 pings + 8 MiB, $ms ms)"
if [ "$got" = "$want" ]; then
	ok "8 MiB A -> C tcp/5001, sha256 equal, rendered rp_filter ($ms ms)"
else
	bad "8 MiB A -> C tcp/5001 with rendered rp_filter: sha256 $got"
fi
[ "${acb:-0}" -ge $((8 << 20)) ] && ok "A -> C passes B ($acb bytes)" ||
	bad "A -> C on B: ${acb:-none} bytes"
[ "${ca:-1}" -eq 0 ] && ok "C -> A does not pass B (0 packets)" ||
	bad "C -> A on B: ${ca:-none} packets"

# Negative control: strict rp_filter everywhere.
set_rp strict
got=$(transfer 5)
if [ "$got" = "$want" ]; then
	bad "strict rp_filter did not break the asymmetric path"
else
	ok "strict rp_filter breaks it (negative control)"
fi
in_ns h1 ping -c 3 -W 1 -q 192.168.53.10 >/dev/null 2>&1 &&
	bad "pings pass under strict rp_filter" ||
	ok "pings fail under strict rp_filter"
# And back to the rendered (loose where asymmetric) values.
set_rp rendered
got=$(transfer 30)
[ "$got" = "$want" ] && ok "works again with the rendered rp_filter" ||
	bad "rendered rp_filter again: sha256 $got"

stop_and_check_logs
echo "run time $(( $(date +%s) - start )) s"
echo "overlay-asym: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
