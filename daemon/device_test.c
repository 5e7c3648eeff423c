// SPDX-License-Identifier: MIT
/*
 * Two whole devices in one process over tests/testnode.h: a fake UDP wire
 * (fakewire.h, through the devices' ops: no UDP sockets), a datagram
 * socketpair for each TUN (read/write behave as on a TUN fd), and a fake
 * clock. Drives the send and receive paths end to end: the first packet
 * is staged while the handshake runs, key confirmation, inner-source
 * filtering, replayed datagrams, passive keepalive, rekey after
 * REKEY_AFTER_TIME and the REJECT_AFTER_TIME limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "peer.h"
#include "test.h"
#include "testnode.h"

static struct node A, B;

static void pump(void)
{
	pump_pair(&A, &B);
}

static int send_from_a(uint8_t marker)
{
	uint8_t pkt[60];
	size_t n = make_packet(pkt, "10.0.0.1", "10.0.0.2", marker);

	return write(A.tun_peer, pkt, n) == (ssize_t)n ? 0 : -errno;
}

static void test_first_packet_and_handshake(void)
{
	uint8_t got[2048];
	size_t len = 0;

	CHECK_EQ(send_from_a(1), 0);
	send_packets_from_tun(&A.dev);
	/* No session yet: staged, and an initiation went out. */
	CHECK_EQ(A.peer->staged_count, 1);
	pump();
	CHECK_EQ(A.peer->staged_count, 0);
	CHECK_EQ(drain_tun(&B, got, sizeof(got), &len), 1);
	CHECK_EQ(len, 60); /* padding stripped */
	CHECK_EQ(got[59], 1);
	CHECK(A.peer->keypairs.current != NULL);
	/* B learned A's endpoint from the handshake (roaming). */
	CHECK(B.peer->has_endpoint);
	/* Key confirmation: B's next became current on A's first data. */
	CHECK(B.peer->keypairs.current != NULL && !B.peer->keypairs.next);
	CHECK(A.peer->last_handshake_wall_ns != 0);
	CHECK(B.peer->last_handshake_wall_ns != 0);
}

static void test_reply_and_counters(void)
{
	uint8_t pkt[60], got[2048];
	size_t len, n = make_packet(pkt, "10.0.0.2", "10.0.0.1", 2);
	uint64_t tx = B.peer->tx_bytes, rx = A.peer->rx_bytes;

	CHECK_EQ(write(B.tun_peer, pkt, n), (ssize_t)n);
	pump();
	CHECK_EQ(drain_tun(&A, got, sizeof(got), &len), 1);
	CHECK_EQ(got[59], 2);
	/* 60 bytes pad to 64; + 16 header + 16 tag = 96 on the wire. */
	CHECK_EQ(B.peer->tx_bytes - tx, 96);
	CHECK_EQ(A.peer->rx_bytes - rx, 96);
}

static void test_spoofed_source_dropped(void)
{
	uint8_t pkt[60], got[2048];
	size_t len, n = make_packet(pkt, "10.0.0.99", "10.0.0.2", 3);
	uint64_t before = B.dev.drops[DROP_SOURCE_NOT_ALLOWED];

	/* A routes it (destination is B) but the source is not A's. */
	CHECK_EQ(write(A.tun_peer, pkt, n), (ssize_t)n);
	pump();
	CHECK_EQ(drain_tun(&B, got, sizeof(got), &len), 0);
	CHECK_EQ(B.dev.drops[DROP_SOURCE_NOT_ALLOWED], before + 1);
}

