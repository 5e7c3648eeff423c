// SPDX-License-Identifier: MIT
/*
 * Tests for the per-source ratelimiter (ratelimit.c), all on an injected
 * clock: the burst and the refill rate, independence of IPv4 sources,
 * IPv6 sources keyed by /64 and v4-mapped addresses by their IPv4 address,
 * expiry of idle sources (the entry count drops), the RATELIMIT_MAX_ENTRIES
 * cap refusing new sources, and init/uninit with entries still held (run
 * under ASan this checks for leaks).
 */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "test.h"

#define MS (1000ULL * 1000)
#define SEC (1000 * MS)
#define COST (SEC / RATELIMIT_PACKETS_PER_SECOND)
/* A monotonic clock does not start at zero. */
#define T0 (12345 * SEC)

static struct sockaddr_storage ss4(const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(51820);
	inet_pton(AF_INET, addr, &sin->sin_addr);
	return ss;
}

static struct sockaddr_storage ss6(const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(51820);
	inet_pton(AF_INET6, addr, &sin6->sin6_addr);
	return ss;
}

static bool allow(struct ratelimiter *rl, struct sockaddr_storage ss,
		  uint64_t now)
{
	return ratelimiter_allow(rl, (struct sockaddr *)&ss, now);
}

/* How many of n packets at one instant get through. */
static int allow_n(struct ratelimiter *rl, struct sockaddr_storage ss,
		   uint64_t now, int n)
{
	int ok = 0;

	while (n--)
		ok += allow(rl, ss, now);
	return ok;
}

static void test_burst_and_refill(void)
{
	struct sockaddr_storage a = ss4("192.0.2.1");
	struct ratelimiter rl;
	uint64_t t, i;
	int ok = 0;

	CHECK_EQ(ratelimiter_init(&rl), 0);
	/* 1: a burst of RATELIMIT_BURST, then refused */
	CHECK_EQ(allow_n(&rl, a, T0, 10), RATELIMIT_BURST);
	/* 2: just under one packet's cost later: still refused */
	CHECK(!allow(&rl, a, T0 + COST - 1));
	/* 3: one packet's cost after the burst: exactly one more */
	CHECK_EQ(allow_n(&rl, a, T0 + COST, 3), 1);
	/* 4: two costs later: two more */
	CHECK_EQ(allow_n(&rl, a, T0 + 3 * COST, 5), 2);
	/* 5: half a second of silence refills 10 costs, capped at burst */
	CHECK_EQ(allow_n(&rl, a, T0 + 3 * COST + SEC / 2, 20),
		 RATELIMIT_BURST);
	/* 6: flooding at 1000/s for 10 s passes RATELIMIT_PACKETS_PER_SECOND
	 * (the bucket starts empty here, so exactly 10 s worth) */
	t = T0 + 3 * COST + SEC / 2;
	for (i = 1; i <= 10000; i++)
		ok += allow(&rl, a, t + i * MS);
	CHECK_EQ(ok, 10 * RATELIMIT_PACKETS_PER_SECOND);
	/* 7: a sender exactly at the rate is never refused */
	t += 10 * SEC;
	ok = 0;
	for (i = 1; i <= 1000; i++)
		ok += allow(&rl, a, t + i * COST);
	CHECK_EQ(ok, 1000);
	/* 8: clock stepping backwards grants nothing extra */
	t += 1000 * COST;
	allow_n(&rl, a, t, 10);
	CHECK(!allow(&rl, a, t - SEC / 2));
	CHECK(!allow(&rl, a, t));
	ratelimiter_uninit(&rl);
}

static void test_sources(void)
{
	struct sockaddr_storage un = { .ss_family = AF_UNIX };
	struct ratelimiter rl;

	CHECK_EQ(ratelimiter_init(&rl), 0);
	/* 9: different IPv4 sources are independent */
	CHECK_EQ(allow_n(&rl, ss4("198.51.100.1"), T0, 10), RATELIMIT_BURST);
	CHECK_EQ(allow_n(&rl, ss4("198.51.100.2"), T0, 10), RATELIMIT_BURST);
	CHECK_EQ(allow_n(&rl, ss4("198.51.100.1"), T0, 1), 0);
	CHECK_EQ(rl.count, 2);
	/* 10: two addresses in one /64 share a bucket */
	CHECK_EQ(allow_n(&rl, ss6("2001:db8:1:2::1"), T0, 3), 3);
	CHECK_EQ(allow_n(&rl, ss6("2001:db8:1:2:ffff::9"), T0, 10),
		 RATELIMIT_BURST - 3);
	/* 11: the neighbouring /64s have their own */
	CHECK_EQ(allow_n(&rl, ss6("2001:db8:1:3::1"), T0, 10),
		 RATELIMIT_BURST);
	CHECK_EQ(allow_n(&rl, ss6("2001:db8:1:1::1"), T0, 10),
		 RATELIMIT_BURST);
	CHECK_EQ(rl.count, 5);
	/* 12: a v4-mapped address is its IPv4 address */
	CHECK_EQ(allow_n(&rl, ss6("::ffff:198.51.100.2"), T0, 1), 0);
	CHECK_EQ(allow_n(&rl, ss6("::ffff:198.51.100.3"), T0, 2), 2);
	CHECK_EQ(allow_n(&rl, ss4("198.51.100.3"), T0, 10),
		 RATELIMIT_BURST - 2);
	/* 13: ... but IPv6 addresses and /64s with the same bits are not */
	CHECK_EQ(allow_n(&rl, ss6("::c633:6403"), T0, 1), 1);
	CHECK_EQ(allow_n(&rl, ss6("0:0:c633:6403::1"), T0, 1), 1);
	CHECK_EQ(rl.count, 8);
	/* 14: other families are refused and not tracked */
	CHECK(!allow(&rl, un, T0));
	CHECK_EQ(rl.count, 8);
	ratelimiter_uninit(&rl);
	CHECK(rl.buckets == NULL && rl.count == 0);
}

