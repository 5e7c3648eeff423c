/* SPDX-License-Identifier: MIT */
/*
 * The cryptographic primitives of the whitepaper, section 5.4, over OpenSSL
 * 3.0 libcrypto: X25519 through EVP_PKEY; BLAKE2s as the BLAKE2S-256 digest
 * when unkeyed and as the BLAKE2SMAC MAC when keyed or shortened; HMAC with
 * BLAKE2s-256; the RFC 8439 AEAD with WireGuard's nonce of 32 zero bits and a
 * little-endian 64-bit counter; and HChaCha20, which libcrypto lacks, written
 * here after draft-irtf-cfrg-xchacha-03 section 2.2 for XChaCha20-Poly1305.
 * Algorithms are fetched once in crypto_init(). The data-plane AEAD and
 * keyed BLAKE2s reuse one context each per thread, so a packet or a mac1
 * costs no allocation; HMAC takes a fresh MAC context per call, so that
 * freeing it wipes the key.
 * The void functions have no error path, and carrying on would hand out
 * unhashed or unencrypted bytes, so a libcrypto failure there (in practice
 * only out of memory) or a caller breaking a documented limit aborts.
 */
#include "crypto.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#if OPENSSL_VERSION_MAJOR < 3
#error "lanwire needs OpenSSL 3.0 or later (EVP_MAC, EVP_*_fetch)"
#endif

#define CHACHA20POLY1305_IV_LEN 12
#define CHACHA20_KEY_LEN 32
#define CHACHA20_IV_LEN 16 /* OpenSSL's: 32-bit block counter || 96-bit nonce */
/* Keystream made per refill of a nonce stream, and how much of it one key
 * makes before the stream takes a fresh key from RAND_bytes. */
#define NONCE_STREAM_BUF 480 /* 20 cookie-reply nonces */
#define NONCE_STREAM_REKEY_BYTES (1u << 20)

/* One of a thread's static X25519 keys (x25519_static): its bytes, to
 * find it by, and its libcrypto form, public key included. */
struct x25519_static_slot {
	uint8_t priv[X25519_KEY_LEN];
	EVP_PKEY *key; /* NULL: free slot */
};

/*
 * A nonce stream: a ChaCha20 keystream under a random key, handed out in
 * order. Part of struct crypto_thread, made on its first use.
 */
struct nonce_stream {
	EVP_CIPHER_CTX *chacha20;
	uint8_t buf[NONCE_STREAM_BUF];
	size_t pos;            /* next unused byte of buf */
	size_t left;           /* keystream bytes this key may still make */
	unsigned int fork_gen; /* fork_generation when keyed */
};

/*
 * Per-thread contexts: made on first use by crypto_thread_get(), touched only
 * by their thread, freed at thread exit by the destructor of thread_key.
 */
struct crypto_thread {
	EVP_CIPHER_CTX *aead;
	EVP_MD_CTX *hash;
	EVP_MAC_CTX *keyed_hash; /* BLAKE2SMAC, re-keyed by every call */
	struct nonce_stream nonces;
	struct x25519_static_slot statics[X25519_STATIC_SLOTS];
	unsigned int next_static; /* slot to reuse when all are taken */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_error;
static pthread_key_t thread_key;
static EVP_CIPHER *chacha20poly1305_cipher;
static EVP_MD *blake2s256_md;
static EVP_MAC *blake2s_mac;
static EVP_MAC *hmac_mac;
static EVP_CIPHER *chacha20_cipher;
static __thread struct crypto_thread *thread_ctx;
/* Bumped in a child after fork(): nonce streams key themselves afresh
 * rather than hand out what the parent also hands out. */
static volatile unsigned int fork_generation;

static void __attribute__((noreturn)) crypto_abort(const char *what)
{
	fprintf(stderr, "lanwire: crypto: %s\n", what);
	abort();
}

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

static void crypto_thread_free(void *p)
{
	struct crypto_thread *t = p;

	if (!t)
		return;
	EVP_CIPHER_CTX_free(t->aead);
	EVP_MD_CTX_free(t->hash);
	EVP_MAC_CTX_free(t->keyed_hash);
	EVP_CIPHER_CTX_free(t->nonces.chacha20);
	for (unsigned int i = 0; i < X25519_STATIC_SLOTS; i++)
		EVP_PKEY_free(t->statics[i].key);
	crypto_wipe(t, sizeof(*t));
	free(t);
	if (thread_ctx == t)
		thread_ctx = NULL;
}

static void crypto_after_fork_in_child(void)
{
	fork_generation++;
}

static void crypto_init_once(void)
{
	int ret;

	chacha20poly1305_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305",
						   NULL);
	chacha20_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
	blake2s256_md = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	blake2s_mac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!chacha20poly1305_cipher || !blake2s256_md || !blake2s_mac ||
	    !hmac_mac || !chacha20_cipher) {
		init_error = -ENOTSUP;
		goto out;
	}
	ret = pthread_key_create(&thread_key, crypto_thread_free);
	if (!ret)
		ret = pthread_atfork(NULL, NULL, crypto_after_fork_in_child);
	if (ret)
		init_error = -ret;
