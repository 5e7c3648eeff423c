/* SPDX-License-Identifier: MIT */
/*
 * The cryptographic primitives of the whitepaper, section 5.4, over OpenSSL
 * 3.0 libcrypto, in four files by concern: this one fetches the algorithms
 * once in crypto_init(), keeps the per-thread contexts (the data-plane AEAD
 * and keyed BLAKE2s reuse one context each per thread, so a packet or a
 * mac1 costs no allocation); the constant-time comparisons and wiping are
 * common/key.c's; crypto_hash.c has BLAKE2s and HMAC, crypto_x25519.c X25519,
 * crypto_aead.c (X)ChaCha20-Poly1305 and HChaCha20, crypto_random.c random
 * bytes and the nonce stream.
 * The void functions have no error path, and carrying on would hand out
 * unhashed or unencrypted bytes, so a libcrypto failure there (in practice
 * only out of memory) or a caller breaking a documented limit aborts.
 */
#include "crypto_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#if OPENSSL_VERSION_MAJOR < 3
#error "lanwire needs OpenSSL 3.0 or later (EVP_MAC, EVP_*_fetch)"
#endif

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_error;
static pthread_key_t thread_key;
EVP_CIPHER *chacha20poly1305_cipher;
EVP_MD *blake2s256_md;
EVP_MAC *blake2s_mac;
EVP_MAC *hmac_mac;
EVP_CIPHER *chacha20_cipher;
static __thread struct crypto_thread *thread_ctx;
volatile unsigned int fork_generation;

void crypto_abort(const char *what)
{
	fprintf(stderr, "lanwire: crypto: %s\n", what);
	abort();
}

static void crypto_thread_free(void *p)
{
	struct crypto_thread *t = p;

	if (!t)
		return;
	for (unsigned int i = 0; i < AEAD_SLOTS; i++)
		EVP_CIPHER_CTX_free(t->aead[i].ctx);
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

struct crypto_thread *crypto_thread_get(void)
{
	struct crypto_thread *t = thread_ctx;

	if (t)
		return t;
	if (crypto_init() < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	for (unsigned int i = 0; i < AEAD_SLOTS; i++) {
		t->aead[i].ctx = EVP_CIPHER_CTX_new();
		if (!t->aead[i].ctx ||
		    !EVP_CipherInit_ex(t->aead[i].ctx, chacha20poly1305_cipher,
				       NULL, NULL, NULL, 1))
			goto err;
	}
	t->hash = EVP_MD_CTX_new();
	t->keyed_hash = EVP_MAC_CTX_new(blake2s_mac);
	if (!t->hash || !t->keyed_hash || pthread_setspecific(thread_key, t))
		goto err;
	thread_ctx = t;
	return t;
err:
	crypto_thread_free(t);
	return NULL;
}
struct crypto_thread *crypto_thread_peek(void)
{
	return thread_ctx;
}
