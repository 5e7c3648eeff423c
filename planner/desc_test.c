// SPDX-License-Identifier: MIT
/*
 * Tests for the description parser (desc.c, link.c, alloc.c): a complete
 * description into the model, the line reader's edge cases (indentation,
 * comments, CRLF, BOM, long lines, control characters, lines inih would
 * misread), value errors with their exact line and text, name linking and
 * the policy matrix, and address allocation from the pools.
 */
#include "desc.h"

#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "test.h"

static int parse(struct lw_desc *d, const char *text)
{
	return desc_parse(d, "t.conf", text, strlen(text));
}

/* Whether d holds a diagnostic of sev at line with exactly msg. */
static bool has_diag(const struct lw_desc *d, enum lw_severity sev, int line,
		     const char *msg)
{
	size_t i;

	for (i = 0; i < d->n_diags; i++) {
		if (d->diags[i].severity == sev && d->diags[i].line == line &&
		    !strcmp(d->diags[i].msg, msg))
			return true;
	}
	fprintf(stderr, "  missing %d: %s\n  have:\n", line, msg);
	desc_print_diags(d, stderr);
	return false;
}

static const char *addr_of(const struct lw_desc *d, const char *node,
			   unsigned int fi)
{
	static char out[LW_PREFIX_STRLEN];
	ssize_t i = desc_find_node(d, node);

	if (i < 0)
		return "?";
	addr_format(out, sizeof(out), &d->nodes[i].addr[fi].p);
	return out;
}

static const char star[] =
	"[network]\n"
	"name = star\n"
	"tunnel = 10.9.0.0/16, fd00:9::/64\n"
	"infra-pool = 10.9.0.0/24\n"
	"client-pool = 10.9.9.0/24\n"
	"mtu = 1380\n"
	"\n"
	"[hub router]\n"
	"endpoint = 203.0.113.1:51820\n"
	"[site homelab]\n"
	"gateway = home-gw\n"
	"lan = 192.168.1.0/24, 192.168.2.0/24\n"
	"lan-address = 192.168.1.2\n"
	"return = route\n"
	"[client macbook]\n"
	"group = mobile\n"
	"[client phone]\n"
	"group = mobile\n"
	"address = 10.9.9.7\n"
	"[policy]\n"
	"allow = mobile -> homelab\n"
	"allow = macbook <-> phone\n";

static void test_model(void)
{
	struct lw_desc d;
	ssize_t gw, mac, phone, hub;

	CHECK_EQ(parse(&d, star), 0);
	CHECK_EQ(d.n_errors, 0);
	CHECK(!strcmp(d.net.name, "star"));
	CHECK_EQ(d.net.mtu, 1380);
	CHECK_EQ(d.net.keepalive, LW_DEFAULT_KEEPALIVE);
	CHECK(!strcmp(d.net.iface, "wg0"));
	CHECK_EQ(d.net.tunnel[1].p.family, AF_INET6);
	CHECK_EQ(d.net.tunnel[0].line, 3);
	CHECK_EQ(d.n_nodes, 4);
	CHECK_EQ(d.n_sites, 1);
	CHECK_EQ(d.sites[0].n_lans, 2);
	CHECK_EQ(d.sites[0].lans[1].line, 12);
	CHECK_EQ(d.sites[0].ret, LW_RETURN_ROUTE);
	CHECK_EQ(d.n_groups, 1);
	CHECK_EQ(d.groups[0].n_members, 2);
	gw = desc_find_node(&d, "home-gw");
	CHECK(gw >= 0 && gw == desc_find_node(&d, "homelab"));
	CHECK(gw >= 0 && d.nodes[gw].role == LW_ROLE_GATEWAY);
	hub = desc_find_node(&d, "router");
	mac = desc_find_node(&d, "macbook");
	phone = desc_find_node(&d, "phone");
	CHECK(mac >= 0 && d.nodes[mac].has_hub && d.nodes[mac].hub == (size_t)hub);
	/* Allocation: pools, file order, explicit addresses skipped. */
	CHECK(!strcmp(addr_of(&d, "router", 0), "10.9.0.1"));
	CHECK(!strcmp(addr_of(&d, "home-gw", 0), "10.9.0.2"));
	CHECK(!strcmp(addr_of(&d, "macbook", 0), "10.9.9.1"));
	CHECK(!strcmp(addr_of(&d, "phone", 0), "10.9.9.7"));
	CHECK(!strcmp(addr_of(&d, "router", 1), "fd00:9::1"));
	CHECK(!strcmp(addr_of(&d, "macbook", 1), "fd00:9::3"));
	CHECK(!d.nodes[phone].allocated[0] && d.nodes[phone].allocated[1]);
	/* Policy matrix. */
	CHECK(desc_may_open(&d, mac, gw) && desc_may_open(&d, phone, gw));
	CHECK(!desc_may_open(&d, gw, mac));
	CHECK(desc_talks(&d, gw, mac));
	CHECK(desc_may_open(&d, mac, phone) && desc_may_open(&d, phone, mac));
	CHECK(!desc_talks(&d, hub, mac));
	CHECK(desc_are_peers(&d, hub, mac) && !desc_are_peers(&d, mac, phone));
	CHECK_EQ(check_desc(&d), 0);
	desc_free(&d);
}

