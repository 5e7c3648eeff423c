// SPDX-License-Identifier: MIT
/*
 * lanwire lab live (lab.h, issue 12 item 5): the control plane measured
 * on seed 000's network plus two Linux laptops on hub z. lab.c builds the
 * namespaces and brings every node up except the laptop that joins
 * (struct lab_scenario.join_client); then, driven only through the
 * lanwire command (this binary) as an admin and the nodes would run it:
 *
 *   publish  the lab's key for laptop1 removed (it makes its own),
 *            `lanwire invite laptop1` publishes epoch 1 into DIR/store;
 *            `serve z` on the hub, an agent on z, a, c and laptop2
 *   sessions a TCP transfer from LAN2's d to LAN1's b starts, and the
 *            hub's latest-handshake of gateways a and c is noted
 *   join_ms  `lanwire join` on laptop1 (the token on its stdin) to its
 *            first TCP connection to b (LAN1)
 *   change_ms `allow = laptops -> LAN2` published to laptop1's first TCP
 *            connection to d (refused before)
 *   rotate_lost_pings laptop1 pings b every 10 ms (500 pings, from 1 s
 *            before the publish to well after the switch 2 s after it)
 *            while it rotates its key (rotate on laptop1, rotate
 *            --public-key --store on the admin's side), as
 *            tests/ctl/run.sh does
 *   revoke_ms `lanwire revoke laptop2` while laptop2 pings b every 10 ms,
 *            to its last answered ping (ping -D time stamps)
 *   sessions_kept the transfer stopped: both sides' sha256 match, and
 *            the hub's latest-handshake of a and c is unchanged
 *
 * Each step is a short bash script run in its namespace through
 * lab_cmd() (its output in the lab's log); the figures are measured here.
 * Background processes write their pid to DIR/live.pids; lab_live_stop()
 * ends them by pid. A step that fails makes the run fail; a figure that
 * misses its goal is only reported, except sessions_kept false.
 *
 * Ownership: struct lab_live lives in struct lab (lab.h).
 */
#include "lab.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "desc.h"
#include "proc.h"
#include "txn.h"

#define HUB_ADDR "10.70.0.1" /* hub z in examples/leased-line.conf */
#define XFER_PORT "7300"
#define JOIN_WAIT_MS 30000
#define CHANGE_WAIT_MS 15000

/* Paths and namespaces of one live run (a view into struct lab). */
struct live_ctx {
	struct lab *l;
	char self[4096];
	char ns_z[128], ns_a[128], ns_c[128], ns_l1[128], ns_l2[128];
	char ns_b[128], ns_d[128];
	const char *b, *d; /* the LAN devices' addresses */
};

static long long now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs a bash script in ns (NULL: here) with the run's variables set:
 * LW (this binary), DIR, CONF, KEYS, STORE. Exit status. */
