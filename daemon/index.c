// SPDX-License-Identifier: MIT
/*
 * Receiver indices: random 32-bit numbers, chained hash table that doubles
 * when its load passes one entry per bucket. Indices are random, so the low
 * bits are a fair hash; an attacker who learns an index learns nothing.
 */
#include "index.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "crypto.h"

#define INDEX_INITIAL_BUCKETS 64

int index_table_init(struct index_table *t)
{
	t->nbuckets = INDEX_INITIAL_BUCKETS;
	t->count = 0;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

void index_table_free(struct index_table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct index_entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = t->count = 0;
}

static struct index_entry **bucket_of(const struct index_table *t,
				      uint32_t index)
{
	return &t->buckets[index & (t->nbuckets - 1)];
}

static void grow(struct index_table *t)
{
	size_t n = t->nbuckets * 2;
	struct index_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct index_entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->index & (n - 1)];
			b[e->index & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

struct index_entry *index_table_lookup(const struct index_table *t,
				       uint32_t index, unsigned type_mask)
{
	struct index_entry *e;

	if (!t->buckets)
		return NULL;
	for (e = *bucket_of(t, index); e; e = e->next)
		if (e->index == index)
			return (e->type & type_mask) ? e : NULL;
	return NULL;
}

uint32_t index_table_insert_handshake(struct index_table *t, struct peer *peer,
				      crypto_random_fn random)
{
	struct index_entry *e = calloc(1, sizeof(*e));
	uint32_t index;

	if (!e)
		return 0;
	if (t->count >= t->nbuckets)
		grow(t);
	do {
		if (random(&index, sizeof(index)) < 0) {
			free(e);
			return 0;
		}
	} while (!index || index_table_lookup(t, index, ~0u));
	e->index = index;
	e->type = INDEX_HANDSHAKE;
	e->peer = peer;
	e->next = *bucket_of(t, index);
	*bucket_of(t, index) = e;
	t->count++;
	return index;
}

void index_table_promote(struct index_table *t, uint32_t index,
			 struct noise_keypair *kp)
{
	struct index_entry *e = index_table_lookup(t, index, INDEX_HANDSHAKE);

	if (!e)
		return;
	e->type = INDEX_KEYPAIR;
	e->keypair = kp;
}

void index_table_remove(struct index_table *t, uint32_t index)
{
	struct index_entry **pp;

	if (!index || !t->buckets)
		return;
	for (pp = bucket_of(t, index); *pp; pp = &(*pp)->next) {
		if ((*pp)->index == index) {
			struct index_entry *e = *pp;

			*pp = e->next;
			free(e);
			t->count--;
			return;
		}
	}
}
