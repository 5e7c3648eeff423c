// SPDX-License-Identifier: MIT
/*
 * Keys (see key.h). Both text forms are read and written in constant time:
 * a private key passes through them, so neither a table look-up nor a
 * branch may depend on its digits. New keys and public keys come from
 * libcrypto (RAND_priv_bytes, EVP_PKEY X25519); the daemon's X25519 with
 * its per-thread key cache is common/crypto_x25519.c, which makes and
 * clamps its keys here too.
 */
#include "key.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* ---- hex ---- */

/*
 * One hex digit to its value without a table or a data-dependent branch;
 * *invalid collects a non-zero mask for anything but [0-9a-fA-F].
 */
static uint32_t hex_nibble(unsigned char c, uint32_t *invalid)
{
	uint32_t num = (uint32_t)c ^ 0x30u;		/* '0'..'9' -> 0..9 */
	uint32_t alpha = ((uint32_t)c | 0x20u) - 0x61u; /* 'a'..'f' -> 0..5 */
	uint32_t is_num = 0u - ((num - 10u) >> 31);
	uint32_t is_alpha = 0u - (((alpha - 6u) >> 31) & (~alpha >> 31));

	*invalid |= ~(is_num | is_alpha);
	return ((is_num & num) | (is_alpha & (alpha + 10u))) & 0xfu;
}

