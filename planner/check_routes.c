// SPDX-License-Identifier: MIT
/*
 * Semantic checks of clients' routes (check_int.h): visits name sites,
 * written routes are not as specific as a LAN the client may sit in
 * (seed 001) and cover every LAN the policy lets it reach, and a
 * summarised route set has no conflict (routes.c).
 */
#include "check_int.h"

#include "routes.h"

/* ---- client routes ---- */

static void check_visits(struct lw_desc *d, const struct lw_node *n)
{
	size_t i;

	for (i = 0; i < n->n_visits; i++) {
		if (n->visits[i].kind != LW_REF_SITE)
			err(d, n->visits_line,
			    "visits names %s, which is not a site",
			    n->visits[i].name);
	}
}

/* Seed 001: a written route as specific as a LAN the client sits in. */
static void check_written_routes(struct lw_desc *d, size_t ni)
{
	const struct lw_node *n = &d->nodes[ni];
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	size_t r, s, k;

	for (r = 0; r < n->n_routes; r++) {
		for (s = 0; s < d->n_sites; s++) {
			const struct lw_site *site = &d->sites[s];

			if (!routes_client_visits(d, ni, s))
				continue;
			for (k = 0; k < site->n_lans; k++) {
				if (!prefix_contains(&site->lans[k].p,
						     &n->routes[r].p))
					continue;
				err(d, n->routes[r].line,
				    "route %s of client %s is as specific as "
				    "LAN %s of site %s, where %s may sit: on "
				    "site the tunnel route would beat the "
				    "on-link route and LAN traffic would "
				    "detour through the hub; route a shorter "
				    "prefix that covers it, or leave routes "
				    "out to have one summarised",
				    pfx(x, &n->routes[r].p), n->name,
				    pfx(y, &site->lans[k].p), site->name,
				    n->name);
			}
		}
	}
}

/* Hand-written routes should still reach every LAN the client may. */
static void check_routes_cover(struct lw_desc *d, size_t ni)
{
	const struct lw_node *n = &d->nodes[ni];
	char x[LW_PREFIX_STRLEN];
	size_t s, k, r;
	bool covered;

	for (s = 0; s < d->n_sites; s++) {
		const struct lw_site *site = &d->sites[s];

		if (!desc_talks(d, ni, site->gateway))
			continue;
		for (k = 0; k < site->n_lans; k++) {
			covered = false;
			for (r = 0; r < n->n_routes && !covered; r++)
				covered = prefix_contains(&n->routes[r].p,
							  &site->lans[k].p);
			if (!covered)
				warn(d, n->routes_line,
				     "routes of %s do not cover LAN %s of site "
				     "%s, which the policy lets %s reach",
				     n->name, pfx(x, &site->lans[k].p),
				     site->name, n->name);
		}
	}
}

static void report_conflict(struct lw_desc *d, const struct lw_node *n,
			    const struct lw_conflict *c)
{
	const struct lw_site *s = &d->sites[c->site];
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN], z[LW_PREFIX_STRLEN];
	int line = n->visits_line ? n->visits_line : n->line;

	if (c->public_space)
		err(d, line,
		    "client %s may sit in site %s, whose LAN %s is public "
		    "address space that no wider route may cover: on site, "
		    "its traffic would detour through the hub; leave %s out "
		    "of visits, or write routes by hand",
		    n->name, s->name, pfx(x, &s->lans[c->lan].p), s->name);
	else if (!c->has_blocker)
		err(d, line,
		    "client %s may sit in site %s, whose LAN %s is the whole "
		    "private block %s, so no wider private route can cover "
		    "it: on site, its traffic would detour through the hub; "
		    "leave %s out of visits, or write routes by hand",
		    n->name, s->name, pfx(x, &s->lans[c->lan].p),
		    pfx(y, &c->block), s->name);
	else
		err(d, line,
		    "client %s may sit in site %s, but no prefix wider than "
		    "its LAN %s fits in %s without covering %s: on site, LAN "
		    "traffic would detour through the hub; leave %s out of "
		    "visits, or write routes by hand",
		    n->name, s->name, pfx(x, &s->lans[c->lan].p),
		    pfx(y, &c->block), pfx(z, &c->blocker), s->name);
}

static void check_client_routes(struct lw_desc *d, size_t ni)
{
	const struct lw_node *n = &d->nodes[ni];
	struct lw_plist l = { 0 };
	struct lw_conflict c;

	check_visits(d, n);
	if (n->n_routes) {
		check_written_routes(d, ni);
		check_routes_cover(d, ni);
		return;
	}
	if (routes_client_summary(d, ni, &l, &c) == 1)
		report_conflict(d, n, &c);
	plist_free(&l);
}

void check_clients(struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].role == LW_ROLE_CLIENT)
			check_client_routes(d, i);
	}
}
