// SPDX-License-Identifier: MIT
/*
 * Tests of [revoked NAME] (desc_revoked.c, alloc.c, check_revoked.c,
 * check_names.c): the section read into the model; allocation never
 * handing out a revoked address, against a naive reference over random
 * pools; check refusing a node that reuses a revoked address, public key
 * or name, and a [revoked] section missing what it must keep, each at the
 * line the fix belongs on.
 */
#include "desc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "keys.h"
#include "test.h"

static const char key_a[] = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
static const char key_b[] = "Hld0E5cnh6Q3N4n8/sihrZMkuCyqqDO40GH80KvXQVs=";

static int parse(struct lw_desc *d, const char *text)
{
	int r = desc_parse(d, "t.conf", text, strlen(text));

	if (!r)
		check_desc(d);
	return r;
}

static bool has_diag(const struct lw_desc *d, int line, const char *msg)
{
	size_t i;

	for (i = 0; i < d->n_diags; i++)
		if (d->diags[i].severity == LW_ERROR &&
		    d->diags[i].line == line && strstr(d->diags[i].msg, msg))
			return true;
	fprintf(stderr, "  missing error %d: %s\n  have:\n", line, msg);
	desc_print_diags(d, stderr);
	return false;
}

static const char *addr_of(const struct lw_desc *d, const char *node)
{
	static char out[LW_PREFIX_STRLEN];
	ssize_t i = desc_find_node(d, node);

	if (i < 0)
		return "?";
	addr_format(out, sizeof(out), &d->nodes[i].addr[0].p);
	return out;
}

static const char base[] = "[network]\n"		/* 1 */
			   "tunnel = 10.9.0.0/24, fd00:9::/64\n" /* 2 */
			   "client-pool = 10.9.0.16/28\n" /* 3 */
			   "[hub z]\n"			/* 4 */
			   "endpoint = 198.51.100.1:51820\n" /* 5 */
			   "[client c]\n"		/* 6 */
			   "[revoked old]\n"		/* 7 */
			   "address = 10.9.0.17, fd00:9::5\n" /* 8 */
			   "public-key = hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n" /* 9 */
			   "[policy]\n"			/* 10 */
			   "allow = c -> z\n";		/* 11 */

static void test_model_and_alloc(void)
{
	char a[LW_PREFIX_STRLEN];
	struct lw_desc d;

	CHECK_EQ(parse(&d, base), 0);
	CHECK_EQ(d.n_errors, 0);
	CHECK_EQ(d.n_nodes, 2);
	CHECK_EQ(d.n_revoked, 1);
	CHECK(!strcmp(d.revoked[0].name, "old"));
	CHECK_EQ(d.revoked[0].line, 7);
	CHECK_EQ(d.revoked[0].public_key_line, 9);
	CHECK(d.revoked[0].has_public_key);
	addr_format(a, sizeof(a), &d.revoked[0].addr[1].p);
	CHECK(!strcmp(a, "fd00:9::5"));
	CHECK_EQ(desc_find_node(&d, "old"), -1); /* no node any more */
	/* .17 is the pool's first address, but it was old's */
	CHECK(!strcmp(addr_of(&d, "c"), "10.9.0.18"));
	desc_free(&d);
}

/* The naive reference: the pool's host addresses in order, skipping its
 * network and broadcast addresses and the revoked and written ones. */
static void reference(const bool *revoked, const bool *written, size_t n,
		      unsigned int *out)
{
	unsigned int host = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		while (host < 31 && (revoked[host] || written[host]))
			host++;
		out[i] = host < 31 ? 32 + host++ : 0;
	}
}

/* Random pools 10.9.0.32/27 with revoked and written addresses. */
static void test_alloc_reference(void)
{
	unsigned int round, host, expect[12];
	char name[32], want[LW_PREFIX_STRLEN];

	srand(12);
	for (round = 0; round < 200; round++) {
		bool revoked[32] = { 0 }, written[32] = { 0 };
		struct lw_buf b = { 0 };
		size_t n = 1 + (size_t)(rand() % 12), i;
		struct lw_desc d;
		char *text;

		buf_printf(&b, "[network]\ntunnel = 10.9.0.0/24\n"
			       "client-pool = 10.9.0.32/27\n"
			       "[hub z]\nendpoint = 198.51.100.1:51820\n"
			       "address = 10.9.0.1\n");
		for (host = 1; host < 31; host++) {
			int roll = rand() % 8;

			if (roll == 0) {
				revoked[host] = true;
				buf_printf(&b, "[revoked r%u]\naddress = "
					       "10.9.0.%u\npublic-key = %s\n",
					   host, 32 + host, key_a);
			} else if (roll == 1) {
				written[host] = true;
				buf_printf(&b, "[client w%u]\naddress = "
					       "10.9.0.%u\n",
					   host, 32 + host);
			}
		}
		for (i = 0; i < n; i++)
			buf_printf(&b, "[client n%zu]\n", i);
		text = buf_steal(&b);
		if (!text) {
			CHECK(0);
			return;
		}
		reference(revoked, written, n, expect);
		CHECK_EQ(desc_parse(&d, "t.conf", text, strlen(text)), 0);
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "n%zu", i);
			snprintf(want, sizeof(want), "10.9.0.%u", expect[i]);
			if (expect[i])
				CHECK(!strcmp(addr_of(&d, name), want));
			else /* the pool ran out: said so */
				CHECK(d.n_errors > 0);
		}
		desc_free(&d);
		free(text);
	}
}

