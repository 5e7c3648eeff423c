// SPDX-License-Identifier: MIT
/*
 * Tests for the anti-replay window (replay.c): numbered table cases walking
 * the window's edges (in order, reordered, duplicates, the exact edge and
 * one past it, jumps within and beyond the bitmap, counter 0 and the
 * REJECT_AFTER_MESSAGES limit), then random sequences compared against a
 * naive reference that remembers every counter it accepted. Fixed seed.
 */
#include "replay.h"

#include <string.h>

#include "messages.h"
#include "test.h"

#define W COUNTER_WINDOW_SIZE
#define T COUNTER_BITS_TOTAL

/* One step of a table case: feed counter, expect accepted or not. */
struct step {
	uint64_t counter;
	bool accepted;
};

static void run_steps(int num, const struct step *steps, size_t n)
{
	struct replay_counter r;
	size_t i;

	replay_init(&r);
	for (i = 0; i < n; i++) {
		if (replay_check(&r, steps[i].counter) == steps[i].accepted) {
			test_passed++;
			continue;
		}
		test_failed++;
		fprintf(stderr, "case %d step %zu: counter %llu expected %s\n",
			num, i + 1, (unsigned long long)steps[i].counter,
			steps[i].accepted ? "accepted" : "rejected");
	}
}

#define CASE(num, ...)                                                     \
	do {                                                                 \
		static const struct step s[] = { __VA_ARGS__ };              \
		run_steps(num, s, sizeof(s) / sizeof(s[0]));                 \
	} while (0)

static void test_table(void)
{
	/* 1: counter 0 first, then its duplicate */
	CASE(1, { 0, true }, { 0, false });
	/* 2: in order */
	CASE(2, { 0, true }, { 1, true }, { 2, true }, { 3, true },
	     { 2, false }, { 3, false });
	/* 3: reordered inside the window, each once */
	CASE(3, { 5, true }, { 3, true }, { 4, true }, { 0, true },
	     { 6, true }, { 5, false }, { 3, false }, { 1, true },
	     { 2, true }, { 0, false });
	/* 4: first packet high; 0 is exactly W behind, so accepted */
	CASE(4, { W, true }, { 0, true }, { 0, false });
	/* 5: one beyond the window edge rejected, the edge accepted */
	CASE(5, { W + 1, true }, { 0, false }, { 1, true }, { 1, false });
	/* 6: edge relative to a top in the middle of a block */
	CASE(6, { 1000 + W, true }, { 999, false }, { 1000, true },
	     { 1001, true }, { 1000 + W - 1, true }, { 1000 + W, false });
	/* 7: jump by exactly the bitmap: every old bit must be gone */
	CASE(7, { 0, true }, { 1, true }, { 64, true }, { T, true },
	     { T + 1, true }, { T + 64, true }, { T + 1, false },
	     { T + 64, false }, { 64, false }, { T - 1, true });
	/* 8: jump of more than the whole bitmap, then the slots that
	 * alias the old counters must be free, the old ones too old */
	CASE(8, { 10, true }, { 11, true }, { 3 * T + 10, true },
	     { 2 * T + 10, false }, { 3 * T + 11, true },
	     { 3 * T + 9, true }, { 3 * T + 10, false }, { 11, false });
	/* 9: slide block by block: a slot is zeroed exactly when the top
	 * enters it again, so aliases of too-old counters are accepted */
	CASE(9, { 63, true }, { 64, true }, { 63, false }, { 127, true },
	     { T - 1, true }, { T + 63, true }, { 63, false }, { T, true },
	     { T + 64, true }, { T + 127, true }, { T + 64, false },
	     { T - 1, false });
	/* 10: big jump within the window range: nothing in between lost */
	CASE(10, { 100, true }, { 100 + W - 1, true }, { 100, false },
	     { 101, true }, { 99, true }, { 98, false });
	/* 11: the limit: REJECT_AFTER_MESSAGES - 1 is the last valid one */
	CASE(11, { REJECT_AFTER_MESSAGES - 1, true },
	     { REJECT_AFTER_MESSAGES, false },
	     { REJECT_AFTER_MESSAGES + 1, false }, { UINT64_MAX, false },
	     { REJECT_AFTER_MESSAGES - 1, false },
	     { REJECT_AFTER_MESSAGES - 2, true },
	     { REJECT_AFTER_MESSAGES - 1 - W, true },
	     { REJECT_AFTER_MESSAGES - 2 - W, false });
	/* 12: the limit on a fresh window */
	CASE(12, { REJECT_AFTER_MESSAGES, false }, { UINT64_MAX, false },
	     { 0, true });
	/* 13: every counter of a full window once, top last: all accepted,
	 * second pass all rejected (checked in a loop below) */
}

