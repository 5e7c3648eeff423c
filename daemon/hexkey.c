// SPDX-License-Identifier: MIT
/*
 * A WireGuard key as 64 hex digits (the UAPI's form) and back, in constant
 * time: a private key is read and written here, so neither a table look-up
 * nor a branch may depend on its digits. Shared by the UAPI (daemon) and
 * the planner's status reader.
 */
#include "hexkey.h"

#include <errno.h>
#include <string.h>

/*
 * One hex digit to its value without a table or a data-dependent branch;
 * *invalid collects a non-zero mask for anything but [0-9a-fA-F].
 */
static uint32_t hex_nibble(unsigned char c, uint32_t *invalid)
{
	uint32_t num = (uint32_t)c ^ 0x30u;		/* '0'..'9' -> 0..9 */
	uint32_t alpha = ((uint32_t)c | 0x20u) - 0x61u; /* 'a'..'f' -> 0..5 */
	uint32_t is_num = 0u - ((num - 10u) >> 31);
	uint32_t is_alpha = 0u - (((alpha - 6u) >> 31) & (~alpha >> 31));

	*invalid |= ~(is_num | is_alpha);
	return ((is_num & num) | (is_alpha & (alpha + 10u))) & 0xfu;
}

/* Upper and lower case; the key is zeroed when the text is not a key. */
int key_from_hex(uint8_t key[static HEXKEY_KEY_LEN], const char *hex,
		 size_t len)
{
	uint32_t invalid = 0, hi, lo;
	size_t i;

	if (len != HEXKEY_LEN)
		return -EINVAL;
	for (i = 0; i < HEXKEY_KEY_LEN; i++) {
		hi = hex_nibble((unsigned char)hex[2 * i], &invalid);
		lo = hex_nibble((unsigned char)hex[2 * i + 1], &invalid);
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	if (invalid) {
		explicit_bzero(key, HEXKEY_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

/* 0..15 to '0'..'9', 'a'..'f' without a table or a branch. */
static char hex_digit(uint32_t n)
{
	uint32_t is_letter = 0u - ((9u - n) >> 31);

	return (char)('0' + n + (is_letter & ('a' - '0' - 10)));
}

void key_to_hex(char hex[static HEXKEY_LEN + 1],
		const uint8_t key[static HEXKEY_KEY_LEN])
{
	size_t i;

	for (i = 0; i < HEXKEY_KEY_LEN; i++) {
		hex[2 * i] = hex_digit(key[i] >> 4);
		hex[2 * i + 1] = hex_digit(key[i] & 0xfu);
	}
	hex[HEXKEY_LEN] = '\0';
}
