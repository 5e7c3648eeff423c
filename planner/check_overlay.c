// SPDX-License-Identifier: MIT
/*
 * Checks of the overlay (overlay.h, docs/overlay.md): [link]s name two
 * known sites once, a site's hubs = names hubs, a direct link has an end
 * to dial, link-pool and link-port hold every link, every router reaches
 * every other, and no router carries only one direction of a pair of
 * sites that talk.
 *
 * That last one is "a stateful rule on a one-direction transit node":
 * hubs forward between links statelessly (render_nft.c: each allow rule
 * and its replies matched without state), but a site
 * gateway's forward chain accepts replies only as ct state established,
 * so a gateway that carries one direction of a flow between two other
 * sites drops the other. Such a gateway is refused, naming the pair and
 * the costs to change; a hub is not.
 */
#include "check_int.h"

#include <stdlib.h>
#include <string.h>

#include "overlay.h"

static void check_link_decls(struct lw_desc *d)
{
	size_t i, k;

	for (i = 0; i < d->n_links; i++) {
		const struct lw_link_decl *l = &d->links[i];
		ssize_t a = desc_find_site(d, l->a), c = desc_find_site(d, l->c);

		if (a < 0 || c < 0) {
			err(d, l->line,
			    "[link %s %s] names '%s', which is not a site; a "
			    "link joins the gateways of two [site]s",
			    l->a, l->c, a < 0 ? l->a : l->c);
			continue;
		}
		if (!d->nodes[d->sites[a].gateway].has_public_address &&
		    !d->nodes[d->sites[c].gateway].has_public_address)
			err(d, l->line,
			    "[link %s %s]: neither site has a public-address; "
			    "give the one the other can reach one",
			    l->a, l->c);
		for (k = 0; k < i; k++) {
			const struct lw_link_decl *o = &d->links[k];

			if ((!strcmp(o->a, l->a) && !strcmp(o->c, l->c)) ||
			    (!strcmp(o->a, l->c) && !strcmp(o->c, l->a))) {
				err(d, l->line,
				    "a second [link] between %s and %s (first "
				    "on line %d); one link per pair, with a "
				    "cost per direction",
				    l->a, l->c, o->line);
				break;
			}
		}
	}
}

static void check_site_hubs(struct lw_desc *d)
{
	size_t i, k;

	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *n = &d->nodes[i];

		for (k = 0; k < n->n_hubs; k++) {
			ssize_t h = desc_find_node(d, n->hubs[k].name);

			if (h < 0 || d->nodes[h].role != LW_ROLE_HUB)
				err(d, n->hubs_line,
				    "hubs names '%s', which is not a hub",
				    n->hubs[k].name);
		}
	}
}

static void check_link_room(struct lw_desc *d, const struct lw_overlay *o)
{
	char a[LW_PREFIX_STRLEN];
	size_t i, k;
	int line;

	if (!o->n_links)
		return;
	line = d->net.link_pool.line ? d->net.link_pool.line : net_line(d);
	if (!o->links[o->n_links - 1].has_addr) {
		unsigned int len = 31;

		while (len > 8 && ((uint64_t)1 << (32 - len)) < 2 * o->n_links)
			len--;
		err(d, line,
		    "the overlay's %zu links need a /31 each from an IPv4 "
		    "link-pool (default: the IPv4 infra-pool); give link-pool "
		    "= a prefix of /%u or wider",
		    o->n_links, len);
		return;
	}
	if (!o->links[o->n_links - 1].port)
		err(d, d->net.link_port_line ? d->net.link_port_line
					     : net_line(d),
		    "link-port %u plus %zu links passes 65535; lower it",
		    d->net.link_port, o->n_links);
	for (i = 0; i < o->n_links; i++) {
		for (k = 0; k < d->n_nodes; k++) {
			const struct lw_lprefix *na = &d->nodes[k].addr[0];
			const struct lw_olink *l = &o->links[i];

			if (!na->p.family)
				continue;
			if (prefix_equal(&na->p, &l->addr[0]) ||
			    prefix_equal(&na->p, &l->addr[1]))
				err(d, na->line ? na->line : d->nodes[k].line,
				    "%s's address %s is link %s's (the top of "
				    "the link pool); pick another or set "
				    "link-pool",
				    d->nodes[k].name, adr(a, &na->p),
				    l->iface);
		}
	}
}

