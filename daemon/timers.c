// SPDX-License-Identifier: MIT
/*
 * The five per-peer timers of whitepaper section 6 as stored deadlines:
 *  - retransmit_handshake: no response REKEY_TIMEOUT (+jitter) after an
 *    initiation: send another, up to MAX_TIMER_HANDSHAKES, then give up.
 *  - send_keepalive: data received and nothing sent for KEEPALIVE_TIMEOUT.
 *  - new_handshake: data sent and nothing received for KEEPALIVE_TIMEOUT +
 *    REKEY_TIMEOUT: the session is presumed dead, start a new handshake.
 *  - zero_key_material: no new session for REJECT_AFTER_TIME * 3: wipe.
 *  - persistent_keepalive: nothing sent or received for the interval.
 */
#include "timers.h"

#include <string.h>

const char *timer_name(enum timer_kind t)
{
	static const char *const names[] = {
		[TIMER_RETRANSMIT_HANDSHAKE] = "retransmit-handshake",
		[TIMER_SEND_KEEPALIVE] = "send-keepalive",
		[TIMER_NEW_HANDSHAKE] = "new-handshake",
		[TIMER_ZERO_KEY_MATERIAL] = "zero-key-material",
		[TIMER_PERSISTENT_KEEPALIVE] = "persistent-keepalive",
	};
	return (unsigned)t < TIMER_COUNT ? names[t] : "?";
}

void timers_init(struct peer_timers *t, const struct timers_ops *ops,
		 void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->ctx = ctx;
	t->enabled = true;
}

void timers_stop(struct peer_timers *t)
{
	memset(t->deadline, 0, sizeof(t->deadline));
	t->enabled = false;
}

static void arm(struct peer_timers *t, enum timer_kind k, uint64_t deadline)
{
	if (!t->enabled)
		return;
	/* 0 means "off", so a deadline of exactly 0 is nudged to 1. */
	t->deadline[k] = deadline ? deadline : 1;
	if (t->ops->armed)
		t->ops->armed(t->ctx, t->deadline[k]);
}

static void disarm(struct peer_timers *t, enum timer_kind k)
{
	t->deadline[k] = 0;
}

static bool is_armed(const struct peer_timers *t, enum timer_kind k)
{
	return t->deadline[k] != 0;
}

static uint64_t rekey_timeout_with_jitter(struct peer_timers *t)
{
	return REKEY_TIMEOUT * NS_PER_SEC + t->ops->jitter_ms(t->ctx) * NS_PER_MS;
}

void timers_data_sent(struct peer_timers *t, uint64_t now)
{
	if (!is_armed(t, TIMER_NEW_HANDSHAKE))
		arm(t, TIMER_NEW_HANDSHAKE,
		    now + (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) * NS_PER_SEC +
			    t->ops->jitter_ms(t->ctx) * NS_PER_MS);
}

void timers_data_received(struct peer_timers *t, uint64_t now)
{
	if (!is_armed(t, TIMER_SEND_KEEPALIVE))
		arm(t, TIMER_SEND_KEEPALIVE,
		    now + KEEPALIVE_TIMEOUT * NS_PER_SEC);
	else
		t->need_another_keepalive = true;
}

void timers_any_authenticated_packet_sent(struct peer_timers *t, uint64_t now)
{
	disarm(t, TIMER_SEND_KEEPALIVE);
}

void timers_any_authenticated_packet_received(struct peer_timers *t,
					      uint64_t now)
{
	disarm(t, TIMER_NEW_HANDSHAKE);
}

void timers_any_authenticated_packet_traversal(struct peer_timers *t,
					       uint64_t now)
{
	if (t->persistent_keepalive_interval)
		arm(t, TIMER_PERSISTENT_KEEPALIVE,
		    now + t->persistent_keepalive_interval * NS_PER_SEC);
}

void timers_handshake_initiated(struct peer_timers *t, uint64_t now)
{
	arm(t, TIMER_RETRANSMIT_HANDSHAKE, now + rekey_timeout_with_jitter(t));
}

void timers_handshake_complete(struct peer_timers *t, uint64_t now)
{
	disarm(t, TIMER_RETRANSMIT_HANDSHAKE);
	t->handshake_attempts = 0;
}

void timers_session_derived(struct peer_timers *t, uint64_t now)
{
	arm(t, TIMER_ZERO_KEY_MATERIAL, now + REJECT_AFTER_TIME * 3 * NS_PER_SEC);
}

static void expired_retransmit_handshake(struct peer_timers *t, uint64_t now)
{
	if (t->handshake_attempts > MAX_TIMER_HANDSHAKES) {
		/* Give up: nothing more is sent until new traffic asks. */
		disarm(t, TIMER_SEND_KEEPALIVE);
		t->ops->handshake_gave_up(t->ctx);
		if (!is_armed(t, TIMER_ZERO_KEY_MATERIAL))
			arm(t, TIMER_ZERO_KEY_MATERIAL,
			    now + REJECT_AFTER_TIME * 3 * NS_PER_SEC);
		return;
	}
	t->handshake_attempts++;
	t->ops->send_initiation(t->ctx, true);
}

static void expired_send_keepalive(struct peer_timers *t, uint64_t now)
{
	t->ops->send_keepalive(t->ctx);
	if (t->need_another_keepalive) {
		t->need_another_keepalive = false;
		arm(t, TIMER_SEND_KEEPALIVE, now + KEEPALIVE_TIMEOUT * NS_PER_SEC);
	}
}

static void expired_new_handshake(struct peer_timers *t, uint64_t now)
{
	t->ops->send_initiation(t->ctx, false);
}

static void expired_zero_key_material(struct peer_timers *t, uint64_t now)
{
	t->ops->zero_key_material(t->ctx);
}

static void expired_persistent_keepalive(struct peer_timers *t, uint64_t now)
{
	if (t->persistent_keepalive_interval)
		t->ops->send_keepalive(t->ctx);
}

uint64_t timers_next_deadline(const struct peer_timers *t)
{
	uint64_t next = 0;

	for (int k = 0; k < TIMER_COUNT; k++)
		if (t->deadline[k] && (!next || t->deadline[k] < next))
			next = t->deadline[k];
	return next;
}

uint64_t timers_tick(struct peer_timers *t, uint64_t now)
{
	static void (*const expired[TIMER_COUNT])(struct peer_timers *,
						  uint64_t) = {
		[TIMER_RETRANSMIT_HANDSHAKE] = expired_retransmit_handshake,
		[TIMER_SEND_KEEPALIVE] = expired_send_keepalive,
		[TIMER_NEW_HANDSHAKE] = expired_new_handshake,
		[TIMER_ZERO_KEY_MATERIAL] = expired_zero_key_material,
		[TIMER_PERSISTENT_KEEPALIVE] = expired_persistent_keepalive,
	};

	for (int k = 0; k < TIMER_COUNT; k++) {
		if (!t->deadline[k] || t->deadline[k] > now)
			continue;
		/* Disarm before the action: the action may re-arm it. */
		t->deadline[k] = 0;
		expired[k](t, now);
	}
	return timers_next_deadline(t);
}