out:
	if (!init_error)
		return;
	EVP_CIPHER_free(chacha20poly1305_cipher);
	EVP_MD_free(blake2s256_md);
	EVP_MAC_free(blake2s_mac);
	EVP_MAC_free(hmac_mac);
	EVP_CIPHER_free(chacha20_cipher);
	chacha20_cipher = NULL;
	chacha20poly1305_cipher = NULL;
	blake2s256_md = NULL;
	blake2s_mac = NULL;
	hmac_mac = NULL;
}

int crypto_init(void)
{
	pthread_once(&init_once, crypto_init_once);
	return init_error;
}

/* The calling thread's contexts, or NULL when they cannot be made. */
static struct crypto_thread *crypto_thread_get(void)
{
	struct crypto_thread *t = thread_ctx;

	if (t)
		return t;
	if (crypto_init() < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->aead = EVP_CIPHER_CTX_new();
	t->hash = EVP_MD_CTX_new();
	t->keyed_hash = EVP_MAC_CTX_new(blake2s_mac);
	if (!t->aead || !t->hash || !t->keyed_hash ||
	    !EVP_CipherInit_ex(t->aead, chacha20poly1305_cipher, NULL, NULL,
			       NULL, 1) ||
	    pthread_setspecific(thread_key, t))
		goto err;
	thread_ctx = t;
	return t;
err:
	crypto_thread_free(t);
	return NULL;
}

/* One MAC computation on a fresh context; freeing it wipes the key. */
static bool mac_oneshot(EVP_MAC *mac, const OSSL_PARAM *params,
			const uint8_t *key, size_t keylen, const uint8_t *in,
			size_t inlen, uint8_t *out, size_t outlen)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	size_t written = 0;
	bool ok;

	ok = ctx && EVP_MAC_init(ctx, key, keylen, params) &&
	     (!inlen || EVP_MAC_update(ctx, in, inlen)) &&
	     EVP_MAC_final(ctx, out, &written, outlen) && written == outlen;
	EVP_MAC_CTX_free(ctx);
	return ok;
}

/*
 * Keyed BLAKE2s. BLAKE2SMAC takes keys of 1..32 bytes and an output size of
 * 1..32 bytes, which it writes into the parameter block, so a short output is
 * real BLAKE2s of that length and not a truncation.
 *
 * It runs on this thread's MAC context, re-keyed by each call, which
 * saves an allocation and a free per call. The gain is small: mac1 over an
 * initiation (OpenSSL 3.0.19, medians of 3 runs of 100,000 on a quiet
 * machine) costs 674 ns with a fresh context, 571 ns duplicated from a
 * pre-keyed one, 555 ns re-initialised with the key it holds, 608 ns
 * re-keyed, 642 ns re-keyed and its key then wiped as here: the three
 * BLAKE2s compressions are most of it. The final step wipes the hash
 * state; the context's copy of the key is then overwritten with zeros,
 * which costs a copy and no compression.
 */
static bool blake2s_keyed_on(EVP_MAC_CTX *ctx, uint8_t *out, size_t outlen,
			     const uint8_t *key, size_t keylen,
			     const uint8_t *in, size_t inlen)
{
	static const uint8_t zero_key[BLAKE2S_KEY_MAX];
	size_t size = outlen, written = 0;
	OSSL_PARAM params[] = {
		OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, &size),
		OSSL_PARAM_END,
	};
	OSSL_PARAM forget[] = {
		OSSL_PARAM_octet_string(OSSL_MAC_PARAM_KEY, (void *)zero_key,
					sizeof(zero_key)),
		OSSL_PARAM_END,
	};
	bool ok;

	ok = EVP_MAC_init(ctx, key, keylen, params) &&
	     (!inlen || EVP_MAC_update(ctx, in, inlen)) &&
	     EVP_MAC_final(ctx, out, &written, outlen) && written == outlen;
	return EVP_MAC_CTX_set_params(ctx, forget) && ok;
}

