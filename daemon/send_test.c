// SPDX-License-Identifier: MIT
/*
 * The send path's promises, on whole devices over the fake wire
 * (testnode.h): a handshake response counts as a handshake sent for the
 * REKEY_TIMEOUT limit; the staged flush stops at REJECT_AFTER_MESSAGES per
 * packet; one peer's failing path costs the other peers of the same send
 * batch nothing.
 */
#include "testnode.h"

/* A fresh pair with a session (E initiated). */
static void fresh_pair(struct node *e, struct node *f, const char *ne,
		       const char *nf)
{
	node_init(e, ne, false);
	node_init(f, nf, false);
	connect_nodes(e, f);
	advance((REKEY_TIMEOUT + 1) * NS_PER_SEC);
	send_handshake_initiation(e->peer, false);
	pump_pair(e, f);
	send_keepalive(e->peer);
	pump_pair(e, f);
}

static void close_pair(struct node *e, struct node *f)
{
	close(e->tun_peer);
	close(f->tun_peer);
	device_close(&e->dev);
	device_close(&f->dev);
}

/* The responder counts its response as a handshake sent (as the kernel's
 * rekey rate limit does): an initiation of its own right after it, e.g.
 * for a packet staged meanwhile, waits REKEY_TIMEOUT. */
static void test_response_counts_as_handshake_sent(void)
{
	struct node E, F;

	node_init(&E, "lwdte0", false);
	node_init(&F, "lwdtf0", false);
	connect_nodes(&E, &F);
	send_handshake_initiation(E.peer, false);
	usleep(2000);
	receive_packets_from_udp(&F.dev, F.dev.udp4_fd);
	CHECK(F.peer->keypairs.next != NULL);
	CHECK_EQ(F.peer->last_sent_handshake_ns, fake_mono);
	send_handshake_initiation(F.peer, false);
	CHECK(F.peer->handshake.state != HANDSHAKE_CREATED_INITIATION);
	advance((REKEY_TIMEOUT + 1) * NS_PER_SEC);
	send_handshake_initiation(F.peer, false);
	CHECK_EQ(F.peer->handshake.state, HANDSHAKE_CREATED_INITIATION);
	close_pair(&E, &F);
}

/* The staged flush stops at REJECT_AFTER_MESSAGES, per packet: two of
 * five go, three stay staged for the next session. */
static void test_staged_flush_reject_after_messages(void)
{
	struct node E, F;
	uint8_t got[2048];
	size_t len;

	fresh_pair(&E, &F, "lwdte1", "lwdtf1");
	CHECK(E.peer->keypairs.current != NULL);
	if (!E.peer->keypairs.current)
		return;
	drain_tun(&F, got, sizeof(got), &len);
	E.peer->keypairs.current->sending_counter = REJECT_AFTER_MESSAGES - 2;
	for (int i = 0; i < 5; i++) {
		struct pktbuf *b = pktbuf_get(&E.dev, 60);

		make_packet(b->data, "10.0.0.1", "10.0.0.2", (uint8_t)(10 + i));
		peer_stage_packet(E.peer, b);
	}
	send_staged_packets(E.peer);
	CHECK_EQ(E.peer->keypairs.current->sending_counter,
		 REJECT_AFTER_MESSAGES);
	CHECK_EQ(E.peer->staged_count, 3);
	usleep(2000);
	receive_packets_from_udp(&F.dev, F.dev.udp4_fd);
	CHECK_EQ(drain_tun(&F, got, sizeof(got), &len), 2);
	close_pair(&E, &F);
}

/* Hub h with peers x (10.0.1.2) and y (10.0.2.2); each spoke routes
 * 10.0.0.0/8 to h. */
static void hub_link(struct node *h, struct node *s, struct peer **hp,
		     const char *inner)
{
	struct endpoint ep = { 0 };
	uint8_t addr[4], any[4] = { 10, 0, 0, 0 };
	uint8_t ks[32];

	x25519_generate_private(ks);
	device_set_private_key(&s->dev, ks);
	*hp = peer_create(&h->dev, s->dev.local.static_public);
	s->peer = peer_create(&s->dev, h->dev.local.static_public);
	inet_pton(AF_INET, inner, addr);
	allowedips_insert(&h->dev.allowedips, AF_INET, addr, 32,
			  &(*hp)->allowedips);
	allowedips_insert(&s->dev.allowedips, AF_INET, any, 8,
			  &s->peer->allowedips);
	ep.in.sin_family = AF_INET;
	ep.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ep.in.sin_port = htons(h->dev.listen_port);
	peer_set_endpoint(s->peer, &ep);
	crypto_wipe(ks, sizeof(ks));
}

static void write_packets(struct node *n, const char *src, const char *dst,
			  int count)
{
	uint8_t pkt[60];

	for (int i = 0; i < count; i++) {
		size_t len = make_packet(pkt, src, dst, (uint8_t)i);

		CHECK_EQ(write(n->tun_peer, pkt, len), (ssize_t)len);
	}
}

/* One send batch of the hub holds datagrams for x, whose path fails
 * (ENETUNREACH), between datagrams for y: each of y's leaves exactly once
 * and arrives, x's are counted as dropped, and only y's count as sent. */
static void test_hub_batch_isolation(void)
{
	struct node H, X, Y;
	struct peer *hx, *hy;
	uint8_t kh[32], got[2048];
	uint64_t tx_x, tx_y;
	unsigned sent_y;
	size_t len;

	node_init(&H, "lwdtg0", false);
	node_init(&X, "lwdth0", false);
	node_init(&Y, "lwdti0", false);
	x25519_generate_private(kh);
	device_set_private_key(&H.dev, kh);
	crypto_wipe(kh, sizeof(kh));
	hub_link(&H, &X, &hx, "10.0.1.2");
	hub_link(&H, &Y, &hy, "10.0.2.2");
	advance((REKEY_TIMEOUT + 1) * NS_PER_SEC);
	send_keepalive(X.peer);
	send_keepalive(Y.peer);
	pump_pair(&H, &X);
	pump_pair(&H, &Y);
	CHECK(hx->keypairs.current && hy->keypairs.current);
	drain_tun(&H, got, sizeof(got), &len);

	fakewire_fail['h' - 'a'] = ENETUNREACH;
	tx_x = hx->tx_bytes;
	tx_y = hy->tx_bytes;
	sent_y = fakewire_sent['i' - 'a'];
	for (int round = 0; round < 3; round++) {
		write_packets(&H, "10.0.0.1", "10.0.1.2", 5);
		write_packets(&H, "10.0.0.1", "10.0.2.2", 5);
	}
	send_packets_from_tun(&H.dev);
	CHECK_EQ(fakewire_sent['i' - 'a'] - sent_y, 15);
	CHECK_EQ(hy->tx_bytes - tx_y, 15 * 96);
	CHECK_EQ(hx->tx_bytes, tx_x);
	CHECK_EQ(H.dev.drops[DROP_SEND_UNREACHABLE], 15);
	receive_packets_from_udp(&Y.dev, Y.dev.udp4_fd);
	CHECK_EQ(drain_tun(&Y, got, sizeof(got), &len), 15);
	fakewire_fail['h' - 'a'] = 0;
	close_pair(&H, &X);
	close(Y.tun_peer);
	device_close(&Y.dev);
}

int main(void)
{
	if (crypto_init() < 0)
		return 1;
	test_response_counts_as_handshake_sent();
	test_staged_flush_reject_after_messages();
	test_hub_batch_isolation();
	return test_finish("send");
}
