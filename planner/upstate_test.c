// SPDX-License-Identifier: MIT
/*
 * The state lanwire up keeps and the `wg show dump` it reads
 * (upstate.h): a state round-trips through text; interface addresses keep
 * their host bits; each malformed state line is refused with its line
 * number; a dump as wg prints it (keys, "(none)", "off", allowed IPs) is
 * read field by field; malformed dumps are refused.
 */
#include "upstate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "keys.h"
#include "test.h"

static const char state_text[] =
	"lanwire-state 1\n"
	"node a\n"
	"iface wg0\n"
	"ifindex 7\n"
	"user nobody\n"
	"pid 1234\n"
	"pid 1235\n"
	"addr 10.99.0.2/24\n"
	"addr fd00::2/64\n"
	"route 192.168.78.0/24\n"
	"nft inet lanwire\n"
	"sysctl net.ipv4.ip_forward 0\n"
	"endpoint SqWx6xslterB7kfrA7gxO0NT0E4+GRsAuJ4HB4bG7T0= "
	"203.0.113.1:51820\n";

static void test_state_roundtrip(void)
{
	struct lw_up_state st, again;
	struct lw_prefix p;
	uint8_t key[LW_KEY_LEN];
	char *text;
	int line;

	CHECK_EQ(up_state_parse(&st, state_text, &line), 0);
	CHECK(!strcmp(st.node, "a") && !strcmp(st.iface, "wg0"));
	CHECK_EQ(st.ifindex, 7);
	CHECK(!strcmp(st.user, "nobody"));
	CHECK_EQ(st.n_pids, 2);
	CHECK_EQ(st.pids[1], 1235);
	CHECK_EQ(st.addrs.n, 2);
	CHECK(!up_prefix_parse(&p, "10.99.0.2/24") &&
	      up_prefixes_has(&st.addrs, &p));
	CHECK(!up_prefix_parse(&p, "10.99.0.0/24") &&
	      !up_prefixes_has(&st.addrs, &p)); /* host bits kept */
	CHECK_EQ(st.routes.n, 1);
	CHECK(st.nft);
	CHECK_EQ(st.n_sysctls, 1);
	CHECK(!strcmp(st.sysctls[0].old, "0"));
	CHECK(!key_from_base64(key, "SqWx6xslterB7kfrA7gxO0NT0E4+GRsAuJ4HB4bG7T0="));
	CHECK(up_state_endpoint(&st, key) &&
	      !strcmp(up_state_endpoint(&st, key), "203.0.113.1:51820"));
	text = up_state_format(&st);
	CHECK(text && !strcmp(text, state_text));
	CHECK_EQ(up_state_parse(&again, text ? text : "", &line), 0);
	up_state_free(&again);
	free(text);
	/* A second old value of the same sysctl is not recorded. */
	CHECK_EQ(up_state_add_sysctl(&st, "net.ipv4.ip_forward", "1"), 0);
	CHECK_EQ(st.n_sysctls, 1);
	up_prefixes_del(&st.addrs, &st.addrs.v[0]);
	CHECK_EQ(st.addrs.n, 1);
	up_state_free(&st);
}

/* Each bad text and the line it is refused at. */
static void test_state_bad(void)
{
	static const struct {
		const char *text;
		int line;
	} cases[] = {
		{ "", 1 },
		{ "lanwire-state 2\nnode a\niface wg0\n", 1 },
		{ "lanwire-state 1\nnode a\niface wg0\nbogus 1\n", 4 },
		{ "lanwire-state 1\nnode a\niface wg0\nifindex 0\n", 4 },
		{ "lanwire-state 1\nnode a\niface wg0\nifindex 7x\n", 4 },
		{ "lanwire-state 1\nnode a\niface wg0\npid -1\n", 4 },
		{ "lanwire-state 1\nnode a\niface wg0\naddr 10.0.0.300/24\n", 4 },
		{ "lanwire-state 1\nnode a\niface wg0\nnft inet other\n", 4 },
		{ "lanwire-state 1\nnode a\niface waytoolonginterface\n", 3 },
		{ "lanwire-state 1\nnode a\nsysctl a\n", 3 },
		{ "lanwire-state 1\nnode a\nendpoint short 1.2.3.4:5\n", 3 },
		{ "lanwire-state 1\nnode a\niface wg0", 3 }, /* no newline */
		{ "lanwire-state 1\nnode a\nnodespace\n", 3 },
	};
	struct lw_up_state st;
	size_t i;
	int line;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		line = 0;
		CHECK_EQ(up_state_parse(&st, cases[i].text, &line), -EINVAL);
		if (line != cases[i].line)
			fprintf(stderr, "case %zu: line %d\n", i, line);
		CHECK_EQ(line, cases[i].line);
		up_state_free(&st);
	}
	/* Missing iface (or node) is refused as a whole. */
	CHECK_EQ(up_state_parse(&st, "lanwire-state 1\nnode a\n", &line),
		 -EINVAL);
	up_state_free(&st);
}

