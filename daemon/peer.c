// SPDX-License-Identifier: MIT
/*
 * Peer life cycle and the bookkeeping around keypair slots: every keypair
 * that leaves the slots loses its receiver index before it is wiped, and
 * every new handshake drops the previous handshake's index.
 */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "device.h"
#include "log.h"

static void peer_timer_send_initiation(void *ctx, bool is_retry)
{
	send_handshake_initiation(ctx, is_retry);
}

static void peer_timer_send_keepalive(void *ctx)
{
	send_keepalive(ctx);
}

static void peer_timer_gave_up(void *ctx)
{
	struct peer *peer = ctx;

	log_verbose("%s: handshake did not complete after %u attempts, "
		    "giving up", peer_name(peer),
		    timers_max_handshakes(&peer->timers) + 2);
	peer_purge_staged(peer);
}

static void peer_timer_zero_keys(void *ctx)
{
	struct peer *peer = ctx;

	log_verbose("%s: zeroing out all keys (no new session for %d s)",
		    peer_name(peer), REJECT_AFTER_TIME * 3);
	peer_clear_keypairs(peer);
	peer_clear_handshake(peer);
}

/* From the device's ops, so a fuzzer's timers fire at the same times on
 * every run; no jitter if the draw fails. */
static uint32_t peer_timer_jitter(void *ctx)
{
	struct peer *peer = ctx;
	uint32_t r = 0;

	if (peer->device->ops->random(&r, sizeof(r)) < 0)
		return 0;
	return r % (REKEY_TIMEOUT_JITTER_MAX_MS + 1);
}

static void peer_timer_armed(void *ctx, uint64_t deadline)
{
	struct peer *peer = ctx;

	device_timer_armed(peer->device, deadline);
}

static void peer_timer_carrier(void *ctx, bool on)
{
	struct peer *peer = ctx;

	(void)on;
	device_carrier_changed(peer->device);
}

static const struct timers_ops peer_timers_ops = {
	.send_initiation = peer_timer_send_initiation,
	.send_keepalive = peer_timer_send_keepalive,
	.handshake_gave_up = peer_timer_gave_up,
	.zero_key_material = peer_timer_zero_keys,
	.jitter_ms = peer_timer_jitter,
	.armed = peer_timer_armed,
	.carrier = peer_timer_carrier,
};

static size_t key_hash(const struct device *dev, const uint8_t *key)
{
	uint64_t h;

	/* Public keys are configured by the administrator and uniformly
	 * distributed, so their first bytes are a fair hash. */
	memcpy(&h, key, sizeof(h));
	return h & (dev->peer_hash_size - 1);
}

static int peer_hash_grow(struct device *dev)
{
	size_t n = dev->peer_hash_size ? dev->peer_hash_size * 2 : 64;
	struct peer **t = calloc(n, sizeof(*t));
	struct peer *p;

	if (!t)
		return -1;
	free(dev->peer_hash);
	dev->peer_hash = t;
	dev->peer_hash_size = n;
	for (p = dev->peers_first; p; p = p->list_next) {
		size_t h = key_hash(dev, p->public_key);

		p->hash_next = t[h];
		t[h] = p;
	}
	return 0;
}

struct peer *peer_lookup(struct device *dev,
			 const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN])
{
	struct peer *p;

	if (!dev->peer_hash_size)
		return NULL;
	for (p = dev->peer_hash[key_hash(dev, public_key)]; p; p = p->hash_next)
		if (!memcmp(p->public_key, public_key, NOISE_PUBLIC_KEY_LEN))
			return p;
	return NULL;
}

struct peer *peer_create(struct device *dev,
			 const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN])
{
	struct peer *peer;
	size_t h;

	if (dev->npeers >= dev->peer_hash_size && peer_hash_grow(dev) < 0)
		return NULL;
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return NULL;
	peer->device = dev;
	peer->serial = ++dev->next_peer_serial;
	memcpy(peer->public_key, public_key, NOISE_PUBLIC_KEY_LEN);
	noise_handshake_init(&peer->handshake, &dev->local, public_key, NULL);
	cookie_maker_init(&peer->cookie_maker, public_key);
	timers_init(&peer->timers, &peer_timers_ops, peer);

	peer->list_prev = dev->peers_last;
	if (dev->peers_last)
		dev->peers_last->list_next = peer;
	else
		dev->peers_first = peer;
	dev->peers_last = peer;
	h = key_hash(dev, public_key);
	peer->hash_next = dev->peer_hash[h];
	dev->peer_hash[h] = peer;
	dev->npeers++;
	log_verbose("%s: created", peer_name(peer));
	return peer;
}

static void unlink_peer(struct peer *peer)
{
	struct device *dev = peer->device;
	struct peer **pp = &dev->peer_hash[key_hash(dev, peer->public_key)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == peer) {
			*pp = peer->hash_next;
			break;
		}
	}
	if (peer->list_prev)
		peer->list_prev->list_next = peer->list_next;
	else
		dev->peers_first = peer->list_next;
	if (peer->list_next)
		peer->list_next->list_prev = peer->list_prev;
	else
		dev->peers_last = peer->list_prev;
	dev->npeers--;
}

void peer_remove(struct peer *peer)
{
	struct device *dev = peer->device;

	log_verbose("%s: removed", peer_name(peer));
	timers_stop(&peer->timers);
	allowedips_remove_by_owner(&dev->allowedips, &peer->allowedips);
	peer_clear_keypairs(peer);
	peer_clear_handshake(peer);
	peer_purge_staged(peer);
	unlink_peer(peer);
	crypto_wipe(peer, sizeof(*peer));
	free(peer);
	/* A silent peer gone: the others decide the carrier now. */
	device_carrier_changed(dev);
}

