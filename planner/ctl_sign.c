// SPDX-License-Identifier: MIT
/*
 * The network's Ed25519 key and the signed envelope (ctl.h). The key is
 * made once from libcrypto's random bytes (crypto_random) and kept as
 * base64 of its 32-byte seed in KEYDIR/control.key (0600), with the
 * public half and the network's name in control.pub for the nodes, both
 * written through one struct lw_txn. Signing and verifying are
 * libcrypto's (EVP_DigestSign / EVP_DigestVerify, pure Ed25519).
 *
 * The parser is strict and ordered so that nothing from the text is
 * trusted before the signature holds: size, JSON shape, signature, then
 * network, node and epoch.
 */
#include "ctl.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"
#include "keys.h"
#include "txn.h"

static const char sig_domain[] = "lanwire-state-v1\n";

/* ---- base64 ---- */

char *ctl_b64_encode(const uint8_t *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

int ctl_b64_decode(uint8_t *out, size_t n, const char *s)
{
	size_t want = 4 * ((n + 2) / 3);
	uint8_t tmp[192]; /* signatures and sealed keys: short values */
	char *again;
	int r = -EINVAL;

	if (!s || strlen(s) != want || n + 2 > sizeof(tmp))
		return -EINVAL;
	if (EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)want) !=
	    (int)(want / 4 * 3))
		goto out;
	/* One text per value: encoding the bytes again gives s back. */
	again = ctl_b64_encode(tmp, n);
	if (again && !strcmp(again, s)) {
		memcpy(out, tmp, n);
		r = 0;
	}
	free(again);
out:
	crypto_wipe(tmp, sizeof(tmp));
	return r;
}

/* ---- the network key ---- */

static EVP_PKEY *key_from_seed(const uint8_t seed[static 32])
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
}

static int pub_text(EVP_PKEY *key, char out[static LW_KEY_B64_LEN + 1])
{
	uint8_t pub[32];
	size_t len = sizeof(pub);

	if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != 32)
		return -EINVAL;
	key_to_base64(out, pub);
	return 0;
}

/* A new key, staged in control.key and control.pub. */
static int make_key(const char *dir, const char *network, EVP_PKEY **key,
		    char *err, size_t errlen)
{
	char seed_b64[LW_KEY_B64_LEN + 2], pub_b64[LW_KEY_B64_LEN + 1];
	char *kpath = NULL, *ppath = NULL, *publine = NULL;
	uint8_t seed[32];
	struct lw_txn t;
	int r = -ENOMEM;

	txn_init(&t);
	if (crypto_random(seed, sizeof(seed)) || !(*key = key_from_seed(seed))) {
		snprintf(err, errlen, "cannot make an Ed25519 key");
		r = -EIO;
		goto out;
	}
	key_to_base64(seed_b64, seed);
	strcat(seed_b64, "\n");
	if (pub_text(*key, pub_b64) ||
	    asprintf(&kpath, "%s/%s", dir, CTL_KEY_FILE) < 0 ||
	    asprintf(&ppath, "%s/%s", dir, CTL_PUB_FILE) < 0 ||
	    asprintf(&publine, "%s %s\n", network, pub_b64) < 0)
		goto out;
	r = txn_add(&t, kpath, seed_b64, strlen(seed_b64), 0600, true);
	if (!r)
		r = txn_add(&t, ppath, publine, strlen(publine), 0600, false);
	if (!r)
		r = txn_commit(&t);
	if (r)
		snprintf(err, errlen, "cannot write %s: %s",
			 t.failed_path ? t.failed_path : kpath, strerror(-r));
out:
	if (r) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	crypto_wipe(seed, sizeof(seed));
	crypto_wipe(seed_b64, sizeof(seed_b64));
	txn_free(&t);
	free(kpath);
	free(ppath);
	free(publine);
	return r;
}

