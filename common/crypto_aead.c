/* SPDX-License-Identifier: MIT */
/*
 * The AEADs of the whitepaper, section 5.4: the RFC 8439 ChaCha20-Poly1305
 * from libcrypto, on one of this thread's contexts (crypto.c), with
 * WireGuard's nonce of 32 zero bits and a little-endian 64-bit counter; and
 * XChaCha20-Poly1305 for cookie replies, with HChaCha20, which libcrypto
 * lacks, written here after draft-irtf-cfrg-xchacha-03 section 2.2.
 */
#include "crypto_internal.h"

#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#define CHACHA20POLY1305_IV_LEN 12

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Whitepaper 5.4: 32 zero bits followed by the little-endian counter. */
static void aead_nonce(uint8_t iv[static CHACHA20POLY1305_IV_LEN],
		       uint64_t counter)
{
	int i;

	memset(iv, 0, 4);
	for (i = 0; i < 8; i++)
		iv[4 + i] = (uint8_t)(counter >> (8 * i));
}

/* Whether two keys are equal, in constant time: a word-wise crypto_equal
 * (key.h), cheap enough to try every slot on every packet. */
static bool key_equal(const uint8_t a[static CHACHA20POLY1305_KEY_LEN],
		      const uint8_t b[static CHACHA20POLY1305_KEY_LEN])
{
	uint64_t x, y, diff = 0;

	for (int i = 0; i < CHACHA20POLY1305_KEY_LEN; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	return diff == 0;
}

/* The slot holding key, else NULL. Every slot is compared, so the time
 * says nothing about which one held it. */
static struct aead_slot *aead_find(struct crypto_thread *t,
				   const uint8_t *key)
{
	struct aead_slot *hit = NULL;

	for (unsigned int i = 0; i < AEAD_SLOTS; i++)
		if (key_equal(t->aead[i].key, key) && t->aead[i].keyed)
			hit = &t->aead[i];
	return hit;
}

/*
 * Starts a message on one of the thread's contexts: the one holding key
 * already, with only the nonce (libcrypto then skips the key set-up, about
 * 65 ns of a 1,420-byte seal); else the next slot in turn, with key and
 * nonce. A failed start forgets the slot's key, so the next use sets it
 * afresh. Returns the context, or NULL.
 */
static EVP_CIPHER_CTX *aead_start(struct crypto_thread *t,
				  const uint8_t key[static CHACHA20POLY1305_KEY_LEN],
				  const uint8_t iv[static CHACHA20POLY1305_IV_LEN],
				  bool is_encrypt)
{
	struct aead_slot *s = aead_find(t, key);
	bool is_hit = s != NULL;

	if (!s) {
		s = &t->aead[t->next_aead];
		t->next_aead = (t->next_aead + 1) % AEAD_SLOTS;
	}
	if (!EVP_CipherInit_ex(s->ctx, NULL, NULL, is_hit ? NULL : key, iv,
			       is_encrypt)) {
		crypto_wipe(s->key, sizeof(s->key));
		s->keyed = false;
		return NULL;
	}
	if (!is_hit) {
		memcpy(s->key, key, sizeof(s->key));
		s->keyed = true;
	}
	return s->ctx;
}

/*
 * One RFC 8439 AEAD pass of len bytes from src to dst on this thread's
 * context. On encryption the tag is written to tag; on decryption it is the
 * expected tag and the result says whether it matched.
 */
static bool aead_crypt(uint8_t *dst, const uint8_t *src, size_t len,
		       const uint8_t *ad, size_t adlen, uint64_t nonce,
		       const uint8_t key[static CHACHA20POLY1305_KEY_LEN],
		       uint8_t tag[static CHACHA20POLY1305_TAG_LEN],
		       bool is_encrypt)
{
	struct crypto_thread *t = crypto_thread_get();
	uint8_t iv[CHACHA20POLY1305_IV_LEN];
	EVP_CIPHER_CTX *ctx;
	int outl;

	if (!t || len > INT_MAX || adlen > INT_MAX)
		return false;
	aead_nonce(iv, nonce);
	ctx = aead_start(t, key, iv, is_encrypt);
	if (!ctx)
		return false;
	if (adlen && !EVP_CipherUpdate(ctx, NULL, &outl, ad, (int)adlen))
		return false;
	if (len && (!EVP_CipherUpdate(ctx, dst, &outl, src, (int)len) ||
		    outl != (int)len))
		return false;
	if (!is_encrypt &&
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
				 CHACHA20POLY1305_TAG_LEN, tag))
		return false;
	if (!EVP_CipherFinal_ex(ctx, dst + len, &outl))
		return false;
	return !is_encrypt ||
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
				   CHACHA20POLY1305_TAG_LEN, tag);
}

