// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness of two lanwired devices talking to each other: the
 * handshake (initiation, response), cookie replies under load, transport
 * data with its replay window and AllowedIPs checks, the timers, and the
 * send path from the TUN, all with real keys, so the fuzzer reaches the
 * code behind mac1 and the AEADs that fuzz/packet.c's raw bytes cannot.
 *
 * The input is a script. Byte 0 configures the pair (endpoint family, TUN
 * virtio headers per side, UDP GSO and whether the "kernel" refuses it,
 * preshared key, persistent keepalive, MTU); every further byte is an
 * operation (low 4 bits, enum op) on one side (bit 4) with a small
 * argument (bits 5-7), some followed by parameters: inject a packet at
 * the TUN (well formed, or raw bytes), deliver / drop / reorder /
 * duplicate / tamper with datagrams on the wire, deliver a batch through
 * recvmmsg (optionally coalesced as UDP_GRO does), inject a raw datagram
 * (optionally with a valid mac1 and a live receiver index), let time
 * pass and fire the timers, start a handshake, send a keepalive, put a
 * device under load, change its key or psk, remove and re-add a peer,
 * flood the TUN, or run the wire until it is quiet. Each side also has a
 * third peer that never answers.
 *
 * The wire is simulated: each device's ops (device_ops, udp_io) put
 * datagrams into per-direction queues and take them from there, so
 * nothing reaches the network; a TUN is a SOCK_SEQPACKET socketpair; the
 * clocks are fake; the two devices live across inputs (start_side()
 * resets them); the random bytes (indices, ephemeral keys) come from a
 * fixed-seed generator in the ops, so an input replays exactly.
 *
 * Besides the sanitizers' findings it traps when a promise breaks:
 *   - a datagram the fuzzer made, tampered with (outside mac2, which is
 *     not checked unless under load) or replayed after it was accepted
 *     changes nothing in the receiving device's peers;
 *   - every packet a device writes to its TUN is one the other side's TUN
 *     gave it, at most once, with only padding after it;
 *   - every keypair in a peer's slots and its pending handshake are in the
 *     index table under their own index, and nothing else is;
 *   - keypairs that name each other's indices hold the same keys;
 *   - datagrams go only to an address the other side used, and a
 *     UDP_SEGMENT send is cut as the kernel would cut it.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "log.h"
#include "peer.h"

#define SIDES 2
#define MAX_OPS 256
#define QUEUE_CAP 256		/* datagrams per direction on the wire */
#define MAX_SENT 1024		/* TUN packets remembered per side */
#define TUN_READ_MAX (PKT_MAX - 3 * 16) /* what send.c reads at most */
#define INBOX_CAP 64

/* ---- configuration and script ---- */

enum config_bits {
	CFG_V6 = 1 << 0,	/* endpoints are IPv6 */
	CFG_VNET0 = 1 << 1,	/* side 0's TUN has virtio headers */
	CFG_VNET1 = 1 << 2,
	CFG_GSO = 1 << 3,	/* send with UDP_SEGMENT */
	CFG_GSO_REFUSED = 1 << 4, /* ... which the kernel refuses (EIO) */
	CFG_PSK = 1 << 5,
	CFG_KEEPALIVE = 1 << 6, /* persistent keepalive, 25 s */
	CFG_SMALL_MTU = 1 << 7, /* 1280 instead of 1420 */
};

enum op {
	OP_PING,	/* well-formed packet into the TUN */
	OP_TUN_RAW,	/* raw bytes into the TUN */
	OP_DELIVER,	/* next datagram to this side */
	OP_DELIVER_ALL,	/* every queued datagram in one recvmmsg */
	OP_DROP,
	OP_REORDER,
	OP_RAW,		/* a datagram the fuzzer made */
	OP_TIME,
	OP_INITIATE,
	OP_KEEPALIVE,
	OP_LOAD,
	OP_IDENTITY,	/* switch to the other private key and back */
	OP_REPEER,	/* remove the peer and add it again */
	OP_PSK,		/* switch to a wrong psk and back */
	OP_FLOOD,	/* 1 + 24 * arg packets into the TUN at once */
	OP_QUIET,	/* run the wire until it is quiet */
};

struct script {
	const uint8_t *p;
	size_t n;
};

static uint8_t next_u8(struct script *s)
{
	if (!s->n)
		return 0;
	s->n--;
	return *s->p++;
}

static uint16_t next_u16(struct script *s)
{
	uint16_t hi = next_u8(s);

	return (uint16_t)(hi << 8 | next_u8(s));
}

/* ---- the world ---- */

struct dgram {
	uint8_t *data;
	size_t len;
	/* A copy of a datagram the receiver accepted: must change nothing. */
	bool replay;
	/* After tampering: the bytes the device sent (NULL: untouched). */
	uint8_t *orig;
};

struct queue {
	struct dgram d[QUEUE_CAP];
	unsigned head, n;
};

struct sent_packet {
	uint8_t *data;
	size_t len;
	bool delivered;
};