static struct sockaddr_storage nth_source(unsigned int i)
{
	struct sockaddr_storage ss = ss4("10.0.0.0");
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	sin->sin_addr.s_addr = htonl(0x0a000000 + i);
	return ss;
}

static void test_expiry(void)
{
	struct ratelimiter rl;
	unsigned int i;
	int ok = 0;

	CHECK_EQ(ratelimiter_init(&rl), 0);
	for (i = 0; i < 1000; i++)
		ok += allow(&rl, nth_source(i), T0);
	CHECK_EQ(ok, 1000);
	CHECK_EQ(rl.count, 1000);
	/* 15: a source kept busy stays; the rest expire after idling */
	allow(&rl, nth_source(0), T0 + SEC / 2);
	allow(&rl, nth_source(1), T0 + SEC / 2);
	CHECK_EQ(rl.count, 1000);
	allow(&rl, ss4("203.0.113.1"), T0 + SEC + SEC / 4);
	CHECK_EQ(rl.count, 3);
	/* 16: an expired source starts over with a full burst */
	CHECK_EQ(allow_n(&rl, nth_source(7), T0 + 2 * SEC, 10),
		 RATELIMIT_BURST);
	/* 17: once everything has idled, one call leaves only its own */
	allow(&rl, nth_source(0), T0 + 5 * SEC);
	CHECK_EQ(rl.count, 1);
	ratelimiter_uninit(&rl);
}

static void test_cap(void)
{
	struct ratelimiter rl;
	unsigned int i;
	int ok = 0;

	CHECK_EQ(ratelimiter_init(&rl), 0);
	for (i = 0; i < RATELIMIT_MAX_ENTRIES; i++)
		ok += allow(&rl, nth_source(i), T0 + i);
	CHECK_EQ(ok, RATELIMIT_MAX_ENTRIES);
	CHECK_EQ(rl.count, RATELIMIT_MAX_ENTRIES);
	/* 18: full: new sources refused, not tracked */
	for (i = 0; i < 1000; i++)
		ok += allow(&rl, nth_source(RATELIMIT_MAX_ENTRIES + i),
			    T0 + SEC / 2);
	CHECK_EQ(ok, RATELIMIT_MAX_ENTRIES);
	CHECK_EQ(rl.count, RATELIMIT_MAX_ENTRIES);
	/* 19: known sources keep their buckets (refilled by now) */
	CHECK_EQ(allow_n(&rl, nth_source(5), T0 + SEC / 2, 10),
		 RATELIMIT_BURST);
	CHECK_EQ(allow_n(&rl, nth_source(5), T0 + SEC / 2 + COST, 10), 1);
	/* 20: once the others idle out, new sources get in again */
	CHECK(allow(&rl, nth_source(RATELIMIT_MAX_ENTRIES), T0 + 2 * SEC));
	CHECK_EQ(rl.count, 1);
	/* 21: uninit with the table full frees everything (ASan checks) */
	for (i = 0; i < RATELIMIT_MAX_ENTRIES; i++)
		allow(&rl, nth_source(i), T0 + 3 * SEC);
	CHECK_EQ(rl.count, RATELIMIT_MAX_ENTRIES);
	ratelimiter_uninit(&rl);
}

static void test_hash_keys_differ(void)
{
	struct ratelimiter a, b;

	/* 22: each ratelimiter gets its own random hash key */
	CHECK_EQ(ratelimiter_init(&a), 0);
	CHECK_EQ(ratelimiter_init(&b), 0);
	CHECK(memcmp(a.hash_key, b.hash_key, sizeof(a.hash_key)) != 0);
	ratelimiter_uninit(&a);
	ratelimiter_uninit(&b);
}

int main(void)
{
	test_burst_and_refill();
	test_sources();
	test_expiry();
	test_cap();
	test_hash_keys_differ();
	return test_finish("ratelimit");
}
