# SPDX-License-Identifier: MIT
# Shared by tests/overlay/up.sh, wggo.sh and manual.sh (source it;
# also bench/overlay-scale.sh with its own description in OV_DESC and
# ROUTERS/WAN of its own): examples/ha.conf
# (hubs z1 and z2, sites LAN1 and LAN2, a laptop on z1) with the keys of
# tests/planner/keys/overlay-ha, its routers in namespaces $P-* on an
# "internet" bridge (203.0.113.0/24), each router in a private mount
# namespace (both ends of a link have the same interface name, and
# /var/run/wireguard is shared machine-wide otherwise), brought up and
# down with `lanwire up/down NODE`. The sourcing script sets ROOT,
# it calls ov_init "$@" first (LANWIRE, LANWIRED, P the namespace prefix,
# I the interface prefix, WORK), counts with ok/bad and calls ov_cleanup
# from its EXIT trap. OV_PREFIX (default lwha) names the namespaces and
# interfaces, for runs beside another's.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUTERS=(z1 z2 a c)
declare -A HOLDER=() WAN=([z1]=1 [z2]=2 [a]=3 [c]=4)
passed=0 failed=0

# Arguments [LANWIRE [LANWIRED]] (default build/lanwire, build/lanwired).
ov_init() {
	LANWIRE=$(realpath "${1:-$ROOT/build/lanwire}")
	LANWIRED=$(realpath "${2:-$ROOT/build/lanwired}")
	TAG=$(printf '%x' $$ | tail -c 4)
	P=${OV_PREFIX:-lwha}-$TAG
	I=${OV_PREFIX:-lwha}$TAG
	WORK=$(mktemp -d)
}

ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

in_r() { local r=$1; shift; nsenter -t "${HOLDER[$r]}" -n -m "$@"; }
in_ns() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }

# lanwire up/down NODE in its router's namespaces, extra PATH first; the
# description OV_DESC (default $WORK/ha.conf).
lw() {
	local verb=$1 r=$2
	in_r "$r" env PATH="${XPATH:-}$PATH" "$LANWIRE" -f "${OV_DESC:-$WORK/ha.conf}" \
		-k "$WORK/keys" "$verb" --daemon "$LANWIRED" \
		--run-dir "$WORK/run-$r" "$r"
}

# The holders stopped, every namespace deleted.
ov_del_ns() {
	local r
	for r in "${!HOLDER[@]}"; do kill "${HOLDER[$r]}" 2>/dev/null; done
	wait 2>/dev/null
	for r in wan "${ROUTERS[@]}" h1 h2; do
		ip netns del "$P-$r" 2>/dev/null
	done
}

ov_cleanup() {
	local r
	for r in "${ROUTERS[@]}"; do
		[ -n "${HOLDER[$r]:-}" ] && lw down "$r" >/dev/null 2>&1
	done
	ov_del_ns
	[ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}

ov_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "no $t"; exit 1; }
	done
}

setup_desc() {
	cp -r "$ROOT/tests/planner/keys/overlay-ha" "$WORK/keys"
	chmod 700 "$WORK/keys" && chmod 600 "$WORK/keys"/*
	sed -e "s/^link-pool = .*/&\nlink-interface = $I/" \
		-e "s/^\[hub z\([12]\)\]$/&\ninterface = ${I}k\1/" \
		"$ROOT/examples/ha.conf" >"$WORK/ha.conf"
}

make_wan() {
	local r
	ip netns add "$P-wan"
	in_ns wan ip link add "${I}br" type bridge
	in_ns wan ip link set "${I}br" up
	for r in "${ROUTERS[@]}"; do
		ip netns add "$P-$r"
		ip link add "$I$r" type veth peer name "$I${r}w"
		ip link set "$I$r" netns "$P-$r"
		ip link set "$I${r}w" netns "$P-wan"
		in_ns wan ip link set "$I${r}w" master "${I}br" up
		in_ns "$r" ip addr add "203.0.113.${WAN[$r]}/24" dev "$I$r"
		in_ns "$r" ip link set "$I$r" up
		in_ns "$r" ip link set lo up
	done
}

make_host() {
	local h=$1 gw=$2 addr=$3 gwaddr=$4
	ip netns add "$P-$h"
	ip link add "$I$h" type veth peer name "$I${h}g"
	ip link set "$I$h" netns "$P-$h"
	ip link set "$I${h}g" netns "$P-$gw"
	in_ns "$h" ip addr add "$addr/24" dev "$I$h"
	in_ns "$h" ip link set "$I$h" up
	in_ns "$h" ip link set lo up
	in_ns "$h" ip route add default via "$gwaddr"
	in_ns "$gw" ip addr add "$gwaddr/24" dev "$I${h}g"
	in_ns "$gw" ip link set "$I${h}g" up
}

make_holder() {
	local r=$1
	ip netns exec "$P-$r" unshare -m --propagation private \
		sh -c 'mount -t tmpfs lwha /var/run/wireguard && exec sleep 100000' &
	HOLDER[$r]=$!
	for _ in $(seq 30); do
		in_r "$r" true 2>/dev/null && break
		sleep 0.1
	done
}

all_up() {
	local r
	for r in "${ROUTERS[@]}"; do
		if lw up "$r" >"$WORK/up-$r.out" 2>"$WORK/up-$r.err"; then
			ok "up $r ($(wc -l <"$WORK/up-$r.out") changes)"
		else
			bad "up $r: $(tail -3 "$WORK/up-$r.err")"
		fi
	done
}

# Processes and RSS (kB) in router $1's namespace, holder excluded, in
# all and per program.
resources() {
	local r=$1 p
	for p in $(ip netns pids "$P-$r" | grep -vx "${HOLDER[$r]}"); do
		echo "$(cat "/proc/$p/comm" 2>/dev/null) $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)"
	done | awk -v r="$r" '{ n[$1]++; kb[$1] += $2; all += $2; cnt++ }
		END { printf "%s: %d processes, RSS %d kB:", r, cnt, all
		      for (c in n) printf " %s x%d %d kB;", c, n[c], kb[c]
		      printf "\n" }'
}

# The whole network: namespaces, a host on each LAN (h1 on LAN1, h2 on
# LAN2), and a holder per router.
ov_build() {
	local r
	setup_desc
	make_wan
	for r in "${ROUTERS[@]}"; do make_holder "$r"; done
	make_host h1 a 192.168.201.10 192.168.201.247
	make_host h2 c 192.168.200.10 192.168.200.248
}

# Waits up to $1 seconds for h1 to reach h2; its exit status.
ov_wait_ping() {
	local i
	for i in $(seq $(($1 * 5))); do
		in_ns h1 ping -c1 -W1 192.168.200.10 >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# lanwired processes in router $1's namespace (each keeps a privileged
# helper, lanwired-root, when it drops privileges: not counted).
daemons() {
	for p in $(ip netns pids "$P-$1"); do cat "/proc/$p/comm"; done 2>/dev/null |
		grep -cx lanwired
}

# The longest time between two answered pings in ping -D's output $1, in
# ms (ICMP errors are not answers).
gap_ms() {
	awk '/bytes from/ { t = substr($1, 2, length($1) - 2) + 0;
		if (have && t - last > gap) gap = t - last;
		last = t; have = 1 }
		END { printf "%d\n", gap * 1000 }' "$1"
}
