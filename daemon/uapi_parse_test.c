// SPDX-License-Identifier: MIT
/*
 * Tests of the UAPI "set=1" parser from text transcripts: what `wg setconf`
 * and `wg set` write to the socket (wireguard-tools ipc-uapi.h, config.c),
 * checked field by field; one table of malformed lines with the errno and
 * line each must give; a transaction of 130,560 allowed_ip lines and one of
 * 10,000 peers; hex keys formatted and parsed back (endpoints:
 * endpoint_test.c).
 */
#include "uapi_parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "test.h"

#define PRIV "5c0a3c931f35836f145aa4f6134ae031ca64ed720abaff81861fa1040552c38c"
#define PUB1 "24aa9da15e0a3225df855705217389d849509993c9a4e2f2a08c75fd1cd69b07"
#define PSK1 "52f5dde0a35226e52c1dcb032d56ac03bf67b50aa1c899da0bb0d2d88cba526d"
#define PUB2 "6d4e640d804d06505e8cf6f0acfdcc81cdee0bd2808cb9b44d85c7e0c56e0618"
#define PSK2 "44c180ece88e7de995e74291f5786354a1811b9b64f62ae4110ac4344e7684d3"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

#define LARGE_ALLOWED_IPS 130560
#define LARGE_PEERS 10000

static int parse_text(struct uapi_set *s, const char *text)
{
	return uapi_set_parse(s, text, strlen(text));
}

static bool key_is(const uint8_t key[static NOISE_PUBLIC_KEY_LEN],
		   const char *hex)
{
	char buf[2 * NOISE_PUBLIC_KEY_LEN + 1];

	key_to_hex(buf, key);
	return !strcmp(buf, hex);
}

static bool key_is_zero(const uint8_t key[static NOISE_PUBLIC_KEY_LEN])
{
	return key_is(key, ZERO);
}

static bool allowed_ip_is(const struct uapi_allowed_ip *ip, const char *text)
{
	char addr[INET6_ADDRSTRLEN], buf[64];

	if (!inet_ntop(ip->family, ip->addr, addr, sizeof(addr)))
		return false;
	snprintf(buf, sizeof(buf), "%s/%u", addr, ip->cidr);
	return !strcmp(buf, text);
}

