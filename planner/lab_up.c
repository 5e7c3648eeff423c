// SPDX-License-Identifier: MIT
/*
 * Bringing the lab's network up (lab.h): keys into a temporary key
 * directory, every node that has a namespace planned and brought up
 * exactly as `lanwire up` does (apply.c inside the node's namespace,
 * lanwired dropping to an unprivileged user), the LAN routers' routes,
 * the wait for handshakes, and later the tampered clients.
 *
 * LAN routers: the routes of the gateway's lan-router.txt where the plan
 * has them (return = route, or a lan-address); otherwise, in a family the
 * plan gives none for, the lab stands in for the site's administrator and
 * routes every other site's LANs and the tunnel to the gateway, so what a
 * LAN host may reach is decided by the gateway's firewall alone.
 *
 * Tampered clients: one client widens its AllowedIPs to 0.0.0.0/0 and
 * ::/0 and routes every LAN and the tunnel into its interface; another
 * does the same and also sends from another client's tunnel address
 * (added to its interface). The hub must keep refusing what the policy
 * refuses them, and refuse every spoofed packet.
 */
#include "lab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "apply.h"
#include "desc.h"
#include "keys.h"
#include "plan.h"
#include "status.h"
#include "txn.h"

#define HANDSHAKE_WAIT_MS 20000

void lab_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int lab_keys(struct lab *l)
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

static int route_via(struct lab *l, const char *ns, const struct lw_prefix *dst,
		     const struct lw_prefix *via)
{
	char d[LW_PREFIX_STRLEN], v[LW_PREFIX_STRLEN];

	prefix_format(d, sizeof(d), dst);
	addr_format(v, sizeof(v), via);
	return lab_ip(l, ns, "route", "replace", d, "via", v, NULL) ? -1 : 0;
}

/* The lab's routes for family fam: other sites' LANs and the tunnel. */
static int stand_in_routes(struct lab *l, const char *ns,
			   const struct lw_site *s, const struct lw_prefix *gw)
{
	size_t k, i, n = 0;
	unsigned int fi = family_index(gw->family);

	for (k = 0; k < l->d->n_sites; k++) {
		if (&l->d->sites[k] == s)
			continue;
		for (i = 0; i < l->d->sites[k].n_lans; i++) {
			if (l->d->sites[k].lans[i].p.family != gw->family)
				continue;
			if (route_via(l, ns, &l->d->sites[k].lans[i].p, gw))
				return -1;
			n++;
		}
	}
	if (l->d->net.tunnel[fi].p.family &&
	    route_via(l, ns, &l->d->net.tunnel[fi].p, gw))
		return -1;
	lab_progress(l, "LAN router of %s: the lab routes the tunnel and %zu "
			"other LAN%s via the gateway (%s)",
		     s->name, n, n == 1 ? "" : "s", family_name(gw->family));
	return 0;
}

/* The LAN router's routes, per family of the site's LANs. */
static int lan_router_routes(struct lab *l, const struct lw_node_plan *pl,
			     const struct lab_host *gwh)
{
	char ns[128], part[96];
	size_t i, fi, planned[LW_FAMILIES] = { 0, 0 };

	snprintf(part, sizeof(part), "lan.%s", pl->site->name);
	lab_ns_name(l, ns, sizeof(ns), part);
	for (i = 0; i < pl->n_lan_routes; i++) {
		if (route_via(l, ns, &pl->lan_routes[i].dst,
			      &pl->lan_routes[i].via))
			return -1;
		planned[family_index(pl->lan_routes[i].dst.family)]++;
	}
	if (pl->n_lan_routes)
		lab_progress(l, "LAN router of %s: %zu route%s from "
				"lan-router.txt",
			     pl->site->name, pl->n_lan_routes,
			     pl->n_lan_routes == 1 ? "" : "s");
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		const struct lab_addr *gw = NULL;

		for (i = 0; i < gwh->n_addrs && !gw; i++) {
			if (!strcmp(gwh->addrs[i].target, "lan") &&
			    family_index(gwh->addrs[i].ep.addr.family) == fi)
				gw = &gwh->addrs[i];
		}
		if (gw && !planned[fi] &&
		    stand_in_routes(l, ns, pl->site, &gw->ep.addr))
			return -1;
	}
	return 0;
}

static int node_up(struct lab *l, size_t i, const char *run_dir)
{
	const struct lab_host *h = lab_host_of_node(l, i);
	struct lw_apply o = { run_dir, l->daemon, h ? h->ns : NULL,
			      l->sc->name, l->log, fileno(l->log),
			      l->user, NULL };
	struct lw_node_plan pl;
	char err[512], role[96];
	int r;

	if (!h)
		return 0; /* a client the lab leaves out */
	if (l->sc->join_client &&
	    !strcmp(l->sc->join_client, l->d->nodes[i].name))
		return 0; /* lab live: it joins later */
	if (plan_node(&pl, l->d, l->kr, i, err, sizeof(err))) {
		lab_progress(l, "cannot plan %s: %s", l->d->nodes[i].name, err);
		return -1;
	}
	lab_progress(l, "up %s (%s) in %s: %s, %zu peer%s%s",
		     l->d->nodes[i].name,
		     desc_node_role(l->d, i, role, sizeof(role)), h->ns,
		     pl.iface, pl.n_peers, pl.n_peers == 1 ? "" : "s",
		     pl.fw.has_table ? ", nft table inet lanwire" : "");
	l->up[i] = true;
	r = apply_up(&pl, &o);
	if (!r && pl.site)
		r = lan_router_routes(l, &pl, h);
	plan_free(&pl);
	return r ? -1 : 0;
}

