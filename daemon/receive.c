// SPDX-License-Identifier: MIT
/*
 * The receive path: datagrams come in batches (udp_receive_batch) and are
 * dispatched by message type (whitepaper 5.4). Handshake messages are
 * checked for mac1 (and, under load, mac2 plus a per-source rate limit)
 * before any Diffie-Hellman; data messages are looked up by receiver index,
 * authenticated, checked against the replay window, and their inner source
 * must be in the sending peer's AllowedIPs before they reach the TUN.
 * Every authenticated packet updates the peer's endpoint (roaming, 2.1).
 */
#include "receive.h"

#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "crypto.h"
#include "device.h"
#include "log.h"
#include "outbound.h"
#include "peer.h"
#include "tun.h"
#include "udp.h"
#include "workers.h"

static struct peer *peer_of_handshake(struct noise_handshake *hs)
{
	return (struct peer *)((uint8_t *)hs - offsetof(struct peer, handshake));
}

static struct noise_handshake *lookup_handshake(
	void *ctx, const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN])
{
	struct peer *peer = peer_lookup(ctx, public_key);

	return peer ? &peer->handshake : NULL;
}

static socklen_t sockaddr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

/* Roaming (whitepaper 2.1) and the sticky source: replies leave from
 * the address the peer's last authenticated packet arrived on. */
static void update_endpoint(struct peer *peer, const struct sockaddr *src,
			    const struct udp_source *local)
{
	socklen_t n = sockaddr_len(src);

	if (local && local->family == src->sa_family)
		peer->endpoint_src = *local;
	else
		memset(&peer->endpoint_src, 0, sizeof(peer->endpoint_src));
	if (peer->has_endpoint && !memcmp(&peer->endpoint.sa, src, n))
		return;
	memset(&peer->endpoint, 0, sizeof(peer->endpoint));
	memcpy(&peer->endpoint.sa, src, n);
	peer->has_endpoint = true;
	peer->gso_refused = false; /* a new path may take it */
}

/* mac1, then under load mac2 and the per-source limit. True to go on.
 * The cookie is computed only under load, once: for mac2 and the reply. */
static bool handshake_admitted(struct device *dev, uint8_t *msg, size_t len,
			       uint32_t sender_index_le,
			       const struct sockaddr *src, uint64_t now)
{
	struct message_handshake_cookie reply;
	uint8_t cookie[COOKIE_LEN];
	bool has_mac2;

	if (!cookie_checker_check_mac1(&dev->cookie_checker, msg, len)) {
		device_count_drop(dev, DROP_INVALID_MAC);
		return false;
	}
	if (!device_is_under_load(dev, now))
		return true;
	has_mac2 = cookie_checker_check_mac2(&dev->cookie_checker, msg, len,
					     src, now, dev->ops->random,
					     cookie);
	if (!has_mac2) {
		if (cookie_checker_create_reply(&dev->cookie_checker, &reply,
						msg, len, sender_index_le,
						cookie) == 0)
			outbound_cookie_reply(dev, &reply, src);
		device_count_drop(dev, DROP_UNDER_LOAD_NO_COOKIE);
	}
	crypto_wipe(cookie, sizeof(cookie));
	if (!has_mac2)
		return false;
	if (!ratelimiter_allow(&dev->ratelimiter, src, now)) {
		device_count_drop(dev, DROP_RATELIMITED);
		return false;
	}
	return true;
}

