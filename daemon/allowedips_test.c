// SPDX-License-Identifier: MIT
/*
 * Tests for the AllowedIPs trie (allowedips.c): hand-written table cases for
 * the edges (/0, /32, /128, overlaps, owner moves, masking, errors), then a
 * long random run of inserts, removals, owner removals and lookups on IPv4
 * and IPv6 compared step by step against a deliberately naive reference, an
 * array scanned in full for the longest match. Along the way the trie's own
 * invariants and node count (at most 2n - 1, so churn leaves nothing behind)
 * are checked through allowedips_debug_check(). The RNG is seeded fixedly
 * so a failure replays identically.
 */
#include "allowedips.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "test.h"

#define NOWNERS 8
#define REF_MAX 4096

/* Defined in allowedips.c for this test only: checks the trie's structural
 * invariants, returns its node count or -1. */

/* Naive reference: one row per prefix, addr masked, scanned linearly. */
struct ref_entry {
	int family;
	uint8_t addr[16];
	uint8_t cidr;
	struct allowedips_owner *owner;
};

struct ref_table {
	struct ref_entry e[REF_MAX];
	size_t n;
};

static uint64_t rng_state = 0x6c616e7769726521ULL;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void mask_bytes(uint8_t *addr, size_t len, unsigned int cidr)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (cidr >= 8 * (i + 1))
			continue;
		if (cidr <= 8 * i)
			addr[i] = 0;
		else
			addr[i] &= 0xff << (8 * (i + 1) - cidr);
	}
}

static bool ref_covers(const struct ref_entry *e, int family,
		       const uint8_t *addr)
{
	unsigned int full = e->cidr / 8, rem = e->cidr % 8;

	if (e->family != family || memcmp(addr, e->addr, full))
		return false;
	return !rem || !((addr[full] ^ e->addr[full]) & (0xff << (8 - rem)));
}

static struct ref_entry *ref_find(struct ref_table *t, int family,
				  const uint8_t *addr, uint8_t cidr)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].family == family && t->e[i].cidr == cidr &&
		    ref_covers(&t->e[i], family, addr))
			return &t->e[i];
	return NULL;
}

static void ref_insert(struct ref_table *t, int family, const uint8_t *addr,
		       uint8_t cidr, struct allowedips_owner *owner)
{
	struct ref_entry *e = ref_find(t, family, addr, cidr);

	if (!e) {
		e = &t->e[t->n++];
		e->family = family;
		e->cidr = cidr;
		memset(e->addr, 0, sizeof(e->addr));
		memcpy(e->addr, addr, addr_len(family));
		mask_bytes(e->addr, addr_len(family), cidr);
	}
	e->owner = owner;
}

static int ref_remove(struct ref_table *t, int family, const uint8_t *addr,
		      uint8_t cidr, struct allowedips_owner *owner)
{
	struct ref_entry *e = ref_find(t, family, addr, cidr);

	if (!e || e->owner != owner)
		return -ENOENT;
	*e = t->e[--t->n];
	return 0;
}

static void ref_remove_by_owner(struct ref_table *t,
				struct allowedips_owner *owner)
{
	size_t i = 0;

	while (i < t->n) {
		if (t->e[i].owner == owner)
			t->e[i] = t->e[--t->n];
		else
			i++;
	}
}

static struct allowedips_owner *ref_lookup(struct ref_table *t, int family,
					   const uint8_t *addr)
{
	struct ref_entry *best = NULL;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (ref_covers(&t->e[i], family, addr) &&
		    (!best || t->e[i].cidr > best->cidr))
			best = &t->e[i];
	return best ? best->owner : NULL;
}

/* The trie of each family is sane and holds no node that is neither an
 * entry nor a real branch, so at most 2n - 1 nodes for n entries. */
