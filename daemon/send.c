// SPDX-License-Identifier: MIT
/*
 * The send path (whitepaper 5.4.6 "Subsequent Messages: Transport Data
 * Messages", 6.2 "Transport Message Limits", 6.5 "Handshake initiation
 * retries"): packets read from the TUN are routed by AllowedIPs to a peer,
 * zero-padded to a multiple of 16, encrypted under the current keypair and
 * handed on as outbound batches (outbound.c, udp.c). Without a usable
 * keypair they are staged and a handshake initiation goes out (at most one
 * per REKEY_TIMEOUT, or per lanwire_probe_ms: timers.c).
 */
#include "send.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "device.h"
#include "log.h"
#include "outbound.h"
#include "peer.h"
#include "tun.h"
#include "udp.h"
#include "workers.h"

static uint8_t *tx_slot(struct device *dev, unsigned i)
{
	return dev->tx_bufs + (size_t)i * PKT_MAX;
}

static bool keypair_usable_for_sending(const struct noise_keypair *kp,
				       uint64_t now)
{
	return kp && kp->is_valid &&
	       now - kp->birthdate_ns < REJECT_AFTER_TIME * NS_PER_SEC &&
	       kp->sending_counter < REJECT_AFTER_MESSAGES;
}

/* Whitepaper 6.2: the initiator rekeys after REKEY_AFTER_TIME; either side
 * after REKEY_AFTER_MESSAGES. */
static void keep_key_fresh_on_send(struct peer *peer, uint64_t now)
{
	struct noise_keypair *kp = peer->keypairs.current;

	if (kp && kp->is_valid &&
	    (kp->sending_counter > REKEY_AFTER_MESSAGES ||
	     (kp->is_initiator &&
	      now - kp->birthdate_ns > REKEY_AFTER_TIME * NS_PER_SEC)))
		send_handshake_initiation(peer, false);
}

static size_t padded_len(size_t len, int mtu)
{
	size_t padded = (len + MESSAGE_PADDING_MULTIPLE - 1) &
			~(size_t)(MESSAGE_PADDING_MULTIPLE - 1);

	if (len <= (size_t)mtu && padded > (size_t)mtu)
		padded = (size_t)mtu;
	return padded;
}

/* slot holds PKT_HEADROOM free bytes then len bytes of plaintext and room
 * for padding and tag. Writes the header and the padding, takes the next
 * counter and describes the AEAD still to do in job; returns the datagram
 * length. The loop assigns counters, so they follow the order of packets
 * whoever encrypts them. */
static size_t prepare_slot(struct peer *peer, struct noise_keypair *kp,
			   uint8_t *slot, size_t len, struct crypt_job *job)
{
	struct message_data *m = (void *)slot;
	size_t plen = padded_len(len, peer->device->mtu);
	uint64_t counter = kp->sending_counter++;

	memset(slot + PKT_HEADROOM + len, 0, plen - len);
	m->header.type = htole32(MESSAGE_DATA);
	m->key_idx = htole32(kp->remote_index);
	m->counter = htole64(counter);
	job->data = m->encrypted_data;
	job->len = plen;
	job->counter = counter;
	job->key = kp->sending_key;
	return PKT_HEADROOM + plen + NOISE_AUTHTAG_LEN;
}

/* Encrypts in place now, on this thread; 0 if libcrypto failed (counted
 * as a drop). */
static size_t encrypt_in_slot(struct peer *peer, struct noise_keypair *kp,
			      uint8_t *slot, size_t len)
{
	struct crypt_job job;
	size_t n = prepare_slot(peer, kp, slot, len, &job);

	if (chacha20poly1305_encrypt(job.data, job.data, job.len, NULL, 0,
				     job.counter, job.key))
		return n;
	device_count_drop(peer->device, DROP_ENCRYPT_FAILED);
	return 0;
}

static void timers_after_data_sent(struct peer *peer, size_t plain_len,
				   uint64_t now)
{
	timers_any_authenticated_packet_traversal(&peer->timers, now);
	timers_any_authenticated_packet_sent(&peer->timers, now);
	if (plain_len)
		timers_data_sent(&peer->timers, now);
}

/* Its sticky source address is gone: the kernel chooses until its next
 * authenticated packet teaches us again. */
static void forget_source(struct peer *peer, int error)
{
	if (!peer->endpoint_src.family)
		return;
	log_verbose("%s: source address unusable (%s); letting the kernel "
		    "choose", peer_name(peer), strerror(-error));
	memset(&peer->endpoint_src, 0, sizeof(peer->endpoint_src));
}

