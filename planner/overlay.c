// SPDX-License-Identifier: MIT
/*
 * The overlay's links and paths (overlay.h): which routers get a link,
 * each link's cost per direction, /31 addresses from link-pool, port and
 * interface name; and shortest paths over them the way OSPF computes
 * them (each direction costs what its sending end's interface says).
 */
#include "overlay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "desc.h"

bool overlay_active(const struct lw_desc *d)
{
	size_t i, hubs = 0;

	for (i = 0; i < d->n_nodes; i++)
		hubs += d->nodes[i].role == LW_ROLE_HUB;
	return hubs > 1 || d->n_links > 0;
}

unsigned int overlay_hub_cost(const struct lw_desc *d, size_t hub)
{
	size_t i, place = 0;

	if (d->nodes[hub].cost)
		return d->nodes[hub].cost;
	for (i = 0; i < hub; i++)
		place += d->nodes[i].role == LW_ROLE_HUB;
	return (unsigned int)((place + 1) * LW_HUB_COST_STEP);
}

bool overlay_site_uses_hub(const struct lw_desc *d, size_t gw, size_t hub)
{
	const struct lw_node *n = &d->nodes[gw];
	size_t i;

	if (n->hubs_none)
		return false;
	if (!n->n_hubs)
		return true;
	for (i = 0; i < n->n_hubs; i++) {
		if (!strcmp(n->hubs[i].name, d->nodes[hub].name))
			return true;
	}
	return false;
}

/* The IPv4 prefix the /31s come from: link-pool, else the IPv4 infra
 * pool, else the IPv4 tunnel prefix; NULL if the network has none. */
static const struct lw_prefix *link_pool(const struct lw_desc *d)
{
	if (d->net.link_pool.p.family)
		return &d->net.link_pool.p;
	if (d->net.infra_pool[0].p.family)
		return &d->net.infra_pool[0].p;
	if (d->net.tunnel[0].p.family)
		return &d->net.tunnel[0].p;
	return NULL;
}

static uint32_t v4(const struct lw_prefix *p)
{
	return (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
	       (uint32_t)p->addr[2] << 8 | p->addr[3];
}

static void set_v4(struct lw_prefix *p, uint32_t a, uint8_t len)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->len = len;
	p->addr[0] = (uint8_t)(a >> 24);
	p->addr[1] = (uint8_t)(a >> 16);
	p->addr[2] = (uint8_t)(a >> 8);
	p->addr[3] = (uint8_t)a;
}

/* Link index i's /31 from the top of the pool down. */
static void link_addrs(const struct lw_desc *d, size_t i, struct lw_olink *l)
{
	const struct lw_prefix *pool = link_pool(d);
	uint64_t size, off = 2 * ((uint64_t)i + 1);
	uint32_t base;

	if (!pool)
		return;
	size = (uint64_t)1 << (32 - pool->len);
	if (off > size)
		return;
	base = (uint32_t)(v4(pool) + size - off);
	set_v4(&l->addr[0], base, 32);
	set_v4(&l->addr[1], base + 1, 32);
	l->has_addr = true;
}

static int add(const struct lw_desc *d, struct lw_overlay *o,
	       enum lw_olink_kind kind, size_t a, size_t b, unsigned int ab,
	       unsigned int ba, int line)
{
	struct lw_olink *l;
	size_t i = o->n_links;
	unsigned long port = d->net.link_port + (unsigned long)i;

	if (lw_grow(&o->links, &o->cap_links, i + 1, sizeof(*o->links)))
		return -ENOMEM;
	l = &o->links[i];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->end[0] = a;
	l->end[1] = b;
	l->cost[0] = ab;
	l->cost[1] = ba;
	l->line = line;
	l->port = port <= 65535 ? (uint16_t)port : 0;
	snprintf(l->iface, sizeof(l->iface), "%s%zu", d->net.link_iface, i);
	link_addrs(d, i, l);
	o->n_links++;
	return 0;
}

static int add_hub_links(const struct lw_desc *d, struct lw_overlay *o)
{
	size_t a, b;
	unsigned int ca, cb;

	for (a = 0; a < d->n_nodes; a++) {
		if (d->nodes[a].role != LW_ROLE_HUB)
			continue;
		for (b = a + 1; b < d->n_nodes; b++) {
			if (d->nodes[b].role != LW_ROLE_HUB)
				continue;
			ca = overlay_hub_cost(d, a);
			cb = overlay_hub_cost(d, b);
			if (add(d, o, LW_OLINK_HUBS, a, b, ca > cb ? ca : cb,
				ca > cb ? ca : cb, d->nodes[b].line))
				return -ENOMEM;
		}
	}
	return 0;
}

static int add_site_links(const struct lw_desc *d, struct lw_overlay *o)
{
	size_t s, h, gw;
	unsigned int c;
	int line;

	for (s = 0; s < d->n_sites; s++) {
		gw = d->sites[s].gateway;
		line = d->nodes[gw].hubs_line ? d->nodes[gw].hubs_line
					      : d->sites[s].line;
		for (h = 0; h < d->n_nodes; h++) {
			if (d->nodes[h].role != LW_ROLE_HUB ||
			    !overlay_site_uses_hub(d, gw, h))
				continue;
			c = overlay_hub_cost(d, h);
			if (add(d, o, LW_OLINK_HUB_SITE, h, gw, c, c, line))
				return -ENOMEM;
		}
	}
	return 0;
}

