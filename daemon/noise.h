/* SPDX-License-Identifier: MIT */
/*
 * The Noise_IKpsk2 handshake of WireGuard (whitepaper section 5.4.2-5.4.5)
 * and the keypair slots previous/current/next (section 5.4.6, "key
 * confirmation"). This core knows nothing of sockets, peers tables or the
 * index table: the caller supplies indices, time, the source of random
 * bytes for ephemeral keys, and a lookup from a static public key to the
 * handshake state of that peer, so two handshakes can run in one test
 * process and a fuzzer can replay one exactly.
 *
 * Ownership: struct noise_handshake and struct noise_keypairs are embedded in
 * their peer. Keypairs are heap objects owned by the slots of one
 * noise_keypairs; noise_keypairs_* hand back the ones that leave the slots
 * and the caller frees them with noise_keypair_free() after unregistering
 * their index. Caller serialises all calls for one peer.
 */
#ifndef LW_NOISE_H
#define LW_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "messages.h"
#include "replay.h"

/* Our static identity; owned by the device. The DHs with static_private
 * run on a libcrypto form of it that crypto_x25519.c keeps per thread
 * (x25519_static): noise_local_set_private() drops it when the identity
 * changes or is cleared; a plain wipe of the struct leaves it there until
 * the thread exits or needs the slot for another key. */
struct noise_local {
	bool has_identity;
	uint8_t static_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t static_public[NOISE_PUBLIC_KEY_LEN];
};

enum noise_handshake_state {
	HANDSHAKE_ZEROED,
	HANDSHAKE_CREATED_INITIATION,
	HANDSHAKE_CONSUMED_INITIATION,
	HANDSHAKE_CREATED_RESPONSE,
	HANDSHAKE_CONSUMED_RESPONSE,
};
const char *noise_handshake_state_name(enum noise_handshake_state s);

/* Per-peer handshake state; embedded in struct peer. */
struct noise_handshake {
	enum noise_handshake_state state;
	uint32_t local_index;
	uint32_t remote_index;
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	/* DH(our static, their static), recomputed when either key changes;
	 * all zero when that DH is invalid (low-order point). */
	uint8_t precomputed_static_static[NOISE_PUBLIC_KEY_LEN];
	bool has_valid_static_static;
	uint8_t preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
	/* Greatest TAI64N seen from this peer: replayed initiations fail. */
	uint8_t latest_timestamp[NOISE_TIMESTAMP_LEN];
	uint64_t last_initiation_consumption_ns;
};

/* One session's keys. Heap object; see the ownership note above. */
struct noise_keypair {
	uint8_t sending_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t receiving_key[NOISE_SYMMETRIC_KEY_LEN];
	uint64_t sending_counter;
	struct replay_counter receiving_counter;
	uint32_t local_index;
	uint32_t remote_index;
	bool is_initiator;
	bool is_valid;
	uint64_t birthdate_ns; /* monotonic */
	void *owner;           /* the peer, for index-table lookups */
};

struct noise_keypairs {
	struct noise_keypair *previous;
	struct noise_keypair *current;
	struct noise_keypair *next;
};

/* Sets (or clears, with NULL) the identity and recomputes nothing: callers
 * then refresh every peer with noise_handshake_set_static(). */
void noise_local_set_private(struct noise_local *local,
			     const uint8_t *private_key);
/* Is private_key (all zero = none) the identity local already has?
 * Compared in constant time. */
bool noise_local_is_private(const struct noise_local *local,
			    const uint8_t private_key[static NOISE_PUBLIC_KEY_LEN]);
void noise_handshake_init(struct noise_handshake *hs,
			  const struct noise_local *local,
			  const uint8_t remote_static[static NOISE_PUBLIC_KEY_LEN],
			  const uint8_t *preshared_key);
/* Recompute DH(s, S) after our private key changed. */
void noise_handshake_precompute(struct noise_handshake *hs,
				const struct noise_local *local);
/* Forget ephemeral state (keeps identity, psk, latest timestamp). */
void noise_handshake_clear(struct noise_handshake *hs);

/* Fills everything but the macs. 0, or -EINVAL without identity, with a
 * low-order peer key or when random fails. now_wall_ns is CLOCK_REALTIME
 * for the TAI64N stamp; the ephemeral key is drawn from random. */
int noise_handshake_create_initiation(struct message_handshake_initiation *dst,
				      struct noise_handshake *hs,
				      const struct noise_local *local,
				      uint32_t local_index,
				      uint64_t now_wall_ns,
				      crypto_random_fn random);

/* Returns the handshake of the peer with that static key, or NULL. */
typedef struct noise_handshake *(*noise_lookup_fn)(
	void *ctx, const uint8_t public_key[static NOISE_PUBLIC_KEY_LEN]);

enum noise_result {
	NOISE_OK = 0,
	NOISE_INVALID,     /* failed authentication or malformed */
	NOISE_UNKNOWN_PEER,
	NOISE_REPLAYED,    /* timestamp not newer than the latest seen */
	NOISE_FLOOD,       /* initiations arrive faster than allowed */
	NOISE_WRONG_STATE,
};
const char *noise_result_name(enum noise_result r);

/* Verifies and consumes an initiation (macs already checked). On NOISE_OK
 * *out is the peer's handshake, now in CONSUMED_INITIATION; on any other
 * result no state changed. */
enum noise_result noise_handshake_consume_initiation(
	const struct message_handshake_initiation *src,
	const struct noise_local *local, noise_lookup_fn lookup, void *ctx,
	uint64_t now_ns, struct noise_handshake **out);

/* As create_initiation, from CONSUMED_INITIATION. */
int noise_handshake_create_response(struct message_handshake_response *dst,
				    struct noise_handshake *hs,
				    const struct noise_local *local,
				    uint32_t local_index,
				    crypto_random_fn random);

/* hs is the handshake found by src->receiver_index. On any result other
 * than NOISE_OK no state changed. */
enum noise_result noise_handshake_consume_response(
	const struct message_handshake_response *src,
	struct noise_handshake *hs, const struct noise_local *local);

/* Derives the transport keys from a completed handshake (state must be
 * CONSUMED_RESPONSE for the initiator, CREATED_RESPONSE for the
 * responder), zeroes the handshake and returns a new keypair (NULL on
 * ENOMEM or wrong state). */
struct noise_keypair *noise_handshake_begin_session(struct noise_handshake *hs,
						    uint64_t now_ns);

/* Installs kp in the slots as the whitepaper prescribes: the initiator uses
 * it at once (current), the responder keeps it as next until the first
 * data packet confirms it. Up to two displaced keypairs are written to
 * dropped[] (NULL-filled); the caller frees them. */
void noise_keypairs_insert(struct noise_keypairs *kps, struct noise_keypair *kp,
			   struct noise_keypair *dropped[static 2]);
/* Key confirmation: a packet authenticated under kp arrived. If kp is next
 * it becomes current; returns true then, and *dropped is the old previous
 * (or NULL) for the caller to free. */
bool noise_keypairs_received_with(struct noise_keypairs *kps,
				  struct noise_keypair *kp,
				  struct noise_keypair **dropped);
/* Empties all slots into dropped[3]. */
void noise_keypairs_clear(struct noise_keypairs *kps,
			  struct noise_keypair *dropped[static 3]);
void noise_keypair_free(struct noise_keypair *kp);

/* TAI64N of a CLOCK_REALTIME nanosecond count (whitepaper 5.4.2). */
void noise_tai64n(uint8_t out[static NOISE_TIMESTAMP_LEN], uint64_t wall_ns);

#endif
