// SPDX-License-Identifier: MIT
/*
 * Builds a node's plan from the model (see plan.h): the interface and
 * addresses from the description, peers in description order (a hub's own
 * spokes, then the other hubs; a spoke's one hub), AllowedIPs from
 * routes.c, keys from the keyring, and the host side: sysctls, routes the
 * interface needs beyond its connected prefixes, the LAN router's
 * routes for gateways, and the node's firewall (policy.c).
 */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "key.h"
#include "desc.h"
#include "keys.h"
#include "overlay.h"
#include "policy.h"
#include "routes.h"

static void plan_addresses(struct lw_node_plan *pl, const struct lw_desc *d)
{
	unsigned int fi;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		struct lw_prefix a = pl->self->addr[fi].p;

		if (!a.family)
			continue;
		if (!d->net.host_addresses && d->net.tunnel[fi].p.family)
			a.len = d->net.tunnel[fi].p.len;
		pl->addrs[pl->n_addrs++] = a;
	}
}

static int plan_private_key(struct lw_node_plan *pl,
			    const struct lw_keyring *kr, char *err,
			    size_t errlen)
{
	const struct lw_node_keys *k = &kr->nodes[pl->node];

	if (k->has_private) {
		pl->has_private_key = true;
		memcpy(pl->private_key, k->private_key, LW_KEY_LEN);
		pl->private_key_path = strdup(k->private_path);
	} else if (k->on_device) {
		if (asprintf(&pl->private_key_path, "%s/%s.key",
			     LW_DEVICE_KEY_DIR, pl->iface) < 0)
			pl->private_key_path = NULL;
	} else {
		snprintf(err, errlen,
			 "no private key for %s in %s; run lanwire keys",
			 pl->self->name, kr->dir);
		return -ENOKEY;
	}
	return pl->private_key_path ? 0 : -ENOMEM;
}

/* PersistentKeepalive of the link a-b, the same at both ends: a spoke's
 * own keepalive =, else the hubs' (the smaller), else the network's. */
static unsigned int link_keepalive(const struct lw_desc *d, size_t a,
				   size_t b)
{
	const struct lw_node *x = &d->nodes[a], *y = &d->nodes[b];

	if (x->role != LW_ROLE_HUB && x->keepalive_line)
		return x->keepalive;
	if (y->role != LW_ROLE_HUB && y->keepalive_line)
		return y->keepalive;
	if (x->keepalive_line && y->keepalive_line)
		return x->keepalive < y->keepalive ? x->keepalive :
						     y->keepalive;
	if (x->keepalive_line || y->keepalive_line)
		return x->keepalive_line ? x->keepalive : y->keepalive;
	return d->net.keepalive;
}

static int fill_peer(struct lw_node_plan *pl, const struct lw_keyring *kr,
		     size_t peer, char *err, size_t errlen)
{
	const struct lw_desc *d = pl->desc;
	const struct lw_node *n = &d->nodes[peer];
	struct lw_peer_plan *pp = &pl->peers[pl->n_peers];
	const struct lw_psk *psk = keyring_psk(kr, pl->node, peer);
	struct lw_plist allowed = { 0 };

	if (!kr->nodes[peer].has_public) {
		snprintf(err, errlen,
			 "no key for %s in %s; run lanwire keys", n->name,
			 kr->dir);
		return -ENOKEY;
	}
	if (!psk || !psk->present) {
		snprintf(err, errlen,
			 "no preshared key for %s and %s in %s; run lanwire "
			 "keys",
			 pl->self->name, n->name, kr->dir);
		return -ENOKEY;
	}
	pp->psk_path = strdup(psk->path);
	if (!pp->psk_path || routes_allowed_ips(d, pl->node, peer, &allowed)) {
		free(pp->psk_path);
		pp->psk_path = NULL;
		plist_free(&allowed);
		return -ENOMEM;
	}
	pp->node = peer;
	memcpy(pp->public_key, kr->nodes[peer].public_key, LW_KEY_LEN);
	pp->has_psk = true;
	memcpy(pp->psk, psk->key, LW_KEY_LEN);
	pp->has_endpoint = n->role == LW_ROLE_HUB && n->endpoint.port;
	if (pp->has_endpoint)
		pp->endpoint = n->endpoint;
	pp->allowed_ips = allowed.v;
	pp->n_allowed_ips = allowed.n;
	pp->keepalive = link_keepalive(d, pl->node, peer);
	pl->n_peers++;
	return 0;
}