bool chacha20poly1305_encrypt(
	uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
	size_t adlen, uint64_t nonce,
	const uint8_t key[static CHACHA20POLY1305_KEY_LEN])
{
	if (aead_crypt(dst, src, srclen, ad, adlen, nonce, key, dst + srclen,
		       true))
		return true;
	crypto_wipe(dst, srclen + CHACHA20POLY1305_TAG_LEN);
	ERR_clear_error();
	return false;
}

/* On failure the unauthenticated plaintext is wiped, not handed out. */
bool chacha20poly1305_decrypt(
	uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
	size_t adlen, uint64_t nonce,
	const uint8_t key[static CHACHA20POLY1305_KEY_LEN])
{
	uint8_t tag[CHACHA20POLY1305_TAG_LEN];
	size_t len;

	if (srclen < CHACHA20POLY1305_TAG_LEN)
		return false;
	len = srclen - CHACHA20POLY1305_TAG_LEN;
	memcpy(tag, src + len, sizeof(tag));
	if (aead_crypt(dst, src, len, ad, adlen, nonce, key, tag, false))
		return true;
	crypto_wipe(dst, len);
	ERR_clear_error();
	return false;
}

static uint32_t rotl32(uint32_t v, int n)
{
	return v << n | v >> (32 - n);
}

static void quarter_round(uint32_t x[16], int a, int b, int c, int d)
{
	x[a] += x[b];
	x[d] = rotl32(x[d] ^ x[a], 16);
	x[c] += x[d];
	x[b] = rotl32(x[b] ^ x[c], 12);
	x[a] += x[b];
	x[d] = rotl32(x[d] ^ x[a], 8);
	x[c] += x[d];
	x[b] = rotl32(x[b] ^ x[c], 7);
}

/*
 * The ChaCha20 state with the 128-bit nonce in the counter and nonce words,
 * 20 rounds, and rows one and four out, without the final addition.
 */
void hchacha20(uint8_t out[static 32], const uint8_t nonce[static 16],
	       const uint8_t key[static 32])
{
	uint32_t x[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	int i;

	for (i = 0; i < 8; i++)
		x[4 + i] = get_le32(key + 4 * i);
	for (i = 0; i < 4; i++)
		x[12 + i] = get_le32(nonce + 4 * i);
	for (i = 0; i < 10; i++) {
		quarter_round(x, 0, 4, 8, 12);
		quarter_round(x, 1, 5, 9, 13);
		quarter_round(x, 2, 6, 10, 14);
		quarter_round(x, 3, 7, 11, 15);
		quarter_round(x, 0, 5, 10, 15);
		quarter_round(x, 1, 6, 11, 12);
		quarter_round(x, 2, 7, 8, 13);
		quarter_round(x, 3, 4, 9, 14);
	}
	for (i = 0; i < 4; i++) {
		put_le32(out + 4 * i, x[i]);
		put_le32(out + 16 + 4 * i, x[12 + i]);
	}
	crypto_wipe(x, sizeof(x));
}

/*
 * XChaCha20-Poly1305 (draft section 2.3): the subkey from the first 16 nonce
 * bytes, then the AEAD with 4 zero bytes || the last 8 nonce bytes, which is
 * exactly chacha20poly1305_* with those 8 bytes read as a le64 counter.
 */
bool xchacha20poly1305_encrypt(
	uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
	size_t adlen, const uint8_t nonce[static XCHACHA20POLY1305_NONCE_LEN],
	const uint8_t key[static CHACHA20POLY1305_KEY_LEN])
{
	uint8_t subkey[CHACHA20POLY1305_KEY_LEN];
	bool ok;

	hchacha20(subkey, nonce, key);
	ok = chacha20poly1305_encrypt(dst, src, srclen, ad, adlen,
				      get_le64(nonce + 16), subkey);
	crypto_wipe(subkey, sizeof(subkey));
	return ok;
}

bool xchacha20poly1305_decrypt(
	uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
	size_t adlen, const uint8_t nonce[static XCHACHA20POLY1305_NONCE_LEN],
	const uint8_t key[static CHACHA20POLY1305_KEY_LEN])
{
	uint8_t subkey[CHACHA20POLY1305_KEY_LEN];
	bool ok;

	hchacha20(subkey, nonce, key);
	ok = chacha20poly1305_decrypt(dst, src, srclen, ad, adlen,
				      get_le64(nonce + 16), subkey);
	crypto_wipe(subkey, sizeof(subkey));
	return ok;
}
