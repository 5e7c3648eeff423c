/* SPDX-License-Identifier: MIT */
/*
 * Anti-replay sliding window (whitepaper section 5.4.6, RFC 6479). The window
 * holds COUNTER_WINDOW_SIZE counters below the highest seen. Checked only
 * after the packet authenticated. No locks inside: caller serialises.
 */
#ifndef LW_REPLAY_H
#define LW_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define COUNTER_BITS_TOTAL 8192
#define COUNTER_WINDOW_SIZE (COUNTER_BITS_TOTAL - 64)

struct replay_counter {
	uint64_t counter; /* one past the highest counter accepted */
	uint64_t backtrack[COUNTER_BITS_TOTAL / 64];
};

void replay_init(struct replay_counter *r);
/* True if counter is new and inside the window (then it is marked seen);
 * false for a duplicate, one too old, or one >= REJECT_AFTER_MESSAGES. */
bool replay_check(struct replay_counter *r, uint64_t counter);

#endif