static int sh(struct live_ctx *x, const char *ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sh(struct live_ctx *x, const char *ns, const char *fmt, ...)
{
	struct lw_buf b = { 0 };
	char *body = NULL;
	const char *argv[] = { "bash", "-c", NULL, NULL };
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (!body)
		return -1;
	buf_printf(&b, "LW='%s' DIR='%s' CONF='%s/lab.conf' KEYS='%s/keys' "
		       "STORE='%s/store'; cd \"$DIR\" || exit 1\n%s",
		   x->self, x->l->dir, x->l->dir, x->l->dir, x->l->dir, body);
	free(body);
	if (b.oom) {
		buf_free(&b);
		return -1;
	}
	argv[2] = buf_str(&b);
	r = lab_cmd(x->l, ns, argv);
	buf_free(&b);
	return r;
}

/* A number from the first line of DIR/NAME, or def. */
static long long read_num(struct live_ctx *x, const char *name, long long def)
{
	char path[400], *text = NULL, *end;
	size_t len;
	long long v;

	snprintf(path, sizeof(path), "%s/%s", x->l->dir, name);
	if (lw_read_file(path, &text, &len, 4096))
		return def;
	v = strtoll(text, &end, 10);
	if (end == text)
		v = def;
	free(text);
	return v;
}

/* A SYN dropped by policy is retried by TCP only after 1 s: each try is
 * cut at 200 ms and a new connection made, so that join_ms and change_ms
 * are not rounded up to a second. */
static bool tcp_ok(struct live_ctx *x, const char *ns, const char *addr)
{
	return !sh(x, ns, "timeout 0.2 bash -c 'echo hi >/dev/tcp/%s/%d' "
			  "2>/dev/null", addr, LAB_PROBE_PORT);
}

/* ms from t0 until ns reaches addr over TCP, or -1 after wait ms. */
static long long time_to_tcp(struct live_ctx *x, const char *ns,
			     const char *addr, long long t0, int wait)
{
	while (now_ms(CLOCK_MONOTONIC) - t0 < wait) {
		if (tcp_ok(x, ns, addr))
			return now_ms(CLOCK_MONOTONIC) - t0;
		lab_sleep_ms(20);
	}
	return -1;
}

static int fail(struct live_ctx *x, const char *what)
{
	/* the logs of the control plane, into the lab's log */
	sh(x, NULL, "for f in serve.log agent-*.log join.log; do [ -e \"$f\" ] "
		    "&& { echo \"--- $f\"; tail -n 15 \"$f\"; }; done");
	lab_progress(x->l, "live: %s", what);
	snprintf(x->l->live.error, sizeof(x->l->live.error), "%s", what);
	return -1;
}

static const char *node_ns(struct live_ctx *x, const char *name)
{
	ssize_t i = desc_find_node(x->l->d, name);
	struct lab_host *h = i < 0 ? NULL : lab_host_of_node(x->l, (size_t)i);

	return h ? h->ns : NULL;
}

static const struct lab_host *host_named(struct lab *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n_hosts; i++) {
		if (!strcmp(l->hosts[i].name, name))
			return &l->hosts[i];
	}
	return NULL;
}

static int find_parts(struct live_ctx *x)
{
	static const char *const names[] = { "z", "a", "c", "laptop1",
					     "laptop2" };
	char(*dst[])[128] = { &x->ns_z, &x->ns_a, &x->ns_c, &x->ns_l1,
			      &x->ns_l2 };
	const struct lab_host *b = host_named(x->l, "b"),
			      *d = host_named(x->l, "d");
	const char *ns;
	ssize_t n;
	size_t i;

	for (i = 0; i < 5; i++) {
		if (!(ns = node_ns(x, names[i])))
			return fail(x, "a node of the live scenario has no "
				       "namespace");
		snprintf(*dst[i], sizeof(*dst[i]), "%s", ns);
	}
	if (!b || !d)
		return fail(x, "no LAN device b or d");
	snprintf(x->ns_b, sizeof(x->ns_b), "%s", b->ns);
	snprintf(x->ns_d, sizeof(x->ns_d), "%s", d->ns);
	x->b = x->l->sc->devices[0].addr;
	x->d = x->l->sc->devices[1].addr;
	n = readlink("/proc/self/exe", x->self, sizeof(x->self) - 1);
	if (n <= 0)
		return fail(x, "cannot find the lanwire binary");
	x->self[n] = '\0';
	/* TCP listeners on LAB_PROBE_PORT for the join and change checks */
	if (sh(x, x->ns_b, "nc -dkl %s %d >/dev/null 2>&1 &\n"
			   "echo $! >>\"$DIR/live.pids\"", x->b, LAB_PROBE_PORT) ||
	    sh(x, x->ns_d, "nc -dkl %s %d >/dev/null 2>&1 &\n"
			   "echo $! >>\"$DIR/live.pids\"", x->d, LAB_PROBE_PORT))
		return fail(x, "no listener on b or d");
	return 0;
}

/* ---- the steps ---- */

