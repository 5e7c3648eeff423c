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
	/* a revoked node's address is never given again */
	for (i = 0; i < d->n_revoked; i++) {
		if (prefix_equal(&d->revoked[i].addr[family_index(a->family)].p,
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

/* Nodes a full pool left without an address: reported once per pool. */
struct pool_misses {
	const struct lw_lprefix *pool;
	const char *key;
	size_t first, n;
};

static void alloc_node(struct lw_desc *d, size_t i, unsigned int fi,
		       struct pool_misses *miss, size_t *n_miss)
{
	struct lw_node *n = &d->nodes[i];
	const struct lw_lprefix *pool;
	const char *key = "";
	size_t k;

	if (n->addr[fi].p.family)
		return;
	pool = alloc_pool(d, n, fi, &key);
	if (!pool)
		return;
	if (lowest_free(d, &pool->p, &n->addr[fi].p)) {
		n->allocated[fi] = true;
		return;
	}
	for (k = 0; k < *n_miss && miss[k].pool != pool; k++)
		;
	if (k == *n_miss)
		miss[(*n_miss)++] = (struct pool_misses){ pool, key, i, 0 };
	miss[k].n++;
}

/* One error per full pool, at its first node left out. */
static void report_full(struct lw_desc *d, const struct pool_misses *m)
{
	const char *name = d->nodes[m->first].name;
	char text[LW_PREFIX_STRLEN];

	prefix_format(text, sizeof(text), &m->pool->p);
	if (m->n == 1)
		desc_diag(d, LW_ERROR, d->nodes[m->first].line,
			  "no free address left in %s %s for %s; widen the "
			  "pool or give %s an address",
			  m->key, text, name, name);
	else
		desc_diag(d, LW_ERROR, d->nodes[m->first].line,
			  "no free address left in %s %s for %s and %zu "
			  "node%s after it; widen the pool or give them "
			  "addresses",
			  m->key, text, name, m->n - 1, m->n == 2 ? "" : "s");
}

void alloc_addresses(struct lw_desc *d)
{
	/* At most one pool per kind and family: infra, client. */
	struct pool_misses miss[2 * LW_FAMILIES];
	size_t i, k, n_miss = 0;
	unsigned int fi;

	for (i = 0; i < d->n_nodes; i++) {
		for (fi = 0; fi < LW_FAMILIES; fi++)
			alloc_node(d, i, fi, miss, &n_miss);
	}
	for (k = 0; k < n_miss; k++)
		report_full(d, &miss[k]);
}
