// SPDX-License-Identifier: MIT
/*
 * wg_diff_peers() (wgdiff.c: what lanwire up and lanwire agent change on
 * an interface's peers) against a deliberately naive reference, on random
 * cases: up to six planned and six running peers drawn from eight keys,
 * each with a preshared key from a pool of three (or none), an endpoint
 * from a pool (literal v4, v6, a host name, or none), a keepalive of 0, 15
 * or 25, AllowedIPs a random subset of six prefixes in random order; up's
 * state recording an endpoint for some keys. Half of the running peers
 * are exact copies of their planned selves, some roamed (running endpoint
 * elsewhere, the state records the planned one), some with only their
 * AllowedIPs changed.
 *
 * The reference works from the generated facts (pool indices, bit masks
 * for AllowedIPs), not from the structures: a running key not planned is
 * removed; a planned key not running is added with every field it has;
 * otherwise each field differs or not by its index. Besides equality:
 * exact copies and roamed peers give nothing; a peer whose AllowedIPs alone
 * changed gives exactly that one field for that one peer; the changes
 * applied to a model of the interface give the plan, and a second diff
 * against it gives nothing.
 *
 * Then a `wg syncconf`-like differ (endpoint always set) is run through
 * the same comparison and must be caught, which shows the comparison can
 * fail.
 */
#include "wgdiff.h"

#include <string.h>

#include "addr.h"
#include "test.h"

#define CASES 4000
#define KEYS 8
#define PSKS 3
#define EPS 4
#define IPS 6

static unsigned long long rng = 0x77676469666652ULL;

static unsigned int rnd(unsigned int n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)(rng >> 33) % n;
}

static const char *const ep_text[EPS] = { "203.0.113.1:51820",
					  "[2001:db8::1]:51820",
					  "hub.example.net:51820",
					  "198.51.100.7:4242" };
static const char *const ip_text[IPS] = { "10.70.0.2/32", "10.70.0.3/32",
					  "192.168.1.0/24", "192.168.2.0/24",
					  "fd00:70::2/128", "fd00:1::/64" };
static const unsigned int keepalives[3] = { 0, 15, 25 };

/* The facts of one peer: indices into the pools, -1 for none. */
struct fact {
	bool present;
	int psk, ep;
	unsigned int ka;
	unsigned int ips; /* bit i: ip_text[i] */
};

struct facts {
	struct fact plan[KEYS], run[KEYS];
	int recorded[KEYS]; /* the state's endpoint, -1: none */
	unsigned int plan_order[KEYS], n_plan; /* plan index -> key */
	unsigned int run_order[KEYS], n_run;
};

/* Field by field (no padding compared). */
static bool fact_eq(const struct fact *a, const struct fact *b)
{
	return a->present == b->present && a->psk == b->psk &&
	       a->ep == b->ep && a->ka == b->ka && a->ips == b->ips;
}

static void key_of(uint8_t key[LW_KEY_LEN], unsigned int k)
{
	memset(key, 0, LW_KEY_LEN);
	key[0] = (uint8_t)(k + 1);
	key[31] = 0x40;
}

static void psk_of(uint8_t psk[LW_KEY_LEN], int i)
{
	memset(psk, 0x11 * (i + 1), LW_KEY_LEN);
}

static struct fact random_fact(void)
{
	struct fact f = { .present = true };

	f.psk = (int)rnd(PSKS + 1) - 1;
	f.ep = (int)rnd(EPS + 1) - 1;
	f.ka = keepalives[rnd(3)];
	f.ips = rnd(1u << IPS);
	return f;
}

