// SPDX-License-Identifier: MIT
/*
 * lanwire lab (lab.h): the project's main job on one machine. A scenario
 * names a seed network (its examples/NAME.conf, embedded in the binary) and
 * the plain LAN devices around it. The run:
 *
 *   1. parse the description; give every node a unique interface name
 *      (lwl + tag + index: /var/run/wireguard is shared by every
 *      namespace and every concurrent run) and every hub a public
 *      endpoint on 203.0.113.0/24 inside the lab; check it
 *   2. make keys into a temporary key directory
 *   3. build the namespaces (lab_net.c)
 *   4. plan every node and bring it up exactly as lanwire up does
 *      (apply.c, inside the node's namespace, lanwired under wg-quick);
 *      LAN routers get the routes of their gateway's lan-router.txt
 *   5. wait for every spoke's handshake with its hub (UAPI)
 *   6. probe every interesting pair, the on-site route, one iperf3 run
 *   7. report; remove everything: daemons and children by pid, then the
 *      namespaces, then the temporary directory (also on SIGINT/SIGTERM)
 *
 * The exit status is 1 if any observation differs from the expectation.
 */
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "buf.h"
#include "check.h"
#include "desc.h"
#include "keys.h"
#include "plan.h"
#include "proc.h"
#include "status.h"
#include "txn.h"

#define HANDSHAKE_WAIT_MS 20000