void peer_set_preshared_key(struct peer *peer, const uint8_t *psk)
{
	memcpy(peer->handshake.preshared_key, psk, NOISE_SYMMETRIC_KEY_LEN);
}

void peer_set_endpoint(struct peer *peer, const struct endpoint *ep)
{
	peer->endpoint = *ep;
	peer->has_endpoint = true;
	memset(&peer->endpoint_src, 0, sizeof(peer->endpoint_src));
}

static void drop_keypair(struct peer *peer, struct noise_keypair *kp)
{
	if (!kp)
		return;
	index_table_remove(&peer->device->index, kp->local_index);
	noise_keypair_free(kp);
}

/*
 * As the kernel's set_device (and wireguard-go's SetPrivateKey) on a new
 * key, and further: nothing made under the old identity is used again.
 * The kernel only stops sending on current and next; here every slot goes,
 * so a packet sealed under the old identity no longer decrypts either.
 */
void peer_refresh_identity(struct peer *peer)
{
	struct noise_keypair *dropped[3];

	noise_handshake_precompute(&peer->handshake, &peer->device->local);
	peer_clear_handshake(peer);
	noise_keypairs_clear(&peer->keypairs, dropped);
	/* Nothing is sent under the old identity again, but the last
	 * session still decrypts what the peer sent before it learned the
	 * new key (a rotation: make-before-break, docs/control.md). It is
	 * dropped with the next session or at its expiry, as any previous;
	 * with no identity left (the zero key) it goes too. */
	if (peer->device->local.has_identity) {
		peer->keypairs.previous = dropped[1];
		dropped[1] = NULL;
	}
	drop_keypair(peer, dropped[1]);
	drop_keypair(peer, dropped[0]);
	drop_keypair(peer, dropped[2]);
	peer->last_sent_handshake_ns = 0;
	peer->sent_lastminute_handshake = false;
}

void peer_set_replaces(struct peer *peer,
		       const uint8_t old[static NOISE_PUBLIC_KEY_LEN])
{
	memcpy(peer->replaces, old, NOISE_PUBLIC_KEY_LEN);
	peer->has_replaces = true;
}

/* Moves one prefix (inserting a held prefix moves it to the new owner)
 * and stops the walk: the old owner's list changes under it. */
static int take_one_prefix(void *ctx, int family, const uint8_t *addr,
			   uint8_t cidr)
{
	struct peer *peer = ctx;
	int r = allowedips_insert(&peer->device->allowedips, family, addr,
				  cidr, &peer->allowedips);

	return r ? r : 1;
}

void peer_take_over(struct peer *peer)
{
	struct peer *old;

	if (!peer->has_replaces)
		return;
	peer->has_replaces = false;
	old = peer_lookup(peer->device, peer->replaces);
	if (!old || old == peer)
		return;
	while (old->allowedips.first &&
	       allowedips_walk_by_owner(&old->allowedips, take_one_prefix,
					peer) == 1)
		;
	log_verbose("%s: took over %s's allowed IPs (key rotation)",
		    peer_name(peer), peer_name(old));
}

void peer_install_keypair(struct peer *peer, struct noise_keypair *kp)
{
	struct noise_keypair *dropped[2];

	kp->owner = peer;
	index_table_promote(&peer->device->index, kp->local_index, kp);
	noise_keypairs_insert(&peer->keypairs, kp, dropped);
	drop_keypair(peer, dropped[0]);
	drop_keypair(peer, dropped[1]);
}

void peer_clear_keypairs(struct peer *peer)
{
	struct noise_keypair *dropped[3];

	noise_keypairs_clear(&peer->keypairs, dropped);
	for (int i = 0; i < 3; i++)
		drop_keypair(peer, dropped[i]);
}

bool peer_confirm_keypair(struct peer *peer, struct noise_keypair *kp)
{
	struct noise_keypair *dropped;
	bool rotated = noise_keypairs_received_with(&peer->keypairs, kp,
						    &dropped);

	drop_keypair(peer, dropped);
	return rotated;
}

void peer_clear_handshake(struct peer *peer)
{
	struct noise_handshake *hs = &peer->handshake;

	/* The handshake's index may already belong to a keypair (after
	 * begin_session the handshake is zeroed, so local_index is 0). */
	if (hs->local_index)
		index_table_remove(&peer->device->index, hs->local_index);
	noise_handshake_clear(hs);
}

void peer_stage_packet(struct peer *peer, struct pktbuf *buf)
{
	unsigned tail;

	if (peer->staged_count == MAX_STAGED_PACKETS) {
		/* Full: the oldest packet goes, as in the kernel. */
		pktbuf_put(peer->device, peer_unstage_packet(peer));
		device_count_drop(peer->device, DROP_STAGED_OVERFLOW);
	}
	tail = (peer->staged_head + peer->staged_count) % MAX_STAGED_PACKETS;
	peer->staged[tail] = buf;
	peer->staged_count++;
}

struct pktbuf *peer_unstage_packet(struct peer *peer)
{
	struct pktbuf *b;

	if (!peer->staged_count)
		return NULL;
	b = peer->staged[peer->staged_head];
	peer->staged[peer->staged_head] = NULL;
	peer->staged_head = (peer->staged_head + 1) % MAX_STAGED_PACKETS;
	peer->staged_count--;
	return b;
}

void peer_purge_staged(struct peer *peer)
{
	struct pktbuf *b;

	while ((b = peer_unstage_packet(peer)))
		pktbuf_put(peer->device, b);
}

const char *peer_name(const struct peer *peer)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "peer(%llu)",
		 (unsigned long long)peer->serial);
	return buf;
}
