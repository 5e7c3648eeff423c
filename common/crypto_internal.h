/* SPDX-License-Identifier: MIT */
/*
 * What the crypto_*.c files share and nobody else sees: the algorithms
 * fetched once by crypto_init() (crypto.c), the per-thread contexts and
 * the abort for failures the void primitives cannot report. Include only
 * from common/crypto*.c; the public interface is crypto.h.
 */
#ifndef LW_CRYPTO_INTERNAL_H
#define LW_CRYPTO_INTERNAL_H

#include "crypto.h"

#include <openssl/evp.h>

/* Keystream made per refill of a nonce stream (crypto_random.c). */
#define NONCE_STREAM_BUF 480 /* 20 cookie-reply nonces */

/* One of a thread's static X25519 keys (x25519_static): its bytes, to
 * find it by, and its libcrypto form, public key included. Owned by the
 * struct crypto_thread it sits in; crypto_x25519.c fills and clears
 * slots, crypto_thread_free() (crypto.c) frees what is left. */
struct x25519_static_slot {
	uint8_t priv[X25519_KEY_LEN];
	EVP_PKEY *key; /* NULL: free slot */
};

/*
 * A nonce stream: a ChaCha20 keystream under a random key, handed out in
 * order. Part of struct crypto_thread, made on its first use by
 * crypto_random.c; its context is freed by crypto_thread_free().
 */
struct nonce_stream {
	EVP_CIPHER_CTX *chacha20;
	uint8_t buf[NONCE_STREAM_BUF];
	size_t pos;            /* next unused byte of buf */
	size_t left;           /* keystream bytes this key may still make */
	unsigned int fork_gen; /* fork_generation when keyed */
};

/* Keys a thread keeps set up at once: a hub's worker opens under one
 * peer's key and seals under another's, packet after packet. */
#define AEAD_SLOTS 4

/*
 * One ChaCha20-Poly1305 context of a thread and the key it was last set up
 * with (crypto_aead.c), so that a run of packets under one session key
 * changes only the nonce. The key lives exactly as long as the context's
 * own expanded copy of it: until the slot is re-keyed or the thread exits
 * (crypto_thread_free() wipes both). Part of struct crypto_thread.
 */
struct aead_slot {
	EVP_CIPHER_CTX *ctx;
	uint8_t key[CHACHA20POLY1305_KEY_LEN];
	bool keyed; /* key is what ctx holds */
};

/*
 * Per-thread contexts: made on first use by crypto_thread_get(), touched only
 * by their thread, freed at thread exit by the destructor of thread_key
 * (all in crypto.c).
 */
struct crypto_thread {
	struct aead_slot aead[AEAD_SLOTS];
	unsigned int next_aead; /* slot to re-key on a miss, round robin */
	EVP_MD_CTX *hash;
	EVP_MAC_CTX *keyed_hash; /* BLAKE2SMAC, re-keyed by every call */
	struct nonce_stream nonces;
	struct x25519_static_slot statics[X25519_STATIC_SLOTS];
	unsigned int next_static; /* slot to reuse when all are taken */
};

/* Fetched by crypto_init(); NULL before it or when it failed. */
extern EVP_CIPHER *chacha20poly1305_cipher;
extern EVP_MD *blake2s256_md;
extern EVP_MAC *blake2s_mac;
extern EVP_MAC *hmac_mac;
extern EVP_CIPHER *chacha20_cipher;
/* Bumped in a child after fork(): nonce streams key themselves afresh
 * rather than hand out what the parent also hands out. */
extern volatile unsigned int fork_generation;

void __attribute__((noreturn)) crypto_abort(const char *what);
/* The calling thread's contexts, made on first use (crypto_init() first);
 * NULL when they cannot be made. */
struct crypto_thread *crypto_thread_get(void);
/* The calling thread's contexts if made already, else NULL; never makes
 * them. */
struct crypto_thread *crypto_thread_peek(void);

#endif
