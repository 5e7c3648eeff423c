// SPDX-License-Identifier: MIT
/*
 * Preshared keys sealed to the node that receives them (ctl.h), so that a
 * hub relaying a node's state learns nothing of its secrets. An anonymous
 * sealed box from the primitives lanwired already uses (common/crypto*.c,
 * over libcrypto):
 *
 *   e      a fresh X25519 key pair per sealed key
 *   dh     X25519(e, R)  (R: the receiver's WireGuard public key)
 *   prk    HMAC-BLAKE2s(key "lanwire-seal-v1", dh || e_pub || R)
 *   k      HMAC-BLAKE2s(prk, 0x01)                (HKDF's one block)
 *   box    e_pub || ChaCha20-Poly1305(k, nonce 0, psk, ad = context)
 *
 * k is used once (e is fresh), so a zero nonce is safe. The context names
 * the network, the receiver and the peer, so a box cannot be moved to
 * another peer's entry. The receiver computes dh with its private key.
 */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static const char seal_label[] = "lanwire-seal-v1";

static void derive(uint8_t k[static 32], const uint8_t dh[static 32],
		   const uint8_t e_pub[static 32], const uint8_t to[static 32])
{
	uint8_t in[96], prk[32], one = 1;

	memcpy(in, dh, 32);
	memcpy(in + 32, e_pub, 32);
	memcpy(in + 64, to, 32);
	hmac_blake2s(prk, (const uint8_t *)seal_label, strlen(seal_label), in,
		     sizeof(in));
	hmac_blake2s(k, prk, sizeof(prk), &one, 1);
	crypto_wipe(in, sizeof(in));
	crypto_wipe(prk, sizeof(prk));
}

char *ctl_seal(const uint8_t key[static LW_KEY_LEN],
	       const uint8_t to[static LW_KEY_LEN], const char *context)
{
	uint8_t e[32], dh[32], k[32], box[CTL_SEALED_LEN];
	char *out = NULL;

	if (x25519_generate_private(e))
		goto out;
	x25519_public_from_private(box, e); /* e_pub */
	if (!x25519(dh, e, to)) /* e, R */
		goto out;
	derive(k, dh, box, to);
	if (chacha20poly1305_encrypt(box + 32, key, LW_KEY_LEN,
				     (const uint8_t *)context, strlen(context),
				     0, k))
		out = ctl_b64_encode(box, sizeof(box));
out:
	crypto_wipe(e, sizeof(e));
	crypto_wipe(dh, sizeof(dh));
	crypto_wipe(k, sizeof(k));
	return out;
}

int ctl_unseal(uint8_t out[static LW_KEY_LEN], const char *sealed,
	       const uint8_t priv[static LW_KEY_LEN], const char *context)
{
	uint8_t box[CTL_SEALED_LEN], dh[32], k[32], self[32];
	int r = -EBADMSG;

	if (ctl_b64_decode(box, sizeof(box), sealed))
		goto out;
	x25519_public_from_private(self, priv);
	if (!x25519(dh, priv, box)) /* R, e */
		goto out;
	derive(k, dh, box, self);
	if (chacha20poly1305_decrypt(out, box + 32, sizeof(box) - 32,
				     (const uint8_t *)context, strlen(context),
				     0, k))
		r = 0;
out:
	if (r)
		crypto_wipe(out, LW_KEY_LEN);
	crypto_wipe(dh, sizeof(dh));
	crypto_wipe(k, sizeof(k));
	return r;
}
