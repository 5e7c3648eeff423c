// SPDX-License-Identifier: MIT
/*
 * The rotation schedule (ctl_switch.c) against a naive reference: random
 * plans of up to 6 peers, a random subset rotating at random times, and
 * the moments around each step (T - 1, T, T + KEEP - 1, T + KEEP), with
 * and without a daemon that moves the AllowedIPs itself; the
 * peers to apply (keys, AllowedIPs, the copied fields) and the next step
 * must match the reference's. Then publish's side: a rotation found from
 * the previous index entry, carried on within T + KEEP and not after.
 */
#include "ctl_switch.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "keys.h"
#include "test.h"

#define MAX_PEERS 6

/* One peer the reference expects: key and AllowedIPs (of peer src or
 * none). */
struct want {
	const uint8_t *key;
	int src; /* -1: no AllowedIPs */
	size_t from;
};

/* The schedule written out case by case, as docs/control.md says it. */
static size_t reference(const struct lw_node_plan *pl,
			const struct ctl_switch *sw, size_t n, uint64_t now,
			struct want *w, uint64_t *next)
{
	size_t k = 0;

	*next = 0;
	for (size_t i = 0; i < pl->n_peers; i++) {
		const struct ctl_switch *s = NULL;
		uint64_t t = 0;

		for (size_t j = 0; j < n; j++)
			if (sw[j].peer == i)
				s = &sw[j];
		bool before = s && (s->daemon_moves ? !s->new_holds :
						      now < s->at_ms);

		if (!s || now >= s->at_ms + CTL_SWITCH_KEEP_MS) {
			w[k++] = (struct want){ pl->peers[i].public_key,
						(int)i, i };
		} else if (before) {
			w[k++] = (struct want){ pl->peers[i].public_key, -1,
						i };
			w[k++] = (struct want){ s->replaces, (int)i, i };
			t = s->daemon_moves ? s->at_ms + CTL_SWITCH_KEEP_MS :
					      s->at_ms;
		} else {
			w[k++] = (struct want){ pl->peers[i].public_key,
						(int)i, i };
			w[k++] = (struct want){ s->replaces, -1, i };
			t = s->at_ms + CTL_SWITCH_KEEP_MS;
		}
		if (t && (!*next || t < *next))
			*next = t;
	}
	return k;
}

static uint32_t rnd(uint32_t n)
{
	uint32_t v;

	crypto_random(&v, sizeof(v));
	return n ? v % n : 0;
}

static void random_plan(struct lw_node_plan *pl, struct ctl_switch *sw,
			size_t *n_sw)
{
	memset(pl, 0, sizeof(*pl));
	pl->n_peers = rnd(MAX_PEERS + 1);
	pl->peers = calloc(MAX_PEERS + 1, sizeof(*pl->peers));
	*n_sw = 0;
	for (size_t i = 0; i < pl->n_peers; i++) {
		struct lw_peer_plan *p = &pl->peers[i];

		p->node = i + 1;
		crypto_random(p->public_key, LW_KEY_LEN);
		p->has_psk = rnd(2);
		crypto_random(p->psk, LW_KEY_LEN);
		p->keepalive = rnd(30);
		p->n_allowed_ips = rnd(4);
		p->allowed_ips = calloc(4, sizeof(*p->allowed_ips));
		for (size_t j = 0; j < p->n_allowed_ips; j++) {
			p->allowed_ips[j].family = 2;
			crypto_random(p->allowed_ips[j].addr, 4);
			p->allowed_ips[j].len = 32;
		}
		if (rnd(2)) {
			sw[*n_sw].peer = i;
			crypto_random(sw[*n_sw].replaces, LW_KEY_LEN);
			sw[*n_sw].at_ms = 10000 + rnd(20000);
			sw[*n_sw].daemon_moves = rnd(2);
			sw[*n_sw].new_holds = rnd(2);
			(*n_sw)++;
		}
	}
}

static bool same_ips(const struct lw_peer_plan *got,
		     const struct lw_peer_plan *src)
{
	if (!src)
		return got->n_allowed_ips == 0 && !got->allowed_ips;
	return got->n_allowed_ips == src->n_allowed_ips &&
	       (!src->n_allowed_ips ||
		!memcmp(got->allowed_ips, src->allowed_ips,
			src->n_allowed_ips * sizeof(*src->allowed_ips)));
}