static void blake2s_keyed(uint8_t *out, size_t outlen, const uint8_t *key,
			  size_t keylen, const uint8_t *in, size_t inlen)
{
	struct crypto_thread *t = crypto_thread_get();

	if (!t || !blake2s_keyed_on(t->keyed_hash, out, outlen, key, keylen,
				    in, inlen))
		crypto_abort("blake2s: libcrypto failure");
}

/*
 * OpenSSL 3.0 offers unkeyed BLAKE2s only as the fixed 32-byte BLAKE2S-256
 * digest, and a shorter digest differs in its parameter block, so unkeyed
 * output below 32 bytes cannot be had; WireGuard never asks for it.
 */
void blake2s(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
	     const uint8_t *in, size_t inlen)
{
	if (!outlen || outlen > BLAKE2S_HASH_LEN || keylen > BLAKE2S_KEY_MAX ||
	    (keylen && !key))
		crypto_abort("blake2s: output or key length out of range");
	if (keylen)
		blake2s_keyed(out, outlen, key, keylen, in, inlen);
	else if (outlen == BLAKE2S_HASH_LEN)
		blake2s_2(out, in, inlen, NULL, 0);
	else
		crypto_abort("blake2s: unkeyed output below 32 bytes is not "
			     "available from OpenSSL 3.0");
}

void blake2s_2(uint8_t out[static BLAKE2S_HASH_LEN], const uint8_t *a,
	       size_t alen, const uint8_t *b, size_t blen)
{
	struct crypto_thread *t = crypto_thread_get();

	if (!t || !EVP_DigestInit_ex2(t->hash, blake2s256_md, NULL) ||
	    !EVP_DigestUpdate(t->hash, a, alen) ||
	    !EVP_DigestUpdate(t->hash, b, blen) ||
	    !EVP_DigestFinal_ex(t->hash, out, NULL))
		crypto_abort("blake2s: libcrypto failure");
}

void hmac_blake2s(uint8_t out[static BLAKE2S_HASH_LEN], const uint8_t *key,
		  size_t keylen, const uint8_t *in, size_t inlen)
{
	static const uint8_t empty_key[1];
	char digest[] = "BLAKE2S-256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_END,
	};

	/* A NULL key would mean "keep the old key" to EVP_MAC_init. */
	if (!keylen)
		key = empty_key;
	if (crypto_init() < 0 ||
	    !mac_oneshot(hmac_mac, params, key, keylen, in, inlen, out,
			 BLAKE2S_HASH_LEN))
		crypto_abort("hmac_blake2s: libcrypto failure");
}

/* OpenSSL's DRBG for private values, apart from the public one. */
static int random_private(void *buf, size_t len)
{
	if (len > INT_MAX || RAND_priv_bytes(buf, (int)len) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

int x25519_generate_private(uint8_t priv[static X25519_KEY_LEN])
{
	return x25519_generate_private_from(priv, random_private);
}

int x25519_generate_private_from(uint8_t priv[static X25519_KEY_LEN],
				 crypto_random_fn random)
{
	int ret = random(priv, X25519_KEY_LEN);

	if (ret < 0) {
		crypto_wipe(priv, X25519_KEY_LEN);
		return ret;
	}
	/* RFC 7748 section 5 clamping, as the whitepaper's DH-GENERATE. */
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
	return 0;
}

/* EVP_PKEY_free wipes the private key it holds (OpenSSL clears ECX keys
 * on free). */
static EVP_PKEY *x25519_private_key(const uint8_t priv[static X25519_KEY_LEN])
{
	return EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv,
					       X25519_KEY_LEN);
}

static bool x25519_public_of(uint8_t pub[static X25519_KEY_LEN],
			     const EVP_PKEY *key)
{
	size_t len = X25519_KEY_LEN;

	return key && EVP_PKEY_get_raw_public_key(key, pub, &len) &&
	       len == X25519_KEY_LEN;
}

void x25519_public_from_private(uint8_t pub[static X25519_KEY_LEN],
				const uint8_t priv[static X25519_KEY_LEN])
{
	EVP_PKEY *key = x25519_private_key(priv);
	bool ok = x25519_public_of(pub, key);

	EVP_PKEY_free(key);
	if (!ok)
		crypto_abort("x25519: libcrypto failure");
}

/*
 * out = DH(key, pub): one scalar multiplication, key's public half being
 * known already. libcrypto already refuses an all-zero result (its derive
 * fails); the explicit check keeps the promise of crypto.h whatever the
 * library does.
 */
static bool x25519_derive(uint8_t out[static X25519_KEY_LEN], EVP_PKEY *key,
			  const uint8_t pub[static X25519_KEY_LEN])
{
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL,
							pub, X25519_KEY_LEN);
	EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL) :
				  NULL;
	size_t len = X25519_KEY_LEN;
	bool ok;

	ok = ctx && peer && EVP_PKEY_derive_init(ctx) > 0 &&
	     EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) > 0 &&
	     EVP_PKEY_derive(ctx, out, &len) > 0 && len == X25519_KEY_LEN &&
	     !crypto_is_zero(out, X25519_KEY_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	if (!ok) {
		crypto_wipe(out, X25519_KEY_LEN);
		ERR_clear_error();
	}
	return ok;
}