static const struct lab_scenario scenarios[] = {
	{ "leased-line", "000", "leased-line", NULL,
	  "two office LANs joined through a public hub, sources not NATed",
	  { { "b", "LAN1", "192.168.201.55" },
	    { "d", "LAN2", "192.168.200.244" } },
	  NULL, NULL, NULL, "b", "d" },
	{ "remote-dev", "001", "remote-dev",
	  "\n# lab: a client that no rule names, routing the LANs anyway; the\n"
	  "# hub and the gateways must refuse it\n"
	  "[client guest]\nroutes = 10.70.0.0/16, 192.168.0.0/16\n",
	  "developers reach both LANs and each other; LAN2 masquerades; "
	  "f is on site in LAN1",
	  { { "b", "LAN1", "192.168.201.55" },
	    { "d", "LAN2", "192.168.200.244" } },
	  "f", "LAN1", "192.168.201.60", "e", "d" },
	{ "star", "002", "star", NULL,
	  "mobiles reach home and office; home and office isolated",
	  { { "nas", "homelab", "192.168.1.10" },
	    { "desk", "office", "172.19.50.10" } },
	  NULL, NULL, NULL, "macbook", "nas" },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* For the signal handler's cleanup, in the lab's own process only (its
 * probe services are forks of it). */
static struct lab *active;
static pid_t active_pid;

const struct lab_scenario *lab_find_scenario(const char *name)
{
	size_t i;

	for (i = 0; i < N_SCENARIOS; i++) {
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	}
	return NULL;
}

const char *lab_scenario_names(void)
{
	return "leased-line (seed 000, default), remote-dev (001), star (002)";
}

/* ---- 1, 2: description and keys ---- */

static int lab_describe(struct lab *l)
{
	const char *ex = lab_example_text(l->sc->example);
	struct lw_buf text = { 0 };
	char name[64], ep[64];
	size_t i, hubs = 0;

	if (!ex)
		return -1;
	buf_puts(&text, ex);
	if (l->sc->extra)
		buf_puts(&text, l->sc->extra);
	snprintf(name, sizeof(name), "%s.conf", l->sc->example);
	if (text.oom || desc_parse(l->d, name, buf_str(&text), text.len)) {
		buf_free(&text);
		return -1;
	}
	buf_free(&text);
	l->up = calloc(l->d->n_nodes + 1, sizeof(*l->up));
	if (!l->up)
		return -1;
	for (i = 0; i < l->d->n_nodes && !l->d->syntax_failed; i++) {
		struct lw_node *n = &l->d->nodes[i];

		snprintf(n->iface, sizeof(n->iface), "lwl%s%u", l->tag,
			 (unsigned int)(i % 1000));
		if (n->role != LW_ROLE_HUB)
			continue;
		snprintf(ep, sizeof(ep), "203.0.113.%zu:%u", 1 + hubs++,
			 n->endpoint.port ? n->endpoint.port : LW_DEFAULT_PORT);
		lw_endpoint_parse(&n->endpoint, ep);
	}
	if (!l->d->syntax_failed)
		check_desc(l->d);
	if (l->d->n_errors) {
		desc_print_diags(l->d, stderr);
		return -1;
	}
	return 0;
}

static int lab_keys(struct lab *l)
{
	char dir[300];
	unsigned int made = 0;
	struct lw_txn t;
	int r;

	snprintf(dir, sizeof(dir), "%s/keys", l->dir);
	r = lw_mkdir_private(dir, &(bool){ false });
	if (!r)
		r = keyring_load(l->kr, l->d, dir);
	txn_init(&t);
	if (!r)
		r = keys_stage_missing(l->kr, l->d, &t, &made);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	if (!r)
		lab_progress(l, "%u key files in %s", made, dir);
	return r ? -1 : 0;
}

/* ---- 4, 5: up ---- */

static const struct lab_host *host_of_node(const struct lab *l, size_t node,
					   enum lab_kind kind)
{
	size_t i;

	for (i = 0; i < l->n_hosts; i++) {
		if (l->hosts[i].kind == kind && l->hosts[i].party == node)
			return &l->hosts[i];
	}
	return NULL;
}

/* The routes lan-router.txt names, on the site's router namespace. */
static int lan_router_routes(struct lab *l, const struct lw_node_plan *pl)
{
	char ns[96], part[64], dst[LW_PREFIX_STRLEN], via[LW_PREFIX_STRLEN];
	const char *argv[] = { "ip", "route", "add", dst, "via", via, NULL };
	size_t i;

	if (!pl->n_lan_routes)
		return 0;
	snprintf(part, sizeof(part), "lan.%s", pl->site->name);
	lab_ns_name(l, ns, sizeof(ns), part);
	for (i = 0; i < pl->n_lan_routes; i++) {
		prefix_format(dst, sizeof(dst), &pl->lan_routes[i].dst);
		addr_format(via, sizeof(via), &pl->lan_routes[i].via);
		if (lab_cmd(l, ns, argv))
			return -1;
	}
	lab_progress(l, "LAN router of %s: %zu route%s via %s",
		     pl->site->name, pl->n_lan_routes,
		     pl->n_lan_routes == 1 ? "" : "s", via);
	return 0;
}

static int node_up(struct lab *l, size_t i, const char *run_dir)
{
	const struct lab_host *h = host_of_node(
		l, i,
		l->d->nodes[i].role == LW_ROLE_HUB	   ? LAB_HUB :
		l->d->nodes[i].role == LW_ROLE_GATEWAY ? LAB_GATEWAY :
							 LAB_CLIENT);
	struct lw_apply o = { run_dir, l->daemon, h ? h->ns : NULL,
			      l->sc->example, l->log, fileno(l->log),
			      NULL, NULL };
	struct lw_node_plan pl;
	char err[512], role[96];
	int r;

	if (!h)
		return -1;
	if (plan_node(&pl, l->d, l->kr, i, err, sizeof(err))) {
		lab_progress(l, "cannot plan %s: %s", l->d->nodes[i].name, err);
		return -1;
	}
	lab_progress(l, "up %s (%s) in %s: %s, %zu peer%s%s",
		     l->d->nodes[i].name,
		     desc_node_role(l->d, i, role, sizeof(role)), h->ns,
		     pl.iface, pl.n_peers, pl.n_peers == 1 ? "" : "s",
		     pl.forwards ? ", forwarding, nft table inet lanwire" : "");
	l->up[i] = true;
	r = apply_up(&pl, &o);
	if (!r && pl.site)
		r = lan_router_routes(l, &pl);
	plan_free(&pl);
	return r ? -1 : 0;
}

static int lab_up(struct lab *l)
{
	static const enum lw_role order[] = { LW_ROLE_HUB, LW_ROLE_GATEWAY,
					      LW_ROLE_CLIENT };
	char run_dir[300];
	size_t k, i;

	snprintf(run_dir, sizeof(run_dir), "%s/run", l->dir);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < l->d->n_nodes; i++) {
			if (l->d->nodes[i].role == order[k] &&
			    node_up(l, i, run_dir))
				return -1;
		}
	}
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Whether every peer of hub i has completed a handshake. */
static bool hub_ready(const struct lab *l, size_t i)
{
	struct lw_wg_status st;
	size_t k, done = 0;

	if (status_get(&st, desc_node_iface(l->d, i)))
		return false;
	for (k = 0; k < st.n_peers; k++)
		done += st.peers[k].handshake_sec != 0;
	k = st.n_peers;
	status_free(&st);
	return k && done == k;
}

