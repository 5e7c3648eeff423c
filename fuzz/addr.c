// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of the planner's address text (planner/addr.c): the
 * input, cut at its first NUL, is offered to prefix_parse() (strict and
 * with host bits allowed), addr_parse() and lw_endpoint_parse(), as the
 * description parser and lanwire's options do. Besides the sanitizers'
 * findings it traps when a promise breaks: a refused text leaves its
 * result zeroed; strict parsing refuses exactly the prefixes with host
 * bits (-EDOM), which lenient parsing truncates, and the two agree
 * otherwise; every accepted
 * prefix, address and endpoint formats to text that parses back to the
 * same value; the private block found for a prefix contains it; and a
 * literal endpoint is one lanwired's own endpoint parser (UAPI) accepts
 * with the same address and port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "endpoint.h"

/* Longer than any address, prefix or endpoint the parsers accept. */
#define MAX_TEXT 512

static bool is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

static bool has_host_bits(const struct lw_prefix *p)
{
	struct lw_prefix t = *p;

	prefix_truncate(&t, p->len);
	return !prefix_equal(&t, p);
}

/* An accepted prefix is well formed and survives format + parse. */
static void check_prefix_value(const struct lw_prefix *p)
{
	char text[LW_PREFIX_STRLEN];
	struct lw_prefix back, block;

	if ((p->family != AF_INET && p->family != AF_INET6) ||
	    p->len > family_bits(p->family))
		__builtin_trap();
	prefix_format(text, sizeof(text), p);
	if (prefix_parse(&back, text, true) || !prefix_equal(&back, p))
		__builtin_trap();
	prefix_format_nft(text, sizeof(text), p);
	if (prefix_parse(&back, text, true) || !prefix_equal(&back, p))
		__builtin_trap();
	if (!prefix_contains(p, p) || !prefix_overlaps(p, p) ||
	    prefix_cmp(p, p))
		__builtin_trap();
	if (prefix_private_block(p, &block) && !prefix_contains(&block, p))
		__builtin_trap();
}

static void check_prefix(const char *s)
{
	struct lw_prefix strict, lenient, host;
	int rs = prefix_parse(&strict, s, false);
	int rl = prefix_parse(&lenient, s, true);

	if (rl) {
		/* Both refuse, and leave their result zeroed. */
		if (rs != rl || !is_zero(&strict, sizeof(strict)) ||
		    !is_zero(&lenient, sizeof(lenient)))
			__builtin_trap();
		return;
	}
	/* Lenient parsing drops host bits; strict parsing refuses them
	 * with -EDOM and hands back the text's value for the message. */
	check_prefix_value(&lenient);
	if (has_host_bits(&lenient))
		__builtin_trap();
	if (rs == -EDOM) {
		if (!has_host_bits(&strict))
			__builtin_trap();
		prefix_truncate(&strict, strict.len);
	} else if (rs) {
		__builtin_trap();
	}
	if (!prefix_equal(&strict, &lenient))
		__builtin_trap();
	/* The pool helpers on whatever came out. */
	host = lenient;
	host.len = (uint8_t)family_bits(host.family);
	(void)addr_is_reserved_in(&host, &lenient);
	if (addr_next(&host) && !prefix_is_host(&host))
		__builtin_trap();
}

static void check_addr(const char *s)
{
	struct lw_prefix a, p;

	if (addr_parse(&a, s)) {
		if (!is_zero(&a, sizeof(a)))
			__builtin_trap();
		return;
	}
	if (!prefix_is_host(&a))
		__builtin_trap();
	/* A bare address is also a host prefix. */
	if (prefix_parse(&p, s, false) || !prefix_equal(&p, &a))
		__builtin_trap();
	check_prefix_value(&a);
}

/* lanwired reads Endpoint= as wg writes it: the same literal must do. */
static void check_daemon_agrees(const struct lw_endpoint *ep,
				const char *text)
{
	struct endpoint d;

	if (endpoint_parse(&d, text, strlen(text)))
		__builtin_trap();
	if (d.sa.sa_family != ep->addr.family)
		__builtin_trap();
	if (ep->addr.family == AF_INET &&
	    (memcmp(&d.in.sin_addr, ep->addr.addr, 4) ||
	     ntohs(d.in.sin_port) != ep->port))
		__builtin_trap();
	if (ep->addr.family == AF_INET6 &&
	    (memcmp(&d.in6.sin6_addr, ep->addr.addr, 16) ||
	     ntohs(d.in6.sin6_port) != ep->port))
		__builtin_trap();
}

static void check_endpoint(const char *s)
{
	char text[LW_HOST_MAX + 16];
	struct lw_endpoint ep, back;

	if (lw_endpoint_parse(&ep, s)) {
		if (!is_zero(&ep, sizeof(ep)))
			__builtin_trap();
		return;
	}
	if (!ep.port || strlen(ep.host) > LW_HOST_MAX || !ep.host[0])
		__builtin_trap();
	if (ep.is_literal != (ep.addr.family != 0) ||
	    (ep.is_literal && !prefix_is_host(&ep.addr)))
		__builtin_trap();
	lw_endpoint_format(text, sizeof(text), &ep);
	if (lw_endpoint_parse(&back, text) || memcmp(&back, &ep, sizeof(ep)))
		__builtin_trap();
	if (ep.is_literal)
		check_daemon_agrees(&ep, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAX_TEXT + 1];

	if (size > MAX_TEXT)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_prefix(s);
	check_addr(s);
	check_endpoint(s);
	return 0;
}
