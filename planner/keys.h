/* SPDX-License-Identifier: MIT */
/*
 * Keys for a description: Curve25519 private keys (common/key.c, i.e.
 * libcrypto's X25519) and per-pair preshared keys, in base64 as wg prints
 * them, kept in a key directory beside the description:
 *
 *   DIR/NODE.key    private key (0600)     DIR/NODE.pub   its public key
 *   DIR/A+B.psk     preshared key of the pair A, B (names in strcmp order)
 *
 * DIR is 0700. A node whose description carries public-key has its private
 * key made on the device: no NODE.key is made or expected for it. Keys are
 * created only through a struct lw_txn, so a failed command leaves none.
 *
 * Ownership: struct lw_keyring is the caller's; keyring_free() wipes every
 * key in it. Returned path strings are the caller's to free.
 */
#ifndef LW_KEYS_H
#define LW_KEYS_H

#include <stdint.h>

#include "key.h"
#include "model.h"
#include "txn.h"

/* Key text (key_to_base64, key_from_base64) is common/key.h's. */
#define LW_KEY_B64_LEN KEY_BASE64_LEN

/* "net.conf" -> "net.keys", anything else -> "anything.keys". */
char *keys_default_dir(const char *desc_path);
char *keys_private_path(const char *dir, const char *node);
char *keys_public_path(const char *dir, const char *node);
char *keys_psk_path(const char *dir, const char *a, const char *b);

/*
 * Reads the keys d needs from dir (which may not exist yet). Malformed
 * files, loose permissions and a key file that contradicts the
 * description's public-key become diagnostics in d. 0 or -ENOMEM.
 */
int keyring_load(struct lw_keyring *kr, struct lw_desc *d, const char *dir);
void keyring_free(struct lw_keyring *kr);
/* The pair's preshared key entry, or NULL. */
const struct lw_psk *keyring_psk(const struct lw_keyring *kr, size_t a,
				 size_t b);

/*
 * Generates every key d needs that kr lacks (private keys of nodes without
 * an on-device key, a preshared key per pair of peers), records them in kr
 * and stages their files in t. *made counts the files staged. 0 or -errno.
 */
int keys_stage_missing(struct lw_keyring *kr, const struct lw_desc *d,
		       struct lw_txn *t, unsigned int *made);
/* Stages removal of every key file of node (in desc d) from dir. */
int keys_stage_removal(const struct lw_desc *d, size_t node, const char *dir,
		       struct lw_txn *t);

#endif
