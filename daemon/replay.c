// SPDX-License-Identifier: MIT
/*
 * Anti-replay window for transport data counters (whitepaper section 5.4.6,
 * the bitmap of RFC 6479). The bitmap is a ring of COUNTER_BITS_TOTAL bits
 * in 64-bit blocks; bit (c mod COUNTER_BITS_TOTAL) says whether counter c
 * was seen. Moving the top forward only zeroes the blocks the top enters,
 * never shifts, and the one block of slack beyond COUNTER_WINDOW_SIZE keeps
 * the block being entered apart from the oldest one still in the window.
 * The highest accepted counter h is r->counter - 1 (0 means none yet);
 * counters h - COUNTER_WINDOW_SIZE .. h are in the window.
 */
#include "replay.h"

#include <string.h>

#include "messages.h"

#define BLOCK_BITS 64
#define BLOCKS (COUNTER_BITS_TOTAL / BLOCK_BITS)

_Static_assert((BLOCKS & (BLOCKS - 1)) == 0, "ring size is a power of two");
_Static_assert(COUNTER_WINDOW_SIZE <= COUNTER_BITS_TOTAL - BLOCK_BITS,
	       "one block of slack between the window's two ends");

void replay_init(struct replay_counter *r)
{
	memset(r, 0, sizeof(*r));
}

/* Makes counter (above every one accepted so far) the new top, zeroing the
 * blocks after the old top's block up to and including the new top's, at
 * most the whole ring. */
static void replay_advance(struct replay_counter *r, uint64_t counter)
{
	uint64_t old_block, new_block, n, i;

	if (r->counter) {
		old_block = (r->counter - 1) / BLOCK_BITS;
		new_block = counter / BLOCK_BITS;
		n = new_block - old_block;
		if (n > BLOCKS)
			n = BLOCKS;
		for (i = 1; i <= n; i++)
			r->backtrack[(old_block + i) & (BLOCKS - 1)] = 0;
	}
	r->counter = counter + 1;
}

bool replay_check(struct replay_counter *r, uint64_t counter)
{
	uint64_t *block, bit;

	if (counter >= REJECT_AFTER_MESSAGES)
		return false;
	if (counter >= r->counter)
		replay_advance(r, counter);
	else if (r->counter - 1 - counter > COUNTER_WINDOW_SIZE)
		return false;
	block = &r->backtrack[(counter / BLOCK_BITS) & (BLOCKS - 1)];
	bit = 1ULL << (counter % BLOCK_BITS);
	if (*block & bit)
		return false;
	*block |= bit;
	return true;
}
