// SPDX-License-Identifier: MIT
/*
 * UAPI transcripts against a real device object (no TUN): set then get
 * round-trips every key; a transaction with one bad line answers errno=-22
 * and leaves the get output byte-for-byte unchanged; remove, update_only,
 * replace_allowed_ips (where it stands), replace_peers and a private key
 * equal to a peer's public key behave as wireguard-go's, and bad
 * transactions answer wireguard-go's errno values.
 */
#include <string.h>

#include "crypto.h"
#include "device.h"
#include "peer.h"
#include "test.h"
#include "uapi.h"

#define PRIV "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
#define PUB1 "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"
#define PUB2 "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceae8c6d25f4c"
#define PSK "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52"

static struct device dev;

static int run(const char *req, struct uapi_buf *out)
{
	memset(out, 0, sizeof(*out));
	return uapi_handle_text(&dev, req, strlen(req), out);
}

static char *get(void)
{
	struct uapi_buf out;
	char *s;

	run("get=1\n\n", &out);
	s = strdup(out.data ? out.data : "");
	uapi_buf_free(&out);
	return s;
}

static int set(const char *body)
{
	struct uapi_buf out;
	char req[8192];
	int ret;

	snprintf(req, sizeof(req), "set=1\n%s\n\n", body);
	ret = run(req, &out);
	uapi_buf_free(&out);
	return ret;
}

static bool has(const char *text, const char *line)
{
	char needle[512];

	snprintf(needle, sizeof(needle), "%s\n", line);
	return strstr(text, needle) != NULL;
}

static void test_set_and_get(void)
{
	char *g;

	CHECK_EQ(set("private_key=" PRIV "\nlisten_port=0\nreplace_peers=true\n"
		     "public_key=" PUB1 "\npreshared_key=" PSK "\n"
		     "endpoint=127.0.0.1:51000\n"
		     "persistent_keepalive_interval=25\n"
		     "lanwire_probe_ms=1000\n"
		     "lanwire_carrier_ms=300\n"
		     "replace_allowed_ips=true\nallowed_ip=10.0.0.0/24\n"
		     "allowed_ip=fd00::1/128\nprotocol_version=1\n"
		     "public_key=" PUB2 "\nendpoint=[::1]:51001\n"
		     "allowed_ip=10.0.1.7/32"),
		 0);
	g = get();
	CHECK(has(g, "private_key=" PRIV));
	CHECK(has(g, "public_key=" PUB1));
	CHECK(has(g, "preshared_key=" PSK));
	CHECK(has(g, "endpoint=127.0.0.1:51000"));
	CHECK(has(g, "endpoint=[::1]:51001"));
	CHECK(has(g, "persistent_keepalive_interval=25"));
	/* lanwired's probe, per peer: PUB1's set, PUB2's off. */
	CHECK(has(g, "lanwire_probe_ms=1000"));
	CHECK(has(g, "lanwire_probe_ms=0"));
	CHECK(has(g, "lanwire_carrier_ms=300"));
	CHECK(has(g, "lanwire_carrier_ms=0"));
	CHECK(has(g, "allowed_ip=10.0.0.0/24"));
	CHECK(has(g, "allowed_ip=fd00::1/128"));
	CHECK(has(g, "allowed_ip=10.0.1.7/32"));
	CHECK(has(g, "protocol_version=1"));
	CHECK(has(g, "last_handshake_time_sec=0"));
	CHECK(strstr(g, "errno=0\n\n") != NULL);
	/* Peers come back in the order they were added. */
	CHECK(strstr(g, PUB1) < strstr(g, PUB2));
	free(g);
	CHECK_EQ(dev.npeers, 2);
}

static void test_bad_line_changes_nothing(void)
{
	static const char *const bad[] = {
		"listen_port=abc",
		"public_key=" PUB1 "\nallowed_ip=10.9.0.0/33",
		"public_key=" PUB2 "\nremove=true\npublic_key=" PUB1
		"\nendpoint=nonsense",
		"allowed_ip=10.0.0.0/8", /* peer key before public_key */
		"public_key=" PUB1 "\nprotocol_version=2",
		"private_key=00\nlisten_port=1",
		"nokey",
		"public_key=" PUB1 "\nunknown_key=1",
	};
	char *before = get();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *after;

		CHECK(set(bad[i]) < 0);
		after = get();
		CHECK(!strcmp(before, after));
		free(after);
	}
	CHECK_EQ(set("listen_port=abc"), -22);
	free(before);
}

