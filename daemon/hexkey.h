/* SPDX-License-Identifier: MIT */
/*
 * Keys as the UAPI writes them: 64 hex digits, in constant time.
 * Stateless; callers own every buffer.
 */
#ifndef LW_HEXKEY_H
#define LW_HEXKEY_H

#include <stddef.h>
#include <stdint.h>

#define HEXKEY_KEY_LEN 32 /* a Curve25519 key or a preshared key */
#define HEXKEY_LEN (2 * HEXKEY_KEY_LEN)

/* Exactly HEXKEY_LEN digits of either case: 0, or -EINVAL with key zeroed
 * (no partial key is left behind). */
int key_from_hex(uint8_t key[static HEXKEY_KEY_LEN], const char *hex,
		 size_t len);
/* Lower case, NUL-terminated. */
void key_to_hex(char hex[static HEXKEY_LEN + 1],
		const uint8_t key[static HEXKEY_KEY_LEN]);

#endif