int lab_up(struct lab *l)
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

/* Whether hub i has a handshake with each spoke the lab brought up. */
static bool hub_ready(const struct lab *l, size_t i)
{
	struct lw_wg_status st;
	size_t k, done = 0, want = 0;

	for (k = 0; k < l->d->n_nodes; k++)
		want += l->up[k] && l->d->nodes[k].role != LW_ROLE_HUB &&
			l->d->nodes[k].hub == i;
	if (status_get(&st, desc_node_iface(l->d, i)))
		return false;
	for (k = 0; k < st.n_peers; k++)
		done += st.peers[k].handshake_sec != 0;
	status_free(&st);
	return done >= want;
}

int lab_wait_handshakes(struct lab *l)
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
			lab_sleep_ms(100);
		}
		lab_progress(l, "hub %s: every spoke has handshaked",
			     l->d->nodes[i].name);
	}
	return 0;
}

/* ---- tampered clients ---- */

/* Client c: AllowedIPs 0.0.0.0/0, ::/0 towards its hub, and routes for
 * every LAN and the tunnel into its interface. */
static int widen(struct lab *l, const struct lab_host *c)
{
	const struct lw_node *n = &l->d->nodes[c->party];
	const char *iface = desc_node_iface(l->d, c->party);
	char pub[LW_KEY_B64_LEN + 1], p[LW_PREFIX_STRLEN];
	const char *wg[] = { "wg", "set", iface, "peer", pub, "allowed-ips",
			     "0.0.0.0/0,::/0", NULL };
	size_t k, i, fi;

	if (!l->kr->nodes[n->hub].has_public)
		return -1;
	key_to_base64(pub, l->kr->nodes[n->hub].public_key);
	if (lab_cmd(l, c->ns, wg))
		return -1;
	for (k = 0; k < l->d->n_sites; k++) {
		for (i = 0; i < l->d->sites[k].n_lans; i++) {
			prefix_format(p, sizeof(p), &l->d->sites[k].lans[i].p);
			if (lab_ip(l, c->ns, "route", "replace", p, "dev",
				   iface, NULL))
				return -1;
		}
	}
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (!l->d->net.tunnel[fi].p.family)
			continue;
		prefix_format(p, sizeof(p), &l->d->net.tunnel[fi].p);
		if (lab_ip(l, c->ns, "route", "replace", p, "dev", iface,
			   NULL))
			return -1;
	}
	return 0;
}

/* The spoofer also holds the spoofed client's tunnel addresses. */
static int spoof(struct lab *l, const struct lab_host *c,
		 const struct lab_host *victim)
{
	const char *iface = desc_node_iface(l->d, c->party);
	char a[LW_PREFIX_STRLEN + 8];
	size_t i;

	for (i = 0; i < victim->n_addrs; i++) {
		snprintf(a, sizeof(a), "%s/%u", victim->addrs[i].text,
			 family_bits(victim->addrs[i].ep.addr.family));
		if (lab_ip(l, c->ns, "addr", "add", a, "dev", iface,
			   "nodad", NULL) &&
		    lab_ip(l, c->ns, "addr", "add", a, "dev", iface, NULL))
			return -1;
	}
	return 0;
}

/* Allowed probes from host h so far. */
static size_t allowed_from(const struct lab *l, size_t h)
{
	size_t i, n = 0;

	for (i = 0; i < l->n_pairs; i++)
		n += l->pairs[i].from == h && l->pairs[i].expect;
	return n;
}

/* The client with the fewest (fewest: true) or most allowed probes,
 * other than not1 and not2; SIZE_MAX if none. */
static size_t pick_client(const struct lab *l, bool fewest, size_t not1,
			  size_t not2)
{
	size_t i, best = SIZE_MAX, n, bn = 0;

	for (i = 0; i < l->n_hosts; i++) {
		if (l->hosts[i].kind != LAB_CLIENT || i == not1 || i == not2)
			continue;
		n = allowed_from(l, i);
		if (best == SIZE_MAX || (fewest ? n < bn : n > bn)) {
			best = i;
			bn = n;
		}
	}
	return best;
}

int lab_tamper(struct lab *l)
{
	l->widened = pick_client(l, true, SIZE_MAX, SIZE_MAX);
	l->spoofer = pick_client(l, true, l->widened, SIZE_MAX);
	l->spoofed = pick_client(l, false, l->spoofer, SIZE_MAX);
	if (l->widened == SIZE_MAX)
		return 0;
	lab_progress(l, "tampering: %s widens its AllowedIPs",
		     l->hosts[l->widened].name);
	if (widen(l, &l->hosts[l->widened]))
		return -1;
	if (l->spoofer == SIZE_MAX || l->spoofed == SIZE_MAX) {
		l->spoofer = l->spoofed = SIZE_MAX;
		return 0;
	}
	lab_progress(l, "tampering: %s widens its AllowedIPs and sends as %s",
		     l->hosts[l->spoofer].name, l->hosts[l->spoofed].name);
	return widen(l, &l->hosts[l->spoofer]) ||
			       spoof(l, &l->hosts[l->spoofer],
				     &l->hosts[l->spoofed]) ?
		       -1 :
		       0;
}
