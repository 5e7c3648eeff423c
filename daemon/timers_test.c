// SPDX-License-Identifier: MIT
/*
 * The timer state machine on an injected clock: each whitepaper timer fires
 * exactly when it should, is cancelled by the events that cancel it, and
 * handshake retries stop after MAX_TIMER_HANDSHAKES. lanwired's probe
 * (probe_ms): a new handshake after probe_ms of silence, not while packets
 * arrive, never when 0, retries every probe_ms. lanwired's carrier
 * (carrier_ms): off after carrier_ms of silence, keepalives while off, on
 * at the next authenticated packet.
 */
#include <string.h>

#include "test.h"
#include "timers.h"

struct fake_peer {
	unsigned initiations, retries, keepalives, gave_up, zeroed;
	unsigned carrier_offs, carrier_ons;
	uint64_t earliest_armed;
	uint32_t jitter;
};

static void f_send_initiation(void *ctx, bool is_retry)
{
	struct fake_peer *p = ctx;

	p->initiations++;
	p->retries += is_retry;
}

static void f_send_keepalive(void *ctx)
{
	((struct fake_peer *)ctx)->keepalives++;
}

static void f_gave_up(void *ctx)
{
	((struct fake_peer *)ctx)->gave_up++;
}

static void f_zero(void *ctx)
{
	((struct fake_peer *)ctx)->zeroed++;
}

static uint32_t f_jitter(void *ctx)
{
	return ((struct fake_peer *)ctx)->jitter;
}

static void f_armed(void *ctx, uint64_t d)
{
	struct fake_peer *p = ctx;

	if (!p->earliest_armed || d < p->earliest_armed)
		p->earliest_armed = d;
}

static void f_carrier(void *ctx, bool on)
{
	struct fake_peer *p = ctx;

	if (on)
		p->carrier_ons++;
	else
		p->carrier_offs++;
}

static const struct timers_ops ops = {
	.send_initiation = f_send_initiation,
	.send_keepalive = f_send_keepalive,
	.handshake_gave_up = f_gave_up,
	.zero_key_material = f_zero,
	.jitter_ms = f_jitter,
	.armed = f_armed,
	.carrier = f_carrier,
};

#define S(x) ((uint64_t)(x) * NS_PER_SEC)
#define T0 S(1000)
#define MS(x) ((uint64_t)(x) * NS_PER_MS)

static void test_keepalive_after_data_received(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	timers_data_received(&t, T0);
	CHECK_EQ(t.deadline[TIMER_SEND_KEEPALIVE], T0 + S(KEEPALIVE_TIMEOUT));
	CHECK_EQ(p.earliest_armed, T0 + S(KEEPALIVE_TIMEOUT));
	timers_tick(&t, T0 + S(KEEPALIVE_TIMEOUT) - 1);
	CHECK_EQ(p.keepalives, 0);
	timers_tick(&t, T0 + S(KEEPALIVE_TIMEOUT));
	CHECK_EQ(p.keepalives, 1);
	/* Once fired, it stays quiet. */
	timers_tick(&t, T0 + S(100));
	CHECK_EQ(p.keepalives, 1);
}

static void test_keepalive_cancelled_by_send(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	timers_data_received(&t, T0);
	timers_any_authenticated_packet_sent(&t, T0 + S(1));
	timers_tick(&t, T0 + S(20));
	CHECK_EQ(p.keepalives, 0);
}

static void test_need_another_keepalive(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	timers_data_received(&t, T0);
	timers_data_received(&t, T0 + S(2)); /* while armed */
	timers_tick(&t, T0 + S(KEEPALIVE_TIMEOUT));
	CHECK_EQ(p.keepalives, 1);
	CHECK_EQ(t.deadline[TIMER_SEND_KEEPALIVE],
		 T0 + S(2 * KEEPALIVE_TIMEOUT));
	timers_tick(&t, T0 + S(2 * KEEPALIVE_TIMEOUT));
	CHECK_EQ(p.keepalives, 2);
}

