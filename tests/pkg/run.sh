#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package, end to end on this machine (as root; it installs and
# purges the package lanwire, so it must not be installed by hand here):
#   1. make deb builds it from the tree; the tree is as before (git status);
#      make install / make uninstall into a DESTDIR
#   2. lintian: its whole output printed; any error or warning fails
#   3. the binaries are hardened: PIE, RELRO + BIND_NOW, stack protector,
#      fortified functions (read from the ELF with readelf; Debian 12's
#      dpkg has no CET feature yet)
#   4. dpkg -i; lanwire --version and lanwired --version print the
#      package version
#   5. lanwire lab leased-line from /usr/sbin/lanwire, PATH without any
#      build tree, with the /usr/sbin/lanwired beside it
#   6. every man page renders with man -l without a warning (groff's
#      warnings all on), and man finds each by name
#   7. completion: a bash -i with bash-completion loads it on demand and
#      completes a command and a node name
#   8. systemd: systemd-analyze verify lanwire@hub.service and wg-quick@
#      with the lanwired drop-in; PID 1 is not systemd here, so
#      tests/pkg/systemd.sh starts one as PID 1 of namespaces of its own
#      and runs systemctl start/reload/stop lanwire@z under it; and
#      tests/pkg/unit.sh runs the unit's ExecStart/ExecReload/ExecStop in
#      a sandbox made by hand from its directives on a hub and a gateway
#      in two network namespaces (so they handshake), with status --json
#      read with jq in between
#   9. dpkg -r, then dpkg -P; every path of the package's file list, the units, the
#      completion, /etc/lanwire, /run/lanwire and dpkg's own records gone
# Closing line: "pkg: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
TREE=$PWD
DEB_DIR=$TREE/build-deb
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
t() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
finish() { echo "pkg: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }
# counts LOG NAME: adds the closing line "NAME: N passed, N failed" of a
# sub-script's LOG to ours (a missing line is a failure).
counts() {
	local line
	line=$(grep -E "^$2: [0-9]+ passed, [0-9]+ failed$" "$1")
	if [ -z "$line" ]; then
		bad "tests/pkg/$2.sh ran to its closing line"
		return
	fi
	pass=$((pass + $(sed 's/.*: \([0-9]*\) passed.*/\1/' <<<"$line")))
	fail=$((fail + $(sed 's/.*passed, \([0-9]*\) failed.*/\1/' <<<"$line")))
}

if [ "$(id -u)" != 0 ]; then
	bad "runs as root (it installs the package)"
	finish
fi
TAG=$(printf '%05x' $(($$ % 1048576)))
tmp=$(mktemp -d -p /run lwpk-XXXXXX) # not /tmp: the unit has PrivateTmp
installed=0
cleanup() {
	local ns
	for ns in lwpk-$TAG-z lwpk-$TAG-a; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ $installed = 1 ] && dpkg -P lanwire >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# A package left by an interrupted run would hide what this one installs.
if dpkg-query -W -f='${Status}' lanwire 2>/dev/null | grep -q installed; then
	echo "pkg: lanwire was installed before the test; purging it first"
	dpkg -P lanwire >/dev/null
fi
for p in /etc/lanwire /run/lanwire; do
	[ -e "$p" ] && echo "pkg: note: $p exists before the test"
done

# ---- 1. make deb ----
before=$(git status --porcelain 2>/dev/null)
t0=$(date +%s)
make -s deb >"$tmp/deb.log" 2>&1
rc=$?
cat "$tmp/deb.log"
t "make deb exits 0 ($(($(date +%s) - t0)) s)" test $rc -eq 0
deb=$(ls "$DEB_DIR"/lanwire_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	bad "a .deb in $DEB_DIR"
	finish
fi
version=$(dpkg-deb -f "$deb" Version)
echo "package: $deb (version $version)"
t "package version is debian/changelog's" test "$version" = \
	"$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)"
t "the tree is as before make deb (git status)" \
	test "$(git status --porcelain 2>/dev/null)" = "$before"
t "no build outputs in debian/" bash -c \
	'! ls -d debian/lanwire debian/.debhelper debian/files 2>/dev/null | grep -q .'

# ---- 1b. make install / uninstall into a DESTDIR ----
dest=$tmp/dest
make -s install DESTDIR="$dest" PREFIX=/usr/local >"$tmp/install.log" 2>&1
t "make install DESTDIR=... exits 0" test $? -eq 0
(cd "$dest" 2>/dev/null && find . -type f | sort) >"$tmp/installed"
echo "make install wrote $(wc -l <"$tmp/installed") files: $(tr '\n' ' ' <"$tmp/installed")"
t "make install: programs in sbin" test -x "$dest/usr/local/sbin/lanwire" -a -x "$dest/usr/local/sbin/lanwired"
t "make install: the unit runs /usr/local/sbin/lanwire" \
	grep -q '^ExecStart=/usr/local/sbin/lanwire ' "$dest/usr/local/lib/systemd/system/lanwire@.service"
make -s uninstall DESTDIR="$dest" PREFIX=/usr/local >>"$tmp/install.log" 2>&1
t "make uninstall removes every file make install wrote" \
	test -z "$(find "$dest" -type f 2>/dev/null)"

# ---- 2. lintian ----
echo "--- lintian (errors and warnings fail; info and pedantic shown)"
lintian --fail-on error,warning -I --pedantic --show-overrides \
	"$DEB_DIR"/lanwire_*.changes 2>&1 | grep -v 'running with root privileges'
rc=${PIPESTATUS[0]}
echo "--- lintian $(lintian --version) exit status $rc (no lines above: no tags at all)"
t "lintian: no errors or warnings" test "$rc" -eq 0

# ---- 3. hardening ----
mkdir -p "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
for b in lanwire lanwired; do
	f=$tmp/x/usr/sbin/$b
	t "$b: PIE" bash -c "readelf -h '$f' | grep -q 'Type:.*DYN' && readelf -d '$f' | grep -q 'FLAGS_1.*PIE'"
	t "$b: RELRO" bash -c "readelf -lW '$f' | grep -q GNU_RELRO"
	t "$b: BIND_NOW" bash -c "readelf -d '$f' | grep -Eq 'BIND_NOW|FLAGS.*NOW'"
	t "$b: stack protector" bash -c "readelf -sW --dyn-syms '$f' | grep -q __stack_chk_fail"
	t "$b: fortified functions" bash -c "readelf -sW --dyn-syms '$f' | grep -Eq '__[a-z]+_chk@'"
done

# ---- 4. install ----
dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1
rc=$?
cat "$tmp/dpkg-i.log"
t "dpkg -i exits 0" test $rc -eq 0
installed=1
dpkg -L lanwire >"$tmp/files"
echo "the package's files: $(wc -l <"$tmp/files") paths"
t "installed: dpkg-query says install ok installed" bash -c \
	"dpkg-query -W -f='\${Status}' lanwire | grep -qx 'install ok installed'"
echo "lanwire --version: $(/usr/sbin/lanwire --version)"
echo "lanwired --version: $(/usr/sbin/lanwired --version)"
t "lanwire --version prints $version" test "$(/usr/sbin/lanwire --version)" = "lanwire $version"
t "lanwired --version prints $version" bash -c \
	"/usr/sbin/lanwired --version | grep -qx 'lanwired $version (userspace WireGuard)'"

# ---- 5. the lab from the installed binaries ----
clean_path=/usr/sbin:/usr/bin:/sbin:/bin
t0=$(date +%s)
(cd / && env PATH=$clean_path /usr/sbin/lanwire lab leased-line) >"$tmp/lab.log" 2>&1
rc=$?
cat "$tmp/lab.log"
t "lanwire lab leased-line from /usr/sbin exits 0 ($(($(date +%s) - t0)) s)" test $rc -eq 0
t "the lab ran /usr/sbin/lanwired" grep -q 'bringing nodes up with /usr/sbin/lanwired$' "$tmp/lab.log"

# ---- 6. man pages ----
for page in $(grep '^/usr/share/man/' "$tmp/files" | grep '\.gz$'); do
	name=$(basename "$page" .gz)
	MANWIDTH=80 man --warnings=all -E UTF-8 -l "$page" >"$tmp/man.out" 2>"$tmp/man.err"
	rc=$?
	echo "man -l $page: exit $rc, $(wc -l <"$tmp/man.out") lines, stderr: $(wc -c <"$tmp/man.err") bytes"
	cat "$tmp/man.err"
	t "man -l $name renders (exit 0, NAME section)" bash -c "[ $rc -eq 0 ] && grep -q '^NAME' '$tmp/man.out'"
	t "man -l $name: no warnings" test ! -s "$tmp/man.err"
	t "man ${name##*.} ${name%.*} finds the installed page" \
		test "$(man -w "${name##*.}" "${name%.*}" 2>/dev/null)" = "$page"
done
t "three man pages installed" test "$(grep -c '^/usr/share/man/.*\.gz$' "$tmp/files")" = 3

# ---- 7. bash completion ----
cp examples/leased-line.conf "$tmp/comp.conf"
cat >"$tmp/comprc" <<'RC'
. /usr/share/bash-completion/bash_completion
_completion_loader lanwire
complete -p lanwire
comp() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _lanwire; echo "[$*] -> ${COMPREPLY[*]}"; }
RC
printf '%s\n' 'comp lanwire st' "comp lanwire -f $tmp/comp.conf up \"\"" \
	"comp lanwire -f $tmp/comp.conf status --" 'comp lanwire p' \
	"comp lanwire -f $tmp/comp.conf policy \"\"" "comp lanwire -f $tmp/comp.conf pin \"\"" \
	"comp lanwire -f $tmp/comp.conf diff --" "comp lanwire -f $tmp/comp.conf diff --git HE" \
	"comp lanwire -f $tmp/comp.conf up z --" "comp lanwire -f $tmp/comp.conf up z --user nob" \
	'exit' |
	env -i HOME="$tmp" TERM=dumb PATH=$clean_path bash --rcfile "$tmp/comprc" -i \
	>"$tmp/comp.out" 2>"$tmp/comp.err"
cat "$tmp/comp.out"
t "bash -i loads the completion from /usr/share/bash-completion" grep -q '^complete -F _lanwire lanwire$' "$tmp/comp.out"
t "completes a command (st -> status)" grep -qx '\[lanwire st\] -> status' "$tmp/comp.out"
t "completes node names (up -> LAN1 LAN2 a c z)" grep -q '^\[lanwire -f .* up \] -> LAN1 LAN2 a c z$' "$tmp/comp.out"
t "completes a command's options (status -- -> --json)" grep -q '^\[lanwire -f .* status --\] -> .*--json' "$tmp/comp.out"
t "completes the new commands (p -> pin policy publish)" grep -qx '\[lanwire p\] -> pin policy publish' "$tmp/comp.out"
t "policy completes node names" grep -q '^\[lanwire -f .* policy \] -> LAN1 LAN2 a c z$' "$tmp/comp.out"
t "pin completes no argument" grep -q '^\[lanwire -f .* pin \] -> $' "$tmp/comp.out"
t "diff completes --against --git --rendered" grep -q '^\[lanwire -f .* diff --\] -> --against .*--git .*--rendered' "$tmp/comp.out"
t "diff --git completes a revision (HE -> HEAD)" grep -q '^\[lanwire -f .* diff --git HE\] -> HEAD$' "$tmp/comp.out"
t "up completes --user" grep -q '^\[lanwire -f .* up z --\] -> .*--user' "$tmp/comp.out"
t "up --user completes user names (nob -> nobody)" grep -q '^\[lanwire -f .* up z --user nob\] -> nobody$' "$tmp/comp.out"

# ---- 8. systemd ----
echo "PID 1 is $(cat /proc/1/comm)"
mkdir -p "$tmp/units/wg-quick@lwpk0.service.d"
cp /lib/systemd/system/lanwire@.service "$tmp/units/lanwire@hub.service"
# verified: exit 0 and nothing printed (it warns on stderr, exit 0).
verified() { local out rc; out=$("$@" 2>&1); rc=$?; echo "$* -> exit $rc${out:+: $out}"; [ $rc -eq 0 ] && [ -z "$out" ]; }
verified systemd-analyze verify "$tmp/units/lanwire@hub.service"
t "systemd-analyze verify lanwire@hub.service: clean" test $? -eq 0
cp /usr/share/doc/lanwire/examples/wg-quick@.service.d/lanwired.conf \
	"$tmp/units/wg-quick@lwpk0.service.d/"
SYSTEMD_UNIT_PATH=$tmp/units: verified systemd-analyze verify wg-quick@lwpk0.service
t "systemd-analyze verify wg-quick@lwpk0 with the lanwired drop-in: clean" test $? -eq 0
t "the drop-in names /usr/sbin/lanwired" grep -qx 'Environment=WG_QUICK_USERSPACE_IMPLEMENTATION=/usr/sbin/lanwired' \
	"$tmp/units/wg-quick@lwpk0.service.d/lanwired.conf"
# The unit under a real systemd, PID 1 of namespaces of its own.
bash tests/pkg/systemd.sh "$TAG" "$tmp" >"$tmp/systemd.log" 2>&1
cat "$tmp/systemd.log"
counts "$tmp/systemd.log" systemd
# The unit's commands under its sandbox: unit.sh's counts join these.
bash tests/pkg/unit.sh "$TAG" "$tmp" /lib/systemd/system/lanwire@.service >"$tmp/unit.log" 2>&1
cat "$tmp/unit.log"
counts "$tmp/unit.log" unit

# ---- 9. remove, then purge ----
dpkg -r lanwire >"$tmp/purge.log" 2>&1
t "dpkg -r exits 0" test $? -eq 0
t "dpkg -r removed the programs" test ! -e /usr/sbin/lanwire -a ! -e /usr/sbin/lanwired
dpkg -P lanwire >>"$tmp/purge.log" 2>&1
rc=$?
cat "$tmp/purge.log"
t "dpkg -P exits 0" test $rc -eq 0
installed=0
t "dpkg-query knows no lanwire" bash -c "! dpkg-query -W -f='\${Status}' lanwire 2>/dev/null | grep -q installed"
left=()
n=0
while read -r p; do
	n=$((n + 1))
	[ "$p" = /. ] && continue # dpkg -L's first line, the root
	[ -e "$p" ] || continue
	# A directory the package shared with others (/usr, /lib/systemd/...)
	# stays; one only it owned must go.
	[ -d "$p" ] && dpkg -S "$p" >/dev/null 2>&1 && continue
	left+=("$p")
done < <(cat "$tmp/files"; printf '%s\n' /etc/lanwire /run/lanwire \
	/lib/systemd/system/lanwire@.service \
	/usr/share/bash-completion/completions/lanwire \
	/etc/systemd/system/multi-user.target.wants/lanwire@hub.service \
	/var/lib/dpkg/info/lanwire.list /var/lib/dpkg/info/lanwire.md5sums)
echo "checked after purge: $n paths (the package's $(wc -l <"$tmp/files") and 7 more); left: ${left[*]:-none}"
t "nothing of the package left after purge" test ${#left[@]} -eq 0
t "no lanwired running from /usr/sbin" bash -c '! pgrep -f "^/usr/sbin/lanwired"'
finish
