/* SPDX-License-Identifier: MIT */
/*
 * Per-source token bucket for handshake initiations under load (whitepaper
 * section 5.3 "Denial of Service Mitigation & Cookies"). Sources are keyed by
 * IPv4 address or IPv6 /64. Memory is bounded: at most RATELIMIT_MAX_ENTRIES
 * sources are tracked; past that new sources are refused until idle entries
 * expire. Time comes from the caller (nanoseconds, monotonic) so tests drive
 * it. No locks inside: caller serialises.
 */
#ifndef LW_RATELIMIT_H
#define LW_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RATELIMIT_PACKETS_PER_SECOND 20
#define RATELIMIT_BURST 5
#define RATELIMIT_MAX_ENTRIES 16384
#define RATELIMIT_IDLE_NS (1000ULL * 1000 * 1000) /* forget after 1 s idle */

struct ratelimit_entry;

/* Owned by the device; ratelimiter_uninit() frees its memory. */
struct ratelimiter {
	struct ratelimit_entry **buckets;
	size_t nbuckets;
	size_t count;
	uint64_t last_gc_ns;
	uint8_t hash_key[16]; /* random, so attackers cannot aim collisions */
};

int ratelimiter_init(struct ratelimiter *rl);
void ratelimiter_uninit(struct ratelimiter *rl);
/* True if src (sockaddr_in or sockaddr_in6) may send one more packet now. */
bool ratelimiter_allow(struct ratelimiter *rl, const struct sockaddr *src,
		       uint64_t now_ns);

#endif