static int plan_peers(struct lw_node_plan *pl, const struct lw_keyring *kr,
		      char *err, size_t errlen)
{
	const struct lw_desc *d = pl->desc;
	size_t i, pass;
	int r;

	pl->peers = calloc(d->n_nodes ? d->n_nodes : 1, sizeof(*pl->peers));
	if (!pl->peers)
		return -ENOMEM;
	/* A hub lists its own spokes first, then the other hubs. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < d->n_nodes; i++) {
			bool hub = d->nodes[i].role == LW_ROLE_HUB;

			if (!desc_are_peers(d, pl->node, i) ||
			    hub != (pass == 1))
				continue;
			r = fill_peer(pl, kr, i, err, errlen);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Routes the peers' AllowedIPs need beyond the addresses' prefixes. */
static int plan_routes(struct lw_node_plan *pl)
{
	struct lw_plist l = { 0 };
	size_t i, j;
	bool connected;

	for (i = 0; i < pl->n_peers; i++) {
		const struct lw_peer_plan *pp = &pl->peers[i];

		for (j = 0; j < pp->n_allowed_ips; j++) {
			connected = false;
			for (size_t a = 0; a < pl->n_addrs; a++)
				connected |= prefix_contains(
					&pl->addrs[a], &pp->allowed_ips[j]);
			if (!connected && plist_add(&l, &pp->allowed_ips[j])) {
				plist_free(&l);
				return -ENOMEM;
			}
		}
	}
	plist_prune_covered(&l);
	plist_sort(&l);
	pl->routes = l.v;
	pl->n_routes = l.n;
	return 0;
}

/* Whether the network carries family fi anywhere (tunnel or a LAN). */
static bool carries(const struct lw_desc *d, unsigned int fi)
{
	size_t s, i;

	if (d->net.tunnel[fi].p.family)
		return true;
	for (s = 0; s < d->n_sites; s++) {
		for (i = 0; i < d->sites[s].n_lans; i++) {
			if (family_index(d->sites[s].lans[i].p.family) == fi)
				return true;
		}
	}
	return false;
}

static void plan_forwarding(struct lw_node_plan *pl)
{
	static const char *const sysctl[LW_FAMILIES] = {
		"net.ipv4.ip_forward=1",
		"net.ipv6.conf.all.forwarding=1",
	};
	unsigned int fi;

	pl->forwards = pl->self->role != LW_ROLE_CLIENT;
	for (fi = 0; pl->forwards && fi < LW_FAMILIES; fi++) {
		if (carries(pl->desc, fi))
			pl->sysctls[pl->n_sysctls++] = sysctl[fi];
	}
}

/* For a gateway whose LAN router must route tunnel prefixes to it. */
static int plan_lan_routes(struct lw_node_plan *pl)
{
	const struct lw_site *s = pl->site;
	struct lw_plist l = { 0 };
	const struct lw_lprefix *via;
	enum lw_relation rel;
	size_t i;

	if (!s || (!s->lan_address[0].p.family && !s->lan_address[1].p.family))
		return 0;
	/* Masquerade answers for the tunnel; the LAN still needs routes for
	 * what it opens itself. */
	rel = s->ret == LW_RETURN_ROUTE ? LW_REL_TALKS : LW_REL_OPENS_TO;
	if (routes_related(pl->desc, pl->node, rel, &l)) {
		plist_free(&l);
		return -ENOMEM;
	}
	pl->lan_routes = calloc(l.n ? l.n : 1, sizeof(*pl->lan_routes));
	if (!pl->lan_routes) {
		plist_free(&l);
		return -ENOMEM;
	}
	plist_sort(&l);
	for (i = 0; i < l.n; i++) {
		/* each family's routes via the lan-address of that family */
		via = &s->lan_address[family_index(l.v[i].family)];
		if (!via->p.family)
			continue;
		pl->lan_routes[pl->n_lan_routes].dst = l.v[i];
		pl->lan_routes[pl->n_lan_routes++].via = via->p;
	}
	plist_free(&l);
	return 0;
}

static int fill_link(struct lw_node_plan *pl, const struct lw_keyring *kr,
		     const struct lw_olink *l, int e, bool loose, char *err,
		     size_t errlen)
{
	const struct lw_desc *d = pl->desc;
	struct lw_link_plan *lp = &pl->links[pl->n_links];
	size_t peer = l->end[1 - e];
	const struct lw_node *pn = &d->nodes[peer];
	const struct lw_psk *psk = keyring_psk(kr, pl->node, peer);

	if (!kr->nodes[peer].has_public) {
		snprintf(err, errlen, "no key for %s in %s; run lanwire keys",
			 pn->name, kr->dir);
		return -ENOKEY;
	}
	snprintf(lp->iface, sizeof(lp->iface), "%s", l->iface);
	lp->peer = peer;
	lp->addr = l->addr[e];
	lp->peer_addr = l->addr[1 - e];
	lp->port = l->port;
	lp->cost = l->cost[e];
	lp->rp_loose = loose;
	memcpy(lp->public_key, kr->nodes[peer].public_key, LW_KEY_LEN);
	if (psk && psk->present) {
		lp->has_psk = true;
		memcpy(lp->psk, psk->key, LW_KEY_LEN);
	}
	if (pn->role == LW_ROLE_HUB && pn->endpoint.port) {
		lp->has_endpoint = true;
		lp->endpoint = pn->endpoint;
	} else if (pn->has_public_address) {
		lp->has_endpoint = true;
		lp->endpoint = pn->public_address;
	}
	if (lp->has_endpoint)
		lp->endpoint.port = l->port;
	pl->n_links++;
	return 0;
}

static int plan_links(struct lw_node_plan *pl, const struct lw_keyring *kr,
		      char *err, size_t errlen)
{
	struct lw_overlay o;
	unsigned long *dist = NULL;
	bool *loose = NULL;
	size_t i;
	int e, r = 0;

	if (pl->self->role == LW_ROLE_CLIENT || !overlay_active(pl->desc))
		return 0;
	if (overlay_build(pl->desc, &o))
		return -ENOMEM;
	pl->links = calloc(o.n_links ? o.n_links : 1, sizeof(*pl->links));
	loose = calloc(o.n_links ? 2 * o.n_links : 1, sizeof(*loose));
	dist = overlay_all_dist(&o);
	if (!pl->links || !loose || !dist)
		r = -ENOMEM;
	else
		overlay_rp_loose(&o, dist, loose);
	for (i = 0; !r && i < o.n_links; i++) {
		e = overlay_end(&o.links[i], pl->node);
		if (e >= 0)
			r = fill_link(pl, kr, &o.links[i], e,
				      loose[2 * i + (size_t)e], err, errlen);
	}
	free(loose);
	free(dist);
	overlay_free(&o);
	return r;
}

int plan_node(struct lw_node_plan *pl, const struct lw_desc *d,
	      const struct lw_keyring *kr, size_t node, char *err,
	      size_t errlen)
{
	const struct lw_node *n = &d->nodes[node];
	int r;

	memset(pl, 0, sizeof(*pl));
	err[0] = '\0';
	pl->desc = d;
	pl->node = node;
	pl->self = n;
	pl->site = n->role == LW_ROLE_GATEWAY ? &d->sites[n->site] : NULL;
	snprintf(pl->iface, sizeof(pl->iface), "%s", desc_node_iface(d, node));
	plan_addresses(pl, d);
	pl->listen_port = n->listen_port;
	if (!pl->listen_port && n->role == LW_ROLE_HUB)
		pl->listen_port = n->endpoint.port;
	pl->mtu = d->net.mtu;
	pl->masquerade = pl->site && pl->site->ret == LW_RETURN_MASQUERADE;
	plan_forwarding(pl);
	r = plan_private_key(pl, kr, err, errlen);
	if (!r)
		r = plan_peers(pl, kr, err, errlen);
	if (!r)
		r = plan_routes(pl);
	if (!r)
		r = plan_lan_routes(pl);
	if (!r)
		r = policy_firewall(d, node, &pl->fw);
	if (!r)
		r = plan_links(pl, kr, err, errlen);
	if (r) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		plan_free(pl);
	}
	return r;
}

void plan_free(struct lw_node_plan *pl)
{
	size_t i;

	for (i = 0; pl->peers && i < pl->n_peers; i++) {
		crypto_wipe(pl->peers[i].psk, LW_KEY_LEN);
		free(pl->peers[i].psk_path);
		free(pl->peers[i].allowed_ips);
	}
	free(pl->peers);
	for (i = 0; pl->links && i < pl->n_links; i++)
		crypto_wipe(pl->links[i].psk, LW_KEY_LEN);
	free(pl->links);
	free(pl->routes);
	free(pl->lan_routes);
	policy_free(&pl->fw);
	free(pl->private_key_path);
	crypto_wipe(pl->private_key, LW_KEY_LEN);
	memset(pl, 0, sizeof(*pl));
}
