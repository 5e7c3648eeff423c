// SPDX-License-Identifier: MIT
/*
 * Semantic checks of addresses (check_int.h): each node's addresses
 * inside its pool, not reserved and not shared; each site's LANs of a
 * family the tunnel has, clear of the tunnel, of hub endpoints and of each other, its lan-address and
 * host = lines inside its LANs, its lan-interface not the tunnel's.
 */
#include "check_int.h"

#include <netinet/in.h>
#include <string.h>

#include "alloc.h"

/* ---- node addresses ---- */

/* How many nodes' written family-fi addresses lie outside pool, which
 * is theirs; *first: the first of them. */
static size_t count_outside(const struct lw_desc *d, unsigned int fi,
			    const struct lw_lprefix *pool, size_t *first)
{
	const char *key;
	size_t i, n = 0;

	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *m = &d->nodes[i];

		if (!m->addr[fi].line || alloc_pool(d, m, fi, &key) != pool ||
		    prefix_contains(&pool->p, &m->addr[fi].p))
			continue;
		if (!n++)
			*first = i;
	}
	return n;
}

/*
 * A wrong pool or tunnel prefix puts every written address outside it:
 * from three on, one error at the first such node says so. True when n
 * is to be reported on its own.
 */
static bool report_outside(struct lw_desc *d, const struct lw_node *n,
			   unsigned int fi, const struct lw_lprefix *pool,
			   const char *key)
{
	char x[LW_PREFIX_STRLEN];
	size_t first = 0, count = count_outside(d, fi, pool, &first);

	if (count < 3)
		return true;
	if (&d->nodes[first] == n)
		err(d, n->addr[fi].line,
		    "the addresses of %zu nodes, from %s on, lie outside "
		    "their %s %s; if %s is right, renumber them (or leave "
		    "address out to have them allocated), else correct %s "
		    "(line %d)",
		    count, n->name, key, pfx(x, &pool->p), key, key,
		    pool->line ? pool->line : net_line(d));
	return false;
}

static void check_address(struct lw_desc *d, const struct lw_node *n,
			  unsigned int fi)
{
	const struct lw_lprefix *a = &n->addr[fi], *pool;
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	const char *key = "";

	if (!a->line)
		return;
	pool = alloc_pool(d, n, fi, &key);
	if (!pool) {
		err(d, a->line,
		    "address %s of %s is %s but the network has no %s tunnel "
		    "prefix",
		    adr(x, &a->p), n->name, family_name(a->p.family),
		    family_name(a->p.family));
	} else if (!prefix_contains(&pool->p, &a->p)) {
		if (!report_outside(d, n, fi, pool, key))
			return;
		err(d, a->line,
		    "address %s of %s is outside its %s %s; pick one inside, "
		    "or leave address out to have one allocated",
		    adr(x, &a->p), n->name, key, pfx(y, &pool->p));
	} else if (addr_is_reserved_in(&a->p, &pool->p)) {
		err(d, a->line,
		    "address %s of %s is the network or broadcast address of "
		    "%s %s; pick another",
		    adr(x, &a->p), n->name, key, pfx(y, &pool->p));
	}
}

static void check_duplicate_address(struct lw_desc *d, size_t i,
				    unsigned int fi)
{
	const struct lw_node *n = &d->nodes[i];
	char x[LW_PREFIX_STRLEN];
	size_t j;

	if (!n->addr[fi].p.family)
		return;
	for (j = 0; j < i; j++) {
		const struct lw_node *m = &d->nodes[j];

		if (!prefix_equal(&m->addr[fi].p, &n->addr[fi].p))
			continue;
		err(d, n->addr[fi].line ? n->addr[fi].line : n->line,
		    "address %s of %s is already %s's (line %d); each node "
		    "needs its own",
		    adr(x, &n->addr[fi].p), n->name, m->name,
		    m->addr[fi].line ? m->addr[fi].line : m->line);
		return;
	}
}

void check_addresses(struct lw_desc *d)
{
	unsigned int fi;
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		for (fi = 0; fi < LW_FAMILIES; fi++) {
			check_address(d, &d->nodes[i], fi);
			check_duplicate_address(d, i, fi);
		}
	}
}

/* ---- sites and LANs ---- */

static void check_lan_vs_network(struct lw_desc *d, const struct lw_site *s,
				 const struct lw_lprefix *lan)
{
	unsigned int fi = family_index(lan->p.family);
	const struct lw_lprefix *t = &d->net.tunnel[fi];
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	size_t i;

	if (!t->p.family) {
		/* Without one, no node has an address of that family to
		 * route or filter the LAN's traffic with. */
		err(d, lan->line,
		    "LAN %s of site %s is %s but the network has no %s "
		    "tunnel prefix; add one to tunnel = in [network], or "
		    "remove the LAN",
		    pfx(x, &lan->p), s->name, family_name(lan->p.family),
		    family_name(lan->p.family));
		return;
	}
	if (prefix_overlaps(&t->p, &lan->p))
		err(d, lan->line,
		    "LAN %s of site %s overlaps the tunnel %s; LAN and tunnel "
		    "prefixes must not overlap",
		    pfx(x, &lan->p), s->name, pfx(y, &t->p));
	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *h = &d->nodes[i];

		if (h->role == LW_ROLE_HUB && h->endpoint.is_literal &&
		    prefix_contains(&lan->p, &h->endpoint.addr))
			err(d, lan->line,
			    "LAN %s of site %s holds the endpoint of hub %s; "
			    "routing it into the tunnel would loop",
			    pfx(x, &lan->p), s->name, h->name);
	}
}