static bool matches(const struct lw_node_plan *pl, const struct want *w,
		    size_t nw, const struct lw_peer_plan *v, size_t n)
{
	if (n != nw)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct lw_peer_plan *from = &pl->peers[w[i].from];

		if (memcmp(v[i].public_key, w[i].key, LW_KEY_LEN) ||
		    !same_ips(&v[i], w[i].src < 0 ? NULL : from) ||
		    v[i].psk_path || v[i].has_psk != from->has_psk ||
		    memcmp(v[i].psk, from->psk, LW_KEY_LEN) ||
		    v[i].keepalive != from->keepalive ||
		    v[i].node != from->node)
			return false;
	}
	return true;
}

static void check_at(const struct lw_node_plan *pl,
		     const struct ctl_switch *sw, size_t n, uint64_t now,
		     unsigned *bad)
{
	struct want w[2 * MAX_PEERS];
	struct lw_peer_plan *v = NULL;
	uint64_t next, want_next;
	size_t nv, nw = reference(pl, sw, n, now, w, &want_next);

	if (ctl_switch_peers(pl, sw, n, now, &v, &nv, &next)) {
		(*bad)++;
		return;
	}
	if (!matches(pl, w, nw, v, nv) || next != want_next)
		(*bad)++;
	for (size_t i = 0; i < n; i++)
		if (ctl_switch_before(&sw[i], now) !=
		    (now < sw[i].at_ms + CTL_SWITCH_KEEP_MS &&
		     (sw[i].daemon_moves ? !sw[i].new_holds :
					   now < sw[i].at_ms)))
			(*bad)++;
	ctl_switch_peers_free(v, nv);
}