static void test_new_handshake_when_no_reply(void)
{
	struct fake_peer p = { .jitter = 100 };
	struct peer_timers t;
	uint64_t due = T0 + S(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) +
		       100 * NS_PER_MS;

	timers_init(&t, &ops, &p);
	timers_data_sent(&t, T0);
	CHECK_EQ(t.deadline[TIMER_NEW_HANDSHAKE], due);
	/* A second send does not push it out. */
	timers_data_sent(&t, T0 + S(3));
	CHECK_EQ(t.deadline[TIMER_NEW_HANDSHAKE], due);
	timers_tick(&t, due - 1);
	CHECK_EQ(p.initiations, 0);
	timers_tick(&t, due);
	CHECK_EQ(p.initiations, 1);
	CHECK_EQ(p.retries, 0);

	/* Any authenticated packet received cancels it. */
	timers_data_sent(&t, T0 + S(100));
	timers_any_authenticated_packet_received(&t, T0 + S(101));
	timers_tick(&t, T0 + S(200));
	CHECK_EQ(p.initiations, 1);
}

/* Fires each retry as the device would (send, then handshake_initiated
 * re-arms) until the timers give up; the last time. step: the interval
 * every retry must keep, 0 = not checked (jitter). */
static uint64_t retry_until_given_up(struct peer_timers *t,
				     struct fake_peer *p, uint64_t now,
				     uint64_t step)
{
	for (int i = 0; i < 200 && !p->gave_up; i++) {
		uint64_t next = t->deadline[TIMER_RETRANSMIT_HANDSHAKE];

		if (!next)
			break;
		if (step)
			CHECK_EQ(next - now, step);
		now = next;
		timers_tick(t, now);
		if (!p->gave_up)
			timers_handshake_initiated(t, now);
	}
	return now;
}

static void test_retransmit_and_give_up(void)
{
	struct fake_peer p = { .jitter = 333 };
	struct peer_timers t;
	uint64_t now = T0;

	timers_init(&t, &ops, &p);
	timers_handshake_initiated(&t, now);
	CHECK_EQ(t.deadline[TIMER_RETRANSMIT_HANDSHAKE],
		 now + S(REKEY_TIMEOUT) + 333 * NS_PER_MS);
	now = retry_until_given_up(&t, &p, now, 0);
	CHECK_EQ(p.retries, MAX_TIMER_HANDSHAKES + 1);
	CHECK_EQ(p.gave_up, 1);
	/* About REKEY_ATTEMPT_TIME passed, with jitter. */
	CHECK(now - T0 >= S(REKEY_ATTEMPT_TIME));
	CHECK(now - T0 <= S(REKEY_ATTEMPT_TIME + 2 * REKEY_TIMEOUT + 7));
	CHECK(t.deadline[TIMER_ZERO_KEY_MATERIAL] != 0);
}

