// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of common/prefix.c, the one prefix parser of lanwired's
 * UAPI allowed_ip lines and lanwire's descriptions: the input is the bytes
 * prefix_parse_n() reads (not a C string). Besides the sanitizers'
 * findings it traps when a refused text leaves anything but a zeroed
 * prefix (-EDOM aside), when an accepted prefix has bits past its length
 * or does not print back to text that parses to the same value, when the
 * strict and the host-bit-clearing readers disagree other than by -EDOM,
 * and when the C-string reader disagrees on a NUL-free input.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"

static void check_value(const struct lw_prefix *p)
{
	struct lw_prefix t = *p, back;
	char buf[LW_PREFIX_STRLEN];

	prefix_truncate(&t, p->len);
	if (memcmp(&t, p, sizeof(t)))
		__builtin_trap(); /* host bits left */
	prefix_format(buf, sizeof(buf), p);
	if (prefix_parse(&back, buf, false) || memcmp(&back, p, sizeof(back)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct lw_prefix lax, strict, cstr;
	static const struct lw_prefix zero;
	int rl = prefix_parse_n(&lax, s, size, true);
	int rs = prefix_parse_n(&strict, s, size, false);

	if (rl && memcmp(&lax, &zero, sizeof(lax)))
		__builtin_trap();
	if (rl) {
		if (rs != rl)
			__builtin_trap();
		return 0;
	}
	check_value(&lax);
	if (rs == -EDOM) {
		prefix_truncate(&strict, strict.len);
		if (memcmp(&strict, &lax, sizeof(lax)))
			__builtin_trap();
	} else if (rs || memcmp(&strict, &lax, sizeof(lax))) {
		__builtin_trap();
	}
	if (!memchr(s, '\0', size)) {
		char *copy = strndup(s, size);

		if (copy && (prefix_parse(&cstr, copy, true) ||
			     memcmp(&cstr, &lax, sizeof(lax))))
			__builtin_trap();
		free(copy);
	}
	return 0;
}