struct side {
	struct device dev;
	struct peer *peer;	/* the other side */
	struct peer *stranger;	/* never answers, has no endpoint */
	int tun_ours, tun_dev;	/* TUN: our end, the device's end */
	int udp4, udp6;		/* descriptors that name the side's sockets */
	bool vnet;
	bool alt_key, alt_psk;
	/* Packets its TUN gave, that the other side may write once. */
	struct sent_packet sent[MAX_SENT];
	unsigned n_sent;
	bool unrecorded;	/* it sent packets we could not record */
	struct queue inbound;	/* datagrams on their way to it */
};

static struct side sides[SIDES];
static uint8_t config;
static uint64_t mono_ns, wall_ns, prng;
static uint8_t private_keys[2 * SIDES][32], public_keys[2 * SIDES][32];
static uint8_t stranger_key[32];
static uint8_t scratch[PKT_MAX + VNET_HDR_LEN];

static uint64_t fake_now(void)
{
	return mono_ns;
}

static uint64_t fake_wall_now(void)
{
	return wall_ns;
}

/* splitmix64: reproducible "randomness" for indices, ephemeral keys,
 * the cookie secret and timer jitter, handed to both devices in their
 * ops (reseeded per input). */
static int fuzz_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t z;

	while (len) {
		size_t n = len < 8 ? len : 8;

		z = (prng += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(p, &z, n);
		p += n;
		len -= n;
	}
	return 0;
}

/* Side k's address on the wire: v4 or v6, home or after a NAT rebinding. */
static void wire_addr(int k, bool v6, bool roamed, struct endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (v6) {
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons(roamed ? 40000 + k : 51820 + k);
		inet_pton(AF_INET6, roamed ? "2001:db8:1::" : "2001:db8::",
			  &ep->in6.sin6_addr);
		ep->in6.sin6_addr.s6_addr[15] = (uint8_t)(1 + k);
	} else {
		ep->in.sin_family = AF_INET;
		ep->in.sin_port = htons(roamed ? 40000 + k : 51820 + k);
		ep->in.sin_addr.s_addr = htonl((roamed ? 0xc6336400u :
							 0xc0000200u) +
					       1u + (unsigned)k);
	}
}

/* Which side an address belongs to, or -1. */
static int side_of_addr(const struct sockaddr *sa)
{
	struct endpoint ep;
	socklen_t n = sa->sa_family == AF_INET6 ? sizeof(ep.in6) :
						  sizeof(ep.in);

	for (int k = 0; k < SIDES; k++)
		for (int v6 = 0; v6 < 2; v6++)
			for (int r = 0; r < 2; r++) {
				wire_addr(k, v6, r, &ep);
				if (!memcmp(&ep, sa, n))
					return k;
			}
	return -1;
}

static int side_of_fd(int fd)
{
	for (int k = 0; k < SIDES; k++)
		if (fd == sides[k].udp4 || fd == sides[k].udp6)
			return k;
	return -1;
}

/* ---- the wire ---- */

static uint8_t *dup_bytes(const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	if (!c)
		abort();
	memcpy(c, p, len);
	return c;
}

static struct dgram dgram_dup(const struct dgram *d)
{
	struct dgram c = *d;

	c.data = dup_bytes(d->data, d->len);
	if (d->orig)
		c.orig = dup_bytes(d->orig, d->len);
	return c;
}

static void dgram_free(struct dgram *d)
{
	free(d->data);
	free(d->orig);
	d->data = d->orig = NULL;
}

/* Puts d (now the queue's) on the wire to a side. */
static void enqueue(struct queue *q, struct dgram d)
{
	if (q->n == QUEUE_CAP) {
		dgram_free(&d); /* the wire is full: lost */
		return;
	}
	q->d[(q->head + q->n++) % QUEUE_CAP] = d;
}

static void enqueue_bytes(struct queue *q, const uint8_t *data, size_t len)
{
	struct dgram d = { dup_bytes(data, len), len, false, NULL };

	enqueue(q, d);
}

/* Takes the next datagram off q; the caller owns it. */
static bool dequeue(struct queue *q, struct dgram *out)
{
	if (!q->n)
		return false;
	*out = q->d[q->head];
	q->head = (q->head + 1) % QUEUE_CAP;
	q->n--;
	return true;
}

static void queue_clear(struct queue *q)
{
	struct dgram d;

	while (dequeue(q, &d))
		dgram_free(&d);
	q->head = 0;
}

/* A send from side k to dst: dst must be the other side. */
static int sender_to(int fd, const struct sockaddr *dst)
{
	int k = side_of_fd(fd);

	if (k < 0 || side_of_addr(dst) != 1 - k)
		__builtin_trap();
	return k;
}

/* The UDP_SEGMENT size of a message, or 0. */
static size_t segment_size(const struct msghdr *mh)
{
	const struct cmsghdr *c;
	uint16_t size;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh,
						     (struct cmsghdr *)c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) {
			memcpy(&size, CMSG_DATA(c), sizeof(size));
			return size;
		}
	}
	return 0;
}

/*
 * One message as the kernel sends it: without UDP_SEGMENT one datagram
 * of all its iovecs; with it, the payload cut every gso bytes. send.c
 * puts one datagram per iovec, so each but the last must be exactly gso
 * bytes, or the kernel's cut would split and join datagrams.
 */
