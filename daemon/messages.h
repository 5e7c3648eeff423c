/* SPDX-License-Identifier: MIT */
/*
 * Wire formats and protocol constants of WireGuard, as named in the
 * whitepaper (sections 5.4 "Messages" and 6 "Timers & Stateless UX").
 * Nothing but constants and packed wire structs lives here.
 */
#ifndef LW_MESSAGES_H
#define LW_MESSAGES_H

#include <stdint.h>

#define NOISE_PUBLIC_KEY_LEN 32
#define NOISE_SYMMETRIC_KEY_LEN 32
#define NOISE_TIMESTAMP_LEN 12
#define NOISE_AUTHTAG_LEN 16
#define NOISE_HASH_LEN 32
#define NOISE_NONCE_LEN 8
#define COOKIE_LEN 16
#define COOKIE_NONCE_LEN 24
#define COOKIE_SECRET_LEN 32
#define MAC_LEN 16

#define noise_encrypted_len(plain_len) ((plain_len) + NOISE_AUTHTAG_LEN)

/* Section 5.4: protocol names hashed into the chaining key and hash. */
#define NOISE_CONSTRUCTION "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
#define NOISE_IDENTIFIER "WireGuard v1 zx2c4 Jason@zx2c4.com"
#define LABEL_MAC1 "mac1----"
#define LABEL_COOKIE "cookie--"

/* Section 6.1: timer and limit constants. Times in seconds. */
#define REKEY_AFTER_MESSAGES (1ULL << 60)
#define REJECT_AFTER_MESSAGES (UINT64_MAX - (1ULL << 13))
#define REKEY_AFTER_TIME 120
#define REJECT_AFTER_TIME 180
#define REKEY_ATTEMPT_TIME 90
#define REKEY_TIMEOUT 5
#define KEEPALIVE_TIMEOUT 10
#define COOKIE_REFRESH_TIME 120
/* Not in the table, but in the text: the jitter added to REKEY_TIMEOUT. */
#define REKEY_TIMEOUT_JITTER_MAX_MS 333
/* Minimum spacing of handshake initiations we accept from one peer. */
#define INITIATIONS_PER_SECOND 50

/* Clock units: all times inside the daemon are nanoseconds. */
#define NS_PER_SEC UINT64_C(1000000000)
#define NS_PER_MS UINT64_C(1000000)

enum message_type {
	MESSAGE_INVALID = 0,
	MESSAGE_HANDSHAKE_INITIATION = 1,
	MESSAGE_HANDSHAKE_RESPONSE = 2,
	MESSAGE_HANDSHAKE_COOKIE = 3,
	MESSAGE_DATA = 4,
};

struct message_header {
	/* type is one byte followed by three reserved zero bytes; as a
	 * little-endian u32 the whole word equals the type. */
	uint32_t type;
} __attribute__((packed));

struct message_macs {
	uint8_t mac1[MAC_LEN];
	uint8_t mac2[MAC_LEN];
} __attribute__((packed));

struct message_handshake_initiation {
	struct message_header header;
	uint32_t sender_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_static[noise_encrypted_len(NOISE_PUBLIC_KEY_LEN)];
	uint8_t encrypted_timestamp[noise_encrypted_len(NOISE_TIMESTAMP_LEN)];
	struct message_macs macs;
} __attribute__((packed));

struct message_handshake_response {
	struct message_header header;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_nothing[noise_encrypted_len(0)];
	struct message_macs macs;
} __attribute__((packed));

struct message_handshake_cookie {
	struct message_header header;
	uint32_t receiver_index;
	uint8_t nonce[COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[noise_encrypted_len(COOKIE_LEN)];
} __attribute__((packed));

struct message_data {
	struct message_header header;
	uint32_t key_idx;
	uint64_t counter;
	uint8_t encrypted_data[];
} __attribute__((packed));

#define MESSAGE_INITIATION_LEN 148
#define MESSAGE_RESPONSE_LEN 92
#define MESSAGE_COOKIE_LEN 64
#define MESSAGE_DATA_HEADER_LEN 16
#define MESSAGE_DATA_MIN_LEN (MESSAGE_DATA_HEADER_LEN + NOISE_AUTHTAG_LEN)
#define MESSAGE_PADDING_MULTIPLE 16

_Static_assert(sizeof(struct message_handshake_initiation) ==
		       MESSAGE_INITIATION_LEN, "initiation layout");
_Static_assert(sizeof(struct message_handshake_response) ==
		       MESSAGE_RESPONSE_LEN, "response layout");
_Static_assert(sizeof(struct message_handshake_cookie) == MESSAGE_COOKIE_LEN,
	       "cookie layout");
_Static_assert(sizeof(struct message_data) == MESSAGE_DATA_HEADER_LEN,
	       "data header layout");

#endif
