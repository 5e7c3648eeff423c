// SPDX-License-Identifier: MIT
/*
 * What the planner builds on common/prefix.c's prefixes (see addr.h):
 * containment, overlap, ordering, allocation steps, private blocks and
 * "host:port" endpoints. Bit operations work on the 16-byte address array
 * for both families.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* RFC 1918, RFC 6598 (carrier-grade NAT) and RFC 4193 (ULA). */
static const struct {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
} private_blocks[] = {
	{ AF_INET, 8, { 10 } },
	{ AF_INET, 12, { 172, 16 } },
	{ AF_INET, 16, { 192, 168 } },
	{ AF_INET, 10, { 100, 64 } },
	{ AF_INET6, 7, { 0xfc } },
};

void prefix_format_nft(char *buf, size_t size, const struct lw_prefix *p)
{
	if (prefix_is_host(p))
		addr_format(buf, size, p);
	else
		prefix_format(buf, size, p);
}

bool prefix_is_host(const struct lw_prefix *p)
{
	return p->len == family_bits(p->family);
}

bool prefix_equal(const struct lw_prefix *a, const struct lw_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Do the first len bits of a and b agree? */
static bool bits_agree(const uint8_t *a, const uint8_t *b, unsigned int len)
{
	unsigned int whole = len / 8, rest = len % 8;
	uint8_t mask;

	if (memcmp(a, b, whole))
		return false;
	if (!rest)
		return true;
	mask = (uint8_t)(0xff00u >> rest);
	return (a[whole] & mask) == (b[whole] & mask);
}

bool prefix_contains(const struct lw_prefix *outer,
		     const struct lw_prefix *inner)
{
	return outer->family && outer->family == inner->family &&
	       outer->len <= inner->len &&
	       bits_agree(outer->addr, inner->addr, outer->len);
}

bool prefix_overlaps(const struct lw_prefix *a, const struct lw_prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

int prefix_cmp(const struct lw_prefix *a, const struct lw_prefix *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r < 0 ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

bool addr_next(struct lw_prefix *p)
{
	int i = (int)family_bits(p->family) / 8 - 1;

	for (; i >= 0; i--) {
		if (++p->addr[i])
			return true;
	}
	return false;
}

bool addr_is_reserved_in(const struct lw_prefix *a,
			 const struct lw_prefix *pool)
{
	struct lw_prefix net = *pool, bcast = *pool;
	unsigned int i, bits = family_bits(pool->family);

	if (pool->len >= bits - 1)
		return false; /* /31, /32, /127, /128: all usable */
	prefix_truncate(&net, pool->len);
	net.len = (uint8_t)bits;
	if (prefix_equal(a, &net))
		return true;
	if (pool->family != AF_INET)
		return false;
	for (i = pool->len; i < bits; i++)
		bcast.addr[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	bcast.len = (uint8_t)bits;
	return prefix_equal(a, &bcast);
}

bool prefix_private_block(const struct lw_prefix *p, struct lw_prefix *block)
{
	size_t i;

	for (i = 0; i < sizeof(private_blocks) / sizeof(private_blocks[0]);
	     i++) {
		memset(block, 0, sizeof(*block));
		block->family = private_blocks[i].family;
		block->len = private_blocks[i].len;
		memcpy(block->addr, private_blocks[i].addr, 16);
		if (!prefix_contains(block, p))
			continue;
		/* Each ULA /48 is its own network (RFC 4193: a random
		 * global ID per site), as unrelated to the next /48 as
		 * 10/8 is to 192.168/16. */
		if (block->family == AF_INET6 && p->len >= 48) {
			*block = *p;
			prefix_truncate(block, 48);
		}
		return true;
	}
	memset(block, 0, sizeof(*block));
	return false;
}

/* A decimal port 1..65535, digits only. */
/* n bytes of a bare address (no "/n") as a host prefix. */
static bool addr_text(struct lw_prefix *p, const char *s, size_t n)
{
	return !memchr(s, '/', n) && !prefix_parse_n(p, s, n, false);
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Letters, digits, '-' and '.', with at least one letter (so that a
 * mistyped address such as 10.0.0.300 is not taken for a name). */
static bool host_name_ok(const char *s, size_t n)
{
	bool has_letter = false;
	size_t i;

	if (n == 0 || n > LW_HOST_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			has_letter = true;
		else if (!((c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return has_letter;
}

int lw_endpoint_parse(struct lw_endpoint *ep, const char *s)
{
	const char *host = s, *colon, *end;
	size_t n;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		host = s + 1;
		n = (size_t)(end - host);
		colon = end + 1;
		if (!addr_text(&ep->addr, host, n) ||
		    ep->addr.family != AF_INET6)
			goto bad;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL; /* IPv6 needs brackets */
		n = (size_t)(colon - s);
		if (!addr_text(&ep->addr, host, n)) {
			memset(&ep->addr, 0, sizeof(ep->addr));
			if (!host_name_ok(host, n))
				goto bad;
		}
	}
	if (parse_port(colon + 1, &ep->port))
		goto bad;
	memcpy(ep->host, host, n);
	ep->host[n] = '\0';
	ep->is_literal = ep->addr.family != 0;
	return 0;
bad:
	memset(ep, 0, sizeof(*ep));
	return -EINVAL;
}

void lw_endpoint_format(char *buf, size_t size, const struct lw_endpoint *ep)
{
	if (ep->is_literal && ep->addr.family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", ep->host, ep->port);
	else
		snprintf(buf, size, "%s:%u", ep->host, ep->port);
}
