# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # constants and state used by the scripts
#
# tests/e2e/lib.sh -- shared helpers for the end-to-end suite: sourced, never run.
#
# Every scenario script does
#
#	. "$(dirname "$0")/lib.sh"
#	e2e_init "$@"		# DAEMON_A DAEMON_B from argv, else from env
#
# and then builds its own topology out of network namespaces joined by veth
# pairs, starts one userspace WireGuard daemon per namespace, drives it only
# with the real ip / wg / wg-quick, and asserts with check/check_eq/... which
# print "PASS [script] what" or "FAIL [script] what: why".  On exit (normal,
# failure or signal) the EXIT trap kills every process the script started (by
# PID), deletes its namespaces, removes the UAPI sockets of its interfaces and
# its temp dir, then prints the closing line
#
#	e2e: N passed, N failed
#
# and exits non-zero if anything failed.
#
# Names: tag = base36 of the script's PID (+ a random letter on collision);
# namespaces "lwt-<tag>-<role>", WireGuard interfaces "lw<tag><role>" (at most
# 9 characters), veths "lv<tag><x><y>".  /var/run/wireguard is shared by all
# namespaces, so the tag keeps concurrent runs apart.
#
# Daemons are started in the namespace whose TUN they own:
#	ip netns exec NS env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose DAEMON -f IFACE &
# (E2E_DAEMON_FLAGS overrides "-f").  Their logs go to $E2E_TMP/IFACE.log and
# the tail of each is printed when something failed.
#
# Every command that talks to a daemon or the network runs under timeout(1):
# a hung daemon makes a test fail, never hang.  A watchdog ends the whole
# script after E2E_DEADLINE seconds (default 240).

umask 077
exec 3>&1			# fd 3: the human-readable log, even inside $(...)

E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
E2E_PASS=0
E2E_FAIL=0
E2E_TMP=
E2E_TAG=
E2E_NS=()			# namespaces we created (full names)
E2E_IFACES=()			# WireGuard interfaces we asked for
E2E_BG=()			# every background PID we started
E2E_WATCHDOG=
E2E_DONE=0
declare -A E2E_DPID=()		# iface -> daemon PID
declare -A E2E_DSTATUS=()	# iface -> exit status, once reaped
: "${E2E_CMD_TIMEOUT:=30}"
: "${E2E_DEADLINE:=240}"
: "${E2E_DAEMON_FLAGS:=-f}"

# Address plan shared by the scripts (all inside our own namespaces).
OUT4_A=192.168.241.1
OUT4_B=192.168.241.2
OUT6_A=fd00::1
OUT6_B=fd00::2
IN4_A=192.168.4.1
IN4_B=192.168.4.2
IN4_C=192.168.4.3
IN6_A=fd42::1
IN6_B=fd42::2
IN6_C=fd42::3
PORT_A=51820
PORT_B=51821
PORT_C=51822

# ---------------------------------------------------------------- output

say() { printf '%s\n' "$*" >&3; }
info() { say "INFO  [$E2E_NAME] $*"; }
section() { say ""; say "=== [$E2E_NAME] $*"; }

pass()
{
	E2E_PASS=$((E2E_PASS + 1))
	say "PASS  [$E2E_NAME] $1"
}

# fail WHAT [WHY]
fail()
{
	E2E_FAIL=$((E2E_FAIL + 1))
	say "FAIL  [$E2E_NAME] $1${2:+: $2}"
}

# check WHAT CMD...: passes when CMD exits 0.
check()
{
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what" "command failed: $*"; fi
}

# check_not WHAT CMD...: passes when CMD exits non-zero.
check_not()
{
	local what=$1
	shift
	if "$@"; then fail "$what" "command unexpectedly succeeded: $*"; else pass "$what"; fi
}

