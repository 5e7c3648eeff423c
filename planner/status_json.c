// SPDX-License-Identifier: MIT
/*
 * lanwire status --json (status_json.h): the UAPI state read by status.c,
 * peers named by the description's nodes, built as a jansson tree and
 * dumped once, so quoting and escaping are jansson's, not ours.
 */
#include "status_json.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "key.h"
#include "desc.h"
#include "keys.h"

/* Jansson's setters take the new value's reference even on failure. */
static int set(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v) ? -ENOMEM : 0;
}

static json_t *key_json(const uint8_t key[static LW_KEY_LEN])
{
	char b64[LW_KEY_B64_LEN + 1];

	key_to_base64(b64, key);
	return json_string(b64);
}

/* "node" and "role" of the node holding key, nulls if none does. */
static int set_node(json_t *o, const struct lw_desc *d,
		    const struct lw_keyring *kr,
		    const uint8_t key[static LW_KEY_LEN])
{
	long node = status_find_node(d, kr, key);
	char role[96];

	if (node < 0)
		return set(o, "node", json_null()) ||
		       set(o, "role", json_null());
	return set(o, "node", json_string(d->nodes[node].name)) ||
	       set(o, "role", json_string(desc_node_role(d, (size_t)node,
							role,
							sizeof(role))));
}

/* "a/n, b/n" (status.c's form) as ["a/n", "b/n"]. */
static json_t *allowed_json(const char *list)
{
	json_t *a = json_array();
	const char *p = list;

	while (a && *p) {
		size_t n = strcspn(p, ",");

		if (json_array_append_new(a, json_stringn(p, n))) {
			json_decref(a);
			return NULL;
		}
		p += n;
		p += strspn(p, ", ");
	}
	return a;
}

/*
 * Drop counters: the place for per-reason drop counts once struct
 * lw_wg_status carries them (another branch adds them to the plain
 * status). Until then the JSON has no "drops" key: absent, not zero,
 * since zero would claim a count nobody took.
 */
/* lanwired's per-reason drop counters ("drops": {"NAME": COUNT, ...});
 * absent for a daemon that sends none (wireguard-go). */
static int set_drop_counters(json_t *o, const struct lw_wg_status *st)
{
	json_t *drops;

	if (st->n_drops == 0)
		return 0;
	drops = json_object();
	if (!drops)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_drops; i++)
		if (set(drops, st->drops[i].name,
			json_integer((json_int_t)st->drops[i].count))) {
			json_decref(drops);
			return -ENOMEM;
		}
	return set(o, "drops", drops);
}

static json_t *peer_json(const struct lw_wg_peer *p, const struct lw_desc *d,
			 const struct lw_keyring *kr)
{
	json_t *o = json_object();

	if (!o || set_node(o, d, kr, p->public_key) ||
	    set(o, "public_key", key_json(p->public_key)) ||
	    set(o, "endpoint",
		p->endpoint[0] ? json_string(p->endpoint) : json_null()) ||
	    set(o, "allowed_ips", allowed_json(p->allowed_ips)) ||
	    set(o, "latest_handshake", json_integer((json_int_t)p->handshake_sec)) ||
	    set(o, "rx_bytes", json_integer((json_int_t)p->rx_bytes)) ||
	    set(o, "tx_bytes", json_integer((json_int_t)p->tx_bytes)) ||
	    set(o, "persistent_keepalive", json_integer(p->keepalive))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The interface's own fields: its node from the private key's public
 * half (the private key itself stays out). */
static int set_self(json_t *o, const char *iface,
		    const struct lw_wg_status *st, const struct lw_desc *d,
		    const struct lw_keyring *kr)
{
	uint8_t pub[LW_KEY_LEN];
	int r = set(o, "interface", json_string(iface));

	if (!r && st->has_private_key) {
		key_public_from_private(pub, st->private_key);
		r = set_node(o, d, kr, pub) ||
		    set(o, "public_key", key_json(pub));
	} else if (!r) {
		r = set(o, "node", json_null()) || set(o, "role", json_null()) ||
		    set(o, "public_key", json_null());
	}
	if (!r)
		r = set(o, "listen_port", json_integer(st->listen_port));
	return r ? -ENOMEM : set_drop_counters(o, st);
}

int status_json_init(struct status_json *sj)
{
	sj->root = json_object();
	sj->interfaces = json_array();
	if (!sj->root || !sj->interfaces ||
	    json_object_set_new(sj->root, "interfaces", sj->interfaces)) {
		json_decref(sj->root);
		sj->root = sj->interfaces = NULL;
		return -ENOMEM;
	}
	return 0;
}

int status_json_add(struct status_json *sj, const char *iface,
		    const struct lw_wg_status *st, const struct lw_desc *d,
		    const struct lw_keyring *kr)
{
	json_t *o = json_object(), *peers = json_array();
	size_t i;
	int r = !o || !peers ? -ENOMEM : set_self(o, iface, st, d, kr);

	for (i = 0; !r && i < st->n_peers; i++) {
		if (json_array_append_new(peers,
					  peer_json(&st->peers[i], d, kr)))
			r = -ENOMEM;
	}
	if (r) {
		json_decref(peers);
		json_decref(o);
		return r;
	}
	/* Both take their value's reference, also when they fail. */
	if (set(o, "peers", peers) ||
	    json_array_append_new(sj->interfaces, o))
		return -ENOMEM;
	return 0;
}

int status_json_finish(struct status_json *sj, FILE *f)
{
	int r = 0;

	if (f && json_dumpf(sj->root, f, JSON_COMPACT))
		r = -EIO;
	if (f && !r && fputc('\n', f) == EOF)
		r = -EIO;
	json_decref(sj->root);
	sj->root = sj->interfaces = NULL;
	return r;
}
