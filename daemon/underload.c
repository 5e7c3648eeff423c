// SPDX-License-Identifier: MIT
/*
 * The under-load rule of underload.h (whitepaper 5.3): a backlog of at
 * least 1/UNDER_LOAD_QUEUE_FRACTION of the queue's limit starts it, and it
 * lasts UNDER_LOAD_HOLD_NS after the backlog was last seen; so does a
 * second with more than UNDER_LOAD_HANDSHAKES_PER_SECOND messages.
 */
#include "underload.h"

bool under_load_update(struct under_load *ul, uint64_t now, size_t queued,
		       size_t limit)
{
	if (now - ul->window_start_ns >= UNDER_LOAD_HOLD_NS) {
		ul->window_start_ns = now;
		ul->window_count = 0;
	}
	if (++ul->window_count > UNDER_LOAD_HANDSHAKES_PER_SECOND ||
	    (limit && queued >= limit / UNDER_LOAD_QUEUE_FRACTION))
		ul->until_ns = now + UNDER_LOAD_HOLD_NS;
	return now < ul->until_ns;
}