static size_t send_message(int k, const struct msghdr *mh)
{
	size_t gso = segment_size(mh), total = 0, i;

	if (!gso) {
		if (mh->msg_iovlen != 1)
			__builtin_trap();
		enqueue_bytes(&sides[1 - k].inbound, mh->msg_iov[0].iov_base,
			      mh->msg_iov[0].iov_len);
		return mh->msg_iov[0].iov_len;
	}
	if (mh->msg_iovlen > UDP_GSO_MAX_SEGMENTS)
		__builtin_trap();
	for (i = 0; i < mh->msg_iovlen; i++) {
		size_t len = mh->msg_iov[i].iov_len;

		if (len > gso || (len < gso && i + 1 < mh->msg_iovlen))
			__builtin_trap();
		enqueue_bytes(&sides[1 - k].inbound, mh->msg_iov[i].iov_base,
			      len);
		total += len;
	}
	if (total > UDP_GSO_MAX_BYTES)
		__builtin_trap();
	return total;
}

static int wire_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags)
{
	unsigned int i;
	int k = -1;

	(void)flags;
	for (i = 0; i < n; i++) {
		struct msghdr *mh = &msgs[i].msg_hdr;

		k = sender_to(fd, mh->msg_name);
		if ((config & CFG_GSO_REFUSED) && segment_size(mh)) {
			if (i)
				return (int)i;
			errno = EIO;
			return -1;
		}
		msgs[i].msg_len = (unsigned)send_message(k, mh);
	}
	return (int)n;
}

/* What the next recvmmsg on a side's socket returns. */
struct inbox_entry {
	struct dgram d;
	struct endpoint src;
	size_t gso;	/* UDP_GRO segment size, 0 for one datagram */
	bool truncated;
};
static struct inbox_entry inbox[INBOX_CAP];
static unsigned inbox_n, inbox_next;

static void put_gro_cmsg(struct msghdr *mh, size_t gso)
{
	struct cmsghdr *c;
	int size = (int)gso;

	if (!gso || mh->msg_controllen < CMSG_SPACE(sizeof(int))) {
		mh->msg_controllen = 0;
		return;
	}
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_GRO;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	mh->msg_controllen = CMSG_SPACE(sizeof(int));
}

static int wire_recvmmsg(int fd, struct mmsghdr *msgs, unsigned vlen,
			 int flags, struct timespec *timeout)
{
	unsigned int n = 0;

	(void)fd, (void)flags, (void)timeout;
	for (; n < vlen && inbox_next < inbox_n; n++) {
		struct inbox_entry *e = &inbox[inbox_next++];
		struct msghdr *mh = &msgs[n].msg_hdr;
		size_t len = e->d.len;

		mh->msg_flags = e->truncated ? MSG_TRUNC : 0;
		if (len > mh->msg_iov[0].iov_len) {
			len = mh->msg_iov[0].iov_len;
			mh->msg_flags = MSG_TRUNC;
		}
		memcpy(mh->msg_iov[0].iov_base, e->d.data, len);
		/* The socket address only: struct endpoint is larger. */
		mh->msg_namelen = e->src.sa.sa_family == AF_INET6 ?
					  sizeof(e->src.in6) :
					  sizeof(e->src.in);
		memcpy(mh->msg_name, &e->src.sa, mh->msg_namelen);
		put_gro_cmsg(mh, e->gso);
		msgs[n].msg_len = (unsigned)len;
	}
	if (!n) {
		errno = EAGAIN;
		return -1;
	}
	return (int)n;
}

/* The simulated wire and clocks, handed to both devices as their ops. */
static const struct udp_io wire_io = {
	.sendmmsg = wire_sendmmsg,
	.recvmmsg = wire_recvmmsg,
};

static const struct device_ops wire_ops = {
	.now = fake_now,
	.wall_now = fake_wall_now,
	.random = fuzz_random,
	.udp = &wire_io,
};

static void inbox_clear(void)
{
	for (unsigned i = 0; i < inbox_n; i++)
		dgram_free(&inbox[i].d);
	inbox_n = inbox_next = 0;
}

/* Hands the inbox to side k's receive path, as one wake-up would. */
static void receive_inbox(int k)
{
	struct side *s = &sides[k];
	bool v6 = config & CFG_V6;

	receive_packets_from_udp(&s->dev, v6 ? s->udp6 : s->udp4);
	inbox_clear();
}

/* ---- state snapshots: what a rejected datagram must not change ---- */

struct peer_snapshot {
	struct peer peer;
	struct noise_keypair kp[3];
};

struct snapshot {
	struct peer_snapshot peers[2];
	size_t index_count, npeers;
};

static void snap_peer(struct peer_snapshot *ps, const struct peer *p)
{
	const struct noise_keypair *slots[3] = { p->keypairs.previous,
						 p->keypairs.current,
						 p->keypairs.next };

	memset(ps, 0, sizeof(*ps));
	memcpy(&ps->peer, p, sizeof(*p));
	for (int i = 0; i < 3; i++)
		if (slots[i])
			memcpy(&ps->kp[i], slots[i], sizeof(ps->kp[i]));
}

static void snapshot_take(int k, struct snapshot *out)
{
	struct side *s = &sides[k];

	memset(out, 0, sizeof(*out));
	snap_peer(&out->peers[0], s->peer);
	snap_peer(&out->peers[1], s->stranger);
	out->index_count = s->dev.index.count;
	out->npeers = s->dev.npeers;
}