/* base with line 6 ("[client c]") replaced by more. */
static int parse_with(struct lw_desc *d, const char *client)
{
	struct lw_buf b = { 0 };
	const char *cut = strstr(base, "[client c]\n");
	char *text;
	int r;

	buf_printf(&b, "%.*s%s%s", (int)(cut - base), base, client,
		   cut + strlen("[client c]\n"));
	text = buf_steal(&b);
	if (!text)
		return -1;
	r = parse(d, text);
	free(text);
	return r;
}

static void test_check(void)
{
	struct lw_desc d;

	/* a node written with a revoked address: at its address line */
	CHECK_EQ(parse_with(&d, "[client c]\naddress = 10.9.0.17\n"), 0);
	CHECK(has_diag(&d, 7, "address 10.9.0.17 of c was revoked node "
			      "old's (line 9); a revoked address is never "
			      "given again"));
	desc_free(&d);
	CHECK_EQ(parse_with(&d, "[client c]\naddress = fd00:9::5\n"), 0);
	CHECK(has_diag(&d, 7, "address fd00:9::5 of c was revoked node old's"));
	desc_free(&d);
	/* a node taking a revoked name: the node is blamed */
	CHECK_EQ(parse_with(&d, "[client c]\n[client old]\n"), 0);
	CHECK(has_diag(&d, 7, "name old is taken by the revoked node on "
			      "line 8"));
	desc_free(&d);
	/* a [revoked] section missing its key or its address */
	CHECK_EQ(parse(&d, "[network]\ntunnel = 10.9.0.0/24\n"
			   "[hub z]\nendpoint = 198.51.100.1:51820\n"
			   "[revoked x]\naddress = 10.9.0.9\n"
			   "[revoked y]\npublic-key = "
			   "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n"
			   ),
		 0);
	CHECK(has_diag(&d, 5, "[revoked x] needs the address and public-key"));
	CHECK(has_diag(&d, 7, "[revoked y] needs the address and public-key"));
	desc_free(&d);
	/* it has no other keys */
	CHECK_EQ(parse(&d, "[network]\ntunnel = 10.9.0.0/24\n"
			   "[revoked w]\nname = q\n"),
		 0);
	CHECK(has_diag(&d, 4, "unknown key 'name' in [revoked w]; known "
			      "keys: address, public-key"));
	desc_free(&d);
}

static void test_check_keys(void)
{
	char dir[] = "/tmp/lanwire-revoked-XXXXXX";
	struct lw_keyring kr;
	struct lw_desc d;
	char client[200];

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	/* a device key that is the revoked node's: at its public-key line */
	snprintf(client, sizeof(client), "[client c]\npublic-key = %s\n",
		 key_a);
	CHECK_EQ(parse_with(&d, client), 0);
	CHECK_EQ(d.n_errors, 0);
	CHECK_EQ(keyring_load(&kr, &d, dir), 0);
	check_keys(&d, &kr, false);
	CHECK(has_diag(&d, 7, "public key of c is revoked node old's (line "
			      "10); a revoked key is never accepted again"));
	keyring_free(&kr);
	desc_free(&d);
	/* another key is fine */
	snprintf(client, sizeof(client), "[client c]\npublic-key = %s\n",
		 key_b);
	CHECK_EQ(parse_with(&d, client), 0);
	CHECK_EQ(keyring_load(&kr, &d, dir), 0);
	CHECK_EQ(check_keys(&d, &kr, false), 0);
	keyring_free(&kr);
	desc_free(&d);
	rmdir(dir);
}

int main(void)
{
	test_model_and_alloc();
	test_alloc_reference();
	test_check();
	test_check_keys();
	return test_finish("planner_revoked");
}
