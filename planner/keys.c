// SPDX-License-Identifier: MIT
/*
 * Key directory (see keys.h). Key text (base64, strict in the way wg is)
 * and new keys are common/key.c's: key_generate_private() and
 * key_generate_preshared() over libcrypto; every buffer that held a secret
 * is wiped with crypto_wipe() on every path.
 */
#include "keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "key.h"
#include "desc.h"

char *keys_default_dir(const char *desc_path)
{
	size_t n = strlen(desc_path);
	char *s;

	if (n > 5 && !strcmp(desc_path + n - 5, ".conf"))
		n -= 5;
	if (asprintf(&s, "%.*s.keys", (int)n, desc_path) < 0)
		return NULL;
	return s;
}

static char *join(const char *dir, const char *name, const char *suffix)
{
	char *s;

	if (asprintf(&s, "%s/%s%s", dir, name, suffix) < 0)
		return NULL;
	return s;
}

char *keys_private_path(const char *dir, const char *node)
{
	return join(dir, node, ".key");
}

char *keys_public_path(const char *dir, const char *node)
{
	return join(dir, node, ".pub");
}

char *keys_psk_path(const char *dir, const char *a, const char *b)
{
	char *s;

	if (strcmp(a, b) > 0) {
		const char *t = a;

		a = b;
		b = t;
	}
	if (asprintf(&s, "%s/%s+%s.psk", dir, a, b) < 0)
		return NULL;
	return s;
}

/* Reads one key file. 0, -ENOENT when absent, -EINVAL (diagnosed) when
 * malformed, other -errno when unreadable (diagnosed). */
static int read_key_file(struct lw_desc *d, const char *path,
			 uint8_t key[static LW_KEY_LEN])
{
	struct stat st;
	char *text = NULL;
	size_t len;
	int r;

	r = lw_read_file(path, &text, &len, 256);
	if (r == -ENOENT)
		return r;
	if (r) {
		desc_diag_file(d, LW_ERROR, path, 0, "cannot read: %s",
			       strerror(-r));
		return r;
	}
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	r = key_from_base64(key, text);
	crypto_wipe(text, len);
	free(text);
	if (r) {
		desc_diag_file(d, LW_ERROR, path, 0,
			       "not a base64 WireGuard key; delete it and run "
			       "lanwire keys");
		return r;
	}
	if (!stat(path, &st) && (st.st_mode & 077))
		desc_diag_file(d, LW_WARNING, path, 0,
			       "readable by group or others; chmod 600 it");
	return 0;
}

static void check_on_device(struct lw_desc *d, size_t i,
			    struct lw_node_keys *k, const char *path)
{
	const struct lw_node *n = &d->nodes[i];
	uint8_t derived[LW_KEY_LEN];

	key_public_from_private(derived, k->private_key);
	if (!crypto_equal(derived, n->public_key, LW_KEY_LEN))
		desc_diag(d, LW_ERROR, n->public_key_line,
			  "public-key of %s does not match its private key "
			  "in %s; a key made on the device never needs that "
			  "file: delete it, or drop public-key",
			  n->name, path);
}

static int load_node(struct lw_keyring *kr, struct lw_desc *d, size_t i)
{
	struct lw_node_keys *k = &kr->nodes[i];
	const struct lw_node *n = &d->nodes[i];
	char *path = keys_private_path(kr->dir, n->name);

	if (!path)
		return -ENOMEM;
	if (n->has_public_key) {
		k->on_device = true;
		k->has_public = true;
		memcpy(k->public_key, n->public_key, LW_KEY_LEN);
	}
	if (!read_key_file(d, path, k->private_key)) {
		if (k->on_device) {
			check_on_device(d, i, k, path);
			crypto_wipe(k->private_key, LW_KEY_LEN);
		} else {
			k->has_private = true;
			k->has_public = true;
			key_public_from_private(k->public_key,
						   k->private_key);
		}
	}
	if (k->on_device)
		free(path);
	else
		k->private_path = path;
	return 0;
}

static int load_psks(struct lw_keyring *kr, struct lw_desc *d)
{
	size_t a, b, n = d->n_nodes;
	struct lw_psk *p;

	for (a = 0; a < n; a++) {
		for (b = a + 1; b < n; b++) {
			if (!desc_are_peers(d, a, b))
				continue;
			if (lw_grow(&kr->psks, &kr->cap_psks, kr->n_psks + 1,
				    sizeof(*kr->psks)))
				return -ENOMEM;
			p = &kr->psks[kr->n_psks++];
			p->a = a;
			p->b = b;
			p->path = keys_psk_path(kr->dir, d->nodes[a].name,
						d->nodes[b].name);
			if (!p->path)
				return -ENOMEM;
			p->present = !read_key_file(d, p->path, p->key);
		}
	}
	return 0;
}

