// SPDX-License-Identifier: MIT
/*
 * The lab for overlay descriptions (lab.h, issue 11 item 4): several
 * hubs, [link]s, BIRD. lab.c hands a scenario whose struct lab_scenario
 * names an overlay measurement here instead of to the probe matrix:
 *
 *   1. the lab copy of the description (lab_desc.c, which also names the
 *      link interfaces lwk + tag) and its keys (lab_up.c)
 *   2. namespaces: "wan", a bridge on 203.0.113.0/24 (hubs at their lab
 *      endpoints .1.., gateways at .101..; a site's public-address is an
 *      extra address on its gateway, routed on-link by every router); one
 *      namespace per router; one test host per site ("h" + site index)
 *      at its LAN's .10 behind the gateway's lan-address (else .1)
 *   3. per router a holder: a process in the router's namespace with a
 *      private mount namespace and a tmpfs on /var/run/wireguard (both
 *      ends of a link use the same interface name, and the UAPI socket
 *      directory is otherwise shared machine-wide); every router command
 *      runs by nsenter into it (network and mount)
 *   4. `lanwire -f lab.conf up NODE` on every router, as tests/overlay
 *      does; then the scenario's measurement (lab_direct.c, ...)
 *
 * Steps are short bash scripts (lab_ov_sh()) with helper functions
 * defined in their preamble: in_ns NODE, in_r ROUTER, lw VERB ROUTER,
 * bg CMD (background, pid recorded), gap_ms FILE, pinged NAME SECS
 * ACTION AT. Cleanup (lab_ov_cleanup(), from lab.c's, also on signals):
 * the lab's own descendants (a step cut short by a signal), the recorded
 * background pids, then every process left in the lab's
 * namespaces (the daemons, BIRD, the holders), by pid; lab.c then
 * deletes the namespaces and the directory.
 *
 * Ownership: struct lab_ov lives in struct lab (lab.h).
 */
#include "lab.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "overlay.h"
#include "txn.h"

#define OV_PREAMBLE                                                         \
	"in_ns() { local n=$1; shift; ip netns exec \"$NS-$n\" \"$@\"; }\n"  \
	"in_r() { local r=$1; shift; nsenter -t \"$(cat \"$DIR/holder-$r\")\"" \
	" -n -m \"$@\"; }\n"                                                \
	"lw() { in_r \"$2\" \"$LW\" -f \"$CONF\" -k \"$KEYS\" \"$1\" "       \
	"${LWUSER:+--user \"$LWUSER\"} --daemon \"$DAEMON\" "            \
	"--run-dir \"$DIR/run-$2\" \"$2\"; }\n"                             \
	"bg() { \"$@\" >/dev/null 2>&1 & echo $! >>\"$DIR/bg.pids\"; }\n"    \
	"gap_ms() { awk '/bytes from/ { t = substr($1, 2, length($1) - 2) "  \
	"+ 0; if (have && t - last > gap) gap = t - last; last = t; have = 1 " \
	"} END { printf \"%d\\n\", gap * 1000 }' \"$1\"; }\n"                 \
	"pinged() { local p; in_ns \"$H1\" ping -D -n -i 0.01 -w \"$2\" "    \
	"\"$H2ADDR\" >\"$DIR/ping-$1\" 2>&1 & p=$!; sleep \"$4\"; eval "     \
	"\"$3\"; wait $p; gap_ms \"$DIR/ping-$1\" >\"$DIR/gap-$1\"; }\n"

/* For lab_ov_step(): a_dev (the interface A routes site 1's test host
 * into), a_link_to IP (A's link interface whose peer endpoint is IP),
 * hub_window SECS NAME (every hub captures LAN packets on all its
 * interfaces for SECS into hub-NAME-HUB.pcap; their count into
 * count-NAME). */
