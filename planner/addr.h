/* SPDX-License-Identifier: MIT */
/*
 * IP prefixes, host addresses and endpoints as the planner sees them: one
 * family-agnostic struct lw_prefix for IPv4 and IPv6 (a host address is a
 * /32 or /128), strict parsing (no host bits under a prefix, no leading
 * junk), canonical formatting, containment and overlap, the private blocks a
 * client route may be summarised within, and "host:port" / "[v6]:port"
 * endpoints. Pure functions; no allocation.
 */
#ifndef LW_ADDR_H
#define LW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix.h"

/* Longest endpoint host we accept (a DNS name is at most 253). */
#define LW_HOST_MAX 253

/* struct lw_prefix, family_*(), prefix_parse(), addr_parse(),
 * prefix_format(), addr_format() and prefix_truncate() are
 * common/prefix.h's. */

/* nft style: the address alone for a host prefix, else "a/n". */
void prefix_format_nft(char *buf, size_t size, const struct lw_prefix *p);

bool prefix_is_host(const struct lw_prefix *p);
bool prefix_equal(const struct lw_prefix *a, const struct lw_prefix *b);
/* outer covers inner: same family, outer->len <= inner->len, bits agree. */
bool prefix_contains(const struct lw_prefix *outer,
		     const struct lw_prefix *inner);
bool prefix_overlaps(const struct lw_prefix *a, const struct lw_prefix *b);
/* Orders by family, then address, then length: a stable sort key. */
int prefix_cmp(const struct lw_prefix *a, const struct lw_prefix *b);

/* The next address after p (as a host); false on wrap-around. */
bool addr_next(struct lw_prefix *p);
/* True if host address a is the network or (IPv4) broadcast address of
 * pool, which allocation skips. */
bool addr_is_reserved_in(const struct lw_prefix *a,
			 const struct lw_prefix *pool);

/*
 * The private block (RFC 1918, RFC 6598 shared space, RFC 4193 ULA) that
 * contains p, in *block; for ULA the /48 of p (each /48 is a separate
 * network), fc00::/7 only for a p wider than /48. False if p lies outside all of them (public
 * space, which no summary may grow into).
 */
bool prefix_private_block(const struct lw_prefix *p, struct lw_prefix *block);

/* An endpoint as written: a DNS name or a literal address, and a port. */
struct lw_endpoint {
	char host[LW_HOST_MAX + 1];
	uint16_t port;
	bool is_literal;
	struct lw_prefix addr; /* when is_literal, a host prefix */
};

/* "host:port", "a.b.c.d:port" or "[v6]:port". 0 or -EINVAL. */
int lw_endpoint_parse(struct lw_endpoint *ep, const char *s);
/* Back to text, brackets around IPv6 literals. */
void lw_endpoint_format(char *buf, size_t size, const struct lw_endpoint *ep);

#endif
