// SPDX-License-Identifier: MIT
/*
 * [revoked NAME] sections for desc.c's parser (desc_parser.h): what
 * `lanwire revoke` leaves of a node it cut off, its tunnel addresses and
 * its public key, so that neither is ever given to another node:
 *
 *   [revoked laptop2]
 *   address = 10.70.0.21
 *   public-key = BASE64
 *
 * Both keys are required (check_revoked.c says so); a revoked node has
 * no other keys.
 */
#include "desc_parser.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "keys.h"

static struct lw_revoked *cur_revoked(struct parser *p)
{
	return &p->d->revoked[p->node];
}

bool open_revoked(struct parser *p, const char *name)
{
	struct lw_desc *d = p->d;
	struct lw_revoked *v;

	if (lw_grow(&d->revoked, &d->cap_revoked, d->n_revoked + 1,
		    sizeof(*d->revoked))) {
		p->oom = true;
		return false;
	}
	v = &d->revoked[d->n_revoked];
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	if (!v->name) {
		p->oom = true;
		return false;
	}
	v->line = p->line;
	p->node = d->n_revoked++;
	return true;
}

static void put_address(struct parser *p, const char *item, void *arg)
{
	(void)arg;
	put_host_per_family(p, "address", "10.9.0.2 or fd00:9::2",
			    cur_revoked(p)->addr, item);
}

static void revoked_address(struct parser *p, const char *v)
{
	for_each_item(p, "address", v, put_address, NULL);
}

static void revoked_public_key(struct parser *p, const char *v)
{
	struct lw_revoked *r = cur_revoked(p);

	if (!once(p, &r->public_key_line, "public-key"))
		return;
	if (key_from_base64(r->public_key, v)) {
		perr(p, "public-key is not a WireGuard key (44 base64 "
			"characters ending in '=', as wg pubkey prints)");
		return;
	}
	r->has_public_key = true;
}

const struct key_setter revoked_keys[] = {
	{ "address", revoked_address },
	{ "public-key", revoked_public_key },
};

const size_t n_revoked_keys = ARRAY_SIZE(revoked_keys);