#define OV_STEP_FUNCS                                                      \
	"a_dev() { in_r $A ip route get \"$H2ADDR\" | "                   \
	"sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -1; }\n"            \
	"a_link_to() { in_r $A wg show all endpoints | "                   \
	"awk -v ip=\"$1:\" 'index($3, ip) == 1 { print $1; exit }'; }\n"     \
	"hub_window() { local h n=0; for h in $HUBS; do in_ns ${h%%:*} "    \
	"timeout $1 tcpdump -i any -n -s 96 -U -w \"$DIR/hub-$2-${h%%:*}"  \
	".pcap\" $NETS >/dev/null 2>&1 & done; wait\n"                      \
	"for h in $HUBS; do n=$((n + $(tcpdump -r \"$DIR/hub-$2-${h%%:*}"   \
	".pcap\" -n 2>/dev/null | wc -l))); done; echo $n >count-$2; }\n"

static const char receiver_py[] =
	"import hashlib, socket, sys\n"
	"s = socket.socket()\n"
	"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
	"s.bind(('0.0.0.0', 5001)); s.listen(1); c, _ = s.accept()\n"
	"h = hashlib.sha256(); n = 0\n"
	"while True:\n"
	"    b = c.recv(65536)\n"
	"    if not b: break\n"
	"    h.update(b); n += len(b)\n"
	"open(sys.argv[1], 'w').write('%s %d\\n' % (h.hexdigest(), n))\n";

static const char sender_py[] =
	"import hashlib, os, socket, sys, time\n"
	"c = socket.create_connection((sys.argv[3], 5001), timeout=60)\n"
	"h = hashlib.sha256(); n = 0\n"
	"while not os.path.exists(sys.argv[2]):\n"
	"    b = os.urandom(32768); c.sendall(b); h.update(b); n += len(b)\n"
	"    time.sleep(0.015)\n"
	"c.shutdown(socket.SHUT_WR); c.recv(1); c.close()\n"
	"open(sys.argv[1], 'w').write('%s %d\\n' % (h.hexdigest(), n))\n";

int lab_ov_sh(struct lab *l, const char *fmt, ...)
{
	struct lw_buf b = { 0 };
	const char *argv[] = { "bash", "-c", NULL, NULL };
	char *body = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (!body)
		return -1;
	buf_printf(&b, "LW='%s' DIR='%s' CONF='%s/lab.conf' KEYS='%s/keys' "
		       "DAEMON='%s' LWUSER='%s' NS='%s%s' I='lwv%s' H1='%s' "
		       "H2ADDR='%s'\n"
		       "cd \"$DIR\" || exit 1\n%s%s",
		   l->ov.self, l->dir, l->dir, l->dir, l->daemon,
		   l->user ? l->user : "", LAB_NS_PREFIX, l->tag, l->tag, l->ov.h1, l->ov.h2addr,
		   OV_PREAMBLE, body);
	free(body);
	if (b.oom) {
		buf_free(&b);
		return -1;
	}
	argv[2] = buf_str(&b);
	r = lab_cmd(l, NULL, argv);
	buf_free(&b);
	return r;
}

long long lab_ov_num(struct lab *l, const char *name, long long def)
{
	char path[400], *text = NULL, *end;
	size_t len;
	long long v;

	snprintf(path, sizeof(path), "%s/%s", l->dir, name);
	if (lw_read_file(path, &text, &len, 4096))
		return def;
	v = strtoll(text, &end, 10);
	if (end == text)
		v = def;
	free(text);
	return v;
}

/* The first line of DIR/name into out ("" if none). */
void lab_ov_line(struct lab *l, const char *name, char *out, size_t size)
{
	char path[400], *text = NULL;
	size_t len;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", l->dir, name);
	if (lw_read_file(path, &text, &len, 4096))
		return;
	text[strcspn(text, "\n")] = '\0';
	snprintf(out, size, "%s", text);
	free(text);
}

