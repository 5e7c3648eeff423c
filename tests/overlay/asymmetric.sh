#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seed 003's asymmetric paths from examples/asymmetric.conf (issue 11):
# hub B at cost 10, sites A and C, [link A C] cost 30 (A -> C), 10
# (C -> A). Each router brought up with `lanwire up NODE` in namespaces
# lwas-<tag>-* (OV_PREFIX: another prefix), one lanwired per link, BIRD,
# the unreachable routes, the nft policy and rp_filter, over strict
# rp_filter (1) as the namespaces' default. Asserts that up set
# rp_filter 2 on exactly the link ends the render marks (its rp_filter
# PostUp lines) and left 1 on the others; with nft counters on B, that
# A -> C passes B and C -> A does not; an 8 MiB TCP transfer from A's
# LAN to C's on tcp/5001 with equal sha256; as the negative control,
# that strict rp_filter everywhere breaks it, and that up sets the
# rendered values again; that down removes the nft tables and links.
#
# Usage: asymmetric.sh [LANWIRE [LANWIRED]]
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/overlay/manual.sh
. "$HERE/manual.sh"
ov_manual_init "${OV_PREFIX:-lwas}" "$@"
ROUTERS=(B a c)
declare -A HOLDER=() WAN=([B]=2 [a]=3 [c]=4)
OV_DESC=$WORK/net.conf

cleanup() {
	local r
	# down reads the description: never a half-edited one.
	[ -e "$WORK/net.orig" ] && cp "$WORK/net.orig" "$OV_DESC"
	for r in "${ROUTERS[@]}"; do
		[ -n "${HOLDER[$r]:-}" ] && lw down "$r" >/dev/null 2>&1
	done
	ov_stop_all h1 h2
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in bird ip wg nft nc sha256sum; do
	command -v "$t" >/dev/null || { echo "asymmetric: no $t"; exit 1; }
done

# Strict rp_filter (1) on every router's all, default and links.
rp_strict() {
	local r f
	for r in "${ROUTERS[@]}"; do
		in_r "$r" sysctl -q -w net.ipv4.conf.all.rp_filter=1
		in_r "$r" sysctl -q -w net.ipv4.conf.default.rp_filter=1
		for f in "$WORK/out/$r/$IFP"*.conf; do
			[ -e "$f" ] || continue
			in_r "$r" sysctl -q -w \
				"net.ipv4.conf.$(basename "$f" .conf).rp_filter=1" \
				2>/dev/null
		done
	done
}

# lanwire up on every router, its output kept for the sanitizer scan.
all_up_asym() {
	local r
	for r in "${ROUTERS[@]}"; do
		lw up "$r" >>"$WORK/up-$r.out" 2>>"$WORK/up-$r.err" ||
			bad "up $r: $(tail -2 "$WORK/up-$r.err")"
	done
}

# Whether every link end has rp_filter 2 where the render marks it (its
# rp_filter PostUp line) and 1 elsewhere; prints the marked ends.
rp_as_rendered() {
	local r f ifc want got bad=0
	for r in "${ROUTERS[@]}"; do
		for f in "$WORK/out/$r/$IFP"*.conf; do
			ifc=$(basename "$f" .conf)
			want=1
			grep -q '^PostUp = .*rp_filter=2' "$f" && want=2
			got=$(in_r "$r" sysctl -n "net.ipv4.conf.$ifc.rp_filter")
			[ "$want" = 2 ] && echo "$r:$ifc"
			[ "$got" = "$want" ] || { echo "$r:$ifc=$got(want $want)"; bad=1; }
		done
	done
	return $bad
}

# Packets B forwards per direction, from its counter table.
b_counters() {
	in_r B nft -f - <<NFT
table inet ${IFP}count
delete table inet ${IFP}count
table inet ${IFP}count {
	chain count {
		type filter hook forward priority filter - 10; policy accept;
		ip saddr 192.168.51.0/24 ip daddr 192.168.53.0/24 counter comment "ac"
		ip saddr 192.168.53.0/24 ip daddr 192.168.51.0/24 counter comment "ca"
	}
}
NFT
}
b_count() { # ac|ca packets|bytes
	in_r B nft list chain inet "${IFP}count" count |
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
	in_ns "$r" ip route add 198.51.100.0/24 dev "$I$r"
done
in_ns c ip addr add 198.51.100.3/32 dev "${I}c"
for r in "${ROUTERS[@]}"; do make_holder "$r"; done
make_host h1 a 192.168.51.10 192.168.51.1
make_host h2 c 192.168.53.10 192.168.53.1
rp_strict
all_up_asym
for r in "${ROUTERS[@]}"; do
	in_r "$r" nft list table inet lanwire >/dev/null 2>&1 &&
		ok "up $r loaded its nft policy" || bad "up $r: no nft table"
done
if marked=$(rp_as_rendered); then
	n=$(echo "$marked" | grep -c .)
	[ "$n" -eq 2 ] &&
		ok "rp_filter 2 on exactly the rendered link ends ($(echo $marked)), 1 on the others" ||
		bad "rp_filter 2 on $n link ends, not 2: $(echo $marked)"
else
	bad "rp_filter not as rendered: $(echo $marked)"
fi

# Wait for the costs' paths: a -> C's LAN by B (link 0), c -> A's direct
# (link 2).
for _ in $(seq 150); do
	ra=$(in_r a ip route get 192.168.53.10 2>/dev/null | head -1)
	rc=$(in_r c ip route get 192.168.51.10 2>/dev/null | head -1)
	case "$ra|$rc" in *"dev ${IFP}0 "*"|"*"dev ${IFP}2 "*) break ;; esac
	sleep 0.2
done
case $ra in *"dev ${IFP}0 "*) ok "a routes C's LAN via B: $ra" ;;
*) bad "a routes C's LAN: $ra" ;; esac
case $rc in *"dev ${IFP}2 "*) ok "c routes A's LAN direct: $rc" ;;
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
rp_strict
got=$(transfer 5)
if [ "$got" = "$want" ]; then
	bad "strict rp_filter did not break the asymmetric path"
