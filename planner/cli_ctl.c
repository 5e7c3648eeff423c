// SPDX-License-Identifier: MIT
/*
 * lanwire publish --store DIR (see ctl.h, docs/control.md): every node's
 * desired state, planned exactly as lanwire up plans it, signed with the
 * network's key under a new epoch and written into the store that each
 * hub's `lanwire serve` reads:
 *
 *   DIR/NODE.state   the node's signed envelope (0600)
 *   DIR/index.json   the epoch, every node's tunnel addresses (serve
 *                    tells nodes apart by them), the digest of its state
 *                    and the epoch its envelope carries; the hubs'
 *
 * A node whose state did not change (same digest: its state with each
 * preshared key replaced by a keyed hash of it) keeps its envelope and
 * epoch, so its agent is not woken. Everything is written in one
 * struct lw_txn: a failed publish changes nothing. Phones (os = other)
 * run no agent and get no state. A revoked node ([revoked NAME]) is
 * listed in the index under "revoked" with its addresses, so that serve
 * refuses it (403), and its envelope is removed from the store: it is
 * never served again; so are its join grant, redemption marker and
 * registration (an outstanding token opens nothing). A node whose public key differs from the previous
 * index's is rotated make-before-break (ctl_switch.h): its new entry in
 * every peer's state says which key it replaces and when to switch.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "ctl.h"
#include "desc.h"
#include "keys.h"
#include "plan.h"

/* What publish carries from node to node. */
struct publish {
	struct lw_desc *d;
	struct lw_keyring *kr;
	const char *store, *source;
	EVP_PKEY *key;
	uint64_t epoch;
	json_t *old_nodes; /* the previous index's, or NULL */
	json_t *nodes;	   /* the new index's */
	/* key rotations under way (ctl_switch.h); names borrowed from d */
	struct ctl_switch *rot;
	size_t n_rot;
	struct lw_txn t;
	char changed[4096], unchanged[4096], revoked[4096], voided[4096];
};

static json_t *addrs_json(const struct lw_lprefix addr[LW_FAMILIES])
{
	char text[LW_PREFIX_STRLEN];
	json_t *a = json_array();
	unsigned int fi;

	for (fi = 0; a && fi < LW_FAMILIES; fi++) {
		if (!addr[fi].p.family)
			continue;
		addr_format(text, sizeof(text), &addr[fi].p);
		json_array_append_new(a, json_string(text));
	}
	return a;
}

static json_t *node_addrs(const struct lw_node *n)
{
	return addrs_json(n->addr);
}

/* The previous index's entry for name, if its envelope is still there. */
static json_t *old_entry(struct publish *p, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(p->old_nodes, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")) ?: "",
			    name))
			return e;
	return NULL;
}

static int digest_hex(json_t *st, char out[65])
{
	char *text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
	uint8_t h[32];
	int i;

	if (!text)
		return -ENOMEM;
	blake2s(h, sizeof(h), NULL, 0, (uint8_t *)text, strlen(text));
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	free(text);
	return 0;
}

static void note(char *list, size_t size, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, size - n, "%s%s", n ? ", " : "", name);
}

/* The node's index entry: its addresses, state digest and epoch, public
 * key (a later publish tells a rotation by it) and rotation if any. */
static int index_entry(struct publish *p, size_t i, const char *digest,
		       uint64_t epoch)
{
	const struct lw_node *n = &p->d->nodes[i];
	char key[LW_KEY_B64_LEN + 1];
	json_t *e;
	size_t j;

	key_to_base64(key, p->kr->nodes[i].public_key);
	e = json_pack("{s:s, s:o, s:s, s:I, s:s}", "name", n->name, "addrs",
		      node_addrs(n), "digest", digest, "epoch",
		      (json_int_t)epoch, "public_key", key);
	for (j = 0; e && j < p->n_rot; j++)
		if (!strcmp(p->rot[j].name, n->name) &&
		    ctl_switch_index(e, &p->rot[j])) {
			json_decref(e);
			return -ENOMEM;
		}
	return json_array_append_new(p->nodes, e);
}

/* Whether the previous entry's key is the bootstrap key lanwire join
 * replaced (STORE/registrations/NODE.json names it): the hub's serve
 * already swapped it for the node's own key, which is not a rotation. */
static bool joined_since(struct publish *p, const json_t *old,
			 const char *name)
{
	const char *was = json_string_value(json_object_get(old, "public_key"));
	char *path = NULL;
	json_t *reg;
	bool joined;

	if (!was || asprintf(&path, "%s/registrations/%s.json", p->store,
			     name) < 0)
		return false;
	reg = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	joined = !strcmp(json_string_value(json_object_get(reg, "bootstrap")) ?:
				 "",
			 was);
	json_decref(reg);
	free(path);
	return joined;
}

