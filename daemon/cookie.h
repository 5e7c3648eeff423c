/* SPDX-License-Identifier: MIT */
/*
 * MACs and cookies (whitepaper 5.4.4 "Cookie MACs" and 5.4.7 "Under Load:
 * Cookie Reply Message"). The cookie_checker is the responder side, one per
 * device: it validates mac1/mac2 and makes cookie replies. The cookie_maker
 * is the initiator side, one per peer: it stamps mac1/mac2 on outgoing
 * handshake messages and consumes cookie replies.
 *
 * Ownership: cookie_checker is embedded in the device, cookie_maker in the
 * peer. Time is passed in (monotonic ns), and so is the source of random
 * bytes for the secret (the device's ops), so a test or fuzzer can make
 * them reproducible. Caller serialises.
 */
#ifndef LW_COOKIE_H
#define LW_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crypto.h"
#include "messages.h"

struct cookie_checker {
	bool has_identity;
	uint8_t mac1_key[NOISE_SYMMETRIC_KEY_LEN];   /* HASH(LABEL_MAC1 || S_us) */
	uint8_t cookie_key[NOISE_SYMMETRIC_KEY_LEN]; /* HASH(LABEL_COOKIE || S_us) */
	uint8_t secret[COOKIE_SECRET_LEN];           /* R_m, rotated */
	uint64_t secret_birthdate_ns;
	bool has_secret;
};

struct cookie_maker {
	uint8_t mac1_key[NOISE_SYMMETRIC_KEY_LEN];   /* HASH(LABEL_MAC1 || S_peer) */
	uint8_t cookie_key[NOISE_SYMMETRIC_KEY_LEN]; /* HASH(LABEL_COOKIE || S_peer) */
	uint8_t cookie[COOKIE_LEN];
	uint64_t cookie_birthdate_ns;
	bool has_cookie;
	uint8_t last_mac1_sent[MAC_LEN];
	bool has_sent_mac1;
};

/* public_key may be NULL to clear the identity. */
void cookie_checker_init(struct cookie_checker *c, const uint8_t *public_key);
void cookie_maker_init(struct cookie_maker *m,
		       const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN]);

/*
 * The responder's checks, in the order of whitepaper 5.3: mac1 on every
 * handshake message, mac2 only when the device is under load. msg is a
 * whole handshake message of len bytes whose last 32 bytes are struct
 * message_macs.
 *
 * check_mac1: one keyed BLAKE2s and no secret; while the device is not
 * under load it is all a handshake message costs before the handshake.
 */
bool cookie_checker_check_mac1(const struct cookie_checker *c,
			       const uint8_t *msg, size_t len);
/* Under load: computes the cookie of src (the sender's address) into
 * cookie and says whether msg's mac2 is valid under it; a new secret, when
 * due, is drawn from random. The same cookie
 * goes into the reply when it is not, so a message costs one cookie. The
 * caller wipes cookie. */
bool cookie_checker_check_mac2(struct cookie_checker *c, const uint8_t *msg,
			       size_t len, const struct sockaddr *src,
			       uint64_t now_ns, crypto_random_fn random,
			       uint8_t cookie[static COOKIE_LEN]);
/* Writes into dst a cookie reply to msg carrying cookie, as computed by
 * cookie_checker_check_mac2 for msg. 0 or -errno. */
int cookie_checker_create_reply(const struct cookie_checker *c,
				struct message_handshake_cookie *dst,
				const uint8_t *msg, size_t len,
				uint32_t receiver_index,
				const uint8_t cookie[static COOKIE_LEN]);

/* Stamps mac1, and mac2 when a fresh cookie is held, on msg of len. */
void cookie_maker_add_macs(struct cookie_maker *m, uint8_t *msg, size_t len,
			   uint64_t now_ns);
/* Decrypts a cookie reply for our last mac1. 0, or -EINVAL. */
int cookie_maker_consume_reply(struct cookie_maker *m,
			       const struct message_handshake_cookie *src,
			       uint64_t now_ns);

#endif
