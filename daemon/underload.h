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
 * behind asks for cookies. As a ceiling beside it, more than
 * UNDER_LOAD_HANDSHAKES_PER_SECOND handshake messages in a second also
 * count: about what one loop thread can answer, so a steady flood just
 * under the point where the socket backs up still meets cookies.
 *
 * Pure: time and the queue are passed in, so the rule is tested on an
 * injected clock (underload_test.c). struct under_load is embedded in the
 * device; zeroed is "not under load".
 */
#ifndef LW_UNDERLOAD_H
#define LW_UNDERLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel: under load at MAX_QUEUED_INCOMING_HANDSHAKES / 8. */
#define UNDER_LOAD_QUEUE_FRACTION 8
#define UNDER_LOAD_HOLD_NS 1000000000ULL
#define UNDER_LOAD_HANDSHAKES_PER_SECOND 4096

struct under_load {
	uint64_t until_ns;        /* under load before then */
	uint64_t window_start_ns; /* the current second of the rate ceiling */
	unsigned window_count;    /* handshake messages in it */
};

/* For a handshake message at now. queued and limit in the same unit
 * (bytes of the socket's receive memory); limit 0 = unknown, no backlog.
 * Says whether the device is under load at now. */
bool under_load_update(struct under_load *ul, uint64_t now, size_t queued,
		       size_t limit);

#endif
