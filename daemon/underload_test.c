// SPDX-License-Identifier: MIT
/*
 * Tests for the under-load rule (underload.c) on an injected clock: no
 * backlog is never under load however often it is asked (the old rule
 * counted handshakes per second); the threshold is exactly 1/8 of the
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
	uint64_t until = 0;
	bool any = false;

	for (unsigned i = 0; i < 100000; i++)
		any |= under_load_update(&until, T0 + i * (SEC / 10000),
					 LIMIT / 100, LIMIT);
	CHECK(!any);
}

static void test_threshold(void)
{
	uint64_t until = 0;

	CHECK(!under_load_update(&until, T0, LIMIT / 8 - 1, LIMIT));
	CHECK(under_load_update(&until, T0, LIMIT / 8, LIMIT));
	until = 0;
	CHECK(under_load_update(&until, T0, LIMIT, LIMIT));
	until = 0;
	CHECK(!under_load_update(&until, T0, 1u << 30, 0));
}

static void test_hold(void)
{
	uint64_t until = 0;

	CHECK(under_load_update(&until, T0, LIMIT / 4, LIMIT));
	/* The queue drained: still under load for the hold time. */
	CHECK(under_load_update(&until, T0 + UNDER_LOAD_HOLD_NS - 1, 0, LIMIT));
	CHECK(!under_load_update(&until, T0 + UNDER_LOAD_HOLD_NS, 0, LIMIT));
	/* A backlog half-way through the hold extends it. */
	until = 0;
	CHECK(under_load_update(&until, T0, LIMIT / 4, LIMIT));
	CHECK(under_load_update(&until, T0 + 500 * MS, LIMIT / 4, LIMIT));
	CHECK(under_load_update(&until, T0 + 1400 * MS, 0, LIMIT));
	CHECK(!under_load_update(&until, T0 + 1500 * MS, 0, LIMIT));
}

int main(void)
{
	test_no_backlog();
	test_threshold();
	test_hold();
	return test_finish("underload");
}