static int agent(struct live_ctx *x, const char *ns, const char *node)
{
	return sh(x, ns,
		  "\"$LW\" agent %s --network-key \"$KEYS/control.pub\" "
		  "--key \"$KEYS/%s.key\" --hub " HUB_ADDR
		  " --state-dir \"$DIR/state-%s\" --run-dir \"$DIR/run\" "
		  "--daemon '%s' --user '%s' >>\"$DIR/agent-%s.log\" 2>&1 &\n"
		  "echo $! >>\"$DIR/live.pids\"",
		  node, node, node, x->l->daemon,
		  x->l->user ? x->l->user : "root", node);
}

static int wait_log(struct live_ctx *x, const char *file, const char *re,
		    int tenths)
{
	return sh(x, NULL, "for i in $(seq %d); do grep -qE -- '%s' \"$DIR/%s\" "
			   "2>/dev/null && exit 0; sleep 0.1; done; exit 1",
		  tenths, re, file);
}

static int control_plane(struct live_ctx *x)
{
	lab_progress(x->l, "live: invite laptop1, serve on z, agents");
	/* laptop1 makes its own key pair when it joins */
	if (sh(x, NULL, "rm -f \"$KEYS\"/laptop1.key \"$KEYS\"/laptop1.pub\n"
			"\"$LW\" -f \"$CONF\" -k \"$KEYS\" invite laptop1 "
			"--store \"$STORE\" --token-file \"$DIR/token\""))
		return fail(x, "invite laptop1 failed");
	if (sh(x, x->ns_z, "\"$LW\" serve z --store \"$STORE\" "
			   ">\"$DIR/serve.log\" 2>&1 &\n"
			   "echo $! >>\"$DIR/live.pids\"") ||
	    wait_log(x, "serve.log", "listening on", 100))
		return fail(x, "serve on z did not start");
	if (agent(x, x->ns_z, "z") || agent(x, x->ns_a, "a") ||
	    agent(x, x->ns_c, "c") || agent(x, x->ns_l2, "laptop2"))
		return fail(x, "an agent did not start");
	if (wait_log(x, "agent-z.log", "epoch 1 applied", 150) ||
	    wait_log(x, "agent-a.log", "epoch 1 applied", 150) ||
	    wait_log(x, "agent-c.log", "epoch 1 applied", 150) ||
	    wait_log(x, "agent-laptop2.log", "epoch 1 applied", 150))
		return fail(x, "the agents did not apply epoch 1");
	return 0;
}

/* The hub's latest-handshake of gateways a and c into DIR/NAME. */
static int handshakes(struct live_ctx *x, const char *name)
{
	return sh(x, x->ns_z,
		  "wg show %s latest-handshakes | grep -F -e \"$(cat "
		  "\"$KEYS/a.pub\")\" -e \"$(cat \"$KEYS/c.pub\")\" "
		  ">\"$DIR/%s\"",
		  desc_node_iface(x->l->d, (size_t)desc_find_node(x->l->d,
								  "z")),
		  name);
}

static int transfer_start(struct live_ctx *x)
{
	lab_progress(x->l, "live: a TCP transfer d (LAN2) -> b (LAN1)");
	if (handshakes(x, "hs.before") ||
	    sh(x, x->ns_b, "nc -d -l %s " XFER_PORT " >\"$DIR/xfer.recv\" "
			   "2>/dev/null &\necho $! >>\"$DIR/live.pids\"",
	       x->b) ||
	    sh(x, x->ns_d, "sleep 0.3; (while [ ! -e \"$DIR/xfer.stop\" ]; do "
			   "head -c 4096 /dev/urandom; sleep 0.05; done | "
			   "tee \"$DIR/xfer.sent\" | nc -N %s " XFER_PORT
			   "; echo $? >\"$DIR/xfer.rc\") >/dev/null 2>&1 &\n"
			   "echo $! >>\"$DIR/live.pids\"",
	       x->b))
		return fail(x, "the transfer did not start");
	return 0;
}