static bool snapshot_same(int k, const struct snapshot *before)
{
	struct snapshot now;

	snapshot_take(k, &now);
	return !memcmp(&now, before, sizeof(now));
}

/* ---- TUN ---- */

/* Remembers a packet side k's TUN gives, as the other side may see it. */
static void record_sent(int k, const uint8_t *pkt, size_t len)
{
	struct side *s = &sides[k];
	struct sent_packet *e;

	if (s->n_sent == MAX_SENT) {
		s->unrecorded = true;
		return;
	}
	e = &s->sent[s->n_sent++];
	e->data = malloc(len ? len : 1);
	if (!e->data)
		abort();
	memcpy(e->data, pkt, len);
	e->len = len;
	e->delivered = false;
}

static void sent_clear(struct side *s)
{
	for (unsigned i = 0; i < s->n_sent; i++)
		free(s->sent[i].data);
	s->n_sent = 0;
	s->unrecorded = false;
}

/* pkt equals e's bytes, then at most 15 bytes of zero padding. */
static bool matches(const struct sent_packet *e, const uint8_t *pkt,
		    size_t len)
{
	size_t common = len < e->len ? len : e->len;

	if (len > e->len + MESSAGE_PADDING_MULTIPLE - 1 ||
	    memcmp(pkt, e->data, common))
		return false;
	for (size_t i = common; i < len; i++)
		if (pkt[i])
			return false;
	return true;
}

/* A packet side k wrote to its TUN came from the other side, once. */
static void check_delivered(int k, const uint8_t *pkt, size_t len)
{
	struct side *from = &sides[1 - k];

	for (unsigned i = 0; i < from->n_sent; i++) {
		struct sent_packet *e = &from->sent[i];

		if (!e->delivered && matches(e, pkt, len)) {
			e->delivered = true;
			return;
		}
	}
	if (!from->unrecorded)
		__builtin_trap();
}

static void drain_tun(int k)
{
	struct side *s = &sides[k];
	struct vnet_hdr h;
	ssize_t n;

	while ((n = read(s->tun_ours, scratch, sizeof(scratch))) >= 0) {
		if (!s->vnet) {
			check_delivered(k, scratch, (size_t)n);
			continue;
		}
		if (n < VNET_HDR_LEN)
			__builtin_trap();
		memcpy(&h, scratch, VNET_HDR_LEN);
		/* Coalesced by user-space GRO: not comparable byte for byte. */
		if (h.gso_type == VNET_HDR_GSO_NONE && !h.flags)
			check_delivered(k, scratch + VNET_HDR_LEN,
					(size_t)n - VNET_HDR_LEN);
	}
}

/* Writes one TUN read into side k's TUN (virtio header included). */
static void fuzz_tun_write(int k, const uint8_t *buf, size_t len)
{
	if (len > TUN_READ_MAX)
		len = TUN_READ_MAX;
	/* A full TUN drops it: recorded anyway, it is simply never seen. */
	(void)!write(sides[k].tun_ours, buf, len);
}

/* ---- building packets ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Tunnel addresses: side k is 10.0.0.(1+k), fd00::(1+k), LAN
 * 192.168.(1+k).0/24; strangers route 172.16.0.0/12 and fd00:ffff::/32. */
static void tunnel_addr(uint8_t *out, bool v6, int k, unsigned kind)
{
	memset(out, 0, v6 ? 16 : 4);
	if (v6) {
		out[0] = 0xfd;
		if (kind == 2) {
			out[2] = out[3] = 0xff;
		} else if (kind == 3) {
			out[0] = 0x20, out[1] = 0x01, out[2] = 0x0d, out[3] = 0xb9;
		}
		out[15] = (uint8_t)(1 + k);
		return;
	}
	static const uint8_t v4[4][3] = {
		{ 10, 0, 0 }, { 192, 168, 1 }, { 172, 16, 0 }, { 203, 0, 113 }
	};
	memcpy(out, v4[kind & 3], 3);
	if (kind == 1)
		out[2] = (uint8_t)(1 + k);
	out[3] = (uint8_t)(kind == 1 ? 10 : 1 + k);
}

/*
 * A UDP (or, with tcp, TCP) packet from side k's tunnel address (or a
 * foreign one its peer does not allow) to one of four kinds of place:
 * the other side, its LAN, the stranger's range, nowhere routed.
 */
static size_t make_packet(uint8_t *p, int k, bool v6, unsigned dst_kind,
			  bool foreign, size_t payload, bool tcp)
{
	size_t hl = v6 ? 40 : 20, l4 = tcp ? 20 : 8, len = hl + l4 + payload;

	memset(p, 0, len);
	for (size_t i = 0; i < payload; i++)
		p[hl + l4 + i] = (uint8_t)(i * 7 + (size_t)k);
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, (uint16_t)(l4 + payload));
		p[6] = tcp ? 6 : 17;
		p[7] = 64;
		tunnel_addr(p + 8, true, k, 0);
		if (foreign)
			p[8 + 14] = 0x99;
		tunnel_addr(p + 24, true, 1 - k, dst_kind);
	} else {
		p[0] = 0x45;
		put16(p + 2, (uint16_t)len);
		p[8] = 64;
		p[9] = tcp ? 6 : 17;
		tunnel_addr(p + 12, false, k, 0);
		if (foreign)
			p[12 + 1] = 0x99;
		tunnel_addr(p + 16, false, 1 - k, dst_kind);
	}
	put16(p + hl, 1000);
	put16(p + hl + 2, 2000);
	if (tcp)
		p[hl + 12] = 5 << 4;
	else
		put16(p + hl + 4, (uint16_t)(l4 + payload));
	return len;
}

