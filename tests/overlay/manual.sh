# SPDX-License-Identifier: MIT
# For the overlay tests that start the routers by hand rather than through
# `lanwire up` (smoke.sh): a rendered overlay's routers in
# namespaces $P-NAME, one lanwired per link and BIRD per router, started
# from the rendered files. The namespaces, hosts, holders and counters are
# lib.sh's (sourced here first); the caller sources this file, calls
# ov_manual_init PREFIX "$@", then sets ROUTERS and WAN (router -> N of
# 203.0.113.N). NFT=1 makes start_router load the rendered wg0.nft too.

# shellcheck source=tests/overlay/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ov_manual_init PREFIX [LANWIRE [LANWIRED]] (default build/lanwire,
# build/lanwired): LANWIRE, LANWIRED, TAG, namespace prefix P=PREFIX-TAG,
# interface prefix IFP=PREFIX (also the rendered link-interface) and
# lib.sh's I=PREFIXTAG, WORK, and no daemons yet (PIDS).
ov_manual_init() {
	LANWIRE=$(realpath "${2:-$ROOT/build/lanwire}")
	LANWIRED=$(realpath "${3:-$ROOT/build/lanwired}")
	TAG=$(printf '%x' $$ | tail -c 4)
	P=$1-$TAG
	IFP=$1
	I=$IFP$TAG
	WORK=$(mktemp -d)
	declare -gA PIDS=()
}

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

# Stops the daemons and holders, deletes the namespaces $P-wan, $P-ROUTER
# and $P-NAME for every further argument.
ov_stop_all() {
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

# Router $1: unreachable routes, (NFT=1) its nft policy, one lanwired
# per link, BIRD.
start_router() {
	local r=$1 dir=$WORK/out/$1 f ifc addr
	mkdir -p /run/bird
	in_r "$r" sysctl -q -w net.ipv4.ip_forward=1
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
