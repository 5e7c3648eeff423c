/* SPDX-License-Identifier: MIT */
/*
 * When the device is "under load" (whitepaper 5.3): then handshake
 * messages must carry a valid mac2 (else they get a cookie reply) and
 * pass the per-source rate limit. Decided as the kernel's WireGuard and
 * wireguard-go decide it, by the backlog of work waiting rather than by
 * a rate: under load while the queue in front of the handshake code holds
 * at least 1/UNDER_LOAD_QUEUE_FRACTION of its limit, and for
 * UNDER_LOAD_HOLD_NS after it last did. lanwired handles handshakes in
 * its loop as they are read, so that queue is the UDP sockets' receive
 * queue (udp_queued()): a daemon with spare capacity answers every
 * initiation at once, however many arrive in a second; one that falls
 * behind asks for cookies.
 *
 * Pure: time and the queue are passed in, so the rule is tested on an
 * injected clock (underload_test.c). The state is one deadline, embedded
 * in the device (under_load_until_ns).
 */
#ifndef LW_UNDERLOAD_H
#define LW_UNDERLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel: under load at MAX_QUEUED_INCOMING_HANDSHAKES / 8. */
#define UNDER_LOAD_QUEUE_FRACTION 8
#define UNDER_LOAD_HOLD_NS 1000000000ULL

/* queued and limit in the same unit (bytes of the socket's receive
 * memory); limit 0 = unknown, never under load by itself. Updates
 * *until_ns and says whether the device is under load at now. */
bool under_load_update(uint64_t *until_ns, uint64_t now, size_t queued,
		       size_t limit);

#endif