# check_eq WHAT EXPECTED ACTUAL
check_eq()
{
	if [[ "$2" == "$3" ]]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

# check_match WHAT REGEX ACTUAL
check_match()
{
	if [[ "$3" =~ $2 ]]; then
		pass "$1"
	else
		fail "$1" "'$3' does not match /$2/"
	fi
}

# ---------------------------------------------------------------- setup

e2e_die()
{
	fail "setup" "$*"
	exit 1
}

e2e_resolve_daemon()
{
	local d=$1 p
	[[ -n $d ]] || return 1
	p=$(command -v -- "$d") || return 1
	[[ $p == /* ]] || p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
	[[ -x $p ]] || return 1
	printf '%s' "$p"
}

e2e_tag_is_free()
{
	local t=$1
	! ip netns list 2>/dev/null | grep -q "^lwt-$t-" &&
		! compgen -G "/var/run/wireguard/lw$t*" >/dev/null
}

e2e_pick_tag()
{
	local t
	t=$(base36 $$)
	while ((${#t} < 5)); do t=0$t; done
	t=${t: -5}
	while ! e2e_tag_is_free "$t"; do
		t=${t:0:4}$(base36 $((RANDOM % 36)))
	done
	E2E_TAG=$t
}

# e2e_init [DAEMON_A [DAEMON_B]]
e2e_init()
{
	local tool
	DAEMON_A=${1:-${DAEMON_A:-}}
	DAEMON_B=${2:-${DAEMON_B:-$DAEMON_A}}
	trap e2e_exit EXIT
	trap 'e2e_signal INT' INT
	trap 'e2e_signal TERM' TERM
	trap 'e2e_signal HUP' HUP
	if [[ -z $DAEMON_A ]]; then
		say "usage: bash $0 DAEMON_A [DAEMON_B]   (or DAEMON_A=... DAEMON_B=... in the environment)"
		e2e_die "no daemon given"
	fi
	DAEMON_A=$(e2e_resolve_daemon "$DAEMON_A") || e2e_die "daemon A '${1:-$DAEMON_A}' is not an executable"
	DAEMON_B=$(e2e_resolve_daemon "$DAEMON_B") || e2e_die "daemon B '${2:-$DAEMON_B}' is not an executable"
	((EUID == 0)) || e2e_die "must run as root (network namespaces)"
	for tool in ip wg ping nft tcpdump nc timeout ps; do
		command -v "$tool" >/dev/null || e2e_die "missing tool: $tool"
	done
	nc -h 2>&1 | grep -q -- '-N' || e2e_die "nc is not netcat-openbsd (no -N)"
	[[ -c /dev/net/tun ]] || e2e_die "no /dev/net/tun"
	mkdir -p /var/run/wireguard
	E2E_TMP=$(mktemp -d /tmp/lwt-e2e.XXXXXX) || e2e_die "mktemp failed"
	e2e_pick_tag
	e2e_watchdog_start
	say "[$E2E_NAME] daemon A: $DAEMON_A"
	say "[$E2E_NAME] daemon B: $DAEMON_B"
	say "[$E2E_NAME] tag $E2E_TAG, tmp $E2E_TMP, deadline ${E2E_DEADLINE}s"
}

e2e_watchdog_start()
{
	local me=$$ limit=$E2E_DEADLINE
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$limit" &
		sp=$!
		wait "$sp"
		echo "FAIL  [$E2E_NAME] watchdog: still running after ${limit}s, aborting" >&2
		kill -TERM "$me" 2>/dev/null
	) 3>&- </dev/null &
	E2E_WATCHDOG=$!
}

e2e_signal()
{
	fail "interrupted" "received SIG$1"
	exit 130
}

# ---------------------------------------------------------------- processes

. "$(dirname "${BASH_SOURCE[0]}")/../proc.sh"	# pid_alive, kill_pid, wait_until, base36

# ---------------------------------------------------------------- namespaces

ns_name() { printf 'lwt-%s-%s' "$E2E_TAG" "${1,,}"; }
ifname() { printf 'lw%s%s' "$E2E_TAG" "${1,,}"; }
veth_name() { printf 'lv%s%s%s' "$E2E_TAG" "${1,,}" "${2,,}"; }

# pp CMD...: run a command in the root namespace, printing it first.
pp()
{
	say "[+] $*"
	timeout -k 2 "$E2E_CMD_TIMEOUT" "$@"
}

# n ROLE CMD...: run CMD in the namespace of ROLE, printed as "[+] ROLE: CMD".
# E2E_CMD_TIMEOUT bounds it (override per call: T=90 n A ...).
n()
{
	local role=$1
	shift
	say "[+] $role: $*"
	ip netns exec "$(ns_name "$role")" timeout -k 2 "${T:-$E2E_CMD_TIMEOUT}" "$@"
}

# nq ROLE CMD...: as n, not printed (polling, parsing).
nq()
{
	local role=$1
	shift
	ip netns exec "$(ns_name "$role")" timeout -k 2 "${T:-$E2E_CMD_TIMEOUT}" "$@"
}

# ns_add ROLE...: create namespaces with loopback up.
ns_add()
{
	local role ns
	for role; do
		ns=$(ns_name "$role")
		pp ip netns add "$ns" || e2e_die "cannot create namespace $ns"
		E2E_NS+=("$ns")
		nq "$role" ip link set lo up
	done
}

# link_veth X Y: veth pair between namespaces X and Y, both ends up.
# The ends are "$(veth_name X Y)" in X and "$(veth_name Y X)" in Y.
link_veth()
{
	local x=$1 y=$2
	pp ip link add "$(veth_name "$x" "$y")" netns "$(ns_name "$x")" type veth \
		peer name "$(veth_name "$y" "$x")" netns "$(ns_name "$y")" ||
		e2e_die "cannot create veth $x<->$y"
	n "$x" ip link set "$(veth_name "$x" "$y")" up
	n "$y" ip link set "$(veth_name "$y" "$x")" up
}

# addr ROLE DEV ADDR/LEN...: add addresses (IPv6 without DAD).
addr()
{
	local role=$1 dev=$2 a
	shift 2
	for a; do
		if [[ $a == *:* ]]; then
			n "$role" ip -6 addr add "$a" dev "$dev" nodad
		else
			n "$role" ip addr add "$a" dev "$dev"
		fi
	done
}

# link_exists ROLE DEV
link_exists() { nq "$1" ip link show dev "$2" >/dev/null 2>&1; }

# bg ROLE LOG CMD...: start CMD in ROLE's namespace in the background, stdout
# and stderr to LOG; its PID goes to BG_PID and is ended at exit.
bg()
{
	local role=$1 log=$2
	shift 2
	say "[+] $role: $* &"
	ip netns exec "$(ns_name "$role")" "$@" >"$log" 2>&1 3>&- </dev/null &
	BG_PID=$!
	E2E_BG+=("$BG_PID")
}

# ---------------------------------------------------------------- daemons

sock_path() { printf '/var/run/wireguard/%s.sock' "$1"; }

# daemon_start ROLE DAEMON IFACE: start it in ROLE's namespace, wait (10 s) for
# its UAPI socket and its interface.  Fails the test if they do not appear.
daemon_start()
{
	local role=$1 d=$2 ifc=$3 log=$E2E_TMP/$3.log pid
	E2E_IFACES+=("$ifc")
	say "[+] $role: WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose $d $E2E_DAEMON_FLAGS $ifc &"
	# shellcheck disable=SC2086
	ip netns exec "$(ns_name "$role")" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose \
		"$d" $E2E_DAEMON_FLAGS "$ifc" >>"$log" 2>&1 3>&- </dev/null &
	pid=$!
	E2E_DPID[$ifc]=$pid
	E2E_BG+=("$pid")
	if ! wait_until 10 daemon_ready "$role" "$ifc"; then
		fail "start $ifc in $role" "no UAPI socket $(sock_path "$ifc") or no interface after 10 s$(pid_alive "$pid" || echo ' (daemon exited)')"
		return 1
	fi
	return 0
}

daemon_ready()
{
	pid_alive "${E2E_DPID[$2]}" && [[ -S $(sock_path "$2") ]] &&
		nq "$1" ip link show dev "$2" >/dev/null 2>&1
}

daemon_pid() { printf '%s' "${E2E_DPID[$1]}"; }

# is_lanwired DAEMON: asks --version (wireguard-go would take --help for an
# interface name).
is_lanwired() { timeout 5 "$1" --version 2>&1 | grep -q '^lanwired'; }

daemon_alive() { pid_alive "${E2E_DPID[$1]}"; }

# daemon_wait_exit IFACE SECONDS: 0 when the daemon has exited (reaped);
# its exit status is then in E2E_DSTATUS[IFACE] (see daemon_exited_cleanly).
daemon_wait_exit()
{
	local pid=${E2E_DPID[$1]}
	wait_until "$2" eval '! pid_alive '"$pid" || return 1
	wait "$pid" 2>/dev/null
	E2E_DSTATUS[$1]=$?
	return 0
}

# daemon_exited_cleanly IFACE: it exited with status 0 (wireguard-go does on
# SIGTERM and on ip link del; a sanitizer abort or a crash does not).
daemon_exited_cleanly()
{
	[[ ${E2E_DSTATUS[$1]:-unknown} == 0 ]] ||
		{ say "      $1 exit status: ${E2E_DSTATUS[$1]:-unknown}"; return 1; }
}

# daemon_stop IFACE: SIGTERM, wait 5 s.  Returns 1 if it did not exit.
daemon_stop()
{
	local pid=${E2E_DPID[$1]}
	say "[+] kill -TERM $pid   # daemon of $1"
	kill -TERM "$pid" 2>/dev/null
	daemon_wait_exit "$1" 5
}

# ---------------------------------------------------------------- keys / wg

# genkey NAME: $E2E_TMP/NAME.key and NAME.pub; sets nothing, see pub().
genkey()
{
	wg genkey >"$E2E_TMP/$1.key" && wg pubkey <"$E2E_TMP/$1.key" >"$E2E_TMP/$1.pub"
}
key() { printf '%s' "$E2E_TMP/$1.key"; }
pub() { cat "$E2E_TMP/$1.pub"; }

# wgq ARGS...: wg from the root namespace (the UAPI socket dir is shared),
# bounded, not printed.  Used for parsing.
wgq() { timeout -k 2 10 wg "$@"; }

# peer_line IFACE PUB: this peer's line of `wg show IFACE dump`.
peer_line() { wgq show "$1" dump | awk -F'\t' -v k="$2" 'NR > 1 && $1 == k'; }

# peer_field IFACE PUB FIELD, FIELD one of endpoint allowed-ips handshake rx tx keepalive
peer_field()
{
	local col
	case $3 in
	endpoint) col=3 ;;
	allowed-ips) col=4 ;;
	handshake) col=5 ;;
	rx) col=6 ;;
	tx) col=7 ;;
	keepalive) col=8 ;;
	*) return 1 ;;
	esac
	peer_line "$1" "$2" | cut -f$col
}

# handshake_done IFACE PUB: latest handshake is non-zero.
handshake_done()
{
	local h
	h=$(peer_field "$1" "$2" handshake)
	[[ -n $h && $h != 0 ]]
}

# ping_ok ROLE DST [ping args...]: 3 echo requests within 5 s must all answer.
ping_ok()
{
	local role=$1 dst=$2
	shift 2
	n "$role" ping -q -n -c 3 -i 0.2 -W 2 -w 6 "$@" "$dst" >/dev/null 2>&1
}

# ping_fails ROLE DST [ping args...]: 2 echo requests within 2 s get no answer.
ping_fails()
{
	local role=$1 dst=$2 out
	shift 2
	out=$(n "$role" ping -q -n -c 2 -i 0.2 -W 1 -w 2 "$@" "$dst" 2>&1)
	[[ $out == *" 0 received"* || $out == *" 0 packets received"* ]]
}

# ---------------------------------------------------------------- pair

# pair_topology: namespaces A and B, one veth between them, outer addresses
# $OUT4_A/$OUT4_B (/24) and $OUT6_A/$OUT6_B (/64).  Sets VETH_A, VETH_B.
pair_topology()
{
	ns_add A B
	link_veth A B
	VETH_A=$(veth_name A B)
	VETH_B=$(veth_name B A)
	addr A "$VETH_A" "$OUT4_A/24" "$OUT6_A/64"
	addr B "$VETH_B" "$OUT4_B/24" "$OUT6_B/64"
}

# pair_keys: keys a and b; sets IFA, IFB (interface names) and PA, PB
# (public keys).
pair_keys()
{
	genkey a
	genkey b
	IFA=$(ifname a)
	IFB=$(ifname b)
	PA=$(pub a)
	PB=$(pub b)
}

# trio_keys: pair_keys, and the same for a third peer c (IFC, PC).
trio_keys()
{
	pair_keys
	genkey c
	IFC=$(ifname c)
	PC=$(pub c)
}

# line_topology: namespaces A, R and B, a veth A-R and a veth R-B, no
# addresses.  Sets VAR, VRA (A-R) and VRB, VBR (R-B).
line_topology()
{
	ns_add A R B
	link_veth A R
	link_veth R B
	VAR=$(veth_name A R)
	VRA=$(veth_name R A)
	VRB=$(veth_name R B)
	VBR=$(veth_name B R)
}

# pair_daemons: pair_topology, keys a and b, and DAEMON_A / DAEMON_B started
# in A and B.  Sets IFA, IFB (interface names) and PA, PB (public keys).
pair_daemons()
{
	pair_topology
	pair_keys
	daemon_start A "$DAEMON_A" "$IFA" || exit 1
	daemon_start B "$DAEMON_B" "$IFB" || exit 1
}

# wg_addr_up ROLE IFACE ADDR...: inner addresses, link up.
wg_addr_up()
{
	local role=$1 ifc=$2
	shift 2
	addr "$role" "$ifc" "$@"
	n "$role" ip link set "$ifc" up
}

# ---------------------------------------------------------------- exit

e2e_cleanup()
{
	local pid ns ifc p left
	[[ -n $E2E_WATCHDOG ]] && { kill -TERM "$E2E_WATCHDOG" 2>/dev/null; wait "$E2E_WATCHDOG" 2>/dev/null; }
	for pid in "${E2E_BG[@]}"; do
		kill_pid "$pid"
	done
	# Anything still inside our namespaces was started by us (e.g. a daemon
	# that wg-quick forked): end it by PID before deleting the namespace.
	for ns in "${E2E_NS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill_pid "$p"
		done
	done
	for ns in "${E2E_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for ifc in "${E2E_IFACES[@]}"; do
		rm -f "$(sock_path "$ifc")"
	done
	left=$(ip netns list 2>/dev/null | grep -c "^lwt-$E2E_TAG-")
	if [[ -n $E2E_TAG && $left != 0 ]]; then
		fail "cleanup" "$left namespaces lwt-$E2E_TAG-* left behind"
	fi
}

# e2e_sanitizer_reports: every daemon log (and wg-quick log, which the
# daemons it starts write to) is searched for ASan / LSan / UBSan reports;
# each log with one is a failure, its report lines shown.
e2e_sanitizer_reports()
{
	local f
	for f in "$E2E_TMP"/*.log; do
		[[ -f $f ]] || continue
		if grep -a -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer' "$f"; then
			fail "sanitizer report in $(basename "$f")" "see below"
			grep -a -E -A12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f" | head -n 60 >&3
		fi
	done
}

e2e_show_logs()
{
	local f
	for f in "$E2E_TMP"/*.log; do
		[[ -f $f ]] || continue
		say "----- last 25 lines of $(basename "$f")"
		tail -n 25 "$f" >&3
	done
}

e2e_exit()
{
	local rc=$?
	((E2E_DONE)) && return
	E2E_DONE=1
	trap - INT TERM HUP
	set +e
	e2e_cleanup
	[[ -n $E2E_TMP ]] && e2e_sanitizer_reports
	if ((E2E_FAIL > 0)) && [[ -n $E2E_TMP ]]; then
		e2e_show_logs
	fi
	[[ -n $E2E_TMP && $E2E_TMP == /tmp/lwt-e2e.* ]] && rm -rf "$E2E_TMP"
	if ((E2E_FAIL == 0 && E2E_PASS == 0)); then
		fail "summary" "no assertion ran (script exited $rc)"
	fi
	say "e2e: $E2E_PASS passed, $E2E_FAIL failed"
	((E2E_FAIL == 0)) && exit 0
	exit 1
}