/* The preferred hub (the cheapest), its WAN address and interface. */
static size_t preferred_hub(const struct lw_desc *d, unsigned int *ordinal)
{
	size_t i, best = SIZE_MAX;
	unsigned int k = 0;

	for (i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].role != LW_ROLE_HUB)
			continue;
		if (best == SIZE_MAX ||
		    overlay_hub_cost(d, i) < overlay_hub_cost(d, best)) {
			best = i;
			*ordinal = k;
		}
		k++;
	}
	return best;
}

int lab_ov_step(struct lab *l, const char *body)
{
	const struct lw_desc *d = l->d;
	char n0[LW_PREFIX_STRLEN], n1[LW_PREFIX_STRLEN];
	struct lw_buf hubs = { 0 };
	unsigned int z1_ord = 0;
	size_t i, z1 = preferred_hub(d, &z1_ord);
	int r;

	for (i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].role == LW_ROLE_HUB)
			buf_printf(&hubs, "%s:%zu ", d->nodes[i].name, i);
	}
	prefix_format(n0, sizeof(n0), &d->sites[0].lans[0].p);
	prefix_format(n1, sizeof(n1), &d->sites[1].lans[0].p);
	r = lab_ov_sh(l, "A=%s C=%s HUBS='%s' LAN2=%s NETS='net %s or net %s'"
			 "\nZ1=%s Z1WAN=203.0.113.%u Z1IF=\"${I}%zu\"\n%s%s",
		      d->nodes[d->sites[0].gateway].name,
		      d->nodes[d->sites[1].gateway].name,
		      hubs.oom ? "" : buf_str(&hubs), n1, n0, n1,
		      z1 < d->n_nodes ? d->nodes[z1].name : "none", z1_ord + 1,
		      z1, OV_STEP_FUNCS, body);
	buf_free(&hubs);
	return r;
}

static int add_ns(struct lab *l, const char *part)
{
	char ns[128];

	if (l->n_ns >= LAB_MAX_NS)
		return -1;
	lab_ns_name(l, ns, sizeof(ns), part);
	if (lab_ip(l, NULL, "netns", "add", ns, NULL))
		return -1;
	snprintf(l->ns[l->n_ns++], sizeof(l->ns[0]), "%s", ns);
	return 0;
}

/* Router r (a node index) on the internet bridge at address wan. */
static int add_router(struct lab *l, size_t r, const char *wan)
{
	const char *name = l->d->nodes[r].name;

	if (add_ns(l, name))
		return -1;
	return lab_ov_sh(l,
		"ip link add \"${I}%zu\" type veth peer name \"${I}%zuw\" &&\n"
		"ip link set \"${I}%zu\" netns \"$NS-%s\" &&\n"
		"ip link set \"${I}%zuw\" netns \"$NS-wan\" &&\n"
		"in_ns wan ip link set \"${I}%zuw\" master \"${I}br\" up &&\n"
		"in_ns %s ip addr add %s/24 dev \"${I}%zu\" &&\n"
		"in_ns %s ip link set \"${I}%zu\" up && in_ns %s ip link set lo up\n"
		"in_ns %s sysctl -q -w net.ipv4.ip_forward=1\n"
		"ip netns exec \"$NS-%s\" unshare -m --propagation private sh -c "
		"'mount -t tmpfs lwlab /var/run/wireguard && exec sleep 100000' "
		">/dev/null 2>&1 &\necho $! >\"$DIR/holder-%s\"\n"
		"for i in $(seq 30); do in_r %s true 2>/dev/null && exit 0; "
		"sleep 0.1; done; exit 1",
		r, r, r, name, r, r, name, wan, r, name, r, name, name, name,
		name, name);
}

/* The test host of site k (IPv4 LAN first): h<k> at the LAN's .10 behind
 * its gateway's lan-address, else the LAN's .1 (added here). */