static void send_handshake_response(struct peer *peer, uint64_t now)
{
	struct device *dev = peer->device;
	struct noise_handshake *hs = &peer->handshake;
	struct message_handshake_response msg;
	struct noise_keypair *kp;
	uint32_t index;

	/* A crossing initiation of ours loses its index: this handshake is
	 * now the responder's. */
	if (hs->local_index) {
		index_table_remove(&dev->index, hs->local_index);
		hs->local_index = 0;
	}
	index = index_table_insert_handshake(&dev->index, peer,
					     dev->ops->random);
	if (!index || noise_handshake_create_response(&msg, hs, &dev->local,
						       index,
						       dev->ops->random) < 0) {
		index_table_remove(&dev->index, index);
		noise_handshake_clear(hs);
		return;
	}
	kp = noise_handshake_begin_session(hs, now);
	if (!kp) {
		index_table_remove(&dev->index, index);
		return;
	}
	peer_install_keypair(peer, kp);
	timers_session_derived(&peer->timers, now);
	log_verbose("%s: sending handshake response", peer_name(peer));
	cookie_maker_add_macs(&peer->cookie_maker, (uint8_t *)&msg,
			      sizeof(msg), now);
	timers_any_authenticated_packet_traversal(&peer->timers, now);
	timers_any_authenticated_packet_sent(&peer->timers, now);
	/* As the kernel does: a response counts as a handshake sent, so the
	 * REKEY_TIMEOUT limit holds back a crossing initiation of ours. */
	peer->last_sent_handshake_ns = now;
	send_buffer_to_peer(peer, (const uint8_t *)&msg, sizeof(msg));
}

static void receive_initiation(struct device *dev, uint8_t *buf, size_t len,
			       const struct sockaddr *src,
			       const struct udp_source *local, uint64_t now)
{
	struct message_handshake_initiation *msg = (void *)buf;
	struct noise_handshake *hs;
	enum noise_result res;
	struct peer *peer;
	static struct log_ratelimit rl;

	if (!handshake_admitted(dev, buf, len, msg->sender_index, src, now))
		return;
	res = noise_handshake_consume_initiation(msg, &dev->local,
						 lookup_handshake, dev, now,
						 &hs);
	if (res != NOISE_OK) {
		log_ratelimited(&rl, now, "invalid handshake initiation: %s",
				noise_result_name(res));
		device_count_drop(dev, DROP_HANDSHAKE_FAILED);
		return;
	}
	peer = peer_of_handshake(hs);
	log_verbose("%s: received handshake initiation", peer_name(peer));
	peer_take_over(peer); /* a rotated key's first packet */
	update_endpoint(peer, src, local);
	peer->rx_bytes += len;
	timers_any_authenticated_packet_received(&peer->timers, now);
	timers_any_authenticated_packet_traversal(&peer->timers, now);
	send_handshake_response(peer, now);
}

static void handshake_completed(struct peer *peer, uint64_t now)
{
	timers_handshake_complete(&peer->timers, now);
	peer->last_handshake_wall_ns = device_wall_now(peer->device);
	peer->sent_lastminute_handshake = false;
}

static void receive_response(struct device *dev, uint8_t *buf, size_t len,
			     const struct sockaddr *src,
			     const struct udp_source *local, uint64_t now)
{
	struct message_handshake_response *msg = (void *)buf;
	struct index_entry *e;
	struct noise_keypair *kp;
	struct peer *peer;
	static struct log_ratelimit rl;
	enum noise_result res;

	if (!handshake_admitted(dev, buf, len, msg->sender_index, src, now))
		return;
	e = index_table_lookup(&dev->index, le32toh(msg->receiver_index),
			       INDEX_HANDSHAKE);
	if (!e) {
		device_count_drop(dev, DROP_UNKNOWN_INDEX);
		return;
	}
	peer = e->peer;
	res = noise_handshake_consume_response(msg, &peer->handshake,
					       &dev->local);
	if (res != NOISE_OK) {
		log_ratelimited(&rl, now, "%s: invalid handshake response: %s",
				peer_name(peer), noise_result_name(res));
		device_count_drop(dev, DROP_HANDSHAKE_FAILED);
		return;
	}
	log_verbose("%s: received handshake response", peer_name(peer));
	peer_take_over(peer);
	update_endpoint(peer, src, local);
	peer->rx_bytes += len;
	timers_any_authenticated_packet_received(&peer->timers, now);
	timers_any_authenticated_packet_traversal(&peer->timers, now);
	kp = noise_handshake_begin_session(&peer->handshake, now);
	if (!kp)
		return;
	peer_install_keypair(peer, kp);
	timers_session_derived(&peer->timers, now);
	handshake_completed(peer, now);
	/* Key confirmation for the responder: staged data or a keepalive. */
	send_keepalive(peer);
}