/* Puts one packet into side k's TUN, behind a plain virtio header when
 * the TUN has them, and remembers it. */
static void inject_packet(int k, const uint8_t *pkt, size_t len)
{
	static uint8_t buf[VNET_HDR_LEN + 65536];
	size_t off = sides[k].vnet ? VNET_HDR_LEN : 0;

	memset(buf, 0, off);
	memcpy(buf + off, pkt, len);
	fuzz_tun_write(k, buf, off + len);
	record_sent(k, pkt, len);
}

/* ---- the devices ---- */

static void make_keys(void)
{
	for (int i = 0; i < 2 * SIDES; i++) {
		memset(private_keys[i], 0x10 * (i + 1), 32);
		private_keys[i][0] &= 248;
		private_keys[i][31] = (private_keys[i][31] & 127) | 64;
		x25519_public_from_private(public_keys[i], private_keys[i]);
	}
	memset(stranger_key, 0x77, sizeof(stranger_key));
}

static void allow(struct side *s, struct peer *p, int family,
		  const uint8_t *addr, uint8_t cidr)
{
	if (allowedips_insert(&s->dev.allowedips, family, addr, cidr,
			      &p->allowedips))
		abort();
}

static void psk_of(uint8_t psk[32], bool wrong)
{
	memset(psk, wrong ? 0x5e : 0x5a, 32);
}

/* Side k's peer for the other side, as a configuration would make it. */
static void add_peer(int k)
{
	struct side *s = &sides[k];
	int o = 1 - k;
	uint8_t a[16], psk[32];
	struct endpoint ep;

	s->peer = peer_create(&s->dev, public_keys[o]);
	if (!s->peer)
		abort();
	tunnel_addr(a, false, o, 0);
	allow(s, s->peer, AF_INET, a, 32);
	tunnel_addr(a, false, o, 1);
	allow(s, s->peer, AF_INET, a, 24);
	tunnel_addr(a, true, o, 0);
	allow(s, s->peer, AF_INET6, a, 128);
	wire_addr(o, config & CFG_V6, false, &ep);
	peer_set_endpoint(s->peer, &ep);
	if (config & CFG_PSK) {
		psk_of(psk, s->alt_psk);
		peer_set_preshared_key(s->peer, psk);
	}
	if (config & CFG_KEEPALIVE)
		s->peer->timers.persistent_keepalive_interval = 25;
}

static void add_stranger(int k)
{
	struct side *s = &sides[k];
	uint8_t a[16] = { 0 };

	s->stranger = peer_create(&s->dev, stranger_key);
	if (!s->stranger)
		abort();
	tunnel_addr(a, false, 0, 2);
	allow(s, s->stranger, AF_INET, a, 12);
	tunnel_addr(a, true, 0, 2);
	allow(s, s->stranger, AF_INET6, a, 32);
}

/*
 * The two devices live for the whole run (creating one per input would
 * cost more than most inputs do): each input starts from the state
 * start_side() sets and ends with stop_side() removing its peers.
 */
static void open_side(int k)
{
	struct side *s = &sides[k];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, sv))
		abort();
	s->tun_ours = sv[0];
	s->tun_dev = sv[1];
	/* Never read or written: they only name the side to its ops. */
	s->udp4 = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->udp6 = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->udp4 < 0 || s->udp6 < 0 ||
	    device_init(&s->dev, k ? "lwfuzzB" : "lwfuzzA"))
		abort();
	s->dev.ops = &wire_ops;
	s->dev.tun_fd = s->tun_dev;
	s->dev.udp4_fd = s->udp4;
	s->dev.udp6_fd = s->udp6;
}

/* Back to a fresh device with the input's configuration: everything that
 * depends on time or on earlier inputs is reset. */
static void start_side(int k)
{
	struct side *s = &sides[k];
	struct device *dev = &s->dev;

	s->vnet = config & (k ? CFG_VNET1 : CFG_VNET0);
	dev->tun_offloads.vnet_hdr = s->vnet;
	dev->udp_gso = config & CFG_GSO;
	dev->mtu = config & CFG_SMALL_MTU ? 1280 : DEFAULT_MTU;
	dev->mtu_checked_ns = 0;
	dev->tun_read_pending = 0;
	dev->tun_read_next = 0;
	gro_init(&dev->gro);
	dev->under_load = (struct under_load){ 0 };
	dev->next_timer_ns = 0;
	dev->should_exit = false;
	s->alt_key = s->alt_psk = false;
	/* Also a fresh cookie secret (from the seeded generator). */
	device_set_private_key(dev, private_keys[k]);
	add_peer(k);
	add_stranger(k);
}