static int add_site_host(struct lab *l, size_t k)
{
	const struct lw_site *s = &l->d->sites[k];
	const char *gw = l->d->nodes[s->gateway].name;
	char part[24], host[LW_PREFIX_STRLEN], gwa[LW_PREFIX_STRLEN];
	struct lw_prefix p = s->lans[0].p, g;
	unsigned int bits = p.len;

	snprintf(part, sizeof(part), "h%zu", k);
	if (p.family != AF_INET || add_ns(l, part))
		return -1;
	g = p;
	p.addr[3] = (uint8_t)(p.addr[3] + 10);
	g.addr[3] = (uint8_t)(g.addr[3] + 1);
	addr_format(host, sizeof(host), &p);
	addr_format(gwa, sizeof(gwa), s->lan_address[0].p.family ?
					      &s->lan_address[0].p : &g);
	if (k < 2)
		snprintf(k ? l->ov.h2addr : l->ov.h1addr,
			 sizeof(l->ov.h1addr), "%s", host);
	if (k == 0)
		snprintf(l->ov.h1, sizeof(l->ov.h1), "%s", part);
	return lab_ov_sh(l,
		"ip link add \"${I}h%zu\" type veth peer name \"${I}h%zug\" &&\n"
		"ip link set \"${I}h%zu\" netns \"$NS-%s\" &&\n"
		"ip link set \"${I}h%zug\" netns \"$NS-%s\" &&\n"
		"in_ns %s ip addr add %s/%u dev \"${I}h%zu\" &&\n"
		"in_ns %s ip link set \"${I}h%zu\" up && in_ns %s ip link set lo up"
		" &&\nin_ns %s ip route add default via %s &&\n"
		"in_ns %s ip addr add %s/%u dev \"${I}h%zug\" &&\n"
		"in_ns %s ip link set \"${I}h%zug\" up",
		k, k, k, part, k, gw, part, host, bits, k, part, k, part, part,
		gwa, gw, gwa, bits, k, gw, k);
}

/* A site's public-address: on its gateway, and on-link for the others. */
static int public_addresses(struct lab *l)
{
	char a[LW_PREFIX_STRLEN];
	size_t i, j;

	for (i = 0; i < l->d->n_nodes; i++) {
		const struct lw_node *n = &l->d->nodes[i];

		if (n->role != LW_ROLE_GATEWAY || !n->has_public_address)
			continue;
		addr_format(a, sizeof(a), &n->public_address.addr);
		if (lab_ov_sh(l, "in_ns %s ip addr add %s/32 dev \"${I}%zu\"",
			      n->name, a, i))
			return -1;
		for (j = 0; j < l->d->n_nodes; j++) {
			if (j == i || l->d->nodes[j].role == LW_ROLE_CLIENT)
				continue;
			if (lab_ov_sh(l, "in_ns %s ip route add %s/32 dev \"${I}%zu\"",
				      l->d->nodes[j].name, a, j))
				return -1;
		}
	}
	return 0;
}