static int read_key(const char *path, EVP_PKEY **key, char *err,
		    size_t errlen)
{
	uint8_t seed[32];
	struct stat sb;
	char *text = NULL;
	size_t len;
	int r = lw_read_file(path, &text, &len, 256);

	if (r)
		return r;
	if (stat(path, &sb) || (sb.st_mode & 077)) {
		snprintf(err, errlen, "%s is readable by others; chmod 600 it",
			 path);
		r = -EINVAL;
	} else if ((text[strcspn(text, "\n")] = '\0',
		    key_from_base64(seed, text))) {
		snprintf(err, errlen, "%s holds no key (44 base64 characters)",
			 path);
		r = -EINVAL;
	} else if (!(*key = key_from_seed(seed))) {
		r = -ENOMEM;
	}
	crypto_wipe(text, len);
	crypto_wipe(seed, sizeof(seed));
	free(text);
	return r;
}

int ctl_key_load(const char *dir, const char *network, bool may_make,
		 EVP_PKEY **key, bool *made, char *err, size_t errlen)
{
	char *path = NULL;
	int r;

	*key = NULL;
	*made = false;
	if (asprintf(&path, "%s/%s", dir, CTL_KEY_FILE) < 0)
		return -ENOMEM;
	r = read_key(path, key, err, errlen);
	if (r == -ENOENT && may_make) {
		r = make_key(dir, network, key, err, errlen);
		*made = !r;
	} else if (r && r != -EINVAL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
	}
	free(path);
	return r;
}

int ctl_pub_load(const char *path, EVP_PKEY **pub, char *network,
		 size_t netlen, char *err, size_t errlen)
{
	char name[LW_NAME_MAX + 1], b64[LW_KEY_B64_LEN + 1], *text = NULL;
	uint8_t raw[32];
	size_t len;
	int r = lw_read_file(path, &text, &len, 512);

	*pub = NULL;
	if (r) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	if (sscanf(text, "%32s %44s", name, b64) != 2 ||
	    key_from_base64(raw, b64)) {
		snprintf(err, errlen, "%s is not a control.pub (NETWORK KEY)",
			 path);
		r = -EINVAL;
	} else if (!(*pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							 raw, 32))) {
		snprintf(err, errlen, "%s: not an Ed25519 public key", path);
		r = -EINVAL;
	} else {
		snprintf(network, netlen, "%s", name);
	}
	free(text);
	return r;
}

/* ---- the envelope ---- */

/* domain + the object without sig, compact, sorted. */
static char *signed_text(const char *domain, json_t *body, size_t *len)
{
	char *json = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS), *msg;

	if (!json)
		return NULL;
	*len = strlen(domain) + strlen(json);
	msg = malloc(*len + 1);
	if (msg)
		snprintf(msg, *len + 1, "%s%s", domain, json);
	free(json);
	return msg;
}

char *ctl_json_sign(EVP_PKEY *key, const char *domain, json_t *body)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sig[CTL_SIG_LEN];
	size_t len, siglen = sizeof(sig);
	char *msg = signed_text(domain, body, &len), *out = NULL;
	char *sig_b64 = NULL;

	if (msg && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (uint8_t *)msg, len) == 1 &&
	    (sig_b64 = ctl_b64_encode(sig, siglen)) &&
	    !json_object_set_new(body, "sig", json_string(sig_b64)))
		out = json_dumps(body, JSON_INDENT(1) | JSON_SORT_KEYS);
	free(sig_b64);
	free(msg);
	EVP_MD_CTX_free(ctx);
	return out;
}

bool ctl_json_sig_ok(json_t *root, EVP_PKEY *pub, const char *domain)
{
	uint8_t sig[CTL_SIG_LEN];
	json_t *body = json_deep_copy(root);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *msg = NULL;
	size_t len;
	bool ok = false;

	if (body && ctx &&
	    !ctl_b64_decode(sig, sizeof(sig),
			    json_string_value(json_object_get(root, "sig"))) &&
	    !json_object_del(body, "sig") &&
	    (msg = signed_text(domain, body, &len)))
		ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub) == 1 &&
		     EVP_DigestVerify(ctx, sig, sizeof(sig), (uint8_t *)msg,
				      len) == 1;
	free(msg);
	EVP_MD_CTX_free(ctx);
	json_decref(body);
	return ok;
}

static json_t *body_new(const char *network, const char *node,
			uint64_t epoch, json_t *state)
{
	return json_pack("{s:s, s:s, s:I, s:O}", "network", network, "node",
			 node, "epoch", (json_int_t)epoch, "state", state);
}