static void stop_side(int k)
{
	struct side *s = &sides[k];
	struct device *dev = &s->dev;

	peer_remove(s->peer);
	peer_remove(s->stranger);
	/* Sources tracked under load would carry over into the next input. */
	if (dev->ratelimiter.count) {
		ratelimiter_uninit(&dev->ratelimiter);
		if (ratelimiter_init(&dev->ratelimiter))
			abort();
	}
	while (read(s->tun_ours, scratch, sizeof(scratch)) >= 0)
		;
	while (read(s->tun_dev, scratch, sizeof(scratch)) >= 0)
		;
	queue_clear(&s->inbound);
	sent_clear(s);
}

/* ---- invariants ---- */

static void check_index(const struct device *dev, uint32_t idx,
			unsigned type, const struct peer *p,
			const struct noise_keypair *kp)
{
	struct index_entry *e = index_table_lookup(&dev->index, idx, type);

	if (!e || e->peer != p || (kp && e->keypair != kp))
		__builtin_trap();
}

/* Every slot and pending handshake indexed under its own index; returns
 * how many entries that accounts for. */
static size_t check_peer_indices(const struct device *dev,
				 const struct peer *p)
{
	const struct noise_keypair *slots[3] = { p->keypairs.previous,
						 p->keypairs.current,
						 p->keypairs.next };
	size_t n = 0;

	for (int i = 0; i < 3; i++) {
		if (!slots[i])
			continue;
		for (int j = 0; j < i; j++)
			if (slots[j] == slots[i])
				__builtin_trap();
		check_index(dev, slots[i]->local_index, INDEX_KEYPAIR, p,
			    slots[i]);
		n++;
	}
	if (p->handshake.local_index) {
		check_index(dev, p->handshake.local_index, INDEX_HANDSHAKE, p,
			    NULL);
		n++;
	}
	if (p->staged_count > MAX_STAGED_PACKETS)
		__builtin_trap();
	return n;
}

static void check_keys_agree(const struct peer *a, const struct peer *b)
{
	const struct noise_keypair *as[3] = { a->keypairs.previous,
					      a->keypairs.current,
					      a->keypairs.next };
	const struct noise_keypair *bs[3] = { b->keypairs.previous,
					      b->keypairs.current,
					      b->keypairs.next };

	for (int i = 0; i < 3; i++)
		for (int j = 0; as[i] && j < 3; j++) {
			if (!bs[j] || as[i]->local_index != bs[j]->remote_index ||
			    as[i]->remote_index != bs[j]->local_index)
				continue;
			if (memcmp(as[i]->sending_key, bs[j]->receiving_key, 32) ||
			    memcmp(as[i]->receiving_key, bs[j]->sending_key, 32))
				__builtin_trap();
		}
}

static void check_invariants(void)
{
	for (int k = 0; k < SIDES; k++) {
		struct side *s = &sides[k];
		size_t n = check_peer_indices(&s->dev, s->peer) +
			   check_peer_indices(&s->dev, s->stranger);

		if (n != s->dev.index.count)
			__builtin_trap();
	}
	check_keys_agree(sides[0].peer, sides[1].peer);
}

/* ---- operations ---- */

static void op_ping(int k, unsigned arg, struct script *sc)
{
	static uint8_t pkt[4096];
	uint8_t size = next_u8(sc);
	size_t len = make_packet(pkt, k, arg & 1, (arg >> 1) & 3, size & 0x80,
				 (size_t)(size & 0x3f) * 32, size & 0x40);

	inject_packet(k, pkt, len);
	send_packets_from_tun(&sides[k].dev);
}

static void op_tun_raw(int k, struct script *sc)
{
	size_t len = next_u16(sc);

	if (len > sc->n)
		len = sc->n;
	fuzz_tun_write(k, sc->p, len);
	/* Raw bytes with a virtio header may be cut up: not comparable. */
	if (sides[k].vnet)
		sides[k].unrecorded = true;
	else
		record_sent(k, sc->p, len < TUN_READ_MAX ? len : TUN_READ_MAX);
	sc->p += len;
	sc->n -= len;
	send_packets_from_tun(&sides[k].dev);
}

static void op_flood(int k, unsigned arg)
{
	static uint8_t pkt[256];
	/* Up to 169: past a send batch (160) and the staged queue (128). */
	unsigned n = 1 + arg * 24;

	for (unsigned i = 0; i < n; i++) {
		size_t len = make_packet(pkt, k, i & 1, 0, false, i % 64, false);

		inject_packet(k, pkt, len);
	}
	send_packets_from_tun(&sides[k].dev);
}

static void inbox_add(struct dgram d, int from, bool roamed, size_t gso,
		      bool truncated)
{
	struct inbox_entry *e = &inbox[inbox_n++];

	e->d = d;
	wire_addr(from, config & CFG_V6, roamed, &e->src);
	e->gso = gso;
	e->truncated = truncated;
}

/*
 * Whether d was tampered with where it counts: anywhere but mac2 of a
 * handshake message (checked only under load, so a changed mac2 may be
 * accepted). Tampering twice with one byte may give back the original.
 */
