// SPDX-License-Identifier: MIT
/*
 * policy_path_allows() (policy_path.h): the naive reading of the policy,
 * by names. Deliberately independent of policy.c's address sets.
 */
#include "policy_path.h"

#include <string.h>

#include "svc.h"

static bool names(const struct lw_desc *d, const struct lw_ref *r,
		  const struct lw_pep *e, bool as_source)
{
	const struct lw_node *n = &d->nodes[e->node];

	switch (r->kind) {
	case LW_REF_NODE:
		return !e->lan_host && e->node == r->index;
	case LW_REF_GROUP:
		return !e->lan_host && n->role == LW_ROLE_CLIENT && n->group &&
		       !strcmp(n->group, d->groups[r->index].name);
	case LW_REF_SITE:
		if (!e->lan_host)
			return as_source && !r->has_prefix &&
			       n->role == LW_ROLE_GATEWAY && n->site == r->index;
		return e->site == r->index &&
		       (!r->has_prefix || prefix_contains(&r->prefix, &e->addr));
	case LW_REF_UNKNOWN:
		break;
	}
	return false;
}

static bool any_names(const struct lw_desc *d, const struct lw_ref *v,
		      size_t n, const struct lw_pep *e, bool as_source)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (names(d, &v[i], e, as_source))
			return true;
	}
	return false;
}

bool policy_path_allows(const struct lw_desc *d, const struct lw_pep *a,
			const struct lw_pep *b, enum lw_proto proto,
			uint16_t port)
{
	size_t i;

	for (i = 0; i < d->n_rules; i++) {
		const struct lw_rule *r = &d->rules[i];

		if (!svc_match(r->svcs, r->n_svcs, proto, port))
			continue;
		if (any_names(d, r->from, r->n_from, a, true) &&
		    any_names(d, r->to, r->n_to, b, false))
			return true;
		if (r->both && any_names(d, r->to, r->n_to, a, true) &&
		    any_names(d, r->from, r->n_from, b, false))
			return true;
	}
	return false;
}

bool policy_path_skipped(const struct lw_pep *a, const struct lw_pep *b)
{
	if (a->addr.family != b->addr.family || a == b ||
	    prefix_equal(&a->addr, &b->addr))
		return true;
	if (a->node == b->node && (b->lan_host || !a->lan_host))
		return true;
	/* a LAN host to its gateway's LAN address: the LAN's business */
	if (a->node == b->node && b->is_lan_address)
		return true;
	return false;
}