static bool trie_ok(const struct allowedips *t, const struct ref_table *ref)
{
	long n4 = 0, n6 = 0, nodes4, nodes6;
	size_t i;

	for (i = 0; i < ref->n; i++) {
		n4 += ref->e[i].family == AF_INET;
		n6 += ref->e[i].family == AF_INET6;
	}
	nodes4 = allowedips_debug_check(t, AF_INET);
	nodes6 = allowedips_debug_check(t, AF_INET6);
	return nodes4 >= 0 && nodes6 >= 0 && nodes4 >= n4 && nodes6 >= n6 &&
	       nodes4 <= (n4 ? 2 * n4 - 1 : 0) &&
	       nodes6 <= (n6 ? 2 * n6 - 1 : 0);
}

/* Walk check: every prefix walked is in the reference under owner, none
 * twice, and the number walked equals the reference's count. */
struct walk_ctx {
	struct ref_table *ref;
	struct allowedips_owner *owner;
	uint8_t seen[REF_MAX];
	size_t walked;
	bool bad;
};

static int walk_collect(void *ctx, int family, const uint8_t *addr,
			uint8_t cidr)
{
	struct walk_ctx *w = ctx;
	struct ref_entry *e = ref_find(w->ref, family, addr, cidr);
	uint8_t masked[16];

	memcpy(masked, addr, addr_len(family));
	mask_bytes(masked, addr_len(family), cidr);
	if (!e || e->owner != w->owner || w->seen[e - w->ref->e] ||
	    memcmp(masked, addr, addr_len(family)))
		w->bad = true;
	else
		w->seen[e - w->ref->e] = 1;
	w->walked++;
	return 0;
}

static bool walk_matches(struct ref_table *ref, struct allowedips_owner *owner)
{
	static struct walk_ctx w;
	size_t i, expect = 0;

	memset(&w, 0, sizeof(w));
	w.ref = ref;
	w.owner = owner;
	allowedips_walk_by_owner(owner, walk_collect, &w);
	for (i = 0; i < ref->n; i++)
		expect += ref->e[i].owner == owner;
	return !w.bad && w.walked == expect && owner->count == expect;
}

static const uint8_t *v4(const char *s)
{
	static uint8_t buf[4][4];
	static unsigned int i;
	uint8_t *b = buf[i++ % 4];

	inet_pton(AF_INET, s, b);
	return b;
}

static const uint8_t *v6(const char *s)
{
	static uint8_t buf[4][16];
	static unsigned int i;
	uint8_t *b = buf[i++ % 4];

	inet_pton(AF_INET6, s, b);
	return b;
}

