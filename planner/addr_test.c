// SPDX-License-Identifier: MIT
/*
 * Tests for addr.c: prefix and address parsing as table cases (accepted
 * text and its canonical form, refused text, host bits), containment and
 * overlap at the edges, allocation helpers, the private blocks, and
 * endpoints.
 */
#include "addr.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "test.h"

static void check_prefix(const char *in, int want, const char *canonical)
{
	char out[LW_PREFIX_STRLEN];
	struct lw_prefix p;
	int r = prefix_parse(&p, in, false);

	CHECK_EQ(r, want);
	if (r != want)
		fprintf(stderr, "  prefix_parse(\"%s\") = %d\n", in, r);
	if (r || !canonical)
		return;
	prefix_format(out, sizeof(out), &p);
	CHECK(!strcmp(out, canonical));
	if (strcmp(out, canonical))
		fprintf(stderr, "  %s formats as %s, not %s\n", in, out,
			canonical);
}

static void test_parse(void)
{
	check_prefix("10.70.0.0/16", 0, "10.70.0.0/16");
	check_prefix("0.0.0.0/0", 0, "0.0.0.0/0");
	check_prefix("10.0.0.1", 0, "10.0.0.1/32");
	check_prefix("192.168.1.255/32", 0, "192.168.1.255/32");
	check_prefix("fd00:9::/64", 0, "fd00:9::/64");
	check_prefix("FD00:0009:0::/48", 0, "fd00:9::/48");
	check_prefix("::/0", 0, "::/0");
	check_prefix("10.70.0.1/16", -EDOM, NULL);
	check_prefix("fd00::1/64", -EDOM, NULL);
	check_prefix("10.70.0.0/33", -EINVAL, NULL);
	check_prefix("10.70.0.0/016", -EINVAL, NULL);
	check_prefix("10.70.0.0/", -EINVAL, NULL);
	check_prefix("10.70.0.0/16x", -EINVAL, NULL);
	check_prefix("10.70.0.0 /16", -EINVAL, NULL);
	check_prefix("/16", -EINVAL, NULL);
	check_prefix("10.70.0/16", -EINVAL, NULL);
	check_prefix("10.70.0.256/32", -EINVAL, NULL);
	check_prefix("fd00::/129", -EINVAL, NULL);
	check_prefix("", -EINVAL, NULL);
	check_prefix("host.example/24", -EINVAL, NULL);
}

static struct lw_prefix P(const char *s)
{
	struct lw_prefix p;

	if (prefix_parse(&p, s, true))
		fprintf(stderr, "bad test prefix %s\n", s);
	return p;
}

static void test_contains(void)
{
	struct lw_prefix a = P("192.168.0.0/16"), b = P("192.168.200.0/24");
	struct lw_prefix c = P("192.168.201.0/24"), v6 = P("fd00::/8");
	struct lw_prefix any = P("0.0.0.0/0");

	CHECK(prefix_contains(&a, &b));
	CHECK(!prefix_contains(&b, &a));
	CHECK(prefix_contains(&b, &b));
	CHECK(!prefix_contains(&b, &c));
	CHECK(!prefix_overlaps(&b, &c));
	CHECK(prefix_overlaps(&a, &c) && prefix_overlaps(&c, &a));
	CHECK(prefix_contains(&any, &a));
	CHECK(!prefix_contains(&any, &v6)); /* families never mix */
	CHECK(!prefix_overlaps(&v6, &a));
	/* /23 covers .200 and .201, /24 of .202 does not overlap it */
	a = P("192.168.200.0/23");
	b = P("192.168.202.0/24");
	CHECK(prefix_contains(&a, &c));
	CHECK(!prefix_overlaps(&a, &b));
	a = P("10.0.0.0/8");
	prefix_truncate(&c, 12);
	CHECK_EQ(c.len, 12);
	CHECK(c.addr[0] == 192 && c.addr[1] == 160 && c.addr[2] == 0);
	CHECK(prefix_cmp(&a, &c) < 0 && prefix_cmp(&c, &a) > 0);
	CHECK_EQ(prefix_cmp(&a, &a), 0);
}

