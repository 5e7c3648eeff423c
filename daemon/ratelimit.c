// SPDX-License-Identifier: MIT
/*
 * Per-source token buckets for handshake messages under load (whitepaper
 * section 5.3, "Denial of Service Mitigation & Cookies"). A source is an
 * IPv4 address or an IPv6 /64 (a v4-mapped IPv6 address is its IPv4
 * address). Each gets RATELIMIT_BURST packets at once and
 * RATELIMIT_PACKETS_PER_SECOND after that; tokens are kept in nanoseconds
 * of credit so refill is a plain add of elapsed time. Sources live in a
 * fixed array of chained buckets indexed by SipHash-2-4 under a random key,
 * so a remote sender cannot pile its addresses into one chain. An entry idle
 * for RATELIMIT_IDLE_NS has refilled completely and is indistinguishable
 * from a new one, so it is dropped: lazily when a lookup passes it, and by
 * a walk of the whole table at most once per second.
 *
 * When RATELIMIT_MAX_ENTRIES sources are tracked, a packet from a source not
 * yet tracked is refused (ratelimiter_allow() returns false) until idle
 * entries expire; tracked sources keep their own buckets. Memory therefore
 * stays bounded under a flood from many addresses, at the price of new
 * legitimate sources waiting up to about a second during such a flood.
 */
#include "ratelimit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NSEC_PER_SEC 1000000000ULL
#define PACKET_COST (NSEC_PER_SEC / RATELIMIT_PACKETS_PER_SECOND)
#define TOKEN_MAX (PACKET_COST * RATELIMIT_BURST)
#define RATELIMIT_BUCKETS 8192
#define GC_INTERVAL_NS NSEC_PER_SEC

_Static_assert(RATELIMIT_IDLE_NS >= TOKEN_MAX,
	       "an idle entry must have refilled before it is forgotten");
_Static_assert((RATELIMIT_BUCKETS & (RATELIMIT_BUCKETS - 1)) == 0,
	       "bucket count is a power of two");

/* Who a packet counts against: an IPv4 address or the top 64 bits of an
 * IPv6 address, tagged so the two spaces never collide. */
struct source_key {
	uint64_t net;
	uint64_t is_v6;
};

/* One tracked source. Owned by the ratelimiter, on one bucket's chain;
 * freed by expiry or ratelimiter_uninit(). */
struct ratelimit_entry {
	struct ratelimit_entry *next;
	struct source_key key;
	uint64_t last_ns;
	uint64_t tokens; /* credit in ns; one packet costs PACKET_COST */
};

static uint64_t rol64(uint64_t x, unsigned int n)
{
	return (x << n) | (x >> (64 - n));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rol64(v[1], 13) ^ v[0];
	v[0] = rol64(v[0], 32);
	v[2] += v[3];
	v[3] = rol64(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rol64(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rol64(v[1], 17) ^ v[2];
	v[2] = rol64(v[2], 32);
}

static void sip_absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

/* SipHash-2-4 of the 16-byte message (a, b) as little-endian words. */
static uint64_t siphash_2u64(const uint8_t key[16], uint64_t a, uint64_t b)
{
	uint64_t k0, k1, v[4];

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	sip_absorb(v, a);
	sip_absorb(v, b);
	sip_absorb(v, 16ULL << 56);
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t load_be(const uint8_t *p, size_t len)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < len; i++)
		x = x << 8 | p[i];
	return x;
}

/* False for a family we do not rate-limit by (the caller then drops). */
static bool source_key_from(struct source_key *key, const struct sockaddr *src)
{
	const struct sockaddr_in6 *sin6;
	const struct sockaddr_in *sin;
	const uint8_t *a;

	if (src->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)src;
		key->net = load_be((const uint8_t *)&sin->sin_addr, 4);
		key->is_v6 = 0;
		return true;
	}
	if (src->sa_family != AF_INET6)
		return false;
	sin6 = (const struct sockaddr_in6 *)src;
	a = sin6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		key->net = load_be(a + 12, 4);
		key->is_v6 = 0;
	} else {
		key->net = load_be(a, 8);
		key->is_v6 = 1;
	}
	return true;
}