static int lab_wait_handshakes(struct lab *l)
{
	size_t i;
	int waited;

	for (i = 0; i < l->d->n_nodes; i++) {
		if (l->d->nodes[i].role != LW_ROLE_HUB)
			continue;
		for (waited = 0; !hub_ready(l, i); waited += 100) {
			if (waited >= HANDSHAKE_WAIT_MS) {
				lab_progress(l, "hub %s: not every spoke "
						"handshaked in %d s",
					     l->d->nodes[i].name,
					     HANDSHAKE_WAIT_MS / 1000);
				return -1;
			}
			sleep_ms(100);
		}
		lab_progress(l, "hub %s: every spoke has handshaked",
			     l->d->nodes[i].name);
	}
	return 0;
}

/* ---- 6: what to probe ---- */

/*
 * Sources: LAN devices, clients, gateways and hubs; destinations: LAN
 * devices and clients. A hub's own traffic to its spokes is not
 * forwarded, so no policy governs it: hubs are probed only towards LANs
 * (which the gateways must refuse unless a rule names the hub). A
 * gateway's own traffic crosses the hub's forward chain like any other.
 */
static bool interesting(const struct lab *l, size_t a, size_t b)
{
	const struct lab_host *from = &l->hosts[a], *to = &l->hosts[b];

	if (a == b || to->kind == LAB_GATEWAY || to->kind == LAB_HUB)
		return false;
	if (from->kind == LAB_HUB && to->kind != LAB_DEVICE)
		return false;
	return from->party != to->party;
}

static void lab_pairs(struct lab *l)
{
	struct lab_pair *p;
	size_t a, b;

	for (a = 0; a < l->n_hosts; a++) {
		for (b = 0; b < l->n_hosts; b++) {
			if (!interesting(l, a, b) ||
			    l->n_pairs == LAB_MAX_PAIRS)
				continue;
			p = &l->pairs[l->n_pairs++];
			memset(p, 0, sizeof(*p));
			p->from = a;
			p->to = b;
			p->expect = desc_may_open(l->d, l->hosts[a].party,
						  l->hosts[b].party);
		}
	}
}

static int lab_listeners(struct lab *l)
{
	size_t i;

	for (i = 0; i < l->n_hosts; i++) {
		if ((l->hosts[i].kind == LAB_DEVICE ||
		     l->hosts[i].kind == LAB_CLIENT) &&
		    lab_listen(l, &l->hosts[i]))
			return -1;
	}
	return 0;
}

static void lab_count(struct lab *l)
{
	size_t i;

	for (i = 0; i < l->n_pairs; i++) {
		if (l->pairs[i].ok)
			l->passed++;
		else
			l->failed++;
	}
	for (i = 0; i < l->n_routes; i++) {
		if (l->routes[i].ok)
			l->passed++;
		else
			l->failed++;
	}
	if (l->iperf_mbit > 0)
		l->passed++;
	else
		l->failed++;
}

/* ---- 7: cleanup ---- */

/* Removes every interface the lab brought up, then waits for the daemons
 * serving them (found by pid before) to exit, stopping those that linger. */
static void nodes_down(struct lab *l)
{
	const char *del[] = { "ip", "link", "del", "dev", NULL, NULL };
	pid_t pids[64];
	size_t i, n = 0, k;
	char ns[96];
	int waited;

	for (i = 0; l->up && i < l->d->n_nodes; i++) {
		if (!l->up[i])
			continue;
		l->up[i] = false;
		del[4] = desc_node_iface(l->d, i);
		n += proc_find_daemon(l->daemon, del[4], pids + n, 64 - n);
		lab_ns_name(l, ns, sizeof(ns), l->d->nodes[i].name);
		lab_cmd(l, ns, del);
	}
	for (waited = 0; waited < 4000; waited += 50) {
		for (k = 0; k < n && !proc_alive(pids[k]); k++)
			;
		if (k == n)
			return;
		sleep_ms(50);
	}
	for (k = 0; k < n; k++) {
		if (!proc_alive(pids[k]))
			continue;
		fprintf(l->log, "[#] kill -KILL %d\n", (int)pids[k]);
		kill(pids[k], SIGKILL);
	}
}

