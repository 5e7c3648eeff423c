// SPDX-License-Identifier: MIT
/*
 * status_json: a UAPI answer (as status_test.c's) turned into JSON and
 * read back with jansson: the interface's node from its private key, a
 * known peer by name and role, an unknown one with nulls, allowed IPs as
 * an array, counters as numbers; the private key in no form in the text.
 */
#include "status_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "desc.h"
#include "keys.h"
#include "test.h"

static const char desc_text[] =
	"[network]\ntunnel = 10.70.0.0/16\n"
	"[hub z]\nendpoint = 198.51.100.1:51820\n"
	"[site LAN1]\ngateway = a\nlan = 192.168.201.0/24\n"
	"[policy]\nallow = z <-> LAN1\n";

static const char priv_hex[] =
	"e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";
static const char a_hex[] =
	"b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33";

static const char answer[] =
	"private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\n"
	"listen_port=51820\n"
	"lanwire_drop=0 short\n"
	"lanwire_drop=3 replayed\n"
	"public_key=b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33\n"
	"endpoint=203.0.113.2:34734\n"
	"last_handshake_time_sec=1700000000\n"
	"tx_bytes=1096\n"
	"rx_bytes=860\n"
	"persistent_keepalive_interval=15\n"
	"allowed_ip=10.70.0.2/32\n"
	"allowed_ip=192.168.201.0/24\n"
	"public_key=58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376\n"
	"errno=0\n\n";

static uint8_t nib(char c)
{
	return (uint8_t)(c <= '9' ? c - '0' : c - 'a' + 10);
}

static void from_hex(uint8_t out[static LW_KEY_LEN], const char *hex)
{
	for (size_t i = 0; i < LW_KEY_LEN; i++)
		out[i] = (uint8_t)(nib(hex[2 * i]) << 4 | nib(hex[2 * i + 1]));
}

/* Runs status_json on answer; returns the text (caller frees). */
static char *render(const struct lw_desc *d, const struct lw_keyring *kr)
{
	struct status_json sj;
	struct lw_wg_status st;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	CHECK_EQ(status_parse(&st, answer), 0);
	CHECK_EQ(status_json_init(&sj), 0);
	CHECK_EQ(status_json_add(&sj, "wg0", &st, d, kr), 0);
	CHECK_EQ(status_json_finish(&sj, f), 0);
	fclose(f);
	status_free(&st);
	return text;
}

static void check_tree(json_t *root)
{
	json_t *i = json_array_get(json_object_get(root, "interfaces"), 0);
	json_t *peers = json_object_get(i, "peers");
	json_t *a = json_array_get(peers, 0), *u = json_array_get(peers, 1);
	json_t *ips = json_object_get(a, "allowed_ips");

	CHECK(!strcmp(json_string_value(json_object_get(i, "interface")), "wg0"));
	CHECK(!strcmp(json_string_value(json_object_get(i, "node")), "z"));
	CHECK(!strcmp(json_string_value(json_object_get(i, "role")), "hub"));
	CHECK_EQ(json_integer_value(json_object_get(i, "listen_port")), 51820);
	CHECK_EQ(json_integer_value(json_object_get(
			 json_object_get(i, "drops"), "replayed")), 3);
	CHECK(json_is_integer(json_object_get(json_object_get(i, "drops"),
					      "short")));
	CHECK_EQ(json_array_size(peers), 2);
	CHECK(!strcmp(json_string_value(json_object_get(a, "node")), "a"));
	CHECK(!strcmp(json_string_value(json_object_get(a, "endpoint")),
		      "203.0.113.2:34734"));
	CHECK_EQ(json_integer_value(json_object_get(a, "latest_handshake")),
		 1700000000);
	CHECK_EQ(json_integer_value(json_object_get(a, "rx_bytes")), 860);
	CHECK_EQ(json_integer_value(json_object_get(a, "tx_bytes")), 1096);
	CHECK_EQ(json_integer_value(json_object_get(a, "persistent_keepalive")),
		 15);
	CHECK_EQ(json_array_size(ips), 2);
	CHECK(!strcmp(json_string_value(json_array_get(ips, 1)),
		      "192.168.201.0/24"));
	CHECK(json_is_null(json_object_get(u, "node")));
	CHECK(json_is_null(json_object_get(u, "role")));
	CHECK(json_is_null(json_object_get(u, "endpoint")));
	CHECK_EQ(json_array_size(json_object_get(u, "allowed_ips")), 0);
	CHECK_EQ(json_integer_value(json_object_get(u, "latest_handshake")), 0);
}

static void test_json(void)
{
	struct lw_node_keys nodes[2] = { 0 };
	struct lw_keyring kr = { .nodes = nodes, .n_nodes = 2 };
	uint8_t priv[LW_KEY_LEN];
	char b64[LW_KEY_B64_LEN + 1], *text;
	struct lw_desc d;
	json_error_t err;
	json_t *root;

	CHECK_EQ(desc_parse(&d, "t.conf", desc_text, strlen(desc_text)), 0);
	CHECK_EQ(d.n_nodes, 2);
	from_hex(priv, priv_hex);
	key_public_from_private(nodes[0].public_key, priv);
	nodes[0].has_public = true;
	from_hex(nodes[1].public_key, a_hex);
	nodes[1].has_public = true;
	text = render(&d, &kr);
	root = text ? json_loads(text, 0, &err) : NULL;
	CHECK(root != NULL);
	if (root)
		check_tree(root);
	key_to_base64(b64, priv);
	CHECK(text && !strstr(text, priv_hex) && !strstr(text, b64));
	CHECK(text && !strstr(text, "private"));
	json_decref(root);
	free(text);
	crypto_wipe(priv, sizeof(priv));
	desc_free(&d);
}

int main(void)
{
	test_json();
	return test_finish("planner_status_json");
}
