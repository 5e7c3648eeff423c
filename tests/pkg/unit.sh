#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lanwire@.service's commands run as systemd would run them, where systemd
# is not PID 1 (tests/pkg/run.sh step 8). The unit's ExecStart, ExecReload
# and ExecStop lines, read from the installed unit with %i replaced, run
# in a namespace of their own under a sandbox built by hand from the
# unit's directives:
#   ProtectSystem=full     /usr, /boot, /efi read-only binds; /etc an
#                          overlay (so /etc/lanwire/lanwire.conf can be
#                          the test's without touching the host), then
#                          read-only
#   ProtectHome=yes        empty read-only tmpfs on /home, /root, /run/user
#   PrivateTmp=yes         fresh tmpfs on /tmp and /var/tmp
#   ProtectKernelModules   empty tmpfs on /lib/modules if there is one (no
#                          CAP_SYS_MODULE)
#   ProtectControlGroups   /sys/fs/cgroup a read-only bind
#   NoNewPrivileges        setpriv --no-new-privs
#   CapabilityBoundingSet  setpriv --bounding-set (the unit's list)
# The unit's seccomp and namespace directives (RestrictAddressFamilies,
# RestrictNamespaces, RestrictRealtime, RestrictSUIDSGID, LockPersonality,
# MemoryDenyWriteExecute, SystemCallArchitectures, ProtectHostname) are
# not made here: tests/pkg/systemd.sh runs them under systemd itself. A
# directive in [Service] that neither covers fails the test, so the unit
# cannot claim hardening nobody ran.
#
#   ns lwpk-TAG-z (hub z)                     ns lwpk-TAG-a (gateway a)
#   wan 203.0.113.1/24  ------ veth ------    wan 203.0.113.2/24
#   tunnel 10.98.0.1                          tunnel 10.98.0.2, LAN eth0
#
# usage: tests/pkg/unit.sh TAG SCRATCHDIR UNITFILE (as root, lanwire
# installed). Prints PASS/FAIL lines and "unit: N passed, N failed".
set -u
TAG=$1 tmp=$2 UNIT=$3
Z=lwpk-$TAG-z A=lwpk-$TAG-a IZ=lwpk${TAG}z IA=lwpk${TAG}a
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS unit: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL unit: $*"; }
t() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
tn() { local what=$1; shift; if "$@" >/dev/null 2>&1; then bad "$what"; else ok "$what"; fi; }
cleanup() {
	ip -n $A link del $IA 2>/dev/null
	ip -n $Z link del $IZ 2>/dev/null
	sleep 0.3
	ip netns del $Z 2>/dev/null
	ip netns del $A 2>/dev/null
}
trap cleanup EXIT

