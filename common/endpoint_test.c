// SPDX-License-Identifier: MIT
/*
 * Tests of the endpoint text form (endpoint.c): numbered table cases of
 * good endpoints that print back as given, of bad ones refused with *ep
 * untouched, and of IPv6 zones: an interface name of this namespace ("lo")
 * or a number gives its scope id and prints back as given; a scope id
 * learned from a packet (no zone text) prints as its interface's name.
 */
#include "endpoint.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "test.h"

static bool formats_as(const struct endpoint *ep, const char *text)
{
	char buf[ENDPOINT_STR_MAX];

	endpoint_format(buf, sizeof(buf), ep);
	if (strcmp(buf, text))
		fprintf(stderr, "  formatted \"%s\", expected \"%s\"\n", buf,
			text);
	return !strcmp(buf, text);
}

static int parse(struct endpoint *ep, const char *s)
{
	return endpoint_parse(ep, s, strlen(s));
}

static void test_roundtrip(void)
{
	static const char *const good[] = {
		/* 1 */ "192.0.2.1:51820",
		/* 2 */ "0.0.0.0:0",
		/* 3 */ "255.255.255.255:65535",
		/* 4 */ "[2001:db8::1]:51820",
		/* 5 */ "[::]:0",
		/* 6 */ "[::1]:1",
		/* 7 */ "[::ffff:192.0.2.1]:443",
		/* 8 */ "[2001:db8:1:2:3:4:5:6]:65535",
		/* 9 */ "[fe80::1%lo]:51820",
		/* 10 */ "[fe80::1%4000000000]:51820",
		/* 11 */ "[2001:db8::1%lo]:5",
		/* 12 */ "[fe80::1%0]:1",
		/* 13 */ "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535",
	};
	struct endpoint ep;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (parse(&ep, good[i]))
			fprintf(stderr, "good case %zu refused\n", i + 1);
		CHECK(formats_as(&ep, good[i]));
	}
	CHECK_EQ(parse(&ep, "[2001:DB8::A]:0080"), 0);
	CHECK(formats_as(&ep, "[2001:db8::a]:80"));
	/* the length bounds the parse, not a NUL */
	CHECK_EQ(endpoint_parse(&ep, "10.0.0.1:5xyz", 10), 0);
	CHECK(formats_as(&ep, "10.0.0.1:5"));
	memset(&ep, 0, sizeof(ep));
	CHECK(formats_as(&ep, ""));
}

static void test_bad(void)
{
	static const char *const bad[] = {
		/* 1 */ "",
		/* 2 */ "2001:db8::1:51820",
		/* 3 */ "::1:51820",
		/* 4 */ "192.0.2.1",
		/* 5 */ "192.0.2.1:",
		/* 6 */ "192.0.2.1:65536",
		/* 7 */ "192.0.2.1:-1",
		/* 8 */ "192.0.2.1:+1",
		/* 9 */ "[2001:db8::1]",
		/* 10 */ "[2001:db8::1]:",
		/* 11 */ "[2001:db8::1]51820",
		/* 12 */ "[192.0.2.1]:51820",
		/* 13 */ "example.com:51820",
		/* 14 */ "[fe80::1%]:51820",
		/* 15 */ "[fe80::1%lwkynosuch0]:51820",
		/* 16 */ "[fe80::1%4294967296]:51820",
		/* 17 */ "[fe80::1%-1]:51820",
		/* 18 */ "[fe80::1%0123456789abcdef]:51820",
		/* 19 */ "[fe80::1%lo%lo]:51820",
		/* 20 */ "[%lo]:51820",
		/* 21 */ "192.0.2.1%lo:51820",
		/* 22 */ "[fe80::1%lo ]:51820",
		/* 23 */ "[fe80::1%1]]:51820",
	};
	struct endpoint ep;

	CHECK_EQ(parse(&ep, "[2001:db8::a]:80"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(&ep, bad[i]);

		if (ret != -EINVAL)
			fprintf(stderr, "bad case %zu: %d\n", i + 1, ret);
		CHECK_EQ(ret, -EINVAL);
	}
	/* a refused endpoint leaves the old one alone */
	CHECK(formats_as(&ep, "[2001:db8::a]:80"));
	/* a NUL inside does not end the text early */
	CHECK_EQ(endpoint_parse(&ep, "10.0.0.1\0:5", 11), -EINVAL);
	CHECK_EQ(endpoint_parse(&ep, "[fe80::1%lo\0]:5", 15), -EINVAL);
}

static void test_zone_scope_id(void)
{
	unsigned int lo = if_nametoindex("lo");
	struct endpoint ep;

	CHECK(lo != 0);
	CHECK_EQ(parse(&ep, "[fe80::1%lo]:51820"), 0);
	CHECK_EQ(ep.in6.sin6_scope_id, lo);
	CHECK(!strcmp(ep.zone, "lo"));
	CHECK_EQ(parse(&ep, "[fe80::1%7]:51820"), 0);
	CHECK_EQ(ep.in6.sin6_scope_id, 7);
	CHECK_EQ(parse(&ep, "[fe80::1%007]:51820"), 0);
	CHECK_EQ(ep.in6.sin6_scope_id, 7);
	CHECK(formats_as(&ep, "[fe80::1%007]:51820"));
	CHECK_EQ(parse(&ep, "[fe80::1]:51820"), 0);
	CHECK_EQ(ep.in6.sin6_scope_id, 0);
	CHECK(!ep.zone[0]);

	/* learned from a packet: a scope id without zone text prints as
	 * the interface's name, or as the number when there is none */
	memset(&ep, 0, sizeof(ep));
	ep.in6.sin6_family = AF_INET6;
	ep.in6.sin6_port = htons(9);
	ep.in6.sin6_addr.s6_addr[0] = 0xfe;
	ep.in6.sin6_addr.s6_addr[1] = 0x80;
	ep.in6.sin6_addr.s6_addr[15] = 2;
	ep.in6.sin6_scope_id = lo;
	CHECK(formats_as(&ep, "[fe80::2%lo]:9"));
	ep.in6.sin6_scope_id = 4000000000u;
	CHECK(formats_as(&ep, "[fe80::2%4000000000]:9"));
	/* the longest form fits ENDPOINT_STR_MAX */
	memset(&ep.in6.sin6_addr, 0xff, sizeof(ep.in6.sin6_addr));
	ep.in6.sin6_port = htons(65535);
	memcpy(ep.zone, "abcdefghijklmno", IFNAMSIZ);
	CHECK(formats_as(&ep, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%"
			      "abcdefghijklmno]:65535"));
}

int main(void)
{
	test_roundtrip();
	test_bad();
	test_zone_scope_id();
	return test_finish("endpoint");
}
