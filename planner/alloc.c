// SPDX-License-Identifier: MIT
/*
 * Tunnel address allocation (see alloc.h): a linear walk up from the
 * pool's first address, which ends after at most (nodes + 2) steps in a
 * big pool and at the pool's end in a small one.
 */
#include "alloc.h"

#include "desc.h"

const struct lw_lprefix *alloc_pool(const struct lw_desc *d,
				    const struct lw_node *n, unsigned int fi,
				    const char **key)
{
	const struct lw_lprefix *pool;

	if (!d->net.tunnel[fi].p.family)
		return NULL;
	if (n->role == LW_ROLE_CLIENT) {
		pool = &d->net.client_pool[fi];
		*key = "client-pool";
	} else {
		pool = &d->net.infra_pool[fi];
		*key = "infra-pool";
	}
	if (pool->p.family)
		return pool;
	*key = "tunnel";
	return &d->net.tunnel[fi];
}

static bool addr_taken(const struct lw_desc *d, const struct lw_prefix *a)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		if (prefix_equal(&d->nodes[i].addr[family_index(a->family)].p,
				 a))
			return true;
	}
	return false;
}

/* The lowest free host address of pool in *out; false if none is left. */
static bool lowest_free(const struct lw_desc *d, const struct lw_prefix *pool,
			struct lw_prefix *out)
{
	struct lw_prefix a = *pool;

	prefix_truncate(&a, pool->len);
	a.len = (uint8_t)family_bits(pool->family);
	while (prefix_contains(pool, &a)) {
		if (!addr_is_reserved_in(&a, pool) && !addr_taken(d, &a)) {
			*out = a;
			return true;
		}
		if (!addr_next(&a))
			break;
	}
	return false;
}

static void alloc_node(struct lw_desc *d, struct lw_node *n, unsigned int fi)
{
	const struct lw_lprefix *pool;
	char text[LW_PREFIX_STRLEN];
	const char *key = "";

	if (n->addr[fi].p.family)
		return;
	pool = alloc_pool(d, n, fi, &key);
	if (!pool)
		return;
	if (lowest_free(d, &pool->p, &n->addr[fi].p)) {
		n->allocated[fi] = true;
		return;
	}
	prefix_format(text, sizeof(text), &pool->p);
	desc_diag(d, LW_ERROR, n->line,
		  "no free address left in %s %s for %s; widen the pool or "
		  "give %s an address",
		  key, text, n->name, n->name);
}

void alloc_addresses(struct lw_desc *d)
{
	unsigned int fi;
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		for (fi = 0; fi < LW_FAMILIES; fi++)
			alloc_node(d, &d->nodes[i], fi);
	}
}