static bool entry_is_idle(const struct ratelimit_entry *e, uint64_t now_ns)
{
	return now_ns >= e->last_ns && now_ns - e->last_ns >= RATELIMIT_IDLE_NS;
}

/* Frees the idle entries of one chain. */
static void chain_expire(struct ratelimiter *rl, struct ratelimit_entry **pp,
			 uint64_t now_ns)
{
	struct ratelimit_entry *e;

	while ((e = *pp)) {
		if (!entry_is_idle(e, now_ns)) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		free(e);
		rl->count--;
	}
}

/* The whole-table walk, at most once per GC_INTERVAL_NS. */
static void ratelimiter_gc(struct ratelimiter *rl, uint64_t now_ns)
{
	size_t i;

	if (now_ns >= rl->last_gc_ns &&
	    now_ns - rl->last_gc_ns < GC_INTERVAL_NS)
		return;
	rl->last_gc_ns = now_ns;
	for (i = 0; i < rl->nbuckets && rl->count; i++)
		chain_expire(rl, &rl->buckets[i], now_ns);
}

/* The chain key hashes to, after dropping its idle entries. */
static struct ratelimit_entry **chain_for(struct ratelimiter *rl,
					  const struct source_key *key,
					  uint64_t now_ns)
{
	uint64_t h = siphash_2u64(rl->hash_key, key->net, key->is_v6);
	struct ratelimit_entry **pp = &rl->buckets[h & (rl->nbuckets - 1)];

	chain_expire(rl, pp, now_ns);
	return pp;
}

/* Refills e for the time since its last packet and takes one packet's
 * worth if there is one. */
static bool entry_take(struct ratelimit_entry *e, uint64_t now_ns)
{
	uint64_t elapsed = now_ns > e->last_ns ? now_ns - e->last_ns : 0;

	e->tokens = elapsed >= TOKEN_MAX - e->tokens ? TOKEN_MAX :
						       e->tokens + elapsed;
	if (now_ns > e->last_ns)
		e->last_ns = now_ns;
	if (e->tokens < PACKET_COST)
		return false;
	e->tokens -= PACKET_COST;
	return true;
}

/* Starts tracking key with a full bucket minus this packet. */
static bool entry_add(struct ratelimiter *rl, struct ratelimit_entry **chain,
		      const struct source_key *key, uint64_t now_ns)
{
	struct ratelimit_entry *e;

	if (rl->count >= RATELIMIT_MAX_ENTRIES)
		return false;
	e = malloc(sizeof(*e));
	if (!e)
		return false;
	e->key = *key;
	e->last_ns = now_ns;
	e->tokens = TOKEN_MAX - PACKET_COST;
	e->next = *chain;
	*chain = e;
	rl->count++;
	return true;
}

int ratelimiter_init(struct ratelimiter *rl)
{
	ssize_t n;

	memset(rl, 0, sizeof(*rl));
	do
		n = getrandom(rl->hash_key, sizeof(rl->hash_key), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rl->hash_key))
		return n < 0 ? -errno : -EIO;
	rl->buckets = calloc(RATELIMIT_BUCKETS, sizeof(*rl->buckets));
	if (!rl->buckets)
		return -ENOMEM;
	rl->nbuckets = RATELIMIT_BUCKETS;
	return 0;
}

void ratelimiter_uninit(struct ratelimiter *rl)
{
	struct ratelimit_entry *e;
	size_t i;

	for (i = 0; i < rl->nbuckets; i++) {
		while ((e = rl->buckets[i])) {
			rl->buckets[i] = e->next;
			free(e);
		}
	}
	free(rl->buckets);
	memset(rl, 0, sizeof(*rl));
}

bool ratelimiter_allow(struct ratelimiter *rl, const struct sockaddr *src,
		       uint64_t now_ns)
{
	struct ratelimit_entry **chain, *e;
	struct source_key key;

	if (!source_key_from(&key, src))
		return false;
	ratelimiter_gc(rl, now_ns);
	chain = chain_for(rl, &key, now_ns);
	for (e = *chain; e; e = e->next)
		if (e->key.net == key.net && e->key.is_v6 == key.is_v6)
			return entry_take(e, now_ns);
	return entry_add(rl, chain, &key, now_ns);
}