static void receive_cookie(struct device *dev, uint8_t *buf, size_t len,
			   uint64_t now)
{
	struct message_handshake_cookie *msg = (void *)buf;
	struct index_entry *e;

	e = index_table_lookup(&dev->index, le32toh(msg->receiver_index),
			       INDEX_HANDSHAKE | INDEX_KEYPAIR);
	if (!e) {
		device_count_drop(dev, DROP_UNKNOWN_INDEX);
		return;
	}
	if (cookie_maker_consume_reply(&e->peer->cookie_maker, msg, now) < 0) {
		device_count_drop(dev, DROP_BAD_COOKIE);
		return;
	}
	log_verbose("%s: received cookie reply", peer_name(e->peer));
}

/* Whitepaper 6.2: an initiator whose session nears REJECT_AFTER_TIME
 * starts a new handshake when it receives, once. */
static void keep_key_fresh_on_receive(struct peer *peer, uint64_t now)
{
	struct noise_keypair *kp = peer->keypairs.current;
	uint64_t limit = (uint64_t)(REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT -
				    REKEY_TIMEOUT) * NS_PER_SEC;

	if (kp && kp->is_valid && kp->is_initiator &&
	    now - kp->birthdate_ns > limit &&
	    !peer->sent_lastminute_handshake) {
		peer->sent_lastminute_handshake = true;
		send_handshake_initiation(peer, false);
	}
}

/* Length of the inner IP packet (without padding) and its source, or 0
 * if it is not a well-formed IPv4 or IPv6 header. */
static size_t inner_packet(const uint8_t *pkt, size_t len, int *family,
			   const uint8_t **src)
{
	size_t n;

	if (len >= 20 && (pkt[0] >> 4) == 4) {
		n = ((size_t)pkt[2] << 8) | pkt[3];
		if (n < 20 || n > len || (pkt[0] & 0x0f) < 5)
			return 0;
		*family = AF_INET;
		*src = pkt + 12;
		return n;
	}
	if (len >= 40 && (pkt[0] >> 4) == 6) {
		n = 40 + (((size_t)pkt[4] << 8) | pkt[5]);
		if (n > len)
			return 0;
		*family = AF_INET6;
		*src = pkt + 8;
		return n;
	}
	return 0;
}

static void deliver_to_tun(struct device *dev, struct peer *peer,
			   uint8_t *pkt, size_t len)
{
	const uint8_t *src;
	int family;
	size_t n = inner_packet(pkt, len, &family, &src);

	if (!n) {
		device_count_drop(dev, DROP_BAD_INNER_PACKET);
		return;
	}
	if (allowedips_lookup(&dev->allowedips, family, src) !=
	    &peer->allowedips) {
		device_count_drop(dev, DROP_SOURCE_NOT_ALLOWED);
		return;
	}
	device_write_tun(dev, pkt, n);
}

/*
 * A transport data message between its lookup and its delivery. The AEAD
 * in between may run on a crypto worker (workers.h); everything before
 * and after runs on the loop, in the order the datagrams came.
 */
struct rx_data {
	uint8_t *buf;
	size_t len;
	const struct sockaddr *src;
	struct udp_source local;
	struct noise_keypair *kp;
	uint32_t key_idx;
};

/* Lookup and the checks that need no decryption. True if the message
 * goes on to the AEAD, described in job. */
static bool data_prepare(struct device *dev, uint8_t *buf, size_t len,
			 const struct sockaddr *src,
			 const struct udp_source *local, uint64_t now,
			 struct rx_data *d, struct crypt_job *job)
{
	struct message_data *msg = (void *)buf;
	uint64_t counter = le64toh(msg->counter);
	struct index_entry *e;
	struct noise_keypair *kp;

