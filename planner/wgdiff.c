// SPDX-License-Identifier: MIT
/*
 * A node's planned peers against the running ones (wgdiff.h): the fewest
 * `wg set` changes that bring the interface to the plan.
 */
#include "wgdiff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "key.h"

static bool same_allowed(const struct lw_peer_plan *pp,
			 const struct lw_dump_peer *dp)
{
	size_t i;

	if (pp->n_allowed_ips != dp->allowed.n)
		return false;
	for (i = 0; i < pp->n_allowed_ips; i++)
		if (!up_prefixes_has(&dp->allowed, &pp->allowed_ips[i]))
			return false;
	return true;
}

/* The plan's endpoint against the one up set last, else the running one:
 * a peer that roamed since is not pulled back, and a host name is
 * compared as written. */
static bool endpoint_differs(const struct lw_peer_plan *pp,
			     const struct lw_dump_peer *dp, const char *last,
			     const char *text)
{
	if (!pp->has_endpoint)
		return false;
	if (!dp)
		return true;
	return strcmp(last ? last : dp->endpoint, text) != 0;
}

void wg_peer_diff(const struct lw_peer_plan *pp, const struct lw_dump_peer *dp,
		  const char *last_endpoint, struct wg_peer_diff *f)
{
	char ep[LW_HOST_MAX + 16];

	memset(f, 0, sizeof(*f));
	lw_endpoint_format(ep, sizeof(ep), &pp->endpoint);
	f->psk = pp->has_psk &&
		 (!dp || !dp->has_psk ||
		  !crypto_equal(pp->psk, dp->psk, LW_KEY_LEN));
	f->endpoint = endpoint_differs(pp, dp, last_endpoint, ep);
	f->keepalive = !dp ? pp->keepalive != 0 :
			     pp->keepalive != dp->keepalive;
	f->allowed = !dp || !same_allowed(pp, dp);
	snprintf(f->what, sizeof(f->what), "%s%s%s%s",
		 f->psk ? " preshared-key" : "", f->endpoint ? " endpoint" : "",
		 f->keepalive ? " persistent-keepalive" : "",
		 f->allowed ? " allowed-ips" : "");
}

static bool planned(const struct lw_node_plan *pl, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < pl->n_peers; i++)
		if (!memcmp(pl->peers[i].public_key, key, LW_KEY_LEN))
			return true;
	return false;
}

int wg_diff_peers(const struct lw_node_plan *pl, const struct lw_wg_dump *d,
		  const struct lw_up_state *st, struct wg_peer_change **out,
		  size_t *n)
{
	struct wg_peer_change *v = NULL, c;
	const struct lw_dump_peer *dp;
	size_t i, max = d->n_peers + pl->n_peers;

	*out = NULL;
	*n = 0;
	if (!max)
		return 0;
	v = calloc(max, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < d->n_peers; i++)
		if (!planned(pl, d->peers[i].public_key))
			v[(*n)++] = (struct wg_peer_change){ .op = WG_PEER_REMOVE,
							     .index = i };
	for (i = 0; i < pl->n_peers; i++) {
		dp = wg_dump_find(d, pl->peers[i].public_key);
		memset(&c, 0, sizeof(c));
		wg_peer_diff(&pl->peers[i], dp,
			     up_state_endpoint(st, pl->peers[i].public_key),
			     &c.f);
		if (!c.f.what[0])
			continue; /* unchanged: its session is left alone */
		c.op = WG_PEER_SET;
		c.index = i;
		c.added = !dp;
		v[(*n)++] = c;
	}
	if (!*n)
		free(v);
	else
		*out = v;
	return 0;
}