/* Compares LAN k of site si with every earlier LAN. */
static void check_lan_overlaps(struct lw_desc *d, size_t si, size_t k)
{
	const struct lw_lprefix *lan = &d->sites[si].lans[k];
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	size_t sj, m;

	for (sj = 0; sj <= si; sj++) {
		const struct lw_site *o = &d->sites[sj];

		for (m = 0; m < o->n_lans && (sj < si || m < k); m++) {
			if (!prefix_overlaps(&o->lans[m].p, &lan->p))
				continue;
			err(d, lan->line,
			    "LAN %s of site %s overlaps LAN %s of site %s "
			    "(line %d); traffic for the overlap cannot be "
			    "routed to both: renumber one of them",
			    pfx(x, &lan->p), d->sites[si].name,
			    pfx(y, &o->lans[m].p), o->name, o->lans[m].line);
			return;
		}
	}
}

/* One of the site's lan-addresses lies in one of its LANs. */
static void check_lan_address_in(struct lw_desc *d, const struct lw_site *s,
				 const struct lw_lprefix *la)
{
	char x[LW_PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < s->n_lans; i++) {
		if (prefix_contains(&s->lans[i].p, &la->p))
			return;
	}
	err(d, la->line,
	    "lan-address %s of site %s is not inside any of its LANs",
	    adr(x, &la->p), s->name);
}

/* Whether the site has a LAN of family index fi. */
static bool has_lan_of(const struct lw_site *s, unsigned int fi)
{
	size_t i;

	for (i = 0; i < s->n_lans; i++)
		if (family_index(s->lans[i].p.family) == fi)
			return true;
	return false;
}

/* return = route with a lan-address in one family only: the LAN router
 * gets no routes for the other's LANs, so their replies are lost. */
static void check_route_families(struct lw_desc *d, const struct lw_site *s)
{
	static const uint8_t fam[LW_FAMILIES] = { AF_INET, AF_INET6 };
	unsigned int fi;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (s->ret != LW_RETURN_ROUTE || s->lan_address[fi].p.family ||
		    !has_lan_of(s, fi))
			continue;
		err(d, s->lan_address[!fi].line,
		    "site %s returns traffic by route but has no %s "
		    "lan-address for its %s LAN; add the gateway's %s "
		    "address on the LAN to lan-address",
		    s->name, family_name(fam[fi]), family_name(fam[fi]),
		    family_name(fam[fi]));
	}
}

static void check_lan_address(struct lw_desc *d, const struct lw_site *s)
{
	unsigned int fi;
	bool any = false;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (!s->lan_address[fi].p.family)
			continue;
		any = true;
		check_lan_address_in(d, s, &s->lan_address[fi]);
	}
	if (any)
		check_route_families(d, s);
	else {
		if (s->ret == LW_RETURN_ROUTE)
			err(d, s->return_line ? s->return_line : s->line,
			    "site %s returns traffic by route but has no "
			    "lan-address; add the gateway's address on its "
			    "LAN (lan-address = ...) for the LAN router's "
			    "route to name",
			    s->name);
	}
}

/* host = NAME ADDRESS lines lie inside the site's LANs. */
static void check_site_hosts(struct lw_desc *d, const struct lw_site *s)
{
	char x[LW_PREFIX_STRLEN];
	size_t h, k;
	bool inside;

	for (h = 0; h < s->n_hosts; h++) {
		inside = false;
		for (k = 0; k < s->n_lans; k++)
			inside |= prefix_contains(&s->lans[k].p,
						  &s->hosts[h].p);
		prefix_format_nft(x, sizeof(x), &s->hosts[h].p);
		if (!inside)
			err(d, s->hosts[h].line,
			    "host %s %s is not inside a LAN of site %s; write "
			    "an address or prefix of its LAN",
			    s->hosts[h].name, x, s->name);
	}
}

static void check_site(struct lw_desc *d, size_t si)
{
	const struct lw_site *s = &d->sites[si];
	size_t k;

	if (!s->n_lans) {
		err(d, s->line,
		    "site %s has no LAN; add lan = PREFIX (the LAN its "
		    "gateway fronts)",
		    s->name);
		return;
	}
	for (k = 0; k < s->n_lans; k++) {
		check_lan_vs_network(d, s, &s->lans[k]);
		check_lan_overlaps(d, si, k);
	}
	check_lan_address(d, s);
	check_site_hosts(d, s);
	if (s->lan_iface[0] && !strcmp(s->lan_iface,
				       desc_node_iface(d, s->gateway)))
		err(d, s->lan_iface_line,
		    "lan-interface %s of site %s is the tunnel interface; "
		    "name the LAN's interface (e.g. eth0)",
		    s->lan_iface, s->name);
}

void check_sites(struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_sites; i++)
		check_site(d, i);
}