static bool endpoint_is(const struct endpoint *ep, const char *text)
{
	char buf[ENDPOINT_STR_MAX];

	endpoint_format(buf, sizeof(buf), ep);
	return !strcmp(buf, text);
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/*
 * `wg setconf wg0 f` for this file, written as config_read_init() and
 * userspace_set_device() do it: setconf always sends private_key,
 * listen_port, fwmark and replace_peers; every [Peer] replaces its allowed
 * IPs; wg never sends protocol_version. "set=1" and the final blank line
 * are the caller's.
 *
 *   [Interface]
 *   PrivateKey = <PRIV>
 *   ListenPort = 51820
 *   [Peer]
 *   PublicKey = <PUB1>
 *   PresharedKey = <PSK1>
 *   Endpoint = 192.0.2.1:51820
 *   PersistentKeepalive = 25
 *   AllowedIPs = 10.0.0.2/32, 10.1.0.0/16
 *   [Peer]
 *   PublicKey = <PUB2>
 *   PresharedKey = <PSK2>
 *   Endpoint = [2001:db8::1]:51821
 *   AllowedIPs = fd00::2/128, 0.0.0.0/0, ::/0
 */
static const char setconf_transcript[] =
	"private_key=" PRIV "\n"
	"listen_port=51820\n"
	"fwmark=0\n"
	"replace_peers=true\n"
	"public_key=" PUB1 "\n"
	"preshared_key=" PSK1 "\n"
	"endpoint=192.0.2.1:51820\n"
	"persistent_keepalive_interval=25\n"
	"replace_allowed_ips=true\n"
	"allowed_ip=10.0.0.2/32\n"
	"allowed_ip=10.1.0.0/16\n"
	"public_key=" PUB2 "\n"
	"preshared_key=" PSK2 "\n"
	"endpoint=[2001:db8::1]:51821\n"
	"replace_allowed_ips=true\n"
	"allowed_ip=fd00::2/128\n"
	"allowed_ip=0.0.0.0/0\n"
	"allowed_ip=::/0\n"
	"\n";

static void check_setconf_device(const struct uapi_set *s)
{
	CHECK(s->has_private_key);
	CHECK(key_is(s->private_key, PRIV));
	CHECK(s->has_listen_port);
	CHECK_EQ(s->listen_port, 51820);
	CHECK(s->has_fwmark);
	CHECK_EQ(s->fwmark, 0);
	CHECK(s->replace_peers);
	CHECK_EQ(s->n_peers, 2);
	CHECK_EQ(s->error_line, 18);
}

static void check_setconf_peer1(const struct uapi_peer *p)
{
	CHECK(key_is(p->public_key, PUB1));
	CHECK(!p->remove);
	CHECK(!p->update_only);
	CHECK(p->has_preshared_key);
	CHECK(key_is(p->preshared_key, PSK1));
	CHECK(p->has_endpoint);
	CHECK_EQ(p->endpoint.in.sin_family, AF_INET);
	CHECK_EQ(ntohs(p->endpoint.in.sin_port), 51820);
	CHECK_EQ(ntohl(p->endpoint.in.sin_addr.s_addr), 0xc0000201);
	CHECK(p->has_persistent_keepalive);
	CHECK_EQ(p->persistent_keepalive_interval, 25);
	CHECK(p->replace_allowed_ips);
	CHECK_EQ(p->n_allowed_ips, 2);
	CHECK_EQ(p->allowed_ips[0].family, AF_INET);
	CHECK_EQ(p->allowed_ips[0].cidr, 32);
	CHECK(allowed_ip_is(&p->allowed_ips[0], "10.0.0.2/32"));
	CHECK(allowed_ip_is(&p->allowed_ips[1], "10.1.0.0/16"));
}

static void check_setconf_peer2(const struct uapi_peer *p)
{
	static const uint8_t db8_1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	CHECK(key_is(p->public_key, PUB2));
	CHECK(p->has_preshared_key);
	CHECK(key_is(p->preshared_key, PSK2));
	CHECK(p->has_endpoint);
	CHECK_EQ(p->endpoint.in6.sin6_family, AF_INET6);
	CHECK_EQ(ntohs(p->endpoint.in6.sin6_port), 51821);
	CHECK(!memcmp(&p->endpoint.in6.sin6_addr, db8_1, 16));
	CHECK_EQ(p->endpoint.in6.sin6_scope_id, 0);
	CHECK(!p->has_persistent_keepalive);
	CHECK(p->replace_allowed_ips);
	CHECK_EQ(p->n_allowed_ips, 3);
	CHECK_EQ(p->allowed_ips[0].family, AF_INET6);
	CHECK_EQ(p->allowed_ips[0].cidr, 128);
	CHECK(allowed_ip_is(&p->allowed_ips[0], "fd00::2/128"));
	CHECK_EQ(p->allowed_ips[1].family, AF_INET);
	CHECK(allowed_ip_is(&p->allowed_ips[1], "0.0.0.0/0"));
	CHECK_EQ(p->allowed_ips[2].family, AF_INET6);
	CHECK(allowed_ip_is(&p->allowed_ips[2], "::/0"));
}

static void test_setconf(void)
{
	struct uapi_set s;

	CHECK_EQ(parse_text(&s, setconf_transcript), 0);
	check_setconf_device(&s);
	if (s.n_peers == 2) {
		check_setconf_peer1(&s.peers[0]);
		check_setconf_peer2(&s.peers[1]);
	}
	uapi_set_free(&s);
	CHECK(key_is_zero(s.private_key));
	CHECK(s.peers == NULL);
	CHECK_EQ(s.n_peers, 0);
}

/* `wg set wg0 peer PUB1 remove`: nothing for the device, one removal. */
static void test_set_remove(void)
{
	struct uapi_set s;

	CHECK_EQ(parse_text(&s, "public_key=" PUB1 "\nremove=true\n\n"), 0);
	CHECK(!s.has_private_key);
	CHECK(!s.has_listen_port);
	CHECK(!s.has_fwmark);
	CHECK(!s.replace_peers);
	CHECK_EQ(s.n_peers, 1);
	CHECK(s.n_peers == 1 && s.peers[0].remove);
	CHECK(s.n_peers == 1 && key_is(s.peers[0].public_key, PUB1));
	uapi_set_free(&s);
}

/* lanwired's probe: 0 (off) or 100..5000 ms. */
static void test_probe_ms(void)
{
	struct uapi_set s;

	CHECK_EQ(parse_text(&s, "public_key=" PUB1 "\nlanwire_probe_ms=1000"
				"\n\n"),
		 0);
	CHECK(s.n_peers == 1 && s.peers[0].has_probe_ms);
	CHECK(s.n_peers == 1 && s.peers[0].probe_ms == 1000);
	uapi_set_free(&s);
	CHECK_EQ(parse_text(&s, "public_key=" PUB1 "\nlanwire_probe_ms=0\n\n"),
		 0);
	CHECK(s.n_peers == 1 && s.peers[0].has_probe_ms);
	CHECK(s.n_peers == 1 && s.peers[0].probe_ms == 0);
	uapi_set_free(&s);
	CHECK_EQ(parse_text(&s, "public_key=" PUB1 "\n\n"), 0);
	CHECK(s.n_peers == 1 && !s.peers[0].has_probe_ms);
	uapi_set_free(&s);
}

/* lanwired's carrier: 0 (off) or 100..10000 ms. */
static void test_carrier_ms(void)
{
	struct uapi_set s;

	CHECK_EQ(parse_text(&s, "public_key=" PUB1 "\nlanwire_carrier_ms=300"
				"\n\n"),
		 0);
	CHECK(s.n_peers == 1 && s.peers[0].has_carrier_ms);
	CHECK(s.n_peers == 1 && s.peers[0].carrier_ms == 300);
	CHECK(s.n_peers == 1 && !s.peers[0].has_probe_ms);
	uapi_set_free(&s);
	CHECK_EQ(parse_text(&s, "public_key=" PUB1
				"\nlanwire_carrier_ms=0\n\n"),
		 0);
	CHECK(s.n_peers == 1 && s.peers[0].has_carrier_ms);
	CHECK(s.n_peers == 1 && s.peers[0].carrier_ms == 0);
	uapi_set_free(&s);
}

/* lanwired's own peer key: the peer a rotated key replaces. */
static void test_replaces(void)
{
	struct uapi_set s;

	CHECK_EQ(parse_text(&s, "public_key=" PUB1 "\nlanwire_replaces=" PUB2
				"\n\n"),
		 0);
	CHECK(s.n_peers == 1 && s.peers[0].has_replaces);
	CHECK(s.n_peers == 1 && key_is(s.peers[0].replaces, PUB2));
	uapi_set_free(&s);
	CHECK_EQ(parse_text(&s, "public_key=" PUB1 "\n\n"), 0);
	CHECK(s.n_peers == 1 && !s.peers[0].has_replaces);
	uapi_set_free(&s);
}

/*
 * `wg setconf` of a file without PrivateKey, or `wg set wg0 private-key
 * /dev/null fwmark off`: an all-zero key, which removes the key.
 */
static void test_zero_private_key(void)
{
	struct uapi_set s;

	CHECK_EQ(parse_text(&s, "private_key=" ZERO "\nfwmark=0\n"), 0);
	CHECK(s.has_private_key);
	CHECK(key_is_zero(s.private_key));
	CHECK(s.has_fwmark);
	CHECK_EQ(s.fwmark, 0);
	CHECK_EQ(s.n_peers, 0);
	uapi_set_free(&s);
}

/*
 * What other clients may send and wg might: protocol_version, update_only,
 * a keepalive and a preshared key of zero (off), the same public key twice
 * (two [Peer] sections with one key), upper-case hex, extremes of range,
 * no final newline.
 */
static void test_other_client(void)
{
	static const char text[] =
		"listen_port=0\n"
		"fwmark=4294967295\n"
		"public_key=" PUB1 "\n"
		"protocol_version=1\n"
		"update_only=true\n"
		"preshared_key=" ZERO "\n"
		"persistent_keepalive_interval=0\n"
		"replace_allowed_ips=true\n"
		"public_key=" PUB1 "\n"
		"persistent_keepalive_interval=65535\n"
		"endpoint=[::ffff:192.0.2.7]:0\n"
		"public_key=6D4E640D804D06505E8CF6F0ACFDCC81CDEE0BD2808CB9B44D85C7E0C56E0618\n"
		"endpoint=198.51.100.200:65535";
	struct uapi_set s;
	const struct uapi_peer *p;

	CHECK_EQ(parse_text(&s, text), 0);
	CHECK(s.has_listen_port && s.listen_port == 0);
	CHECK(s.has_fwmark && s.fwmark == UINT32_MAX);
	CHECK_EQ(s.n_peers, 3);
	if (s.n_peers != 3)
		goto out;
	p = &s.peers[0];
	CHECK(p->update_only && p->replace_allowed_ips && !p->remove);
	CHECK(p->has_preshared_key && key_is_zero(p->preshared_key));
	CHECK(p->has_persistent_keepalive);
	CHECK_EQ(p->persistent_keepalive_interval, 0);
	CHECK_EQ(p->n_allowed_ips, 0);
	p = &s.peers[1];
	CHECK(key_is(p->public_key, PUB1));
	CHECK(!p->update_only && !p->has_preshared_key);
	CHECK_EQ(p->persistent_keepalive_interval, 65535);
	CHECK(endpoint_is(&p->endpoint, "[::ffff:192.0.2.7]:0"));
	p = &s.peers[2];
	CHECK(key_is(p->public_key, PUB2));
	CHECK(endpoint_is(&p->endpoint, "198.51.100.200:65535"));
out:
	uapi_set_free(&s);
}

/* The blank line ends the transaction; what follows is not parsed. */
static void test_blank_line_ends(void)
{
	struct uapi_set s;

	CHECK_EQ(parse_text(&s, "listen_port=1\n\nbogus\n"), 0);
	CHECK_EQ(s.listen_port, 1);
	CHECK_EQ(s.error_line, 1);
	uapi_set_free(&s);
	CHECK_EQ(parse_text(&s, ""), 0);
	CHECK_EQ(s.error_line, 0);
	uapi_set_free(&s);
	CHECK_EQ(uapi_set_parse(&s, NULL, 0), 0);
	uapi_set_free(&s);
	CHECK_EQ(parse_text(&s, "\nlisten_port=x\n"), 0);
	CHECK(!s.has_listen_port);
	uapi_set_free(&s);
}

/* replace_allowed_ips empties what its peer op gathered before it, as
 * wireguard-go empties the peer where the line stands. */
static void test_replace_allowed_ips_position(void)
{
	struct uapi_set s;

	CHECK_EQ(parse_text(&s, "public_key=" PUB1 "\n"
				"allowed_ip=10.0.0.1/32\n"
				"allowed_ip=10.0.0.2/32\n"
				"replace_allowed_ips=true\n"
				"allowed_ip=10.0.0.3/32\n"
				"public_key=" PUB2 "\n"
				"allowed_ip=10.0.0.4/32\n"
				"replace_allowed_ips=true\n"
				"public_key=" PUB1 "\n"
				"allowed_ip=10.0.0.5/32\n"),
		 0);
	CHECK_EQ(s.n_peers, 3);
	if (s.n_peers == 3) {
		CHECK(s.peers[0].replace_allowed_ips);
		CHECK_EQ(s.peers[0].n_allowed_ips, 1);
		CHECK(allowed_ip_is(&s.peers[0].allowed_ips[0], "10.0.0.3/32"));
		CHECK(s.peers[1].replace_allowed_ips);
		CHECK_EQ(s.peers[1].n_allowed_ips, 0);
		CHECK(!s.peers[2].replace_allowed_ips);
		CHECK_EQ(s.peers[2].n_allowed_ips, 1);
	}
	uapi_set_free(&s);
}

#define PEER "public_key=" PUB1 "\n"

struct bad_case {
	const char *text;
	int err;
	size_t line;
};

static const struct bad_case bad_cases[] = {
	/* line shape (wireguard-go: -EPROTO without '=') */
	{ "listen_port", -EPROTO, 1 },
	{ "private_key=" PRIV "\nlisten_port\n", -EPROTO, 2 },
	{ "=5", -EINVAL, 1 },
	{ "=", -EINVAL, 1 },
	{ "listen_prt=5", -EINVAL, 1 },
	{ "Listen_port=5", -EINVAL, 1 },
	{ "listen_port =5", -EINVAL, 1 },
	{ " listen_port=5", -EINVAL, 1 },
	{ "jc=4", -EINVAL, 1 },
	{ PEER "rx_bytes=0", -EINVAL, 2 },
	{ PEER "last_handshake_time_sec=0", -EINVAL, 2 },
	{ PEER "errno=0", -EINVAL, 2 },
	/* numbers */
	{ "listen_port=", -EINVAL, 1 },
	{ "listen_port=65536", -EINVAL, 1 },
	{ "listen_port=-1", -EINVAL, 1 },
	{ "listen_port=+5", -EINVAL, 1 },
	{ "listen_port= 5", -EINVAL, 1 },
	{ "listen_port=5 ", -EINVAL, 1 },
	{ "listen_port=5\r", -EINVAL, 1 },
	{ "listen_port=0x10", -EINVAL, 1 },
	{ "listen_port=99999999999999999999999", -EINVAL, 1 },
	{ "fwmark=4294967296", -EINVAL, 1 },
	{ "fwmark=18446744073709551617", -EINVAL, 1 },
	{ "fwmark=off", -EINVAL, 1 },
	{ PEER "persistent_keepalive_interval=65536", -EINVAL, 2 },
	{ PEER "persistent_keepalive_interval=", -EINVAL, 2 },
	{ "lanwire_replaces=" PUB1, -EINVAL, 1 }, /* a peer key */
	{ PEER "lanwire_replaces=", -EINVAL, 2 },
	{ PEER "lanwire_replaces=" PUB1 "0", -EINVAL, 2 },
	{ PEER "lanwire_replaces=zz", -EINVAL, 2 },
	{ "lanwire_probe_ms=1000", -EINVAL, 1 }, /* a peer key */
	{ PEER "lanwire_probe_ms=", -EINVAL, 2 },
	{ PEER "lanwire_probe_ms=99", -EINVAL, 2 }, /* under the minimum */
	{ PEER "lanwire_probe_ms=5001", -EINVAL, 2 },
	{ PEER "lanwire_probe_ms=-1", -EINVAL, 2 },
	{ PEER "lanwire_probe_ms=1s", -EINVAL, 2 },
	{ "lanwire_carrier_ms=300", -EINVAL, 1 }, /* a peer key */
	{ PEER "lanwire_carrier_ms=99", -EINVAL, 2 },
	{ PEER "lanwire_carrier_ms=10001", -EINVAL, 2 },
	{ PEER "lanwire_carrier_ms=", -EINVAL, 2 },
	/* keys */
	{ "private_key=", -EINVAL, 1 },
	{ "private_key=" PRIV "0", -EINVAL, 1 },
	{ "private_key=5c0a3c931f35836f145aa4f6134ae031ca64ed720abaff81861fa1040552c38",
	  -EINVAL, 1 },
	{ "private_key=5c0a3c931f35836f145aa4f6134ae031ca64ed720abaff81861fa1040552c38g",
	  -EINVAL, 1 },
	{ "private_key= c0a3c931f35836f145aa4f6134ae031ca64ed720abaff81861fa1040552c38c",
	  -EINVAL, 1 },
	{ "public_key=24aa9da15e0a3225df85", -EINVAL, 1 },
	{ "public_key=XCoF+...base64...", -EINVAL, 1 },
	{ PEER "preshared_key=" PSK1 PSK1, -EINVAL, 2 },
	{ PEER "preshared_key=:2f5dde0a35226e52c1dcb032d56ac03bf67b50aa1c899da0bb0d2d88cba526d",
	  -EINVAL, 2 },
	/* booleans */
	{ "replace_peers=false", -EINVAL, 1 },
	{ "replace_peers=", -EINVAL, 1 },
	{ PEER "remove=false", -EINVAL, 2 },
	{ PEER "remove=1", -EINVAL, 2 },
	{ PEER "update_only=TRUE", -EINVAL, 2 },
	{ PEER "replace_allowed_ips=true ", -EINVAL, 2 },
	/* allowed IPs */
	{ PEER "allowed_ip=10.0.0.0/33", -EINVAL, 2 },
	{ PEER "allowed_ip=fd00::/129", -EINVAL, 2 },
	{ PEER "allowed_ip=::ffff:10.0.0.1/129", -EINVAL, 2 },
	{ PEER "allowed_ip=10.0.0.1", -EINVAL, 2 },
	{ PEER "allowed_ip=10.0.0.0/", -EINVAL, 2 },
	{ PEER "allowed_ip=/24", -EINVAL, 2 },
	{ PEER "allowed_ip=", -EINVAL, 2 },
	{ PEER "allowed_ip=10.0.0.0/-1", -EINVAL, 2 },
	{ PEER "allowed_ip=10.0.0.0/+8", -EINVAL, 2 },
	{ PEER "allowed_ip=10.0.0.0/08", -EINVAL, 2 },
	{ PEER "allowed_ip=10.0.0.0/8/8", -EINVAL, 2 },
	{ PEER "allowed_ip=10.0.0.256/32", -EINVAL, 2 },
	{ PEER "allowed_ip=10.0.0/24", -EINVAL, 2 },
	{ PEER "allowed_ip=010.0.0.0/8", -EINVAL, 2 },
	{ PEER "allowed_ip=fd00::g/64", -EINVAL, 2 },
	{ PEER "allowed_ip=fe80::1%eth0/64", -EINVAL, 2 },
	{ PEER "allowed_ip=-10.0.0.0/8", -EINVAL, 2 },
	{ PEER "allowed_ip=example.com/32", -EINVAL, 2 },
	{ PEER "allowed_ip=1111:2222:3333:4444:5555:6666:7777:8888:9999:a/64",
	  -EINVAL, 2 },
	/* endpoints */
	{ PEER "endpoint=", -EINVAL, 2 },
	{ PEER "endpoint=2001:db8::1:51820", -EINVAL, 2 },
	{ PEER "endpoint=::1:51820", -EINVAL, 2 },
	{ PEER "endpoint=192.0.2.1", -EINVAL, 2 },
	{ PEER "endpoint=192.0.2.1:", -EINVAL, 2 },
	{ PEER "endpoint=192.0.2.1:65536", -EINVAL, 2 },
	{ PEER "endpoint=192.0.2.1:-1", -EINVAL, 2 },
	{ PEER "endpoint=192.0.2:51820", -EINVAL, 2 },
	{ PEER "endpoint=[2001:db8::1]", -EINVAL, 2 },
	{ PEER "endpoint=[2001:db8::1]:", -EINVAL, 2 },
	{ PEER "endpoint=[2001:db8::1]51820", -EINVAL, 2 },
	{ PEER "endpoint=[2001:db8::1:51820", -EINVAL, 2 },
	{ PEER "endpoint=[192.0.2.1]:51820", -EINVAL, 2 },
	{ PEER "endpoint=[fe80::1%lwkynosuch0]:51820", -EINVAL, 2 },
	{ PEER "endpoint=[fe80::1%]:51820", -EINVAL, 2 },
	{ PEER "endpoint=192.0.2.1%1:51820", -EINVAL, 2 },
	{ PEER "endpoint=example.com:51820", -EINVAL, 2 },
	{ PEER "endpoint=:51820", -EINVAL, 2 },
	/* order: a key out of place is unknown there (wireguard-go) */
	{ "remove=true", -EINVAL, 1 },
	{ "listen_port=1\nallowed_ip=10.0.0.0/8", -EINVAL, 2 },
	{ "endpoint=192.0.2.1:1", -EINVAL, 1 },
	{ "protocol_version=1", -EINVAL, 1 },
	{ PEER "listen_port=1", -EINVAL, 2 },
	{ PEER "private_key=" PRIV, -EINVAL, 2 },
	{ PEER "replace_peers=true", -EINVAL, 2 },
	/* protocol version: -EINVAL as wireguard-go answers */
	{ PEER "protocol_version=2", -EINVAL, 2 },
	{ PEER "protocol_version=0", -EINVAL, 2 },
	{ PEER "protocol_version=", -EINVAL, 2 },
	{ PEER "protocol_version=01", -EINVAL, 2 },
	/* the first bad line stops the parse */
	{ PEER "allowed_ip=10.0.0.0/8\nallowed_ip=10.0.0.0/33\nbogus",
	  -EINVAL, 3 },
};

static void test_bad_lines(void)
{
	const struct bad_case *c;
	struct uapi_set s;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		ret = parse_text(&s, c->text);
		if (ret != c->err || s.error_line != c->line)
			fprintf(stderr, "bad case %zu: \"%s\"\n", i, c->text);
		CHECK_EQ(ret, c->err);
		CHECK_EQ(s.error_line, c->line);
		uapi_set_free(&s);
	}
}

