// SPDX-License-Identifier: MIT
/*
 * Checks of [revoked NAME] sections (check_int.h). A revoked node keeps
 * its tunnel addresses and public key in the description so that no other
 * node ever gets them: a peer that still holds a config naming that
 * address or key must never reach a new node through it. Its name is
 * kept taken by check_names.c; alloc.c skips its addresses.
 */
#include "check_int.h"

#include "key.h"
#include "keys.h"

static bool has_address(const struct lw_revoked *v)
{
	unsigned int fi;

	for (fi = 0; fi < LW_FAMILIES; fi++)
		if (v->addr[fi].p.family)
			return true;
	return false;
}

/* The revoked node whose family-fi address a is, or NULL. */
static const struct lw_revoked *revoked_at(const struct lw_desc *d,
					   unsigned int fi,
					   const struct lw_prefix *a)
{
	size_t i;

	for (i = 0; i < d->n_revoked; i++)
		if (prefix_equal(&d->revoked[i].addr[fi].p, a))
			return &d->revoked[i];
	return NULL;
}

void check_revoked(struct lw_desc *d)
{
	char a[LW_PREFIX_STRLEN];
	unsigned int fi;
	size_t i;

	for (i = 0; i < d->n_revoked; i++) {
		const struct lw_revoked *v = &d->revoked[i];

		if (!has_address(v) || !v->has_public_key)
			err(d, v->line,
			    "[revoked %s] needs the address and public-key "
			    "it had, as lanwire revoke writes them: they are "
			    "kept so that no other node gets them",
			    v->name);
	}
	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *n = &d->nodes[i];

		for (fi = 0; fi < LW_FAMILIES; fi++) {
			const struct lw_revoked *v;

			if (!n->addr[fi].p.family || n->allocated[fi])
				continue;
			v = revoked_at(d, fi, &n->addr[fi].p);
			if (v)
				err(d, n->addr[fi].line,
				    "address %s of %s was revoked node %s's "
				    "(line %d); a revoked address is never "
				    "given again: pick another",
				    adr(a, &n->addr[fi].p), n->name, v->name,
				    v->addr[fi].line);
		}
	}
}

void check_revoked_keys(struct lw_desc *d, const struct lw_keyring *kr)
{
	size_t i, j;

	for (i = 0; i < d->n_nodes && i < kr->n_nodes; i++) {
		const struct lw_node *n = &d->nodes[i];

		if (!kr->nodes[i].has_public)
			continue;
		for (j = 0; j < d->n_revoked; j++) {
			const struct lw_revoked *v = &d->revoked[j];

			if (!v->has_public_key ||
			    !crypto_equal(v->public_key,
					  kr->nodes[i].public_key, LW_KEY_LEN))
				continue;
			if (kr->nodes[i].on_device)
				err(d, n->public_key_line,
				    "public key of %s is revoked node %s's "
				    "(line %d); a revoked key is never "
				    "accepted again: make a new one on the "
				    "device (wg genkey)",
				    n->name, v->name, v->public_key_line);
			else
				err(d, n->line,
				    "public key of %s is revoked node %s's "
				    "(line %d); a revoked key is never "
				    "accepted again: delete %s and run "
				    "lanwire keys",
				    n->name, v->name, v->public_key_line,
				    kr->nodes[i].private_path);
			break;
		}
	}
}
