/* SPDX-License-Identifier: MIT */
/*
 * X25519 of the whitepaper, section 5.4 (DH, DH-GENERATE), through
 * libcrypto's EVP_PKEY: private keys and public keys through common/key.c
 * (OpenSSL's private DRBG, RFC 7748 clamping), one-off DH, struct
 * x25519_key (an EVP_PKEY made once), and the per-thread cache of static keys' EVP_PKEYs
 * (x25519_static_*) in struct crypto_thread's slots.
 */
#include "crypto_internal.h"

#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

int x25519_generate_private(uint8_t priv[static X25519_KEY_LEN])
{
	return key_generate_private(priv);
}

int x25519_generate_private_from(uint8_t priv[static X25519_KEY_LEN],
				 crypto_random_fn random)
{
	int ret = random(priv, X25519_KEY_LEN);

	if (ret < 0) {
		crypto_wipe(priv, X25519_KEY_LEN);
		return ret;
	}
	key_clamp(priv);
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
	key_public_from_private(pub, priv);
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
	struct crypto_thread *t = crypto_thread_peek();
	struct x25519_static_slot *slot = t ? static_slot_find(t, priv) : NULL;

	if (slot)
		static_slot_clear(slot);
}
