// SPDX-License-Identifier: MIT
/*
 * Tests for pin.c: which values are implicit, the exact text lanwire pin
 * makes (numbered cases), and that pinning then removing a section moves
 * no other node while removing it unpinned does (what pin_same_identity
 * catches for add and remove).
 */
#include "pin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "desc.h"
#include "edit.h"
#include "test.h"

static void parse(struct lw_desc *d, const char *text)
{
	CHECK_EQ(desc_parse(d, "pin.conf", text, strlen(text)), 0);
	check_desc(d);
	CHECK_EQ(d->n_errors, 0);
}

static void expect_pin(int num, const char *text, size_t want_n,
		       const char *want)
{
	struct lw_desc d, e;
	char *out = NULL, who[128];
	size_t n = 99, i;

	parse(&d, text);
	CHECK_EQ(pin_text(&d, text, strlen(text), NULL, &out, &n), 0);
	CHECK_EQ(n, want_n);
	CHECK(out && !strcmp(out, want));
	if (out && strcmp(out, want))
		fprintf(stderr, "case %d:\n---\n%s---\nwant:\n%s---\n", num,
			out, want);
	if (out) {
		parse(&e, out);
		CHECK(pin_same_identity(&d, &e, who, sizeof(who)));
		for (i = 0; i < e.n_nodes; i++)
			CHECK(!pin_node_implicit(&e.nodes[i]));
		desc_free(&e);
	}
	free(out);
	desc_free(&d);
}

static const char net[] = "[network]\ntunnel = 10.9.0.0/16\n";

static void test_pin_text(void)
{
	char text[512], want[512];

	/* 1: a hub: address and the endpoint's port */
	snprintf(text, sizeof(text), "%s[hub z]\nendpoint = 192.0.2.1:4000\n",
		 net);
	snprintf(want, sizeof(want),
		 "%s[hub z]\nendpoint = 192.0.2.1:4000\naddress = 10.9.0.1\n"
		 "listen-port = 4000\n",
		 net);
	expect_pin(1, text, 1, want);
	/* 2: written values stay; a gateway pins in its [site] section,
	 * before the blank line and comment that end it */
	snprintf(text, sizeof(text),
		 "%s[hub z]\nendpoint = 192.0.2.1:1\naddress = 10.9.0.7\n"
		 "listen-port = 2\n[site s]\n\tgateway = g\n\tlan = "
		 "10.1.0.0/24\n\n# next\n[client c]\n",
		 net);
	snprintf(want, sizeof(want),
		 "%s[hub z]\nendpoint = 192.0.2.1:1\naddress = 10.9.0.7\n"
		 "listen-port = 2\n[site s]\n\tgateway = g\n\tlan = "
		 "10.1.0.0/24\n\taddress = 10.9.0.1\n\n# next\n[client c]\n"
		 "address = 10.9.0.2\n",
		 net);
	expect_pin(2, text, 2, want);
	/* 3: nothing implicit: the text as it was */
	snprintf(text, sizeof(text),
		 "%s[hub z]\nendpoint = 192.0.2.1:1\nlisten-port = 1\n"
		 "address = 10.9.0.1\n",
		 net);
	expect_pin(3, text, 0, text);
}

static void test_implicit(void)
{
	struct lw_desc d;
	char text[256];

	snprintf(text, sizeof(text),
		 "%s[hub z]\nendpoint = 192.0.2.1:1\naddress = 10.9.0.1\n"
		 "[client c]\naddress = 10.9.0.2\nlisten-port = 5\n"
		 "[client e]\naddress = 10.9.0.3\n",
		 net);
	parse(&d, text);
	CHECK(pin_port_implicit(&d.nodes[0]));	/* hub: endpoint's port */
	CHECK(pin_node_implicit(&d.nodes[0]));
	CHECK_EQ(pin_listen_port(&d.nodes[0]), 1);
	CHECK(!pin_node_implicit(&d.nodes[1]));
	CHECK_EQ(pin_listen_port(&d.nodes[1]), 5);
	CHECK(!pin_node_implicit(&d.nodes[2])); /* a spoke: any port */
	CHECK_EQ(pin_listen_port(&d.nodes[2]), 0);
	desc_free(&d);
}

/* Removing client a from text (unpinned and pinned): does b move? */
static bool b_moves_when_a_goes(const char *text)
{
	struct lw_desc d, e;
	char *out = NULL, who[128];
	bool moved;

	parse(&d, text);
	CHECK_EQ(edit_remove_section(text, strlen(text), "client", "a", &out),
		 0);
	parse(&e, out ? out : "");
	moved = !pin_same_identity(&d, &e, who, sizeof(who));
	CHECK(!moved || strstr(who, "b would move from 10.9.0.3 to "));
	desc_free(&e);
	desc_free(&d);
	free(out);
	return moved;
}

static void test_identity(void)
{
	struct lw_desc d;
	char text[256], *pinned = NULL;
	size_t n;

	snprintf(text, sizeof(text),
		 "%s[hub z]\nendpoint = 192.0.2.1:1\n[client a]\n[client b]\n",
		 net);
	CHECK(b_moves_when_a_goes(text));
	parse(&d, text);
	CHECK_EQ(pin_text(&d, text, strlen(text), NULL, &pinned, &n), 0);
	CHECK_EQ(n, 3);
	CHECK(pinned && !b_moves_when_a_goes(pinned));
	desc_free(&d);
	free(pinned);
}

int main(void)
{
	test_pin_text();
	test_implicit();
	test_identity();
	return test_finish("planner_pin");
}