static void shuffle(unsigned int *v, unsigned int n)
{
	unsigned int i, j, t;

	for (i = n; i > 1; i--) {
		j = rnd(i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void make_facts(struct facts *F)
{
	unsigned int k;

	memset(F, 0, sizeof(*F));
	for (k = 0; k < KEYS; k++) {
		F->recorded[k] = -1;
		if (rnd(4) < 3 && F->n_plan < 6) {
			F->plan[k] = random_fact();
			F->plan_order[F->n_plan++] = k;
		}
		if (rnd(4) < 3 && F->n_run < 6) {
			unsigned int how = rnd(6);

			F->run[k] = random_fact();
			if (F->plan[k].present && how < 3) {
				F->run[k] = F->plan[k]; /* unchanged */
			} else if (F->plan[k].present && how == 3) {
				F->run[k] = F->plan[k]; /* roamed */
				F->run[k].ep = 3;
				F->recorded[k] = F->plan[k].ep;
			} else if (F->plan[k].present && how == 4) {
				F->run[k] = F->plan[k]; /* new AllowedIPs */
				F->run[k].ips ^= 1u << rnd(IPS);
			}
			F->run_order[F->n_run++] = k;
		}
		if (F->recorded[k] < 0 && rnd(3) == 0)
			F->recorded[k] = (int)rnd(EPS);
	}
	shuffle(F->plan_order, F->n_plan);
	shuffle(F->run_order, F->n_run);
}

/* ---- the structures wg_diff_peers() reads ---- */

struct world {
	struct lw_node_plan pl;
	struct lw_peer_plan peers[KEYS];
	struct lw_prefix ips[KEYS][IPS];
	struct lw_wg_dump d;
	struct lw_dump_peer dpeers[KEYS];
	struct lw_up_state st;
};

static void fill_ips(struct lw_prefix *out, size_t *n, unsigned int mask)
{
	unsigned int order[IPS], i;

	for (i = 0; i < IPS; i++)
		order[i] = i;
	shuffle(order, IPS);
	*n = 0;
	for (i = 0; i < IPS; i++)
		if (mask & 1u << order[i])
			prefix_parse(&out[(*n)++], ip_text[order[i]], false);
}

static void build(struct world *w, const struct facts *F)
{
	struct lw_prefix tmp[IPS];
	unsigned int i, k;
	size_t n, j;

	memset(w, 0, sizeof(*w));
	w->pl.peers = w->peers;
	w->pl.n_peers = F->n_plan;
	for (i = 0; i < F->n_plan; i++) {
		struct lw_peer_plan *p = &w->peers[i];
		const struct fact *f = &F->plan[F->plan_order[i]];

		key_of(p->public_key, F->plan_order[i]);
		p->has_psk = f->psk >= 0;
		if (p->has_psk)
			psk_of(p->psk, f->psk);
		p->has_endpoint = f->ep >= 0;
		if (p->has_endpoint)
			lw_endpoint_parse(&p->endpoint, ep_text[f->ep]);
		p->keepalive = f->ka;
		p->allowed_ips = w->ips[i];
		fill_ips(w->ips[i], &p->n_allowed_ips, f->ips);
	}
	w->d.peers = w->dpeers;
	w->d.n_peers = F->n_run;
	for (i = 0; i < F->n_run; i++) {
		struct lw_dump_peer *p = &w->dpeers[i];
		const struct fact *f = &F->run[F->run_order[i]];

		key_of(p->public_key, F->run_order[i]);
		p->has_psk = f->psk >= 0;
		if (p->has_psk)
			psk_of(p->psk, f->psk);
		/* wg shows what it resolved; a host name is never running */
		snprintf(p->endpoint, sizeof(p->endpoint), "%s",
			 f->ep >= 0 && f->ep != 2 ? ep_text[f->ep] : "");
		p->keepalive = f->ka;
		fill_ips(tmp, &n, f->ips);
		for (j = 0; j < n; j++)
			up_prefixes_add(&p->allowed, &tmp[j]);
	}
	for (k = 0; k < KEYS; k++)
		if (F->recorded[k] >= 0) {
			uint8_t key[LW_KEY_LEN];

			key_of(key, k);
			up_state_set_endpoint(&w->st, key,
					      ep_text[F->recorded[k]]);
		}
}

static void unbuild(struct world *w)
{
	size_t i;

	for (i = 0; i < w->d.n_peers; i++)
		free(w->dpeers[i].allowed.v);
	up_state_free(&w->st);
}

/* ---- the naive reference ---- */

struct ref_change {
	bool remove, added, psk, endpoint, keepalive, allowed;
	unsigned int key;
};

/* The running endpoint as text index: host names never run. */
static int running_ep(const struct fact *f)
{
	return f->ep == 2 ? -1 : f->ep;
}

static size_t reference(const struct facts *F, struct ref_change *out,
			bool syncconf)
{
	size_t n = 0;
	unsigned int i, k;

	for (i = 0; i < F->n_run; i++) {
		k = F->run_order[i];
		if (!F->plan[k].present)
			out[n++] = (struct ref_change){ .remove = true, .key = k };
	}
	for (i = 0; i < F->n_plan; i++) {
		const struct fact *p, *r;
		struct ref_change c = { .key = F->plan_order[i] };
		int against;

		k = F->plan_order[i];
		p = &F->plan[k];
		r = &F->run[k];
		if (!r->present) {
			c.added = true;
			c.psk = p->psk >= 0;
			c.endpoint = p->ep >= 0;
			c.keepalive = p->ka != 0;
			c.allowed = true;
		} else {
			c.psk = p->psk >= 0 && r->psk != p->psk;
			against = F->recorded[k] >= 0 ? F->recorded[k] :
							running_ep(r);
			c.endpoint = p->ep >= 0 && (syncconf || against != p->ep);
			c.keepalive = p->ka != r->ka;
			c.allowed = p->ips != r->ips;
		}
		if (c.added || c.psk || c.endpoint || c.keepalive || c.allowed)
			out[n++] = c;
	}
	return n;
}

static unsigned int key_index(const uint8_t *key)
{
	return (unsigned int)key[0] - 1;
}

static bool same(const struct ref_change *ref, size_t n_ref,
		 const struct wg_peer_change *v, size_t n, const struct world *w)
{
	size_t i;

	if (n != n_ref)
		return false;
	for (i = 0; i < n; i++) {
		const struct ref_change *r = &ref[i];

		if (r->remove) {
			if (v[i].op != WG_PEER_REMOVE ||
			    key_index(w->dpeers[v[i].index].public_key) != r->key)
				return false;
			continue;
		}
		if (v[i].op != WG_PEER_SET ||
		    key_index(w->peers[v[i].index].public_key) != r->key ||
		    v[i].added != r->added || v[i].f.psk != r->psk ||
		    v[i].f.endpoint != r->endpoint ||
		    v[i].f.keepalive != r->keepalive ||
		    v[i].f.allowed != r->allowed)
			return false;
	}
	return true;
}

/* ---- the changes applied to a model of the interface ---- */

/* What the interface holds after v (running facts updated), and what up
 * records: the planned endpoints. */
static void converge(struct facts *F, const struct wg_peer_change *v,
		     size_t n, const struct world *w)
{
	size_t i;
	unsigned int k, j;

	for (i = 0; i < n; i++) {
		if (v[i].op == WG_PEER_REMOVE) {
			k = key_index(w->dpeers[v[i].index].public_key);
			F->run[k].present = false;
			continue;
		}
		k = key_index(w->peers[v[i].index].public_key);
		if (v[i].added)
			F->run[k] = (struct fact){ .present = true, .psk = -1,
						   .ep = -1 };
		if (v[i].f.psk)
			F->run[k].psk = F->plan[k].psk;
		if (v[i].f.endpoint)
			F->run[k].ep = F->plan[k].ep;
		if (v[i].f.keepalive)
			F->run[k].ka = F->plan[k].ka;
		if (v[i].f.allowed)
			F->run[k].ips = F->plan[k].ips;
	}
	F->n_run = 0;
	for (j = 0; j < KEYS; j++) {
		if (F->run[j].present)
			F->run_order[F->n_run++] = j;
		if (F->plan[j].present && F->plan[j].ep >= 0)
			F->recorded[j] = F->plan[j].ep;
	}
}

static void one_case(unsigned int *props, unsigned int *caught)
{
	struct ref_change ref[2 * KEYS], sync[2 * KEYS];
	struct wg_peer_change *v = NULL, *again = NULL;
	struct facts F, G;
	struct world w;
	size_t n, n_ref, n_sync, n_again, i;
	unsigned int k;

	make_facts(&F);
	build(&w, &F);
	CHECK_EQ(wg_diff_peers(&w.pl, &w.d, &w.st, &v, &n), 0);
	n_ref = reference(&F, ref, false);
	CHECK(same(ref, n_ref, v, n, &w));
	/* the properties named in the issue */
	for (i = 0; i < n; i++) {
		if (v[i].op != WG_PEER_SET)
			continue;
		k = key_index(w.peers[v[i].index].public_key);
		if (F.run[k].present && F.plan[k].present) {
			struct fact a = F.run[k], b = F.plan[k];
			int against = F.recorded[k] >= 0 ? F.recorded[k] :
							   running_ep(&a);
			bool ep_same = b.ep < 0 || against == b.ep;
			bool roamed = a.ep == 3 && F.recorded[k] == b.ep;

			CHECK(!(roamed && v[i].f.endpoint));
			CHECK(!(ep_same && v[i].f.endpoint));
			a.ep = b.ep;
			if (ep_same && a.ips != b.ips) {
				a.ips = b.ips;
				if (fact_eq(&a, &b)) /* only those */
					CHECK(v[i].f.allowed && !v[i].f.psk &&
					      !v[i].f.keepalive);
			}
			a.ips = b.ips;
			/* an unchanged peer gives no change at all */
			CHECK(!(ep_same && F.run[k].ips == b.ips &&
				fact_eq(&a, &b)));
			(*props)++;
		}
	}
	/* converged: a second diff finds nothing */
	G = F;
	converge(&G, v, n, &w);
	unbuild(&w);
	build(&w, &G);
	CHECK_EQ(wg_diff_peers(&w.pl, &w.d, &w.st, &again, &n_again), 0);
	CHECK_EQ(n_again, 0);
	CHECK(again == NULL);
	free(again);
	unbuild(&w);
	/* a differ that resets every endpoint must be told apart */
	n_sync = reference(&F, sync, true);
	build(&w, &F);
	if (!same(sync, n_sync, v, n, &w))
		(*caught)++;
	unbuild(&w);
	free(v);
}

/* The three cases the issue names, by hand. */
static void test_named(void)
{
	struct facts F;
	struct world w;
	struct wg_peer_change *v;
	size_t n;

	memset(&F, 0, sizeof(F));
	for (unsigned int k = 0; k < 3; k++) {
		F.plan[k] = (struct fact){ true, 0, 0, 25, 0x3 };
		F.run[k] = F.plan[k];
		F.recorded[k] = -1;
		F.plan_order[F.n_plan++] = k;
		F.run_order[F.n_run++] = k;
	}
	/* unchanged */
	build(&w, &F);
	CHECK_EQ(wg_diff_peers(&w.pl, &w.d, &w.st, &v, &n), 0);
	CHECK_EQ(n, 0);
	unbuild(&w);
	/* peer 1 roamed: up recorded the planned endpoint */
	F.run[1].ep = 3;
	F.recorded[1] = 0;
	build(&w, &F);
	CHECK_EQ(wg_diff_peers(&w.pl, &w.d, &w.st, &v, &n), 0);
	CHECK_EQ(n, 0);
	unbuild(&w);
	/* peer 2's AllowedIPs changed: only it, only that */
	F.plan[2].ips = 0x7;
	build(&w, &F);
	CHECK_EQ(wg_diff_peers(&w.pl, &w.d, &w.st, &v, &n), 0);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(v[0].op, WG_PEER_SET);
		CHECK_EQ(key_index(w.peers[v[0].index].public_key), 2);
		CHECK(v[0].f.allowed && !v[0].f.psk && !v[0].f.endpoint &&
		      !v[0].f.keepalive && !v[0].added);
		CHECK(!strcmp(v[0].f.what, " allowed-ips"));
	}
	free(v);
	unbuild(&w);
	/* a peer dropped from the plan is removed, nothing else */
	F.plan[2].ips = 0x3;
	F.plan[0].present = false;
	F.plan_order[0] = 2;
	F.n_plan = 2;
	build(&w, &F);
	CHECK_EQ(wg_diff_peers(&w.pl, &w.d, &w.st, &v, &n), 0);
	CHECK_EQ(n, 1);
	if (n == 1)
		CHECK(v[0].op == WG_PEER_REMOVE &&
		      key_index(w.dpeers[v[0].index].public_key) == 0);
	free(v);
	unbuild(&w);
}

int main(void)
{
	unsigned int i, props = 0, caught = 0;

	test_named();
	for (i = 0; i < CASES; i++)
		one_case(&props, &caught);
	printf("%u cases, %u changes of running peers checked, the endpoint-"
	       "resetting differ caught in %u\n",
	       CASES, props, caught);
	CHECK(props > CASES);
	CHECK(caught > CASES / 4);
	return test_finish("wgdiff_ref");
}