static int step_join(struct live_ctx *x)
{
	ssize_t i = desc_find_node(x->l->d, "laptop1");
	long long t0;

	lab_progress(x->l, "live: join laptop1");
	t0 = now_ms(CLOCK_MONOTONIC);
	if (sh(x, x->ns_l1, "\"$LW\" join - --state-dir \"$DIR/state-laptop1\""
			    " --run-dir \"$DIR/run\" --daemon '%s' --user '%s'"
			    " --foreground <\"$DIR/token\" >\"$DIR/join.log\""
			    " 2>&1 &\necho $! >>\"$DIR/live.pids\"",
	       x->l->daemon, x->l->user ? x->l->user : "root"))
		return fail(x, "join did not start");
	x->l->up[i] = true; /* its interface, for cleanup */
	x->l->live.join_ms = time_to_tcp(x, x->ns_l1, x->b, t0, JOIN_WAIT_MS);
	if (x->l->live.join_ms < 0) {
		sh(x, x->ns_l1, "wg show all; ip route; ping -c 2 -W 1 %s; "
				"ping -c 2 -W 1 " HUB_ADDR, x->b);
		sh(x, x->ns_l2, "ping -c 2 -W 1 %s", x->b);
		sh(x, x->ns_z, "wg show all; nft list ruleset | head -60");
		return fail(x, "laptop1 never reached LAN1 after join");
	}
	return 0;
}

static int step_change(struct live_ctx *x)
{
	long long t0;

	lab_progress(x->l, "live: change (allow = laptops -> LAN2)");
	if (tcp_ok(x, x->ns_l1, x->d))
		return fail(x, "laptop1 reached LAN2 before the change");
	t0 = now_ms(CLOCK_MONOTONIC);
	if (sh(x, NULL, "sed -i 's/^allow = laptops -> LAN1.*/&\\n"
			"allow = laptops -> LAN2   # lab live: the change/' "
			"\"$CONF\" && \"$LW\" -f \"$CONF\" -k \"$KEYS\" publish "
			"--store \"$STORE\""))
		return fail(x, "publish of the change failed");
	x->l->live.change_ms =
		time_to_tcp(x, x->ns_l1, x->d, t0, CHANGE_WAIT_MS);
	if (x->l->live.change_ms < 0)
		return fail(x, "the change had no effect");
	return 0;
}

static int step_rotate(struct live_ctx *x)
{
	const char *ifc = desc_node_iface(
		x->l->d, (size_t)desc_find_node(x->l->d, "laptop1"));

	lab_progress(x->l, "live: laptop1 rotates its key while pinging b");
	if (sh(x, x->ns_l1, "old=$(wg show %s public-key) || exit 1\n"
			    "\"$LW\" rotate laptop1 --key "
			    "\"$DIR/state-laptop1/laptop1.key\" >\"$DIR/rotate.out\" "
			    "|| exit 1\n"
			    "new=$(sed -n 2p \"$DIR/rotate.out\"); [ -n \"$new\" ] "
			    "|| exit 1\n"
			    "echo \"$old $new\" >\"$DIR/rotate.keys\"",
	       ifc))
		return fail(x, "rotate on laptop1 failed");
	if (sh(x, x->ns_l1, "ping -n -i 0.01 -c 500 -W 1 %s "
			    ">\"$DIR/ping-rotate.log\" 2>&1 &\n"
			    "echo $! >\"$DIR/ping-rotate.pid\"; sleep 1",
	       x->b) ||
	    sh(x, NULL, "read old new <\"$DIR/rotate.keys\"\n"
			"\"$LW\" -f \"$CONF\" -k \"$KEYS\" rotate laptop1 "
			"--public-key \"$new\" --store \"$STORE\" || exit 1\n"
			"grep -qF \"public-key = $new\" \"$CONF\""))
		return fail(x, "publish of laptop1's new key failed");
	if (wait_log(x, "join.log", "rotated: the new key pair is in", 150))
		return fail(x, "laptop1's agent did not switch keys");
	/* ping's own end: 500 pings, 10 ms apart (often 15 here), then at
	 * most 1 s */
	if (sh(x, NULL, "p=$(cat \"$DIR/ping-rotate.pid\"); for i in $(seq 150); "
			"do kill -0 $p 2>/dev/null || break; sleep 0.1; done\n"
			"sent=$(sed -n 's/^\\([0-9]*\\) packets transmitted.*/\\1/p' "
			"\"$DIR/ping-rotate.log\")\n"
			"got=$(sed -n 's/.* \\([0-9]*\\) received.*/\\1/p' "
			"\"$DIR/ping-rotate.log\")\n"
			"[ -n \"$sent\" ] && [ -n \"$got\" ] || exit 1\n"
			"echo $((sent - got)) >\"$DIR/rotate.lost\"\n"
			"tail -n 3 \"$DIR/ping-rotate.log\"; grep -h 'epoch 3\\|rotat' "
			"\"$DIR\"/agent-*.log \"$DIR/join.log\"; true"))
		return fail(x, "the pings during the rotation did not end");
	x->l->live.rotate_lost_pings = read_num(x, "rotate.lost", -1);
	return x->l->live.rotate_lost_pings < 0 ?
		       fail(x, "no ping count for the rotation") :
		       0;
}

