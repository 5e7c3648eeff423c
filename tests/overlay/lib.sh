# SPDX-License-Identifier: MIT
# Shared by the overlay tests (smoke.sh, asymmetric.sh): routers of a
# rendered overlay in namespaces $P-NAME, each with a private mount
# namespace (/var/run/wireguard: both ends of a link have the same
# interface name), a bridge for the internet, hosts on the site LANs,
# one lanwired per link and BIRD per router.
#
# The caller sets P (namespace prefix), IFP (interface prefix, also the
# rendered link-interface), TAG, WORK, LANWIRED, ROUTERS, WAN (router ->
# N of 203.0.113.N) and declares HOLDER and PIDS (associative arrays).
# NFT=1 makes start_router load the rendered wg0.nft too.

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# Renders description $1 with the keys tests/planner/keys/$2 into
# $WORK/out, links named $IFP + number (inserted after the key $3).
ov_render() {
	local conf=$1 keys=$2 after=$3
	cp -r "$ROOT/tests/planner/keys/$keys" "$WORK/keys"
	chmod 700 "$WORK/keys" && chmod 600 "$WORK/keys"/*
	sed "s/^$after = .*/&\nlink-interface = $IFP/" "$conf" >"$WORK/net.conf"
	"$LANWIRE" -f "$WORK/net.conf" -k "$WORK/keys" render --all \
		-o "$WORK/out" >/dev/null 2>&1
}

# Runs a command in router $1's network and mount namespaces.
in_r() { local r=$1; shift; nsenter -t "${HOLDER[$r]}" -n -m "$@"; }
in_ns() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }

# Stops the daemons and holders, deletes the namespaces $P-wan, $P-ROUTER
# and $P-NAME for every further argument.
ov_cleanup() {
	local r p
	for r in "${!PIDS[@]}"; do
		for p in ${PIDS[$r]}; do kill "$p" 2>/dev/null; done
	done
	for r in "${!HOLDER[@]}"; do kill "${HOLDER[$r]}" 2>/dev/null; done
	wait 2>/dev/null
	for r in wan "${ROUTERS[@]}" "$@"; do
		ip netns del "$P-$r" 2>/dev/null
	done
}

# The internet: a bridge in $P-wan, every router at 203.0.113.N/24.
make_wan() {
	local r
	ip netns add "$P-wan"
	in_ns wan ip link add "$IFP${TAG}br" type bridge
	in_ns wan ip link set "$IFP${TAG}br" up
	for r in "${ROUTERS[@]}"; do
		ip netns add "$P-$r"
		ip link add "$IFP$TAG$r" type veth peer name "$IFP$TAG${r}w"
		ip link set "$IFP$TAG$r" netns "$P-$r"
		ip link set "$IFP$TAG${r}w" netns "$P-wan"
		in_ns wan ip link set "$IFP$TAG${r}w" master "$IFP${TAG}br" up
		in_ns "$r" ip addr add "203.0.113.${WAN[$r]}/24" dev "$IFP$TAG$r"
		in_ns "$r" ip link set "$IFP$TAG$r" up
		in_ns "$r" ip link set lo up
		in_ns "$r" sysctl -q -w net.ipv4.ip_forward=1
	done
}

# A host on site gateway $2's LAN: namespace $P-$1, address $3, the
# gateway's LAN address $4, a /24.
make_host() {
	local h=$1 gw=$2 addr=$3 gwaddr=$4
	ip netns add "$P-$h"
	ip link add "$IFP$TAG$h" type veth peer name "$IFP$TAG${h}g"
	ip link set "$IFP$TAG$h" netns "$P-$h"
	ip link set "$IFP$TAG${h}g" netns "$P-$gw"
	in_ns "$h" ip addr add "$addr/24" dev "$IFP$TAG$h"
	in_ns "$h" ip link set "$IFP$TAG$h" up
	in_ns "$h" ip link set lo up
	in_ns "$h" ip route add default via "$gwaddr"
	in_ns "$gw" ip addr add "$gwaddr/24" dev "$IFP$TAG${h}g"
	in_ns "$gw" ip link set "$IFP$TAG${h}g" up
}

# A process holding router $1's mount namespace, with a private
# /var/run/wireguard.
make_holder() {
	local r=$1
	ip netns exec "$P-$r" unshare -m --propagation private \
		sh -c "mount -t tmpfs $IFP /var/run/wireguard &&
			mkdir -p /run/bird && exec sleep 100000" &
	HOLDER[$r]=$!
	sleep 0.3
}

# Router $1: unreachable routes, (NFT=1) its nft policy, one lanwired
# per link, BIRD.
start_router() {
	local r=$1 dir=$WORK/out/$1 f ifc addr
	grep '^ip route' "$dir/overlay-routes.txt" | while read -r line; do
		# shellcheck disable=SC2086 # the rendered line is a command
		in_r "$r" $line
	done
	if [ "${NFT:-0}" = 1 ]; then
		in_r "$r" nft -f "$dir/wg0.nft" || bad "$r: nft -f wg0.nft"
	fi
	for f in "$dir/$IFP"*.conf; do
		ifc=$(basename "$f" .conf)
		# nsenter forks: the daemon's PID comes from inside.
		in_r "$r" sh -c 'echo $$ >"$1"; exec env WG_PROCESS_FOREGROUND=1 "$2" -f "$3"' \
			sh "$WORK/$r-$ifc.pid" "$LANWIRED" "$ifc" \
			>"$WORK/$r-$ifc.log" 2>&1 &
		for _ in $(seq 50); do
			[ -s "$WORK/$r-$ifc.pid" ] && break
			sleep 0.1
		done
		PIDS[$r]="${PIDS[$r]:-} $(cat "$WORK/$r-$ifc.pid")"
		for _ in $(seq 50); do
			in_r "$r" test -S "/var/run/wireguard/$ifc.sock" && break
			sleep 0.1
		done
		wg-quick strip "$f" >"$WORK/$r-$ifc.wg" 2>/dev/null
		in_r "$r" wg setconf "$ifc" "$WORK/$r-$ifc.wg" ||
			bad "$r: wg setconf $ifc"
		addr=$(sed -n 's/^Address = //p' "$f")
		in_r "$r" ip addr add "$addr" dev "$ifc"
		in_r "$r" ip link set "$ifc" mtu 1420 up
	done
	# In the foreground, so that this script reaps it.
	in_r "$r" sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$WORK/$r.pid" \
		bird -f -c "$dir/bird.conf" -s "$WORK/$r.ctl" \
		-P "$WORK/$r.bird.pid" >"$WORK/$r.bird.log" 2>&1 &
	for _ in $(seq 20); do [ -s "$WORK/$r.pid" ] && break; sleep 0.1; done
	[ -s "$WORK/$r.pid" ] || bad "$r: bird did not start"
	PIDS[$r]="${PIDS[$r]:-} $(cat "$WORK/$r.pid" 2>/dev/null)"
}

# Stops every daemon, then reads their logs for sanitizer reports.
stop_and_check_logs() {
	local r p
	for r in "${!PIDS[@]}"; do
		for p in ${PIDS[$r]}; do kill "$p" 2>/dev/null; done
	done
	PIDS=()
	sleep 1
	if grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' \
		"$WORK"/*.log 2>/dev/null; then
		bad "sanitizer reports in the logs above"
	else
		ok "no sanitizer reports in $(ls "$WORK"/*.log | wc -l) daemon logs"
	fi
}
