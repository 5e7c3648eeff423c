// SPDX-License-Identifier: MIT
/*
 * IP prefixes (see prefix.h). Text is parsed with inet_pton after a strict
 * check of the characters around it, so "10.0.0.1 /24", "10.0.0.1/024" or
 * "10.0.0.1/24x" are refused instead of half-read. Bit operations work on
 * the 16-byte address array for both families.
 */
#include "prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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

/* n bytes of address text; inet_pton wants a C string. */
static bool addr_text(struct lw_prefix *p, const char *s, size_t n)
{
	char tmp[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(tmp) || memchr(s, '\0', n))
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

/* n bytes of decimal length: digits only, no leading zero, <= bits. */
static int parse_len(const char *s, size_t n, unsigned int bits)
{
	unsigned int v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	return v <= bits ? (int)v : -1;
}

int prefix_parse_n(struct lw_prefix *p, const char *s, size_t n,
		   bool host_bits_ok)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	struct lw_prefix t;
	int len;

	memset(p, 0, sizeof(*p));
	if (!addr_text(&t, s, alen))
		goto bad;
	if (!slash) {
		*p = t;
		return 0;
	}
	len = parse_len(slash + 1, n - alen - 1, family_bits(t.family));
	if (len < 0)
		goto bad;
	*p = t;
	prefix_truncate(p, (unsigned int)len);
	if (!host_bits_ok && memcmp(p->addr, t.addr, sizeof(t.addr))) {
		*p = t;
		p->len = (uint8_t)len;
		return -EDOM;
	}
	return 0;
bad:
	memset(p, 0, sizeof(*p));
	return -EINVAL;
}

int prefix_parse(struct lw_prefix *p, const char *s, bool host_bits_ok)
{
	return prefix_parse_n(p, s, strlen(s), host_bits_ok);
}

int addr_parse(struct lw_prefix *p, const char *s)
{
	if (strchr(s, '/') || !addr_text(p, s, strlen(s))) {
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

void prefix_truncate(struct lw_prefix *p, unsigned int len)
{
	unsigned int i, bits = family_bits(p->family);

	if (len > bits)
		len = bits;
	for (i = len; i < 128; i++)
		p->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	p->len = (uint8_t)len;
}
