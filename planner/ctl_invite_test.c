// SPDX-License-Identifier: MIT
/*
 * The invitation token and join grant (ctl_join.h): a token round-trips
 * field for field; every truncation, every flipped character, garbage,
 * another version and trailing bytes are refused with the output wiped;
 * a grant verifies only under its own key and whole; a redemption is
 * refused for another node, a second time, at and after expiry and with
 * a wrong secret (any one bit), in that order.
 */
#include "ctl_join.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ctl.h"
#include "test.h"

static void sample(struct ctl_token *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->expires = 1800000000ull;
	for (i = 0; i < 32; i++) {
		t->secret[i] = (uint8_t)i;
		t->boot_priv[i] = (uint8_t)(i * 3);
		t->network_pub[i] = (uint8_t)(i * 5);
		t->hub_pub[i] = (uint8_t)(i * 7);
		t->psk[i] = (uint8_t)(i * 11);
	}
	t->has_psk = true;
	strcpy(t->network, "leased-line");
	strcpy(t->node, "laptop3");
	strcpy(t->iface, "wg0");
	strcpy(t->hub, "z");
	strcpy(t->endpoint, "203.0.113.1:51820");
	strcpy(t->addr, "10.70.0.30/24");
	strcpy(t->hub_addr, "10.70.0.1");
}

static bool all_zero(const struct ctl_token *t)
{
	return crypto_is_zero(t, sizeof(*t));
}

static void test_round_trip(void)
{
	struct ctl_token a, b;
	char err[256], *text;

	sample(&a);
	text = ctl_token_encode(&a);
	CHECK(text != NULL);
	CHECK(!strncmp(text, CTL_TOKEN_PREFIX, strlen(CTL_TOKEN_PREFIX)));
	CHECK(strlen(text) < 512);
	CHECK_EQ(ctl_token_parse(&b, text, err, sizeof(err)), 0);
	CHECK(!memcmp(&a, &b, sizeof(a)));
	/* white space around it, as pasted */
	{
		char *padded;

		CHECK(asprintf(&padded, "  %s\r\n", text) > 0);
		CHECK_EQ(ctl_token_parse(&b, padded, err, sizeof(err)), 0);
		CHECK(!memcmp(&a, &b, sizeof(a)));
		free(padded);
	}
	/* an IPv6 hub and no psk */
	a.has_psk = false;
	memset(a.psk, 0, sizeof(a.psk));
	strcpy(a.endpoint, "[2001:db8::1]:51820");
	strcpy(a.addr, "fd00:70::30/64");
	strcpy(a.hub_addr, "fd00:70::1");
	free(text);
	text = ctl_token_encode(&a);
	CHECK(text != NULL);
	CHECK_EQ(ctl_token_parse(&b, text, err, sizeof(err)), 0);
	CHECK(!memcmp(&a, &b, sizeof(a)));
	free(text);
	/* a name too long for its field is not encoded */
	memset(a.endpoint, 'x', sizeof(a.endpoint));
	CHECK(ctl_token_encode(&a) == NULL);
}