/* A NUL inside a line is refused, wherever it is. */
static void test_nul_in_line(void)
{
	static const char line[] = "listen_port=1\0";
	static const char text[] = "listen_port=1\nfw\0mark=1\n";
	struct uapi_set s;

	uapi_set_init(&s);
	CHECK_EQ(uapi_set_parse_line(&s, line, sizeof(line) - 1), -EINVAL);
	uapi_set_free(&s);
	CHECK_EQ(uapi_set_parse(&s, text, sizeof(text) - 1), -EINVAL);
	CHECK_EQ(s.error_line, 2);
	uapi_set_free(&s);
}

/* The streaming interface counts lines itself; the empty line is bad. */
static void test_streaming(void)
{
	static const char *const lines[] = {
		"private_key=" PRIV, "replace_peers=true",
		"public_key=" PUB2, "allowed_ip=192.0.2.0/24",
	};
	struct uapi_set s;
	size_t i;

	uapi_set_init(&s);
	for (i = 0; i < 4; i++)
		CHECK_EQ(uapi_set_parse_line(&s, lines[i], strlen(lines[i])),
			 0);
	CHECK_EQ(s.error_line, 4);
	CHECK_EQ(s.n_peers, 1);
	CHECK(s.n_peers == 1 && s.peers[0].n_allowed_ips == 1);
	CHECK_EQ(uapi_set_parse_line(&s, "", 0), -EINVAL);
	CHECK_EQ(s.error_line, 5);
	uapi_set_free(&s);
	uapi_set_free(&s);
	CHECK_EQ(s.n_peers, 0);
}

