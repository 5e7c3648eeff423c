// SPDX-License-Identifier: MIT
/*
 * Tests for routes.c: AllowedIPs per role (hub relay, gateway pools, client
 * summary), two hubs relaying for each other, and the client summary as
 * numbered cases: seed 001 (192.168.0.0/16), a LAN the client may not reach
 * narrowing the summary, a hub endpoint inside the block, a LAN in public
 * space, a sibling that leaves no room, visits = none, IPv6 ULA.
 */
#include "routes.h"

#include <string.h>

#include "check.h"
#include "desc.h"
#include "test.h"

/* "a, b, c" of a list. */
static const char *list_text(const struct lw_plist *l)
{
	static char out[1024];
	char p[LW_PREFIX_STRLEN];
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < l->n && off < sizeof(out); i++) {
		prefix_format(p, sizeof(p), &l->v[i]);
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s",
					i ? ", " : "", p);
	}
	return out;
}

static void expect_allowed(const struct lw_desc *d, const char *self,
			   const char *peer, const char *want)
{
	struct lw_plist l = { 0 };
	ssize_t a = desc_find_node(d, self), b = desc_find_node(d, peer);

	CHECK(a >= 0 && b >= 0);
	if (a < 0 || b < 0)
		return;
	CHECK_EQ(routes_allowed_ips(d, a, b, &l), 0);
	CHECK(!strcmp(list_text(&l), want));
	if (strcmp(list_text(&l), want))
		fprintf(stderr, "  %s -> %s: %s, want %s\n", self, peer,
			list_text(&l), want);
	plist_free(&l);
}

static int parse(struct lw_desc *d, const char *text)
{
	int r = desc_parse(d, "t.conf", text, strlen(text));

	if (!r)
		check_desc(d);
	if (d->n_errors)
		desc_print_diags(d, stderr);
	return r || d->n_errors;
}

static const char two_hubs[] =
	"[network]\ntunnel = 10.9.0.0/16\ninfra-pool = 10.9.0.0/24\n"
	"client-pool = 10.9.9.0/24\n"
	"[hub east]\nendpoint = 198.51.100.1:51820\n"
	"[hub west]\nendpoint = 198.51.100.2:51820\n"
	"[site home]\nlan = 192.168.1.0/24\nreturn = masquerade\n"
	"[site office]\nhub = west\nlan = 172.19.50.0/24\n"
	"[client phone]\ngroup = mobile\n"
	"[client laptop]\ngroup = mobile\nhub = west\n"
	"[policy]\nallow = mobile -> home, office\n";

static void test_roles(void)
{
	struct lw_desc d;

	CHECK_EQ(parse(&d, two_hubs), 0);
	/* Hubs: own spokes exactly; the other hub with all of its spokes. */
	expect_allowed(&d, "east", "home", "10.9.0.3/32, 192.168.1.0/24");
	expect_allowed(&d, "east", "phone", "10.9.9.1/32");
	expect_allowed(&d, "east", "west",
		       "10.9.0.2/32, 10.9.0.4/32, 172.19.50.0/24, "
		       "10.9.9.2/32");
	expect_allowed(&d, "west", "east",
		       "10.9.0.1/32, 10.9.0.3/32, 192.168.1.0/24, "
		       "10.9.9.1/32");
	/* Gateways: the pool of the clients they talk with. */
	expect_allowed(&d, "home", "east", "10.9.9.0/24");
	expect_allowed(&d, "office", "west", "10.9.9.0/24");
	/* Clients: tunnel and the LANs, summarised. */
	expect_allowed(&d, "phone", "east",
		       "10.9.0.0/16, 192.168.0.0/23, 172.19.50.0/23");
	desc_free(&d);
}

struct summary_case {
	int num;
	const char *sites;   /* [site] sections and extra keys */
	const char *client;  /* keys of [client e] */
	const char *policy;  /* allow lines */
	const char *want;    /* routes after the tunnel */
	int conflict;	     /* 0, or 1: no wider route fits */
};