static void test_bad_tokens(void)
{
	struct ctl_token a, b;
	char err[256], *text, *cut;
	size_t i, len;
	int taken = 0;

	sample(&a);
	text = ctl_token_encode(&a);
	len = strlen(text);
	cut = malloc(len + 1);
	for (i = 0; i < len; i++) { /* every truncation */
		memcpy(cut, text, i);
		cut[i] = '\0';
		memset(&b, 0xa5, sizeof(b));
		if (!ctl_token_parse(&b, cut, err, sizeof(err)))
			taken++;
		else
			CHECK(all_zero(&b) && err[0]);
	}
	CHECK_EQ(taken, 0);
	for (i = strlen(CTL_TOKEN_PREFIX); i < len; i++) { /* every char */
		strcpy(cut, text);
		cut[i] = cut[i] == 'A' ? 'B' : 'A';
		/* a flip inside the secrets still parses (they are opaque);
		 * anything else must not crash and must wipe on refusal */
		memset(&b, 0xa5, sizeof(b));
		if (ctl_token_parse(&b, cut, err, sizeof(err)))
			CHECK(all_zero(&b));
	}
	CHECK_EQ(ctl_token_parse(&b, "", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a lanwire invitation") != NULL);
	CHECK_EQ(ctl_token_parse(&b, "lwjoin1:!!!!", err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "base64") != NULL);
	CHECK_EQ(ctl_token_parse(&b, "lwjoin1:AAAA", err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "truncated") != NULL);
	/* another version */
	{
		uint8_t rec[512];
		char *b64, *t2;
		size_t n = len - strlen(CTL_TOKEN_PREFIX);

		n = n / 4 * 3 - (text[len - 1] == '=') - (text[len - 2] == '=');
		CHECK_EQ(EVP_DecodeBlock(rec, (unsigned char *)text +
						       strlen(CTL_TOKEN_PREFIX),
					 (int)(len - strlen(CTL_TOKEN_PREFIX))) > 0,
			 1);
		rec[0] = 2;
		b64 = ctl_b64_encode(rec, n);
		CHECK(asprintf(&t2, "%s%s", CTL_TOKEN_PREFIX, b64) > 0);
		CHECK_EQ(ctl_token_parse(&b, t2, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "version") != NULL);
		free(b64);
		free(t2);
		/* a byte after the end */
		rec[0] = 1;
		rec[n] = 0;
		b64 = ctl_b64_encode(rec, n + 1);
		CHECK(asprintf(&t2, "%s%s", CTL_TOKEN_PREFIX, b64) > 0);
		CHECK_EQ(ctl_token_parse(&b, t2, err, sizeof(err)), -EINVAL);
		free(b64);
		free(t2);
	}
	/* the error never quotes the token */
	CHECK(strstr(err, text + strlen(CTL_TOKEN_PREFIX)) == NULL);
	free(cut);
	free(text);
}

static EVP_PKEY *key_of(uint8_t seed)
{
	uint8_t s[32];

	memset(s, seed, sizeof(s));
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s, 32);
}

static void test_grant(void)
{
	EVP_PKEY *key = key_of(1), *other = key_of(2);
	struct ctl_grant g = { 0 }, h;
	uint8_t secret[32];
	char err[256], *text, *bad;
	size_t i, len;

	memset(secret, 9, sizeof(secret));
	strcpy(g.network, "net1");
	strcpy(g.node, "laptop3");
	g.expires = 1000;
	ctl_secret_hash(g.secret_hash, secret);
	memset(g.boot_pub, 4, sizeof(g.boot_pub));
	text = ctl_grant_sign(key, &g);
	CHECK(text != NULL);
	len = strlen(text);
	CHECK_EQ(ctl_grant_parse(&h, text, len, key, err, sizeof(err)), 0);
	CHECK(!memcmp(&g, &h, sizeof(g)));
	memset(&h, 0, sizeof(h));
	CHECK_EQ(ctl_grant_parse(&h, text, len, other, err, sizeof(err)),
		 -EPERM);
	CHECK(crypto_is_zero(&h, sizeof(h)));
	for (i = 0; i < len; i++) /* every truncation refused */
		CHECK(ctl_grant_parse(&h, text, i, key, err, sizeof(err)) != 0);
	bad = strdup(text); /* a later expiry under the old signature */
	*strstr(bad, "1000") = '9';
	CHECK_EQ(ctl_grant_parse(&h, bad, len, key, err, sizeof(err)), -EPERM);
	free(bad);
	/* the decision */
	CHECK_EQ(ctl_grant_check(&g, "laptop3", secret, 999, false, err,
				 sizeof(err)),
		 0);
	CHECK_EQ(ctl_grant_check(&g, "laptop4", secret, 999, false, err,
				 sizeof(err)),
		 -EXDEV);
	CHECK_EQ(ctl_grant_check(&g, "laptop3", secret, 999, true, err,
				 sizeof(err)),
		 -EALREADY);
	CHECK(strstr(err, "redeemed already") != NULL);
	CHECK_EQ(ctl_grant_check(&g, "laptop3", secret, 1000, false, err,
				 sizeof(err)),
		 -ETIMEDOUT);
	CHECK_EQ(ctl_grant_check(&g, "laptop3", secret, 5000, false, err,
				 sizeof(err)),
		 -ETIMEDOUT);
	for (i = 0; i < 256; i++) { /* every bit of the secret */
		secret[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK_EQ(ctl_grant_check(&g, "laptop3", secret, 999, false,
					 err, sizeof(err)),
			 -EPERM);
		secret[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	free(text);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

int main(void)
{
	crypto_init();
	test_round_trip();
	test_bad_tokens();
	test_grant();
	return test_finish("planner_ctl_invite_test");
}
