// SPDX-License-Identifier: MIT
/*
 * lanwire invite NODE --store DIR (ctl_join.h, docs/control.md "Joining a
 * node"), on the admin's machine. Makes a throwaway bootstrap WireGuard
 * key pair and a one-time secret, then:
 *
 *   - publishes every state with the bootstrap public key standing in
 *     for NODE's (the hub accepts it as NODE's peer; NODE's own state is
 *     sealed to it), so the admin need not be online at the redemption;
 *   - signs a join grant {network, node, expires, BLAKE2s(secret),
 *     bootstrap public key} into DIR/grants/NODE.json (0600) with the
 *     network's public key beside it (DIR/control.pub) for serve;
 *   - prints the token (last line of stdout; with --qr also as a QR code)
 *     and nothing of it anywhere else. The token is the credential: hand
 *     it over as you would a password.
 *
 * Also here: cli_take_registrations(), which publish runs first: every
 * key a hub registered (DIR/registrations/NODE.json) is written into the
 * description as "public-key =" (edit.c), so the description stays the
 * source of truth.
 *
 * Ownership: everything lives in cmd_invite(); secrets are wiped there.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto.h"
#include "ctl.h"
#include "ctl_join.h"
#include "desc.h"
#include "edit.h"
#include "keys.h"
#include "plan.h"
#include "qr.h"

/* What an invitation is made of (its secrets wiped at the end). */
struct invite {
	const char *store, *hub_name, *token_file;
	long seconds;
	bool qr;
	struct ctl_token tok;
	struct ctl_grant grant;
};

static int find_node(const struct lw_desc *d, const char *name, size_t *i)
{
	for (*i = 0; *i < d->n_nodes; (*i)++)
		if (!strcmp(d->nodes[*i].name, name))
			return 0;
	return -ENOENT;
}

/* The hub the node joins through: --hub, its own hub, or the first. */
static int pick_hub(const struct lw_desc *d, const struct invite *iv,
		    size_t node, size_t *h)
{
	if (iv->hub_name)
		return find_node(d, iv->hub_name, h) ||
			       d->nodes[*h].role != LW_ROLE_HUB ?
			       cli_fail("%s is not a hub", iv->hub_name) :
			       0;
	if (d->nodes[node].has_hub) {
		*h = d->nodes[node].hub;
		return 0;
	}
	for (*h = 0; *h < d->n_nodes; (*h)++)
		if (d->nodes[*h].role == LW_ROLE_HUB)
			return 0;
	return cli_fail("the network has no hub to join through");
}

/* The token's fields from the node's plan (with the bootstrap key). */
static int fill_token(struct invite *iv, const struct lw_desc *d,
		      const struct lw_keyring *kr, size_t i, size_t h)
{
	struct ctl_token *t = &iv->tok;
	struct lw_node_plan pl;
	char err[512];
	size_t k;
	int r = 0;

	if (plan_node(&pl, d, kr, i, err, sizeof(err)))
		return cli_fail("%s", err);
	for (k = 0; k < pl.n_peers && pl.peers[k].node != h; k++)
		;
	if (k == pl.n_peers || !pl.peers[k].has_endpoint || !pl.n_addrs) {
		r = cli_fail("%s has no tunnel to hub %s with an endpoint",
			     d->nodes[i].name, d->nodes[h].name);
		goto out;
	}
	memcpy(t->hub_pub, pl.peers[k].public_key, LW_KEY_LEN);
	t->has_psk = pl.peers[k].has_psk;
	if (t->has_psk)
		memcpy(t->psk, pl.peers[k].psk, LW_KEY_LEN);
	lw_endpoint_format(t->endpoint, sizeof(t->endpoint),
			   &pl.peers[k].endpoint);
	prefix_format(t->addr, sizeof(t->addr), &pl.addrs[0]);
	addr_format(t->hub_addr, sizeof(t->hub_addr), &d->nodes[h].addr[0].p);
	snprintf(t->iface, sizeof(t->iface), "%s", pl.iface);
	snprintf(t->network, sizeof(t->network), "%s", ctl_network_name(d));
	snprintf(t->node, sizeof(t->node), "%s", d->nodes[i].name);
	snprintf(t->hub, sizeof(t->hub), "%s", d->nodes[h].name);
out:
	plan_free(&pl);
	return r;
}