static void test_free_twice(void)
{
	struct uapi_set s;

	uapi_set_init(&s);
	uapi_set_free(&s);
	uapi_set_free(&s);
	CHECK(s.peers == NULL);
	CHECK_EQ(parse_text(&s, setconf_transcript), 0);
	uapi_set_free(&s);
	uapi_set_free(&s);
	CHECK(s.peers == NULL && !s.has_private_key);
}

/* Room for the text of a transaction of n lines of up to 96 bytes. */
static char *text_alloc(size_t n)
{
	char *text = malloc(n * 96 + 256);

	if (!text) {
		perror("malloc");
		exit(2);
	}
	return text;
}

/* One peer, 255 * 512 allowed_ip lines: 10.a.b.0/24 and fd00:a:b::/48. */
static size_t write_large_allowed_ips(char *text)
{
	size_t off = 0, i;

	off += (size_t)sprintf(text, "public_key=" PUB1 "\n"
				     "replace_allowed_ips=true\n");
	for (i = 0; i < LARGE_ALLOWED_IPS; i++) {
		unsigned a = (unsigned)(i / 512), b = (unsigned)(i % 512 / 2);

		if (i % 2)
			off += (size_t)sprintf(text + off,
					       "allowed_ip=fd00:%x:%x::/48\n",
					       a, b);
		else
			off += (size_t)sprintf(text + off,
					       "allowed_ip=10.%u.%u.0/24\n",
					       a, b);
	}
	return off;
}