static int step_revoke(struct live_ctx *x)
{
	long long t0, last;

	lab_progress(x->l, "live: revoke laptop2 while it pings b");
	/* line-buffered: ping is stopped, its stdio buffer would be lost */
	if (sh(x, x->ns_l2, "stdbuf -oL ping -D -n -i 0.01 -W 1 %s "
			    ">\"$DIR/ping-revoke.log\" 2>&1 &\n"
			    "echo $! >\"$DIR/ping-revoke.pid\"; "
			    "echo $! >>\"$DIR/live.pids\"; sleep 1",
	       x->b))
		return fail(x, "ping on laptop2 did not start");
	t0 = now_ms(CLOCK_REALTIME); /* ping -D stamps are wall clock */
	if (sh(x, NULL, "\"$LW\" -f \"$CONF\" -k \"$KEYS\" revoke laptop2 "
			"--store \"$STORE\""))
		return fail(x, "revoke laptop2 failed");
	if (sh(x, NULL, "sleep 2; kill $(cat \"$DIR/ping-revoke.pid\"); "
			"sleep 0.2\n"
			"grep 'bytes from' \"$DIR/ping-revoke.log\" | tail -n 1 | "
			"sed -n 's/^\\[\\([0-9]*\\)\\.\\([0-9]\\{3\\}\\).*/\\1\\2/p' "
			">\"$DIR/revoke.last\"\n"
			"[ \"$(grep -c 'bytes from' \"$DIR/ping-revoke.log\")\" "
			"-gt 20 ]"))
		return fail(x, "laptop2's pings were not answered before the "
			       "revoke");
	last = read_num(x, "revoke.last", -1);
	if (last < 0)
		return fail(x, "no answered ping of laptop2");
	x->l->live.revoke_ms = last > t0 ? last - t0 : 0;
	if (!sh(x, x->ns_l2, "ping -c 3 -i 0.3 -W 1 %s", x->b))
		return fail(x, "laptop2 still reaches b after the revoke");
	return 0;
}

