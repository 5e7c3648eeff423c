/* SPDX-License-Identifier: MIT */
/*
 * Per-peer timers (whitepaper section 6, "Timers & Stateless UX"), kept as
 * stored deadlines that timers_tick() compares with the clock, so a test
 * drives them with a fake clock and no thread sleeps. Event hooks are named
 * after the whitepaper's events; the actions they lead to (send an
 * initiation, a keepalive, wipe keys) go out through struct timers_ops.
 *
 * Ownership: struct peer_timers is embedded in the peer. Times are
 * monotonic nanoseconds. Caller serialises.
 */
#ifndef LW_TIMERS_H
#define LW_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "messages.h"

/* Handshake attempts before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
#define MAX_TIMER_HANDSHAKES (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT)

enum timer_kind {
	TIMER_RETRANSMIT_HANDSHAKE,
	TIMER_SEND_KEEPALIVE,
	TIMER_NEW_HANDSHAKE,
	TIMER_ZERO_KEY_MATERIAL,
	TIMER_PERSISTENT_KEEPALIVE,
	TIMER_CARRIER, /* lanwired's carrier_ms: silence turns carrier off */
	TIMER_COUNT,
};
const char *timer_name(enum timer_kind t);

/* What the timers ask of their peer. ctx is peer_timers.ctx. */
struct timers_ops {
	void (*send_initiation)(void *ctx, bool is_retry);
	void (*send_keepalive)(void *ctx);
	/* Retries exhausted: drop staged packets. */
	void (*handshake_gave_up)(void *ctx);
	void (*zero_key_material)(void *ctx);
	/* Random jitter added to REKEY_TIMEOUT, 0..REKEY_TIMEOUT_JITTER_MAX_MS. */
	uint32_t (*jitter_ms)(void *ctx);
	/* A deadline was armed; the owner of the clock may need to wake
	 * earlier. May be NULL. */
	void (*armed)(void *ctx, uint64_t deadline_ns);
	/* carrier_ms only: the peer fell silent (false) or answered again
	 * (true). May be NULL. */
	void (*carrier)(void *ctx, bool on);
};

struct peer_timers {
	uint64_t deadline[TIMER_COUNT]; /* 0 = not armed */
	unsigned handshake_attempts;
	bool need_another_keepalive;
	bool enabled; /* false while the peer is being removed or is down */
	uint16_t persistent_keepalive_interval; /* seconds, 0 = off */
	/* lanwired's opt-in probe (UAPI lanwire_probe_ms, uapi_names.h):
	 * ms of silence after data sent before a new handshake, and the
	 * retry interval while it is unanswered; 0 = off (the whitepaper's
	 * timers, as wireguard-go). */
	uint16_t probe_ms;
	/* lanwired's opt-in carrier (UAPI lanwire_carrier_ms): ms of
	 * silence after any authenticated packet sent before ops->carrier
	 * (false); the next authenticated packet received calls
	 * ops->carrier(true). 0 = off. carrier_off: it did and nothing
	 * answered since. */
	uint16_t carrier_ms;
	bool carrier_off;
	const struct timers_ops *ops;
	void *ctx;
};

void timers_init(struct peer_timers *t, const struct timers_ops *ops,
		 void *ctx);
void timers_stop(struct peer_timers *t);

/* Event hooks, in the whitepaper's words. */
void timers_data_sent(struct peer_timers *t, uint64_t now);
void timers_data_received(struct peer_timers *t, uint64_t now);
void timers_any_authenticated_packet_sent(struct peer_timers *t, uint64_t now);
void timers_any_authenticated_packet_received(struct peer_timers *t,
					      uint64_t now);
void timers_any_authenticated_packet_traversal(struct peer_timers *t,
					       uint64_t now);
void timers_handshake_initiated(struct peer_timers *t, uint64_t now);
void timers_handshake_complete(struct peer_timers *t, uint64_t now);
void timers_session_derived(struct peer_timers *t, uint64_t now);

/* carrier_ms set by the UAPI; 0 turns it off and the carrier back on. */
void timers_set_carrier_ms(struct peer_timers *t, uint16_t ms);

/* The least time between two initiations of this peer, and between
 * retries: REKEY_TIMEOUT, or probe_ms when the probe is on. */
uint64_t timers_handshake_interval_ns(const struct peer_timers *t);
/* Initiation attempts before giving up, REKEY_ATTEMPT_TIME in all. */
unsigned timers_max_handshakes(const struct peer_timers *t);

/* Fires every expired timer; returns the earliest remaining deadline or 0. */
uint64_t timers_tick(struct peer_timers *t, uint64_t now);
uint64_t timers_next_deadline(const struct peer_timers *t);

#endif
