// SPDX-License-Identifier: MIT
/*
 * AllowedIPs and client route summaries (see routes.h). Everything here is
 * derived from the model and the policy matrix; nothing is stored back.
 */
#include "routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "desc.h"

int plist_add(struct lw_plist *l, const struct lw_prefix *p)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (prefix_equal(&l->v[i], p))
			return 0;
	}
	if (lw_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n++] = *p;
	return 0;
}

void plist_prune_covered(struct lw_plist *l)
{
	size_t i, j, o = 0;
	bool covered;

	for (i = 0; i < l->n; i++) {
		covered = false;
		for (j = 0; j < l->n && !covered; j++) {
			if (j != i && !prefix_equal(&l->v[i], &l->v[j]) &&
			    prefix_contains(&l->v[j], &l->v[i]))
				covered = true;
		}
		if (!covered)
			l->v[o++] = l->v[i];
	}
	l->n = o;
}

static int cmp_prefix(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

void plist_sort(struct lw_plist *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_prefix);
}

void plist_free(struct lw_plist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int plist_add_tunnel(struct lw_plist *out, const struct lw_node *n)
{
	unsigned int fi;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (n->addr[fi].p.family && plist_add(out, &n->addr[fi].p))
			return -ENOMEM;
	}
	return 0;
}

int plist_add_lans(struct lw_plist *out, const struct lw_site *s)
{
	size_t i;

	for (i = 0; i < s->n_lans; i++) {
		if (plist_add(out, &s->lans[i].p))
			return -ENOMEM;
	}
	return 0;
}

int routes_party(const struct lw_desc *d, size_t n, struct lw_plist *out)
{
	const struct lw_node *node = &d->nodes[n];

	if (plist_add_tunnel(out, node))
		return -ENOMEM;
	if (node->role == LW_ROLE_GATEWAY)
		return plist_add_lans(out, &d->sites[node->site]);
	return 0;
}

/* The smaller of two candidate prefixes holding a (best so far in out). */
static void narrower(const struct lw_lprefix *cand, const struct lw_prefix *a,
		     struct lw_prefix *out, bool *found)
{
	if (!cand->p.family || !prefix_contains(&cand->p, a))
		return;
	if (!*found || cand->p.len > out->len)
		*out = cand->p;
	*found = true;
}

void routes_pool_of(const struct lw_desc *d, const struct lw_prefix *a,
		    struct lw_prefix *out)
{
	unsigned int fi = family_index(a->family);
	bool found = false;

	narrower(&d->net.tunnel[fi], a, out, &found);
	narrower(&d->net.infra_pool[fi], a, out, &found);
	narrower(&d->net.client_pool[fi], a, out, &found);
	if (!found)
		*out = *a;
}

static bool related(const struct lw_desc *d, size_t self, size_t p,
		    enum lw_relation rel)
{
	switch (rel) {
	case LW_REL_TALKS:
		return desc_talks(d, self, p);
	case LW_REL_OPENS_TO:
		return desc_may_open(d, self, p);
	case LW_REL_OPENS_IN:
		return desc_may_open(d, p, self);
	}
	return false;
}

int routes_related(const struct lw_desc *d, size_t self, enum lw_relation rel,
		   struct lw_plist *out)
{
	struct lw_prefix pool;
	unsigned int fi;
	size_t p;

	for (p = 0; p < d->n_nodes; p++) {
		if (p == self || !related(d, self, p, rel))
			continue;
		for (fi = 0; fi < LW_FAMILIES; fi++) {
			if (!d->nodes[p].addr[fi].p.family)
				continue;
			routes_pool_of(d, &d->nodes[p].addr[fi].p, &pool);
			if (plist_add(out, &pool))
				return -ENOMEM;
		}
	}
	for (p = 0; p < d->n_nodes; p++) {
		if (p == self || !related(d, self, p, rel) ||
		    d->nodes[p].role != LW_ROLE_GATEWAY)
			continue;
		if (plist_add_lans(out, &d->sites[d->nodes[p].site]))
			return -ENOMEM;
	}
	plist_prune_covered(out);
	return 0;
}

/* A client's AllowedIPs: its written routes, else tunnel + summary. */
static int client_allowed(const struct lw_desc *d, size_t n,
			  struct lw_plist *out)
{
	const struct lw_node *c = &d->nodes[n];
	struct lw_conflict conflict;
	unsigned int fi;
	size_t i;
	int r;

	if (c->n_routes) {
		for (i = 0; i < c->n_routes; i++) {
			if (plist_add(out, &c->routes[i].p))
				return -ENOMEM;
		}
		return 0;
	}
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (d->net.tunnel[fi].p.family &&
		    plist_add(out, &d->net.tunnel[fi].p))
			return -ENOMEM;
	}
	r = routes_client_summary(d, n, out, &conflict);
	return r < 0 ? r : 0;
}

/* Everything a hub routes to one of its own spokes. */
static int spoke_behind_hub(const struct lw_desc *d, size_t spoke,
			    struct lw_plist *out)
{
	return routes_party(d, spoke, out);
}

/* Everything a hub routes to another hub: it and its spokes. */
static int other_hub(const struct lw_desc *d, size_t hub, struct lw_plist *out)
{
	size_t i;

	if (plist_add_tunnel(out, &d->nodes[hub]))
		return -ENOMEM;
	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *s = &d->nodes[i];

		if (s->role != LW_ROLE_HUB && s->has_hub && s->hub == hub &&
		    spoke_behind_hub(d, i, out))
			return -ENOMEM;
	}
	return 0;
}

int routes_allowed_ips(const struct lw_desc *d, size_t self, size_t peer,
		       struct lw_plist *out)
{
	const struct lw_node *n = &d->nodes[self];

	if (n->role == LW_ROLE_HUB) {
		if (d->nodes[peer].role == LW_ROLE_HUB)
			return other_hub(d, peer, out);
		return spoke_behind_hub(d, peer, out);
	}
	if (n->role == LW_ROLE_CLIENT)
		return client_allowed(d, self, out);
	return routes_related(d, self, LW_REL_TALKS, out);
}