static void test_large_allowed_ips(void)
{
	char *text = text_alloc(LARGE_ALLOWED_IPS + 2);
	size_t len = write_large_allowed_ips(text);
	const struct uapi_peer *p;
	struct timespec t0, t1;
	struct uapi_set s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(uapi_set_parse(&s, text, len), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "uapi_parse: %d allowed_ip lines in %.1f ms\n",
		LARGE_ALLOWED_IPS, elapsed_ms(&t0, &t1));
	CHECK_EQ(s.error_line, LARGE_ALLOWED_IPS + 2);
	CHECK_EQ(s.n_peers, 1);
	if (s.n_peers == 1) {
		p = &s.peers[0];
		CHECK_EQ(p->n_allowed_ips, LARGE_ALLOWED_IPS);
		/* geometric growth: never more than twice what is used */
		CHECK(p->cap_allowed_ips < 2 * p->n_allowed_ips);
		CHECK(allowed_ip_is(&p->allowed_ips[0], "10.0.0.0/24"));
		CHECK(allowed_ip_is(&p->allowed_ips[LARGE_ALLOWED_IPS - 1],
				    "fd00:fe:ff::/48"));
		CHECK(allowed_ip_is(&p->allowed_ips[LARGE_ALLOWED_IPS - 2],
				    "10.254.255.0/24"));
	}
	uapi_set_free(&s);
	free(text);
}