static void test_edges_v4(void)
{
	struct allowedips t;
	struct allowedips_owner a = { 0 }, b = { 0 }, c = { 0 };
	uint64_t seq;

	allowedips_init(&t);
	/* 1: empty table */
	CHECK(allowedips_lookup(&t, AF_INET, v4("1.2.3.4")) == NULL);
	/* 2: /0 covers everything, and only v4 */
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("9.9.9.9"), 0, &a), 0);
	CHECK(allowedips_lookup(&t, AF_INET, v4("255.255.255.255")) == &a);
	CHECK(allowedips_lookup(&t, AF_INET, v4("0.0.0.0")) == &a);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("::1")) == NULL);
	/* 3: overlapping /8, /16, /24, /32 */
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.0.0.0"), 8, &b), 0);
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.1.0.0"), 16, &c), 0);
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.1.2.0"), 24, &b), 0);
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.1.2.3"), 32, &a), 0);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.1.2.3")) == &a);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.1.2.4")) == &b);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.1.3.4")) == &c);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.2.3.4")) == &b);
	CHECK(allowedips_lookup(&t, AF_INET, v4("11.2.3.4")) == &a);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 5);
	/* 4: host bits masked: 10.1.2.77/24 is 10.1.2.0/24 */
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.1.2.77"), 24, &c), 0);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.1.2.200")) == &c);
	CHECK_EQ(b.count, 1);
	CHECK_EQ(c.count, 2);
	/* 5: exact duplicate moves owner; same owner again changes nothing */
	seq = t.seq;
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.1.2.0"), 24, &c), 0);
	CHECK_EQ(t.seq, seq);
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.1.2.0"), 24, &a), 0);
	CHECK(t.seq > seq);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.1.2.200")) == &a);
	CHECK_EQ(a.count, 3);
	CHECK_EQ(c.count, 1);
	/* 6: removal needs the holder and the exact prefix */
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("10.1.2.0"), 24, &c),
		 -ENOENT);
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("10.1.2.0"), 23, &a),
		 -ENOENT);
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("10.1.2.9"), 24, &a), 0);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.1.2.200")) == &c);
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("10.1.2.0"), 24, &a),
		 -ENOENT);
	/* 7: bad cidr / family */
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("1.2.3.4"), 33, &a),
		 -EINVAL);
	CHECK_EQ(allowedips_insert(&t, AF_UNIX, v4("1.2.3.4"), 8, &a),
		 -EINVAL);
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("1.2.3.4"), 33, &a),
		 -ENOENT);
	CHECK(allowedips_lookup(&t, AF_UNIX, v4("1.2.3.4")) == NULL);
	/* 8: /0 removal leaves the rest */
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("0.0.0.0"), 0, &a), 0);
	CHECK(allowedips_lookup(&t, AF_INET, v4("11.2.3.4")) == NULL);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.1.2.3")) == &a);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 3);
	/* 9: remove everything -> no nodes left */
	allowedips_remove_by_owner(&t, &a);
	allowedips_remove_by_owner(&t, &b);
	allowedips_remove_by_owner(&t, &c);
	CHECK(t.root4 == NULL);
	CHECK(t.root6 == NULL);
	CHECK(a.first == NULL && b.first == NULL && c.first == NULL);
	CHECK_EQ(a.count + b.count + c.count, 0);
	allowedips_free(&t);
}

static void test_edges_v6(void)
{
	struct allowedips t;
	struct allowedips_owner a = { 0 }, b = { 0 };

	allowedips_init(&t);
	/* 10: /128 and its neighbours */
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("2001:db8::1"), 128, &a),
		 0);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("2001:db8::1")) == &a);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("2001:db8::")) == NULL);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("2001:db8::3")) == NULL);
	/* 11: /64 around it, /0 v6 does not leak into v4 */
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("2001:db8::ffff"), 64, &b),
		 0);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("2001:db8::3")) == &b);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("2001:db8::1")) == &a);
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("::"), 0, &a), 0);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("fe80::1")) == &a);
	CHECK(allowedips_lookup(&t, AF_INET, v4("1.1.1.1")) == NULL);
	/* 12: a word boundary in the middle (/33, /96, /97) */
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("2001:db8:8000::"), 33,
				   &b), 0);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("2001:db8:ffff::")) == &b);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("2001:db8:7fff::")) == &a);
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("::1.2.3.4"), 96, &b), 0);
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("::128.0.0.0"), 97, &a),
		 0);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("::1.2.3.4")) == &b);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("::200.2.3.4")) == &a);
	/* 13: bad cidr */
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("::"), 129, &a), -EINVAL);
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("::"), 255, &a), -EINVAL);
	/* 14: remove_by_owner leaves the other owner's entries */
	allowedips_remove_by_owner(&t, &a);
	CHECK_EQ(a.count, 0);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("2001:db8::1")) == &b);
	CHECK(allowedips_lookup(&t, AF_INET6, v6("fe80::1")) == NULL);
	CHECK_EQ(b.count, 3);
	allowedips_remove_by_owner(&t, &b);
	CHECK(t.root6 == NULL);
	/* 15: free with entries left empties the owners */
	CHECK_EQ(allowedips_insert(&t, AF_INET6, v6("fd00::"), 8, &a), 0);
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.0.0.0"), 8, &a), 0);
	CHECK_EQ(allowedips_insert(&t, AF_INET, v4("10.0.0.0"), 9, &b), 0);
	allowedips_free(&t);
	CHECK(t.root4 == NULL && t.root6 == NULL);
	CHECK(a.first == NULL && b.first == NULL);
	CHECK_EQ(a.count + b.count, 0);
}