# ---- the unit's directives ----
emulated='Type RemainAfterExit ExecStart ExecReload ExecStop Environment
ProtectSystem ProtectHome PrivateTmp ProtectKernelModules
ProtectControlGroups NoNewPrivileges CapabilityBoundingSet
RestrictAddressFamilies RestrictNamespaces RestrictRealtime
RestrictSUIDSGID LockPersonality MemoryDenyWriteExecute
SystemCallArchitectures ProtectHostname'
service=$(sed -n '/^\[Service\]/,/^\[/p' "$UNIT" | grep -E '^[A-Za-z]+=')
unknown=$(cut -d= -f1 <<<"$service" | sort -u | grep -vxF -f <(tr ' ' '\n' <<<"$emulated" | grep .))
t "every [Service] directive is emulated here or run by systemd.sh${unknown:+ (not: $unknown)}" test -z "$unknown"
t "ProtectSystem=full" grep -qx 'ProtectSystem=full' <<<"$service"
t "NoNewPrivileges=yes" grep -qx 'NoNewPrivileges=yes' <<<"$service"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' <<<"$service")
bset=-all
for c in $caps; do
	c=${c#CAP_}
	bset+=,+${c,,}
done
echo "bounding set: $bset"
envs=$(sed -n 's/^Environment=//p' <<<"$service")
exec_line() { sed -n "s/^$1=//p" <<<"$service" | head -n 1 | sed "s/%i/$2/g"; }

# sandboxed NS N CMD-LINE: the unit's command in namespace NS, sandboxed;
# N numbers the /etc overlay (a fresh upper directory per run: the
# namespace of an earlier run lives on with its lanwired).
sandboxed() {
	local ns=$1 n=$2 ov=$tmp/ov$2
	shift 2
	mkdir -p "$ov/upper" "$ov/work"
	cp -a "$tmp/etc-lanwire" "$ov/upper/lanwire"
	ip netns exec "$ns" unshare -m --propagation private bash -c '
		set -e
		ov=$1; bset=$2; envs=$3; shift 3
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$ov/upper,workdir=$ov/work" /etc
		mount -o remount,ro /etc
		for d in /usr /boot /efi; do
			[ -d "$d" ] && mount --bind -o ro "$d" "$d"
		done
		for d in /home /root /run/user; do
			[ -d "$d" ] && mount -t tmpfs -o ro,mode=000 tmpfs "$d"
		done
		mount -t tmpfs -o mode=1777 tmpfs /tmp
		mount -t tmpfs -o mode=1777 tmpfs /var/tmp
		[ -d /lib/modules ] && mount -t tmpfs -o ro tmpfs /lib/modules
		mount --bind -o ro /sys/fs/cgroup /sys/fs/cgroup
		cd /
		exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $envs \
			setpriv --no-new-privs --inh-caps=-all --bounding-set="$bset" "$@"
	' sandbox "$ov" "$bset" "$envs" "$@"
}

# ---- the network and the description in /etc/lanwire ----
ip netns add $Z && ip netns add $A || { bad "namespaces"; echo "unit: $pass passed, $fail failed"; exit 1; }
ip -n $Z link add wan type veth peer name wan netns $A
ip -n $Z addr add 203.0.113.1/24 dev wan
ip -n $A addr add 203.0.113.2/24 dev wan
ip -n $A link add eth0 type veth peer name eth0p
ip -n $A addr add 192.168.78.1/24 dev eth0
for ns in $Z $A; do ip -n $ns link set lo up; ip -n $ns link set wan up; done
ip -n $A link set eth0 up
mkdir -p "$tmp/etc-lanwire"
cat >"$tmp/etc-lanwire/lanwire.conf" <<CONF
[network]
name = unit
tunnel = 10.98.0.0/24
keepalive = 1

[hub z]
endpoint = 203.0.113.1:51820
interface = $IZ

[site L1]
gateway = a
interface = $IA
lan = 192.168.78.0/24
lan-interface = eth0

[policy]
allow = z <-> L1
CONF
/usr/sbin/lanwire -f "$tmp/etc-lanwire/lanwire.conf" keys >/dev/null ||
	bad "lanwire keys"
runlw_before=$([ -e /run/lanwire ] && echo yes || echo no)

# ---- the sandbox holds (so the runs below mean something) ----
t "sandbox: /etc/lanwire/lanwire.conf is the test's" \
	sandboxed $A probe1 grep -q '^name = unit' /etc/lanwire/lanwire.conf
tn "sandbox: /etc is read-only" sandboxed $A probe2 touch /etc/lanwire/probe
tn "sandbox: /usr is read-only" sandboxed $A probe3 touch /usr/lwpk-probe
st=$(sandboxed $A probe4 grep -E '^(CapBnd|NoNewPrivs):' /proc/self/status 2>&1)
echo "sandbox: $(tr '\n' ' ' <<<"$st")"
# net_admin 12, net_bind_service 10, setuid 7, setgid 6, setpcap 8
t "sandbox: the bounding set is the unit's (0x15c0)" grep -q 'CapBnd:[[:space:]]*00000000000015c0$' <<<"$st"
t "sandbox: no_new_privs" grep -q 'NoNewPrivs:[[:space:]]*1$' <<<"$st"
t "sandbox: the host's /etc has no lanwire from this test" test ! -e /etc/lanwire/probe

# ---- ExecStart ----
for node in a z; do
	ns=$A; [ $node = z ] && ns=$Z
	cmd=$(exec_line ExecStart $node)
	echo "+ $ns: $cmd"
	sandboxed $ns start-$node $cmd >"$tmp/start-$node.log" 2>&1
	rc=$?
	cat "$tmp/start-$node.log"
	t "ExecStart ($cmd) exits 0 in the sandbox" test $rc -eq 0
done
t "a's interface is up" ip -n $A link show $IA
t "z's interface is up" ip -n $Z link show $IZ
t "lanwired runs for $IA" pgrep -f "lanwired $IA\$"
t "the nft table inet lanwire is loaded on a" ip netns exec $A nft list table inet lanwire
for i in $(seq 50); do
	ip netns exec $A ping -c 1 -W 1 10.98.0.1 >/dev/null 2>&1 && break
	sleep 0.1
done
t "a pings z through the tunnel" ip netns exec $A ping -c 1 -W 2 10.98.0.1

# ---- status --json (outside the sandbox) ----
js=$(ip netns exec $A /usr/sbin/lanwire -f "$tmp/etc-lanwire/lanwire.conf" status --json a 2>&1)
echo "status --json a: $js"
q() { jq -e "$1" <<<"$js" >/dev/null 2>&1; }
t "status --json: one interface, $IA, node a" q ".interfaces | length == 1 and .[0].interface == \"$IA\" and .[0].node == \"a\""
t "status --json: its peer is node z, role hub" q '.interfaces[0].peers[0] | .node == "z" and .role == "hub"'
t "status --json: a handshake, bytes both ways" q '.interfaces[0].peers[0] | .latest_handshake > 0 and .rx_bytes > 0 and .tx_bytes > 0'
t "status --json: endpoint and allowed_ips" q '.interfaces[0].peers[0] | .endpoint == "203.0.113.1:51820" and (.allowed_ips | type == "array" and length > 0)'
t "status --json: public keys match the key files" q ".interfaces[0].public_key == \"$(cat "$tmp/etc-lanwire/lanwire.keys/a.pub")\" and .interfaces[0].peers[0].public_key == \"$(cat "$tmp/etc-lanwire/lanwire.keys/z.pub")\""
t "status --json: no private key in it" bash -c "! grep -qF '$(cat "$tmp/etc-lanwire/lanwire.keys/a.key")' <<<'$js'"
js=$(/usr/sbin/lanwire -f "$tmp/etc-lanwire/lanwire.conf" status --json 2>&1)
t "status --json without a node: both interfaces" q '[.interfaces[].node] | sort == ["a", "z"]'
t "status --json on a node that is down: exit 1" bash -c \
	"! ip netns exec $A /usr/sbin/lanwire -f '$tmp/etc-lanwire/lanwire.conf' status --json L1x"

# ---- ExecReload, ExecStop ----
cmd=$(exec_line ExecReload a)
out=$(sandboxed $A reload-a $cmd 2>&1); rc=$?
echo "$out"
t "ExecReload exits 0 and only syncs (wg syncconf)" bash -c "[ $rc -eq 0 ] && grep -q 'wg syncconf' <<<'$out'"
t "still one lanwired for $IA" test "$(pgrep -fc "lanwired $IA\$")" = 1
pid=$(pgrep -f "lanwired $IA\$" | head -n 1)
for node in a z; do
	ns=$A; [ $node = z ] && ns=$Z
	cmd=$(exec_line ExecStop $node)
	echo "+ $ns: $cmd"
	out=$(sandboxed $ns stop-$node $cmd 2>&1); rc=$?
	echo "$out"
	t "ExecStop ($cmd) exits 0 in the sandbox" test $rc -eq 0
done
t "a's interface is gone" bash -c "! ip -n $A link show $IA"
t "z's interface is gone" bash -c "! ip -n $Z link show $IZ"
t "a's lanwired has exited" bash -c "! kill -0 ${pid:-0}"
t "a's nft table is gone" bash -c "! ip netns exec $A nft list table inet lanwire"
t "no UAPI sockets left" bash -c "! ls /var/run/wireguard/$IA.sock /var/run/wireguard/$IZ.sock"
[ "$runlw_before" = no ] && t "/run/lanwire removed by the last down" test ! -e /run/lanwire
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