	d->key_idx = le32toh(msg->key_idx);
	e = index_table_lookup(&dev->index, d->key_idx, INDEX_KEYPAIR);
	if (!e) {
		device_count_drop(dev, DROP_UNKNOWN_INDEX);
		return false;
	}
	kp = e->keypair;
	if (now - kp->birthdate_ns >= REJECT_AFTER_TIME * NS_PER_SEC ||
	    counter >= REJECT_AFTER_MESSAGES) {
		device_count_drop(dev, DROP_EXPIRED_KEYPAIR);
		return false;
	}
	d->buf = buf;
	d->len = len;
	d->src = src;
	if (local)
		d->local = *local;
	else
		memset(&d->local, 0, sizeof(d->local));
	d->kp = kp;
	job->data = msg->encrypted_data;
	job->len = len - MESSAGE_DATA_HEADER_LEN;
	job->counter = counter;
	job->key = kp->receiving_key;
	job->ok = false;
	return true;
}

/* After the AEAD: replay window, key confirmation, roaming, timers and
 * the TUN. */
static void data_complete(struct device *dev, const struct rx_data *d,
			  const struct crypt_job *job, uint64_t now)
{
	size_t clen = job->len;
	struct index_entry *e;
	struct noise_keypair *kp = d->kp;
	struct peer *peer;

	if (!job->ok) {
		device_count_drop(dev, DROP_DECRYPT_FAILED);
		return;
	}
	/* An earlier message of the same batch may have confirmed a newer
	 * keypair and so freed this one: only a live keypair counts. (No
	 * keypair is created while a batch completes, so the pointer cannot
	 * have been reused.) */
	e = index_table_lookup(&dev->index, d->key_idx, INDEX_KEYPAIR);
	if (!e || e->keypair != kp) {
		device_count_drop(dev, DROP_EXPIRED_KEYPAIR);
		return;
	}
	peer = e->peer;
	if (!replay_check(&kp->receiving_counter, job->counter)) {
		device_count_drop(dev, DROP_REPLAYED);
		return;
	}
	if (peer_confirm_keypair(peer, kp)) {
		handshake_completed(peer, now);
		send_staged_packets(peer);
	}
	peer_take_over(peer);
	update_endpoint(peer, d->src, &d->local);
	peer->rx_bytes += d->len;
	timers_any_authenticated_packet_received(&peer->timers, now);
	timers_any_authenticated_packet_traversal(&peer->timers, now);
	keep_key_fresh_on_receive(peer, now);
	if (clen == NOISE_AUTHTAG_LEN)
		return; /* keepalive */
	timers_data_received(&peer->timers, now);
	deliver_to_tun(dev, peer, job->data, clen - NOISE_AUTHTAG_LEN);
}

static void receive_data(struct device *dev, uint8_t *buf, size_t len,
			 const struct sockaddr *src,
			 const struct udp_source *local, uint64_t now)
{
	struct rx_data d;
	struct crypt_job job;

	if (!data_prepare(dev, buf, len, src, local, now, &d, &job))
		return;
	job.ok = chacha20poly1305_decrypt(job.data, job.data, job.len, NULL, 0,
					  job.counter, job.key);
	data_complete(dev, &d, &job, now);
}

void receive_datagram(struct device *dev, uint8_t *buf, size_t len,
		      const struct sockaddr *src,
		      const struct udp_source *local)
{
	uint64_t now = device_now(dev);
	uint32_t type;

	if (len < sizeof(struct message_header)) {
		device_count_drop(dev, DROP_SHORT);
		return;
	}
	memcpy(&type, buf, sizeof(type));
	switch (le32toh(type)) {
	case MESSAGE_HANDSHAKE_INITIATION:
		if (len != MESSAGE_INITIATION_LEN)
			break;
		receive_initiation(dev, buf, len, src, local, now);
		return;
	case MESSAGE_HANDSHAKE_RESPONSE:
		if (len != MESSAGE_RESPONSE_LEN)
			break;
		receive_response(dev, buf, len, src, local, now);
		return;
	case MESSAGE_HANDSHAKE_COOKIE:
		if (len != MESSAGE_COOKIE_LEN)
			break;
		receive_cookie(dev, buf, len, now);
		return;
	case MESSAGE_DATA:
		if (len < MESSAGE_DATA_MIN_LEN)
			break;
		receive_data(dev, buf, len, src, local, now);
		return;
	default:
		device_count_drop(dev, DROP_BAD_TYPE);
		return;
	}
	device_count_drop(dev, DROP_BAD_SIZE);
}