bool x25519(uint8_t out[static X25519_KEY_LEN],
	    const uint8_t priv[static X25519_KEY_LEN],
	    const uint8_t pub[static X25519_KEY_LEN])
{
	EVP_PKEY *key = x25519_private_key(priv);
	bool ok = x25519_derive(out, key, pub);

	EVP_PKEY_free(key);
	return ok;
}

/* A struct x25519_key is an EVP_PKEY under another name: callers need not
 * see libcrypto's headers. */
struct x25519_key *x25519_key_new(const uint8_t priv[static X25519_KEY_LEN])
{
	EVP_PKEY *key = x25519_private_key(priv);

	if (!key)
		ERR_clear_error();
	return (struct x25519_key *)key;
}

void x25519_key_public(uint8_t pub[static X25519_KEY_LEN],
		       const struct x25519_key *k)
{
	if (!x25519_public_of(pub, (const EVP_PKEY *)k))
		crypto_abort("x25519: libcrypto failure");
}

bool x25519_key_dh(uint8_t out[static X25519_KEY_LEN],
		   const struct x25519_key *k,
		   const uint8_t pub[static X25519_KEY_LEN])
{
	return x25519_derive(out, (EVP_PKEY *)k, pub);
}

void x25519_key_free(struct x25519_key *k)
{
	EVP_PKEY_free((EVP_PKEY *)k);
}

static void static_slot_clear(struct x25519_static_slot *slot)
{
	EVP_PKEY_free(slot->key);
	slot->key = NULL;
	crypto_wipe(slot->priv, sizeof(slot->priv));
}

static struct x25519_static_slot *static_slot_find(
	struct crypto_thread *t, const uint8_t priv[static X25519_KEY_LEN])
{
	for (unsigned int i = 0; i < X25519_STATIC_SLOTS; i++)
		if (t->statics[i].key &&
		    crypto_equal(t->statics[i].priv, priv, X25519_KEY_LEN))
			return &t->statics[i];
	return NULL;
}

/* This thread's libcrypto form of priv, made (in a free slot, or in place
 * of the oldest) when not there yet. NULL when it cannot be made. */
static EVP_PKEY *static_key_get(const uint8_t priv[static X25519_KEY_LEN])
{
	struct crypto_thread *t = crypto_thread_get();
	struct x25519_static_slot *slot;
	EVP_PKEY *key;

	if (!t)
		return NULL;
	slot = static_slot_find(t, priv);
	if (slot)
		return slot->key;
	key = x25519_private_key(priv);
	if (!key)
		return NULL;
	slot = &t->statics[t->next_static];
	t->next_static = (t->next_static + 1) % X25519_STATIC_SLOTS;
	static_slot_clear(slot);
	memcpy(slot->priv, priv, X25519_KEY_LEN);
	slot->key = key;
	return key;
}

/* Without a slot (out of memory) the uncached way still works. */
bool x25519_static(uint8_t out[static X25519_KEY_LEN],
		   const uint8_t priv[static X25519_KEY_LEN],
		   const uint8_t pub[static X25519_KEY_LEN])
{
	EVP_PKEY *key = static_key_get(priv);

	return key ? x25519_derive(out, key, pub) : x25519(out, priv, pub);
}

