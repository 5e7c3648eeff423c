# SPDX-License-Identifier: MIT
# Changing a network safely: sourced by run.sh, whose helpers (lw, ok,
# bad, check, expect_eq, expect_line, keys_of) and $WORK it uses.
#
#   renumber  for every example and two-hubs.conf, as written and with
#             every address and listen port taken out: each node removed
#             in turn (lanwire remove, after dropping the rules that name
#             it) moves no other node's address or port; on the pinned
#             file, removing a section by hand moves none either, and
#             neither does inserting a node in the middle of the file
#   pin       pin writes exactly the implicit values, keeps comments and
#             indentation, is idempotent; keys pins the nodes it makes
#             keys for and no others
#   diff      add, remove, a hand edit: the exact "nodes to redeploy"
#             lines, lanwire diff --against, --git and --rendered
#   node keys per-node keepalive and client dns in the rendered files

# ---- renumber ----

# "NODE Address = ... ListenPort = ..." per node rendered under $1. The
# overlay's link interfaces (lwl*.conf) are left out: links are numbered
# in description order and not pinned yet, so adding or removing a router
# renumbers the links after it (docs/overlay.md, "Not yet").
dump() {
	local d f files
	for d in "$1"/*/; do
		files=()
		for f in "$d"/*.conf; do
			case $(basename "$f") in lwl*) ;; *) files+=("$f") ;; esac
		done
		printf '%s %s %s\n' "$(basename "$d")" \
			"$(grep -h '^Address' "${files[@]}")" \
			"$(grep -h '^ListenPort' "${files[@]}")"
	done
}

# The sections of a description: "hub NAME", "site NAME", "client NAME".
sections() {
	sed -n 's/^\[\(hub\|site\|client\) \([^] ]*\)\].*/\1 \2/p' "$1"
}