static void test_collapse(void)
{
	struct allowedips t;
	struct allowedips_owner a = { 0 }, b = { 0 };

	allowedips_init(&t);
	/* 16: two siblings need a branching node at their common /23 */
	allowedips_insert(&t, AF_INET, v4("10.0.0.0"), 24, &a);
	allowedips_insert(&t, AF_INET, v4("10.0.1.0"), 24, &b);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 3);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.0.2.0")) == NULL);
	/* 17: removing one folds the branch away */
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("10.0.0.0"), 24, &a), 0);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 1);
	/* 18: an entry at the branch point takes the branch's node... */
	allowedips_insert(&t, AF_INET, v4("10.0.0.0"), 24, &a);
	allowedips_insert(&t, AF_INET, v4("10.0.0.0"), 23, &b);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 3);
	/* ... and when it goes the node stays as a pure branch */
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("10.0.0.0"), 23, &b), 0);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 3);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.0.1.1")) == &b);
	/* 19: an entry with one child, removed, is replaced by the child */
	allowedips_insert(&t, AF_INET, v4("10.0.0.0"), 8, &b);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 4);
	allowedips_remove_by_owner(&t, &a);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 2);
	CHECK_EQ(allowedips_remove(&t, AF_INET, v4("10.0.0.0"), 8, &b), 0);
	CHECK_EQ(allowedips_debug_check(&t, AF_INET), 1);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.0.1.1")) == &b);
	CHECK(allowedips_lookup(&t, AF_INET, v4("10.9.1.1")) == NULL);
	allowedips_free(&t);
	CHECK(b.count == 0 && t.root4 == NULL);
}

struct walk_list {
	int n;
	int v4, v6;
	uint8_t order[16];
};

static int walk_count(void *ctx, int family, const uint8_t *addr,
		      uint8_t cidr)
{
	struct walk_list *l = ctx;

	l->n++;
	if (family == AF_INET && cidr == 24 &&
	    !memcmp(addr, v4("192.168.7.0"), 4))
		l->v4++;
	if (family == AF_INET6 && cidr == 48 &&
	    !memcmp(addr, v6("fd00:1:2::"), 16))
		l->v6++;
	return l->n == 100 ? 7 : 0;
}

static int walk_order(void *ctx, int family, const uint8_t *addr,
		      uint8_t cidr)
{
	struct walk_list *l = ctx;

	/* Records the third octet of each v4 prefix in walk order. */
	if (l->n < 16)
		l->order[l->n] = addr[2];
	l->n++;
	return 0;
}

/* 22: prefixes come back in insertion order, also after removals. */
static void test_walk_order(void)
{
	struct allowedips t;
	struct allowedips_owner a = { 0 };
	struct walk_list l = { 0 };
	static const uint8_t want1[] = { 3, 1, 2 }, want2[] = { 3, 2, 9 };

	allowedips_init(&t);
	allowedips_insert(&t, AF_INET, v4("10.0.3.0"), 24, &a);
	allowedips_insert(&t, AF_INET, v4("10.0.1.0"), 24, &a);
	allowedips_insert(&t, AF_INET, v4("10.0.2.0"), 24, &a);
	allowedips_walk_by_owner(&a, walk_order, &l);
	CHECK_EQ(l.n, 3);
	CHECK(!memcmp(l.order, want1, 3));
	allowedips_remove(&t, AF_INET, v4("10.0.1.0"), 24, &a);
	allowedips_insert(&t, AF_INET, v4("10.0.9.0"), 24, &a);
	memset(&l, 0, sizeof(l));
	allowedips_walk_by_owner(&a, walk_order, &l);
	CHECK_EQ(l.n, 3);
	CHECK(!memcmp(l.order, want2, 3));
	/* Emptied and refilled: the tail pointer must be reset. */
	allowedips_remove_by_owner(&t, &a);
	allowedips_insert(&t, AF_INET, v4("10.0.5.0"), 24, &a);
	memset(&l, 0, sizeof(l));
	allowedips_walk_by_owner(&a, walk_order, &l);
	CHECK_EQ(l.n, 1);
	CHECK_EQ(l.order[0], 5);
	allowedips_free(&t);
}