/* Transport data messages of one recvmmsg round waiting for their AEAD;
 * a round brings at most DEVICE_BATCH buffers, but with UDP_GRO each may
 * hold many datagrams, so a full batch is finished early. */
#define RX_DATA_BATCH 256

struct rx_batch {
	struct rx_data d[RX_DATA_BATCH];
	struct crypt_job jobs[RX_DATA_BATCH];
	unsigned n;
	uint64_t now;
};

static void rx_batch_finish(struct device *dev, struct rx_batch *b)
{
	workers_run(&dev->workers, b->jobs, b->n, CRYPT_DECRYPT);
	for (unsigned i = 0; i < b->n && !dev->should_exit; i++)
		data_complete(dev, &b->d[i], &b->jobs[i], b->now);
	b->n = 0;
}

static bool is_data_message(const uint8_t *buf, size_t len)
{
	uint32_t type;

	if (len < MESSAGE_DATA_MIN_LEN)
		return false;
	memcpy(&type, buf, sizeof(type));
	return le32toh(type) == MESSAGE_DATA;
}

/* One datagram of a round. Data messages wait in b to share one batch of
 * AEAD work; any other message first lets the waiting ones finish, so
 * messages take effect in the order they arrived. */
static void receive_into_batch(struct device *dev, struct rx_batch *b,
			       uint8_t *buf, size_t len,
			       const struct sockaddr *src,
			       const struct udp_source *local)
{
	if (!is_data_message(buf, len)) {
		if (b->n)
			rx_batch_finish(dev, b);
		receive_datagram(dev, buf, len, src, local);
		return;
	}
	if (b->n == RX_DATA_BATCH)
		rx_batch_finish(dev, b);
	if (data_prepare(dev, buf, len, src, local, b->now, &b->d[b->n],
			 &b->jobs[b->n]))
		b->n++;
}

/* One received buffer: a datagram, or with UDP_GRO several of gso bytes
 * each (the last may be shorter), handled one by one. */
static void receive_buffer(struct device *dev, struct rx_batch *b,
			   uint8_t *buf, size_t len, size_t gso,
			   const struct sockaddr *src,
			   const struct udp_source *local)
{
	size_t off = 0;

	if (!gso || gso > len)
		gso = len;
	while (off < len && !dev->should_exit) {
		size_t n = len - off < gso ? len - off : gso;

		receive_into_batch(dev, b, buf + off, n, src, local);
		off += n;
	}
}

void receive_batch(struct device *dev, struct udp_received *r, unsigned n)
{
	/* static: 20 KiB; finished before returning, so devices sharing a
	 * process (the tests) never see each other's entries. */
	static struct rx_batch b;
	struct cookie_reply_queue *replies = &dev->cookie_replies;

	replies->batching = true;
	b.now = device_now(dev);
	for (unsigned i = 0; i < n && !dev->should_exit; i++) {
		if (r[i].truncated) {
			device_count_drop(dev, DROP_BAD_SIZE);
			continue;
		}
		receive_buffer(dev, &b, r[i].buf, r[i].len, r[i].segment,
			       &r[i].src.sa, &r[i].local);
	}
	rx_batch_finish(dev, &b);
	outbound_flush_cookie_replies(dev);
	/* GRO holds pointers into its own buffers only, but flush per
	 * batch so packets are not held back. */
	device_flush_tun(dev);
	replies->batching = false;
}

void receive_packets_from_udp(struct device *dev, int fd)
{
	struct udp_received r[DEVICE_BATCH];

	for (int round = 0; round < DEVICE_RX_ROUNDS; round++) {
		unsigned n = udp_receive_batch(dev->ops->udp, fd, dev->rx_bufs,
					       PKT_MAX, r, DEVICE_BATCH);

		if (!n)
			break;
		/* The round's buffers are reused by the next one. */
		receive_batch(dev, r, n);
		if (n < DEVICE_BATCH || dev->should_exit)
			break;
	}
}