static void test_replayed_datagram(void)
{
	uint8_t dgram[2048], got[2048];
	struct sockaddr_in from;
	ssize_t r;
	size_t len;
	uint64_t replays = B.dev.drops[DROP_REPLAYED];

	CHECK_EQ(send_from_a(4), 0);
	send_packets_from_tun(&A.dev);
	usleep(2000);
	/* Take the datagram off B's socket ourselves and feed it twice. */
	r = fakewire_take(B.dev.listen_port, dgram, sizeof(dgram), &from);
	CHECK(r > 0);
	if (r <= 0)
		return;
	uint8_t copy[2048];
	memcpy(copy, dgram, (size_t)r);
	receive_datagram(&B.dev, dgram, (size_t)r, (struct sockaddr *)&from, NULL);
	receive_datagram(&B.dev, copy, (size_t)r, (struct sockaddr *)&from, NULL);
	CHECK_EQ(drain_tun(&B, got, sizeof(got), &len), 1);
	CHECK_EQ(B.dev.drops[DROP_REPLAYED], replays + 1);
}

static void test_passive_keepalive(void)
{
	uint64_t tx = B.peer->tx_bytes;

	/* B received data and sent nothing: after KEEPALIVE_TIMEOUT it
	 * sends one empty packet (32 bytes). */
	advance(KEEPALIVE_TIMEOUT * NS_PER_SEC + NS_PER_MS);
	pump();
	CHECK_EQ(B.peer->tx_bytes - tx, 32);
}

static void test_rekey_after_time(void)
{
	struct noise_keypair *old = A.peer->keypairs.current;
	uint8_t got[2048];
	size_t len;

	advance((REKEY_AFTER_TIME + 1) * NS_PER_SEC);
	CHECK_EQ(send_from_a(5), 0);
	pump();
	/* The packet still went out under the old keys, and the initiator
	 * started a new handshake: a new current keypair now. */
	CHECK(drain_tun(&B, got, sizeof(got), &len) >= 1);
	CHECK(A.peer->keypairs.current != old);
	CHECK(A.peer->keypairs.previous == old);
	CHECK_EQ(send_from_a(6), 0);
	pump();
	CHECK_EQ(drain_tun(&B, got, sizeof(got), &len), 1);
	CHECK_EQ(got[59], 6);
}

static void test_reject_after_time(void)
{
	uint8_t got[2048];
	size_t len;

	/* Past REJECT_AFTER_TIME the old session may not be used: the packet
	 * is staged and a new handshake carries it. */
	advance((REJECT_AFTER_TIME + 1) * NS_PER_SEC);
	CHECK_EQ(send_from_a(7), 0);
	send_packets_from_tun(&A.dev);
	CHECK_EQ(A.peer->staged_count, 1);
	pump();
	CHECK_EQ(drain_tun(&B, got, sizeof(got), &len), 1);
	CHECK_EQ(got[59], 7);
}

static void test_remove_peer_mid_session(void)
{
	uint8_t got[2048];
	size_t len;
	size_t before = A.dev.index.count;

	peer_remove(B.peer);
	B.peer = NULL;
	CHECK_EQ(send_from_a(8), 0);
	pump();
	CHECK_EQ(drain_tun(&B, got, sizeof(got), &len), 0);
	CHECK(B.dev.drops[DROP_UNKNOWN_INDEX] > 0);
	CHECK_EQ(B.dev.index.count, 0);
	CHECK(A.dev.index.count <= before + 1);
}

/* A TCP/IPv4 super-packet as a TUN with TSO hands it over: virtio header
 * (GSO_TCPV4, gso_size mss) and one IP packet carrying nseg * mss bytes. */