/* 10,000 peers, each with a distinct key and one allowed IP. */
static void test_many_peers(void)
{
	char *text = text_alloc(2 * LARGE_PEERS);
	char hex[2 * NOISE_PUBLIC_KEY_LEN + 1];
	uint8_t key[NOISE_PUBLIC_KEY_LEN] = { 0 };
	struct uapi_set s;
	size_t off = 0, i;

	off += (size_t)sprintf(text, "replace_peers=true\n");
	for (i = 0; i < LARGE_PEERS; i++) {
		key[0] = (uint8_t)(i >> 8);
		key[1] = (uint8_t)i;
		key_to_hex(hex, key);
		off += (size_t)sprintf(text + off, "public_key=%s\n"
				       "allowed_ip=10.%zu.%zu.1/32\n",
				       hex, i >> 8, i & 0xff);
	}
	CHECK_EQ(uapi_set_parse(&s, text, off), 0);
	CHECK_EQ(s.n_peers, LARGE_PEERS);
	CHECK(s.cap_peers < 2 * s.n_peers);
	if (s.n_peers == LARGE_PEERS) {
		CHECK_EQ(s.peers[LARGE_PEERS - 1].public_key[0],
			 (LARGE_PEERS - 1) >> 8);
		CHECK_EQ(s.peers[LARGE_PEERS - 1].public_key[1],
			 (LARGE_PEERS - 1) & 0xff);
		CHECK_EQ(s.peers[LARGE_PEERS - 1].n_allowed_ips, 1);
		CHECK(allowed_ip_is(&s.peers[LARGE_PEERS - 1].allowed_ips[0],
				    "10.39.15.1/32"));
	}
	uapi_set_free(&s);
	free(text);
}