static void test_peer_operations(void)
{
	char *g;

	/* update_only does not create. */
	CHECK_EQ(set("public_key=" PSK "\nupdate_only=true\n"
		     "allowed_ip=10.5.0.0/16"), 0);
	CHECK_EQ(dev.npeers, 2);
	/* replace_allowed_ips drops the old set. */
	CHECK_EQ(set("public_key=" PUB1 "\nreplace_allowed_ips=true\n"
		     "allowed_ip=10.7.0.0/16"), 0);
	g = get();
	CHECK(!has(g, "allowed_ip=10.0.0.0/24"));
	CHECK(has(g, "allowed_ip=10.7.0.0/16"));
	free(g);
	/* Moving a prefix to another peer. */
	CHECK_EQ(set("public_key=" PUB2 "\nallowed_ip=10.7.0.0/16"), 0);
	{
		struct peer *p1 = peer_lookup(&dev, dev.peers_first->public_key);

		CHECK_EQ(p1->allowedips.count, 0);
	}
	/* remove */
	CHECK_EQ(set("public_key=" PUB1 "\nremove=true"), 0);
	CHECK_EQ(dev.npeers, 1);
	g = get();
	CHECK(!strstr(g, PUB1));
	free(g);
	/* replace_peers */
	CHECK_EQ(set("replace_peers=true\npublic_key=" PUB1), 0);
	CHECK_EQ(dev.npeers, 1);
	g = get();
	CHECK(strstr(g, PUB1) && !strstr(g, PUB2));
	free(g);
}

static void test_private_key_of_a_peer(void)
{
	uint8_t priv[32], pub[32];
	char privhex[65], pubhex[65], body[512];

	x25519_generate_private(priv);
	x25519_public_from_private(pub, priv);
	key_to_hex(privhex, priv);
	key_to_hex(pubhex, pub);
	snprintf(body, sizeof(body), "public_key=%s\n", pubhex);
	CHECK_EQ(set(body), 0);
	CHECK_EQ(dev.npeers, 2);
	snprintf(body, sizeof(body), "private_key=%s\n", privhex);
	CHECK_EQ(set(body), 0);
	CHECK_EQ(dev.npeers, 1);
	CHECK(peer_lookup(&dev, pub) == NULL);
	/* Removing the key. */
	CHECK_EQ(set("private_key=" "0000000000000000000000000000000000000000"
		     "000000000000000000000000"), 0);
	CHECK(!dev.local.has_identity);
	{
		char *g = get();

		CHECK(!strstr(g, "private_key="));
		free(g);
	}
}

/* replace_allowed_ips where it stands, as wireguard-go 0.0.20220316
 * answered these transcripts (the peer's allowed IPs after each). */
static void test_replace_allowed_ips_order(void)
{
	static const struct {
		const char *lines, *kept, *gone;
	} cases[] = {
		/* 1: before the lines: the old ones go */
		{ "replace_allowed_ips=true\nallowed_ip=10.8.0.1/32",
		  "allowed_ip=10.8.0.1/32", "allowed_ip=10.8.0.9/32" },
		/* 2: between lines: those before it go too */
		{ "allowed_ip=10.8.0.2/32\nreplace_allowed_ips=true\n"
		  "allowed_ip=10.8.0.3/32",
		  "allowed_ip=10.8.0.3/32", "allowed_ip=10.8.0.2/32" },
		/* 3: last: the peer is left with none */
		{ "allowed_ip=10.8.0.4/32\nreplace_allowed_ips=true", NULL,
		  "allowed_ip=10.8.0.4/32" },
	};
	char body[512], *g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(set("public_key=" PUB2 "\nallowed_ip=10.8.0.9/32"), 0);
		snprintf(body, sizeof(body), "public_key=" PUB2 "\n%s",
			 cases[i].lines);
		CHECK_EQ(set(body), 0);
		g = get();
		if (cases[i].kept)
			CHECK(has(g, cases[i].kept));
		CHECK(!has(g, cases[i].gone));
		CHECK(!has(g, "allowed_ip=10.8.0.9/32"));
		free(g);
	}
	g = get();
	CHECK(!strstr(g, "allowed_ip=10.8."));
	free(g);
}

/* Errno answers as wireguard-go's (0.0.20220316, measured; upstream's
 * device/uapi.go read): each transaction changes nothing. */
static void test_errno_parity(void)
{
	static const struct {
		const char *body;
		int err;
	} cases[] = {
		{ "public_key=" PUB2 "\nprotocol_version=2", -22 },
		{ "persistent_keepalive_interval=5", -22 },
		{ "endpoint=192.0.2.1:5", -22 },
		{ "garbage", -71 },
		{ "listen_port=1\ngarbage", -71 },
		{ "=x", -22 },
		{ "public_key=" PUB2 "\nlisten_port=5", -22 },
		{ "public_key=" PUB2 "\nendpoint=[fe80::1%lwkynosuch0]:5", -22 },
		{ "public_key=" PUB2 "\nupdate_only=false", -22 },
	};
	char *before = get(), *after;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(set(cases[i].body), cases[i].err);
	after = get();
	CHECK(!strcmp(before, after));
	free(before);
	free(after);
}

static void test_unknown_operation(void)
{
	struct uapi_buf out;

	CHECK_EQ(run("frobnicate=1\n\n", &out), -22);
	uapi_buf_free(&out);
}

int main(void)
{
	if (crypto_init() < 0 || device_init(&dev, "lwtest0") < 0)
		return 1;
	CHECK_EQ(device_set_listen_port(&dev, 0), 0);
	test_set_and_get();
	test_bad_line_changes_nothing();
	test_peer_operations();
	test_private_key_of_a_peer();
	test_replace_allowed_ips_order();
	test_errno_parity();
	test_unknown_operation();
	device_close(&dev);
	return test_finish("uapi");
}
