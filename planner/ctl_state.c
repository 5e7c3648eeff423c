// SPDX-License-Identifier: MIT
/*
 * A node's desired state (ctl.h), both ways. On the admin's machine the
 * plan lanwire up would apply (plan.c, policy.c, routes.c) becomes JSON:
 *
 *   { "iface": "wg0", "mtu": 1420, "listen_port": 51820,
 *     "public_key": B64, "addrs": [..], "routes": [..],
 *     "sysctls": ["net.ipv4.ip_forward=1"], "nft": "table inet ...",
 *     "hubs": ["10.70.0.1"],
 *     "peers": [{ "name": "a", "public_key": B64, "keepalive": 15,
 *                 "endpoint": "198.51.100.1:51820",
 *                 "allowed_ips": [..], "psk": SEALED }] }
 *
 * and, during a key rotation (ctl_switch.h), "switch_at" on the rotating
 * node's state and "replaces" with "switch_at" on its peer entries;
 * each preshared key sealed to the receiving node (ctl_seal.c) and
 * no private key anywhere. On the node, the agent turns a verified state
 * back into a struct lw_node_plan for apply_up(), checking every field as
 * if it were hostile (it is signed, but a parser trusts nothing).
 */
#include "ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto.h"
#include "keys.h"
#include "plan.h"
#include "render.h"
#include "upstate.h"

#define CTL_MAX_PREFIXES 65536

static const char *const known_sysctls[] = {
	"net.ipv4.ip_forward=1",
	"net.ipv6.conf.all.forwarding=1",
};

const char *ctl_network_name(const struct lw_desc *d)
{
	return d->net.name ? d->net.name : "lanwire";
}

/* "NETWORK/RECEIVER/PEER": what a sealed key is bound to. */
static void seal_context(char *buf, size_t size, const char *network,
			 const char *node, const char *peer)
{
	snprintf(buf, size, "%s/%s/%s", network, node, peer);
}

/* ---- plan -> state ---- */