/* Every byte value survives to_hex -> from_hex; output is lower case. */
static void test_key_hex_roundtrip(void)
{
	uint8_t key[NOISE_PUBLIC_KEY_LEN], back[NOISE_PUBLIC_KEY_LEN];
	char hex[2 * NOISE_PUBLIC_KEY_LEN + 1];
	bool lower = true, same = true;
	size_t round, i;

	for (round = 0; round < 8; round++) {
		for (i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)(round * 32 + i);
		key_to_hex(hex, key);
		for (i = 0; i < 2 * sizeof(key); i++)
			lower &= !isupper((unsigned char)hex[i]);
		CHECK_EQ(strlen(hex), 64);
		CHECK_EQ(key_from_hex(back, hex, 64), 0);
		same &= !memcmp(key, back, sizeof(key));
		for (i = 0; i < 2 * sizeof(key); i++)
			hex[i] = (char)toupper((unsigned char)hex[i]);
		CHECK_EQ(key_from_hex(back, hex, 64), 0);
		same &= !memcmp(key, back, sizeof(key));
	}
	CHECK(lower);
	CHECK(same);
	CHECK_EQ(key_from_hex(back, PSK1, 63), -EINVAL);
	CHECK_EQ(key_from_hex(back, "", 0), -EINVAL);
}