static bool forged(const struct dgram *d)
{
	size_t end = d->len;
	uint32_t type;

	if (!d->orig)
		return false;
	if (d->len >= 4) {
		memcpy(&type, d->orig, 4);
		type = le32toh(type);
		if ((type == MESSAGE_HANDSHAKE_INITIATION &&
		     d->len == MESSAGE_INITIATION_LEN) ||
		    (type == MESSAGE_HANDSHAKE_RESPONSE &&
		     d->len == MESSAGE_RESPONSE_LEN))
			end -= MAC_LEN;
	}
	return memcmp(d->data, d->orig, end) != 0;
}

/*
 * Delivers d to side k alone, from the other side's home or roamed
 * address; traps if must_reject and the side's peers changed. Returns
 * whether they changed.
 */
static bool deliver_checked(int k, struct dgram d, bool roamed,
			    bool must_reject)
{
	struct snapshot before;
	bool changed;

	snapshot_take(k, &before);
	inbox_add(d, 1 - k, roamed, 0, false);
	receive_inbox(k);
	changed = !snapshot_same(k, &before);
	if (must_reject && changed)
		__builtin_trap();
	return changed;
}

/*
 * The next datagram to side k. arg bit 0: from the other side's roamed
 * address; bit 1: keep a copy on the wire (a replay, later); bit 2:
 * tamper with one byte (offset and xor mask follow).
 */
static void op_deliver(int k, unsigned arg, struct script *sc)
{
	struct side *s = &sides[k];
	struct dgram d, copy = { 0 };
	bool changed;
	size_t off = 0;
	uint8_t mask = 0;

	if (arg & 4) {
		off = next_u16(sc);
		mask = next_u8(sc);
	}
	if (!dequeue(&s->inbound, &d))
		return;
	if (arg & 4 && d.len) {
		if (!d.orig)
			d.orig = dup_bytes(d.data, d.len);
		d.data[off % d.len] ^= mask ? mask : 0x80;
	}
	if (arg & 2)
		copy = dgram_dup(&d);
	changed = deliver_checked(k, d, arg & 1, d.replay || forged(&d));
	if (arg & 2) {
		/* Once accepted, the same bytes again must change nothing. */
		copy.replay |= changed;
		enqueue(&s->inbound, copy);
	}
}

/* Appends d to the last inbox entry if UDP_GRO could have coalesced
 * them: same size, or a shorter one ending the run. */
static bool coalesce(struct dgram *d)
{
	struct inbox_entry *last = inbox_n ? &inbox[inbox_n - 1] : NULL;
	uint8_t *m;

	if (!last || !last->gso || !d->len || d->len > last->gso || d->orig ||
	    last->d.len % last->gso || last->d.len + d->len > PKT_MAX)
		return false;
	m = realloc(last->d.data, last->d.len + d->len);
	if (!m)
		abort();
	memcpy(m + last->d.len, d->data, d->len);
	last->d.data = m;
	last->d.len += d->len;
	dgram_free(d);
	return true;
}

/*
 * Everything queued for side k in recvmmsg batches. arg bit 0: roamed
 * source; bit 1: runs of equal-sized datagrams coalesced as UDP_GRO does
 * (the last of a run may be shorter); bit 2: the first marked MSG_TRUNC.
 * Replays and forgeries are delivered alone, with their check.
 */
static void op_deliver_all(int k, unsigned arg)
{
	struct side *s = &sides[k];
	bool first = true;
	struct dgram d;

	while (dequeue(&s->inbound, &d)) {
		if (d.replay || forged(&d)) {
			receive_inbox(k);
			deliver_checked(k, d, arg & 1, true);
			continue;
		}
		if ((arg & 2) && coalesce(&d))
			continue;
		if (inbox_n == INBOX_CAP)
			receive_inbox(k);
		inbox_add(d, 1 - k, arg & 1, (arg & 2) ? d.len : 0,
			  (arg & 4) && first);
		first = false;
	}
	receive_inbox(k);
}

/* One of side k's live indices, for raw datagrams to reach the lookups:
 * a keypair's or the pending handshake's. */
static uint32_t some_index(int k, uint8_t pick)
{
	const struct peer *p = sides[k].peer;
	const struct noise_keypair *slots[3] = { p->keypairs.previous,
						 p->keypairs.current,
						 p->keypairs.next };

	if (pick % 4 == 3 || !slots[pick % 4])
		return p->handshake.local_index;
	return slots[pick % 4]->local_index;
}

/* Where a message names the receiver's index, or 0 (none, too short). */
static size_t receiver_index_offset(const struct dgram *d)
{
	if (d->len < MESSAGE_DATA_MIN_LEN)
		return 0;
	switch (d->data[0]) {
	case MESSAGE_HANDSHAKE_RESPONSE:
		return offsetof(struct message_handshake_response,
				receiver_index);
	case MESSAGE_HANDSHAKE_COOKIE:
		return offsetof(struct message_handshake_cookie,
				receiver_index);
	case MESSAGE_DATA:
		return offsetof(struct message_data, key_idx);
	default:
		return 0;
	}
}

/*
 * A datagram the fuzzer made (length, then bytes) to side k. arg bit 0:
 * stamp a valid mac1 (for handshake sizes); bit 1: point its receiver
 * index at a live one of side k; bit 2: from the roamed address.
 */