char *ctl_envelope_sign(EVP_PKEY *key, const char *network, const char *node,
			uint64_t epoch, json_t *state)
{
	json_t *body = body_new(network, node, epoch, state);
	char *out = body ? ctl_json_sign(key, sig_domain, body) : NULL;

	json_decref(body);
	return out;
}

int ctl_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

/* Exactly network, node, epoch, state and sig, of their types. */
static bool shape_ok(json_t *root, char *err, size_t errlen)
{
	json_t *ep = json_object_get(root, "epoch");

	if (!json_is_object(root) || json_object_size(root) != 5 ||
	    !json_is_string(json_object_get(root, "network")) ||
	    !json_is_string(json_object_get(root, "node")) ||
	    !json_is_object(json_object_get(root, "state")) ||
	    !json_is_string(json_object_get(root, "sig")) ||
	    !json_is_integer(ep)) {
		ctl_fail(err, errlen, 0, "not a state envelope (want exactly "
				     "network, node, epoch, state, sig)");
		return false;
	}
	if (json_integer_value(ep) <= 0) {
		ctl_fail(err, errlen, 0, "epoch %lld is not positive",
		     (long long)json_integer_value(ep));
		return false;
	}
	return true;
}

int ctl_envelope_parse(struct ctl_envelope *e, const char *text, size_t len,
		       EVP_PKEY *pub, const char *network, const char *node,
		       uint64_t after, char *err, size_t errlen)
{
	const char *net_s, *node_s;
	json_error_t jerr;
	uint64_t epoch;
	json_t *root;
	int r;

	if (len > CTL_MAX_ENVELOPE)
		return ctl_fail(err, errlen, -EMSGSIZE,
			    "state of %zu bytes refused (at most %u)", len,
			    CTL_MAX_ENVELOPE);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ctl_fail(err, errlen, -EBADMSG, "not JSON: %s (line %d)",
			    jerr.text, jerr.line);
	r = -EBADMSG;
	if (!shape_ok(root, err, errlen))
		goto out;
	r = ctl_fail(err, errlen, -EPERM, "bad signature: not signed by the "
				      "network's key");
	if (!ctl_json_sig_ok(root, pub, sig_domain))
		goto out;
	net_s = json_string_value(json_object_get(root, "network"));
	node_s = json_string_value(json_object_get(root, "node"));
	epoch = (uint64_t)json_integer_value(json_object_get(root, "epoch"));
	r = -EXDEV;
	if (network && strcmp(net_s, network)) {
		ctl_fail(err, errlen, r, "state for network %.32s, not %s", net_s,
		     network);
		goto out;
	}
	if (node && strcmp(node_s, node)) {
		ctl_fail(err, errlen, r, "state for node %.32s, not %s", node_s,
		     node);
		goto out;
	}
	if (strlen(net_s) > LW_NAME_MAX || strlen(node_s) > LW_NAME_MAX) {
		r = ctl_fail(err, errlen, -EBADMSG, "name too long");
		goto out;
	}
	if (epoch <= after) {
		r = ctl_fail(err, errlen, -ESTALE,
			 "epoch %llu is not newer than %llu (replayed or old "
			 "state)",
			 (unsigned long long)epoch, (unsigned long long)after);
		goto out;
	}
	snprintf(e->network, sizeof(e->network), "%s", net_s);
	snprintf(e->node, sizeof(e->node), "%s", node_s);
	e->epoch = epoch;
	e->state = json_incref(json_object_get(root, "state"));
	r = 0;
out:
	json_decref(root);
	return r;
}

void ctl_envelope_free(struct ctl_envelope *e)
{
	json_decref(e->state);
	e->state = NULL;
}

uint64_t ctl_envelope_peek_epoch(const char *text, size_t len)
{
	json_t *root, *ep;
	uint64_t epoch = 0;

	if (len > CTL_MAX_ENVELOPE)
		return 0;
	root = json_loadb(text, len, 0, NULL);
	ep = json_object_get(root, "epoch");
	if (json_is_integer(ep) && json_integer_value(ep) > 0)
		epoch = (uint64_t)json_integer_value(ep);
	json_decref(root);
	return epoch;
}