/* The key rotations this publish starts or carries on (ctl_switch.h). */
static int find_rotations(struct publish *p)
{
	struct timespec ts;
	uint64_t now;

	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	p->rot = calloc(p->d->n_nodes + 1, sizeof(*p->rot));
	if (!p->rot)
		return cli_fail("out of memory");
	for (i = 0; i < p->d->n_nodes; i++) {
		const struct lw_node *n = &p->d->nodes[i];
		struct ctl_switch *sw = &p->rot[p->n_rot];

		if (n->os_other || !p->kr->nodes[i].has_public ||
		    joined_since(p, old_entry(p, n->name), n->name) ||
		    !ctl_switch_carry(old_entry(p, n->name),
				      p->kr->nodes[i].public_key, now, sw))
			continue;
		sw->name = n->name;
		p->n_rot++;
		printf("%s: key rotation, peers switch to the new key at %llu "
		       "(Unix ms)\n",
		       n->name, (unsigned long long)sw->at_ms);
	}
	return 0;
}

/* One node: planned, compared with what was published, signed if new. */
static int publish_node(struct publish *p, size_t i)
{
	const struct lw_node *n = &p->d->nodes[i];
	const struct lw_node_keys *k = &p->kr->nodes[i];
	struct lw_node_plan pl;
	json_t *plain = NULL, *st = NULL, *old = old_entry(p, n->name);
	char err[512], digest[65], *path = NULL, *text = NULL;
	uint64_t epoch = p->epoch;
	int r;

	if (!k->has_public)
		return cli_fail("%s has no public key: run lanwire keys", n->name);
	if (plan_node(&pl, p->d, p->kr, i, err, sizeof(err)))
		return cli_fail("%s", err);
	r = -ENOMEM;
	plain = ctl_state_build(&pl, k->public_key, p->source, false, err,
				sizeof(err));
	if (!plain || ctl_switch_mark(plain, n->name, p->rot, p->n_rot) ||
	    digest_hex(plain, digest))
		goto out;
	if (old && !strcmp(json_string_value(json_object_get(old, "digest")) ?:
				   "",
			   digest) &&
	    json_integer_value(json_object_get(old, "epoch")) > 0) {
		epoch = (uint64_t)json_integer_value(json_object_get(old,
								     "epoch"));
		note(p->unchanged, sizeof(p->unchanged), n->name);
	} else {
		st = ctl_state_build(&pl, k->public_key, p->source, true, err,
				     sizeof(err));
		if (st && ctl_switch_mark(st, n->name, p->rot, p->n_rot))
			goto out;
		text = st ? ctl_envelope_sign(p->key, ctl_network_name(p->d),
					      n->name, epoch, st) :
			    NULL;
		if (!text || asprintf(&path, "%s/%s.state", p->store,
				      n->name) < 0 ||
		    txn_add(&p->t, path, text, strlen(text), 0600, false))
			goto out;
		note(p->changed, sizeof(p->changed), n->name);
	}
	r = index_entry(p, i, digest, epoch) ? -ENOMEM : 0;
out:
	if (r)
		cli_fail("%s: %s", n->name, err[0] ? err : "out of memory");
	free(path);
	free(text);
	json_decref(st);
	json_decref(plain);
	plan_free(&pl);
	return r ? 1 : 0;
}

/* The previous index: its epoch and nodes (kept in p). */
static int read_index(struct publish *p, const char *path, uint64_t *epoch)
{
	json_error_t jerr;
	json_t *root;

	*epoch = 0;
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return access(path, F_OK) ?
			       0 :
			       cli_fail("%s: %s; not publishing over it", path,
					jerr.text);
	*epoch = (uint64_t)json_integer_value(json_object_get(root, "epoch"));
	p->old_nodes = json_incref(json_object_get(root, "nodes"));
	json_decref(root);
	return 0;
}

/* A revoked node's join files staged for removal: its grant (an
 * outstanding invitation: its token opens nothing then), the marker of
 * its redemption and its registration. 0 or -ENOMEM. */
static int void_join(struct publish *p, const char *name)
{
	static const char *const files[] = { "grants/%s.json",
					      "grants/%s.redeemed",
					      "registrations/%s.json" };
	char rel[LW_NAME_MAX + 32], *path;
	bool voided = false;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), files[i], name);
		if (asprintf(&path, "%s/%s", p->store, rel) < 0)
			return -ENOMEM;
		if (access(path, F_OK) == 0) {
			if (txn_unlink(&p->t, path)) {
				free(path);
				return -ENOMEM;
			}
			voided = true;
		}
		free(path);
	}
	if (voided)
		note(p->voided, sizeof(p->voided), name);
	return 0;
}

/* The revoked nodes for the index (serve refuses their addresses), their
 * envelopes and join files (void_join()) staged for removal. */