int keyring_load(struct lw_keyring *kr, struct lw_desc *d, const char *dir)
{
	struct stat st;
	size_t i;
	int r;

	memset(kr, 0, sizeof(*kr));
	kr->dir = strdup(dir);
	kr->nodes = calloc(d->n_nodes ? d->n_nodes : 1, sizeof(*kr->nodes));
	if (!kr->dir || !kr->nodes)
		return -ENOMEM;
	kr->n_nodes = d->n_nodes;
	if (!stat(dir, &st) && S_ISDIR(st.st_mode) && (st.st_mode & 077))
		desc_diag_file(d, LW_WARNING, dir, 0,
			       "key directory is open to group or others; "
			       "chmod 700 it");
	for (i = 0; i < d->n_nodes; i++) {
		r = load_node(kr, d, i);
		if (r)
			return r;
	}
	return load_psks(kr, d);
}

void keyring_free(struct lw_keyring *kr)
{
	size_t i;

	for (i = 0; kr->nodes && i < kr->n_nodes; i++) {
		crypto_wipe(kr->nodes[i].private_key, LW_KEY_LEN);
		free(kr->nodes[i].private_path);
	}
	free(kr->nodes);
	for (i = 0; i < kr->n_psks; i++) {
		crypto_wipe(kr->psks[i].key, LW_KEY_LEN);
		free(kr->psks[i].path);
	}
	free(kr->psks);
	free(kr->dir);
	memset(kr, 0, sizeof(*kr));
}

const struct lw_psk *keyring_psk(const struct lw_keyring *kr, size_t a,
				 size_t b)
{
	size_t i;

	if (a > b) {
		size_t t = a;

		a = b;
		b = t;
	}
	for (i = 0; i < kr->n_psks; i++) {
		if (kr->psks[i].a == a && kr->psks[i].b == b)
			return &kr->psks[i];
	}
	return NULL;
}

/* Stages "base64\n" of key at path. */
static int stage_key(struct lw_txn *t, const char *path,
		     const uint8_t key[static LW_KEY_LEN], bool secret)
{
	char text[LW_KEY_B64_LEN + 2];
	int r;

	key_to_base64(text, key);
	text[LW_KEY_B64_LEN] = '\n';
	text[LW_KEY_B64_LEN + 1] = '\0';
	r = txn_add(t, path, text, LW_KEY_B64_LEN + 1, 0600, secret);
	crypto_wipe(text, sizeof(text));
	return r;
}

static int make_node_key(struct lw_keyring *kr, const struct lw_desc *d,
			 size_t i, struct lw_txn *t)
{
	struct lw_node_keys *k = &kr->nodes[i];
	char *pub;
	int r;

	r = key_generate_private(k->private_key);
	if (r)
		return r;
	key_public_from_private(k->public_key, k->private_key);
	k->has_private = k->has_public = true;
	if (!k->private_path)
		k->private_path = keys_private_path(kr->dir, d->nodes[i].name);
	pub = keys_public_path(kr->dir, d->nodes[i].name);
	if (!k->private_path || !pub) {
		free(pub);
		return -ENOMEM;
	}
	r = stage_key(t, k->private_path, k->private_key, true);
	if (!r)
		r = stage_key(t, pub, k->public_key, false);
	free(pub);
	return r;
}

int keys_stage_missing(struct lw_keyring *kr, const struct lw_desc *d,
		       struct lw_txn *t, unsigned int *made)
{
	size_t i;
	int r;

	*made = 0;
	for (i = 0; i < d->n_nodes && i < kr->n_nodes; i++) {
		if (kr->nodes[i].on_device || kr->nodes[i].has_private)
			continue;
		r = make_node_key(kr, d, i, t);
		if (r)
			return r;
		(*made)++;
	}
	for (i = 0; i < kr->n_psks; i++) {
		struct lw_psk *p = &kr->psks[i];

		if (p->present)
			continue;
		r = key_generate_preshared(p->key);
		if (!r)
			r = stage_key(t, p->path, p->key, true);
		if (r)
			return r;
		p->present = true;
		(*made)++;
	}
	return 0;
}

static int stage_unlink_owned(struct lw_txn *t, char *path)
{
	int r;

	if (!path)
		return -ENOMEM;
	r = txn_unlink(t, path);
	free(path);
	return r;
}

int keys_stage_removal(const struct lw_desc *d, size_t node, const char *dir,
		       struct lw_txn *t)
{
	const char *name = d->nodes[node].name;
	size_t i;
	int r;

	r = stage_unlink_owned(t, keys_private_path(dir, name));
	if (!r)
		r = stage_unlink_owned(t, keys_public_path(dir, name));
	for (i = 0; !r && i < d->n_nodes; i++) {
		if (i != node && desc_are_peers(d, node, i))
			r = stage_unlink_owned(
				t, keys_psk_path(dir, name, d->nodes[i].name));
	}
	return r;
}