static size_t make_tso_packet(uint8_t *buf, unsigned nseg, unsigned mss)
{
	struct vnet_hdr h = { .flags = VNET_HDR_F_NEEDS_CSUM,
			      .gso_type = VNET_HDR_GSO_TCPV4,
			      .hdr_len = 40, .gso_size = (uint16_t)mss,
			      .csum_start = 20, .csum_offset = 16 };
	uint8_t *ip = buf + VNET_HDR_LEN, *tcp = ip + 20;
	size_t total = 40 + (size_t)nseg * mss;

	memcpy(buf, &h, sizeof(h));
	memset(ip, 0, 40);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(total >> 8);
	ip[3] = (uint8_t)total;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	inet_pton(AF_INET, "10.0.0.1", ip + 12);
	inet_pton(AF_INET, "10.0.0.2", ip + 16);
	uint16_t c = inet_csum_fold(inet_csum_partial(ip, 20, 0));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	tcp[0] = 0x9c; tcp[1] = 0x40; /* port 40000 */
	tcp[2] = 0x14; tcp[3] = 0x51; /* port 5201 */
	tcp[7] = 1;                   /* seq 1 */
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;               /* ACK */
	tcp[14] = 0xff;
	for (size_t i = 0; i < (size_t)nseg * mss; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 3);
	return VNET_HDR_LEN + total;
}

/* With virtio headers on both fake TUNs: a TSO super-packet is cut,
 * encrypted, sent (UDP_SEGMENT where the kernel takes it), and leaves the
 * other side as one coalesced GSO packet with the same payload. */
static void test_offloads(unsigned nthreads)
{
	static uint8_t in[70000], out[70000];
	struct node C, D;
	struct vnet_hdr h;
	size_t n, len = 0;
	int count;

	memset(&C, 0, sizeof(C));
	memset(&D, 0, sizeof(D));
	node_init(&C, "lwdtc0", true);
	node_init(&D, "lwdtd0", true);
	CHECK_EQ(workers_start(&C.dev.workers, nthreads), 0);
	CHECK_EQ(workers_start(&D.dev.workers, nthreads), 0);
	connect_nodes(&C, &D);
	/* A plain packet first, to run the handshake. */
	n = make_packet(in + VNET_HDR_LEN, "10.0.0.1", "10.0.0.2", 9);
	memset(in, 0, VNET_HDR_LEN);
	CHECK_EQ(write(C.tun_peer, in, n + VNET_HDR_LEN),
		 (ssize_t)(n + VNET_HDR_LEN));
	pump_pair(&C, &D);
	count = drain_tun(&D, out, sizeof(out), &len);
	CHECK_EQ(count, 1);
	CHECK_EQ(len, VNET_HDR_LEN + 60);
	CHECK_EQ(out[VNET_HDR_LEN + 59], 9);

	n = make_tso_packet(in, 20, 1000);
	CHECK_EQ(write(C.tun_peer, in, n), (ssize_t)n);
	pump_pair(&C, &D);
	count = drain_tun(&D, out, sizeof(out), &len);
	CHECK_EQ(count, 1); /* 20 segments, coalesced back into one write */
	CHECK_EQ(len, n);
	memcpy(&h, out, sizeof(h));
	CHECK_EQ(h.gso_type, VNET_HDR_GSO_TCPV4);
	CHECK_EQ(h.gso_size, 1000);
	CHECK(!memcmp(out + VNET_HDR_LEN + 40, in + VNET_HDR_LEN + 40,
		      20 * 1000));
	CHECK_EQ(D.peer->rx_bytes - 0 > 20 * 1000, 1);

	/* More packets that cannot merge than GRO holds items: 100 UDP
	 * packets in one go, all delivered (the table is flushed when full). */
	for (int i = 0; i < 100; i++) {
		n = make_packet(in + VNET_HDR_LEN, "10.0.0.1", "10.0.0.2",
				(uint8_t)i);
		memset(in, 0, VNET_HDR_LEN);
		CHECK_EQ(write(C.tun_peer, in, n + VNET_HDR_LEN),
			 (ssize_t)(n + VNET_HDR_LEN));
	}
	pump_pair(&C, &D);
	CHECK_EQ(drain_tun(&D, out, sizeof(out), &len), 100);

	/* A small MSS: 200 segments, more than one send batch holds. */
	n = make_tso_packet(in, 200, 300);
	CHECK_EQ(write(C.tun_peer, in, n), (ssize_t)n);
	pump_pair(&C, &D);
	{
		static uint8_t got[70000];
		size_t total = 0;
		ssize_t r;

		while ((r = read(D.tun_peer, out, sizeof(out))) > 0) {
			size_t pay = (size_t)r - VNET_HDR_LEN - 40;

			if (total + pay <= sizeof(got))
				memcpy(got + total, out + VNET_HDR_LEN + 40,
				       pay);
			total += pay;
		}
		CHECK_EQ(total, 200 * 300);
		CHECK(!memcmp(got, in + VNET_HDR_LEN + 40, 200 * 300));
	}
	/* With helpers, the big batches above were shared out (both the
	 * encryption at C and the decryption at D), and still arrived whole
	 * and in order. */
	if (nthreads > 1) {
		CHECK(C.dev.workers.batches_shared > 0);
		CHECK(D.dev.workers.batches_shared > 0);
	}
	close(C.tun_peer);
	close(D.tun_peer);
	device_close(&C.dev);
	device_close(&D.dev);
}