static const struct summary_case cases[] = {
	/* 1: seed 001, both LANs under 192.168.200.0/23, the narrowest */
	{ 1,
	  "[site LAN1]\nlan = 192.168.201.0/24\n"
	  "[site LAN2]\nlan = 192.168.200.0/24\n",
	  "", "allow = e -> LAN1, LAN2\n", "192.168.200.0/23", 0 },
	/* 2: LAN3 is not e's and stays outside the summary */
	{ 2,
	  "[site LAN1]\nlan = 192.168.201.0/24\n"
	  "[site LAN3]\nlan = 192.168.1.0/24\n",
	  "", "allow = e -> LAN1\n", "192.168.200.0/23", 0 },
	/* 3: a sibling /24 e may not reach leaves no wider route */
	{ 3,
	  "[site LAN1]\nlan = 192.168.200.0/24\n"
	  "[site LAN3]\nlan = 192.168.201.0/24\n",
	  "", "allow = e -> LAN1\n", "192.168.200.0/24", 1 },
	/* 4: a LAN in public space cannot be summarised */
	{ 4, "[site pub]\nlan = 198.51.100.0/24\n", "",
	  "allow = e -> pub\n", "198.51.100.0/24", 1 },
	/* 5: ...unless e never sits there */
	{ 5, "[site pub]\nlan = 198.51.100.0/24\n", "visits = none\n",
	  "allow = e -> pub\n", "198.51.100.0/24", 0 },
	/* 6: visits names one site: only that LAN is summarised */
	{ 6,
	  "[site LAN1]\nlan = 192.168.201.0/24\n"
	  "[site off]\nlan = 172.19.50.0/24\n",
	  "visits = off\n", "allow = e -> LAN1, off\n",
	  "192.168.201.0/24, 172.19.50.0/23", 0 },
	/* 7: an HQ /16 in 10/8 is 10.10.0.0/15, never 10.0.0.0/8 */
	{ 7, "[site hq]\nlan = 10.10.0.0/16\n", "", "allow = e -> hq\n",
	  "10.10.0.0/15", 0 },
	/* 8: a LAN that fills its private block: no wider route fits */
	{ 8, "[site big]\nlan = 172.16.0.0/12\n", "", "allow = big -> e\n",
	  "172.16.0.0/12", 1 },
	/* 9: IPv6 ULA summarises within its /48 */
	{ 9, "[site v6]\nlan = fd12:3456:789a:1::/64\n", "",
	  "allow = e -> v6\n", "fd12:3456:789a::/63", 0 },
	/* 10: a site e may only be reached from still gets routes */
	{ 10, "[site LAN1]\nlan = 192.168.201.0/24\n", "",
	  "allow = LAN1 -> e\n", "192.168.200.0/23", 0 },
	/* 11: the hub's endpoint next to the LAN blocks the summary */
	{ 11, "[site a]\nlan = 10.200.1.0/24\n", "", "allow = e -> a\n",
	  "10.200.1.0/24", 1 },
	/* 12: a contractor reaching one host of a site it never visits
	 * gets a host route, not the LAN */
	{ 12,
	  "[site b2]\nlan = 192.168.20.0/24, fd20:1:2:3::/64\n"
	  "host = srv 192.168.20.5\n",
	  "visits = none\n",
	  "allow = e -> b2:srv, b2:fd20:1:2:3::5 tcp/22\n",
	  "192.168.20.5/32, fd20:1:2:3::5/128", 0 },
	/* 13: ...but where it may sit, the LAN's summary (a host route
	 * would beat the on-link route on site) */
	{ 13,
	  "[site b2]\nlan = 192.168.20.0/24\n", "",
	  "allow = e -> b2:192.168.20.5\n", "192.168.20.0/23", 0 },
	/* 14: a ULA /48 LAN fills its own block */
	{ 14, "[site v6]\nlan = fd12:3456:789a::/48\n", "",
	  "allow = e -> v6\n", "fd12:3456:789a::/48", 1 },
	/* 15: only the gateway's own service: no LAN route */
	{ 15, "[site a]\nlan = 192.168.5.0/24\nssh = e\n", "", "",
	  "", 0 },
};

static void run_case(const struct summary_case *c)
{
	char text[2048];
	struct lw_plist l = { 0 };
	struct lw_conflict conflict;
	struct lw_desc d;
	ssize_t e;
	int r;

	snprintf(text, sizeof(text),
		 "[network]\ntunnel = 100.64.0.0/16, fd00:64::/64\n"
		 "[hub z]\nendpoint = 10.200.0.1:51820\n%s"
		 "[client e]\n%s[policy]\n%s",
		 c->sites, c->client, c->policy);
	desc_parse(&d, "t.conf", text, strlen(text));
	e = desc_find_node(&d, "e");
	CHECK(e >= 0 && !d.n_errors);
	if (e < 0 || d.n_errors) {
		desc_print_diags(&d, stderr);
		desc_free(&d);
		return;
	}
	r = routes_client_summary(&d, e, &l, &conflict);
	CHECK_EQ(r, c->conflict);
	CHECK(!strcmp(list_text(&l), c->want));
	if (r != c->conflict || strcmp(list_text(&l), c->want))
		fprintf(stderr, "  case %d: %d %s, want %d %s\n", c->num, r,
			list_text(&l), c->conflict, c->want);
	plist_free(&l);
	desc_free(&d);
}

static void test_summaries(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void test_plist(void)
{
	struct lw_plist l = { 0 };
	struct lw_prefix p;

	prefix_parse(&p, "10.0.0.0/24", false);
	plist_add(&l, &p);
	plist_add(&l, &p);
	CHECK_EQ(l.n, 1);
	prefix_parse(&p, "10.0.0.0/8", false);
	plist_add(&l, &p);
	prefix_parse(&p, "192.168.0.0/16", false);
	plist_add(&l, &p);
	prefix_parse(&p, "172.16.0.0/12", false);
	plist_add(&l, &p);
	plist_prune_covered(&l);
	CHECK(!strcmp(list_text(&l), "10.0.0.0/8, 192.168.0.0/16, "
				     "172.16.0.0/12"));
	plist_sort(&l);
	CHECK(!strcmp(list_text(&l), "10.0.0.0/8, 172.16.0.0/12, "
				     "192.168.0.0/16"));
	plist_free(&l);
}

int main(void)
{
	test_plist();
	test_roles();
	test_summaries();
	return test_finish("planner_routes");
}
