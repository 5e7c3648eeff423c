// SPDX-License-Identifier: MIT
/*
 * Key changes as the kernel makes them (peer_refresh_identity and the UAPI's
 * private_key), on two whole devices in one process as device_test.c builds
 * them (loopback UDP, a socketpair for each TUN, a fake clock), configured
 * through UAPI transactions (uapi_set_parse + uapi_apply):
 *  1. the private key the device already has, alone and inside the
 *     transaction `wg syncconf` sends for the running configuration: the
 *     session, its keypair and indices stay, no handshake follows;
 *  2. a new key drops every keypair for sending, the responder's
 *     unconfirmed next too (a data packet under it no longer decrypts),
 *     keeps the current one as previous (receive only), clears the
 *     handshake, removes the other receiver indices and re-derives
 *     DH(s, S);
 *  3. after a new key the next handshake goes out at once, even 1 s after
 *     the last one (REKEY_TIMEOUT would hold it 5 s), and carries traffic;
 *  4. a peer whose public key is the new key's is removed;
 *  5. the zero key removes the identity and drops every session; a packet
 *     staged meanwhile goes out as soon as a key is set;
 *  6. a packet sealed under the old session before the key changed (in
 *     flight) still decrypts and is delivered after it;
 *  7. make-before-break (lanwire_replaces, docs/control.md "Key
 *     rotation"): the peer's new key added beside the old one with no
 *     AllowedIPs takes the old one's on its first handshake, and traffic
 *     flows both ways with the old peer left holding none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "peer.h"
#include "privdrop.h"
#include "test.h"
#include "uapi.h"
#include "udp.h"

static uint64_t fake_mono = 1000 * NS_PER_SEC;
static uint64_t fake_wall = 1700000000 * NS_PER_SEC;
static uint64_t fake_now(void) { return fake_mono; }
static uint64_t fake_wall_now(void) { return fake_wall; }
/* A fake clock; real loopback UDP sockets. */
static const struct device_ops fake_clock_ops = {
	.now = fake_now,
	.wall_now = fake_wall_now,
	.random = crypto_random,
	.udp = &udp_io_system,
	.udp_open = privdrop_udp_open,
	.udp_set_fwmark = privdrop_udp_set_fwmark,
};

static void advance(uint64_t ns)
{
	fake_mono += ns;
	fake_wall += ns;
}

struct node {
	struct device dev;
	int tun_peer; /* our end of the fake TUN */
	struct peer *peer;
	uint8_t key[NOISE_PUBLIC_KEY_LEN];
	const char *addr; /* inner address, 10.0.0.x */
};

static struct node A, B;