static void test_reader(void)
{
	static const char text[] =
		"\xef\xbb\xbf# BOM, then a comment\r\n"
		"  [network]   # indented header\r\n"
		"\ttunnel = 10.1.0.0/16 # hash comment\n"
		"name = x ; semicolon comment\n"
		"; whole-line comment\n"
		"   mtu = 1400\n" /* indented: a key, not a continuation */
		"[hub h]\n"
		"endpoint = h.example:1";
	struct lw_desc d;

	CHECK_EQ(parse(&d, text), 0);
	CHECK_EQ(d.n_errors, 0);
	CHECK_EQ(d.net.line, 2);
	CHECK(d.net.name && !strcmp(d.net.name, "x"));
	CHECK_EQ(d.net.mtu, 1400);
	CHECK_EQ(d.n_nodes, 1);
	CHECK_EQ(d.nodes[0].endpoint.port, 1);
	desc_free(&d);
}

static void test_reader_errors(void)
{
	char text[1024];
	struct lw_desc d;

	snprintf(text, sizeof(text),
		 "[network]\ntunnel = 10.1.0.0/16\nname = %0250d\n"
		 "bare words\n[hub h\nmtu\x01 = 3\n=x\n[client]\n[what x]\n"
		 "[policy x]\n",
		 0);
	CHECK_EQ(parse(&d, text), 0);
	CHECK(has_diag(&d, LW_ERROR, 3, "line is longer than 198 characters"));
	CHECK(has_diag(&d, LW_ERROR, 4,
		       "expected KEY = VALUE or a [section] header"));
	CHECK(has_diag(&d, LW_ERROR, 5,
		       "section header without its closing ']'"));
	CHECK(has_diag(&d, LW_ERROR, 6, "line holds a control character"));
	CHECK(has_diag(&d, LW_ERROR, 7,
		       "expected KEY = VALUE or a [section] header"));
	CHECK(has_diag(&d, LW_ERROR, 8, "[client] needs a name: [client NAME]"));
	CHECK(has_diag(&d, LW_ERROR, 9,
		       "unknown section [what]; sections are [network], [hub "
		       "NAME], [site NAME], [client NAME], [link SITE SITE], "
		       "[policy] and [revoked NAME]"));
	CHECK(has_diag(&d, LW_ERROR, 10, "[policy] takes no name"));
	CHECK(d.syntax_failed);
	desc_free(&d);
	/* A NUL byte inside the text. */
	CHECK_EQ(desc_parse(&d, "t.conf", "[network]\nna\0me = x\n", 20), 0);
	CHECK(has_diag(&d, LW_ERROR, 2, "line holds a control character"));
	desc_free(&d);
	/* Nothing at all. */
	CHECK_EQ(parse(&d, ""), 0);
	CHECK(has_diag(&d, LW_ERROR, 0,
		       "no [network] section; a description starts with "
		       "[network] and tunnel = PREFIX"));
	desc_free(&d);
}