static int write_scripts(struct lab *l)
{
	struct lw_txn t;
	char p1[400], p2[400];
	int r;

	snprintf(p1, sizeof(p1), "%s/recv.py", l->dir);
	snprintf(p2, sizeof(p2), "%s/send.py", l->dir);
	txn_init(&t);
	r = txn_add(&t, p1, receiver_py, strlen(receiver_py), 0644, false);
	if (!r)
		r = txn_add(&t, p2, sender_py, strlen(sender_py), 0644, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	return r ? -1 : 0;
}

static int build(struct lab *l)
{
	char wan[32];
	size_t i, hubs = 0, gws = 0;

	if (add_ns(l, "wan") ||
	    lab_ov_sh(l, "in_ns wan ip link add \"${I}br\" type bridge && "
			 "in_ns wan ip link set \"${I}br\" up"))
		return -1;
	for (i = 0; i < l->d->n_nodes; i++) {
		enum lw_role role = l->d->nodes[i].role;

		if (role == LW_ROLE_CLIENT)
			continue;
		/* hubs where lab_desc.c put their endpoints */
		snprintf(wan, sizeof(wan), "203.0.113.%zu",
			 role == LW_ROLE_HUB ? 1 + hubs++ : 101 + gws++);
		if (add_router(l, i, wan))
			return -1;
	}
	for (i = 0; i < l->d->n_sites; i++) {
		if (add_site_host(l, i))
			return -1;
	}
	return public_addresses(l) || write_scripts(l);
}

/* Processes and RSS in router r's namespace (its holder excluded), in
 * all and per program, into the progress lines. */
static void resources(struct lab *l, const char *r)
{
	char line[512], name[64];

	snprintf(name, sizeof(name), "res-%s", r);
	lab_ov_sh(l, "for p in $(ip netns pids \"$NS-%s\" | grep -vx "
		     "\"$(cat holder-%s)\"); do echo \"$(cat /proc/$p/comm) "
		     "$(awk '/^VmRSS/ { print $2 }' /proc/$p/status)\"; done | "
		     "awk '{ n[$1]++; kb[$1] += $2; all += $2; c++ } END { "
		     "printf \"%%d processes, RSS %%d kB:\", c, all; for (x in n)"
		     " printf \" %%s x%%d %%d kB;\", x, n[x], kb[x] }' >%s",
		  r, r, name);
	lab_ov_line(l, name, line, sizeof(line));
	lab_progress(l, "%s: %s", r, line);
}

static int routers_up(struct lab *l)
{
	size_t i;

	for (i = 0; i < l->d->n_nodes; i++) {
		const char *name = l->d->nodes[i].name;

		if (l->d->nodes[i].role == LW_ROLE_CLIENT)
			continue;
		lab_progress(l, "lanwire up %s", name);
		if (lab_ov_sh(l, "lw up %s", name))
			return -1;
	}
	return 0;
}

int lab_ov_transfer_start(struct lab *l)
{
	return lab_ov_sh(l,
		"rm -f stop sent.sha recv.sha\n"
		"bg in_ns h1 python3 \"$DIR/recv.py\" \"$DIR/recv.sha\"\n"
		"sleep 0.5\n"
		"bg in_ns h0 python3 \"$DIR/send.py\" \"$DIR/sent.sha\" "
		"\"$DIR/stop\" \"$H2ADDR\"");
}

bool lab_ov_transfer_stop(struct lab *l)
{
	char sent[128], recv[128];

	lab_ov_sh(l, "touch stop; for i in $(seq 100); do [ -s sent.sha ] && "
		     "[ -s recv.sha ] && exit 0; sleep 0.1; done; exit 1");
	lab_ov_line(l, "sent.sha", sent, sizeof(sent));
	lab_ov_line(l, "recv.sha", recv, sizeof(recv));
	lab_progress(l, "transfer: sent '%s', received '%s'", sent, recv);
	return sent[0] && !strcmp(sent, recv);
}

/* The internet side of every hub, captured for the whole run. */
int lab_ov_capture_wan(struct lab *l)
{
	return lab_ov_step(l, "for h in $HUBS; do bg in_ns ${h%%:*} tcpdump -i "
		      "\"$I${h##*:}\" -n -s 96 -U -w \"$DIR/wan-${h%%:*}.pcap\";"
		      " done; sleep 1");
}

bool lab_ov_no_plaintext(struct lab *l)
{
	lab_ov_step(l, "kill $(cat bg.pids) 2>/dev/null; rm -f bg.pids; sleep 0.5\n"
	       "t=0 p=0; for h in $HUBS; do f=\"$DIR/wan-${h%%:*}.pcap\"\n"
	       "t=$((t + $(tcpdump -r $f -n 2>/dev/null | wc -l)))\n"
	       "p=$((p + $(tcpdump -r $f -n $NETS 2>/dev/null | wc -l))); done\n"
	       "echo $t >wan.total; echo $p >wan.plain");
	lab_progress(l, "hubs' internet side: %lld packets, %lld of a LAN",
		     lab_ov_num(l, "wan.total", -1),
		     lab_ov_num(l, "wan.plain", -1));
	return lab_ov_num(l, "wan.total", 0) > 0 &&
	       lab_ov_num(l, "wan.plain", -1) == 0;
}

void lab_ov_check(struct lab *l, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		l->passed++;
	else
		l->failed++;
	fputs(ok ? "PASS " : "FAIL ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int ov_steps(struct lab *l)
{
	ssize_t n = readlink("/proc/self/exe", l->ov.self,
			     sizeof(l->ov.self) - 1);
	char *daemon;

	if (n <= 0)
		return -1;
	l->ov.self[n] = '\0';
	/* the steps run in the lab's directory: an absolute daemon path */
	daemon = strchr(l->daemon, '/') ? realpath(l->daemon, NULL) : NULL;
	if (daemon) {
		snprintf(l->daemon, sizeof(l->daemon), "%s", daemon);
		free(daemon);
	}
	if (lab_describe(l) || lab_keys(l))
		return -1;
	if (l->d->n_sites < 2) {
		lab_progress(l, "an overlay scenario needs two sites");
		return -1;
	}
	lab_progress(l, "building namespaces %s%s-*", LAB_NS_PREFIX, l->tag);
	if (build(l) || routers_up(l))
		return -1;
	lab_progress(l, "waiting for %s -> %s", l->ov.h1addr, l->ov.h2addr);
	if (lab_ov_sh(l, "for i in $(seq 150); do in_ns h0 ping -c1 -W1 "
			 "\"$H2ADDR\" >/dev/null 2>&1 && exit 0; sleep 0.2; "
			 "done; exit 1")) {
		lab_ov_check(l, false, "LAN1 -> LAN2 never worked");
		return -1;
	}
	lab_ov_check(l, true, "%s -> %s through the overlay", l->ov.h1addr,
		     l->ov.h2addr);
	for (n = 0; n < (ssize_t)l->d->n_nodes; n++) {
		if (l->d->nodes[n].role != LW_ROLE_CLIENT)
			resources(l, l->d->nodes[n].name);
	}
	return l->sc->overlay(l);
}

/* A run that could not be built or measured counts as a failure in the
 * scenario's JSON too. */
int lab_ov_run(struct lab *l)
{
	int r = ov_steps(l);

	if (r)
		l->failed++;
	return r;
}

#define MAX_PROCS 8192

/* Every descendant of this process, SIGKILLed: on a signal, the step
 * that was running (its bash and what it started) would otherwise go on
 * in namespaces about to be deleted. None are left after a normal run. */
static void kill_descendants(void)
{
	static pid_t pid[MAX_PROCS], ppid[MAX_PROCS];
	static bool mine[MAX_PROCS];
	char path[300], buf[512], *p;
	struct dirent *e;
	size_t n = 0, i, j;
	bool more = true;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && n < MAX_PROCS && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    !(f = fopen(path, "r")))
			continue;
		/* "pid (comm) state ppid": comm may hold spaces */
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
			pid[n] = (pid_t)atoi(buf);
			ppid[n] = (pid_t)atoi(p + 4);
			mine[n++] = false;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	while (more) {
		more = false;
		for (i = 0; i < n; i++) {
			for (j = 0; !mine[i] && j < n; j++) {
				if (ppid[i] == getpid() ||
				    (mine[j] && ppid[i] == pid[j]))
					more = mine[i] = true;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (mine[i])
			kill(pid[i], SIGKILL);
	}
}

void lab_ov_cleanup(struct lab *l)
{
	size_t i;

	if (!l->sc->overlay || !l->dir[0])
		return;
	kill_descendants();
	lab_ov_sh(l, "[ -s bg.pids ] && kill $(cat bg.pids) 2>/dev/null; "
		     "rm -f bg.pids; exit 0");
	for (i = 0; i < l->n_ns; i++)
		lab_ov_sh(l, "p=$(ip netns pids '%s'); [ -z \"$p\" ] && exit 0\n"
			     "kill $p 2>/dev/null; sleep 0.3; "
			     "kill -9 $(ip netns pids '%s') 2>/dev/null; exit 0",
			  l->ns[i], l->ns[i]);
}