static void op_raw(int k, unsigned arg, struct script *sc)
{
	struct cookie_maker m;
	struct dgram d;
	uint8_t pick = next_u8(sc);
	size_t len = next_u16(sc), off;
	uint32_t idx;

	if (len > sc->n)
		len = sc->n;
	d = (struct dgram){ dup_bytes(sc->p, len), len, false, NULL };
	sc->p += len;
	sc->n -= len;
	off = receiver_index_offset(&d);
	if ((arg & 2) && off) {
		idx = htole32(some_index(k, pick));
		memcpy(d.data + off, &idx, sizeof(idx));
	}
	if ((arg & 1) && (len == MESSAGE_INITIATION_LEN ||
			  len == MESSAGE_RESPONSE_LEN)) {
		cookie_maker_init(&m, sides[k].dev.local.static_public);
		cookie_maker_add_macs(&m, d.data, len, mono_ns);
	}
	deliver_checked(k, d, arg & 4, true);
}

static void op_drop(int k, unsigned arg)
{
	struct dgram d;

	for (unsigned i = 0; i <= arg && dequeue(&sides[k].inbound, &d); i++)
		dgram_free(&d);
}

static void op_reorder(int k)
{
	struct dgram d;

	if (dequeue(&sides[k].inbound, &d))
		enqueue(&sides[k].inbound, d);
}

/* 10 ms steps, then seconds, tens of seconds, minutes. */
static void op_time(struct script *sc)
{
	uint8_t t = next_u8(sc);
	uint64_t step = t < 64	? (uint64_t)t * 10 * NS_PER_MS :
			t < 128 ? (uint64_t)(t - 64) * NS_PER_SEC :
			t < 192 ? (uint64_t)(t - 128) * 10 * NS_PER_SEC :
				  (uint64_t)(t - 192) * 60 * NS_PER_SEC;

	mono_ns += step;
	wall_ns += step;
	for (int k = 0; k < SIDES; k++)
		device_tick_timers(&sides[k].dev);
}

static void op_identity(int k)
{
	struct side *s = &sides[k];

	s->alt_key = !s->alt_key;
	device_set_private_key(&s->dev,
			       private_keys[s->alt_key ? k + SIDES : k]);
}

static void op_repeer(int k)
{
	struct side *s = &sides[k];
	struct queue *q = &s->inbound;

	peer_remove(s->peer);
	add_peer(k);
	/* A new peer has seen no timestamp: old initiations are news. */
	for (unsigned i = 0; i < q->n; i++)
		q->d[(q->head + i) % QUEUE_CAP].replay = false;
}

static void op_psk(int k)
{
	struct side *s = &sides[k];
	uint8_t psk[32];

	if (!(config & CFG_PSK))
		return;
	s->alt_psk = !s->alt_psk;
	psk_of(psk, s->alt_psk);
	peer_set_preshared_key(s->peer, psk);
}

/* Both directions delivered until nothing is left (8 rounds at most). */
static void op_quiet(void)
{
	for (int round = 0; round < 8; round++) {
		bool any = false;

		for (int k = 0; k < SIDES; k++) {
			any |= sides[k].inbound.n != 0;
			op_deliver_all(k, 0);
		}
		if (!any)
			return;
	}
}

static void run_op(uint8_t byte, struct script *sc)
{
	int k = (byte >> 4) & 1;
	unsigned arg = byte >> 5;

	switch ((enum op)(byte & 15)) {
	case OP_PING: op_ping(k, arg, sc); break;
	case OP_TUN_RAW: op_tun_raw(k, sc); break;
	case OP_DELIVER: op_deliver(k, arg, sc); break;
	case OP_DELIVER_ALL: op_deliver_all(k, arg); break;
	case OP_DROP: op_drop(k, arg); break;
	case OP_REORDER: op_reorder(k); break;
	case OP_RAW: op_raw(k, arg, sc); break;
	case OP_TIME: op_time(sc); break;
	case OP_INITIATE: send_handshake_initiation(sides[k].peer, arg & 1);
		break;
	case OP_KEEPALIVE: send_keepalive(sides[k].peer); break;
	case OP_LOAD:
		sides[k].dev.under_load.until_ns = mono_ns + UNDER_LOAD_HOLD_NS;
		break;
	case OP_IDENTITY: op_identity(k); break;
	case OP_REPEER: op_repeer(k); break;
	case OP_PSK: op_psk(k); break;
	case OP_FLOOD: op_flood(k, arg); break;
	case OP_QUIET: op_quiet(); break;
	}
	for (int i = 0; i < SIDES; i++)
		drain_tun(i);
	check_invariants();
}

static void setup(void)
{
	log_level = LOG_SILENT;
	if (crypto_init())
		abort();
	make_keys();
	for (int k = 0; k < SIDES; k++)
		open_side(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct script sc = { data, size };
	unsigned ops = 0;

	if (!ready) {
		setup();
		ready = true;
	}
	if (!size)
		return 0;
	config = next_u8(&sc);
	mono_ns = 1000 * NS_PER_SEC;
	wall_ns = 1700000000 * NS_PER_SEC;
	prng = 0x6c616e77697265ULL;
	for (int k = 0; k < SIDES; k++)
		start_side(k);
	while (sc.n && ops++ < MAX_OPS)
		run_op(next_u8(&sc), &sc);
	inbox_clear();
	for (int k = 0; k < SIDES; k++)
		stop_side(k);
	return 0;
}
