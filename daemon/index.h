/* SPDX-License-Identifier: MIT */
/*
 * Receiver-index table (whitepaper 5.4.2: "sender index ... a random 32-bit
 * integer used to identify this session"). Maps the index our peers put in
 * receiver_index / key_idx to the handshake or keypair it names, in O(1).
 *
 * Ownership: the device owns the table and its entries; entries point at
 * (do not own) a peer and, for keypairs, the keypair. Whoever frees a
 * keypair removes its index first. Caller serialises.
 */
#ifndef LW_INDEX_H
#define LW_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct peer;
struct noise_keypair;

enum index_type { INDEX_HANDSHAKE = 1, INDEX_KEYPAIR = 2 };

struct index_entry {
	uint32_t index;
	enum index_type type;
	struct peer *peer;
	struct noise_keypair *keypair; /* INDEX_KEYPAIR only */
	struct index_entry *next;
};

struct index_table {
	struct index_entry **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
};

int index_table_init(struct index_table *t);
void index_table_free(struct index_table *t);
/* Registers a fresh random non-zero index for peer's handshake, drawn from
 * random (the device's ops: a fuzzer replays the same indices). Returns the
 * index, or 0 on ENOMEM or when random fails. */
uint32_t index_table_insert_handshake(struct index_table *t, struct peer *peer,
				      crypto_random_fn random);
/* Turns a handshake's index into its keypair's (same number). */
void index_table_promote(struct index_table *t, uint32_t index,
			 struct noise_keypair *kp);
void index_table_remove(struct index_table *t, uint32_t index);
/* Entry for index if it has one of the types in type_mask, else NULL. */
struct index_entry *index_table_lookup(const struct index_table *t,
				       uint32_t index, unsigned type_mask);

#endif