static void test_value_errors(void)
{
	static const char text[] =
		"tunnel = 10.0.0.0/8\n"			 /* 1 */
		"[network]\n"				 /* 2 */
		"tunnel = 10.70.0.1/16, fd00::/64\n"	 /* 3 */
		"tunnel = 10.80.0.0/16, fd01::/64\n"	 /* 4 */
		"mtu = 12x\n"				 /* 5 */
		"mtu = 1280\n"				 /* 6 */
		"interface = this-is-too-long0\n"	 /* 7 */
		"address-prefix = wide\n"		 /* 8 */
		"colour = blue\n"			 /* 9 */
		"[hub z]\n"				 /* 10 */
		"endpoint = [::1:51820\n"		 /* 11 */
		"public-key = abc\n"			 /* 12 */
		"address = 10.70.0.0/24\n"		 /* 13 */
		"[site s]\n"				 /* 14 */
		"lan = 192.168.1.0/24,\n"		 /* 15 */
		"return = bounce\n"			 /* 16 */
		"lan-address = 192.168.1.0/24\n"	 /* 17 */
		"gateway = bad name\n"			 /* 18 */
		"[client c]\n"				 /* 19 */
		"visits = none, s\n"			 /* 20 */
		"group =\n"				 /* 21 */
		"[policy]\n"				 /* 22 */
		"allow = a => b\n"			 /* 23 */
		"allow = a, -> b\n";			 /* 24 */
	struct lw_desc d;

	CHECK_EQ(parse(&d, text), 0);
	CHECK(has_diag(&d, LW_ERROR, 1,
		       "tunnel is outside any section; the description starts "
		       "with [network]"));
	CHECK(has_diag(&d, LW_ERROR, 3,
		       "tunnel 10.70.0.1/16 has host bits set; write "
		       "10.70.0.0/16"));
	CHECK(has_diag(&d, LW_ERROR, 4,
		       "tunnel has a second IPv6 prefix fd01::/64 (first on "
		       "line 3); give one per family"));
	CHECK(has_diag(&d, LW_ERROR, 5,
		       "mtu must be a number from 1 to 65535, not '12x'"));
	CHECK(has_diag(&d, LW_ERROR, 6,
		       "mtu is given twice (first on line 5); keep one"));
	CHECK(has_diag(&d, LW_ERROR, 7,
		       "interface 'this-is-too-long0' is not an interface name "
		       "(1 to 15 of A-Z a-z 0-9 _ = + . -)"));
	CHECK(has_diag(&d, LW_ERROR, 8,
		       "address-prefix must be 'tunnel' or 'host', not 'wide'"));
	CHECK(has_diag(&d, LW_ERROR, 9,
		       "unknown key 'colour' in [network]; known keys: name, "
		       "tunnel, infra-pool, client-pool, mtu, link-mtu, "
		       "keepalive, interface, address-prefix, link-pool, link-port, "
		       "link-interface"));
	CHECK(has_diag(&d, LW_ERROR, 11,
		       "endpoint '[::1:51820' is not HOST:PORT or "
		       "[IPv6]:PORT"));
	CHECK(has_diag(&d, LW_ERROR, 12,
		       "public-key is not a WireGuard key (44 base64 "
		       "characters ending in '=', as wg pubkey prints)"));
	CHECK(has_diag(&d, LW_ERROR, 13,
		       "address '10.70.0.0/24' is not a single address such "
		       "as 10.9.0.2 or fd00:9::2"));
	CHECK(has_diag(&d, LW_ERROR, 15,
		       "lan has an empty item in '192.168.1.0/24,'"));
	CHECK(has_diag(&d, LW_ERROR, 16,
		       "return must be 'route' (the LAN router holds a route "
		       "to the gateway) or 'masquerade', not 'bounce'"));
	CHECK(has_diag(&d, LW_ERROR, 17,
		       "lan-address '192.168.1.0/24' is not a single address "
		       "such as 192.168.1.2 or fd00:1::1"));
	CHECK(has_diag(&d, LW_ERROR, 18,
		       "gateway 'bad name' is not a valid name: use 1 to 32 "
		       "letters, digits, '-' or '_', starting with a letter or "
		       "digit"));
	CHECK(has_diag(&d, LW_ERROR, 20,
		       "visits lists sites and 'none'; use one or the other"));
	CHECK(has_diag(&d, LW_ERROR, 21, "group needs a value"));
	CHECK(has_diag(&d, LW_ERROR, 23,
		       "allow needs FROM -> TO or A <-> B, not 'a => b'"));
	CHECK(has_diag(&d, LW_ERROR, 24, "allow has an empty item in 'a, '"));
	CHECK_EQ(check_desc(&d), d.n_errors); /* semantic checks skipped */
	desc_free(&d);
}

