// SPDX-License-Identifier: MIT
/*
 * The invitation token and the join grant (ctl_join.h): their encoders,
 * their strict parsers and the one decision serve takes at a redemption.
 * Pure: no files, no network; the commands are cli_invite.c, cli_join.c
 * and cli_serve_join.c.
 *
 * Token record (after "lwjoin1:" and base64), integers big-endian:
 *   u8 version (1) | u64 expires | secret[32] | bootstrap private key[32]
 *   | network Ed25519 public key[32] | hub public key[32] | u8 flags
 *   (bit 0: psk present) | psk[32] | then seven strings, each u8 length
 *   and bytes: network, node, interface, hub, hub endpoint, node address
 *   (with its prefix length), hub tunnel address.
 */
#include "ctl_join.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "addr.h"
#include "crypto.h"
#include "ctl.h"
#include "upstate.h"

#define TOKEN_FIXED (1 + 8 + 5 * 32 + 1)
#define TOKEN_STRINGS 7
#define GRANT_MAX 4096

static const char grant_domain[] = "lanwire-grant-v1\n";

void ctl_token_wipe(struct ctl_token *t)
{
	crypto_wipe(t, sizeof(*t));
}

/* The token's strings, in record order. */
static char *token_field(struct ctl_token *t, int i, size_t *size)
{
	struct {
		char *p;
		size_t n;
	} f[TOKEN_STRINGS] = {
		{ t->network, sizeof(t->network) },
		{ t->node, sizeof(t->node) },
		{ t->iface, sizeof(t->iface) },
		{ t->hub, sizeof(t->hub) },
		{ t->endpoint, sizeof(t->endpoint) },
		{ t->addr, sizeof(t->addr) },
		{ t->hub_addr, sizeof(t->hub_addr) },
	};

	*size = f[i].n;
	return f[i].p;
}

char *ctl_token_encode(const struct ctl_token *t)
{
	uint8_t rec[TOKEN_FIXED + TOKEN_STRINGS * 256], *p = rec;
	struct ctl_token *tt = (struct ctl_token *)t; /* fields only read */
	char *b64, *out = NULL;
	size_t size, len;
	int i;

	*p++ = CTL_TOKEN_VERSION;
	for (i = 7; i >= 0; i--)
		*p++ = (uint8_t)(t->expires >> (8 * i));
	memcpy(p, t->secret, 32), p += 32;
	memcpy(p, t->boot_priv, 32), p += 32;
	memcpy(p, t->network_pub, 32), p += 32;
	memcpy(p, t->hub_pub, 32), p += 32;
	*p++ = t->has_psk ? 1 : 0;
	memcpy(p, t->psk, 32), p += 32;
	for (i = 0; i < TOKEN_STRINGS; i++) {
		const char *s = token_field(tt, i, &size);

		len = strnlen(s, size);
		if (len == size || len > 255)
			return NULL;
		*p++ = (uint8_t)len;
		memcpy(p, s, len), p += len;
	}
	b64 = ctl_b64_encode(rec, (size_t)(p - rec));
	if (b64 && asprintf(&out, "%s%s", CTL_TOKEN_PREFIX, b64) < 0)
		out = NULL;
	if (b64)
		crypto_wipe(b64, strlen(b64));
	free(b64);
	crypto_wipe(rec, sizeof(rec));
	return out;
}

/* Letters, digits, "-_.", not "-" first: names and interfaces. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_.") == n;
}

/* The strings read from the record are checked as what they are. */
static int check_fields(const struct ctl_token *t, char *err, size_t errlen)
{
	struct lw_endpoint ep;
	struct lw_prefix p;

	if (!name_ok(t->network) || !name_ok(t->node) || !name_ok(t->iface) ||
	    !name_ok(t->hub))
		return ctl_fail(err, errlen, -EINVAL,
				"the token's names are not valid names");
	if (lw_endpoint_parse(&ep, t->endpoint))
		return ctl_fail(err, errlen, -EINVAL,
				"the token's hub endpoint is not host:port");
	if (up_prefix_parse(&p, t->addr) || addr_parse(&p, t->hub_addr))
		return ctl_fail(err, errlen, -EINVAL,
				"the token's addresses are not addresses");
	return 0;
}