static json_t *prefix_array(const struct lw_prefix *v, size_t n)
{
	char text[LW_PREFIX_STRLEN];
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++) {
		prefix_format(text, sizeof(text), &v[i]);
		if (json_array_append_new(a, json_string(text))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *key_string(const uint8_t key[static LW_KEY_LEN])
{
	char text[LW_KEY_B64_LEN + 1];

	key_to_base64(text, key);
	return json_string(text);
}

/* The preshared key as the receiver will get it: sealed, or (to compare
 * publishes without opening anything) a keyed BLAKE2s digest of it. */
static json_t *psk_value(const struct lw_node_plan *pl, size_t i,
			 const uint8_t self_pub[static LW_KEY_LEN], bool seal)
{
	const struct lw_peer_plan *pp = &pl->peers[i];
	char ctx[3 * LW_NAME_MAX + 8], *text;
	uint8_t digest[32];
	json_t *v;

	seal_context(ctx, sizeof(ctx), ctl_network_name(pl->desc),
		     pl->self->name, pl->desc->nodes[pp->node].name);
	if (seal) {
		text = ctl_seal(pp->psk, self_pub, ctx);
	} else {
		blake2s(digest, sizeof(digest), (const uint8_t *)ctx,
			strlen(ctx) > 32 ? 32 : strlen(ctx), pp->psk,
			LW_KEY_LEN);
		text = ctl_b64_encode(digest, sizeof(digest));
	}
	v = text ? json_string(text) : NULL;
	free(text);
	return v;
}

static json_t *peer_json(const struct lw_node_plan *pl, size_t i,
			 const uint8_t self_pub[static LW_KEY_LEN], bool seal)
{
	const struct lw_peer_plan *pp = &pl->peers[i];
	char ep[LW_HOST_MAX + 16];
	json_t *o = json_pack("{s:s, s:o, s:i, s:o}", "name",
			      pl->desc->nodes[pp->node].name, "public_key",
			      key_string(pp->public_key), "keepalive",
			      (int)pp->keepalive, "allowed_ips",
			      prefix_array(pp->allowed_ips,
					   pp->n_allowed_ips));

	if (o && pp->has_endpoint) {
		lw_endpoint_format(ep, sizeof(ep), &pp->endpoint);
		if (json_object_set_new(o, "endpoint", json_string(ep)))
			goto fail;
	}
	if (o && pp->has_psk &&
	    json_object_set_new(o, "psk", psk_value(pl, i, self_pub, seal)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The tunnel addresses of every hub: where agents find a serve. */
static json_t *hubs_json(const struct lw_desc *d)
{
	char text[LW_PREFIX_STRLEN];
	json_t *a = json_array();
	size_t i;
	unsigned int fi;

	for (i = 0; a && i < d->n_nodes; i++) {
		if (d->nodes[i].role != LW_ROLE_HUB)
			continue;
		for (fi = 0; fi < LW_FAMILIES; fi++) {
			if (!d->nodes[i].addr[fi].p.family)
				continue;
			addr_format(text, sizeof(text), &d->nodes[i].addr[fi].p);
			json_array_append_new(a, json_string(text));
		}
	}
	return a;
}

static json_t *sysctls_json(const struct lw_node_plan *pl)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < pl->n_sysctls; i++)
		json_array_append_new(a, json_string(pl->sysctls[i]));
	return a;
}

json_t *ctl_state_build(const struct lw_node_plan *pl,
			const uint8_t self_pub[static LW_KEY_LEN],
			const char *source, bool seal, char *err,
			size_t errlen)
{
	struct lw_render_opts ro = { source, LW_DEVICE_KEY_DIR };
	char *nft = render_nft_host_ruleset(pl, &ro);
	json_t *peers = json_array(), *st = NULL, *p;
	size_t i;

	for (i = 0; peers && i < pl->n_peers; i++) {
		p = peer_json(pl, i, self_pub, seal);
		if (!p || json_array_append_new(peers, p)) {
			json_decref(peers);
			peers = NULL;
		}
	}
	if (nft && peers)
		st = json_pack("{s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:s, s:o, "
			       "s:o}",
			       "iface", pl->iface, "mtu", (int)pl->mtu,
			       "listen_port", (int)pl->listen_port,
			       "public_key", key_string(self_pub), "addrs",
			       prefix_array(pl->addrs, pl->n_addrs), "routes",
			       prefix_array(pl->routes, pl->n_routes),
			       "sysctls", sysctls_json(pl), "nft", nft,
			       "hubs", hubs_json(pl->desc), "peers", peers);
	else
		json_decref(peers);
	free(nft);
	if (!st)
		ctl_fail(err, errlen, 0, "%s: cannot build its state (out of "
				     "memory)", pl->self->name);
	return st;
}

/* ---- state -> plan ---- */

/* What the parse of one state carries along. */
struct reader {
	struct ctl_plan *cp;
	const char *network, *node;
	const uint8_t *priv;
	char *err;
	size_t errlen;
};

static int bad(struct reader *rd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(struct reader *rd, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(rd->err, rd->errlen, "state for %s: ", rd->node);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < rd->errlen)
		vsnprintf(rd->err + n, rd->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static bool int_in(const json_t *v, long long lo, long long hi,
		   long long *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* An interface, node or peer name: letters, digits, "-_.", not "-" first. */
static bool name_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > max || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_.") == n;
}

/* An array of at most max prefixes into a new array (*out, *n);
 * host_bits: interface addresses, kept as written (10.0.0.2/24). */
static int read_prefixes(struct reader *rd, const json_t *a, size_t max,
			 bool host_bits, const char *what,
			 struct lw_prefix **out, size_t *n)
{
	size_t i, len = json_array_size(a);

	*out = NULL;
	*n = 0;
	if (!json_is_array(a) || len > max)
		return bad(rd, "%s: want an array of at most %zu prefixes",
			   what, max);
	*out = calloc(len ? len : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (!s || (host_bits ? up_prefix_parse(&(*out)[i], s) :
				       prefix_parse(&(*out)[i], s, false)))
			return bad(rd, "%s: %s is not a prefix", what,
				   s ? s : "(not a string)");
	}
	*n = len;
	return 0;
}

static int read_key(struct reader *rd, const json_t *v, const char *what,
		    uint8_t key[static LW_KEY_LEN])
{
	const char *s = json_string_value(v);

	if (!s || key_from_base64(key, s))
		return bad(rd, "%s is not a key", what);
	return 0;
}

static int read_peer(struct reader *rd, const json_t *o, size_t i)
{
	struct lw_peer_plan *pp = &rd->cp->pl.peers[i];
	struct lw_node *n = &rd->cp->desc.nodes[i + 1];
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *ep = json_string_value(json_object_get(o, "endpoint"));
	const json_t *psk = json_object_get(o, "psk");
	char ctx[3 * LW_NAME_MAX + 8];
	long long ka = 0;
	int r;

	if (!json_is_object(o) || !name_ok(name, LW_NAME_MAX))
		return bad(rd, "peer %zu has no valid name", i);
	if (!(n->name = strdup(name)))
		return -ENOMEM;
	pp->node = i + 1;
	r = read_key(rd, json_object_get(o, "public_key"), name,
		     pp->public_key);
	if (!r && !int_in(json_object_get(o, "keepalive"), 0, 65535, &ka))
		r = bad(rd, "peer %s: keepalive out of range", name);
	pp->keepalive = (unsigned int)ka;
	if (!r)
		r = read_prefixes(rd, json_object_get(o, "allowed_ips"),
				  CTL_MAX_PREFIXES, false, name,
				  &pp->allowed_ips, &pp->n_allowed_ips);
	if (!r && json_object_get(o, "endpoint")) {
		if (!ep || lw_endpoint_parse(&pp->endpoint, ep))
			r = bad(rd, "peer %s: bad endpoint", name);
		pp->has_endpoint = !r;
	}
	if (!r && psk) {
		seal_context(ctx, sizeof(ctx), rd->network, rd->node, name);
		if (ctl_unseal(pp->psk, json_string_value(psk) ?
					       json_string_value(psk) : "",
			       rd->priv, ctx))
			r = bad(rd, "peer %s: the preshared key does not open "
				    "with this node's key",
				name);
		pp->has_psk = !r;
	}
	return r;
}

/* A peer entry's rotation (ctl_switch.h): both fields or neither. The
 * peer's name is read already (read_peer()). */
static int read_switch(struct reader *rd, const json_t *o, size_t i)
{
	const json_t *rep = json_object_get(o, "replaces");
	const struct lw_peer_plan *pp = &rd->cp->pl.peers[i];
	const char *name = rd->cp->desc.nodes[i + 1].name;
	struct ctl_switch *sw = &rd->cp->switches[rd->cp->n_switches];
	long long at;

	if (!rep && !json_object_get(o, "switch_at"))
		return 0;
	if (!rep || !int_in(json_object_get(o, "switch_at"), 1, INT64_MAX,
			    &at))
		return bad(rd, "peer %s: replaces and switch_at (> 0) go "
			       "together",
			   name);
	if (read_key(rd, rep, "replaces", sw->replaces))
		return -EBADMSG;
	if (!memcmp(sw->replaces, pp->public_key, LW_KEY_LEN))
		return bad(rd, "peer %s replaces its own key", name);
	sw->peer = i;
	sw->name = name;
	sw->at_ms = (uint64_t)at;
	rd->cp->n_switches++;
	return 0;
}

/* A replaced key is no peer's and replaced once (its old peer is added
 * beside the new one: two peers with one key would be one). */
static int check_switches(struct reader *rd)
{
	const struct ctl_plan *cp = rd->cp;

	for (size_t s = 0; s < cp->n_switches; s++) {
		const uint8_t *k = cp->switches[s].replaces;

		for (size_t j = 0; j < cp->pl.n_peers; j++)
			if (!memcmp(k, cp->pl.peers[j].public_key, LW_KEY_LEN))
				return bad(rd, "peer %s replaces a peer's "
					       "key",
					   cp->switches[s].name);
		for (size_t t = s + 1; t < cp->n_switches; t++)
			if (!memcmp(k, cp->switches[t].replaces, LW_KEY_LEN))
				return bad(rd, "peers %s and %s replace one "
					       "key",
					   cp->switches[s].name,
					   cp->switches[t].name);
	}
	return 0;
}

static int read_peers(struct reader *rd, const json_t *a)
{
	struct ctl_plan *cp = rd->cp;
	size_t i, n = json_array_size(a);
	int r = 0;

	if (!json_is_array(a) || n >= LW_MAX_NODES)
		return bad(rd, "peers: want an array of fewer than %d",
			   LW_MAX_NODES);
	cp->desc.nodes = calloc(n + 1, sizeof(*cp->desc.nodes));
	cp->pl.peers = calloc(n ? n : 1, sizeof(*cp->pl.peers));
	cp->switches = calloc(n ? n : 1, sizeof(*cp->switches));
	if (!cp->desc.nodes || !cp->pl.peers || !cp->switches)
		return -ENOMEM;
	cp->desc.n_nodes = n + 1;
	cp->pl.n_peers = n;
	if (!(cp->desc.nodes[0].name = strdup(rd->node)))
		return -ENOMEM;
	for (i = 0; i < n && !r; i++) {
		r = read_peer(rd, json_array_get(a, i), i);
		if (!r)
			r = read_switch(rd, json_array_get(a, i), i);
	}
	return r ? r : check_switches(rd);
}

static int read_sysctls(struct reader *rd, const json_t *a)
{
	size_t i, j, n = json_array_size(a);

	if (!json_is_array(a) || n > LW_FAMILIES)
		return bad(rd, "sysctls: want at most %d", LW_FAMILIES);
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		for (j = 0; s && j < LW_FAMILIES; j++)
			if (!strcmp(s, known_sysctls[j]))
				break;
		if (!s || j == LW_FAMILIES)
			return bad(rd, "sysctl %s is not one lanwire sets",
				   s ? s : "(not a string)");
		if (!(rd->cp->sysctls[i] = strdup(s)))
			return -ENOMEM;
		rd->cp->pl.sysctls[i] = rd->cp->sysctls[i];
	}
	rd->cp->pl.n_sysctls = n;
	rd->cp->pl.forwards = n > 0;
	return 0;
}

static int read_hubs(struct reader *rd, const json_t *a)
{
	size_t i, n = json_array_size(a);
	struct ctl_plan *cp = rd->cp;

	if (!json_is_array(a) || n > sizeof(cp->hubs) / sizeof(cp->hubs[0]))
		return bad(rd, "hubs: want at most 8 addresses");
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (!s || addr_parse(&cp->hubs[i], s))
			return bad(rd, "hubs: %s is not an address",
				   s ? s : "(not a string)");
	}
	cp->n_hubs = n;
	return 0;
}

/* The interface's own fields: name, MTU, port, key, addresses, routes. */
static int read_iface(struct reader *rd, const json_t *st)
{
	struct lw_node_plan *pl = &rd->cp->pl;
	struct lw_node *self = &rd->cp->desc.nodes[0];
	const char *iface = json_string_value(json_object_get(st, "iface"));
	struct lw_prefix *addrs;
	long long mtu, port;
	size_t n;
	int r;

	if (!name_ok(iface, LW_IFNAME_MAX))
		return bad(rd, "iface is not an interface name");
	snprintf(pl->iface, sizeof(pl->iface), "%s", iface);
	if (!int_in(json_object_get(st, "mtu"), LW_MIN_MTU_V4, 65535, &mtu) ||
	    !int_in(json_object_get(st, "listen_port"), 0, 65535, &port))
		return bad(rd, "mtu or listen_port out of range");
	pl->mtu = (unsigned int)mtu;
	pl->listen_port = (uint16_t)port;
	x25519_public_from_private(self->public_key, rd->priv);
	self->has_public_key = true;
	r = read_prefixes(rd, json_object_get(st, "addrs"), LW_FAMILIES, true,
			  "addrs", &addrs, &n);
	if (!r) {
		memcpy(pl->addrs, addrs, n * sizeof(*addrs));
		pl->n_addrs = n;
	}
	free(addrs);
	if (!r)
		r = read_prefixes(rd, json_object_get(st, "routes"),
				  CTL_MAX_PREFIXES, false, "routes",
				  &pl->routes, &pl->n_routes);
	return r;
}

/* The state is for this node's key: checked first, before any sealed
 * key is tried. */
static int check_self_key(struct reader *rd, const json_t *st)
{
	uint8_t mine[LW_KEY_LEN], named[LW_KEY_LEN];
	int r = read_key(rd, json_object_get(st, "public_key"), "public_key",
			 named);

	if (r)
		return r;
	x25519_public_from_private(mine, rd->priv);
	if (!crypto_equal(mine, named, LW_KEY_LEN))
		r = bad(rd, "it names another public key than this node's "
			    "private key has (rotated? wrong --key?)");
	crypto_wipe(mine, sizeof(mine));
	return r;
}

int ctl_state_plan(struct ctl_plan *cp, const json_t *state,
		   const char *network, const char *node,
		   const uint8_t priv[static LW_KEY_LEN], const char *key_path,
		   char *err, size_t errlen)
{
	struct reader rd = { cp, network, node, priv, err, errlen };
	const char *nft = json_string_value(json_object_get(state, "nft"));
	long long at = 0;
	int r;

	memset(cp, 0, sizeof(*cp));
	cp->pl.desc = &cp->desc;
	if (!json_is_object(state))
		return bad(&rd, "not an object");
	r = check_self_key(&rd, state);
	if (!r)
		r = read_peers(&rd, json_object_get(state, "peers"));
	if (!r)
		r = read_iface(&rd, state);
	if (!r)
		r = read_sysctls(&rd, json_object_get(state, "sysctls"));
	if (!r)
		r = read_hubs(&rd, json_object_get(state, "hubs"));
	if (!r && json_object_get(state, "switch_at") &&
	    !int_in(json_object_get(state, "switch_at"), 1, INT64_MAX, &at))
		r = bad(&rd, "switch_at is not a time");
	cp->switch_at = r ? 0 : (uint64_t)at;
	if (!r && !nft)
		r = bad(&rd, "nft is not a string");
	if (!r && (!(cp->nft = strdup(nft)) ||
		   !(cp->pl.private_key_path = strdup(key_path))))
		r = -ENOMEM;
	if (r == -ENOMEM)
		ctl_fail(err, errlen, r, "out of memory");
	if (r) {
		ctl_plan_free(cp);
		return r;
	}
	cp->desc.net.name = (char *)network; /* not freed: see ctl_plan_free */
	cp->pl.self = &cp->desc.nodes[0];
	cp->pl.nft_ruleset = cp->nft;
	return 0;
}

void ctl_plan_free(struct ctl_plan *cp)
{
	size_t i;

	plan_free(&cp->pl);
	for (i = 0; cp->desc.nodes && i < cp->desc.n_nodes; i++)
		free(cp->desc.nodes[i].name);
	free(cp->desc.nodes);
	free(cp->switches);
	for (i = 0; i < LW_FAMILIES; i++)
		free(cp->sysctls[i]);
	free(cp->nft);
	memset(cp, 0, sizeof(*cp));
}