int send_buffer_to_peer(struct peer *peer, const uint8_t *msg, size_t len)
{
	struct device *dev = peer->device;
	struct udp_datagram d = {
		.dst = &peer->endpoint.sa,
		.src = &peer->endpoint_src,
		.buf = msg,
		.len = len,
	};

	if (!peer->has_endpoint) {
		device_count_drop(dev, DROP_NO_ENDPOINT);
		return -EDESTADDRREQ;
	}
	outbound_send(dev, &d, 1);
	if (d.src_error)
		forget_source(peer, d.src_error);
	if (d.error == 0)
		peer->tx_bytes += len;
	return d.error;
}

void send_handshake_initiation(struct peer *peer, bool is_retry)
{
	struct device *dev = peer->device;
	struct message_handshake_initiation msg;
	uint64_t now = device_now(dev);
	uint32_t index;

	if (!is_retry)
		peer->timers.handshake_attempts = 0;
	if (peer->last_sent_handshake_ns &&
	    now - peer->last_sent_handshake_ns <
		    timers_handshake_interval_ns(&peer->timers))
		return;
	if (!dev->local.has_identity)
		return;
	peer->last_sent_handshake_ns = now;
	peer_clear_handshake(peer);
	index = index_table_insert_handshake(&dev->index, peer,
					     dev->ops->random);
	if (!index)
		return;
	if (noise_handshake_create_initiation(&msg, &peer->handshake,
					      &dev->local, index,
					      device_wall_now(dev),
					      dev->ops->random) < 0) {
		index_table_remove(&dev->index, index);
		return;
	}
	log_verbose("%s: sending handshake initiation%s", peer_name(peer),
		    is_retry ? " (retry)" : "");
	cookie_maker_add_macs(&peer->cookie_maker, (uint8_t *)&msg,
			      sizeof(msg), now);
	timers_any_authenticated_packet_traversal(&peer->timers, now);
	timers_any_authenticated_packet_sent(&peer->timers, now);
	send_buffer_to_peer(peer, (const uint8_t *)&msg, sizeof(msg));
	timers_handshake_initiated(&peer->timers, now);
}

/* Encrypts and sends one staged packet under kp. It goes through the
 * scratch slot: the batch slots may hold packets not yet flushed. */
static void send_one_staged(struct peer *peer, struct noise_keypair *kp,
			    struct pktbuf *b, uint64_t now)
{
	uint8_t *slot = tx_slot(peer->device, DEVICE_SCRATCH_SLOT);
	size_t n;

	memcpy(slot + PKT_HEADROOM, b->data, b->len);
	n = encrypt_in_slot(peer, kp, slot, b->len);
	if (n && send_buffer_to_peer(peer, slot, n) == 0)
		timers_after_data_sent(peer, b->len, now);
}

void send_staged_packets(struct peer *peer)
{
	uint64_t now = device_now(peer->device);
	struct noise_keypair *kp = peer->keypairs.current;
	struct pktbuf *b;

	if (!peer->staged_count)
		return;
	/* Checked per packet: the keypair may reach REJECT_AFTER_MESSAGES
	 * halfway; what is left stays staged for the next session. */
	while (peer->staged_count && keypair_usable_for_sending(kp, now)) {
		b = peer_unstage_packet(peer);
		send_one_staged(peer, kp, b, now);
		pktbuf_put(peer->device, b);
	}
	if (peer->staged_count) {
		send_handshake_initiation(peer, false);
		return;
	}
	keep_key_fresh_on_send(peer, now);
}

void send_keepalive(struct peer *peer)
{
	struct pktbuf *b;

	/* A keepalive is an empty data packet; staged packets, if any, do
	 * the job as well. */
	if (!peer->staged_count) {
		b = pktbuf_get(peer->device, 0);
		if (!b)
			return;
		peer_stage_packet(peer, b);
	}
	send_staged_packets(peer);
}

/* Destination of an inner IP packet, or NULL if it is malformed. */
static const uint8_t *inner_destination(const uint8_t *pkt, size_t len,
					int *family)
{
	if (len >= 20 && (pkt[0] >> 4) == 4) {
		*family = AF_INET;
		return pkt + 16;
	}
	if (len >= 40 && (pkt[0] >> 4) == 6) {
		*family = AF_INET6;
		return pkt + 24;
	}
	return NULL;
}

