// SPDX-License-Identifier: MIT
/*
 * The endpoint text form of the UAPI (wireguard.com/xplatform): the one
 * parser of "ADDR:PORT" / "[ADDR6]:PORT" / "[ADDR6%ZONE]:PORT" and its
 * formatter. Taken as strictly as wg writes it (numeric address, port of
 * digits only). A zone is accepted as wireguard-go 0.0.20220316 accepts it
 * (an interface name that exists, or a decimal number) and printed back as
 * current wireguard-go prints it (the zone as given), so `wg show` shows
 * what was set.
 */
#include "endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A piece of the input: not NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

/* Digits only (no sign, blank or base prefix), at most max. */
static int parse_decimal(struct span s, uint32_t max, uint32_t *out)
{
	uint64_t n = 0;

	if (!s.len)
		return -EINVAL;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(s.p[i] - '0');
		if (n > max)
			return -EINVAL;
	}
	*out = (uint32_t)n;
	return 0;
}

/* s as a C string in buf (size bytes); false if it does not fit or holds a
 * NUL of its own. */
static bool span_to_cstr(char *buf, size_t size, struct span s)
{
	if (s.len >= size || memchr(s.p, '\0', s.len))
		return false;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return true;
}

static int parse_address(int family, struct span s, void *out)
{
	char buf[INET6_ADDRSTRLEN];

	if (!span_to_cstr(buf, sizeof(buf), s))
		return -EINVAL;
	return inet_pton(family, buf, out) == 1 ? 0 : -EINVAL;
}

/* An interface name of this namespace first (as glibc's getaddrinfo and
 * Go's net package look it up), then a decimal scope id. */
static int parse_zone(struct span s, char zone[static IFNAMSIZ],
		      uint32_t *scope_id)
{
	unsigned int index;

	if (!span_to_cstr(zone, IFNAMSIZ, s) || !s.len)
		return -EINVAL;
	index = if_nametoindex(zone);
	if (index) {
		*scope_id = index;
		return 0;
	}
	return parse_decimal(s, UINT32_MAX, scope_id);
}

/* "[v6]:port" or "v4:port" into family, host text and port text. */
static int endpoint_split(const char *s, size_t len, int *family,
			  struct span *host, struct span *port)
{
	const char *colon;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close || close + 1 == s + len || close[1] != ':')
			return -EINVAL;
		*family = AF_INET6;
		*host = (struct span){ s + 1, (size_t)(close - s - 1) };
		colon = close + 1;
	} else {
		colon = len ? memrchr(s, ':', len) : NULL;
		if (!colon)
			return -EINVAL;
		*family = AF_INET;
		*host = (struct span){ s, (size_t)(colon - s) };
	}
	*port = (struct span){ colon + 1, (size_t)(s + len - colon - 1) };
	return 0;
}

static int parse_in6(struct endpoint *out, struct span host, uint16_t port)
{
	const char *pct = memchr(host.p, '%', host.len);
	struct span addr = host;
	int ret;

	out->in6.sin6_family = AF_INET6;
	out->in6.sin6_port = htons(port);
	if (pct) {
		addr.len = (size_t)(pct - host.p);
		ret = parse_zone((struct span){ pct + 1, host.len - addr.len - 1 },
				 out->zone, &out->in6.sin6_scope_id);
		if (ret)
			return ret;
	}
	return parse_address(AF_INET6, addr, &out->in6.sin6_addr);
}

int endpoint_parse(struct endpoint *ep, const char *s, size_t len)
{
	struct endpoint out;
	struct span host, port;
	uint32_t port_num;
	int family, ret;

	if (endpoint_split(s, len, &family, &host, &port) ||
	    parse_decimal(port, UINT16_MAX, &port_num))
		return -EINVAL;
	memset(&out, 0, sizeof(out));
	if (family == AF_INET6) {
		ret = parse_in6(&out, host, (uint16_t)port_num);
	} else {
		out.in.sin_family = AF_INET;
		out.in.sin_port = htons((uint16_t)port_num);
		ret = parse_address(AF_INET, host, &out.in.sin_addr);
	}
	if (ret)
		return ret;
	*ep = out;
	return 0;
}

/* The zone to print: as given, else the scope id's interface name, else
 * its number; "" for none. */
static void format_zone(char out[static IFNAMSIZ + 1],
			const struct endpoint *ep)
{
	uint32_t id = ep->in6.sin6_scope_id;
	char name[IF_NAMESIZE];

	out[0] = '\0';
	if (ep->zone[0])
		snprintf(out, IFNAMSIZ + 1, "%%%.*s", IFNAMSIZ - 1, ep->zone);
	else if (id && if_indextoname(id, name))
		snprintf(out, IFNAMSIZ + 1, "%%%s", name);
	else if (id)
		snprintf(out, IFNAMSIZ + 1, "%%%u", id);
}

void endpoint_format(char *buf, size_t buflen, const struct endpoint *ep)
{
	char host[INET6_ADDRSTRLEN], zone[IFNAMSIZ + 1];

	if (!buflen)
		return;
	buf[0] = '\0';
	if (ep->sa.sa_family == AF_INET &&
	    inet_ntop(AF_INET, &ep->in.sin_addr, host, sizeof(host))) {
		snprintf(buf, buflen, "%s:%u", host, ntohs(ep->in.sin_port));
	} else if (ep->sa.sa_family == AF_INET6 &&
		   inet_ntop(AF_INET6, &ep->in6.sin6_addr, host,
			     sizeof(host))) {
		format_zone(zone, ep);
		snprintf(buf, buflen, "[%s%s]:%u", host, zone,
			 ntohs(ep->in6.sin6_port));
	}
}