/* Each of the 256 byte values in each position: accepted iff isxdigit. */
static void test_key_hex_alphabet(void)
{
	uint8_t key[NOISE_PUBLIC_KEY_LEN];
	char hex[2 * NOISE_PUBLIC_KEY_LEN + 1] = ZERO;
	unsigned c, wrong = 0, pos;
	int ret;

	for (pos = 0; pos < 64; pos += 63) {
		for (c = 0; c < 256; c++) {
			hex[pos] = (char)c;
			ret = key_from_hex(key, hex, 64);
			wrong += (ret == 0) != (isxdigit((int)c) != 0);
			if (ret)
				wrong += !key_is_zero(key);
			else
				wrong += (pos ? key[31] & 0xf : key[0] >> 4) !=
					 (isdigit((int)c) ? c - '0' :
					  (unsigned)tolower((int)c) - 'a' + 10);
		}
		hex[pos] = '0';
	}
	CHECK_EQ(wrong, 0);
}

int main(void)
{
	test_setconf();
	test_set_remove();
	test_zero_private_key();
	test_replaces();
	test_probe_ms();
	test_carrier_ms();
	test_other_client();
	test_blank_line_ends();
	test_replace_allowed_ips_position();
	test_bad_lines();
	test_nul_in_line();
	test_streaming();
	test_free_twice();
	test_large_allowed_ips();
	test_many_peers();
	test_key_hex_roundtrip();
	test_key_hex_alphabet();
	return test_finish("uapi_parse");
}
