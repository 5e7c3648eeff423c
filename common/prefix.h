/* SPDX-License-Identifier: MIT */
/*
 * IP prefixes for both programs: one family-agnostic struct lw_prefix for
 * IPv4 and IPv6 (a host address is a /32 or /128) and its one strict text
 * form, read by lanwire's description parser (planner/addr.c builds
 * containment, allocation and endpoints on it) and by lanwired's UAPI
 * allowed_ip lines (daemon/uapi_parse.c). Pure functions; no allocation.
 *
 * Ownership: plain value type, embedded in its owner; nothing to free.
 */
#ifndef LW_PREFIX_H
#define LW_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text of a prefix: an IPv6 address, "/", three digits, NUL. */
#define LW_PREFIX_STRLEN 50

struct lw_prefix {
	uint8_t family; /* AF_INET or AF_INET6; 0 means "none" */
	uint8_t len;	/* prefix length, 0..32 or 0..128 */
	uint8_t addr[16];
};

/* Index 0 for IPv4, 1 for IPv6: the model keeps one slot per family. */
#define LW_FAMILIES 2
unsigned int family_index(uint8_t family);
uint8_t family_of_index(unsigned int fi);
unsigned int family_bits(uint8_t family);
const char *family_name(uint8_t family); /* "IPv4" or "IPv6" */

/*
 * Parsing: "a.b.c.d/n" or "x::y/n", the family IPv6 exactly when the
 * address has a ':' (as wg reads it); the length in decimal without a
 * leading zero, sign or blank; nothing before or after. A bare address is
 * a host prefix. Host bits (bits set past the length): with host_bits_ok
 * they are cleared; without, the text is refused with -EDOM and *p holds
 * the address as written with its length (so callers can suggest the
 * truncated prefix). Anything else is -EINVAL with *p zeroed.
 * prefix_parse_n reads exactly len bytes (no NUL needed; a NUL among them
 * is refused); prefix_parse a C string.
 */
int prefix_parse_n(struct lw_prefix *p, const char *s, size_t len,
		   bool host_bits_ok);
int prefix_parse(struct lw_prefix *p, const char *s, bool host_bits_ok);
/* A single address (no "/n"): len is 32 or 128. 0 or -EINVAL (zeroed). */
int addr_parse(struct lw_prefix *p, const char *s);

/* "10.0.0.0/16"; buf holds LW_PREFIX_STRLEN bytes. */
void prefix_format(char *buf, size_t size, const struct lw_prefix *p);
/* The address alone, "10.0.0.1", whatever the length. */
void addr_format(char *buf, size_t size, const struct lw_prefix *p);

/* Clears the bits past len and sets p->len = len (len <= family bits). */
void prefix_truncate(struct lw_prefix *p, unsigned int len);

#endif
