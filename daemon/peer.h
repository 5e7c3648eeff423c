/* SPDX-License-Identifier: MIT */
/*
 * A peer: one remote static key with its handshake, keypair slots, cookie
 * maker, timers, allowed IPs, endpoint, counters and the bounded queue of
 * packets staged while a handshake is pending.
 *
 * Ownership: the device owns its peers (device->peers list and hash);
 * peer_create() links a new peer in, peer_remove() unlinks, wipes and frees
 * it. Everything runs on the event-loop thread.
 */
#ifndef LW_PEER_H
#define LW_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "allowedips.h"
#include "cookie.h"
#include "noise.h"
#include "timers.h"
#include "endpoint.h"
#include "udp.h"
#include "uapi_parse.h"

struct device;
struct pktbuf;

/* Whitepaper 6.5 leaves the queue size open; the kernel keeps 128. */
#define MAX_STAGED_PACKETS 128

struct peer {
	struct device *device;
	uint8_t public_key[NOISE_PUBLIC_KEY_LEN];
	struct noise_handshake handshake;
	struct noise_keypairs keypairs;
	struct cookie_maker cookie_maker;
	struct peer_timers timers;
	struct allowedips_owner allowedips;

	bool has_endpoint;
	struct endpoint endpoint;
	/* Sticky source: the local address its last authenticated packet
	 * arrived on; family 0 lets the kernel choose. */
	struct udp_source endpoint_src;
	/* Its path refused a UDP_SEGMENT run (logged once): its datagrams
	 * leave one per message until its endpoint changes. */
	bool gso_refused;

	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t last_handshake_wall_ns; /* 0 = never */
	uint64_t last_sent_handshake_ns; /* monotonic, 0 = never */
	bool sent_lastminute_handshake;

	/* Staged packets, FIFO ring. */
	struct pktbuf *staged[MAX_STAGED_PACKETS];
	unsigned staged_head;
	unsigned staged_count;

	/* Device bookkeeping: creation-order list and public-key hash. */
	struct peer *list_prev, *list_next;
	struct peer *hash_next;
	uint64_t serial; /* creation order, for logs: "peer(3)" */

	/* Make-before-break rotation (UAPI lanwire_replaces): the peer
	 * whose AllowedIPs this one takes on its first authenticated
	 * packet (peer_take_over()). */
	bool has_replaces;
	uint8_t replaces[NOISE_PUBLIC_KEY_LEN];
};

/* Returns the new peer linked into device, or NULL on ENOMEM. */
struct peer *peer_create(struct device *dev,
			 const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN]);
void peer_remove(struct peer *peer);
struct peer *peer_lookup(struct device *dev,
			 const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN]);

void peer_set_preshared_key(struct peer *peer, const uint8_t *psk);
void peer_set_endpoint(struct peer *peer, const struct endpoint *ep);
/* After the device's private key changed (device_set_private_key): DH(s, S)
 * again, every keypair (next too) and the handshake dropped, except that
 * the current one stays as previous, for receiving only (packets the
 * peer sealed before it learned the new key still decrypt; not after the
 * zero key), and the
 * handshake rate limit reset so the next one goes out at once (the UAPI
 * then sends what is staged). */
void peer_refresh_identity(struct peer *peer);
/* This peer replaces the one with public key old (a key rotation): on
 * its first authenticated packet (peer_take_over()) old's AllowedIPs
 * become its own. */
void peer_set_replaces(struct peer *peer,
		       const uint8_t old[static NOISE_PUBLIC_KEY_LEN]);
/* Called on every authenticated packet from peer: once, moves the
 * replaced peer's AllowedIPs to peer (that peer stays, with none). */
void peer_take_over(struct peer *peer);

/* Keypair slot changes, with index-table bookkeeping. */
void peer_install_keypair(struct peer *peer, struct noise_keypair *kp);
void peer_clear_keypairs(struct peer *peer);
/* Key confirmation on the receive path; true if next became current. */
bool peer_confirm_keypair(struct peer *peer, struct noise_keypair *kp);
/* Drops the handshake's index and ephemeral state. */
void peer_clear_handshake(struct peer *peer);

/* Staged queue. peer_stage_packet takes ownership of buf (drops the
 * oldest packet when full). */
void peer_stage_packet(struct peer *peer, struct pktbuf *buf);
struct pktbuf *peer_unstage_packet(struct peer *peer);
void peer_purge_staged(struct peer *peer);

/* Short printable id for logs: "peer(3)". Never key material. */
const char *peer_name(const struct peer *peer);

#endif
