// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the key text forms (common/key.c): the input is
 * read both as hex (key_from_hex, exactly the input's bytes) and as base64
 * (key_from_base64, up to the first NUL). Besides the sanitizers'
 * findings it traps when a refused text leaves anything but a zeroed key,
 * when an accepted one does not print back to the same text (hex: up to
 * case), and when the constant-time hex reader disagrees with a naive one
 * (sscanf-free: strchr over the digits).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"

static int naive_nibble(char c)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	const char *p;

	if (!c)
		return -1;
	if ((p = strchr(lower, c)))
		return (int)(p - lower);
	if ((p = strchr(upper, c)))
		return (int)(p - upper);
	return -1;
}

/* The naive reader: true and the key, or false. */
static bool naive_hex(uint8_t key[static KEY_LEN], const uint8_t *s,
		      size_t len)
{
	int hi, lo;

	if (len != KEY_HEX_LEN)
		return false;
	for (size_t i = 0; i < KEY_LEN; i++) {
		hi = naive_nibble((char)s[2 * i]);
		lo = naive_nibble((char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static void check_hex(const uint8_t *data, size_t size)
{
	uint8_t key[KEY_LEN], ref[KEY_LEN];
	char text[KEY_HEX_LEN + 1];
	bool ok, ref_ok;

	memset(key, 0xa5, sizeof(key));
	ok = key_from_hex(key, (const char *)data, size) == 0;
	ref_ok = naive_hex(ref, data, size);
	if (ok != ref_ok)
		__builtin_trap();
	if (!ok) {
		if (!crypto_is_zero(key, KEY_LEN))
			__builtin_trap();
		return;
	}
	if (memcmp(key, ref, KEY_LEN))
		__builtin_trap();
	key_to_hex(text, key);
	if (strncasecmp(text, (const char *)data, KEY_HEX_LEN))
		__builtin_trap();
}

static void check_base64(const uint8_t *data, size_t size)
{
	uint8_t key[KEY_LEN], back[KEY_LEN];
	char text[KEY_BASE64_LEN + 1];
	char *s = malloc(size + 1);

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(key, 0xa5, sizeof(key));
	if (key_from_base64(key, s)) {
		if (!crypto_is_zero(key, KEY_LEN))
			__builtin_trap();
	} else {
		/* One text per key: the accepted text is the printed one. */
		key_to_base64(text, key);
		if (strcmp(text, s) || key_from_base64(back, text) ||
		    memcmp(back, key, KEY_LEN))
			__builtin_trap();
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_hex(data, size);
	check_base64(data, size);
	return 0;
}