static void test_alloc_helpers(void)
{
	struct lw_prefix pool = P("10.9.9.0/24"), a;
	char out[LW_PREFIX_STRLEN];

	a = P("10.9.9.0");
	CHECK(addr_is_reserved_in(&a, &pool));
	a = P("10.9.9.255");
	CHECK(addr_is_reserved_in(&a, &pool));
	a = P("10.9.9.1");
	CHECK(!addr_is_reserved_in(&a, &pool));
	pool = P("10.9.9.0/31");
	a = P("10.9.9.0");
	CHECK(!addr_is_reserved_in(&a, &pool));
	pool = P("fd00::/64");
	a = P("fd00::");
	CHECK(addr_is_reserved_in(&a, &pool));
	a = P("fd00::ffff:ffff:ffff:ffff");
	CHECK(!addr_is_reserved_in(&a, &pool)); /* no broadcast in v6 */
	a = P("10.0.0.255");
	CHECK(addr_next(&a));
	addr_format(out, sizeof(out), &a);
	CHECK(!strcmp(out, "10.0.1.0"));
	a = P("255.255.255.255");
	CHECK(!addr_next(&a));
	a = P("fd00::ffff");
	CHECK(addr_next(&a));
	addr_format(out, sizeof(out), &a);
	CHECK(!strcmp(out, "fd00::1:0"));
}

static void test_private(void)
{
	struct lw_prefix block, p;
	char out[LW_PREFIX_STRLEN];

	p = P("172.19.50.0/24");
	CHECK(prefix_private_block(&p, &block));
	prefix_format(out, sizeof(out), &block);
	CHECK(!strcmp(out, "172.16.0.0/12"));
	p = P("192.168.200.0/24");
	CHECK(prefix_private_block(&p, &block) && block.len == 16);
	p = P("100.64.3.0/24");
	CHECK(prefix_private_block(&p, &block) && block.len == 10);
	p = P("fd12:3456::/64"); /* ULA: its own /48 */
	CHECK(prefix_private_block(&p, &block));
	prefix_format(out, sizeof(out), &block);
	CHECK(!strcmp(out, "fd12:3456::/48"));
	p = P("fd12::/40");
	CHECK(prefix_private_block(&p, &block) && block.len == 7);
	p = P("203.0.113.0/24");
	CHECK(!prefix_private_block(&p, &block));
	p = P("172.32.0.0/16"); /* just past 172.16.0.0/12 */
	CHECK(!prefix_private_block(&p, &block));
	p = P("10.0.0.0/7");
	CHECK(!prefix_private_block(&p, &block));
}

static void check_endpoint(const char *in, int want, const char *host,
			   unsigned int port, bool literal, const char *back)
{
	struct lw_endpoint ep;
	char out[LW_HOST_MAX + 16];
	int r = lw_endpoint_parse(&ep, in);

	CHECK_EQ(r, want);
	if (r != want)
		fprintf(stderr, "  lw_endpoint_parse(\"%s\") = %d\n", in, r);
	if (r)
		return;
	CHECK(!strcmp(ep.host, host));
	CHECK_EQ(ep.port, port);
	CHECK_EQ(ep.is_literal, literal);
	lw_endpoint_format(out, sizeof(out), &ep);
	CHECK(!strcmp(out, back));
}

static void test_endpoints(void)
{
	check_endpoint("39.101.166.124:51820", 0, "39.101.166.124", 51820, true,
		       "39.101.166.124:51820");
	check_endpoint("[2001:db8::1]:443", 0, "2001:db8::1", 443, true,
		       "[2001:db8::1]:443");
	check_endpoint("hub.example.net:51820", 0, "hub.example.net", 51820,
		       false, "hub.example.net:51820");
	check_endpoint("2001:db8::1:443", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("[10.0.0.1]:443", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("10.0.0.1", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("10.0.0.1:0", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("10.0.0.1:65536", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("10.0.0.1:+1", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("10.0.0.300:51820", -EINVAL, NULL, 0, false, NULL);
	check_endpoint(":51820", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("a b:1", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("-x:1", -EINVAL, NULL, 0, false, NULL);
	check_endpoint("[fe80::1%eth0]:1", -EINVAL, NULL, 0, false, NULL);
}

int main(void)
{
	test_parse();
	test_contains();
	test_alloc_helpers();
	test_private();
	test_endpoints();
	return test_finish("planner_addr");
}