/* lan-address: one address per family, in a list or on two lines. */
static void test_lan_address(void)
{
	static const char text[] =
		"[network]\n"					/* 1 */
		"tunnel = 10.70.0.0/16, fd70::/64\n"		/* 2 */
		"[hub z]\n"					/* 3 */
		"endpoint = 203.0.113.1:51820\n"		/* 4 */
		"[site a]\n"					/* 5 */
		"lan = 192.168.1.0/24, fd01:1:1::/64\n"	/* 6 */
		"lan-address = 192.168.1.1, fd01:1:1::1\n"	/* 7 */
		"[site b]\n"					/* 8 */
		"lan = 192.168.2.0/24, fd02:2:2::/64\n"	/* 9 */
		"lan-address = fd02:2:2::1\n"			/* 10 */
		"lan-address = 192.168.2.1\n"			/* 11 */
		"[site c]\n"					/* 12 */
		"lan = 192.168.3.0/24, fd03:3:3::/64\n"	/* 13 */
		"lan-address = 192.168.3.1, 192.168.3.2\n"	/* 14 */
		"lan-address = fd03:3:3::1\n"			/* 15 */
		"lan-address = fd03:3:3::2\n"			/* 16 */
		"[site d]\n"					/* 17 */
		"lan = 192.168.4.0/24, fd04:4:4::/64\n"	/* 18 */
		"lan-address = 192.168.4.1, fd05:5:5::1\n";	/* 19 */
	char x[LW_PREFIX_STRLEN];
	struct lw_desc d;

	CHECK_EQ(parse(&d, text), 0);
	CHECK_EQ(d.n_sites, 4);
	addr_format(x, sizeof(x), &d.sites[0].lan_address[0].p);
	CHECK(!strcmp(x, "192.168.1.1"));
	addr_format(x, sizeof(x), &d.sites[0].lan_address[1].p);
	CHECK(!strcmp(x, "fd01:1:1::1"));
	CHECK_EQ(d.sites[0].lan_address[1].line, 7);
	addr_format(x, sizeof(x), &d.sites[1].lan_address[0].p);
	CHECK(!strcmp(x, "192.168.2.1"));
	CHECK_EQ(d.sites[1].lan_address[0].line, 11);
	CHECK_EQ(d.sites[1].lan_address[1].line, 10);
	CHECK(has_diag(&d, LW_ERROR, 14,
		       "lan-address has a second IPv4 address 192.168.3.2 "
		       "(first on line 14); give one per family"));
	CHECK(has_diag(&d, LW_ERROR, 16,
		       "lan-address has a second IPv6 address fd03:3:3::2 "
		       "(first on line 15); give one per family"));
	CHECK_EQ(d.n_errors, 2);
	desc_free(&d);

	/* Without the two bad lines: each family's address lies in a LAN of
	 * its own family, d's IPv6 one does not. */
	{
		static const char ok[] =
			"[network]\n"
			"tunnel = 10.70.0.0/16, fd70::/64\n"
			"[hub z]\n"
			"endpoint = 203.0.113.1:51820\n"
			"[site a]\n"
			"lan = 192.168.1.0/24, fd01:1:1::/64\n"
			"lan-address = 192.168.1.1, fd01:1:1::1\n"
			"[site d]\n"
			"lan = 192.168.4.0/24, fd04:4:4::/64\n"
			"lan-address = 192.168.4.1, fd05:5:5::1\n"; /* 10 */

		CHECK_EQ(parse(&d, ok), 0);
		CHECK_EQ(d.n_errors, 0);
		CHECK_EQ(check_desc(&d), 1);
		CHECK(has_diag(&d, LW_ERROR, 10,
			       "lan-address fd05:5:5::1 of site d is not "
			       "inside any of its LANs"));
		desc_free(&d);
	}
}