else
	ok "strict rp_filter breaks it (negative control)"
fi
in_ns h1 ping -c 3 -W 1 -q 192.168.53.10 >/dev/null 2>&1 &&
	bad "pings pass under strict rp_filter" ||
	ok "pings fail under strict rp_filter"
# And up sets the rendered (loose where asymmetric) values again.
all_up_asym
marked=$(rp_as_rendered) && ok "up set rp_filter as rendered again" ||
	bad "after up again: $(echo $marked)"
got=$(transfer 30)
[ "$got" = "$want" ] && ok "works again with the rendered rp_filter" ||
	bad "rendered rp_filter again: sha256 $got"

# A description change that takes the asymmetry away (the direct link
# at 10 both ways): up sets the two rp_filter 2s back to 1 (their old
# values); the asymmetric costs back: 2 again.
cp "$OV_DESC" "$WORK/net.orig"
sed -i '/^\[link A C\]$/,/^$/ s/^cost = 30, 10$/cost = 10/' "$OV_DESC"
grep -A2 '^\[link A C\]' "$OV_DESC" | grep -qx 'cost = 10' || bad "cost not changed"
all_up_asym
n=0
for r in a c; do
	for f in "$WORK/out/$r/$IFP"*.conf; do
		[ "$(in_r "$r" sysctl -n "net.ipv4.conf.$(basename "$f" .conf).rp_filter")" = 1 ] &&
			n=$((n + 1))
	done
done
[ "$n" -eq 4 ] && ok "symmetric costs: up set rp_filter back to 1 on every link of a and c" ||
	bad "symmetric costs: rp_filter 1 on $n of a's and c's 4 links"
cp "$WORK/net.orig" "$OV_DESC"
all_up_asym
marked=$(rp_as_rendered) && ok "asymmetric costs again: rp_filter as rendered" ||
	bad "asymmetric costs again: $(echo $marked)"

# down: no nft table, no link left.
for r in "${ROUTERS[@]}"; do
	lw down "$r" >"$WORK/down-$r.out" 2>&1 || bad "down $r: $(tail -2 "$WORK/down-$r.out")"
	left=""
	in_r "$r" nft list table inet lanwire >/dev/null 2>&1 && left="$left nft table;"
	in_r "$r" ip -o link 2>/dev/null | grep -qE ": ${IFP}[0-9]+[:@]" && left="$left links;"
	[ -z "$left" ] && ok "down $r removed its nft table and links" ||
		bad "down $r left:$left"
done
if grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' \
	"$WORK"/*.out "$WORK"/*.err 2>/dev/null; then
	bad "sanitizer reports in the outputs above"
else
	ok "no sanitizer reports in $(ls "$WORK"/*.out "$WORK"/*.err | wc -l) outputs"
fi
echo "run time $(( $(date +%s) - start )) s"
echo "overlay-asym: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
