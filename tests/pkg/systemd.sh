#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire@.service under a real systemd (tests/pkg/run.sh step 8). PID 1
# of the test machines is not systemd, so this starts one: systemd as PID
# 1 of new PID, mount, network, UTS, IPC and cgroup namespaces (its own
# cgroup subtree lwpk-sd-TAG), booted to an empty target. Inside, the
# installed lanwire@.service runs hub z of a description put in
# /etc/lanwire by an overlay that only this namespace sees:
#   systemctl start lanwire@z     active, interface up, lanwired as
#                                 nobody and its root helper (the pids the
#                                 state file records), both in the unit's
#                                 cgroup with no_new_privs, seccomp and a
#                                 read-only /usr and /etc; the daemon with
#                                 no capability, the helper within the
#                                 unit's bounding set
#   systemctl reload lanwire@z    up again: "z: nothing to change", the
#                                 same two processes, sessions kept
#   systemctl stop lanwire@z      interface, daemon and helper gone
#   wg-quick@IF with the package's example drop-in: wg-quick runs
#   /usr/sbin/lanwired (this kernel has no WireGuard module) as client w
#   of the description, which handshakes with hub z over loopback (z's
#   lanwired inside lanwire@z's seccomp filter and sandbox); stop ends it
# Guard rails, because the file systems are the host's: /run, /tmp,
# /var/tmp and /var/log are fresh tmpfs in the namespace, and a drop-in
# (in the overlay) sets DefaultDependencies=no on lanwire@ so starting it
# does not pull sysinit.target (whose units would apply sysctls, clean
# /tmp or trigger udev on the host); the test checks that lanwire@z is
# the only service that ran. The same drop-in sends lanwire@'s standard
# output to /run/lwpk-z.out and its standard error to /run/lwpk-z.err
# (no journald here). Everything else of the
# unit is as installed.
#
# usage: tests/pkg/systemd.sh TAG SCRATCHDIR (as root, lanwire
# installed). Prints PASS/FAIL lines and "systemd: N passed, N failed".
set -u
. "$(dirname "$0")/procs.sh"
TAG=$1 tmp=$2/sd
IF=lwpk${TAG}h WIF=lwpk${TAG}w
CG=lwpk-sd-$TAG
pass=0 fail=0 launcher= sdpid=
ok() { pass=$((pass + 1)); echo "PASS systemd: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL systemd: $*"; }
t() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
finish() { echo "systemd: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }
# in CMD...: runs CMD in the namespaces of the test's systemd.
in_ns() { nsenter -t "$sdpid" -m -p -n -u -i "$@"; }
sc() { timeout 60 nsenter -t "$sdpid" -m -p -n -u -i systemctl --no-pager "$@"; }

cleanup() {
	local d i
	if [ -n "$sdpid" ] && kill -0 "$sdpid" 2>/dev/null; then
		kill -s SIGRTMIN+4 "$sdpid" 2>/dev/null # poweroff: stops units
		for i in $(seq 100); do kill -0 "$sdpid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$sdpid" 2>/dev/null && kill -s SIGRTMIN+14 "$sdpid" 2>/dev/null
		for i in $(seq 50); do kill -0 "$sdpid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$sdpid" 2>/dev/null && kill -KILL "$sdpid" 2>/dev/null
	fi
	[ -n "$launcher" ] && wait "$launcher" 2>/dev/null
	for h in systemd unified; do
		[ -d /sys/fs/cgroup/$h/$CG ] || continue
		find /sys/fs/cgroup/$h/$CG -depth -type d -exec rmdir {} \; 2>/dev/null
	done
}
trap cleanup EXIT

if [ ! -d /sys/fs/cgroup/systemd ] && [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
	bad "no cgroup hierarchy systemd could use here"
	finish
fi

# ---- the description, the drop-in, the overlay ----
wkey=$(wg genkey)
wpub=$(wg pubkey <<<"$wkey")
mkdir -p "$tmp/upper/lanwire" "$tmp/work" \
	"$tmp/upper/systemd/system/lanwire@.service.d"
cat >"$tmp/upper/lanwire/lanwire.conf" <<CONF
[network]
name = sd
tunnel = 10.97.0.0/24

[hub z]
endpoint = 203.0.113.1:51820
interface = $IF

[site L1]
gateway = a
lan = 192.168.79.0/24
lan-interface = eth0

[client w]
address = 10.97.0.9
public-key = $(wg pubkey <<<"$wkey")

[policy]
allow = z <-> L1
allow = w -> z
CONF
/usr/sbin/lanwire -f "$tmp/upper/lanwire/lanwire.conf" keys >/dev/null ||
	bad "lanwire keys"
cat >"$tmp/upper/systemd/system/lanwire@.service.d/lwpk-test.conf" <<'EOF'
# tests/pkg/systemd.sh: keep sysinit.target (host-wide units) out.
[Unit]
DefaultDependencies=no
EOF
# lanwire@'s standard output (one line per change) into a file the test
# reads: no journald runs under the test's systemd. wg-quick@ gets the
# [Unit] part only.
cp "$tmp/upper/systemd/system/lanwire@.service.d/lwpk-test.conf" "$tmp/dropin-unit.conf"
printf '[Service]\nStandardOutput=append:/run/lwpk-%%i.out\nStandardError=append:/run/lwpk-%%i.err\n' \
	>>"$tmp/upper/systemd/system/lanwire@.service.d/lwpk-test.conf"

# wg-quick@WIF with the package's drop-in: lanwired instead of the kernel.
mkdir -p "$tmp/upper/wireguard" "$tmp/upper/systemd/system/wg-quick@$WIF.service.d"
# WIF is client w of the description, dialling hub z over loopback, so
# the hub's lanwired handshakes under the unit's sandbox.
cat >"$tmp/upper/wireguard/$WIF.conf" <<WGQ
[Interface]
PrivateKey = $wkey
ListenPort = 51821

[Peer]
PublicKey = $(cat "$tmp/upper/lanwire/lanwire.keys/z.pub")
PresharedKey = $(cat "$tmp"/upper/lanwire/lanwire.keys/{w+z,z+w}.psk 2>/dev/null)
Endpoint = 127.0.0.1:51820
AllowedIPs = 10.97.0.1/32
PersistentKeepalive = 1
WGQ
chmod 600 "$tmp/upper/wireguard/$WIF.conf"
cp /usr/share/doc/lanwire/examples/wg-quick@.service.d/lanwired.conf \
	"$tmp/upper/systemd/system/wg-quick@$WIF.service.d/"
cp "$tmp/dropin-unit.conf" \
	"$tmp/upper/systemd/system/wg-quick@$WIF.service.d/lwpk-test.conf"

# ---- systemd in its namespaces ----
for h in systemd unified; do
	[ -d /sys/fs/cgroup/$h ] && mkdir -p /sys/fs/cgroup/$h/$CG
done
bash -c '
	cg=$1 tmp=$2
	for h in systemd unified; do
		[ -d /sys/fs/cgroup/$h/$cg ] && echo $$ >/sys/fs/cgroup/$h/$cg/cgroup.procs
	done
	exec unshare --pid --fork --mount --uts --ipc --net --cgroup \
		--propagation private --mount-proc bash -c "
		set -e
		mount -t overlay overlay -o lowerdir=/etc,upperdir=$tmp/upper,workdir=$tmp/work /etc
		for d in /run /tmp /var/tmp /var/log; do mount -t tmpfs -o mode=0755 tmpfs \$d; done
		chmod 1777 /tmp /var/tmp
		mkdir -p /run/systemd/system
		printf \"[Unit]\\nDescription=lanwire test target\\n\" >/run/systemd/system/lwpk.target
		exec env -i container=lwpk-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			/lib/systemd/systemd --system --unit=lwpk.target
	"
' sd "$CG" "$tmp" </dev/null >"$tmp/systemd.log" 2>&1 &
launcher=$!
for i in $(seq 100); do
	sdpid=$(pgrep -P "$launcher" | head -n 1)
	[ -n "$sdpid" ] && [ "$(readlink /proc/$sdpid/exe)" = /usr/lib/systemd/systemd -o \
		"$(readlink /proc/$sdpid/exe)" = /lib/systemd/systemd ] && break
	sdpid=
	sleep 0.1
done
state=
for i in $(seq 100); do
	[ -n "$sdpid" ] || break
	state=$(sc is-system-running 2>/dev/null)
	case $state in running | degraded) break ;; esac
	sleep 0.1
done
echo "systemd in a namespace: pid ${sdpid:-none}, state ${state:-none}"
t "systemd runs as PID 1 of its namespace (running or degraded)" \
	bash -c "[ -n '$sdpid' ] && [[ '$state' = running || '$state' = degraded ]]"
if [ -z "$sdpid" ]; then
	cat "$tmp/systemd.log"
	finish
fi

# ---- start ----
in_ns ip link set lo up
out=$(sc start lanwire@z.service 2>&1); rc=$?
echo "systemctl start lanwire@z: exit $rc $out"
sc status lanwire@z.service 2>&1 | sed 's/^/    /'
t "systemctl start lanwire@z exits 0" test $rc -eq 0
t "lanwire@z is active" test "$(sc is-active lanwire@z.service)" = active
t "its interface $IF is up" in_ns ip link show "$IF"
t "wg show: listening on 51820" test "$(in_ns wg show "$IF" listen-port)" = 51820
# lanwire up runs "lanwired -u nobody IF": the daemon as nobody and its
# root helper, both in the unit's cgroup, under its seccomp filter and
# read-only /usr and /etc; the daemon with no capability left, the
# helper within the unit's bounding set.
procs=$(lwpk_procs "$IF")
echo "lanwired processes for $IF (pid euid comm): $(tr '\n' ';' <<<"$procs")"
dpid=$(lwpk_role daemon "$procs") hpid=$(lwpk_role helper "$procs")
t "lanwired runs for $IF as nobody with one root helper, no other process" \
	bash -c "[ -n '$dpid' ] && [ -n '$hpid' ] && [ $(grep -c . <<<"$procs") -eq 2 ]"
state=$(in_ns cat /run/lanwire/$IF.state 2>/dev/null)
echo "state file: $(grep -E '^(node|iface|user|pid) ' <<<"$state" | tr '\n' ';')"
spids=$(sed -n 's/^pid //p' <<<"$state" | sort -n | tr '\n' ' ')
npids=$(printf '%s\n' $(lwpk_nspid "$dpid") $(lwpk_nspid "$hpid") | sort -n | tr '\n' ' ')
echo "pids in the state file: $spids; the daemon's and helper's (namespace pids): $npids"
t "the state file records user nobody" grep -qx 'user nobody' <<<"$state"
t "the state file records exactly the daemon's and the helper's pids" \
	test -n "$dpid" -a -n "$hpid" -a "$spids" = "$npids"
for p in daemon:$dpid helper:$hpid; do
	role=${p%%:*} pid=${p#*:}
	echo "$role under systemd: CapBnd $(lwpk_field "$pid" CapBnd)" \
		"CapEff $(lwpk_field "$pid" CapEff) NoNewPrivs" \
		"$(lwpk_field "$pid" NoNewPrivs) Seccomp $(lwpk_field "$pid" Seccomp)"
	cg=$(cat /proc/${pid:-0}/cgroup 2>/dev/null | grep -m1 -o 'lanwire@z.service')
	t "$role is in lanwire@z.service's cgroup" test "$cg" = lanwire@z.service
	t "$role has no_new_privs" test "$(lwpk_field "$pid" NoNewPrivs)" = 1
	t "$role runs under a seccomp filter (the unit's Restrict*, ...)" \
		test "$(lwpk_field "$pid" Seccomp)" = 2
	t "ProtectSystem=full: /usr and /etc read-only for the $role" bash -c \
		"awk '(\$5 == \"/usr\" || \$5 == \"/etc\") && \$6 ~ /^ro/' /proc/${pid:-0}/mountinfo | wc -l | grep -qx 2"
done
# net_admin 12, net_bind_service 10, setpcap 8, setuid 7, setgid 6
t "the daemon has no capability, bounding set included" bash -c \
	"[ '$(lwpk_field "$dpid" CapBnd)' = 0000000000000000 ] && [ '$(lwpk_field "$dpid" CapPrm)' = 0000000000000000 ]"
t "the helper's bounding set is within the unit's (0x15c0)" \
	lwpk_subset "$(lwpk_field "$hpid" CapBnd)" 0x15c0
t "the helper keeps exactly CAP_NET_ADMIN and CAP_NET_BIND_SERVICE (0x1400)" \
	test "$(lwpk_field "$hpid" CapEff)" = 0000000000001400
zpids=$(printf '%s\n' $dpid $hpid | sort -n | tr '\n' ' ')
svcs=$(sc list-units --type=service --all --no-legend --plain 2>/dev/null | awk '$3 != "inactive" {print $1}' | tr '\n' ' ')
echo "services that ran: $svcs"
t "lanwire@z.service is the only service that ran" test "$svcs" = "lanwire@z.service "

# ---- wg-quick@ with the drop-in ----
out=$(sc start wg-quick@$WIF.service 2>&1); rc=$?
sc status wg-quick@$WIF.service 2>&1 | sed 's/^/    /'
t "systemctl start wg-quick@$WIF (lanwired drop-in) exits 0 ${out:+($out)}" test $rc -eq 0
wpid=$(pgrep -f "^/usr/sbin/lanwired $WIF\$" | head -n 1)
t "wg-quick@ ran /usr/sbin/lanwired" test -n "$wpid"
cg=$(cat /proc/${wpid:-0}/cgroup 2>/dev/null | grep -m1 -o "wg-quick@$WIF.service")
t "lanwired is in wg-quick@$WIF.service's cgroup" test "$cg" = "wg-quick@$WIF.service"
t "wg show: listening on 51821" test "$(in_ns wg show "$WIF" listen-port)" = 51821
hs=0
for i in $(seq 100); do
	hs=$(in_ns wg show "$IF" latest-handshakes | awk '{print $2}' | sort -n | tail -n 1)
	[ "${hs:-0}" -gt 0 ] && break
	sleep 0.1
done
in_ns wg show all 2>&1 | sed 's/^/    /'
t "hub z (lanwire@z, sandboxed) completed a handshake with w" test "${hs:-0}" -gt 0
out=$(sc stop wg-quick@$WIF.service 2>&1); rc=$?
t "systemctl stop wg-quick@$WIF exits 0 ${out:+($out)}" test $rc -eq 0
t "its interface is gone" bash -c "! nsenter -t $sdpid -n ip link show $WIF"
t "its lanwired has exited" bash -c "! kill -0 ${wpid:-0}"
# ---- reload, stop ----
# reload runs up again on an unchanged description: it changes nothing,
# keeps the processes, and the hub's peer w keeps its session.
hs() { in_ns wg show "$IF" latest-handshakes | awk -v k="$wpub" '$1 == k {print $2}'; }
hs_before=$(hs)
nout=$(in_ns cat /run/lwpk-z.out | wc -l) nerr=$(in_ns cat /run/lwpk-z.err | wc -l)
out=$(sc reload lanwire@z.service 2>&1); rc=$?
t "systemctl reload lanwire@z exits 0 ${out:+($out)}" test $rc -eq 0
t "still active after reload" test "$(sc is-active lanwire@z.service)" = active
echo "lanwire@z's standard output, start then reload (the test drop-in's file):"
in_ns cat /run/lwpk-z.out 2>&1 | sed 's/^/    /'
rout=$(in_ns cat /run/lwpk-z.out | tail -n +$((nout + 1)))
rerr=$(in_ns cat /run/lwpk-z.err | tail -n +$((nerr + 1)))
echo "reload's standard error: ${rerr:-nothing}"
t "reload printed one line, 'z: nothing to change' (start printed $nout)" \
	bash -c '[ "$1" -gt 0 ] && [ "$2" = "z: nothing to change" ]' sh "$nout" "$rout"
t "reload ran no command that changes anything (ip, nft, sysctl, wg set)" \
	bash -c '! grep -E "^\[#\] (ip|nft|sysctl|wg set|wg setconf|wg syncconf)" <<<"$1"' sh "$rerr"
t "after reload: the same daemon and helper for $IF, no other" \
	test "$(lwpk_procs "$IF" | awk '{print $1}' | sort -n | tr '\n' ' ')" = "$zpids"
hs_after=$(hs)
echo "hub z's peer w: latest handshake ${hs_before:-none} before reload, ${hs_after:-none} after"
t "after reload: the peer w keeps its session (same handshake time, not 0)" \
	bash -c "[ '${hs_before:-0}' -gt 0 ] && [ '$hs_before' = '$hs_after' ]"
out=$(sc stop lanwire@z.service 2>&1); rc=$?
t "systemctl stop lanwire@z exits 0 ${out:+($out)}" test $rc -eq 0
t "lanwire@z is inactive" test "$(sc is-active lanwire@z.service)" = inactive
t "its interface is gone" bash -c "! nsenter -t $sdpid -n ip link show $IF"
lwpk_exited $zpids
t "its lanwired and the helper have exited" lwpk_exited $zpids
t "no nft table inet lanwire left" bash -c "! nsenter -t $sdpid -n nft list table inet lanwire"

finish