static void test_against_reference(void)
{
	unsigned bad = 0, runs = 0;

	for (int round = 0; round < 3000; round++) {
		struct ctl_switch sw[MAX_PEERS];
		struct lw_node_plan pl;
		size_t n;

		random_plan(&pl, sw, &n);
		check_at(&pl, sw, n, rnd(40000), &bad);
		for (size_t i = 0; i < n; i++) {
			uint64_t t = sw[i].at_ms;
			uint64_t moments[] = { t - 1, t,
					       t + CTL_SWITCH_KEEP_MS - 1,
					       t + CTL_SWITCH_KEEP_MS };

			for (size_t m = 0; m < 4; m++)
				check_at(&pl, sw, n, moments[m], &bad);
		}
		runs++;
		for (size_t i = 0; i < pl.n_peers; i++)
			free(pl.peers[i].allowed_ips);
		free(pl.peers);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(runs, 3000);
}

/* A fixed case, spelled out: one peer with two prefixes rotating at T. */
static void test_one_rotation(void)
{
	struct lw_prefix ips[2] = { { .family = 2, .len = 24 },
				    { .family = 2, .len = 32 } };
	struct lw_peer_plan peer = { .node = 1, .allowed_ips = ips,
				     .n_allowed_ips = 2 };
	struct lw_node_plan pl = { .peers = &peer, .n_peers = 1 };
	struct ctl_switch sw = { .peer = 0, .at_ms = 5000 };
	struct lw_peer_plan *v;
	uint64_t next;
	size_t n;

	memset(peer.public_key, 1, LW_KEY_LEN);
	memset(sw.replaces, 2, LW_KEY_LEN);
	CHECK_EQ(ctl_switch_peers(&pl, &sw, 1, 4999, &v, &n, &next), 0);
	CHECK(n == 2 && v[0].public_key[0] == 1 && !v[0].n_allowed_ips &&
	      v[1].public_key[0] == 2 && v[1].n_allowed_ips == 2);
	CHECK_EQ(next, 5000);
	ctl_switch_peers_free(v, n);
	CHECK_EQ(ctl_switch_peers(&pl, &sw, 1, 5000, &v, &n, &next), 0);
	CHECK(n == 2 && v[0].n_allowed_ips == 2 && !v[1].n_allowed_ips);
	CHECK_EQ(next, 5000 + CTL_SWITCH_KEEP_MS);
	ctl_switch_peers_free(v, n);
	CHECK_EQ(ctl_switch_peers(&pl, &sw, 1, 5000 + CTL_SWITCH_KEEP_MS, &v,
				  &n, &next),
		 0);
	CHECK(n == 1 && v[0].public_key[0] == 1 && v[0].n_allowed_ips == 2);
	CHECK_EQ(next, 0);
	ctl_switch_peers_free(v, n);
	/* lanwired moves them: the old key keeps them past T until the
	 * daemon has moved them, and only T + KEEP is a step */
	sw.daemon_moves = true;
	CHECK_EQ(ctl_switch_peers(&pl, &sw, 1, 6000, &v, &n, &next), 0);
	CHECK(n == 2 && !v[0].n_allowed_ips && v[1].n_allowed_ips == 2);
	CHECK_EQ(next, 5000 + CTL_SWITCH_KEEP_MS);
	ctl_switch_peers_free(v, n);
	sw.new_holds = true;
	CHECK_EQ(ctl_switch_peers(&pl, &sw, 1, 4000, &v, &n, &next), 0);
	CHECK(n == 2 && v[0].n_allowed_ips == 2 && !v[1].n_allowed_ips);
	ctl_switch_peers_free(v, n);
}

static json_t *entry(const uint8_t key[LW_KEY_LEN], const uint8_t *replaces,
		     long long at)
{
	char text[LW_KEY_B64_LEN + 1];
	json_t *e = json_object();

	key_to_base64(text, key);
	json_object_set_new(e, "public_key", json_string(text));
	if (replaces) {
		key_to_base64(text, replaces);
		json_object_set_new(e, "replaces", json_string(text));
		json_object_set_new(e, "switch_at", json_integer(at));
	}
	return e;
}

static void test_carry(void)
{
	uint8_t k1[LW_KEY_LEN], k2[LW_KEY_LEN];
	struct ctl_switch sw;
	json_t *e;

	crypto_random(k1, sizeof(k1));
	crypto_random(k2, sizeof(k2));
	/* a new node, an entry from before public_key was kept */
	CHECK(!ctl_switch_carry(NULL, k1, 1000, &sw));
	e = json_object();
	CHECK(!ctl_switch_carry(e, k1, 1000, &sw));
	json_decref(e);
	/* the same key, no rotation: none */
	e = entry(k1, NULL, 0);
	CHECK(!ctl_switch_carry(e, k1, 1000, &sw));
	/* a new key: T = now + DELAY, replacing the old */
	CHECK(ctl_switch_carry(e, k2, 1000, &sw));
	CHECK(sw.at_ms == 1000 + CTL_SWITCH_DELAY_MS &&
	      !memcmp(sw.replaces, k1, LW_KEY_LEN));
	json_decref(e);
	/* published again: carried on until T + KEEP, not after */
	e = entry(k2, k1, 3000);
	CHECK(ctl_switch_carry(e, k2, 2500, &sw));
	CHECK(sw.at_ms == 3000 && !memcmp(sw.replaces, k1, LW_KEY_LEN));
	CHECK(ctl_switch_carry(e, k2, 3000 + CTL_SWITCH_KEEP_MS - 1, &sw));
	CHECK(!ctl_switch_carry(e, k2, 3000 + CTL_SWITCH_KEEP_MS, &sw));
	/* rotated again meanwhile: the newest old key is replaced */
	CHECK(ctl_switch_carry(e, k1, 2500, &sw));
	CHECK(sw.at_ms == 2500 + CTL_SWITCH_DELAY_MS &&
	      !memcmp(sw.replaces, k2, LW_KEY_LEN));
	json_decref(e);
	/* damaged fields: no carry */
	e = entry(k2, k1, 3000);
	json_object_set_new(e, "switch_at", json_string("x"));
	CHECK(!ctl_switch_carry(e, k2, 2500, &sw));
	json_decref(e);
}

int main(void)
{
	crypto_init();
	test_one_rotation();
	test_against_reference();
	test_carry();
	return test_finish("planner_ctl_switch");
}
