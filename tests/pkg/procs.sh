# SPDX-License-Identifier: MIT
# Sourced by tests/pkg/systemd.sh and unit.sh: the processes lanwire up
# starts for an interface. `lanwire up` runs `/usr/sbin/lanwired -u nobody
# IFACE`, which forks a root helper before dropping to nobody; both keep
# that command line, so they are told apart by effective user and name:
#   daemon  euid nobody, comm lanwired       (no capability at all)
#   helper  euid root,   comm lanwired-root  (CAP_NET_ADMIN and
#                                            CAP_NET_BIND_SERVICE only)

# lwpk_procs IFACE: one line "PID EUID COMM" per process whose command line
# is lanwire up's lanwired for IFACE, in pid order.
lwpk_procs() {
	local p
	for p in $(pgrep -f "^/usr/sbin/lanwired -u nobody $1\$"); do
		echo "$p $(awk '/^Uid:/ {print $3}' /proc/$p/status 2>/dev/null) $(cat /proc/$p/comm 2>/dev/null)"
	done
}

# lwpk_role ROLE PROCS: the pid of PROCS (lwpk_procs's output) with ROLE
# (daemon or helper); nothing if there is not exactly one.
lwpk_role() {
	local nobody
	nobody=$(id -u nobody)
	awk -v role="$1" -v nobody="$nobody" '
		role == "daemon" && $2 == nobody && $3 == "lanwired" { p[n++] = $1 }
		role == "helper" && $2 == 0 && $3 == "lanwired-root" { p[n++] = $1 }
		END { if (n == 1) print p[0] }' <<<"$2"
}

# lwpk_field PID FIELD: a field of /proc/PID/status (CapBnd, NoNewPrivs, ...).
lwpk_field() {
	awk -v f="$2:" '$1 == f {print $2}' /proc/"${1:-0}"/status 2>/dev/null
}

# lwpk_subset HEX MASK: HEX's capabilities are all in MASK.
lwpk_subset() {
	[ -n "$1" ] && [ $((0x$1 & ~$2)) -eq 0 ]
}

# lwpk_nspid PID: PID as its own (innermost) PID namespace numbers it.
lwpk_nspid() {
	awk '/^NSpid:/ {print $NF}' /proc/"${1:-0}"/status 2>/dev/null
}

# lwpk_exited PID...: each PID has exited: gone, or a zombie its parent
# has not reaped yet (the test machine's PID 1 reaps orphans when it
# will); prints the state of any that still runs.
lwpk_exited() {
	local p st rc=0
	[ $# -gt 0 ] || return 1
	for p in "$@"; do
		st=$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null | cut -d' ' -f1)
		case $st in
		'' | Z) ;;
		*) echo "pid $p still runs (state $st): $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)"; rc=1 ;;
		esac
	done
	return $rc
}
