// SPDX-License-Identifier: MIT
/*
 * A client's routes to site LANs (see routes.h): per site, what the rules
 * let it exchange traffic with (whole LANs, or only SITE:HOST prefixes),
 * and for each LAN of a site it may sit in, a summary: the narrowest
 * prefix strictly less specific than the LAN, so that on site the on-link
 * route wins (seed 001), inside the LAN's private block and covering no
 * hub endpoint and no LAN the client may not reach. Narrowest, because
 * every address a route covers is taken from the network the laptop sits
 * in: 10.0.0.0/8 for a 10.10.0.0/16 HQ would swallow a hotel's or a
 * carrier's 10.x network.
 */
#include "routes.h"

#include <errno.h>
#include <string.h>

#include "desc.h"

bool routes_client_visits(const struct lw_desc *d, size_t n, size_t s)
{
	const struct lw_node *c = &d->nodes[n];
	size_t i;

	if (c->visits_none)
		return false;
	if (!c->visits_given)
		return true;
	for (i = 0; i < c->n_visits; i++) {
		if (c->visits[i].kind == LW_REF_SITE && c->visits[i].index == s)
			return true;
	}
	return false;
}

/* What no summary of client n may cover: hub endpoints and the LANs of
 * sites the client may not reach. */
static int forbidden_set(const struct lw_desc *d, size_t n,
			 struct lw_plist *out)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *h = &d->nodes[i];

		if (h->role == LW_ROLE_HUB && h->endpoint.is_literal &&
		    plist_add(out, &h->endpoint.addr))
			return -ENOMEM;
	}
	for (i = 0; i < d->n_sites; i++) {
		if (!desc_talks(d, n, d->sites[i].gateway) &&
		    plist_add_lans(out, &d->sites[i]))
			return -ENOMEM;
	}
	return 0;
}

static bool overlaps_any(const struct lw_plist *l, const struct lw_prefix *p,
			 struct lw_prefix *which)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (prefix_overlaps(&l->v[i], p)) {
			*which = l->v[i];
			return true;
		}
	}
	return false;
}

bool routes_summarise_lan(const struct lw_prefix *lan,
			  const struct lw_plist *forbidden,
			  struct lw_prefix *out, struct lw_conflict *c)
{
	struct lw_prefix block, cand, hit;

	if (!prefix_private_block(lan, &block)) {
		c->public_space = true;
		return false;
	}
	c->block = block;
	if (lan->len <= block.len)
		return false; /* the whole block: nothing wider is private */
	/* One bit shorter is the narrowest; anything wider covers what it
	 * covers, so if it hits something, so would they. */
	cand = *lan;
	prefix_truncate(&cand, lan->len - 1u);
	if (overlaps_any(forbidden, &cand, &hit)) {
		c->has_blocker = true;
		c->blocker = hit;
		return false;
	}
	*out = cand;
	return true;
}

/* Whether refs name client n (itself, or a group holding it). */
static bool refs_hold(const struct lw_desc *d, const struct lw_ref *refs,
		      size_t count, size_t n)
{
	const struct lw_group *g;
	size_t i, m;

	for (i = 0; i < count; i++) {
		if (refs[i].kind == LW_REF_NODE && refs[i].index == n)
			return true;
		if (refs[i].kind != LW_REF_GROUP)
			continue;
		g = &d->groups[refs[i].index];
		for (m = 0; m < g->n_members; m++) {
			if (g->members[m] == n)
				return true;
		}
	}
	return false;
}

/* Adds to hosts the SITE:HOST prefixes of site s that refs name; *whole
 * when they name the site itself. */
static int site_refs(const struct lw_ref *refs, size_t count, size_t s,
		     struct lw_plist *hosts, bool *whole)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (refs[i].kind != LW_REF_SITE || refs[i].index != s ||
		    refs[i].itself)
			continue;
		if (!refs[i].has_prefix)
			*whole = true;
		else if (plist_add(hosts, &refs[i].prefix))
			return -ENOMEM;
	}
	return 0;
}