static int transfer_end(struct live_ctx *x)
{
	lab_progress(x->l, "live: the transfer ends; handshakes compared");
	if (handshakes(x, "hs.after"))
		return fail(x, "cannot read the hub's handshakes");
	if (sh(x, NULL, "touch \"$DIR/xfer.stop\"; for i in $(seq 100); do "
			"[ -e \"$DIR/xfer.rc\" ] && break; sleep 0.1; done\n"
			"sleep 0.5; [ \"$(cat \"$DIR/xfer.rc\")\" = 0 ] || exit 1\n"
			"s=$(sha256sum <\"$DIR/xfer.sent\"); "
			"r=$(sha256sum <\"$DIR/xfer.recv\")\n"
			"echo \"sent $(stat -c %%s \"$DIR/xfer.sent\") bytes: $s, "
			"received: $r\"\n"
			"[ -s \"$DIR/xfer.sent\" ] && [ \"$s\" = \"$r\" ] || exit 1\n"
			"cat \"$DIR/hs.before\" \"$DIR/hs.after\"\n"
			"cmp -s \"$DIR/hs.before\" \"$DIR/hs.after\" || exit 2\n"
			"[ \"$(wc -l <\"$DIR/hs.before\")\" = 2 ]")) {
		x->l->live.sessions_kept = false;
		return 0; /* reported, and fails the run (lab_live_failed) */
	}
	x->l->live.sessions_kept = true;
	return 0;
}

/* Ends the background processes by pid: agents, serve, pings, nc. */
static void live_stop(struct live_ctx *x)
{
	char path[400], *text = NULL, *p, *end;
	size_t len;
	long v;

	snprintf(path, sizeof(path), "%s/state-laptop1/agent.pid", x->l->dir);
	if (!lw_read_file(path, &text, &len, 64)) {
		v = strtol(text, NULL, 10);
		if (v > 1)
			proc_stop((pid_t)v, 1000);
		free(text);
		text = NULL;
	}
	snprintf(path, sizeof(path), "%s/live.pids", x->l->dir);
	if (lw_read_file(path, &text, &len, 1 << 16))
		return;
	for (p = text; *p; p = end) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 1)
			proc_stop((pid_t)v, 1000);
	}
	free(text);
}

int lab_live(struct lab *l)
{
	struct live_ctx x = { .l = l };
	int r;

	if (find_parts(&x))
		return -1;
	r = control_plane(&x);
	if (!r)
		r = transfer_start(&x);
	if (!r)
		r = step_join(&x);
	if (!r)
		r = step_change(&x);
	if (!r)
		r = step_rotate(&x);
	if (!r)
		r = step_revoke(&x);
	if (!r)
		r = transfer_end(&x);
	live_stop(&x);
	l->live.done = !r;
	return r;
}

/* ---- report ---- */

static void goal(FILE *f, const char *name, long long v, long long lt)
{
	if (v < 0)
		fprintf(f, "  %-18s not measured (goal < %lld)\n", name, lt);
	else
		fprintf(f, "  %-18s %6lld      (goal < %lld: %s)\n", name, v,
			lt, v < lt ? "met" : "MISSED");
}

void lab_live_report(const struct lab *l, bool json, FILE *f)
{
	const struct lab_live *v = &l->live;

	if (json) {
		fprintf(f, "{\"scenario\": \"%s\", \"ok\": %s, \"join_ms\": %lld, "
			   "\"revoke_ms\": %lld, \"change_ms\": %lld, "
			   "\"sessions_kept\": %s, \"rotate_lost_pings\": %lld, "
			   "\"seconds\": %.1f}\n",
			l->sc->name, v->done && v->sessions_kept ? "true" : "false",
			v->join_ms, v->revoke_ms, v->change_ms,
			v->sessions_kept ? "true" : "false",
			v->rotate_lost_pings, l->seconds);
		return;
	}
	fprintf(f, "lab live: %s\n", l->sc->about);
	goal(f, "join_ms", v->join_ms, 3000);
	goal(f, "change_ms", v->change_ms, 1000);
	goal(f, "revoke_ms", v->revoke_ms, 1000);
	fprintf(f, "  %-18s %6lld      (goal 0: %s)\n", "rotate_lost_pings",
		v->rotate_lost_pings,
		v->rotate_lost_pings == 0 ? "met" : "MISSED");
	fprintf(f, "  %-18s %6s      (goal true: %s)\n", "sessions_kept",
		v->sessions_kept ? "true" : "false",
		v->sessions_kept ? "met" : "MISSED");
	if (!v->done)
		fprintf(f, "  failed: %s\n", v->error);
	fprintf(f, "%.1f s\n", l->seconds);
}