/* Upper and lower case; the key is zeroed when the text is not a key. */
int key_from_hex(uint8_t key[static KEY_LEN], const char *hex, size_t len)
{
	uint32_t invalid = 0, hi, lo;
	size_t i;

	if (len != KEY_HEX_LEN) {
		crypto_wipe(key, KEY_LEN);
		return -EINVAL;
	}
	for (i = 0; i < KEY_LEN; i++) {
		hi = hex_nibble((unsigned char)hex[2 * i], &invalid);
		lo = hex_nibble((unsigned char)hex[2 * i + 1], &invalid);
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	if (invalid) {
		crypto_wipe(key, KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

/* 0..15 to '0'..'9', 'a'..'f' without a table or a branch. */
static char hex_digit(uint32_t n)
{
	uint32_t is_letter = 0u - ((9u - n) >> 31);

	return (char)('0' + n + (is_letter & ('a' - '0' - 10)));
}

void key_to_hex(char hex[static KEY_HEX_LEN + 1],
		const uint8_t key[static KEY_LEN])
{
	size_t i;

	for (i = 0; i < KEY_LEN; i++) {
		hex[2 * i] = hex_digit(key[i] >> 4);
		hex[2 * i + 1] = hex_digit(key[i] & 0xfu);
	}
	hex[KEY_HEX_LEN] = '\0';
}

/* ---- base64 ---- */

/* All ones if lo <= c <= hi, else 0; no branch (c, lo, hi in 0..255). */
static uint32_t in_range(int c, int lo, int hi)
{
	return 0u - ((uint32_t)((lo - 1 - c) & (c - hi - 1)) >> 31);
}

/* One base64 character to 0..63 without a table or a branch; *invalid
 * collects a non-zero mask for anything outside the alphabet. */
static uint32_t b64_value(unsigned char ch, uint32_t *invalid)
{
	int c = ch;
	uint32_t upper = in_range(c, 'A', 'Z'), lower = in_range(c, 'a', 'z');
	uint32_t digit = in_range(c, '0', '9'), plus = in_range(c, '+', '+');
	uint32_t slash = in_range(c, '/', '/');

	*invalid |= ~(upper | lower | digit | plus | slash);
	return ((upper & (uint32_t)(c - 'A')) |
		(lower & (uint32_t)(c - 'a' + 26)) |
		(digit & (uint32_t)(c - '0' + 52)) | (plus & 62u) |
		(slash & 63u)) & 63u;
}

/* 0..63 to its base64 character without a table or a branch. */
static char b64_char(uint32_t v)
{
	int n = (int)v;
	uint32_t upper = in_range(n, 0, 25), lower = in_range(n, 26, 51);
	uint32_t digit = in_range(n, 52, 61), plus = in_range(n, 62, 62);
	uint32_t slash = in_range(n, 63, 63);

	return (char)((upper & (uint32_t)('A' + n)) |
		      (lower & (uint32_t)('a' + n - 26)) |
		      (digit & (uint32_t)('0' + n - 52)) | (plus & '+') |
		      (slash & '/'));
}

void key_to_base64(char out[static KEY_BASE64_LEN + 1],
		   const uint8_t key[static KEY_LEN])
{
	unsigned int i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= KEY_LEN; i += 3) {
		v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 |
		    key[i + 2];
		out[o++] = b64_char((v >> 18) & 63);
		out[o++] = b64_char((v >> 12) & 63);
		out[o++] = b64_char((v >> 6) & 63);
		out[o++] = b64_char(v & 63);
	}
	/* 32 = 30 + 2: the last two bytes make three characters and '='. */
	v = (uint32_t)key[30] << 16 | (uint32_t)key[31] << 8;
	out[o++] = b64_char((v >> 18) & 63);
	out[o++] = b64_char((v >> 12) & 63);
	out[o++] = b64_char((v >> 6) & 63);
	out[o++] = '=';
	out[o] = '\0';
	crypto_wipe(&v, sizeof(v));
}

int key_from_base64(uint8_t key[static KEY_LEN], const char *s)
{
	uint32_t invalid = 0, v = 0, c[4] = { 0 };
	unsigned int i, k, o = 0;

	if (strlen(s) != KEY_BASE64_LEN || s[43] != '=') {
		crypto_wipe(key, KEY_LEN);
		return -EINVAL;
	}
	for (i = 0; i < KEY_BASE64_LEN; i += 4) {
		for (k = 0; k < 4; k++)
			c[k] = i + k == 43 ?
				       0 :
				       b64_value((unsigned char)s[i + k],
						 &invalid);
		v = c[0] << 18 | c[1] << 12 | c[2] << 6 | c[3];
		key[o++] = (uint8_t)(v >> 16);
		key[o++] = (uint8_t)(v >> 8);
		if (o < KEY_LEN)
			key[o++] = (uint8_t)v;
	}
	invalid |= c[2] & 3; /* bits past the 256th must be zero */
	crypto_wipe(&v, sizeof(v));
	crypto_wipe(c, sizeof(c));
	if (invalid) {
		crypto_wipe(key, KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

/* ---- making keys ---- */

void key_clamp(uint8_t priv[static KEY_LEN])
{
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
}

/* OpenSSL's DRBG for private values, apart from the public one. */
static int random_private(uint8_t out[static KEY_LEN])
{
	if (RAND_priv_bytes(out, KEY_LEN) != 1) {
		ERR_clear_error();
		crypto_wipe(out, KEY_LEN);
		return -EIO;
	}
	return 0;
}

int key_generate_private(uint8_t priv[static KEY_LEN])
{
	int ret = random_private(priv);

	if (!ret)
		key_clamp(priv);
	return ret;
}

int key_generate_preshared(uint8_t psk[static KEY_LEN])
{
	return random_private(psk);
}

/* EVP_PKEY_free wipes the private key it holds (OpenSSL clears ECX keys
 * on free). */
void key_public_from_private(uint8_t pub[static KEY_LEN],
			     const uint8_t priv[static KEY_LEN])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL,
							priv, KEY_LEN);
	size_t len = KEY_LEN;
	bool ok = key && EVP_PKEY_get_raw_public_key(key, pub, &len) &&
		  len == KEY_LEN;

	EVP_PKEY_free(key);
	if (!ok) {
		fprintf(stderr, "lanwire: crypto: x25519: libcrypto failure\n");
		abort();
	}
}

/* ---- every secret ---- */

bool crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool crypto_is_zero(const void *a, size_t len)
{
	const uint8_t *p = a;
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

void crypto_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
