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
 *
 * lanwired's probe (probe_ms, off by default) deviates from the
 * whitepaper on purpose: with it, new_handshake fires after probe_ms of
 * silence instead of KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s), and an
 * unanswered initiation is retried every probe_ms instead of
 * REKEY_TIMEOUT (no jitter), for REKEY_ATTEMPT_TIME in all. The
 * whitepaper's timers assume a peer that may legitimately stay silent
 * for KEEPALIVE_TIMEOUT; an overlay link (docs/overlay.md) carries BFD
 * and OSPF hellos both ways many times a second, so a second of silence
 * already means the other end lost the session (a restarted hub that
 * cannot reach a site behind NAT). It is safe between two lanwired link
 * ends: it costs at most one initiation (148 bytes) and one response
 * per probe_ms, rate limited by send_handshake_initiation() to one per
 * probe_ms (uapi_parse.c bounds it below at UAPI_PROBE_MIN_MS), far
 * under the responder's per-source limit under load (ratelimit.c); on
 * a link whose peer only receives, it would rekey every probe_ms, which
 * is why it is per peer and opt-in.
 *
 * lanwired's carrier (carrier_ms, off by default) is not a whitepaper
 * timer: after an authenticated packet sent and carrier_ms with nothing
 * authenticated received, the device reports its TUN carrier off
 * (ops->carrier), so the kernel can skip routes through a silent link at
 * once (docs/overlay.md, "Carrier"); the next authenticated packet
 * received turns it back on. While off, the kernel sends nothing into
 * the TUN, so a keepalive goes out every carrier_ms to notice the peer's
 * return: 32 bytes, nothing for a peer that stays away.
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
		[TIMER_CARRIER] = "carrier",
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

uint64_t timers_handshake_interval_ns(const struct peer_timers *t)
{
	return t->probe_ms ? t->probe_ms * NS_PER_MS : REKEY_TIMEOUT * NS_PER_SEC;
}

unsigned timers_max_handshakes(const struct peer_timers *t)
{
	return t->probe_ms ? REKEY_ATTEMPT_TIME * 1000 / t->probe_ms :
			     MAX_TIMER_HANDSHAKES;
}

static uint64_t retry_interval(struct peer_timers *t)
{
	if (t->probe_ms)
		return timers_handshake_interval_ns(t);
	return REKEY_TIMEOUT * NS_PER_SEC + t->ops->jitter_ms(t->ctx) * NS_PER_MS;
}

static uint64_t silence_before_new_handshake(struct peer_timers *t)
{
	if (t->probe_ms)
		return t->probe_ms * NS_PER_MS;
	return (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) * NS_PER_SEC +
	       t->ops->jitter_ms(t->ctx) * NS_PER_MS;
}

void timers_data_sent(struct peer_timers *t, uint64_t now)
{
	if (!is_armed(t, TIMER_NEW_HANDSHAKE))
		arm(t, TIMER_NEW_HANDSHAKE,
		    now + silence_before_new_handshake(t));
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
	if (t->carrier_ms && !is_armed(t, TIMER_CARRIER))
		arm(t, TIMER_CARRIER, now + t->carrier_ms * NS_PER_MS);
}

static void set_carrier(struct peer_timers *t, bool on)
{
	if (t->carrier_off != on)
		return;
	t->carrier_off = !on;
	if (t->ops->carrier)
		t->ops->carrier(t->ctx, on);
}

void timers_any_authenticated_packet_received(struct peer_timers *t,
					      uint64_t now)
{
	disarm(t, TIMER_NEW_HANDSHAKE);
	disarm(t, TIMER_CARRIER);
	set_carrier(t, true);
}

void timers_set_carrier_ms(struct peer_timers *t, uint16_t ms)
{
	t->carrier_ms = ms;
	disarm(t, TIMER_CARRIER);
	if (!ms)
		set_carrier(t, true);
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
	arm(t, TIMER_RETRANSMIT_HANDSHAKE, now + retry_interval(t));
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
	if (t->handshake_attempts > timers_max_handshakes(t)) {
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

/* Silent for carrier_ms (or still silent): carrier off, and a keepalive
 * every carrier_ms to see the peer come back (its send re-arms us). */
static void expired_carrier(struct peer_timers *t, uint64_t now)
{
	if (!t->carrier_ms)
		return;
	set_carrier(t, false);
	t->ops->send_keepalive(t->ctx);
	if (!is_armed(t, TIMER_CARRIER))
		arm(t, TIMER_CARRIER, now + t->carrier_ms * NS_PER_MS);
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
		[TIMER_CARRIER] = expired_carrier,
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