/*
 * handshake_admitted (whitepaper 5.3) between two fresh devices: while D
 * is not under load C's initiation (mac2 zero: C holds no cookie) is
 * answered, and D never even draws its cookie secret; under load the same
 * gets a cookie reply instead, which C takes, and C's retry carries a
 * mac2 D accepts.
 */
static void test_cookie_under_load(void)
{
	struct node C, D;
	uint64_t no_cookie;

	node_init(&C, "lwdtc0", false);
	node_init(&D, "lwdtd0", false);
	connect_nodes(&C, &D);

	/* Not under load: mac2 is not looked at. */
	send_handshake_initiation(C.peer, false);
	pump_pair(&C, &D);
	CHECK(C.peer->keypairs.current != NULL);
	CHECK_EQ(D.dev.drops[DROP_UNDER_LOAD_NO_COOKIE], 0);
	CHECK(!D.dev.cookie_checker.has_secret);

	/* Under load: a cookie reply, then a retry with mac2. */
	advance((REKEY_TIMEOUT + 1) * NS_PER_SEC);
	D.dev.under_load.until_ns = fake_mono + 60 * NS_PER_SEC;
	no_cookie = D.dev.drops[DROP_UNDER_LOAD_NO_COOKIE];
	peer_clear_keypairs(C.peer);
	send_handshake_initiation(C.peer, false);
	receive_packets_from_udp(&D.dev, D.dev.udp4_fd);
	CHECK_EQ(D.dev.drops[DROP_UNDER_LOAD_NO_COOKIE], no_cookie + 1);
	CHECK(D.dev.cookie_checker.has_secret);
	receive_packets_from_udp(&C.dev, C.dev.udp4_fd);
	CHECK(C.peer->cookie_maker.has_cookie);
	CHECK_EQ(C.dev.drops[DROP_BAD_COOKIE], 0);
	advance((REKEY_TIMEOUT + 1) * NS_PER_SEC);
	send_handshake_initiation(C.peer, true);
	pump_pair(&C, &D);
	CHECK_EQ(D.dev.drops[DROP_UNDER_LOAD_NO_COOKIE], no_cookie + 1);
	CHECK(C.peer->keypairs.current != NULL);
	close(C.tun_peer);
	close(D.tun_peer);
	device_close(&C.dev);
	device_close(&D.dev);
}
int main(void)
{
	if (crypto_init() < 0)
		return 1;
	node_init(&A, "lwdta0", false);
	node_init(&B, "lwdtb0", false);
	connect_nodes(&A, &B);
	test_first_packet_and_handshake();
	test_reply_and_counters();
	test_spoofed_source_dropped();
	test_replayed_datagram();
	test_passive_keepalive();
	test_rekey_after_time();
	test_reject_after_time();
	test_remove_peer_mid_session();
	close(A.tun_peer);
	close(B.tun_peer);
	device_close(&A.dev);
	device_close(&B.dev);
	test_offloads(1);
	test_offloads(3);
	test_cookie_under_load();
	return test_finish("device");
}
