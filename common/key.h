/* SPDX-License-Identifier: MIT */
/*
 * WireGuard keys, shared by lanwired (daemon/) and lanwire (planner/):
 * 32-byte Curve25519 and preshared keys in their two text forms (64 hex
 * digits as the UAPI writes them, 44 characters of base64 as wg prints
 * them), new keys from libcrypto, the public key of a private key, and the
 * helpers every secret needs: a constant-time compare and a wipe.
 *
 * Stateless and thread-safe; callers own every buffer. No key material is
 * ever logged here.
 */
#ifndef LW_KEY_H
#define LW_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_LEN 32 /* a Curve25519 key or a preshared key */
#define KEY_HEX_LEN (2 * KEY_LEN)
#define KEY_BASE64_LEN 44
/* The names the daemon's UAPI code has always used. */
#define HEXKEY_KEY_LEN KEY_LEN
#define HEXKEY_LEN KEY_HEX_LEN

/* ---- text forms, in constant time ---- */

/* Exactly KEY_HEX_LEN digits of either case (len bytes are read, no NUL
 * needed): 0, or -EINVAL with key zeroed (no partial key is left behind). */
int key_from_hex(uint8_t key[static KEY_LEN], const char *hex, size_t len);
/* Lower case, NUL-terminated. */
void key_to_hex(char hex[static KEY_HEX_LEN + 1],
		const uint8_t key[static KEY_LEN]);
/* Exactly 44 characters of canonical base64 of 32 bytes (one '=' of
 * padding, the unused bits zero, so a key has one text), NUL-terminated:
 * 0, or -EINVAL with key zeroed. */
int key_from_base64(uint8_t key[static KEY_LEN], const char *s);
void key_to_base64(char out[static KEY_BASE64_LEN + 1],
		   const uint8_t key[static KEY_LEN]);

/* ---- making keys (libcrypto) ---- */

/* RFC 7748 section 5 clamping, as the whitepaper's DH-GENERATE. */
void key_clamp(uint8_t priv[static KEY_LEN]);
/* A fresh clamped private key from libcrypto's DRBG for private values.
 * 0 or -EIO (priv wiped). */
int key_generate_private(uint8_t priv[static KEY_LEN]);
/* A fresh preshared key from the same DRBG. 0 or -EIO (psk wiped). */
int key_generate_preshared(uint8_t psk[static KEY_LEN]);
/* The public key of priv. Aborts if libcrypto fails (out of memory): there
 * is no public key to hand back. */
void key_public_from_private(uint8_t pub[static KEY_LEN],
			     const uint8_t priv[static KEY_LEN]);

/* ---- every secret ---- */

/* Constant-time equality of two buffers of len bytes. */
bool crypto_equal(const void *a, const void *b, size_t len);
/* True if all len bytes are zero, in constant time. */
bool crypto_is_zero(const void *a, size_t len);
/* Wipes a secret in a way the compiler cannot elide. */
void crypto_wipe(void *p, size_t len);

#endif