static void test_full_window(void)
{
	struct replay_counter r;
	unsigned int bad = 0;
	uint64_t c;

	/* 13 */
	replay_init(&r);
	for (c = 0; c <= W; c++)
		bad += !replay_check(&r, W - c);
	for (c = 0; c <= W; c++)
		bad += replay_check(&r, c);
	CHECK_EQ(bad, 0);
	/* 14: slide one at a time over several bitmaps */
	replay_init(&r);
	for (c = 0; c < 5 * T; c++) {
		bad += !replay_check(&r, c);
		bad += replay_check(&r, c);
		if (c >= W + 1)
			bad += replay_check(&r, c - W - 1);
	}
	CHECK_EQ(bad, 0);
}

/* Naive reference: the set of every counter accepted (open addressing,
 * never pruned) plus the highest one. */
#define REF_SLOTS (1 << 17)

struct ref_window {
	uint64_t seen[REF_SLOTS]; /* stores counter + 1; 0 marks empty */
	uint64_t highest;
	bool any;
};

static bool ref_seen_add(struct ref_window *ref, uint64_t c)
{
	size_t i = (c * 0x9e3779b97f4a7c15ULL) >> (64 - 17);

	while (ref->seen[i]) {
		if (ref->seen[i] == c + 1)
			return false;
		i = (i + 1) % REF_SLOTS;
	}
	ref->seen[i] = c + 1;
	return true;
}

static bool ref_check(struct ref_window *ref, uint64_t c)
{
	if (c >= REJECT_AFTER_MESSAGES)
		return false;
	if (ref->any && c < ref->highest && ref->highest - c > W)
		return false;
	if (!ref_seen_add(ref, c))
		return false;
	if (!ref->any || c > ref->highest)
		ref->highest = c;
	ref->any = true;
	return true;
}

static uint64_t rng_state = 0x7265706c61792121ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Next counter near the top: mostly small steps forward, some reordering
 * around the window edge, a few jumps of up to a few bitmaps. */
static uint64_t next_counter(uint64_t top)
{
	switch (rng() % 16) {
	case 0:
		return top + rng() % (3 * T);
	case 1:
	case 2:
		return top - W - 2 + rng() % 5;
	case 3:
		return top - rng() % (W + 100);
	default:
		return top + rng() % 8 - 4;
	}
}

static void test_random(void)
{
	static struct ref_window ref;
	struct replay_counter r;
	unsigned int run, i, bad = 0, accepted = 0, rejected = 0;
	uint64_t top, c;
	bool got, want;

	for (run = 0; run < 8; run++) {
		replay_init(&r);
		memset(&ref, 0, sizeof(ref));
		/* half the runs near the message limit */
		top = run % 2 ? REJECT_AFTER_MESSAGES - 20000 : 20000;
		for (i = 0; i < 40000; i++) {
			c = next_counter(top);
			got = replay_check(&r, c);
			want = ref_check(&ref, c);
			bad += got != want;
			accepted += want;
			rejected += !want;
			if (want && c > top)
				top = c;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(accepted > 10000);
	CHECK(rejected > 10000);
}

int main(void)
{
	test_table();
	test_full_window();
	test_random();
	return test_finish("replay");
}
