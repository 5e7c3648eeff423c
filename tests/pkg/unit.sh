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
# Checked: lanwired runs as nobody with its root helper (the pids the
# state file records; the daemon without capabilities, the helper within
# the unit's bounding set); a pings z; status --json with jq (and no
# private key in it); ExecReload says "nothing to change", then, after an
# edit, sets just that field, the processes and the session kept;
# ExecStop removes everything.
#
#   ns lwpk-TAG-z (hub z)                     ns lwpk-TAG-a (gateway a)
#   wan 203.0.113.1/24  ------ veth ------    wan 203.0.113.2/24
#   tunnel 10.98.0.1                          tunnel 10.98.0.2, LAN eth0
#
# usage: tests/pkg/unit.sh TAG SCRATCHDIR UNITFILE (as root, lanwire
# installed). Prints PASS/FAIL lines and "unit: N passed, N failed".
set -u
. "$(dirname "$0")/procs.sh"
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
# lanwire up ran "lanwired -u nobody IF" on each: the daemon as nobody
# and its root helper, the pids the state file records; in the sandbox,
# the daemon has no capability and the helper's bounding set is the
# unit's (it inherits it, and keeps CAP_NET_ADMIN and
# CAP_NET_BIND_SERVICE only).
for node in a z; do
	iface=$IA; [ $node = z ] && iface=$IZ
	procs=$(lwpk_procs "$iface")
	echo "lanwired processes for $iface (pid euid comm): $(tr '\n' ';' <<<"$procs")"
	dpid=$(lwpk_role daemon "$procs") hpid=$(lwpk_role helper "$procs")
	t "$node: lanwired runs for $iface as nobody with one root helper, no other process" \
		bash -c "[ -n '$dpid' ] && [ -n '$hpid' ] && [ $(grep -c . <<<"$procs") -eq 2 ]"
	state=$(cat /run/lanwire/$iface.state 2>/dev/null)
	spids=$(sed -n 's/^pid //p' <<<"$state" | sort -n | tr '\n' ' ')
	echo "$node: state file user $(sed -n 's/^user //p' <<<"$state"), pids $spids"
	t "$node: the state file records user nobody and exactly those two pids" bash -c \
		"[ -n '$dpid' ] && [ -n '$hpid' ] && grep -qx 'user nobody' <<<'$state' &&
		 [ '$spids' = '$(printf '%s\n' $dpid $hpid | sort -n | tr '\n' ' ')' ]"
	[ $node = a ] && apids=$spids
	echo "$node: daemon CapBnd $(lwpk_field "$dpid" CapBnd) CapPrm $(lwpk_field "$dpid" CapPrm);" \
		"helper CapBnd $(lwpk_field "$hpid" CapBnd) CapEff $(lwpk_field "$hpid" CapEff)"
	t "$node: the daemon has no capability, bounding set included" bash -c \
		"[ '$(lwpk_field "$dpid" CapBnd)' = 0000000000000000 ] && [ '$(lwpk_field "$dpid" CapPrm)' = 0000000000000000 ]"
	t "$node: the helper's bounding set is the unit's (0x15c0)" \
		test "$(lwpk_field "$hpid" CapBnd)" = 00000000000015c0
	t "$node: the helper keeps CAP_NET_ADMIN and CAP_NET_BIND_SERVICE only" \
		test "$(lwpk_field "$hpid" CapEff)" = 0000000000001400
	t "$node: daemon and helper have no_new_privs" test \
		"$(lwpk_field "$dpid" NoNewPrivs)$(lwpk_field "$hpid" NoNewPrivs)" = 11
done
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
# The private key must not appear; the same search finds the public key,
# so it is not vacuous (and a missing or empty key file fails).
akey=$(cat "$tmp/etc-lanwire/lanwire.keys/a.key" 2>/dev/null)
apub=$(cat "$tmp/etc-lanwire/lanwire.keys/a.pub" 2>/dev/null)
t "status --json: the key search finds a's public key (a 44-character key)" \
	bash -c '[ ${#1} -eq 44 ] && grep -qF -- "$1" <<<"$2"' sh "$apub" "$js"