static void test_walk(void)
{
	struct allowedips t;
	struct allowedips_owner a = { 0 };
	struct walk_list l = { 0 };
	uint8_t addr[4];
	int i;

	allowedips_init(&t);
	/* 20: walk gives exactly what was inserted, masked */
	allowedips_insert(&t, AF_INET, v4("192.168.7.99"), 24, &a);
	allowedips_insert(&t, AF_INET6, v6("fd00:1:2:3::"), 48, &a);
	CHECK_EQ(allowedips_walk_by_owner(&a, walk_count, &l), 0);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(l.v4, 1);
	CHECK_EQ(l.v6, 1);
	/* 21: fn's non-zero return stops the walk and is returned */
	for (i = 0; i < 200; i++) {
		addr[0] = 172;
		addr[1] = 16;
		addr[2] = i;
		addr[3] = 0;
		allowedips_insert(&t, AF_INET, addr, 24, &a);
	}
	memset(&l, 0, sizeof(l));
	CHECK_EQ(allowedips_walk_by_owner(&a, walk_count, &l), 7);
	CHECK_EQ(l.n, 100);
	allowedips_free(&t);
}

/* Addresses from a few base addresses with a few bits flipped, so prefixes
 * overlap a lot and the trie gets deep branches and nested entries. */
static void random_addr(uint8_t *addr, int family, uint8_t base[][16])
{
	size_t len = addr_len(family);
	unsigned int flips = rng() % 4, bit;

	memcpy(addr, base[rng() % 4], len);
	while (flips--) {
		bit = rng() % (8 * len);
		addr[bit / 8] ^= 0x80 >> (bit % 8);
	}
	if (rng() % 16 == 0)
		for (bit = 0; bit < len; bit++)
			addr[bit] = rng();
}

static unsigned int random_cidr(int family)
{
	unsigned int max = family == AF_INET ? 32 : 128;

	switch (rng() % 16) {
	case 0 ... 3:
		return max;
	case 4:
		return rng() % 4;
	default:
		return rng() % (max + 1);
	}
}

static struct ref_table ref;

static void random_round(struct allowedips *t, struct allowedips_owner *owners,
			 uint8_t base[][16], unsigned int *mismatches)
{
	struct allowedips_owner *o = &owners[rng() % NOWNERS];
	int family = rng() % 2 ? AF_INET : AF_INET6;
	unsigned int op = rng() % 1000, cidr = random_cidr(family);
	uint8_t addr[16];
	int ret;

	random_addr(addr, family, base);
	if (op < 450 && ref.n < REF_MAX) {
		ret = allowedips_insert(t, family, addr, cidr, o);
		ref_insert(&ref, family, addr, cidr, o);
		*mismatches += ret != 0;
	} else if (op < 550 && ref.n) {
		/* remove a held prefix, with random host bits set */
		struct ref_entry e = ref.e[rng() % ref.n];

		memcpy(addr, e.addr, addr_len(e.family));
		addr[addr_len(e.family) - 1] |= rng() % 2;
		ret = allowedips_remove(t, e.family, addr, e.cidr, e.owner);
		*mismatches += ret != ref_remove(&ref, e.family, addr, e.cidr,
						 e.owner);
	} else if (op < 650) {
		/* remove likely not held, or held by another owner */
		ret = allowedips_remove(t, family, addr, cidr, o);
		*mismatches += ret != ref_remove(&ref, family, addr, cidr, o);
	} else if (op < 651) {
		allowedips_remove_by_owner(t, o);
		ref_remove_by_owner(&ref, o);
	} else {
		*mismatches += allowedips_lookup(t, family, addr) !=
			       ref_lookup(&ref, family, addr);
	}
}

