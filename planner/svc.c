// SPDX-License-Identifier: MIT
/*
 * Protocols and ports of policy rules (see svc.h). A spec is a protocol
 * name, then optionally "/" and a comma-separated list of ports and
 * ranges: "tcp/22,443,8000-8080". icmp takes no ports and stands for
 * ICMP in IPv4 and ICMPv6 in IPv6.
 */
#include "svc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const proto_names[] = {
	[LW_PROTO_TCP] = "tcp",
	[LW_PROTO_UDP] = "udp",
	[LW_PROTO_ICMP] = "icmp",
};

const char *svc_proto_name(enum lw_proto p)
{
	return proto_names[p];
}

/* The protocol tok starts with (its length in *len); -1 if none. */
static int proto_of(const char *tok, size_t *len)
{
	size_t i, n;

	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		n = strlen(proto_names[i]);
		if (!strncasecmp(tok, proto_names[i], n) &&
		    (tok[n] == '\0' || tok[n] == '/')) {
			*len = n;
			return (int)i;
		}
	}
	return -1;
}

bool svc_is_spec(const char *tok)
{
	size_t len;

	return proto_of(tok, &len) >= 0;
}

/* A port 1..65535, digits only, in [s, e). */
static bool port_of(const char *s, const char *e, uint16_t *out)
{
	unsigned long v = 0;

	if (s == e || e - s > 5)
		return false;
	for (; s < e; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static int push(struct lw_svc **v, size_t *n, size_t *cap,
		const struct lw_svc *s)
{
	if (lw_grow(v, cap, *n + 1, sizeof(**v)))
		return -ENOMEM;
	(*v)[(*n)++] = *s;
	return 0;
}

/* One item of a port list: "22" or "8000-8080". */
static bool port_item(const char *s, const char *e, struct lw_svc *out)
{
	const char *dash = memchr(s, '-', (size_t)(e - s));

	if (!dash)
		return port_of(s, e, &out->lo) && (out->hi = out->lo, true);
	return port_of(s, dash, &out->lo) && port_of(dash + 1, e, &out->hi) &&
	       out->lo <= out->hi;
}

int svc_parse(const char *tok, struct lw_svc **v, size_t *n, size_t *cap,
	      char *err, size_t errlen)
{
	struct lw_svc s = { 0 };
	const char *p, *e;
	size_t len;
	int proto = proto_of(tok, &len);

	if (proto < 0) {
		snprintf(err, errlen,
			 "'%s' is not a protocol: write tcp, udp or icmp, "
			 "with ports as tcp/22,443 or udp/5000-5010",
			 tok);
		return -EINVAL;
	}
	s.proto = (enum lw_proto)proto;
	if (!tok[len])
		return push(v, n, cap, &s);
	if (s.proto == LW_PROTO_ICMP) {
		snprintf(err, errlen, "'%s': icmp takes no ports; write icmp",
			 tok);
		return -EINVAL;
	}
	for (p = tok + len + 1;; p = e + 1) {
		e = p + strcspn(p, ",");
		if (e == p && !*e && p > tok + len + 1) {
			snprintf(err, errlen,
				 "'%s' ends with a comma; separate protocols "
				 "with blanks, as tcp/22 udp/53",
				 tok);
			return -EINVAL;
		}
		if (!port_item(p, e, &s)) {
			snprintf(err, errlen,
				 "'%s' has a bad port '%.*s': ports are 1 to "
				 "65535, ranges LOW-HIGH with LOW <= HIGH",
				 tok, (int)(e - p), p);
			return -EINVAL;
		}
		if (push(v, n, cap, &s))
			return -ENOMEM;
		if (!*e)
			return 0;
	}
}

size_t svc_split(const char *rhs)
{
	const char *p = rhs, *word;
	bool after_comma = true; /* the first word is a name */
	size_t wl;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return strlen(rhs);
		word = p;
		wl = strcspn(p, " \t");
		if (!after_comma) {
			char tok[64];

			snprintf(tok, sizeof(tok), "%.*s", (int)wl, word);
			if (svc_is_spec(tok))
				return (size_t)(word - rhs);
		}
		p += wl;
		after_comma = p[-1] == ',' || (*p && p[strspn(p, " \t")] == ',');
	}
}

void svc_format(struct lw_buf *b, const struct lw_svc *v, size_t n)
{
	size_t i;

	if (!n) {
		buf_puts(b, "every protocol");
		return;
	}
	for (i = 0; i < n; i++) {
		bool same = i && v[i].proto == v[i - 1].proto && v[i].lo &&
			    v[i - 1].lo;

		if (!same)
			buf_printf(b, "%s%s", i ? " " : "",
				   proto_names[v[i].proto]);
		if (v[i].lo)
			buf_printf(b, "%c%u", same ? ',' : '/', v[i].lo);
		if (v[i].hi != v[i].lo)
			buf_printf(b, "-%u", v[i].hi);
	}
}

bool svc_match(const struct lw_svc *v, size_t n, enum lw_proto proto,
	       uint16_t port)
{
	size_t i;

	if (!n)
		return true;
	for (i = 0; i < n; i++) {
		if (v[i].proto != proto)
			continue;
		if (proto == LW_PROTO_ICMP || !v[i].lo ||
		    (port >= v[i].lo && port <= v[i].hi))
			return true;
	}
	return false;
}
