// SPDX-License-Identifier: MIT
/*
 * The under-load rule of underload.h (whitepaper 5.3): a backlog of at
 * least 1/UNDER_LOAD_QUEUE_FRACTION of the queue's limit starts it, and it
 * lasts UNDER_LOAD_HOLD_NS after the backlog was last seen.
 */
#include "underload.h"

bool under_load_update(uint64_t *until_ns, uint64_t now, size_t queued,
		       size_t limit)
{
	if (limit && queued >= limit / UNDER_LOAD_QUEUE_FRACTION)
		*until_ns = now + UNDER_LOAD_HOLD_NS;
	return now < *until_ns;
}