# The gateway node of site $2 in $1.
gateway_of() {
	awk -v s="$2" '
		/^\[/ { in_s = ($0 == "[site " s "]") }
		in_s && /^gateway *=/ { sub(/^gateway *= */, ""); g = $0 }
		END { print (g != "" ? g : s) }' "$1"
}

# The group of client $2 in $1 when it is that group's only member (the
# group goes with it, so rules naming it must go too); else $2 itself.
last_group_of() {
	awk -v c="$2" '
		/^\[/ { cur = $0 }
		/^group *=/ { g = $0; sub(/^group *= */, "", g); n[g]++
			if (cur == "[client " c "]") mine = g }
		END { print (mine != "" && n[mine] == 1 ? mine : c) }' "$1"
}

# Drops from $1 the policy, visits and hub = lines that name $2 or $3:
# what a user edits before removing a node the policy names.
drop_refs() {
	awk -v a="$2" -v b="$3" '
		function names(line,  n, i, w) {
			gsub(/<->|->/, " ", line)
			n = split(line, w, /[ ,=:]+/)
			for (i = 1; i <= n; i++)
				if (w[i] == a || w[i] == b)
					return 1
			return 0
		}
		/^(allow|visits|hub|service|ssh) *=/ && names($0) { next }
		{ print }' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

# $1 with every address and listen-port line taken out.
strip_identity() {
	grep -Ev '^(address|listen-port) *=' "$1"
}

# Renders $1 with keys $2 into $3 and dumps it into $3.dump.
render_dump() {
	rm -rf "$3"
	lw -f "$1" -k "$2" render --all -o "$3" >/dev/null 2>"$3.err" &&
		dump "$3" >"$3.dump"
}

# Whether dump $2 (after) keeps every line of dump $1 (before) for the
# nodes it still has, and has exactly $3 nodes.
same_nodes_kept() {
	local moved
	moved=$(awk 'NR == FNR { before[$1] = $0; next }
		($1 in before) && before[$1] != $0 { print $1 }' "$1" "$2")
	[ -z "$moved" ] && [ "$(wc -l <"$2")" -eq "$3" ] ||
		{ echo "  moved: $moved"; return 1; }
}

# One example in one variant: every section removed in turn with
# lanwire remove. Hubs with spokes are refused by remove and skipped.
renumber_removals() { # NAME CONF KEYS
	local name=$1 conf=$2 keys=$3 d=$WORK/renumber/$1
	local kind sect gw n total fails=0 tried=0 skipped=""
	mkdir -p "$d"
	if ! render_dump "$conf" "$keys" "$d/before"; then
		bad "renumber $name: renders"
		cat "$d/before.err"
		return
	fi
	total=$(wc -l <"$d/before.dump")
	while read -r kind sect; do
		gw=$sect
		[ "$kind" = site ] && gw=$(gateway_of "$conf" "$sect")
		[ "$kind" = client ] && gw=$(last_group_of "$conf" "$sect")
		cp "$conf" "$d/f.conf"
		rm -rf "$d/k" && cp -r "$keys" "$d/k"
		drop_refs "$d/f.conf" "$sect" "$gw"
		if ! lw -f "$d/f.conf" -k "$d/k" remove "$sect" \
			>"$d/remove.out" 2>&1; then
			if [ "$kind" = hub ] &&
				grep -q 'connects to hub' "$d/remove.out"; then
				skipped="$skipped $sect"
				continue
			fi
			cat "$d/remove.out"
			fails=$((fails + 1))
			continue
		fi
		tried=$((tried + 1))
		# Spokes of a removed hub moved to another: their pair keys.
		lw -f "$d/f.conf" -k "$d/k" keys >/dev/null 2>&1
		if ! render_dump "$d/f.conf" "$d/k" "$d/after" ||
			! same_nodes_kept "$d/before.dump" "$d/after.dump" \
				$((total - 1)); then
			echo "  removing $sect moved a node:"
			diff "$d/before.dump" "$d/after.dump"
			fails=$((fails + 1))
		fi
	done < <(sections "$conf")
	n=$(sections "$conf" | wc -l)
	if [ $fails -eq 0 ] && [ $((tried + $(echo $skipped | wc -w))) -eq "$n" ]; then
		ok "renumber $name: $tried removals, no other node moved (hubs with spokes refused:${skipped:- none})"
	else
		bad "renumber $name: $fails removals moved a node or failed"
	fi
}

# The pinned file: each section removed by hand, and a client inserted
# right after the first hub. None may move another node.
renumber_by_hand() { # NAME CONF KEYS
	local name=$1 conf=$2 keys=$3 d=$WORK/renumber/$1-hand
	local kind sect gw total fails=0 tried=0
	mkdir -p "$d"
	cp "$conf" "$d/pinned.conf"
	lw -f "$d/pinned.conf" -k "$keys" pin >/dev/null
	render_dump "$d/pinned.conf" "$keys" "$d/before" || {
		bad "renumber $name by hand: renders"
		return
	}
	total=$(wc -l <"$d/before.dump")
	while read -r kind sect; do
		[ "$kind" = hub ] && continue # spokes would lose their hub
		gw=$sect
		[ "$kind" = site ] && gw=$(gateway_of "$conf" "$sect")
		[ "$kind" = client ] && gw=$(last_group_of "$conf" "$sect")
		cp "$d/pinned.conf" "$d/f.conf"
		drop_refs "$d/f.conf" "$sect" "$gw"
		awk -v h="[$kind $sect]" '/^\[/ { skip = ($0 == h) } !skip' \
			"$d/f.conf" >"$d/g.conf"
		tried=$((tried + 1))
		if ! render_dump "$d/g.conf" "$keys" "$d/after" ||
			! same_nodes_kept "$d/before.dump" "$d/after.dump" \
				$((total - 1)); then
			echo "  removing [$kind $sect] by hand moved a node:"
			cat "$d/after.err"
			diff "$d/before.dump" "$d/after.dump"
			fails=$((fails + 1))
		fi
	done < <(sections "$conf")
	if [ $fails -eq 0 ]; then
		ok "renumber $name, pinned: $tried sections removed by hand, no other node moved"
	else
		bad "renumber $name, pinned: $fails hand removals moved a node"
	fi
	# A client inserted in the middle: before the first site or client.
	awk '/^\[(site|client) / && !done { print "[client inserted]"
		done = 1 } { print }' \
		"$d/pinned.conf" >"$d/ins.conf"
	rm -rf "$d/k" && cp -r "$keys" "$d/k"
	if lw -f "$d/ins.conf" -k "$d/k" keys >/dev/null 2>&1 &&
		render_dump "$d/ins.conf" "$d/k" "$d/ins" &&
		same_nodes_kept "$d/before.dump" "$d/ins.dump" $((total + 1)); then
		ok "renumber $name, pinned: a client inserted mid-file moved no node"
	else
		cat "$d/ins.err" 2>/dev/null
		bad "renumber $name, pinned: inserting a client moved a node"
	fi
}

# add on the file with nothing written: a site lands before the clients
# in file order, yet moves none of them (add pins them first).
renumber_add() { # NAME CONF KEYS
	local name=$1 conf=$2 keys=$3 d=$WORK/renumber/$1-add total
	mkdir -p "$d"
	render_dump "$conf" "$keys" "$d/before" || return
	total=$(wc -l <"$d/before.dump")
	cp "$conf" "$d/f.conf"
	rm -rf "$d/k" && cp -r "$keys" "$d/k"
	if lw -f "$d/f.conf" -k "$d/k" add site added --lan 10.123.0.0/24 \
		>/dev/null 2>"$d/add.err" &&
		render_dump "$d/f.conf" "$d/k" "$d/after" &&
		same_nodes_kept "$d/before.dump" "$d/after.dump" $((total + 1)); then
		ok "renumber $name: add site moved no node"
	else
		cat "$d/add.err"
		bad "renumber $name: add site moved a node"
	fi
}

test_renumber() {
	local ex conf keys d=$WORK/renumber
	mkdir -p "$d"
	# two-hubs.conf has no committed keys: make them on a copy.
	cp "$HERE/two-hubs.conf" "$d/two-hubs-keys.conf"
	lw -f "$d/two-hubs-keys.conf" -k "$d/two-hubs.keys" keys >/dev/null
	for ex in "${EXAMPLES[@]}" two-hubs; do
		if [ "$ex" = two-hubs ]; then
			conf=$HERE/two-hubs.conf keys=$d/two-hubs.keys
		else
			conf=$ROOT/examples/$ex.conf keys=$(keys_of "$ex")
		fi
		strip_identity "$conf" >"$d/$ex-implicit.conf"
		renumber_removals "$ex" "$conf" "$keys"
		renumber_removals "$ex-implicit" "$d/$ex-implicit.conf" "$keys"
		renumber_by_hand "$ex-implicit" "$d/$ex-implicit.conf" "$keys"
		renumber_add "$ex-implicit" "$d/$ex-implicit.conf" "$keys"
	done
}

# ---- pin ----

test_pin() {
	local d=$WORK/pin f=$WORK/pin/net.conf
	mkdir -p "$d"
	cat >"$f" <<-'EOF'
	# my network
	[network]
	tunnel = 10.9.0.0/16, fd00:9::/64
	[hub z]   # the VPS
	  endpoint = 198.51.100.1:51820
	  # comment kept under the keys

	[site home]
	lan = 192.168.1.0/24
	address = fd00:9::2
	[client e]
	; nothing but a comment
	[policy]
	allow = e -> home
	EOF
	lw -f "$f" -k "$d/none" check >/dev/null 2>"$d/check.err"
	expect_line "check warns about implicit values" "$d/check.err" \
		"$f:4: warning: 3 nodes (z, home, e) have an address or listen port the description does not write, which can move when the file is edited; lanwire pin writes them in"
	expect_eq "pin says what it wrote" \
		"$(lw -f "$f" -k "$d/none" pin 2>&1)" \
		"pin: wrote the addresses and ports of 3 nodes into $f"
	cat >"$d/want.conf" <<-'EOF'
	# my network
	[network]
	tunnel = 10.9.0.0/16, fd00:9::/64
	[hub z]   # the VPS
	  endpoint = 198.51.100.1:51820
	  address = 10.9.0.1, fd00:9::1
	  listen-port = 51820
	  # comment kept under the keys

	[site home]
	lan = 192.168.1.0/24
	address = fd00:9::2
	address = 10.9.0.2
	[client e]
	address = 10.9.0.3, fd00:9::3
	; nothing but a comment
	[policy]
	allow = e -> home
	EOF
	check "pin writes exactly the implicit values, comments kept" \
		diff "$d/want.conf" "$f"
	expect_eq "pin again does nothing" \
		"$(lw -f "$f" -k "$d/none" pin 2>&1)" \
		"pin: nothing to do; every address and port is in $f"
	check "no warning left" bash -c \
		"! '$LANWIRE' -f '$f' -k '$d/none' check 2>&1 | grep -q 'lanwire pin'"
	# keys pins the nodes it makes keys for, and only those.
	printf '[client late]\n[client dev]\npublic-key = hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n' \
		>"$d/more"
	sed -i "/^\[policy\]/e cat $d/more" "$f"
	lw -f "$f" -k "$d/keys" keys >"$d/keys.out" 2>&1
	expect_line "keys says it pinned" "$d/keys.out" \
		"keys: addresses and ports of 1 new node written into $f"
	expect_eq "keys pinned late, not dev" \
		"$(sed -n '/^\[client late\]/,/^\[policy\]/p' "$f")" \
		"$(printf '[client late]\naddress = 10.9.0.4, fd00:9::4\n[client dev]\npublic-key = hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n[policy]')"
	lw -f "$f" -k "$d/keys" check >/dev/null 2>"$d/check2.err"
	expect_line "check names the one left" "$d/check2.err" \
		"$f:19: warning: 1 node (dev) has an address or listen port the description does not write, which can move when the file is edited; lanwire pin writes them in"
	check "pin refuses a description with errors (exit 2)" bash -c \
		"printf '[network]\ntunnel = 10.9.0.0/33\n' > '$d/bad.conf';
		 '$LANWIRE' -f '$d/bad.conf' pin; [ \$? = 2 ]"
}

# ---- diff ----

test_diff() {
	local d=$WORK/redeploy f=$WORK/redeploy/star.conf k=$WORK/redeploy/star.keys
	mkdir -p "$d"
	cp "$ROOT/examples/star.conf" "$f"
	cp -r "$(keys_of star)" "$k"
	cp "$f" "$d/before.conf"
	expect_eq "diff of an unchanged file" \
		"$(lw -f "$f" diff --against "$d/before.conf" 2>&1)" \
		"nodes to redeploy: none"
	expect_eq "remove names the nodes to redeploy" \
		"$(lw -f "$f" remove macbook 2>&1)" \
		"remove: macbook is gone from $f, its keys from $k
nodes to redeploy: router, home-gw, office-gw
nodes to take down: macbook"
	expect_eq "diff names their files" \
		"$(lw -f "$f" diff --against "$d/before.conf" 2>&1)" \
		"router: wg0.conf, wg0.nft
home-gw: wg0.nft
office-gw: wg0.nft
macbook: removed
nodes to redeploy: router, home-gw, office-gw
nodes to take down: macbook"
	cp "$f" "$d/before2.conf"
	lw -f "$f" render --all -o "$d/out" >/dev/null
	expect_eq "diff --rendered: nothing since render" \
		"$(lw -f "$f" diff --rendered "$d/out" 2>&1)" \
		"nodes to redeploy: none"
	expect_eq "add names the nodes to redeploy" \
		"$(lw -f "$f" add client tablet --group mobile 2>&1)" \
		"add: tablet is in $f; 2 keys made in $k
nodes to redeploy: router, home-gw, office-gw, tablet"
	expect_eq "diff --format networkd" \
		"$(lw -f "$f" diff --against "$d/before2.conf" --format networkd 2>&1)" \
		"router: wg0.netdev, wg0.network, wg0.nft
home-gw: wg0.nft
office-gw: wg0.nft
tablet: new node
nodes to redeploy: router, home-gw, office-gw, tablet"
	expect_eq "diff --rendered: the files out of date" \
		"$(lw -f "$f" diff --rendered "$d/out" 2>&1)" \
		"router: wg0.conf, wg0.nft
home-gw: wg0.nft
office-gw: wg0.nft
tablet: new node
nodes to redeploy: router, home-gw, office-gw, tablet"
	mkdir "$d/out/ghost"
	rm "$d/out/home-gw/wg0.sysctl"
	echo stale >"$d/out/office-gw/old.txt"
	expect_eq "diff --rendered: a missing file, a stale one, a gone node" \
		"$(lw -f "$f" diff --rendered "$d/out" 2>&1 | head -3)
$(lw -f "$f" diff --rendered "$d/out" 2>&1 | tail -3)" \
		"router: wg0.conf, wg0.nft
home-gw: wg0.nft, wg0.sysctl
office-gw: wg0.nft, old.txt
ghost: removed
nodes to redeploy: router, home-gw, office-gw, tablet
nodes to take down: ghost"
	# A hand edit: the office LAN renumbered. The mobiles' summary
	# (172.19.50.0/23) still covers it: only router and office-gw change.
	if (cd "$d" && git init -q . && git add star.conf &&
		git -c user.name=t -c user.email=t@t commit -qm before); then
		sed -i 's|^lan = 172.19.50.0/24|lan = 172.19.51.0/24|' "$f"
		expect_eq "hand edit: diff --git HEAD" \
			"$(lw -f "$f" diff --git HEAD 2>&1)" \
			"router: wg0.conf, wg0.nft
office-gw: wg0.nft
nodes to redeploy: router, office-gw"
		check "diff --git of an unknown revision fails" bash -c \
			"! '$LANWIRE' -f '$f' diff --git nosuchrev"
	else
		bad "diff: cannot make a git repository"
	fi
	check "diff needs --against or --git (exit 2)" bash -c \
		"'$LANWIRE' -f '$f' diff; [ \$? = 2 ]"
	printf '[network]\ntunnel = 10.9.0.0/33\n' >"$d/bad.conf"
	check "diff against a file with errors (exit 2)" bash -c \
		"'$LANWIRE' -f '$f' diff --against '$d/bad.conf'; [ \$? = 2 ]"
}

# ---- per-node keepalive, client dns ----

test_node_keys() {
	local d=$WORK/nodekeys f=$WORK/nodekeys/n.conf
	mkdir -p "$d"
	cat >"$f" <<-'EOF'
	[network]
	tunnel = 10.9.0.0/16
	[hub z]
	endpoint = 198.51.100.1:51820
	[site hq]
	lan = 10.10.0.0/16
	[client phone]
	keepalive = 0
	dns = 10.10.0.53, corp.example
	[client laptop]
	keepalive = 60
	[policy]
	allow = phone, laptop -> hq
	EOF
	lw -f "$f" keys >/dev/null 2>&1
	lw -f "$f" render --all -o "$d/w" >/dev/null 2>&1
	lw -f "$f" render --all --format networkd -o "$d/n" >/dev/null 2>&1
	expect_eq "keepalive: hub's peers hq, phone, laptop" \
		"$(grep -c '^PersistentKeepalive' "$d/w/z/wg0.conf") $(sed -n 's/^PersistentKeepalive = //p' "$d/w/z/wg0.conf" | tr '\n' ' ')" \
		"2 25 60 "
	check "keepalive = 0: none on the phone" bash -c \
		"! grep -q PersistentKeepalive '$d/w/phone/wg0.conf'"
	expect_line "keepalive = 60 on the laptop" "$d/w/laptop/wg0.conf" \
		"PersistentKeepalive = 60"
	expect_line "dns in wg-quick" "$d/w/phone/wg0.conf" \
		"DNS = 10.10.0.53, corp.example"
	expect_eq "dns in networkd" \
		"$(grep -E '^(DNS|Domains)=' "$d/n/phone/wg0.network" | tr '\n' ' ')" \
		"DNS=10.10.0.53 Domains=corp.example "
	check "no dns for the laptop" bash -c "! grep -q '^DNS' '$d/w/laptop/wg0.conf'"
}