static json_t *revoked_nodes(struct publish *p)
{
	json_t *v = json_array();
	char *path;
	size_t i;

	for (i = 0; v && i < p->d->n_revoked; i++) {
		const struct lw_revoked *rv = &p->d->revoked[i];

		if (json_array_append_new(v, json_pack("{s:s, s:o}", "name",
						       rv->name, "addrs",
						       addrs_json(rv->addr))) ||
		    asprintf(&path, "%s/%s.state", p->store, rv->name) < 0) {
			json_decref(v);
			return NULL;
		}
		if (access(path, F_OK) == 0) {
			if (txn_unlink(&p->t, path)) {
				free(path);
				json_decref(v);
				return NULL;
			}
			note(p->revoked, sizeof(p->revoked), rv->name);
		}
		free(path);
		if (void_join(p, rv->name)) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

static int write_index(struct publish *p, const char *path)
{
	json_t *hubs = json_array(), *idx, *revoked = revoked_nodes(p);
	char *text;
	size_t i;
	int r;

	for (i = 0; hubs && i < p->d->n_nodes; i++)
		if (p->d->nodes[i].role == LW_ROLE_HUB)
			json_array_append_new(
				hubs, json_pack("{s:s, s:o}", "name",
						p->d->nodes[i].name, "addrs",
						node_addrs(&p->d->nodes[i])));
	idx = revoked ? json_pack("{s:s, s:I, s:O, s:o, s:o}", "network",
				  ctl_network_name(p->d), "epoch",
				  (json_int_t)p->epoch, "nodes", p->nodes,
				  "hubs", hubs, "revoked", revoked) :
			NULL;
	text = idx ? json_dumps(idx, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	r = text ? txn_add(&p->t, path, text, strlen(text), 0600, false) :
		   -ENOMEM;
	free(text);
	json_decref(idx);
	return r;
}

static int publish_all(struct publish *p)
{
	char *index = NULL;
	uint64_t last;
	size_t i;
	int r;

	if (asprintf(&index, "%s/index.json", p->store) < 0)
		return cli_fail("out of memory");
	r = read_index(p, index, &last);
	p->epoch = last + 1;
	p->nodes = json_array();
	if (!r)
		r = find_rotations(p);
	for (i = 0; !r && i < p->d->n_nodes; i++)
		if (!p->d->nodes[i].os_other)
			r = publish_node(p, i);
	if (!r && write_index(p, index))
		r = cli_fail("out of memory");
	if (!r && txn_commit(&p->t))
		r = cli_fail("cannot write %s; nothing was published",
			     p->t.failed_path);
	if (!r)
		printf("published epoch %llu to %s\nchanged: %s\nunchanged: "
		       "%s\n%s%s%s",
		       (unsigned long long)p->epoch, p->store,
		       p->changed[0] ? p->changed : "none",
		       p->unchanged[0] ? p->unchanged : "none",
		       p->revoked[0] ? "revoked (state removed): " : "",
		       p->revoked, p->revoked[0] ? "\n" : "");
	if (!r && p->voided[0])
		printf("revoked (invitation and registration voided): %s\n",
		       p->voided);
	json_decref(p->nodes);
	json_decref(p->old_nodes);
	free(p->rot);
	free(index);
	return r;
}

int cli_publish_run(struct cli *c, struct lw_desc *d, struct lw_keyring *kr,
		    const char *store)
{
	struct publish p = { 0 };
	char err[512];
	bool made, dir_made;
	int r = 0;

	p.store = store;
	if (lw_mkdir_private(p.store, &dir_made))
		r = cli_fail("cannot make %s", p.store);
	if (!r && ctl_key_load(cli_keys_dir(c), ctl_network_name(d), true,
			       &p.key, &made, err, sizeof(err)))
		r = cli_fail("%s", err);
	if (!r && made)
		printf("made the network key %s/%s; give %s/%s to every "
		       "node's agent\n",
		       cli_keys_dir(c), CTL_KEY_FILE, cli_keys_dir(c),
		       CTL_PUB_FILE);
	if (!r) {
		p.d = d;
		p.kr = kr;
		p.source = cli_base_name(c->file);
		txn_init(&p.t);
		r = publish_all(&p);
		txn_free(&p.t);
	}
	EVP_PKEY_free(p.key);
	return r;
}

int cli_publish(struct cli *c, const char *store)
{
	struct lw_keyring kr = { 0 };
	struct lw_desc d = { 0 };
	int r;

	/* keys registered by lanwire join go into the description first */
	r = cli_take_registrations(c, store);
	if (!r)
		r = cli_load_checked(c, &d, &kr, false);
	if (!r)
		r = cli_publish_run(c, &d, &kr, store);
	keyring_free(&kr);
	desc_free(&d);
	return r;
}

int cmd_publish(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = {
		COMMON_OPTS, { "store", required_argument, NULL, 's' }, { 0 }
	};
	const char *store = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("publish");
		if (ch == 's')
			store = optarg;
		else if (!cli_common_opt(c, ch))
			return cli_usage_error("publish", "unknown option");
	}
	if (!store || optind != argc)
		return cli_usage_error("publish", "give --store DIR and nothing "
						  "else");
	return cli_publish(c, store);
}