void x25519_static_public(uint8_t pub[static X25519_KEY_LEN],
			  const uint8_t priv[static X25519_KEY_LEN])
{
	EVP_PKEY *key = static_key_get(priv);

	if (!key)
		x25519_public_from_private(pub, priv);
	else if (!x25519_public_of(pub, key))
		crypto_abort("x25519: libcrypto failure");
}

void x25519_static_forget(const uint8_t priv[static X25519_KEY_LEN])
{
	struct crypto_thread *t = thread_ctx;
	struct x25519_static_slot *slot = t ? static_slot_find(t, priv) : NULL;

	if (slot)
		static_slot_clear(slot);
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
	ctx = t->aead;
	aead_nonce(iv, nonce);
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, is_encrypt))
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

int crypto_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, chunk) != 1) {
			ERR_clear_error();
			return -EIO;
		}
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

/*
 * A fresh key and starting position for the stream, from RAND_bytes. The
 * old one is gone with it: the context holds only the newest key.
 */
static bool nonce_stream_rekey(struct nonce_stream *ns)
{
	uint8_t seed[CHACHA20_KEY_LEN + CHACHA20_IV_LEN];
	bool ok;

	if (!ns->chacha20 && !(ns->chacha20 = EVP_CIPHER_CTX_new()))
		return false;
	ok = crypto_random(seed, sizeof(seed)) == 0 &&
	     EVP_EncryptInit_ex(ns->chacha20, chacha20_cipher, NULL, seed,
				seed + CHACHA20_KEY_LEN);
	crypto_wipe(seed, sizeof(seed));
	ns->pos = sizeof(ns->buf);
	ns->left = ok ? NONCE_STREAM_REKEY_BYTES : 0;
	ns->fork_gen = fork_generation;
	return ok;
}

/* The next buffer of keystream: ChaCha20 of zeros. */
static bool nonce_stream_refill(struct nonce_stream *ns)
{
	static const uint8_t zeros[NONCE_STREAM_BUF];
	int outl;

	if ((ns->left < sizeof(ns->buf) || ns->fork_gen != fork_generation) &&
	    !nonce_stream_rekey(ns))
		return false;
	if (!EVP_EncryptUpdate(ns->chacha20, ns->buf, &outl, zeros,
			       sizeof(zeros)) ||
	    outl != (int)sizeof(zeros))
		return false;
	ns->left -= sizeof(ns->buf);
	ns->pos = 0;
	return true;
}

/*
 * Why a keystream is good enough for the nonces of cookie replies: they
 * are XChaCha20-Poly1305 nonces under the cookie key, which is fixed for
 * our identity, and what that AEAD needs is that no nonce repeats under
 * it. Successive pieces of one ChaCha20 keystream under a random key are
 * as unlikely to collide as random 192-bit strings (one in 2^113 or so
 * after 2^40 replies), keys are fresh from RAND_bytes every MiB of
 * keystream, and a forked child keys its own stream before its first
 * nonce. A counter would be unique too, but would start over with every
 * restart of the daemon under the same identity. Unpredictability is only
 * nice to have here (the nonce travels in clear text next to the reply);
 * predicting the stream means knowing its key, which never leaves this
 * thread's context. A nonce costs a copy, plus a ChaCha20 pass over
 * NONCE_STREAM_BUF bytes every 20 nonces, instead of a RAND_bytes call.
 */
int crypto_nonce(void *buf, size_t len)
{
	struct crypto_thread *t = crypto_thread_get();
	struct nonce_stream *ns;
	uint8_t *p = buf;

	if (!t)
		return -ENOMEM;
	ns = &t->nonces;
	/* Not keyed yet, or keyed by the parent before fork(): nothing in
	 * buf may be handed out. */
	if (!ns->chacha20 || ns->fork_gen != fork_generation)
		ns->pos = sizeof(ns->buf);
	while (len) {
		size_t n;

		if (ns->pos == sizeof(ns->buf) && !nonce_stream_refill(ns)) {
			ERR_clear_error();
			return -EIO;
		}
		n = sizeof(ns->buf) - ns->pos;
		if (n > len)
			n = len;
		memcpy(p, ns->buf + ns->pos, n);
		crypto_wipe(ns->buf + ns->pos, n);
		ns->pos += n;
		p += n;
		len -= n;
	}
	return 0;
}

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