/* The grant and control.pub into the store, atomically. */
static int write_grant(struct cli *c, struct invite *iv, EVP_PKEY *key)
{
	char path[4096], pub_path[4096], *text = ctl_grant_sign(key, &iv->grant);
	char *pub = NULL;
	size_t len;
	struct lw_txn t;
	bool made;
	int r;

	snprintf(path, sizeof(path), "%s/grants", iv->store);
	if (!text || lw_mkdir_private(path, &made)) {
		free(text);
		return cli_fail("cannot make %s", path);
	}
	snprintf(pub_path, sizeof(pub_path), "%s/%s", cli_keys_dir(c),
		 CTL_PUB_FILE);
	r = lw_read_file(pub_path, &pub, &len, 4096);
	txn_init(&t);
	snprintf(path, sizeof(path), "%s/grants/%s.json", iv->store,
		 iv->grant.node);
	if (!r)
		r = txn_add(&t, path, text, strlen(text), 0600, false);
	snprintf(path, sizeof(path), "%s/%s", iv->store, CTL_PUB_FILE);
	if (!r)
		r = txn_add(&t, path, pub, len, 0600, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	free(text);
	free(pub);
	return r ? cli_fail("cannot write the grant into %s", iv->store) : 0;
}

static int give_token(struct invite *iv)
{
	char *text = ctl_token_encode(&iv->tok);
	struct lw_txn t;
	int r = 0;

	if (!text)
		return cli_fail("a name or address is too long for a token");
	if (iv->token_file) {
		txn_init(&t);
		r = txn_add(&t, iv->token_file, text, strlen(text), 0600, false);
		if (!r)
			r = txn_commit(&t);
		txn_free(&t);
		if (r)
			r = cli_fail("cannot write %s", iv->token_file);
	} else {
		printf("%s\n", text);
	}
	if (!r && iv->qr && qr_print(stdout, text))
		r = cli_fail("the token does not fit a QR code");
	fflush(stdout);
	crypto_wipe(text, strlen(text));
	free(text);
	return r;
}

/* The node's preshared keys with its peers, when missing (as lanwire
 * keys makes them; never the node's own key: that is made on it). */
static int stage_psks(struct cli *c, struct lw_keyring *kr,
		      const struct lw_desc *d)
{
	unsigned int made;
	struct lw_txn t;
	bool dir_made;
	int r;

	txn_init(&t);
	r = cli_stage_keys(c, kr, d, &t, &made, &dir_made);
	if (!r && made)
		r = cli_commit(&t, cli_keys_dir(c), dir_made);
	if (!r && made)
		fprintf(stderr, "made %u missing keys in %s\n", made,
			cli_keys_dir(c));
	txn_free(&t);
	return r;
}

static int invite_node(struct cli *c, struct invite *iv, struct lw_desc *d,
		       struct lw_keyring *kr, const char *name)
{
	struct lw_node_keys *nk;
	EVP_PKEY *key = NULL;
	size_t i, h, len = 32;
	char err[512];
	bool made;
	int r;

	if (find_node(d, name, &i))
		return cli_fail("%s is not a node of %s", name, c->file);
	if (d->nodes[i].role != LW_ROLE_CLIENT || d->nodes[i].os_other)
		return cli_fail("%s: only Linux clients join by invitation "
				"(hubs and gateways are set up with lanwire "
				"up; phones by QR with lanwire show --qr)",
				name);
	if (d->nodes[i].has_public_key)
		return cli_fail("%s has a key already (public-key = at line "
				"%d): it joined; remove that line to invite "
				"it again with a new key",
				name, d->nodes[i].public_key_line);
	if (pick_hub(d, iv, i, &h))
		return 1;
	nk = &kr->nodes[i];
	if (key_generate_private(iv->tok.boot_priv) ||
	    crypto_random(iv->tok.secret, sizeof(iv->tok.secret)))
		return cli_fail("no random bytes");
	/* the bootstrap key stands in for the node's until it registers;
	 * as for a key made on the device, none is made here */
	x25519_public_from_private(nk->public_key, iv->tok.boot_priv);
	nk->has_public = nk->on_device = true;
	if (nk->has_private) {
		crypto_wipe(nk->private_key, sizeof(nk->private_key));
		nk->has_private = false;
	}
	if (stage_psks(c, kr, d))
		return 1;
	if (fill_token(iv, d, kr, i, h))
		return 1;
	if (ctl_key_load(cli_keys_dir(c), iv->tok.network, true, &key, &made,
			 err, sizeof(err)))
		return cli_fail("%s", err);
	EVP_PKEY_get_raw_public_key(key, iv->tok.network_pub, &len);
	iv->tok.expires = (uint64_t)time(NULL) + (uint64_t)iv->seconds;
	snprintf(iv->grant.network, sizeof(iv->grant.network), "%s",
		 iv->tok.network);
	snprintf(iv->grant.node, sizeof(iv->grant.node), "%s", name);
	iv->grant.expires = iv->tok.expires;
	ctl_secret_hash(iv->grant.secret_hash, iv->tok.secret);
	memcpy(iv->grant.boot_pub, nk->public_key, LW_KEY_LEN);
	r = cli_publish_run(c, d, kr, iv->store);
	if (!r)
		r = write_grant(c, iv, key);
	if (!r)
		r = give_token(iv);
	if (!r)
		fprintf(stderr,
			"invited %s through hub %s until %llu (unix time); "
			"on it: lanwire join TOKEN\n",
			name, iv->tok.hub, (unsigned long long)iv->tok.expires);
	EVP_PKEY_free(key);
	return r;
}

int cmd_invite(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "store", required_argument, NULL, 's' },
		{ "hub", required_argument, NULL, 'H' },
		{ "expires", required_argument, NULL, 'e' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "qr", no_argument, NULL, 'q' },
		{ 0 }
	};
	struct invite iv = { .seconds = CTL_INVITE_SECONDS };
	struct lw_keyring kr = { 0 };
	struct lw_desc d = { 0 };
	char *end;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("invite");
		if (ch == 's')
			iv.store = optarg;
		else if (ch == 'H')
			iv.hub_name = optarg;
		else if (ch == 'T')
			iv.token_file = optarg;
		else if (ch == 'q')
			iv.qr = true;
		else if (ch == 'e') {
			iv.seconds = strtol(optarg, &end, 10);
			if (*end || iv.seconds < 1 ||
			    iv.seconds > CTL_INVITE_MAX_SECONDS)
				return cli_usage_error("invite",
						       "--expires takes 1 to "
						       "604800 seconds");
		} else if (!cli_common_opt(c, ch))
			return cli_usage_error("invite", "unknown option");
	}
	if (!iv.store || optind != argc - 1)
		return cli_usage_error("invite", "name the node and --store DIR");
	r = cli_take_registrations(c, iv.store);
	if (!r)
		r = cli_load_checked(c, &d, &kr, false);
	if (!r)
		r = invite_node(c, &iv, &d, &kr, argv[optind]);
	ctl_token_wipe(&iv.tok);
	keyring_free(&kr);
	desc_free(&d);
	return r;
}