static struct peer *route_packet(struct device *dev, const uint8_t *pkt,
				 size_t len)
{
	struct allowedips_owner *o;
	const uint8_t *dst;
	int family;

	dst = inner_destination(pkt, len, &family);
	if (!dst) {
		device_count_drop(dev, DROP_BAD_INNER_PACKET);
		return NULL;
	}
	o = allowedips_lookup(&dev->allowedips, family, dst);
	if (!o) {
		device_count_drop(dev, DROP_NO_PEER_FOR_DESTINATION);
		return NULL;
	}
	return (struct peer *)((uint8_t *)o - offsetof(struct peer, allowedips));
}

static void stage_and_initiate(struct peer *peer, const uint8_t *pkt,
			       size_t len)
{
	struct pktbuf *b = pktbuf_get(peer->device, len);

	if (!b) {
		device_count_drop(peer->device, DROP_STAGED_OVERFLOW);
		return;
	}
	memcpy(b->data, pkt, len);
	peer_stage_packet(peer, b);
	send_staged_packets(peer);
}

/*
 * One send batch: the encrypted datagrams of one or more TUN reads, in
 * order, handed to outbound_send as one outbound batch. Runs to the same
 * endpoint leave as UDP_SEGMENT messages (udp.c); each datagram comes back
 * with its own result, and only its own peer's accounting sees it.
 */
struct send_entry {
	struct peer *peer;
	uint8_t *slot;
	size_t len;       /* datagram length */
	size_t plain_len; /* for the timers: 0 means keepalive */
};

struct send_batch {
	struct send_entry e[DEVICE_TX_BATCH];
	struct crypt_job jobs[DEVICE_TX_BATCH]; /* e[i]'s AEAD */
	struct udp_datagram d[DEVICE_TX_BATCH];
	unsigned n;
};

/* A UDP_SEGMENT run of this peer was refused: from now on its datagrams
 * leave one per message, the others' keep GSO. */
static void note_gso_refused(struct peer *peer, int error)
{
	if (peer->gso_refused)
		return;
	peer->gso_refused = true;
	log_error("%s: UDP segmentation refused on its path (%s): sending "
		  "its datagrams one by one", peer_name(peer),
		  strerror(-error));
}

/* Drops the entries whose AEAD failed in libcrypto (counted); keeps the
 * others in order. */
static void drop_failed_encryptions(struct device *dev, struct send_batch *b)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < b->n; i++) {
		if (!b->jobs[i].ok) {
			device_count_drop(dev, DROP_ENCRYPT_FAILED);
			continue;
		}
		b->e[kept] = b->e[i];
		b->jobs[kept++] = b->jobs[i];
	}
	b->n = kept;
}

static void flush_batch(struct device *dev, struct send_batch *b,
			uint64_t now)
{
	drop_failed_encryptions(dev, b);
	for (unsigned i = 0; i < b->n; i++) {
		struct send_entry *e = &b->e[i];

		b->d[i] = (struct udp_datagram){
			.dst = &e->peer->endpoint.sa,
			.src = &e->peer->endpoint_src,
			.buf = e->slot,
			.len = e->len,
			.may_segment = dev->udp_gso && !e->peer->gso_refused,
		};
	}
	outbound_send(dev, b->d, b->n);
	for (unsigned i = 0; i < b->n; i++) {
		struct send_entry *e = &b->e[i];

		if (b->d[i].gso_error)
			note_gso_refused(e->peer, b->d[i].gso_error);
		if (b->d[i].src_error)
			forget_source(e->peer, b->d[i].src_error);
		if (b->d[i].error)
			continue;
		e->peer->tx_bytes += e->len;
		timers_after_data_sent(e->peer, e->plain_len, now);
	}
	/* Once per run of one peer's packets, not once per packet. */
	for (unsigned i = 0; i < b->n; i++)
		if (i == 0 || b->e[i].peer != b->e[i - 1].peer)
			keep_key_fresh_on_send(b->e[i].peer, now);
	b->n = 0;
}

static void refresh_mtu(struct device *dev, uint64_t now)
{
	int mtu;

	/* wg-quick sets the MTU with ip(8) after we start; read it back now
	 * and then. Fails harmlessly once the interface left our netns. */
	if (dev->mtu_checked_ns && now - dev->mtu_checked_ns < NS_PER_SEC)
		return;
	dev->mtu_checked_ns = now;
	mtu = tun_get_mtu(dev->ifname);
	if (mtu > 0)
		dev->mtu = mtu;
}

/* Routes and encrypts the plain packet in slot (at PKT_HEADROOM), adding
 * it to the batch, or stages it while a handshake is needed. */