t "status --json: no private key in it (a's, 44 characters)" \
	bash -c '[ ${#1} -eq 44 ] && ! grep -qF -- "$1" <<<"$2"' sh "$akey" "$js"
js=$(/usr/sbin/lanwire -f "$tmp/etc-lanwire/lanwire.conf" status --json 2>&1)
t "status --json without a node: both interfaces" q '[.interfaces[].node] | sort == ["a", "z"]'
t "status --json on a node that is down: exit 1" bash -c \
	"! ip netns exec $A /usr/sbin/lanwire -f '$tmp/etc-lanwire/lanwire.conf' status --json L1x"

# ---- ExecReload, ExecStop ----
# ExecReload on an unchanged description: up changes nothing and says so.
# Then with the network's keepalive edited (1 -> 2): just that peer field
# is set. Both times: the same daemon and helper, and a's session with z
# kept (the same latest handshake; a new one would need 120 s).
hs() { ip netns exec $A wg show $IA latest-handshakes | awk '{print $2}'; }
hs_before=$(hs)
cmd=$(exec_line ExecReload a)
out=$(sandboxed $A reload-a $cmd 2>"$tmp/reload-a.err"); rc=$?
echo "+ $A: $cmd"
cat "$tmp/reload-a.err"
echo "$out"
t "ExecReload, nothing edited: exit 0, stdout exactly 'a: nothing to change'" \
	test "$rc:$out" = "0:a: nothing to change"
t "ExecReload, nothing edited: no command but reads (no ip, nft, sysctl, wg set)" \
	bash -c '! grep -E "^\[#\] (ip|nft|sysctl|wg set|wg setconf|wg syncconf)" "$1"' sh "$tmp/reload-a.err"
t "ExecReload, nothing edited: the same lanwired and helper" \
	test "$(lwpk_procs "$IA" | awk '{print $1}' | sort -n | tr '\n' ' ')" = "${apids:-none}"
sed -i 's/^keepalive = 1$/keepalive = 2/' "$tmp/etc-lanwire/lanwire.conf"
out=$(sandboxed $A reload-a2 $cmd 2>&1); rc=$?
echo "$out"
t "ExecReload after keepalive 1 -> 2: exit 0, only peer z's keepalive set" bash -c \
	'[ $1 -eq 0 ] && grep -q "^\[#\] wg set .* persistent-keepalive 2$" <<<"$2" &&
	 [ "$(grep -c "^a: " <<<"$2")" = 1 ] && grep -q "^a: peer z .*persistent-keepalive" <<<"$2"' \
	sh "$rc" "$out"
t "after it: wg show says keepalive 2" \
	test "$(ip netns exec $A wg show $IA persistent-keepalive | awk '{print $2}')" = 2
t "after both reloads: still the same lanwired and helper for $IA, no other" \
	test "$(lwpk_procs "$IA" | awk '{print $1}' | sort -n | tr '\n' ' ')" = "${apids:-none}"
hs_after=$(hs)
echo "a's peer z: latest handshake ${hs_before:-none} before the reloads, ${hs_after:-none} after"
t "after both reloads: a's session with z kept (same handshake time, not 0)" \
	bash -c '[ "${1:-0}" -gt 0 ] && [ "$1" = "$2" ]' sh "$hs_before" "$hs_after"
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
lwpk_exited $apids
t "a's lanwired and its helper have exited (gone or unreaped zombies)" lwpk_exited $apids
t "a's nft table is gone" bash -c "! ip netns exec $A nft list table inet lanwire"
t "no UAPI sockets left" bash -c "! ls /var/run/wireguard/$IA.sock /var/run/wireguard/$IZ.sock"
[ "$runlw_before" = no ] && t "/run/lanwire removed by the last down" test ! -e /run/lanwire
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
