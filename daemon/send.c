// SPDX-License-Identifier: MIT
/*
 * The send path (whitepaper 5.4.6 "Subsequent Messages: Transport Data
 * Messages", 6.2 "Transport Message Limits", 6.5 "Handshake initiation
 * retries"): packets read from the TUN are routed by AllowedIPs to a peer,
 * zero-padded to a multiple of 16, encrypted under the current keypair and
 * sent in batches with sendmmsg. Without a usable keypair they are staged
 * and a handshake initiation goes out (at most one per REKEY_TIMEOUT).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "log.h"
#include "peer.h"
#include "tun.h"
#include "udp.h"

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
 * for padding and tag. Encrypts in place; returns the datagram length. */
static size_t encrypt_in_slot(struct peer *peer, struct noise_keypair *kp,
			      uint8_t *slot, size_t len)
{
	struct message_data *m = (void *)slot;
	size_t plen = padded_len(len, peer->device->mtu);
	uint64_t counter = kp->sending_counter++;

	memset(slot + PKT_HEADROOM + len, 0, plen - len);
	m->header.type = htole32(MESSAGE_DATA);
	m->key_idx = htole32(kp->remote_index);
	m->counter = htole64(counter);
	chacha20poly1305_encrypt(m->encrypted_data, m->encrypted_data, plen,
				 NULL, 0, counter, kp->sending_key);
	return PKT_HEADROOM + plen + NOISE_AUTHTAG_LEN;
}

static void timers_after_data_sent(struct peer *peer, size_t plain_len,
				   uint64_t now)
{
	timers_any_authenticated_packet_traversal(&peer->timers, now);
	timers_any_authenticated_packet_sent(&peer->timers, now);
	if (plain_len)
		timers_data_sent(&peer->timers, now);
}

int send_buffer_to_peer(struct peer *peer, const uint8_t *msg, size_t len)
{
	struct device *dev = peer->device;
	int ret;

	if (!peer->has_endpoint) {
		device_count_drop(dev, DROP_NO_ENDPOINT);
		return -EDESTADDRREQ;
	}
	ret = udp_send(dev->udp4_fd, dev->udp6_fd, &peer->endpoint.sa, msg,
		       len);
	if (ret == 0)
		peer->tx_bytes += len;
	return ret;
}

void send_handshake_initiation(struct peer *peer, bool is_retry)
{
	struct device *dev = peer->device;
	struct message_handshake_initiation msg;
	uint64_t now = device_now();
	uint32_t index;

	if (!is_retry)
		peer->timers.handshake_attempts = 0;
	if (peer->last_sent_handshake_ns &&
	    now - peer->last_sent_handshake_ns < REKEY_TIMEOUT * NS_PER_SEC)
		return;
	if (!dev->local.has_identity)
		return;
	peer->last_sent_handshake_ns = now;
	peer_clear_handshake(peer);
	index = index_table_insert_handshake(&dev->index, peer);
	if (!index)
		return;
	if (noise_handshake_create_initiation(&msg, &peer->handshake,
					      &dev->local, index,
					      device_wall_now()) < 0) {
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
	if (send_buffer_to_peer(peer, slot, n) == 0)
		timers_after_data_sent(peer, b->len, now);
}

void send_staged_packets(struct peer *peer)
{
	uint64_t now = device_now();
	struct noise_keypair *kp = peer->keypairs.current;
	struct pktbuf *b;

	if (!peer->staged_count)
		return;
	if (!keypair_usable_for_sending(kp, now)) {
		send_handshake_initiation(peer, false);
		return;
	}
	while ((b = peer_unstage_packet(peer))) {
		send_one_staged(peer, kp, b, now);
		pktbuf_put(peer->device, b);
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

/* One batch for one socket family, flushed with sendmmsg. */
struct send_batch {
	struct mmsghdr msgs[DEVICE_BATCH];
	struct iovec iov[DEVICE_BATCH];
	struct peer *peers[DEVICE_BATCH];
	size_t plain_len[DEVICE_BATCH];
	unsigned n;
};

static void flush_batch(struct device *dev, struct send_batch *b, int fd,
			uint64_t now)
{
	unsigned done = 0;

	while (done < b->n) {
		int r = sendmmsg(fd, b->msgs + done, b->n - done, 0);

		if (r <= 0) {
			/* Drop the rest; UDP is lossy and the peer recovers. */
			break;
		}
		done += (unsigned)r;
	}
	for (unsigned i = 0; i < done; i++) {
		b->peers[i]->tx_bytes += b->iov[i].iov_len;
		timers_after_data_sent(b->peers[i], b->plain_len[i], now);
	}
	for (unsigned i = 0; i < b->n; i++)
		keep_key_fresh_on_send(b->peers[i], now);
	b->n = 0;
}

static void batch_add(struct send_batch *b, struct peer *peer, uint8_t *slot,
		      size_t n, size_t plain_len)
{
	unsigned i = b->n++;

	b->iov[i].iov_base = slot;
	b->iov[i].iov_len = n;
	memset(&b->msgs[i], 0, sizeof(b->msgs[i]));
	b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
	b->msgs[i].msg_hdr.msg_iovlen = 1;
	b->msgs[i].msg_hdr.msg_name = &peer->endpoint.sa;
	b->msgs[i].msg_hdr.msg_namelen = peer->endpoint.sa.sa_family ==
						 AF_INET6 ?
					 sizeof(struct sockaddr_in6) :
					 sizeof(struct sockaddr_in);
	b->peers[i] = peer;
	b->plain_len[i] = plain_len;
}

static void refresh_mtu(struct device *dev, uint64_t now)
{
	static uint64_t last;
	int mtu;

	/* wg-quick sets the MTU with ip(8) after we start; read it back now
	 * and then. Fails harmlessly once the interface left our netns. */
	if (now - last < NS_PER_SEC)
		return;
	last = now;
	mtu = tun_get_mtu(dev->ifname);
	if (mtu > 0)
		dev->mtu = mtu;
}

/* Handles one packet read from the TUN into slot i. */
static void send_one_from_tun(struct device *dev, struct send_batch *b4,
			      struct send_batch *b6, unsigned i, size_t len,
			      uint64_t now)
{
	uint8_t *slot = tx_slot(dev, i);
	struct peer *peer = route_packet(dev, slot + PKT_HEADROOM, len);
	struct noise_keypair *kp;
	size_t n;

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
	n = encrypt_in_slot(peer, kp, slot, len);
	batch_add(peer->endpoint.sa.sa_family == AF_INET6 ? b6 : b4, peer,
		  slot, n, len);
}

void send_packets_from_tun(struct device *dev)
{
	static struct send_batch b4, b6;
	uint64_t now = device_now();

	refresh_mtu(dev, now);
	/* A few batches per wake-up, so the UDP side gets its turn. */
	for (int round = 0; round < 4; round++) {
		unsigned i;

		for (i = 0; i < DEVICE_BATCH; i++) {
			ssize_t r = read(dev->tun_fd, tx_slot(dev, i) +
						      PKT_HEADROOM,
					 PKT_MAX - PKT_HEADROOM -
						 NOISE_AUTHTAG_LEN -
						 MESSAGE_PADDING_MULTIPLE);

			if (r < 0) {
				if (tun_error_is_fatal(errno))
					dev->should_exit = true;
				break;
			}
			send_one_from_tun(dev, &b4, &b6, i, (size_t)r, now);
		}
		flush_batch(dev, &b4, dev->udp4_fd, now);
		flush_batch(dev, &b6, dev->udp6_fd, now);
		if (i < DEVICE_BATCH)
			break;
	}
}