static void send_one_packet(struct device *dev, struct send_batch *b,
			    uint8_t *slot, size_t len, uint64_t now)
{
	struct peer *peer = route_packet(dev, slot + PKT_HEADROOM, len);
	struct noise_keypair *kp;
	struct send_entry *e;

	if (!peer)
		return;
	kp = peer->keypairs.current;
	if (!keypair_usable_for_sending(kp, now) || peer->staged_count) {
		stage_and_initiate(peer, slot + PKT_HEADROOM, len);
		return;
	}
	if (!peer->has_endpoint) {
		device_count_drop(dev, DROP_NO_ENDPOINT);
		return;
	}
	e = &b->e[b->n];
	e->peer = peer;
	e->slot = slot;
	e->plain_len = len;
	e->len = prepare_slot(peer, kp, slot, len, &b->jobs[b->n]);
	b->n++;
}

/* Largest plain packet a slot takes: room for padding and the tag. */
#define SLOT_PLAIN_MAX \
	(PKT_MAX - PKT_HEADROOM - NOISE_AUTHTAG_LEN - MESSAGE_PADDING_MULTIPLE)

/* Splits the pending TUN read into slots [used, DEVICE_TX_BATCH): a
 * super-packet with more segments than free slots is split a window at a
 * time, the read kept pending until its last segment is out. Returns the
 * packets written, or -EAGAIN when the read gave nothing (more). */
static int split_pending(struct device *dev, unsigned used, size_t lens[])
{
	uint8_t *slots[DEVICE_TX_BATCH];
	unsigned room = DEVICE_TX_BATCH - used;
	int n;

	for (unsigned i = 0; i < room; i++)
		slots[i] = tx_slot(dev, used + i);
	n = offload_split_at(dev->tun_read_buf, dev->tun_read_pending,
			     dev->tun_read_next, slots,
			     PKT_MAX - NOISE_AUTHTAG_LEN -
				     MESSAGE_PADDING_MULTIPLE,
			     PKT_HEADROOM, lens + used, room);
	if (n < 0)
		device_count_drop(dev, DROP_BAD_INNER_PACKET);
	if (n > 0 && (unsigned)n == room) {
		dev->tun_read_next += (unsigned)n;
		return n;
	}
	dev->tun_read_pending = 0;
	dev->tun_read_next = 0;
	return n > 0 ? n : -EAGAIN;
}

/* Fills slots from used on with the next packets from the TUN; returns
 * how many, 0 when the TUN is empty, -EAGAIN when a read gave nothing. */
static int read_tun(struct device *dev, unsigned used, size_t lens[])
{
	ssize_t r;

	if (!dev->tun_offloads.vnet_hdr) {
		r = tun_read(dev->tun_fd, tx_slot(dev, used) + PKT_HEADROOM,
			     SLOT_PLAIN_MAX);
		if (r < 0) {
			if (tun_error_is_fatal((int)-r))
				dev->should_exit = true;
			return 0;
		}
		lens[used] = (size_t)r;
		return 1;
	}
	if (!dev->tun_read_pending) {
		r = tun_read(dev->tun_fd, dev->tun_read_buf,
			     PKT_MAX + VNET_HDR_LEN);
		if (r < 0) {
			if (tun_error_is_fatal((int)-r))
				dev->should_exit = true;
			return 0;
		}
		dev->tun_read_pending = (size_t)r;
		dev->tun_read_next = 0;
	}
	return split_pending(dev, used, lens);
}

static void send_slots(struct device *dev, struct send_batch *b,
		       unsigned count, const size_t lens[], uint64_t now)
{
	for (unsigned i = 0; i < count; i++)
		send_one_packet(dev, b, tx_slot(dev, i), lens[i], now);
	/* Nothing frees a keypair between preparing and here: the keys the
	 * jobs point to are alive until workers_run returns. */
	workers_run(&dev->workers, b->jobs, b->n, CRYPT_ENCRYPT);
	flush_batch(dev, b, now);
}

void send_packets_from_tun(struct device *dev)
{
	static struct send_batch b;
	size_t lens[DEVICE_TX_BATCH];
	uint64_t now = device_now(dev);
	unsigned used = 0;

	refresh_mtu(dev, now);
	/* A bounded number of reads per wake-up, so the UDP side gets its
	 * turn; each batch is encrypted and sent when the slots run out. */
	for (int reads = 0; reads < DEVICE_TUN_READS; reads++) {
		int n;

		if (used == DEVICE_TX_BATCH) {
			send_slots(dev, &b, used, lens, now);
			used = 0;
		}
		n = read_tun(dev, used, lens);
		if (n == 0)
			break;
		if (n > 0)
			used += (unsigned)n;
	}
	if (used)
		send_slots(dev, &b, used, lens, now);
}