static int parse_record(struct ctl_token *t, const uint8_t *rec, size_t n,
			char *err, size_t errlen)
{
	const uint8_t *p = rec, *end = rec + n;
	size_t size;
	int i;

	if (n < TOKEN_FIXED)
		return ctl_fail(err, errlen, -EINVAL, "the token is truncated");
	if (*p++ != CTL_TOKEN_VERSION)
		return ctl_fail(err, errlen, -EINVAL,
				"the token is of another version (want %d)",
				CTL_TOKEN_VERSION);
	for (i = 0; i < 8; i++)
		t->expires = t->expires << 8 | *p++;
	memcpy(t->secret, p, 32), p += 32;
	memcpy(t->boot_priv, p, 32), p += 32;
	memcpy(t->network_pub, p, 32), p += 32;
	memcpy(t->hub_pub, p, 32), p += 32;
	if (*p > 1)
		return ctl_fail(err, errlen, -EINVAL, "the token's flags are bad");
	t->has_psk = *p++;
	memcpy(t->psk, p, 32), p += 32;
	for (i = 0; i < TOKEN_STRINGS; i++) {
		char *s = token_field(t, i, &size);

		if (p == end || (size_t)(end - p - 1) < *p)
			return ctl_fail(err, errlen, -EINVAL,
					"the token is truncated");
		if (*p >= size || memchr(p + 1, '\0', *p))
			return ctl_fail(err, errlen, -EINVAL,
					"the token has a field too long");
		memcpy(s, p + 1, *p);
		s[*p] = '\0';
		p += 1 + *p;
	}
	if (p != end)
		return ctl_fail(err, errlen, -EINVAL,
				"the token has bytes after its end");
	return check_fields(t, err, errlen);
}

/* Strict base64 of a token record: exactly one text per record (the
 * bytes encoded again give the text back). ctl_b64_decode() is for short
 * values; a record is longer. */
static int token_b64_decode(uint8_t *out, size_t n, const char *s,
			    size_t slen)
{
	uint8_t tmp[(CTL_TOKEN_MAX / 4) * 3 + 3];
	char *again;
	int r = -EINVAL;

	if (slen != 4 * ((n + 2) / 3) || slen > CTL_TOKEN_MAX)
		return -EINVAL;
	if (EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)slen) !=
	    (int)(slen / 4 * 3))
		goto out;
	again = ctl_b64_encode(tmp, n);
	if (again && !strcmp(again, s)) {
		memcpy(out, tmp, n);
		r = 0;
	}
	if (again)
		crypto_wipe(again, strlen(again));
	free(again);
out:
	crypto_wipe(tmp, sizeof(tmp));
	return r;
}

int ctl_token_parse(struct ctl_token *t, const char *text, char *err,
		    size_t errlen)
{
	size_t len, pre = strlen(CTL_TOKEN_PREFIX), n, b64len;
	uint8_t rec[(CTL_TOKEN_MAX / 4) * 3];
	int r;

	memset(t, 0, sizeof(*t));
	text += strspn(text, " \t\r\n");
	len = strlen(text);
	while (len && strchr(" \t\r\n", text[len - 1]))
		len--;
	if (len < pre || memcmp(text, CTL_TOKEN_PREFIX, pre))
		return ctl_fail(err, errlen, -EINVAL,
				"not a lanwire invitation (it starts with %s)",
				CTL_TOKEN_PREFIX);
	b64len = len - pre;
	if (b64len > CTL_TOKEN_MAX || b64len % 4 || !b64len)
		return ctl_fail(err, errlen, -EINVAL,
				"the token is truncated or too long");
	{
		char b64[CTL_TOKEN_MAX + 1];

		memcpy(b64, text + pre, b64len);
		b64[b64len] = '\0';
		n = b64len / 4 * 3 - (b64[b64len - 1] == '=') -
		    (b64[b64len - 2] == '=');
		r = token_b64_decode(rec, n, b64, b64len);
		crypto_wipe(b64, sizeof(b64));
	}
	if (r)
		r = ctl_fail(err, errlen, -EINVAL,
			     "the token is not base64 (cut or changed?)");
	else
		r = parse_record(t, rec, n, err, errlen);
	crypto_wipe(rec, sizeof(rec));
	if (r)
		ctl_token_wipe(t);
	return r;
}