static void test_alloc(void)
{
	static const char text[] =
		"[network]\ntunnel = 10.0.0.0/29\n"
		"[hub a]\nendpoint = x.example:1\n"
		"[client b]\n[client c]\naddress = 10.0.0.2\n"
		"[client d]\n[client e]\n[client f]\n[client g]\n";
	struct lw_desc d;

	CHECK_EQ(parse(&d, text), 0);
	CHECK(!strcmp(addr_of(&d, "a", 0), "10.0.0.1"));
	CHECK(!strcmp(addr_of(&d, "b", 0), "10.0.0.3"));
	CHECK(!strcmp(addr_of(&d, "d", 0), "10.0.0.4"));
	CHECK(!strcmp(addr_of(&d, "f", 0), "10.0.0.6"));
	/* .7 is the broadcast address of the /29: g gets nothing. */
	CHECK(has_diag(&d, LW_ERROR, 11,
		       "no free address left in tunnel 10.0.0.0/29 for g; "
		       "widen the pool or give g an address"));
	desc_free(&d);
}

static void test_names(void)
{
	CHECK(desc_name_ok("home-gw"));
	CHECK(desc_name_ok("LAN1"));
	CHECK(desc_name_ok("a_b"));
	CHECK(!desc_name_ok("-a"));
	CHECK(!desc_name_ok("a.b"));
	CHECK(!desc_name_ok(""));
	CHECK(!desc_name_ok("a23456789012345678901234567890123"));
	CHECK(desc_iface_ok("wg0"));
	CHECK(!desc_iface_ok("wg 0"));
	CHECK(desc_value_ok("10.0.0.0/8, fd00::/8"));
	CHECK(!desc_value_ok("x # y"));
	CHECK(!desc_value_ok("x\ny"));
	CHECK(!desc_value_ok("[hub z]"));
}

/* The overlay's keys: several hubs with costs, hubs =, public-address,
 * [link A C] with a cost per direction, link-pool/port/interface. */