static int add_direct_links(const struct lw_desc *d, struct lw_overlay *o)
{
	const struct lw_link_decl *k;
	ssize_t a, c;
	size_t i;

	for (i = 0; i < d->n_links; i++) {
		k = &d->links[i];
		a = desc_find_site(d, k->a);
		c = desc_find_site(d, k->c);
		if (a < 0 || c < 0 || a == c)
			continue;
		if (add(d, o, LW_OLINK_DIRECT, d->sites[a].gateway,
			d->sites[c].gateway, k->cost_ac, k->cost_ca, k->line))
			return -ENOMEM;
		o->links[o->n_links - 1].decl = i;
	}
	return 0;
}

int overlay_build(const struct lw_desc *d, struct lw_overlay *o)
{
	memset(o, 0, sizeof(*o));
	o->n_nodes = d->n_nodes;
	if (add_hub_links(d, o) || add_site_links(d, o) ||
	    add_direct_links(d, o)) {
		overlay_free(o);
		return -ENOMEM;
	}
	return 0;
}

void overlay_free(struct lw_overlay *o)
{
	free(o->links);
	memset(o, 0, sizeof(*o));
}

int overlay_end(const struct lw_olink *l, size_t node)
{
	if (l->end[0] == node)
		return 0;
	return l->end[1] == node ? 1 : -1;
}

/* Dijkstra without a heap: networks are small, and this is plain to
 * compare against the reference in overlay_test.c. */
int overlay_dist(const struct lw_overlay *o, size_t src, unsigned long *dist)
{
	bool *done = calloc(o->n_nodes ? o->n_nodes : 1, sizeof(*done));
	size_t i, k, u;
	unsigned long best;

	if (!done)
		return -ENOMEM;
	for (i = 0; i < o->n_nodes; i++)
		dist[i] = LW_DIST_INF;
	if (src < o->n_nodes)
		dist[src] = 0;
	for (;;) {
		best = LW_DIST_INF;
		u = o->n_nodes;
		for (i = 0; i < o->n_nodes; i++) {
			if (!done[i] && dist[i] < best) {
				best = dist[i];
				u = i;
			}
		}
		if (u == o->n_nodes)
			break;
		done[u] = true;
		for (k = 0; k < o->n_links; k++) {
			const struct lw_olink *l = &o->links[k];
			int e = overlay_end(l, u);
			size_t v;

			if (e < 0)
				continue;
			v = l->end[1 - e];
			if (dist[u] + l->cost[e] < dist[v])
				dist[v] = dist[u] + l->cost[e];
		}
	}
	free(done);
	return 0;
}

unsigned long *overlay_all_dist(const struct lw_overlay *o)
{
	size_t n = o->n_nodes, i;
	unsigned long *dist = calloc(n ? n * n : 1, sizeof(*dist));

	if (!dist)
		return NULL;
	for (i = 0; i < n; i++) {
		if (overlay_dist(o, i, dist + i * n)) {
			free(dist);
			return NULL;
		}
	}
	return dist;
}

/* Whether a shortest path from v to s may leave by a link other than
 * link k. */
static bool back_elsewhere(const struct lw_overlay *o,
			   const unsigned long *dist, size_t v, size_t s,
			   size_t k)
{
	size_t n = o->n_nodes, j;

	for (j = 0; j < o->n_links; j++) {
		const struct lw_olink *l = &o->links[j];
		int e = overlay_end(l, v);
		size_t w;

		if (j == k || e < 0 || l->end[0] == l->end[1])
			continue;
		w = l->end[1 - e];
		if (dist[w * n + s] != LW_DIST_INF &&
		    l->cost[e] + dist[w * n + s] == dist[v * n + s])
			return true;
	}
	return false;
}

/* Whether a shortest path from s to some router enters v over link k
 * from u (cost c on the way in). */
static bool enters(const struct lw_overlay *o, const unsigned long *dist,
		   size_t s, size_t u, size_t v, unsigned int c)
{
	size_t n = o->n_nodes, t;

	if (dist[s * n + u] == LW_DIST_INF)
		return false;
	for (t = 0; t < n; t++) {
		if (dist[v * n + t] != LW_DIST_INF &&
		    dist[s * n + u] + c + dist[v * n + t] == dist[s * n + t])
			return true;
	}
	return false;
}

void overlay_rp_loose(const struct lw_overlay *o, const unsigned long *dist,
		      bool *loose)
{
	size_t k, s;
	int e;

	for (k = 0; k < o->n_links; k++) {
		const struct lw_olink *l = &o->links[k];

		for (e = 0; e < 2; e++) {
			size_t v = l->end[e], u = l->end[1 - e];

			loose[2 * k + e] = false;
			if (u == v)
				continue;
			for (s = 0; s < o->n_nodes && !loose[2 * k + e]; s++)
				loose[2 * k + e] =
					s != v &&
					enters(o, dist, s, u, v, l->cost[1 - e]) &&
					back_elsewhere(o, dist, v, s, k);
		}
	}
}