static void test_random(void)
{
	struct allowedips_owner owners[NOWNERS] = { 0 };
	uint8_t base[4][16];
	struct allowedips t;
	unsigned int i, j, mismatches = 0, walk_bad = 0, lookups_bad = 0;
	unsigned int trie_bad = 0;
	uint64_t seq;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 16; j++)
			base[i][j] = rng();
	allowedips_init(&t);
	for (i = 0; i < 120000; i++) {
		random_round(&t, owners, base, &mismatches);
		if (i % 20000)
			continue;
		for (j = 0; j < NOWNERS; j++)
			walk_bad += !walk_matches(&ref, &owners[j]);
		trie_bad += !trie_ok(&t, &ref);
		/* every reference prefix looked up exactly */
		for (j = 0; j < ref.n; j++)
			lookups_bad += allowedips_lookup(&t, ref.e[j].family,
							 ref.e[j].addr) !=
				       ref_lookup(&ref, ref.e[j].family,
						  ref.e[j].addr);
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(walk_bad, 0);
	CHECK_EQ(lookups_bad, 0);
	CHECK_EQ(trie_bad, 0);
	/* remove everything, in random owner order: no node may remain */
	seq = t.seq;
	for (i = 0; i < NOWNERS; i++) {
		allowedips_remove_by_owner(&t, &owners[(i * 3) % NOWNERS]);
		ref_remove_by_owner(&ref, &owners[(i * 3) % NOWNERS]);
	}
	CHECK(t.seq > seq);
	CHECK_EQ(ref.n, 0);
	CHECK(t.root4 == NULL);
	CHECK(t.root6 == NULL);
	for (i = 0; i < NOWNERS; i++)
		CHECK(owners[i].first == NULL && owners[i].count == 0);
	allowedips_free(&t);
}

/* Fill, then remove every prefix one at a time in random order; each
 * removal must succeed and the trie must end with no node at all. */
static void test_churn_to_empty(void)
{
	struct allowedips_owner owners[NOWNERS] = { 0 };
	uint8_t base[4][16], addr[16];
	struct allowedips t;
	unsigned int i, j, bad = 0, round, cidr;
	struct allowedips_owner *o;
	struct ref_entry e;
	int family;

	allowedips_init(&t);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 4; i++)
			for (j = 0; j < 16; j++)
				base[i][j] = rng();
		for (i = 0; i < 2000; i++) {
			family = rng() % 2 ? AF_INET : AF_INET6;
			cidr = random_cidr(family);
			o = &owners[rng() % NOWNERS];
			random_addr(addr, family, base);
			bad += allowedips_insert(&t, family, addr, cidr, o);
			ref_insert(&ref, family, addr, cidr, o);
		}
		bad += !trie_ok(&t, &ref);
		while (ref.n) {
			e = ref.e[rng() % ref.n];
			bad += allowedips_remove(&t, e.family, e.addr, e.cidr,
						 e.owner) != 0;
			ref_remove(&ref, e.family, e.addr, e.cidr, e.owner);
			random_addr(addr, e.family, base);
			bad += allowedips_lookup(&t, e.family, addr) !=
			       ref_lookup(&ref, e.family, addr);
			if (ref.n % 97 == 0)
				bad += !trie_ok(&t, &ref);
		}
		CHECK(t.root4 == NULL && t.root6 == NULL);
	}
	CHECK_EQ(bad, 0);
	for (i = 0; i < NOWNERS; i++)
		CHECK_EQ(owners[i].count, 0);
	allowedips_free(&t);
}

int main(void)
{
	test_edges_v4();
	test_edges_v6();
	test_collapse();
	test_walk();
	test_walk_order();
	test_random();
	test_churn_to_empty();
	return test_finish("allowedips");
}
