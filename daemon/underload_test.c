// SPDX-License-Identifier: MIT
/*
 * Tests for the under-load rule (underload.c) on an injected clock: no
 * backlog at 4,000 handshakes a second is never under load (the old
 * rule was at 512/s); the rate ceiling; the threshold is exactly 1/8 of the
 * limit; the state holds for UNDER_LOAD_HOLD_NS after the last backlog
 * and a new backlog extends it; an unknown limit never starts it.
 */
#include "underload.h"

#include "test.h"

#define MS (1000ULL * 1000)
#define SEC (1000 * MS)
#define T0 (12345 * SEC)
#define LIMIT (8u << 20)

/* Many handshakes a second with an empty queue: spare capacity, no
 * cookies. */
static void test_no_backlog(void)
{
	struct under_load ul = { 0 };
	bool any = false;

	for (unsigned i = 0; i < 40000; i++)
		any |= under_load_update(&ul, T0 + i * (SEC / 4000),
					 LIMIT / 100, LIMIT);
	CHECK(!any);
}

/* The ceiling: message UNDER_LOAD_HANDSHAKES_PER_SECOND + 1 of one second
 * starts it, with no backlog; the next second starts a new count. */
static void test_rate_ceiling(void)
{
	struct under_load ul = { 0 };
	uint64_t step = SEC / (2 * UNDER_LOAD_HANDSHAKES_PER_SECOND);
	unsigned i;

	for (i = 0; i < UNDER_LOAD_HANDSHAKES_PER_SECOND; i++)
		CHECK(!under_load_update(&ul, T0 + i * step, 0, LIMIT));
	CHECK(under_load_update(&ul, T0 + i * step, 0, LIMIT));
	CHECK(under_load_update(&ul, T0 + i * step + SEC - 1, 0, LIMIT));
	CHECK(!under_load_update(&ul, T0 + i * step + SEC, 0, LIMIT));
}

static void test_threshold(void)
{
	struct under_load ul = { 0 };

	CHECK(!under_load_update(&ul, T0, LIMIT / 8 - 1, LIMIT));
	CHECK(under_load_update(&ul, T0, LIMIT / 8, LIMIT));
	ul = (struct under_load){ 0 };
	CHECK(under_load_update(&ul, T0, LIMIT, LIMIT));
	ul = (struct under_load){ 0 };
	CHECK(!under_load_update(&ul, T0, 1u << 30, 0));
}

static void test_hold(void)
{
	struct under_load ul = { 0 };

	CHECK(under_load_update(&ul, T0, LIMIT / 4, LIMIT));
	/* The queue drained: still under load for the hold time. */
	CHECK(under_load_update(&ul, T0 + UNDER_LOAD_HOLD_NS - 1, 0, LIMIT));
	CHECK(!under_load_update(&ul, T0 + UNDER_LOAD_HOLD_NS, 0, LIMIT));
	/* A backlog half-way through the hold extends it. */
	ul = (struct under_load){ 0 };
	CHECK(under_load_update(&ul, T0, LIMIT / 4, LIMIT));
	CHECK(under_load_update(&ul, T0 + 500 * MS, LIMIT / 4, LIMIT));
	CHECK(under_load_update(&ul, T0 + 1400 * MS, 0, LIMIT));
	CHECK(!under_load_update(&ul, T0 + 1500 * MS, 0, LIMIT));
}

int main(void)
{
	test_no_backlog();
	test_rate_ceiling();
	test_threshold();
	test_hold();
	return test_finish("underload");
}