static const char dump_text[] =
	"MC1pGXEuYnIOJ26/vqkYh+UG/orYW+ILjoE8Q9bTWUk=\t"
	"kXnBs/U++ZDfHanBzw2434VN43oIN7pgEubJFCZk/GE=\t33498\toff\n"
	"SqWx6xslterB7kfrA7gxO0NT0E4+GRsAuJ4HB4bG7T0=\t"
	"yO2OLS30dgUp0ecOhFrLuYCbmwD9+Iyq8d53dR2TIXQ=\t203.0.113.1:51820\t"
	"10.99.0.0/24,192.168.0.0/16\t1796398527\t1400\t1320\t1\n"
	"3ImgHK5oKY2ngaJ9LFvsbUltAVAU5pBbzUIEHOLJmH0=\t(none)\t(none)\t"
	"(none)\t0\t0\t0\toff\n";

static void test_dump(void)
{
	const struct lw_dump_peer *p;
	struct lw_wg_dump d;
	struct lw_prefix pf;
	uint8_t key[LW_KEY_LEN];

	CHECK_EQ(wg_dump_parse(&d, dump_text), 0);
	CHECK(d.has_private_key && d.has_public_key);
	CHECK(!key_from_base64(key, "MC1pGXEuYnIOJ26/vqkYh+UG/orYW+ILjoE8Q9bTWUk=") &&
	      !memcmp(key, d.private_key, LW_KEY_LEN));
	CHECK_EQ(d.listen_port, 33498);
	CHECK_EQ(d.n_peers, 2);
	CHECK(!key_from_base64(key, "SqWx6xslterB7kfrA7gxO0NT0E4+GRsAuJ4HB4bG7T0="));
	p = wg_dump_find(&d, key);
	CHECK(p != NULL);
	if (p) {
		CHECK(p->has_psk);
		CHECK(!strcmp(p->endpoint, "203.0.113.1:51820"));
		CHECK_EQ(p->allowed.n, 2);
		CHECK(!prefix_parse(&pf, "192.168.0.0/16", false) &&
		      up_prefixes_has(&p->allowed, &pf));
		CHECK_EQ(p->handshake, 1796398527);
		CHECK_EQ(p->keepalive, 1);
	}
	p = d.n_peers == 2 ? &d.peers[1] : NULL;
	CHECK(p && !p->has_psk && !p->endpoint[0] && !p->allowed.n &&
	      !p->keepalive && !p->handshake);
	wg_dump_free(&d);
	/* An interface with no key yet. */
	CHECK_EQ(wg_dump_parse(&d, "(none)\t(none)\t0\toff\n"), 0);
	CHECK(!d.has_private_key && !d.n_peers);
	wg_dump_free(&d);
}

static void test_dump_bad(void)
{
	static const char *const cases[] = {
		"",
		"(none)\t(none)\t0\n",		   /* three fields */
		"(none)\t(none)\t65536\toff\n",	   /* port */
		"(none)\t(none)\t0\toff",	   /* no newline */
		"(none)\t(none)\t0\toff\n\n",	   /* empty line */
		"abc\t(none)\t0\toff\n",	   /* key */
		"(none)\t(none)\t0\toff\n(none)\t(none)\t(none)\t(none)\t0\t0\t0\toff\n",
		"(none)\t(none)\t0\toff\n"
		"3ImgHK5oKY2ngaJ9LFvsbUltAVAU5pBbzUIEHOLJmH0=\t(none)\t(none)\t"
		"10.0.0.0/33\t0\t0\t0\toff\n",
		"(none)\t(none)\t0\toff\n"
		"3ImgHK5oKY2ngaJ9LFvsbUltAVAU5pBbzUIEHOLJmH0=\t(none)\t(none)\t"
		"(none)\t0\t0\t0\t0\n", /* keepalive 0 is "off" */
		"(none)\t(none)\t0\toff\n"
		"3ImgHK5oKY2ngaJ9LFvsbUltAVAU5pBbzUIEHOLJmH0=\t(none)\t(none)\t"
		"(none)\t0\t0\t0\toff\textra\n",
	};
	struct lw_wg_dump d;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(wg_dump_parse(&d, cases[i]), -EINVAL);
		wg_dump_free(&d);
	}
}

int main(void)
{
	test_state_roundtrip();
	test_state_bad();
	test_dump();
	test_dump_bad();
	return test_finish("planner_upstate");
}
