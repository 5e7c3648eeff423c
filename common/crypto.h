/* SPDX-License-Identifier: MIT */
/*
 * Thin wrappers over OpenSSL's libcrypto for the primitives WireGuard uses
 * (whitepaper section 5.4 "Cryptographic primitives"): X25519, BLAKE2s (plain,
 * keyed and as HMAC), ChaCha20-Poly1305 (RFC 8439 AEAD with a 64-bit counter
 * nonce) and XChaCha20-Poly1305 (HChaCha20 written here, libcrypto lacks it).
 * The helpers every secret needs (a constant-time compare, a wipe) and the
 * key text forms are common/key.h's, which this header includes.
 *
 * Thread safety: every function may be called from any thread; per-thread
 * cipher contexts are kept internally.
 */
#ifndef LW_CRYPTO_H
#define LW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key.h"

#define BLAKE2S_HASH_LEN 32
#define BLAKE2S_KEY_MAX 32
#define X25519_KEY_LEN 32
#define CHACHA20POLY1305_KEY_LEN 32
#define CHACHA20POLY1305_TAG_LEN 16
#define XCHACHA20POLY1305_NONCE_LEN 24

/* Once at start-up (and in each test main). 0 or -errno. */
int crypto_init(void);

/* BLAKE2s with outlen in 1..32, keyed when keylen > 0 (key up to 32 bytes).
 * Unkeyed with outlen < 32 aborts: OpenSSL 3.0 has no such digest, and
 * WireGuard never asks for one (mac1/mac2 and cookies are keyed). */
void blake2s(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
	     const uint8_t *in, size_t inlen);
/* BLAKE2s-256 of a concatenation a || b (unkeyed); used by mix_hash. */
void blake2s_2(uint8_t out[static BLAKE2S_HASH_LEN], const uint8_t *a,
	       size_t alen, const uint8_t *b, size_t blen);
/* HMAC (RFC 2104) with BLAKE2s-256 as the hash; 32-byte output. */
void hmac_blake2s(uint8_t out[static BLAKE2S_HASH_LEN], const uint8_t *key,
		  size_t keylen, const uint8_t *in, size_t inlen);

/* Where random bytes come from: crypto_random, or a device's ops (a test's
 * reproducible generator). Fills len bytes; 0 or -errno. */
typedef int (*crypto_random_fn)(void *buf, size_t len);

/* Fills priv with a fresh clamped Curve25519 private key from libcrypto's
 * DRBG for private values. 0 or -errno. */
int x25519_generate_private(uint8_t priv[static X25519_KEY_LEN]);
/* The same from the bytes random draws (an ephemeral key from the
 * device's ops); the clamping lives here only. 0 or -errno (priv wiped). */
int x25519_generate_private_from(uint8_t priv[static X25519_KEY_LEN],
				 crypto_random_fn random);
/* Derives the public key of priv. */
void x25519_public_from_private(uint8_t pub[static X25519_KEY_LEN],
				const uint8_t priv[static X25519_KEY_LEN]);
/* out = DH(priv, pub). False if the result is all zero (low-order point)
 * or the library fails; out is then zeroed. Costs two scalar
 * multiplications: OpenSSL 3.0 computes the public key of priv too. */
bool x25519(uint8_t out[static X25519_KEY_LEN],
	    const uint8_t priv[static X25519_KEY_LEN],
	    const uint8_t pub[static X25519_KEY_LEN]);

/*
 * A private key in libcrypto's form, for a key used more than once in one
 * place (an ephemeral key: its public half, then DHs). Making it computes
 * the public key, once; each DH is then one scalar multiplication.
 * Owned by the caller; x25519_key_free wipes and frees it.
 */
struct x25519_key;
/* NULL on failure (out of memory). */
struct x25519_key *x25519_key_new(const uint8_t priv[static X25519_KEY_LEN]);
void x25519_key_public(uint8_t pub[static X25519_KEY_LEN],
		       const struct x25519_key *k);
/* As x25519(). */
bool x25519_key_dh(uint8_t out[static X25519_KEY_LEN],
		   const struct x25519_key *k,
		   const uint8_t pub[static X25519_KEY_LEN]);
void x25519_key_free(struct x25519_key *k);

/*
 * The same for a long-lived private key (our static identity), kept by
 * crypto_x25519.c: each thread keeps the libcrypto form of its last
 * X25519_STATIC_SLOTS static keys, looked up by their bytes, so the
 * public key is computed once per key and thread rather than once per DH.
 * x25519_static() is x25519() for such a key; x25519_static_public() is
 * x25519_public_from_private(). x25519_static_forget() drops (and wipes)
 * priv from the calling thread's keys: for when the identity changes or
 * goes. A thread's keys are freed when it exits.
 */
#define X25519_STATIC_SLOTS 4
bool x25519_static(uint8_t out[static X25519_KEY_LEN],
		   const uint8_t priv[static X25519_KEY_LEN],
		   const uint8_t pub[static X25519_KEY_LEN]);
void x25519_static_public(uint8_t pub[static X25519_KEY_LEN],
			  const uint8_t priv[static X25519_KEY_LEN]);
void x25519_static_forget(const uint8_t priv[static X25519_KEY_LEN]);

/* AEAD. The 96-bit nonce is 32 zero bits followed by the little-endian
 * 64-bit counter, as WireGuard specifies. dst holds srclen + 16 bytes on
 * encrypt; dst and src may be the same buffer. Encrypt is false if
 * libcrypto failed (dst wiped): the caller drops that message. */
bool chacha20poly1305_encrypt(uint8_t *dst, const uint8_t *src, size_t srclen,
			      const uint8_t *ad, size_t adlen, uint64_t nonce,
			      const uint8_t key[static CHACHA20POLY1305_KEY_LEN]);
/* srclen includes the 16-byte tag; writes srclen - 16 bytes. False on a bad
 * tag or short input (dst contents then unspecified). */
bool chacha20poly1305_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen,
			      const uint8_t *ad, size_t adlen, uint64_t nonce,
			      const uint8_t key[static CHACHA20POLY1305_KEY_LEN]);
bool xchacha20poly1305_encrypt(
	uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
	size_t adlen, const uint8_t nonce[static XCHACHA20POLY1305_NONCE_LEN],
	const uint8_t key[static CHACHA20POLY1305_KEY_LEN]);
bool xchacha20poly1305_decrypt(
	uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
	size_t adlen, const uint8_t nonce[static XCHACHA20POLY1305_NONCE_LEN],
	const uint8_t key[static CHACHA20POLY1305_KEY_LEN]);
/* HChaCha20 (draft-irtf-cfrg-xchacha section 2.2). */
void hchacha20(uint8_t out[static 32], const uint8_t nonce[static 16],
	       const uint8_t key[static 32]);

/* Cryptographically random bytes. 0 or -errno. */
int crypto_random(void *buf, size_t len);
/* Bytes for public nonces that must never repeat under a long-lived key
 * (cookie replies): a per-thread ChaCha20 keystream keyed from
 * crypto_random(), rekeyed every MiB and after fork. Unpredictable without
 * that key, but not for keys or other secrets. 0 or -errno. */
int crypto_nonce(void *buf, size_t len);
/* crypto_equal, crypto_is_zero and crypto_wipe are common/key.h's. */

#endif