/* Off (0): the whitepaper's 15 s, as wireguard-go. */
static void test_probe_off_keeps_whitepaper_timers(void)
{
	struct fake_peer p = { .jitter = 0 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	CHECK_EQ(t.probe_ms, 0);
	CHECK_EQ(timers_handshake_interval_ns(&t), S(REKEY_TIMEOUT));
	CHECK_EQ(timers_max_handshakes(&t), MAX_TIMER_HANDSHAKES);
	timers_data_sent(&t, T0);
	timers_tick(&t, T0 + MS(1000));
	timers_tick(&t, T0 + S(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) - 1);
	CHECK_EQ(p.initiations, 0);
	timers_handshake_initiated(&t, T0);
	CHECK_EQ(t.deadline[TIMER_RETRANSMIT_HANDSHAKE], T0 + S(REKEY_TIMEOUT));
}

/* On: data sent, nothing authenticated back for probe_ms: initiate. */
static void test_probe_fires_after_silence(void)
{
	struct fake_peer p = { .jitter = 333 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	t.probe_ms = 1000;
	timers_data_sent(&t, T0);
	CHECK_EQ(t.deadline[TIMER_NEW_HANDSHAKE], T0 + MS(1000)); /* no jitter */
	timers_data_sent(&t, T0 + MS(500)); /* does not push it out */
	timers_tick(&t, T0 + MS(999));
	CHECK_EQ(p.initiations, 0);
	timers_tick(&t, T0 + MS(1000));
	CHECK_EQ(p.initiations, 1);
	CHECK_EQ(p.retries, 0);
}

/* On, and packets keep arriving: never fires. */
static void test_probe_quiet_while_packets_arrive(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;
	uint64_t now = T0;

	timers_init(&t, &ops, &p);
	t.probe_ms = 1000;
	for (int i = 0; i < 100; i++, now += MS(100)) {
		timers_data_sent(&t, now);
		if (i % 5 == 4) /* a reply every 500 ms */
			timers_any_authenticated_packet_received(&t, now);
		timers_tick(&t, now);
	}
	CHECK_EQ(p.initiations, 0);
	/* The replies stop: it fires probe_ms after the next send. */
	timers_data_sent(&t, now);
	timers_tick(&t, now + MS(999));
	CHECK_EQ(p.initiations, 0);
	timers_tick(&t, now + MS(1000));
	CHECK_EQ(p.initiations, 1);
}

/* On, unanswered: a retry every probe_ms, without jitter, for
 * REKEY_ATTEMPT_TIME, then it gives up like the whitepaper's timers. */
static void test_probe_retry_cadence(void)
{
	struct fake_peer p = { .jitter = 333 };
	struct peer_timers t;
	uint64_t now = T0;

	timers_init(&t, &ops, &p);
	t.probe_ms = 1000;
	CHECK_EQ(timers_handshake_interval_ns(&t), MS(1000));
	timers_handshake_initiated(&t, now);
	now = retry_until_given_up(&t, &p, now, MS(1000));
	CHECK_EQ(p.retries, timers_max_handshakes(&t) + 1);
	CHECK_EQ(timers_max_handshakes(&t), REKEY_ATTEMPT_TIME);
	CHECK_EQ(p.gave_up, 1);
	CHECK(now - T0 >= S(REKEY_ATTEMPT_TIME));
	CHECK(now - T0 <= S(REKEY_ATTEMPT_TIME + 2));
}

/* carrier_ms: off after carrier_ms of silence since a send, never while
 * packets arrive in time, never when 0. */
static void test_carrier_off_after_silence(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;
	uint64_t now = T0;

	timers_init(&t, &ops, &p);
	timers_any_authenticated_packet_sent(&t, now);
	CHECK_EQ(t.deadline[TIMER_CARRIER], 0); /* off by default */
	timers_set_carrier_ms(&t, 300);
	/* BFD both ways every 100 ms: answered within 100 ms, stays on. */
	for (int i = 0; i < 50; i++, now += MS(100)) {
		timers_any_authenticated_packet_sent(&t, now);
		timers_tick(&t, now + MS(50));
		timers_any_authenticated_packet_received(&t, now + MS(60));
	}
	CHECK_EQ(p.carrier_offs, 0);
	CHECK_EQ(p.carrier_ons, 0); /* never off, so never "on again" */
	/* The answers stop: off carrier_ms after the first unanswered send,
	 * later sends do not push it out. */
	timers_any_authenticated_packet_sent(&t, now);
	timers_any_authenticated_packet_sent(&t, now + MS(100));
	timers_tick(&t, now + MS(299));
	CHECK_EQ(p.carrier_offs, 0);
	timers_tick(&t, now + MS(300));
	CHECK_EQ(p.carrier_offs, 1);
	CHECK(t.carrier_off);
}

/* While off: a keepalive every carrier_ms, reported off once; the next
 * authenticated packet turns it on, once. */
static void test_carrier_keepalives_and_return(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;
	uint64_t now = T0;

	timers_init(&t, &ops, &p);
	timers_set_carrier_ms(&t, 200);
	timers_any_authenticated_packet_sent(&t, now);
	now += MS(200);
	timers_tick(&t, now);
	CHECK_EQ(p.carrier_offs, 1);
	CHECK_EQ(p.keepalives, 1);
	CHECK_EQ(t.deadline[TIMER_CARRIER], now + MS(200));
	for (int i = 0; i < 10; i++) {
		now += MS(200);
		timers_tick(&t, now);
	}
	CHECK_EQ(p.keepalives, 11);
	CHECK_EQ(p.carrier_offs, 1);
	timers_any_authenticated_packet_received(&t, now + MS(10));
	CHECK_EQ(p.carrier_ons, 1);
	CHECK(!t.carrier_off);
	CHECK_EQ(t.deadline[TIMER_CARRIER], 0);
	timers_any_authenticated_packet_received(&t, now + MS(20));
	CHECK_EQ(p.carrier_ons, 1);
	/* Turned off by the UAPI while off: the carrier comes back on. */
	timers_any_authenticated_packet_sent(&t, now);
	timers_tick(&t, now + MS(200));
	CHECK_EQ(p.carrier_offs, 2);
	timers_set_carrier_ms(&t, 0);
	CHECK_EQ(p.carrier_ons, 2);
	CHECK_EQ(t.deadline[TIMER_CARRIER], 0);
	timers_any_authenticated_packet_sent(&t, now + S(1));
	CHECK_EQ(t.deadline[TIMER_CARRIER], 0);
}

static void test_handshake_complete_stops_retries(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	timers_handshake_initiated(&t, T0);
	t.handshake_attempts = 3;
	timers_handshake_complete(&t, T0 + S(1));
	CHECK_EQ(t.handshake_attempts, 0);
	timers_tick(&t, T0 + S(60));
	CHECK_EQ(p.initiations, 0);
}

static void test_zero_key_material(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	timers_session_derived(&t, T0);
	timers_tick(&t, T0 + S(3 * REJECT_AFTER_TIME) - 1);
	CHECK_EQ(p.zeroed, 0);
	timers_tick(&t, T0 + S(3 * REJECT_AFTER_TIME));
	CHECK_EQ(p.zeroed, 1);
	/* A new session pushes it out again. */
	timers_session_derived(&t, T0 + S(600));
	timers_session_derived(&t, T0 + S(700));
	timers_tick(&t, T0 + S(600 + 3 * REJECT_AFTER_TIME));
	CHECK_EQ(p.zeroed, 1);
}

static void test_persistent_keepalive(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	timers_any_authenticated_packet_traversal(&t, T0);
	CHECK_EQ(t.deadline[TIMER_PERSISTENT_KEEPALIVE], 0); /* off */
	t.persistent_keepalive_interval = 15;
	timers_any_authenticated_packet_traversal(&t, T0);
	timers_any_authenticated_packet_traversal(&t, T0 + S(5));
	timers_tick(&t, T0 + S(15));
	CHECK_EQ(p.keepalives, 0); /* traversal at +5 moved it to +20 */
	timers_tick(&t, T0 + S(20));
	CHECK_EQ(p.keepalives, 1);
}

static void test_next_deadline_and_stop(void)
{
	struct fake_peer p = { 0 };
	struct peer_timers t;

	timers_init(&t, &ops, &p);
	CHECK_EQ(timers_next_deadline(&t), 0);
	timers_data_received(&t, T0);
	timers_session_derived(&t, T0);
	CHECK_EQ(timers_next_deadline(&t), T0 + S(KEEPALIVE_TIMEOUT));
	CHECK_EQ(timers_tick(&t, T0 + S(KEEPALIVE_TIMEOUT)),
		 T0 + S(3 * REJECT_AFTER_TIME));
	timers_stop(&t);
	CHECK_EQ(timers_next_deadline(&t), 0);
	timers_data_received(&t, T0); /* ignored once stopped */
	CHECK_EQ(timers_next_deadline(&t), 0);
}

int main(void)
{
	test_keepalive_after_data_received();
	test_keepalive_cancelled_by_send();
	test_need_another_keepalive();
	test_new_handshake_when_no_reply();
	test_retransmit_and_give_up();
	test_handshake_complete_stops_retries();
	test_probe_off_keeps_whitepaper_timers();
	test_probe_fires_after_silence();
	test_probe_quiet_while_packets_arrive();
	test_probe_retry_cadence();
	test_carrier_off_after_silence();
	test_carrier_keepalives_and_return();
	test_zero_key_material();
	test_persistent_keepalive();
	test_next_deadline_and_stop();
	return test_finish("timers");
}