/* ---- the grant ---- */

void ctl_secret_hash(uint8_t out[static 32],
		     const uint8_t secret[static LW_KEY_LEN])
{
	static const uint8_t ctx[] = "lanwire-join-secret-v1";

	blake2s(out, 32, ctx, sizeof(ctx) - 1, secret, LW_KEY_LEN);
}

static json_t *grant_body(const struct ctl_grant *g)
{
	char *hash = ctl_b64_encode(g->secret_hash, 32);
	char *boot = ctl_b64_encode(g->boot_pub, LW_KEY_LEN);
	json_t *o = hash && boot ?
			    json_pack("{s:s, s:s, s:I, s:s, s:s}", "network",
				      g->network, "node", g->node, "expires",
				      (json_int_t)g->expires, "secret_hash",
				      hash, "bootstrap", boot) :
			    NULL;

	free(hash);
	free(boot);
	return o;
}

char *ctl_grant_sign(EVP_PKEY *key, const struct ctl_grant *g)
{
	json_t *body = grant_body(g);
	char *out = body ? ctl_json_sign(key, grant_domain, body) : NULL;

	json_decref(body);
	return out;
}

static bool copy_name(char *out, size_t size, json_t *v)
{
	const char *s = json_string_value(v);

	if (!s || strlen(s) >= size || !name_ok(s))
		return false;
	snprintf(out, size, "%s", s);
	return true;
}

int ctl_grant_parse(struct ctl_grant *g, const char *text, size_t len,
		    EVP_PKEY *pub, char *err, size_t errlen)
{
	struct ctl_grant v = { 0 };
	json_t *root;
	json_t *exp;
	int r = 0;

	if (len > GRANT_MAX)
		return ctl_fail(err, errlen, -EBADMSG, "grant over %d bytes",
				GRANT_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	exp = json_object_get(root, "expires");
	if (!json_is_object(root) || json_object_size(root) != 6 ||
	    !copy_name(v.network, sizeof(v.network),
		       json_object_get(root, "network")) ||
	    !copy_name(v.node, sizeof(v.node), json_object_get(root, "node")) ||
	    !json_is_integer(exp) || json_integer_value(exp) < 0 ||
	    ctl_b64_decode(v.secret_hash, 32,
			   json_string_value(json_object_get(root,
							     "secret_hash"))) ||
	    ctl_b64_decode(v.boot_pub, LW_KEY_LEN,
			   json_string_value(json_object_get(root,
							     "bootstrap"))) ||
	    !json_is_string(json_object_get(root, "sig")))
		r = ctl_fail(err, errlen, -EBADMSG,
			     "not a join grant (fields or types wrong)");
	else if (!ctl_json_sig_ok(root, pub, grant_domain))
		r = ctl_fail(err, errlen, -EPERM, "grant: bad signature");
	if (!r) {
		v.expires = (uint64_t)json_integer_value(exp);
		*g = v;
	}
	json_decref(root);
	return r;
}

int ctl_grant_check(const struct ctl_grant *g, const char *node,
		    const uint8_t secret[static LW_KEY_LEN], uint64_t now,
		    bool redeemed, char *err, size_t errlen)
{
	uint8_t h[32];
	bool same;

	if (strcmp(g->node, node))
		return ctl_fail(err, errlen, -EXDEV,
				"the grant is %s's, not %s's", g->node, node);
	if (redeemed)
		return ctl_fail(err, errlen, -EALREADY,
				"%s's invitation was redeemed already", node);
	if (now >= g->expires)
		return ctl_fail(err, errlen, -ETIMEDOUT,
				"%s's invitation expired", node);
	ctl_secret_hash(h, secret);
	same = crypto_equal(h, g->secret_hash, sizeof(h));
	crypto_wipe(h, sizeof(h));
	if (!same)
		return ctl_fail(err, errlen, -EPERM,
				"wrong secret for %s's invitation", node);
	return 0;
}