/* ---- registrations into the description ---- */

/* One registration: "public-key =" into [client NODE] unless there. */
static int take_one(struct cli *c, const char *path, bool *changed)
{
	json_t *reg = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	const char *node = json_string_value(json_object_get(reg, "node"));
	const char *key = json_string_value(json_object_get(reg, "public_key"));
	uint8_t raw[LW_KEY_LEN];
	char *text = NULL, *out = NULL, line[128];
	struct lw_desc d = { 0 };
	struct lw_txn t;
	size_t i, len;
	struct stat st;
	int r = 0;

	if (!node || !key || key_from_base64(raw, key)) {
		fprintf(stderr, "lanwire: %s is not a registration; skipped\n",
			path);
		goto out;
	}
	if (desc_load(&d, c->file) || find_node(&d, node, &i) ||
	    d.nodes[i].role != LW_ROLE_CLIENT)
		goto out; /* removed meanwhile: nothing to record */
	if (d.nodes[i].has_public_key) {
		if (memcmp(d.nodes[i].public_key, raw, LW_KEY_LEN))
			fprintf(stderr, "lanwire: %s registered another key "
					"than the description's; keeping the "
					"description's\n", node);
		goto out;
	}
	snprintf(line, sizeof(line), "public-key = %s\n", key);
	if (lw_read_file(c->file, &text, &len, 16 << 20) ||
	    edit_add_lines(text, len, "client", node, line, &out)) {
		r = cli_fail("cannot add %s's public key to %s", node, c->file);
		goto out;
	}
	txn_init(&t);
	r = txn_add(&t, c->file, out, strlen(out),
		    stat(c->file, &st) ? 0644 : st.st_mode & 07777, false);
	if (!r)
		r = txn_commit(&t);
	txn_free(&t);
	if (r)
		r = cli_fail("cannot write %s", c->file);
	else
		printf("%s joined: public-key = %s written into %s\n", node,
		       key, c->file);
	*changed = true;
out:
	free(text);
	free(out);
	desc_free(&d);
	json_decref(reg);
	return r;
}

int cli_take_registrations(struct cli *c, const char *store)
{
	char dir[4096], path[4400];
	struct dirent *e;
	bool changed = false;
	DIR *dp;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/registrations", store);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while (!r && (e = readdir(dp))) {
		size_t n = strlen(e->d_name);

		if (n < 6 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		r = take_one(c, path, &changed);
	}
	closedir(dp);
	fflush(stdout);
	return r;
}
