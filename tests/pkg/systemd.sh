#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire@.service under a real systemd (tests/pkg/run.sh step 8). PID 1
# of the test machines is not systemd, so this starts one: systemd as PID
# 1 of new PID, mount, network, UTS, IPC and cgroup namespaces (its own
# cgroup subtree lwpk-sd-TAG), booted to an empty target. Inside, the
# installed lanwire@.service runs hub z of a description put in
# /etc/lanwire by an overlay that only this namespace sees:
#   systemctl start lanwire@z     active, interface up, lanwired in the
#                                 unit's cgroup with the unit's bounding
#                                 set and no_new_privs
#   systemctl reload lanwire@z    a sync; still one daemon
#   systemctl stop lanwire@z      interface and daemon gone, inactive
#   wg-quick@IF with the package's example drop-in: wg-quick runs
#   /usr/sbin/lanwired (this kernel has no WireGuard module) as client w
#   of the description, which handshakes with hub z over loopback (z's
#   lanwired inside lanwire@z's seccomp filter and sandbox); stop ends it
# Guard rails, because the file systems are the host's: /run, /tmp,
# /var/tmp and /var/log are fresh tmpfs in the namespace, and a drop-in
# (in the overlay) sets DefaultDependencies=no on lanwire@ so starting it
# does not pull sysinit.target (whose units would apply sysctls, clean
# /tmp or trigger udev on the host); the test checks that lanwire@z is
# the only service that ran. Everything else of the unit is as installed.
#
# usage: tests/pkg/systemd.sh TAG SCRATCHDIR (as root, lanwire
# installed). Prints PASS/FAIL lines and "systemd: N passed, N failed".
set -u
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
cp "$tmp/upper/systemd/system/lanwire@.service.d/lwpk-test.conf" \
	"$tmp/upper/systemd/system/wg-quick@$WIF.service.d/"

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
pid=$(pgrep -f "lanwired $IF\$" | head -n 1)
t "lanwired runs for $IF" test -n "$pid"
cg=$(cat /proc/${pid:-0}/cgroup 2>/dev/null | grep -m1 -o 'lanwire@z.service')
t "lanwired is in lanwire@z.service's cgroup" test "$cg" = lanwire@z.service
st=$(grep -E '^(CapBnd|NoNewPrivs):' /proc/${pid:-0}/status 2>/dev/null | tr '\n' ' ')
echo "lanwired under systemd: $st"
t "lanwired has the unit's bounding set (0x15c0)" grep -q 'CapBnd:[[:space:]]*00000000000015c0' <<<"$st"
t "lanwired has no_new_privs" grep -q 'NoNewPrivs:[[:space:]]*1' <<<"$st"
t "lanwired runs under a seccomp filter (the unit's Restrict*, ProtectKernelModules, ...)" \
	grep -q '^Seccomp:[[:space:]]*2' /proc/${pid:-0}/status
t "ProtectSystem=full: /usr and /etc read-only for lanwired" bash -c \
	"awk '(\$5 == \"/usr\" || \$5 == \"/etc\") && \$6 ~ /^ro/' /proc/${pid:-0}/mountinfo | wc -l | grep -qx 2"
svcs=$(sc list-units --type=service --all --no-legend --plain 2>/dev/null | awk '$3 != "inactive" {print $1}' | tr '\n' ' ')
echo "services that ran: $svcs"
t "lanwire@z.service is the only service that ran" test "$svcs" = "lanwire@z.service "

# ---- wg-quick@ with the drop-in ----
out=$(sc start wg-quick@$WIF.service 2>&1); rc=$?
sc status wg-quick@$WIF.service 2>&1 | sed 's/^/    /'
t "systemctl start wg-quick@$WIF (lanwired drop-in) exits 0 ${out:+($out)}" test $rc -eq 0
pid=$(pgrep -f "^/usr/sbin/lanwired $WIF\$" | head -n 1)
t "wg-quick@ ran /usr/sbin/lanwired" test -n "$pid"
cg=$(cat /proc/${pid:-0}/cgroup 2>/dev/null | grep -m1 -o "wg-quick@$WIF.service")
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
t "its lanwired has exited" bash -c "! kill -0 ${pid:-0}"
# ---- reload, stop ----
out=$(sc reload lanwire@z.service 2>&1); rc=$?
t "systemctl reload lanwire@z exits 0 ${out:+($out)}" test $rc -eq 0
t "still active after reload" test "$(sc is-active lanwire@z.service)" = active
t "still one lanwired for $IF" test "$(pgrep -fc "lanwired $IF\$")" = 1
out=$(sc stop lanwire@z.service 2>&1); rc=$?
t "systemctl stop lanwire@z exits 0 ${out:+($out)}" test $rc -eq 0
t "lanwire@z is inactive" test "$(sc is-active lanwire@z.service)" = inactive
t "its interface is gone" bash -c "! nsenter -t $sdpid -n ip link show $IF"
t "its lanwired has exited" bash -c "! kill -0 ${pid:-0}"
t "no nft table inet lanwire left" bash -c "! nsenter -t $sdpid -n nft list table inet lanwire"

finish
