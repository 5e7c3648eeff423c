// SPDX-License-Identifier: MIT
/*
 * The control plane's pure parts (ctl.h): the network key made once and
 * kept 0600; an envelope signed and verified; forged (every byte of the
 * text flipped in turn), truncated (every length), replayed, misaddressed,
 * oversized and malformed envelopes refused with the envelope left as it
 * was; base64 strict; sealed keys round-trip and refuse tampering, another
 * context or another receiver; a plan's state read back into the same
 * plan, and a state for another key refused.
 */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "keys.h"
#include "plan.h"
#include "test.h"
#include "upstate.h"

static char dir[] = "/tmp/lw-ctl-test.XXXXXX";

static EVP_PKEY *make_key(void)
{
	char err[256];
	EVP_PKEY *k;
	bool made;

	CHECK_EQ(ctl_key_load(dir, "net1", true, &k, &made, err, sizeof(err)),
		 0);
	return k;
}

static EVP_PKEY *load_pub(char *network)
{
	char path[512], err[256];
	EVP_PKEY *pub;

	snprintf(path, sizeof(path), "%s/%s", dir, CTL_PUB_FILE);
	CHECK_EQ(ctl_pub_load(path, &pub, network, LW_NAME_MAX + 1, err,
			      sizeof(err)),
		 0);
	return pub;
}

static void test_key_files(void)
{
	char path[512], err[256];
	struct stat sb;
	EVP_PKEY *k;
	bool made;

	CHECK_EQ(ctl_key_load(dir, "net1", false, &k, &made, err, sizeof(err)),
		 -ENOENT);
	CHECK(!k);
	k = make_key();
	EVP_PKEY_free(k);
	snprintf(path, sizeof(path), "%s/%s", dir, CTL_KEY_FILE);
	CHECK(!stat(path, &sb) && (sb.st_mode & 0777) == 0600);
	CHECK_EQ(ctl_key_load(dir, "net1", true, &k, &made, err, sizeof(err)),
		 0);
	CHECK(!made); /* made once */
	EVP_PKEY_free(k);
	chmod(path, 0644);
	CHECK_EQ(ctl_key_load(dir, "net1", true, &k, &made, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "chmod 600") != NULL);
	chmod(path, 0600);
}

static void test_b64(void)
{
	uint8_t in[5] = { 1, 2, 3, 4, 5 }, out[5];
	char *s = ctl_b64_encode(in, sizeof(in));

	CHECK(s && !strcmp(s, "AQIDBAU="));
	CHECK_EQ(ctl_b64_decode(out, sizeof(out), s), 0);
	CHECK(!memcmp(in, out, sizeof(in)));
	CHECK_EQ(ctl_b64_decode(out, sizeof(out), "AQIDBAV="), -EINVAL);
	CHECK_EQ(ctl_b64_decode(out, sizeof(out), "AQIDBA=="), -EINVAL);
	CHECK_EQ(ctl_b64_decode(out, sizeof(out), "AQID BU="), -EINVAL);
	CHECK_EQ(ctl_b64_decode(out, 4, s), -EINVAL);
	free(s);
}

static struct ctl_envelope sentinel(void)
{
	struct ctl_envelope e = { "untouched", "untouched", 77, NULL };

	return e;
}

static bool untouched(const struct ctl_envelope *e)
{
	return !strcmp(e->network, "untouched") && e->epoch == 77 && !e->state;
}

static int parse(const char *text, size_t len, EVP_PKEY *pub,
		 uint64_t after, struct ctl_envelope *e)
{
	char err[256];

	return ctl_envelope_parse(e, text, len, pub, "net1", "a", after, err,
				  sizeof(err));
}

