/* SPDX-License-Identifier: MIT */
/*
 * Whole devices for unit tests (device_test.c, send_test.c): a fake clock,
 * the fake UDP wire of fakewire.h, a datagram socketpair for each TUN, and
 * helpers that connect, pump and read them.
 *
 * Ownership: a test owns its struct node; node_init() sets it up,
 * device_close() and closing tun_peer release it.
 */
#ifndef LW_TESTNODE_H
#define LW_TESTNODE_H

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "fakewire.h"
#include "peer.h"
#include "privdrop.h"
#include "test.h"

static uint64_t fake_mono = 1000 * NS_PER_SEC;
static uint64_t fake_wall = 1700000000 * NS_PER_SEC;
static uint64_t fake_now(void) { return fake_mono; }
static uint64_t fake_wall_now(void) { return fake_wall; }

static const struct device_ops fake_ops = {
	.now = fake_now,
	.wall_now = fake_wall_now,
	.random = crypto_random,
	.udp = &fakewire_io,
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
};


static void node_init(struct node *n, const char *name, bool offloads)
{
	int sv[2];

	int port = FAKEWIRE_PORT0 + (name[4] - 'a');
	struct sockaddr_in from;
	uint8_t junk[1];

	CHECK_EQ(device_init(&n->dev, name), 0);
	n->dev.ops = &fake_ops;
	/* A socketpair stands in for a TUN opened with IFF_VNET_HDR. */
	n->dev.want_offloads = offloads;
	n->dev.tun_offloads.vnet_hdr = offloads;
	n->dev.udp_gso = offloads;
	/* The fake wire: the port names the node (fakewire.h). */
	n->dev.listen_port = (uint16_t)port;
	n->dev.udp4_fd = port;
	while (fakewire_take(port, junk, 0, &from) >= 0)
		;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	n->dev.tun_fd = sv[0];
	n->tun_peer = sv[1];
}

static void connect_nodes(struct node *a, struct node *b)
{
	uint8_t ka[32], kb[32], v4[4];
	struct endpoint ep = { 0 };

	x25519_generate_private(ka);
	x25519_generate_private(kb);
	device_set_private_key(&a->dev, ka);
	device_set_private_key(&b->dev, kb);
	a->peer = peer_create(&a->dev, b->dev.local.static_public);
	b->peer = peer_create(&b->dev, a->dev.local.static_public);
	inet_pton(AF_INET, "10.0.0.2", v4);
	allowedips_insert(&a->dev.allowedips, AF_INET, v4, 32,
			  &a->peer->allowedips);
	inet_pton(AF_INET, "10.0.0.1", v4);
	allowedips_insert(&b->dev.allowedips, AF_INET, v4, 32,
			  &b->peer->allowedips);
	ep.in.sin_family = AF_INET;
	ep.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ep.in.sin_port = htons(b->dev.listen_port);
	peer_set_endpoint(a->peer, &ep);
	crypto_wipe(ka, sizeof(ka));
	crypto_wipe(kb, sizeof(kb));
}

/* Runs two devices until nothing moves (bounded). */
static void pump_pair(struct node *x, struct node *y)
{
	for (int i = 0; i < 20; i++) {
		struct node *n[2] = { x, y };

		for (int k = 0; k < 2; k++) {
			send_packets_from_tun(&n[k]->dev);
			receive_packets_from_udp(&n[k]->dev, n[k]->dev.udp4_fd);
			if (n[k]->dev.next_timer_ns &&
			    n[k]->dev.next_timer_ns <= fake_mono)
				device_tick_timers(&n[k]->dev);
		}
		usleep(1000);
	}
}

/* A minimal IPv4/UDP packet from src to dst with a payload marker. */
static size_t make_packet(uint8_t *p, const char *src, const char *dst,
			  uint8_t marker)
{
	memset(p, 0, 60);
	p[0] = 0x45;
	p[3] = 60;
	p[8] = 64;
	p[9] = 17;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	p[59] = marker;
	return 60;
}

/* Reads what reached a node's TUN; returns the count of packets, last in p. */
static int drain_tun(struct node *n, uint8_t *p, size_t cap, size_t *len)
{
	int count = 0;
	ssize_t r;

	while ((r = read(n->tun_peer, p, cap)) > 0) {
		*len = (size_t)r;
		count++;
	}
	return count;
}

#endif