/* Applies one UAPI set transaction (the text after "set=1"). */
static int uapi_setf(struct device *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int uapi_setf(struct device *dev, const char *fmt, ...)
{
	struct uapi_set s;
	char text[2048];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ret = uapi_set_parse(&s, text, strlen(text));
	if (!ret)
		ret = uapi_apply(dev, &s);
	uapi_set_free(&s);
	crypto_wipe(text, sizeof(text));
	return ret;
}

static void hex(char out[static 2 * NOISE_PUBLIC_KEY_LEN + 1],
		const uint8_t key[static NOISE_PUBLIC_KEY_LEN])
{
	key_to_hex(out, key);
}

static void node_init(struct node *n, const char *name, const char *addr)
{
	int sv[2];

	memset(n, 0, sizeof(*n));
	CHECK_EQ(device_init(&n->dev, name), 0);
	n->dev.ops = &fake_clock_ops;
	CHECK_EQ(device_set_listen_port(&n->dev, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	n->dev.tun_fd = sv[0];
	n->tun_peer = sv[1];
	n->addr = addr;
}

static void node_close(struct node *n)
{
	close(n->tun_peer);
	device_close(&n->dev);
	crypto_wipe(n->key, sizeof(n->key));
}

/* x gets a new private key (through the UAPI) and, when told, y learns
 * its new public key in place of the old one. */
static int node_rekey(struct node *x, struct node *y, bool tell_y)
{
	char k[2 * NOISE_PUBLIC_KEY_LEN + 1];
	int ret;

	x25519_generate_private(x->key);
	hex(k, x->key);
	ret = uapi_setf(&x->dev, "private_key=%s\n", k);
	crypto_wipe(k, sizeof(k));
	if (tell_y && y->peer) {
		peer_remove(y->peer);
		y->peer = NULL;
	}
	if (tell_y) {
		char pub[2 * NOISE_PUBLIC_KEY_LEN + 1];

		hex(pub, x->dev.local.static_public);
		ret = ret ? ret : uapi_setf(&y->dev, "public_key=%s\n"
					    "allowed_ip=%s/32\n",
					    pub, x->addr);
		y->peer = peer_lookup(&y->dev, x->dev.local.static_public);
	}
	return ret;
}

/* Two fresh devices that know each other; A has B's endpoint. */
static void pair_up(void)
{
	char pub[2 * NOISE_PUBLIC_KEY_LEN + 1];

	node_init(&A, "lwpta0", "10.0.0.1");
	node_init(&B, "lwptb0", "10.0.0.2");
	CHECK_EQ(node_rekey(&A, &B, false), 0);
	CHECK_EQ(node_rekey(&B, &A, true), 0);
	CHECK_EQ(node_rekey(&A, &B, true), 0);
	hex(pub, B.dev.local.static_public);
	CHECK_EQ(uapi_setf(&A.dev, "public_key=%s\nendpoint=127.0.0.1:%u\n",
			   pub, B.dev.listen_port),
		 0);
	CHECK(A.peer && B.peer);
}

static void pair_down(void)
{
	node_close(&A);
	node_close(&B);
}

/* Runs both devices until nothing moves (bounded); the clock stands. */
static void pump(void)
{
	for (int i = 0; i < 20; i++) {
		struct node *n[2] = { &A, &B };

		for (int k = 0; k < 2; k++) {
			send_packets_from_tun(&n[k]->dev);
			receive_packets_from_udp(&n[k]->dev,
						 n[k]->dev.udp4_fd);
			if (n[k]->dev.next_timer_ns &&
			    n[k]->dev.next_timer_ns <= fake_mono)
				device_tick_timers(&n[k]->dev);
		}
		usleep(1000);
	}
}

/* One IPv4/UDP packet from x to y through x's TUN, with a marker. */
static void send_packet(struct node *x, struct node *y, uint8_t marker)
{
	uint8_t p[60] = { 0x45, 0, 0, 60 };

	p[8] = 64;
	p[9] = 17;
	inet_pton(AF_INET, x->addr, p + 12);
	inet_pton(AF_INET, y->addr, p + 16);
	p[59] = marker;
	CHECK_EQ(write(x->tun_peer, p, sizeof(p)), (ssize_t)sizeof(p));
}

/* Packets that reached n's TUN; the last one's marker in *marker. */
static int drain_tun(struct node *n, uint8_t *marker)
{
	uint8_t p[2048];
	int count = 0;
	ssize_t r;

	while ((r = read(n->tun_peer, p, sizeof(p))) > 0) {
		if (r == 60)
			*marker = p[59];
		count++;
	}
	return count;
}

static bool delivered(struct node *x, struct node *y, uint8_t marker)
{
	uint8_t got = 0;

	send_packet(x, y, marker);
	pump();
	return drain_tun(y, &got) == 1 && got == marker;
}

static bool index_is_live(struct device *dev, uint32_t index)
{
	return index && index_table_lookup(&dev->index, index,
					 INDEX_HANDSHAKE | INDEX_KEYPAIR) != NULL;
}

/* 1. The same key, alone and as `wg syncconf` sends it. */
static void test_same_key_keeps_sessions(void)
{
	char k[2 * NOISE_PUBLIC_KEY_LEN + 1], pub[2 * NOISE_PUBLIC_KEY_LEN + 1];
	struct noise_keypair *cur_a, *cur_b;
	uint64_t hs_a, hs_b, sent_a;
	uint32_t idx_b;

	pair_up();
	CHECK(delivered(&A, &B, 1));
	CHECK(delivered(&B, &A, 2));
	cur_a = A.peer->keypairs.current;
	cur_b = B.peer->keypairs.current;
	idx_b = cur_b ? cur_b->local_index : 0;
	hs_a = A.peer->last_handshake_wall_ns;
	hs_b = B.peer->last_handshake_wall_ns;
	sent_a = A.peer->last_sent_handshake_ns;
	CHECK(cur_a && cur_b);

	advance(NS_PER_SEC);
	hex(k, B.key);
	CHECK_EQ(uapi_setf(&B.dev, "private_key=%s\n", k), 0);
	/* What `wg syncconf` writes for the unchanged configuration. */
	hex(pub, A.dev.local.static_public);
	CHECK_EQ(uapi_setf(&B.dev, "private_key=%s\nlisten_port=%u\nfwmark=0\n"
			   "public_key=%s\npreshared_key=%064d\n"
			   "replace_allowed_ips=true\nallowed_ip=%s/32\n",
			   k, B.dev.listen_port, pub, 0, A.addr),
		 0);
	crypto_wipe(k, sizeof(k));

	CHECK(B.peer->keypairs.current == cur_b);
	CHECK(index_is_live(&B.dev, idx_b));
	CHECK(delivered(&A, &B, 3));
	CHECK(delivered(&B, &A, 4));
	/* No handshake followed. */
	CHECK(A.peer->keypairs.current == cur_a);
	CHECK(B.peer->keypairs.current == cur_b);
	CHECK_EQ(A.peer->last_handshake_wall_ns, hs_a);
	CHECK_EQ(B.peer->last_handshake_wall_ns, hs_b);
	CHECK_EQ(A.peer->last_sent_handshake_ns, sent_a);
	pair_down();
}

/* 2. A new key while B holds an unconfirmed next keypair. */
static void test_new_key_drops_every_keypair(void)
{
	uint8_t ss[NOISE_PUBLIC_KEY_LEN], marker = 0;
	uint32_t idx_next, idx_cur, idx_prev;
	struct noise_keypairs *kps;
	uint64_t unknown;

	pair_up();
	kps = &B.peer->keypairs;
	CHECK(delivered(&A, &B, 1));       /* B: current */
	advance((REKEY_TIMEOUT + 1) * NS_PER_SEC);
	send_handshake_initiation(A.peer, false);
	usleep(2000);
	receive_packets_from_udp(&B.dev, B.dev.udp4_fd); /* B: next */
	CHECK(kps->next && kps->current);
	idx_next = kps->next ? kps->next->local_index : 0;
	idx_cur = kps->current ? kps->current->local_index : 0;
	idx_prev = kps->previous ? kps->previous->local_index : 0;

	CHECK_EQ(node_rekey(&B, &A, false), 0);
	CHECK(!kps->next && !kps->current && kps->previous);
	CHECK(!index_is_live(&B.dev, idx_next));
	CHECK(index_is_live(&B.dev, idx_cur)); /* receive only */
	CHECK(!index_is_live(&B.dev, idx_prev));
	CHECK_EQ(B.dev.index.count, 1);
	CHECK_EQ(B.peer->handshake.state, HANDSHAKE_ZEROED);
	CHECK_EQ(B.peer->last_sent_handshake_ns, 0);
	/* DH(s, S) under the new key. */
	CHECK(x25519(ss, B.key, A.dev.local.static_public));
	CHECK(crypto_equal(ss, B.peer->handshake.precomputed_static_static,
			   sizeof(ss)));

	/* A takes B's response and sends data under the keypair B held as
	 * next: B no longer has it. */
	unknown = B.dev.drops[DROP_UNKNOWN_INDEX];
	receive_packets_from_udp(&A.dev, A.dev.udp4_fd);
	send_packet(&A, &B, 5);
	send_packets_from_tun(&A.dev);
	usleep(2000);
	receive_packets_from_udp(&B.dev, B.dev.udp4_fd);
	CHECK_EQ(drain_tun(&B, &marker), 0);
	CHECK(B.dev.drops[DROP_UNKNOWN_INDEX] > unknown);
	crypto_wipe(ss, sizeof(ss));
	pair_down();
}

/* 3. The next handshake starts at once after a key change. */
static void test_new_key_handshakes_at_once(void)
{
	uint64_t hs;

	pair_up();
	CHECK(delivered(&A, &B, 1));
	/* A just initiated (a rekey): REKEY_TIMEOUT would hold the next
	 * initiation until 5 s from now. */
	send_handshake_initiation(A.peer, false);
	pump();
	CHECK(A.peer->last_sent_handshake_ns == fake_mono);
	hs = B.peer->last_handshake_wall_ns;
	advance(NS_PER_SEC);
	CHECK_EQ(node_rekey(&A, &B, true), 0);
	CHECK(!A.peer->keypairs.current);
	/* No clock moves: the handshake must go now, then the packet. */
	CHECK(delivered(&A, &B, 6));
	CHECK(A.peer->keypairs.current != NULL);
	CHECK(B.peer->last_handshake_wall_ns > hs);
	CHECK(delivered(&B, &A, 7));
	pair_down();
}

/* 4. A peer with the new own public key goes. */
static void test_new_key_removes_own_peer(void)
{
	char k[2 * NOISE_PUBLIC_KEY_LEN + 1], pub[2 * NOISE_PUBLIC_KEY_LEN + 1];
	uint8_t priv[NOISE_PUBLIC_KEY_LEN], own[NOISE_PUBLIC_KEY_LEN];

	pair_up();
	x25519_generate_private(priv);
	x25519_public_from_private(own, priv);
	hex(pub, own);
	CHECK_EQ(uapi_setf(&B.dev, "public_key=%s\nallowed_ip=10.9.0.0/16\n",
			   pub),
		 0);
	CHECK_EQ(B.dev.npeers, 2);
	hex(k, priv);
	CHECK_EQ(uapi_setf(&B.dev, "private_key=%s\n", k), 0);
	CHECK(peer_lookup(&B.dev, own) == NULL);
	CHECK_EQ(B.dev.npeers, 1);
	CHECK(peer_lookup(&B.dev, A.dev.local.static_public) == B.peer);
	crypto_wipe(k, sizeof(k));
	crypto_wipe(priv, sizeof(priv));
	pair_down();
}

/* 5. The zero key: no identity, no sessions; a key again: traffic. */
static void test_zero_key(void)
{
	uint8_t marker = 0;

	pair_up();
	CHECK(delivered(&A, &B, 1));
	CHECK_EQ(uapi_setf(&B.dev, "private_key=%064d\n", 0), 0);
	CHECK(!B.dev.local.has_identity);
	CHECK(!B.peer->keypairs.current && !B.peer->keypairs.previous);
	CHECK(!B.peer->handshake.has_valid_static_static);
	/* the zero key again is the key it has: a no-op */
	CHECK_EQ(uapi_setf(&B.dev, "private_key=%064d\n", 0), 0);
	CHECK(!B.dev.local.has_identity);
	/* Without a key a packet waits, staged; the key sends it. */
	send_packet(&B, &A, 8);
	pump();
	CHECK_EQ(B.peer->staged_count, 1);
	CHECK_EQ(drain_tun(&A, &marker), 0);
	CHECK_EQ(node_rekey(&B, &A, true), 0);
	pump();
	CHECK_EQ(drain_tun(&A, &marker), 1);
	CHECK_EQ(marker, 8);
	CHECK(delivered(&B, &A, 9));
	pair_down();
}

/* 6. In flight across B's key change: sealed by A under the old session,
 * received by B after its new key. */
static void test_in_flight_survives_new_key(void)
{
	uint8_t marker = 0;

	pair_up();
	CHECK(delivered(&A, &B, 1));
	send_packet(&A, &B, 10);
	send_packets_from_tun(&A.dev);
	usleep(2000);
	CHECK_EQ(node_rekey(&B, &A, false), 0);
	receive_packets_from_udp(&B.dev, B.dev.udp4_fd);
	CHECK_EQ(drain_tun(&B, &marker), 1);
	CHECK_EQ(marker, 10);
	CHECK(!B.peer->keypairs.current); /* nothing sent under it */
	pair_down();
}

/* 7. A rotates; B adds A's new key beside the old with no AllowedIPs
 * and lanwire_replaces; the first handshake moves them. */
static void test_replaces_moves_allowed_ips(void)
{
	char k[2 * NOISE_PUBLIC_KEY_LEN + 1], pub[2 * NOISE_PUBLIC_KEY_LEN + 1];
	char old[2 * NOISE_PUBLIC_KEY_LEN + 1];
	struct peer *old_peer, *new_peer;

	pair_up();
	CHECK(delivered(&A, &B, 1));
	old_peer = B.peer;
	hex(old, A.dev.local.static_public);
	x25519_generate_private(A.key);
	{
		uint8_t newpub[NOISE_PUBLIC_KEY_LEN];

		x25519_public_from_private(newpub, A.key);
		hex(pub, newpub);
	}
	/* a bad key is refused and changes nothing */
	CHECK_EQ(uapi_setf(&B.dev, "public_key=%s\nlanwire_replaces=zz\n",
			   pub),
		 -EINVAL);
	CHECK_EQ(B.dev.npeers, 1);
	CHECK_EQ(uapi_setf(&B.dev, "public_key=%s\nlanwire_replaces=%s\n",
			   pub, old),
		 0);
	CHECK_EQ(B.dev.npeers, 2);
	new_peer = peer_lookup(&B.dev, A.dev.local.static_public);
	CHECK(new_peer == old_peer); /* A has not switched yet */
	hex(k, A.key);
	CHECK_EQ(uapi_setf(&A.dev, "private_key=%s\n", k), 0);
	crypto_wipe(k, sizeof(k));
	new_peer = peer_lookup(&B.dev, A.dev.local.static_public);
	CHECK(new_peer && new_peer != old_peer && new_peer->has_replaces);
	CHECK_EQ(new_peer ? new_peer->allowedips.count : 1, 0);
	CHECK(delivered(&A, &B, 11));
	CHECK_EQ(new_peer ? new_peer->allowedips.count : 0, 1);
	CHECK_EQ(old_peer->allowedips.count, 0);
	CHECK(new_peer && !new_peer->has_replaces);
	CHECK(delivered(&B, &A, 12));
	CHECK(delivered(&A, &B, 13));
	pair_down();
}

int main(void)
{
	if (crypto_init() < 0)
		return 1;
	test_same_key_keeps_sessions();
	test_new_key_drops_every_keypair();
	test_new_key_handshakes_at_once();
	test_new_key_removes_own_peer();
	test_zero_key();
	test_in_flight_survives_new_key();
	test_replaces_moves_allowed_ips();
	return test_finish("peer");
}
