// SPDX-License-Identifier: MIT
/*
 * IP prefixes, addresses and endpoints for the planner (see addr.h). Text is
 * parsed with inet_pton after a strict check of the characters around it,
 * so "10.0.0.1 /24", "10.0.0.1/024" or "10.0.0.1/24x" are refused instead
 * of half-read. Bit operations work on the 16-byte address array for both
 * families.
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

unsigned int family_index(uint8_t family)
{
	return family == AF_INET6 ? 1 : 0;
}

uint8_t family_of_index(unsigned int fi)
{
	return fi ? AF_INET6 : AF_INET;
}

unsigned int family_bits(uint8_t family)
{
	return family == AF_INET6 ? 128 : 32;
}

const char *family_name(uint8_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static bool addr_text(struct lw_prefix *p, const char *s, size_t n)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(p, 0, sizeof(*p));
	if (strchr(tmp, ':')) {
		if (inet_pton(AF_INET6, tmp, p->addr) != 1)
			return false;
		p->family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, tmp, p->addr) != 1)
			return false;
		p->family = AF_INET;
	}
	p->len = family_bits(p->family);
	return true;
}

/* A decimal prefix length: digits only, no leading zero, within bits. */
static int parse_len(const char *s, unsigned int bits)
{
	unsigned int v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	return v <= bits ? (int)v : -1;
}

int prefix_parse(struct lw_prefix *p, const char *s, bool host_bits_ok)
{
	const char *slash = strchr(s, '/');
	struct lw_prefix t;
	int len;

	memset(p, 0, sizeof(*p));
	if (!slash)
		return addr_parse(p, s);
	if (!addr_text(&t, s, (size_t)(slash - s)))
		return -EINVAL;
	len = parse_len(slash + 1, family_bits(t.family));
	if (len < 0)
		return -EINVAL;
	*p = t;
	prefix_truncate(p, (unsigned int)len);
	if (!host_bits_ok && memcmp(p->addr, t.addr, sizeof(t.addr))) {
		*p = t;
		p->len = (uint8_t)len;
		return -EDOM;
	}
	p->len = (uint8_t)len;
	return 0;
}

int addr_parse(struct lw_prefix *p, const char *s)
{
	if (!addr_text(p, s, strlen(s))) {
		memset(p, 0, sizeof(*p));
		return -EINVAL;
	}
	return 0;
}

void addr_format(char *buf, size_t size, const struct lw_prefix *p)
{
	char tmp[INET6_ADDRSTRLEN];

	if (!p->family || !inet_ntop(p->family, p->addr, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "?");
	snprintf(buf, size, "%s", tmp);
}

void prefix_format(char *buf, size_t size, const struct lw_prefix *p)
{
	char tmp[INET6_ADDRSTRLEN];

	addr_format(tmp, sizeof(tmp), p);
	snprintf(buf, size, "%s/%u", tmp, p->len);
}

void prefix_format_nft(char *buf, size_t size, const struct lw_prefix *p)
{
	if (prefix_is_host(p))
		addr_format(buf, size, p);
	else
		prefix_format(buf, size, p);
}

void prefix_truncate(struct lw_prefix *p, unsigned int len)
{
	unsigned int i, bits = family_bits(p->family);

	if (len > bits)
		len = bits;
	for (i = len; i < 128; i++)
		p->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	p->len = (uint8_t)len;
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