static void test_envelope(EVP_PKEY *key, EVP_PKEY *pub)
{
	json_t *st = json_pack("{s:s, s:i}", "iface", "wg0", "mtu", 1420);
	char *text = ctl_envelope_sign(key, "net1", "a", 5, st), *copy;
	struct ctl_envelope e = sentinel();
	size_t len = strlen(text), i, refused = 0;
	char err[256];

	CHECK_EQ(parse(text, len, pub, 4, &e), 0);
	CHECK(!strcmp(e.network, "net1") && !strcmp(e.node, "a"));
	CHECK_EQ(e.epoch, 5);
	CHECK(json_equal(e.state, st));
	ctl_envelope_free(&e);
	CHECK_EQ(ctl_envelope_peek_epoch(text, len), 5);

	/* Replayed or old. */
	e = sentinel();
	CHECK_EQ(parse(text, len, pub, 5, &e), -ESTALE);
	CHECK_EQ(parse(text, len, pub, 9, &e), -ESTALE);
	/* Another node's or another network's. */
	CHECK_EQ(ctl_envelope_parse(&e, text, len, pub, "net1", "b", 0, err,
				    sizeof(err)),
		 -EXDEV);
	CHECK(strstr(err, "not b") != NULL);
	CHECK_EQ(ctl_envelope_parse(&e, text, len, pub, "net2", "a", 0, err,
				    sizeof(err)),
		 -EXDEV);
	/* Truncated at every length. */
	for (i = 0; i < len - 1; i++)
		refused += parse(text, i, pub, 0, &e) != 0;
	CHECK_EQ(refused, len - 1);
	/* Every byte flipped: refused, unless it only changed white
	 * space between tokens (the same object, still verifying). */
	copy = strdup(text);
	for (i = 0, refused = 0; i < len; i++) {
		int r;

		copy[i] ^= 0x01;
		r = parse(copy, len, pub, 0, &e);
		if (r)
			refused++;
		else
			ctl_envelope_free(&e);
		copy[i] = text[i];
	}
	CHECK(refused >= len - 8);
	CHECK(untouched(&e) || (e = sentinel(), true));
	free(copy);
	e = sentinel();
	CHECK(untouched(&e));
	free(text);
	json_decref(st);
}

static void test_forged(EVP_PKEY *key, EVP_PKEY *pub)
{
	json_t *st = json_pack("{s:s}", "iface", "wg0");
	struct ctl_envelope e = sentinel();
	char err[256], other_dir[] = "/tmp/lw-ctl-other.XXXXXX", *text, *big;
	EVP_PKEY *other;
	bool made;

	/* Signed by another key. */
	CHECK(mkdtemp(other_dir) != NULL);
	CHECK_EQ(ctl_key_load(other_dir, "net1", true, &other, &made, err,
			      sizeof(err)),
		 0);
	text = ctl_envelope_sign(other, "net1", "a", 9, st);
	CHECK_EQ(parse(text, strlen(text), pub, 0, &e), -EPERM);
	CHECK(untouched(&e));
	free(text);
	/* A valid signature moved onto other content. */
	text = ctl_envelope_sign(key, "net1", "a", 9, st);
	big = strstr(text, "\"wg0\"");
	CHECK(big != NULL);
	if (big)
		memcpy(big, "\"wg1\"", 5);
	CHECK_EQ(parse(text, strlen(text), pub, 0, &e), -EPERM);
	free(text);
	/* Malformed: extra field, duplicate key, wrong types, not JSON. */
	CHECK_EQ(parse("{\"network\":\"net1\",\"node\":\"a\",\"epoch\":1,"
		       "\"state\":{},\"sig\":\"x\",\"more\":1}",
		       67, pub, 0, &e),
		 -EBADMSG);
	text = "{\"network\":\"net1\",\"network\":\"net1\",\"node\":\"a\","
	       "\"epoch\":1,\"state\":{},\"sig\":\"x\"}";
	CHECK_EQ(parse(text, strlen(text), pub, 0, &e), -EBADMSG);
	text = "{\"network\":\"net1\",\"node\":\"a\",\"epoch\":\"1\","
	       "\"state\":{},\"sig\":\"x\"}";
	CHECK_EQ(parse(text, strlen(text), pub, 0, &e), -EBADMSG);
	text = "{\"network\":\"net1\",\"node\":\"a\",\"epoch\":-3,"
	       "\"state\":{},\"sig\":\"x\"}";
	CHECK_EQ(parse(text, strlen(text), pub, 0, &e), -EBADMSG);
	CHECK_EQ(parse("\x00\x01", 2, pub, 0, &e), -EBADMSG);
	/* Oversized: refused before parsing. */
	big = malloc(CTL_MAX_ENVELOPE + 1);
	memset(big, ' ', CTL_MAX_ENVELOPE + 1);
	CHECK_EQ(parse(big, CTL_MAX_ENVELOPE + 1, pub, 0, &e), -EMSGSIZE);
	free(big);
	CHECK(untouched(&e));
	EVP_PKEY_free(other);
	json_decref(st);
	snprintf(err, sizeof(err), "rm -rf %s", other_dir);
	CHECK_EQ(system(err), 0);
}