static void lab_cleanup(struct lab *l)
{
	const char *rm[] = { "rm", "-rf", "--", l->dir, NULL };
	const char *del[] = { "ip", "netns", "del", NULL, NULL };
	size_t i;

	for (i = 0; i < l->n_hosts; i++) {
		if (l->hosts[i].listener > 0)
			proc_stop(l->hosts[i].listener, 500);
		l->hosts[i].listener = 0;
	}
	nodes_down(l);
	while (l->n_ns) {
		del[3] = l->ns[--l->n_ns];
		lab_cmd(l, NULL, del);
	}
	if (l->log && l->log != stderr)
		fclose(l->log);
	l->log = stderr;
	if (l->dir[0])
		proc_run(&(struct lw_cmd){ NULL, NULL, NULL, -1, NULL }, rm);
	l->dir[0] = '\0';
}

static void on_signal(int sig)
{
	if (active && getpid() == active_pid) {
		fprintf(stderr, "lab: signal %d: cleaning up\n", sig);
		lab_cleanup(active);
	}
	_exit(128 + sig);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- the run ---- */

static void make_tag(char tag[static 8])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned long v = (unsigned long)getpid();
	int i;

	for (i = 4; i >= 0; i--, v /= 36)
		tag[i] = digits[v % 36];
	tag[5] = '\0';
}

static int lab_start(struct lab *l, bool verbose)
{
	char path[300];
	int fd;

	make_tag(l->tag);
	snprintf(l->dir, sizeof(l->dir), "/tmp/lanwire-lab-%s-XXXXXX", l->tag);
	if (!mkdtemp(l->dir)) {
		l->dir[0] = '\0';
		return -1;
	}
	l->log = stderr;
	if (verbose)
		return 0;
	snprintf(path, sizeof(path), "%s/lab.log", l->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		l->log = fdopen(fd, "w");
	if (!l->log)
		l->log = stderr;
	setvbuf(l->log, NULL, _IOLBF, 0);
	return 0;
}

/* The last lines of the log, when something went wrong. */
static void show_log_tail(struct lab *l)
{
	char path[300], *text = NULL;
	size_t len, n = 0;
	const char *p;

	if (l->log == stderr)
		return;
	fflush(l->log);
	snprintf(path, sizeof(path), "%s/lab.log", l->dir);
	if (lw_read_file(path, &text, &len, 1 << 24))
		return;
	for (p = text + len; p > text && n < 25; p--)
		n += p[-1] == '\n';
	fprintf(stderr, "lab: last lines of the log:\n%s", p);
	free(text);
}

static int lab_steps(struct lab *l)
{
	lab_progress(l, "scenario %s (seed %s): %s", l->sc->name, l->sc->seed,
		     l->sc->about);
	if (lab_describe(l) || lab_keys(l))
		return -1;
	lab_progress(l, "building namespaces %s%s-*", LAB_NS_PREFIX, l->tag);
	if (lab_net_build(l))
		return -1;
	lab_progress(l, "%zu namespaces; bringing nodes up with %s", l->n_ns,
		     l->daemon);
	if (lab_up(l) || lab_wait_handshakes(l) || lab_listeners(l))
		return -1;
	lab_pairs(l);
	lab_progress(l, "probing %zu pairs (TCP connect, %d ms timeout)",
		     l->n_pairs, LAB_PROBE_TIMEOUT_MS);
	lab_probe_all(l);
	lab_check_routes(l);
	lab_progress(l, "iperf3 %s -> %s", l->sc->iperf_from,
		     l->sc->iperf_to);
	lab_iperf(l);
	return 0;
}

int lab_run(const struct lab_scenario *sc, const char *daemon, bool json,
	    bool verbose)
{
	struct lw_keyring kr = { 0 };
	struct lw_desc d = { 0 };
	struct lab *l = calloc(1, sizeof(*l));
	struct timespec t0, t1;
	int r;

	if (!l)
		return 1;
	l->sc = sc;
	l->json = json;
	l->d = &d;
	l->kr = &kr;
	snprintf(l->daemon, sizeof(l->daemon), "%s", daemon);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (lab_start(l, verbose)) {
		free(l);
		fprintf(stderr, "lab: cannot make a temporary directory\n");
		return 1;
	}
	active = l;
	active_pid = getpid();
	catch_signals();
	r = lab_steps(l);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	l->seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (r)
		show_log_tail(l);
	else
		lab_count(l);
	if (!r && l->failed)
		show_log_tail(l);
	lab_progress(l, "cleaning up");
	lab_cleanup(l);
	active = NULL;
	if (!r && json)
		lab_report_json(l, stdout);
	else if (!r)
		lab_report_text(l, stdout);
	else
		fprintf(stderr, "lab: %s could not be built\n", sc->name);
	r = r || l->failed ? 1 : 0;
	free(l->up);
	free(l);
	keyring_free(&kr);
	desc_free(&d);
	return r;
}
