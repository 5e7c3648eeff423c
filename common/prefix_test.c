// SPDX-License-Identifier: MIT
/*
 * Tests for prefix.c: random prefixes of both families printed by
 * inet_ntop and parsed back, against a naive reference of host-bit
 * clearing (a 32-bit mask for IPv4, whole bytes then one partial byte for
 * IPv6); a table of texts either program must refuse; -EDOM with the
 * address as written; prefix_parse_n on bytes that are not a C string.
 */
#include "prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "test.h"

static void naive_mask(uint8_t family, uint8_t addr[16], unsigned int len)
{
	if (family == AF_INET) {
		uint32_t a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
			     (uint32_t)addr[2] << 8 | addr[3];
		uint32_t m = len ? ~0u << (32 - len) : 0;

		a &= m;
		for (int i = 0; i < 4; i++)
			addr[i] = (uint8_t)(a >> (24 - 8 * i));
		return;
	}
	for (unsigned int i = 0; i < 16; i++) {
		if (8 * i >= len)
			addr[i] = 0;
		else if (8 * (i + 1) > len)
			addr[i] &= (uint8_t)(0xff00u >> (len - 8 * i));
	}
}

static void test_random(void)
{
	unsigned int round, bad = 0;

	srand(7);
	for (round = 0; round < 20000; round++) {
		uint8_t family = round & 1 ? AF_INET6 : AF_INET, want[16] = { 0 };
		unsigned int bits = family == AF_INET6 ? 128 : 32;
		unsigned int len = (unsigned int)rand() % (bits + 1);
		char a[INET6_ADDRSTRLEN], text[LW_PREFIX_STRLEN], back[LW_PREFIX_STRLEN];
		struct lw_prefix p;
		int ret;

		for (unsigned int i = 0; i < bits / 8; i++)
			want[i] = (uint8_t)rand();
		inet_ntop(family, want, a, sizeof(a));
		snprintf(text, sizeof(text), "%s/%u", a, len);
		naive_mask(family, want, len);
		ret = prefix_parse(&p, text, true);
		bad += ret != 0 || p.family != family || p.len != len ||
		       memcmp(p.addr, want, 16);
		/* Strict: refused exactly when host bits were set. */
		ret = prefix_parse(&p, text, false);
		inet_ntop(family, want, a, sizeof(a));
		snprintf(back, sizeof(back), "%s/%u", a, len);
		bad += (ret == 0) != !strcmp(back, text);
		bad += ret != 0 && ret != -EDOM;
		/* Formatting gives the masked text back. */
		prefix_parse(&p, text, true);
		prefix_format(text, sizeof(text), &p);
		bad += !!strcmp(text, back);
	}
	CHECK_EQ(bad, 0);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"", "/24", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/024",
		"10.0.0.0/+8", "10.0.0.0/ 8", " 10.0.0.0/8", "10.0.0.0/8 ",
		"10.0.0.0 /8", "10.0.0.0/8x", "10.0.0/8", "10.0.0.256/32",
		"010.0.0.0/8", "10.0.0.0/8/8", "::/129", "::1/0128",
		"[::1]/128", "fe80::1%eth0/64", "10.0.0.0/-1", "1.2.3.4.5/32",
		"::ffff:1.2.3.4/1000", "abc", "10.0.0.0/8\n",
	};
	struct lw_prefix p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0xa5, sizeof(p));
		if (prefix_parse(&p, bad[i], true) != -EINVAL) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
			CHECK(0);
		}
		CHECK(!p.family && !p.len);
	}
}

static void test_edom_and_lengths(void)
{
	struct lw_prefix p;
	char buf[LW_PREFIX_STRLEN];

	CHECK_EQ(prefix_parse(&p, "10.1.2.3/16", false), -EDOM);
	addr_format(buf, sizeof(buf), &p);
	CHECK(!strcmp(buf, "10.1.2.3"));
	CHECK_EQ(p.len, 16);
	CHECK_EQ(prefix_parse(&p, "10.1.2.3", false), 0);
	CHECK_EQ(p.len, 32);
	CHECK_EQ(addr_parse(&p, "10.1.2.3/32"), -EINVAL);
	CHECK_EQ(addr_parse(&p, "2001:db8::1"), 0);
	CHECK_EQ(p.len, 128);
	/* Exactly len bytes: what follows is not read; a NUL is refused. */
	CHECK_EQ(prefix_parse_n(&p, "10.0.0.0/8junk", 10, false), 0);
	CHECK_EQ(p.len, 8);
	CHECK_EQ(prefix_parse_n(&p, "10.0.0.0/8", 9, false), -EINVAL);
	CHECK_EQ(prefix_parse_n(&p, "10.0.0.0\0/8", 11, false), -EINVAL);
	CHECK_EQ(prefix_parse_n(&p, "10.0.0.0/8\0", 11, false), -EINVAL);
	CHECK_EQ(prefix_parse_n(&p, "", 0, false), -EINVAL);
}

int main(void)
{
	test_random();
	test_refused();
	test_edom_and_lengths();
	return test_finish("common_prefix");
}