static void test_seal(void)
{
	uint8_t priv[32], pub[32], priv2[32], psk[32], out[32], box[80];
	char *sealed, *b64;
	size_t i, refused = 0;

	x25519_generate_private(priv);
	x25519_public_from_private(pub, priv);
	x25519_generate_private(priv2);
	crypto_random(psk, sizeof(psk));
	sealed = ctl_seal(psk, pub, "net1/a/z");
	CHECK(sealed != NULL);
	CHECK_EQ(ctl_unseal(out, sealed, priv, "net1/a/z"), 0);
	CHECK(!memcmp(out, psk, 32));
	CHECK(!strstr(sealed, "AAAAAAAA"));
	CHECK_EQ(ctl_unseal(out, sealed, priv, "net1/a/c"), -EBADMSG);
	CHECK(crypto_is_zero(out, 32));
	CHECK_EQ(ctl_unseal(out, sealed, priv2, "net1/a/z"), -EBADMSG);
	CHECK_EQ(ctl_unseal(out, "short", priv, "net1/a/z"), -EBADMSG);
	/* Every bit of every byte of the box flipped. */
	CHECK_EQ(ctl_b64_decode(box, sizeof(box), sealed), 0);
	for (i = 0; i < sizeof(box) * 8; i++) {
		box[i / 8] ^= (uint8_t)(1u << (i % 8));
		b64 = ctl_b64_encode(box, sizeof(box));
		refused += ctl_unseal(out, b64, priv, "net1/a/z") == -EBADMSG;
		free(b64);
		box[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CHECK_EQ(refused, sizeof(box) * 8);
	free(sealed);
}

/* A two-node plan made by hand: a with peer z (endpoint, psk). */
static void fake_plan(struct lw_desc *d, struct lw_node_plan *pl,
		      struct lw_node nodes[2], const uint8_t z_pub[32])
{
	memset(d, 0, sizeof(*d));
	memset(pl, 0, sizeof(*pl));
	memset(nodes, 0, 2 * sizeof(*nodes));
	d->net.name = "net1";
	nodes[0].name = "a";
	nodes[1].name = "z";
	nodes[1].role = LW_ROLE_HUB;
	prefix_parse(&nodes[1].addr[0].p, "10.9.0.1/32", true);
	d->nodes = nodes;
	d->n_nodes = 2;
	pl->desc = d;
	pl->self = &nodes[0];
	snprintf(pl->iface, sizeof(pl->iface), "wg7");
	up_prefix_parse(&pl->addrs[0], "10.9.0.2/24");
	pl->n_addrs = 1;
	pl->mtu = 1380;
	pl->listen_port = 51000;
	pl->routes = calloc(1, sizeof(*pl->routes));
	prefix_parse(&pl->routes[0], "192.168.5.0/24", false);
	pl->n_routes = 1;
	pl->peers = calloc(1, sizeof(*pl->peers));
	pl->n_peers = 1;
	pl->peers[0].node = 1;
	memcpy(pl->peers[0].public_key, z_pub, 32);
	pl->peers[0].has_psk = true;
	crypto_random(pl->peers[0].psk, 32);
	pl->peers[0].has_endpoint = true;
	lw_endpoint_parse(&pl->peers[0].endpoint, "198.51.100.7:51820");
	pl->peers[0].keepalive = 15;
	pl->peers[0].allowed_ips = calloc(2, sizeof(struct lw_prefix));
	prefix_parse(&pl->peers[0].allowed_ips[0], "10.9.0.0/24", false);
	prefix_parse(&pl->peers[0].allowed_ips[1], "192.168.6.0/24", false);
	pl->peers[0].n_allowed_ips = 2;
}

static void test_state(EVP_PKEY *key, EVP_PKEY *pub)
{
	uint8_t a_priv[32], a_pub[32], z_priv[32], z_pub[32];
	struct lw_node nodes[2];
	struct lw_node_plan pl;
	struct ctl_envelope e = sentinel();
	struct ctl_plan cp;
	struct lw_desc d;
	char err[512], *text, *sealed;
	json_t *st, *digest1, *digest2;

	x25519_generate_private(a_priv);
	x25519_public_from_private(a_pub, a_priv);
	x25519_generate_private(z_priv);
	x25519_public_from_private(z_pub, z_priv);
	fake_plan(&d, &pl, nodes, z_pub);
	st = ctl_state_build(&pl, a_pub, "t.conf", true, err, sizeof(err));
	CHECK(st != NULL);
	text = ctl_envelope_sign(key, "net1", "a", 3, st);
	/* No preshared key in the clear anywhere in what a hub holds. */
	{
		char psk_b64[LW_KEY_B64_LEN + 1];

		key_to_base64(psk_b64, pl.peers[0].psk);
		CHECK(!strstr(text, psk_b64));
	}
	CHECK_EQ(parse(text, strlen(text), pub, 0, &e), 0);
	CHECK_EQ(ctl_state_plan(&cp, e.state, "net1", "a", a_priv,
				"/etc/k.key", err, sizeof(err)),
		 0);
	CHECK(!strcmp(cp.pl.iface, "wg7") && cp.pl.mtu == 1380 &&
	      cp.pl.listen_port == 51000);
	CHECK(cp.pl.n_addrs == 1 && prefix_equal(&cp.pl.addrs[0], &pl.addrs[0]));
	prefix_format(err, sizeof(err), &cp.pl.addrs[0]);
	CHECK(!strcmp(err, "10.9.0.2/24")); /* the host bits kept */
	CHECK(cp.pl.n_routes == 1 &&
	      prefix_equal(&cp.pl.routes[0], &pl.routes[0]));
	CHECK_EQ(cp.pl.n_peers, 1);
	CHECK(!strcmp(cp.desc.nodes[cp.pl.peers[0].node].name, "z"));
	CHECK(cp.pl.peers[0].has_psk &&
	      !memcmp(cp.pl.peers[0].psk, pl.peers[0].psk, 32));
	CHECK(!memcmp(cp.pl.peers[0].public_key, z_pub, 32));
	CHECK(cp.pl.peers[0].has_endpoint &&
	      !strcmp(cp.pl.peers[0].endpoint.host, "198.51.100.7") &&
	      cp.pl.peers[0].endpoint.port == 51820);
	CHECK_EQ(cp.pl.peers[0].n_allowed_ips, 2);
	CHECK_EQ(cp.pl.peers[0].keepalive, 15);
	CHECK(!cp.pl.has_private_key &&
	      !strcmp(cp.pl.private_key_path, "/etc/k.key"));
	CHECK(cp.n_hubs == 1 && !strcmp(cp.nft, ""));
	ctl_plan_free(&cp);
	/* Another node's private key: refused (the state names a's key,
	 * and the sealed key would not open). */
	CHECK_EQ(ctl_state_plan(&cp, e.state, "net1", "a", z_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "another public key") != NULL);
	/* A sealed key moved to another peer name does not open. */
	json_object_set_new(json_array_get(json_object_get(e.state, "peers"),
					   0),
			    "name", json_string("c"));
	CHECK_EQ(ctl_state_plan(&cp, e.state, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "does not open") != NULL);
	/* A sysctl lanwire never sets. */
	json_object_set_new(e.state, "sysctls",
			    json_pack("[s]", "kernel.modprobe=/tmp/x"));
	CHECK_EQ(ctl_state_plan(&cp, e.state, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	ctl_envelope_free(&e);
	/* Unsealed builds compare equal while the keys are the same, and
	 * differ when a preshared key changes; sealed ones never repeat. */
	digest1 = ctl_state_build(&pl, a_pub, "t.conf", false, err, 512);
	digest2 = ctl_state_build(&pl, a_pub, "t.conf", false, err, 512);
	CHECK(json_equal(digest1, digest2));
	json_decref(digest2);
	pl.peers[0].psk[0] ^= 1;
	digest2 = ctl_state_build(&pl, a_pub, "t.conf", false, err, 512);
	CHECK(!json_equal(digest1, digest2));
	sealed = json_dumps(st, JSON_SORT_KEYS);
	json_decref(st);
	st = ctl_state_build(&pl, a_pub, "t.conf", true, err, 512);
	text[0] = '\0';
	free(text);
	text = json_dumps(st, JSON_SORT_KEYS);
	CHECK(strcmp(text, sealed) != 0);
	free(text);
	free(sealed);
	json_decref(digest1);
	json_decref(digest2);
	json_decref(st);
	plan_free(&pl);
}

/* A rotation's fields (ctl_switch.h) marked into a state and read back;
 * each malformed one refused. */
static void test_state_switch(void)
{
	uint8_t a_priv[32], a_pub[32], z_pub[32], old[32];
	struct ctl_switch sw[2] = { { 0 } };
	struct lw_node nodes[2];
	struct lw_node_plan pl;
	struct ctl_plan cp;
	struct lw_desc d;
	char err[512], old_b64[LW_KEY_B64_LEN + 1];
	json_t *st, *peer;

	x25519_generate_private(a_priv);
	x25519_public_from_private(a_pub, a_priv);
	crypto_random(z_pub, 32);
	crypto_random(old, 32);
	key_to_base64(old_b64, old);
	fake_plan(&d, &pl, nodes, z_pub);
	st = ctl_state_build(&pl, a_pub, "t.conf", true, err, sizeof(err));
	sw[0].name = "z";
	memcpy(sw[0].replaces, old, 32);
	sw[0].at_ms = 1700000000123;
	sw[1].name = "a";
	sw[1].at_ms = 1700000000456;
	CHECK_EQ(ctl_switch_mark(st, "a", sw, 2), 0);
	CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 0);
	CHECK_EQ(cp.n_switches, 1);
	CHECK(cp.n_switches == 1 && cp.switches[0].peer == 0 &&
	      cp.switches[0].at_ms == 1700000000123 &&
	      !memcmp(cp.switches[0].replaces, old, 32) &&
	      !strcmp(cp.switches[0].name, "z"));
	CHECK(cp.switch_at == 1700000000456);
	ctl_plan_free(&cp);
	peer = json_array_get(json_object_get(st, "peers"), 0);
	/* each alone, 0, not a key, the peer's own key: refused */
	json_object_del(peer, "switch_at");
	CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "go together") != NULL);
	json_object_set_new(peer, "switch_at", json_integer(0));
	CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	json_object_set_new(peer, "switch_at", json_integer(5));
	json_object_del(peer, "replaces");
	CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	json_object_set_new(peer, "replaces", json_string("nokey"));
	CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	key_to_base64(old_b64, z_pub);
	json_object_set_new(peer, "replaces", json_string(old_b64));
	CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	CHECK(strstr(err, "its own key") != NULL);
	/* another peer's key: a second peer with a replaced key */
	{
		json_t *p2 = json_deep_copy(peer);
		char k2[LW_KEY_B64_LEN + 1];
		uint8_t other[32];

		crypto_random(other, 32);
		key_to_base64(k2, other);
		json_object_set_new(p2, "name", json_string("y"));
		json_object_del(p2, "psk"); /* sealed for z */
		json_object_set_new(p2, "public_key", json_string(k2));
		json_object_set_new(p2, "replaces", json_string(old_b64));
		json_object_set_new(peer, "replaces", json_string(k2));
		json_array_append_new(json_object_get(st, "peers"), p2);
		CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k",
					err, sizeof(err)),
			 -EBADMSG);
		CHECK(strstr(err, "replaces a peer's key") != NULL);
		json_array_remove(json_object_get(st, "peers"), 1);
	}
	json_object_del(peer, "replaces");
	json_object_del(peer, "switch_at");
	json_object_set_new(st, "switch_at", json_string("soon"));
	CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 -EBADMSG);
	json_object_del(st, "switch_at");
	CHECK_EQ(ctl_state_plan(&cp, st, "net1", "a", a_priv, "/k", err,
				sizeof(err)),
		 0);
	CHECK(cp.n_switches == 0 && cp.switch_at == 0);
	ctl_plan_free(&cp);
	json_decref(st);
	plan_free(&pl);
	crypto_wipe(a_priv, sizeof(a_priv));
}

int main(void)
{
	char network[LW_NAME_MAX + 1], cmd[512];
	EVP_PKEY *key, *pub;

	crypto_init();
	if (!mkdtemp(dir))
		return 1;
	test_key_files();
	test_b64();
	key = make_key();
	pub = load_pub(network);
	CHECK(!strcmp(network, "net1"));
	test_envelope(key, pub);
	test_forged(key, pub);
	test_seal();
	test_state(key, pub);
	test_state_switch();
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
	return test_finish("planner_ctl_test");
}