/* Every site reaches the hubs both ways (hubs are linked pairwise, so
 * then every router reaches every other); else the site is cut off. */
static void check_reach(struct lw_desc *d, const unsigned long *dist)
{
	size_t n = d->n_nodes, s, hub, gw;

	for (hub = 0; hub < n && d->nodes[hub].role != LW_ROLE_HUB; hub++)
		;
	if (hub == n)
		return; /* check_hubs() says a network needs one */
	for (s = 0; s < d->n_sites; s++) {
		gw = d->sites[s].gateway;
		if (dist[hub * n + gw] != LW_DIST_INF &&
		    dist[gw * n + hub] != LW_DIST_INF)
			continue;
		err(d, d->nodes[gw].hubs_line ? d->nodes[gw].hubs_line
					      : d->sites[s].line,
		    "site %s is cut off: no chain of links joins it to the "
		    "hubs; give it a hub (hubs =) or a [link] to a site that "
		    "has one",
		    d->sites[s].name);
	}
}

/* Whether v lies on a shortest path from a to b. */
static bool on_path(const unsigned long *dist, size_t n, size_t a, size_t b,
		    size_t v)
{
	unsigned long av = dist[a * n + v], vb = dist[v * n + b];

	return av != LW_DIST_INF && vb != LW_DIST_INF &&
	       av + vb == dist[a * n + b];
}

static void check_pair(struct lw_desc *d, const unsigned long *dist,
		       size_t s, size_t t)
{
	size_t n = d->n_nodes, a = d->sites[s].gateway, b = d->sites[t].gateway;
	size_t v;
	bool there, back;

	if (dist[a * n + b] == LW_DIST_INF || dist[b * n + a] == LW_DIST_INF)
		return;
	for (v = 0; v < n; v++) {
		/* hubs are stateless between links, clients route nothing */
		if (v == a || v == b || d->nodes[v].role != LW_ROLE_GATEWAY)
			continue;
		there = on_path(dist, n, a, b, v);
		back = on_path(dist, n, b, a, v);
		if (there == back)
			continue;
		err(d, d->nodes[v].line,
		    "%s carries site %s -> %s but not %s -> %s (the costs "
		    "make the paths asymmetric), and a site gateway's forward "
		    "rules are stateful: it would drop the replies. Make the "
		    "costs symmetric, let a hub carry the one direction, or "
		    "stop %s and %s talking",
		    d->nodes[v].name, d->sites[there ? s : t].name,
		    d->sites[there ? t : s].name, d->sites[there ? t : s].name,
		    d->sites[there ? s : t].name, d->sites[s].name,
		    d->sites[t].name);
	}
}

static void check_asymmetry(struct lw_desc *d, const unsigned long *dist)
{
	size_t s, t;

	for (s = 0; s < d->n_sites; s++) {
		for (t = s + 1; t < d->n_sites; t++) {
			if (desc_talks(d, d->sites[s].gateway,
				       d->sites[t].gateway))
				check_pair(d, dist, s, t);
		}
	}
}

void check_overlay(struct lw_desc *d)
{
	struct lw_overlay o;
	unsigned long *dist;

	check_link_decls(d);
	check_site_hubs(d);
	if (!overlay_active(d))
		return;
	if (overlay_build(d, &o)) {
		err(d, 0, "out of memory checking the overlay");
		return;
	}
	check_link_room(d, &o);
	dist = overlay_all_dist(&o);
	if (!dist) {
		err(d, 0, "out of memory checking the overlay");
	} else {
		check_reach(d, dist);
		if (!d->n_errors)
			check_asymmetry(d, dist);
	}
	free(dist);
	overlay_free(&o);
}
