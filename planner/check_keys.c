// SPDX-License-Identifier: MIT
/*
 * Checks of the keys (check.h): a public key that is all zero or the
 * same as another node's (or a revoked node's: check_revoked.c), and (as
 * one warning) missing keys.
 */
#include "check_int.h"

#include <stdint.h>

#include "key.h"
#include "keys.h"

/* ---- keys ---- */

static void check_duplicate_key(struct lw_desc *d, const struct lw_keyring *kr,
				size_t i)
{
	const struct lw_node *n = &d->nodes[i];
	size_t j;

	for (j = 0; j < i; j++) {
		const struct lw_node *m = &d->nodes[j];
		int mline = kr->nodes[j].on_device ? m->public_key_line :
						     m->line;

		if (!kr->nodes[j].has_public ||
		    !crypto_equal(kr->nodes[j].public_key,
				  kr->nodes[i].public_key, LW_KEY_LEN))
			continue;
		if (kr->nodes[i].on_device)
			err(d, n->public_key_line,
			    "public key of %s is the same as %s's (line %d); "
			    "each node needs its own key: fix public-key",
			    n->name, m->name, mline);
		else
			err(d, n->line,
			    "public key of %s is the same as %s's (line %d); "
			    "each node needs its own key: delete %s and run "
			    "lanwire keys",
			    n->name, m->name, mline, kr->nodes[i].private_path);
		return;
	}
}

unsigned int check_keys(struct lw_desc *d, const struct lw_keyring *kr,
			bool warn_missing)
{
	unsigned int missing = 0;
	uint8_t zero[LW_KEY_LEN] = { 0 };
	size_t i;

	for (i = 0; i < d->n_nodes && i < kr->n_nodes; i++) {
		if (!kr->nodes[i].has_public) {
			missing++;
			continue;
		}
		if (kr->nodes[i].on_device &&
		    crypto_equal(kr->nodes[i].public_key, zero, LW_KEY_LEN))
			err(d, d->nodes[i].public_key_line,
			    "public-key of %s is all zero; paste the key the "
			    "device made (wg pubkey)",
			    d->nodes[i].name);
		else
			check_duplicate_key(d, kr, i);
	}
	check_revoked_keys(d, kr);
	for (i = 0; i < kr->n_psks; i++)
		missing += !kr->psks[i].present;
	if (missing && warn_missing)
		warn(d, 0, "%u keys are missing in %s; lanwire keys makes them",
		     missing, kr->dir);
	return d->n_errors;
}