/*
 * What of site s client n exchanges traffic with, in either direction:
 * *whole (its LANs), or the host prefixes in hosts (contractors that may
 * reach one server). Neither: only the gateway's own services, which the
 * tunnel prefix routes.
 */
static int site_reach(const struct lw_desc *d, size_t n, size_t s,
		      struct lw_plist *hosts, bool *whole)
{
	size_t i;
	int r = 0;

	*whole = false;
	for (i = 0; !r && i < d->n_rules; i++) {
		const struct lw_rule *ru = &d->rules[i];

		if (refs_hold(d, ru->from, ru->n_from, n))
			r = site_refs(ru->to, ru->n_to, s, hosts, whole);
		if (!r && refs_hold(d, ru->to, ru->n_to, n))
			r = site_refs(ru->from, ru->n_from, s, hosts, whole);
	}
	return r;
}

/* Records the first conflict. */
static void note_conflict(struct lw_conflict *c, bool *conflicted,
			  const struct lw_conflict *tmp, size_t s, size_t k)
{
	if (*conflicted)
		return;
	*c = *tmp;
	c->site = s;
	c->lan = k;
	*conflicted = true;
}

/* One summary run over a client's sites. */
struct summary_run {
	lw_summarise_fn summarise;
	const struct lw_plist *forbidden;
	struct lw_plist *out;
	struct lw_conflict *c;
	bool conflicted;
};

/* Site s's LANs, each summarised (n may sit there) or as they are. */
static int add_lans(const struct lw_desc *d, size_t n, size_t s,
		    struct summary_run *x)
{
	const struct lw_site *site = &d->sites[s];
	bool visits = routes_client_visits(d, n, s);
	struct lw_conflict tmp;
	struct lw_prefix sum;
	size_t k;

	for (k = 0; k < site->n_lans; k++) {
		const struct lw_prefix *lan = &site->lans[k].p;

		memset(&tmp, 0, sizeof(tmp));
		sum = *lan;
		if (visits && !x->summarise(lan, x->forbidden, &sum, &tmp)) {
			sum = *lan;
			note_conflict(x->c, &x->conflicted, &tmp, s, k);
		}
		if (plist_add(x->out, &sum))
			return -ENOMEM;
	}
	return 0;
}

/*
 * Site s's routes for client n: host routes when n reaches only hosts
 * there and never sits there; else its LANs (summarised where n may sit,
 * even if it reaches only hosts: a host route would beat the on-link
 * route on site).
 */
static int add_site_routes(const struct lw_desc *d, size_t n, size_t s,
			   struct summary_run *x)
{
	struct lw_plist hosts = { 0 };
	bool whole, any;
	size_t k;
	int r;

	r = site_reach(d, n, s, &hosts, &whole);
	any = whole || hosts.n;
	if (!r && any && !whole && !routes_client_visits(d, n, s)) {
		for (k = 0; !r && k < hosts.n; k++)
			r = plist_add(x->out, &hosts.v[k]);
		plist_free(&hosts);
		return r;
	}
	plist_free(&hosts);
	if (r || !any)
		return r;
	return add_lans(d, n, s, x);
}

int routes_client_summary_by(const struct lw_desc *d, size_t n,
			     lw_summarise_fn summarise, struct lw_plist *out,
			     struct lw_conflict *c)
{
	struct lw_plist forbidden = { 0 };
	struct summary_run x = { summarise, &forbidden, out, c, false };
	size_t s;
	int r;

	memset(c, 0, sizeof(*c));
	r = forbidden_set(d, n, &forbidden);
	for (s = 0; !r && s < d->n_sites; s++) {
		if (desc_talks(d, n, d->sites[s].gateway))
			r = add_site_routes(d, n, s, &x);
	}
	plist_free(&forbidden);
	if (r)
		return r;
	plist_prune_covered(out);
	return x.conflicted ? 1 : 0;
}

int routes_client_summary(const struct lw_desc *d, size_t n,
			  struct lw_plist *out, struct lw_conflict *c)
{
	return routes_client_summary_by(d, n, routes_summarise_lan, out, c);
}