static void test_overlay_keys(void)
{
	struct lw_desc d;
	const struct lw_node *a, *c, *z2;

	CHECK_EQ(parse(&d, "[network]\ntunnel = 10.70.0.0/16\n"
			   "link-pool = 10.70.255.0/24\nlink-port = 52000\n"
			   "link-interface = lwbd\n"
			   "[hub z1]\nendpoint = 203.0.113.1:51820\n"
			   "[hub z2]\nendpoint = 203.0.113.2:51820\n"
			   "cost = 25\n"
			   "[site A]\nlan = 192.168.1.0/24\nhubs = z2\n"
			   "public-address = 198.51.100.7\n"
			   "[site C]\nlan = 192.168.2.0/24\n"
			   "[link A C]\ncost = 30, 10\n"
			   "[link C A]\n"),
		 0);
	CHECK_EQ(d.n_errors, 0u);
	CHECK_EQ(d.net.link_port, 52000u);
	CHECK(!strcmp(d.net.link_iface, "lwbd"));
	CHECK_EQ(d.net.link_pool.line, 3);
	z2 = &d.nodes[desc_find_node(&d, "z2")];
	CHECK_EQ(z2->cost, 25u);
	CHECK_EQ(z2->cost_line, 10);
	a = &d.nodes[desc_find_node(&d, "A")];
	c = &d.nodes[desc_find_node(&d, "C")];
	CHECK_EQ(a->n_hubs, (size_t)1);
	CHECK(!strcmp(a->hubs[0].name, "z2"));
	CHECK_EQ(a->hubs_line, 13);
	CHECK(a->has_public_address);
	CHECK(!strcmp(a->public_address.host, "198.51.100.7"));
	CHECK(!c->has_public_address && !c->n_hubs && !c->hubs_none);
	CHECK_EQ(d.n_links, (size_t)2);
	CHECK(!strcmp(d.links[0].a, "A") && !strcmp(d.links[0].c, "C"));
	CHECK_EQ(d.links[0].line, 17);
	CHECK_EQ(d.links[0].cost_ac, 30u);
	CHECK_EQ(d.links[0].cost_ca, 10u);
	CHECK_EQ(d.links[1].cost_ac, (unsigned int)LW_DEFAULT_LINK_COST);
	CHECK_EQ(d.links[1].cost_ca, (unsigned int)LW_DEFAULT_LINK_COST);
	desc_free(&d);
	/* Defaults, and an IPv6 public address. */
	CHECK_EQ(parse(&d, "[network]\ntunnel = 10.70.0.0/16\n"
			   "[site A]\nlan = 192.168.1.0/24\nhubs = none\n"
			   "public-address = 2001:db8::7\n"),
		 0);
	CHECK_EQ(d.n_errors, 0u);
	CHECK_EQ(d.net.link_port, (unsigned int)LW_DEFAULT_LINK_PORT);
	CHECK(!strcmp(d.net.link_iface, LW_DEFAULT_LINK_IFACE));
	CHECK(d.nodes[0].hubs_none);
	CHECK(d.nodes[0].public_address.is_literal);
	desc_free(&d);
	/* Errors, each on its line. */
	CHECK_EQ(parse(&d, "[network]\ntunnel = 10.70.0.0/16\n"
			   "[link A]\n[link A B C]\n[link A bad.name]\n"
			   "[link A B]\ncost = 7, x\ncost = 3\n"
			   "[link B A]\ncolour = red\n"),
		 0);
	CHECK(has_diag(&d, LW_ERROR, 3,
		       "[link] names two sites: [link SITE SITE]"));
	CHECK(has_diag(&d, LW_ERROR, 4,
		       "[link] names two sites: [link SITE SITE]"));
	CHECK(has_diag(&d, LW_ERROR, 5,
		       "link's site 'bad.name' is not a valid name: use 1 to "
		       "32 letters, digits, '-' or '_', starting with a "
		       "letter or digit"));
	CHECK(has_diag(&d, LW_ERROR, 7,
		       "cost must be N (both directions) or N, M (A -> B, "
		       "B -> A), numbers from 1 to 65535, not '7, x'"));
	CHECK(has_diag(&d, LW_ERROR, 8,
		       "cost is given twice (first on line 7); keep one"));
	CHECK(has_diag(&d, LW_ERROR, 10,
		       "unknown key 'colour' in [link B A]; known keys: cost"));
	desc_free(&d);
}

int main(void)
{
	test_model();
	test_reader();
	test_reader_errors();
	test_value_errors();
	test_lan_address();
	test_alloc();
	test_names();
	test_overlay_keys();
	return test_finish("planner_desc");
}
