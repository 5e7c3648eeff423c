// SPDX-License-Identifier: MIT
/*
 * Tests for key.c: both text forms against naive references (snprintf
 * "%02x" for hex, libcrypto's EVP_EncodeBlock for base64) on random keys,
 * their strictness (every wrong length, every byte outside the alphabet in
 * every position, unused base64 bits), that a refused text leaves the key
 * zeroed, RFC 7748's Alice (private -> public), clamping of new keys, and
 * the constant-time compare.
 */
#include "key.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "test.h"

static const char alice_priv_hex[] =
	"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char alice_pub_hex[] =
	"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
static const char alice_pub_b64[] =
	"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

static void naive_hex(char out[static KEY_HEX_LEN + 1],
		      const uint8_t key[static KEY_LEN])
{
	for (size_t i = 0; i < KEY_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
}

static void test_against_references(void)
{
	uint8_t key[KEY_LEN], back[KEY_LEN];
	char text[KEY_HEX_LEN + 1], ref[KEY_HEX_LEN + 1];
	unsigned int round, bad = 0;

	for (round = 0; round < 2000; round++) {
		CHECK_EQ(key_generate_preshared(key), 0);
		key_to_hex(text, key);
		naive_hex(ref, key);
		bad += !!strcmp(text, ref);
		bad += key_from_hex(back, text, KEY_HEX_LEN) != 0;
		bad += !!memcmp(back, key, KEY_LEN);
		key_to_base64(text, key);
		EVP_EncodeBlock((unsigned char *)ref, key, KEY_LEN);
		bad += !!strcmp(text, ref);
		bad += key_from_base64(back, text) != 0;
		bad += !!memcmp(back, key, KEY_LEN);
	}
	CHECK_EQ(bad, 0);
}

/* Every byte value in every position: accepted exactly when the naive
 * alphabet has it, and then decoding to what the reference says. */
static void test_every_byte(void)
{
	static const char hexdigits[] = "0123456789abcdefABCDEF";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t key[KEY_LEN];
	char text[KEY_HEX_LEN + 1];
	unsigned int pos, c, bad = 0;
	bool ok;

	for (pos = 0; pos < KEY_HEX_LEN; pos++) {
		for (c = 1; c < 256; c++) {
			memset(text, '0', KEY_HEX_LEN);
			text[pos] = (char)c;
			ok = strchr(hexdigits, (int)c) != NULL;
			memset(key, 0xaa, sizeof(key));
			bad += (key_from_hex(key, text, KEY_HEX_LEN) == 0) != ok;
			bad += !ok && !crypto_is_zero(key, KEY_LEN);
		}
	}
	for (pos = 0; pos < KEY_BASE64_LEN - 1; pos++) {
		for (c = 1; c < 256; c++) {
			memset(text, 'A', KEY_BASE64_LEN);
			text[43] = '=';
			text[44] = '\0';
			text[pos] = (char)c;
			ok = strchr(b64, (int)c) != NULL;
			/* The 43rd character carries two unused bits. */
			if (ok && pos == 42)
				ok = ((strchr(b64, (int)c) - b64) & 3) == 0;
			memset(key, 0xaa, sizeof(key));
			bad += (key_from_base64(key, text) == 0) != ok;
			bad += !ok && !crypto_is_zero(key, KEY_LEN);
		}
	}
	CHECK_EQ(bad, 0);
}

static void test_lengths(void)
{
	char text[2 * KEY_BASE64_LEN + 2];
	uint8_t key[KEY_LEN];
	size_t len;

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (len = 0; len <= 2 * KEY_HEX_LEN; len++) {
		if (len == KEY_HEX_LEN)
			continue;
		/* The output is zeroed whatever was wrong, length included. */
		memset(key, 0xaa, sizeof(key));
		CHECK_EQ(key_from_hex(key, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				      len),
			 -EINVAL);
		CHECK(crypto_is_zero(key, KEY_LEN));
	}
	CHECK_EQ(key_from_hex(key, alice_priv_hex, KEY_HEX_LEN), 0);
	for (len = 0; len + 1 < sizeof(text); len++) {
		memset(text, 'A', len);
		if (len > 43)
			text[43] = '=';
		text[len] = '\0';
		memset(key, 0xaa, sizeof(key));
		CHECK_EQ(key_from_base64(key, text),
			 len == KEY_BASE64_LEN ? 0 : -EINVAL);
		if (len != KEY_BASE64_LEN)
			CHECK(crypto_is_zero(key, KEY_LEN));
	}
	/* Two '=' (a 31-byte key) and an '=' anywhere else. */
	CHECK_EQ(key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=="),
		 -EINVAL);
	CHECK_EQ(key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd=h8="),
		 -EINVAL);
}

static void test_alice(void)
{
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	char hex[KEY_HEX_LEN + 1], b64[KEY_BASE64_LEN + 1];

	CHECK_EQ(key_from_hex(priv, alice_priv_hex, KEY_HEX_LEN), 0);
	key_public_from_private(pub, priv);
	key_to_hex(hex, pub);
	CHECK(!strcmp(hex, alice_pub_hex));
	key_to_base64(b64, pub);
	CHECK(!strcmp(b64, alice_pub_b64));
	/* Upper case reads the same. */
	CHECK_EQ(key_from_hex(pub, "8520F0098930A754748B7DDCB43EF75A"
				   "0DBF3A0D26381AF4EBA4A98EAA9B4E6A",
			      KEY_HEX_LEN),
		 0);
	key_to_base64(b64, pub);
	CHECK(!strcmp(b64, alice_pub_b64));
	crypto_wipe(priv, sizeof(priv));
}

static void test_generate(void)
{
	uint8_t a[KEY_LEN], b[KEY_LEN];
	unsigned int i, bad = 0;

	for (i = 0; i < 64; i++) {
		CHECK_EQ(key_generate_private(a), 0);
		bad += (a[0] & 7) != 0 || (a[31] & 0xc0) != 0x40;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(key_generate_private(b), 0);
	CHECK(!crypto_equal(a, b, KEY_LEN));
	memcpy(b, a, KEY_LEN);
	CHECK(crypto_equal(a, b, KEY_LEN));
	b[31] ^= 1;
	CHECK(!crypto_equal(a, b, KEY_LEN));
	crypto_wipe(a, sizeof(a));
	CHECK(crypto_is_zero(a, sizeof(a)));
	memset(b, 0xff, sizeof(b));
	key_clamp(b);
	CHECK_EQ(b[0], 0xf8);
	CHECK_EQ(b[31], 0x7f);
}

int main(void)
{
	test_against_references();
	test_every_byte();
	test_lengths();
	test_alice();
	test_generate();
	return test_finish("common_key");
}
