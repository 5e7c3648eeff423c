// SPDX-License-Identifier: MIT
/*
 * The firewall model (policy.c) against a deliberately naive evaluator.
 *
 * policy_path_allows() (policy_path.c) answers "may A open PROTO/PORT to B" straight from the
 * description's names: which rule names A's node, group or site (and, for
 * SITE:PREFIX, whether A's address is inside), which names B, and whether
 * the rule's protocols take the port. It never looks at an address set.
 *
 * model_may() sends the same new connection through the chains of every
 * node on its path (origin, its hub, the far hub, the target), matching
 * each chain's accept rules as nft would (interface side, source and
 * destination sets, protocol and port) and applying the chain's drops.
 *
 * Both are asked about every pair of endpoints (every node's own tunnel
 * address, hosts of every LAN and every host or prefix a rule names) and
 * a set of protocols and ports, for every example and for random small
 * descriptions; they must agree on each question.
 */
#include "policy.h"
#include "policy_path.h"

#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "check.h"
#include "desc.h"
#include "svc.h"
#include "test.h"
#include "txn.h"

/* ---- endpoints ---- */

/* An endpoint as policy_path.h names it. */
#define ep lw_pep

struct eps {
	struct ep v[256];
	size_t n;
};

static void ep_add(struct eps *e, bool lan, size_t node, size_t site,
		   const struct lw_prefix *a)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		if (prefix_equal(&e->v[i].addr, a))
			return;
	}
	if (e->n < sizeof(e->v) / sizeof(e->v[0]))
		e->v[e->n++] = (struct ep){ lan, node, site, *a, false };
}

/* The first and last address of p, and one after its first. */
static void host_eps(struct eps *e, const struct lw_desc *d, size_t s,
		     const struct lw_prefix *p)
{
	struct lw_prefix a = *p, last = *p;
	unsigned int bits = family_bits(p->family), i;

	a.len = (uint8_t)bits;
	ep_add(e, true, d->sites[s].gateway, s, &a);
	if (addr_next(&a) && prefix_contains(p, &a))
		ep_add(e, true, d->sites[s].gateway, s, &a);
	for (i = p->len; i < bits; i++)
		last.addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	last.len = (uint8_t)bits;
	ep_add(e, true, d->sites[s].gateway, s, &last);
}

static void rule_eps(struct eps *e, const struct lw_desc *d,
		     const struct lw_ref *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].has_prefix && v[i].kind == LW_REF_SITE)
			host_eps(e, d, v[i].index, &v[i].prefix);
	}
}

static void all_eps(struct eps *e, const struct lw_desc *d)
{
	size_t i, k;

	e->n = 0;
	for (i = 0; i < d->n_nodes; i++) {
		for (k = 0; k < LW_FAMILIES; k++) {
			if (d->nodes[i].addr[k].p.family)
				ep_add(e, false, i, 0, &d->nodes[i].addr[k].p);
		}
	}
	/* A gateway's lan-address is the gateway itself (its input chain
	 * sees what is sent there), not a host of its LAN: added before the
	 * LAN hosts, so that ep_add keeps this classification. */
	for (i = 0; i < d->n_sites; i++) {
		for (k = 0; k < LW_FAMILIES; k++) {
			const struct lw_lprefix *la = &d->sites[i].lan_address[k];

			if (!la->p.family)
				continue;
			ep_add(e, false, d->sites[i].gateway, 0, &la->p);
			e->v[e->n - 1].is_lan_address = true;
		}
	}
	for (i = 0; i < d->n_sites; i++) {
		for (k = 0; k < d->sites[i].n_lans; k++)
			host_eps(e, d, i, &d->sites[i].lans[k].p);
	}
	for (i = 0; i < d->n_rules; i++) {
		rule_eps(e, d, d->rules[i].from, d->rules[i].n_from);
		rule_eps(e, d, d->rules[i].to, d->rules[i].n_to);
	}
}

/* ---- the model, as nft would run it ---- */

struct pkt {
	const struct lw_prefix *src, *dst;
	enum lw_proto proto;
	uint16_t port;
	bool iif_tunnel, oif_tunnel;
};

static bool in_set(const struct lw_prefix *v, size_t n,
		   const struct lw_prefix *a)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (prefix_contains(&v[i], a))
			return true;
	}
	return false;
}

static bool side_matches(enum lw_fw_side s, const struct pkt *p)
{
	switch (s) {
	case LW_FW_RELAY:
		return p->iif_tunnel && p->oif_tunnel;
	case LW_FW_FROM_TUNNEL:
		return p->iif_tunnel;
	case LW_FW_FROM_LAN:
		return !p->iif_tunnel;
	case LW_FW_TO_TUNNEL:
		return p->oif_tunnel;
	}
	return false;
}

/* One chain of one node: accepted, or dropped by the chain's tail. */
static bool chain_passes(const struct lw_firewall *fw, enum lw_fw_chain c,
			 const struct pkt *p)
{
	size_t i;

	if (!fw->has_table)
		return true;
	for (i = 0; i < fw->n_rules; i++) {
		const struct lw_fw_rule *r = &fw->rules[i];

		if (r->chain == c && side_matches(r->side, p) &&
		    in_set(r->src, r->n_src, p->src) &&
		    in_set(r->dst, r->n_dst, p->dst) &&
		    svc_match(r->svcs, r->n_svcs, p->proto, p->port))
			return true;
	}
	switch (c) {
	case LW_FW_FORWARD:
		return !p->iif_tunnel && !p->oif_tunnel;
	case LW_FW_INPUT:
		return !p->iif_tunnel &&
		       !in_set(fw->guard_addrs, fw->n_guard_addrs, p->dst);
	case LW_FW_OUTPUT:
		return !fw->output || !p->oif_tunnel;
	}
	return false;
}

static size_t hub_of(const struct lw_desc *d, size_t n)
{
	return d->nodes[n].role == LW_ROLE_HUB ? n : d->nodes[n].hub;
}

/* Through a hub: its input if the connection is for it, else relayed. */
static bool through_hub(const struct lw_firewall *fws, size_t h, size_t t,
			const struct ep *b, struct pkt *p, bool *arrived)
{
	p->iif_tunnel = true;
	p->oif_tunnel = !(h == t && !b->lan_host);
	*arrived = !p->oif_tunnel;
	return chain_passes(&fws[h], p->oif_tunnel ? LW_FW_FORWARD :
						    LW_FW_INPUT, p);
}

static bool model_may(const struct lw_desc *d, const struct lw_firewall *fws,
		      const struct ep *a, const struct ep *b,
		      enum lw_proto proto, uint16_t port)
{
	struct pkt p = { &a->addr, &b->addr, proto, port, false, true };
	size_t o = a->node, t = b->node, ho = hub_of(d, o), ht = hub_of(d, t);
	bool arrived = false;

	/* the origin */
	if (a->lan_host && t == o && !b->lan_host) {
		p.oif_tunnel = false; /* a LAN host to its own gateway */
		return chain_passes(&fws[o], LW_FW_INPUT, &p);
	}
	if (!chain_passes(&fws[o], a->lan_host ? LW_FW_FORWARD : LW_FW_OUTPUT,
			  &p))
		return false;
	/* the hubs on the way */
	if (ho != o && !through_hub(fws, ho, t, b, &p, &arrived))
		return false;
	if (!arrived && ht != ho && !through_hub(fws, ht, t, b, &p, &arrived))
		return false;
	if (arrived || (t == ht && !b->lan_host))
		return true;
	/* the target: into its LAN, or to itself */
	p.iif_tunnel = true;
	p.oif_tunnel = false;
	return chain_passes(&fws[t], b->lan_host ? LW_FW_FORWARD : LW_FW_INPUT,
			    &p);
}

/* ---- the comparison ---- */

struct question {
	enum lw_proto proto;
	uint16_t port;
};

static size_t questions(const struct lw_desc *d, struct question *q,
			size_t max)
{
	static const uint16_t base[] = { 22, 53, 80, 443, 7171 };
	size_t n = 0, i, k;

	q[n++] = (struct question){ LW_PROTO_ICMP, 0 };
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		q[n++] = (struct question){ LW_PROTO_TCP, base[i] };
		q[n++] = (struct question){ LW_PROTO_UDP, base[i] };
	}
	for (i = 0; i < d->n_rules; i++) {
		for (k = 0; k < d->rules[i].n_svcs && n + 4 <= max; k++) {
			const struct lw_svc *s = &d->rules[i].svcs[k];

			if (!s->lo)
				continue;
			q[n++] = (struct question){ s->proto, s->lo };
			q[n++] = (struct question){ s->proto, s->hi };
			if (s->lo > 1)
				q[n++] = (struct question){ s->proto,
							    (uint16_t)(s->lo - 1) };
			if (s->hi < 65535)
				q[n++] = (struct question){ s->proto,
							    (uint16_t)(s->hi + 1) };
		}
	}
	return n;
}

static unsigned long agreed, allowed;

/* Every pair and question of d; returns the number of disagreements. */
static unsigned int compare(const struct lw_desc *d, const char *what)
{
	struct lw_firewall *fws = calloc(d->n_nodes + 1, sizeof(*fws));
	struct question q[128];
	struct eps *e = calloc(1, sizeof(*e));
	size_t i, j, k, nq = questions(d, q, 128);
	unsigned int bad = 0;
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];

	CHECK(fws && e);
	if (!fws || !e)
		goto out;
	for (i = 0; i < d->n_nodes; i++)
		CHECK_EQ(policy_firewall(d, i, &fws[i]), 0);
	all_eps(e, d);
	for (i = 0; i < e->n; i++) {
		for (j = 0; j < e->n; j++) {
			if (policy_path_skipped(&e->v[i], &e->v[j]))
				continue;
			for (k = 0; k < nq; k++) {
				bool n = policy_path_allows(d, &e->v[i], &e->v[j],
						   q[k].proto, q[k].port);
				bool m = model_may(d, fws, &e->v[i], &e->v[j],
						   q[k].proto, q[k].port);

				agreed += n == m;
				allowed += n && m;
				if (n == m || bad++ > 5)
					continue;
				addr_format(x, sizeof(x), &e->v[i].addr);
				addr_format(y, sizeof(y), &e->v[j].addr);
				fprintf(stderr, "%s: %s -> %s %s/%u: naive %d, "
						"model %d\n",
					what, x, y, svc_proto_name(q[k].proto),
					q[k].port, n, m);
			}
		}
	}
out:
	for (i = 0; fws && i < d->n_nodes; i++)
		policy_free(&fws[i]);
	free(fws);
	free(e);
	return bad;
}

/* ---- the inputs ---- */

static void test_examples(void)
{
	glob_t g;
	size_t i;

	CHECK(glob("examples/*.conf", 0, NULL, &g) == 0);
	CHECK(g.gl_pathc >= 4);
	for (i = 0; i < g.gl_pathc; i++) {
		struct lw_desc d;

		CHECK_EQ(desc_load(&d, g.gl_pathv[i]), 0);
		CHECK_EQ(check_desc(&d), 0);
		if (!d.n_errors)
			CHECK_EQ(compare(&d, g.gl_pathv[i]), 0);
		desc_free(&d);
	}
	globfree(&g);
}

static unsigned int rnd(unsigned int n)
{
	return (unsigned int)(random() % n);
}

static const char *const svc_words[] = { "tcp/22",     "tcp/443",
					 "udp/53",     "icmp",
					 "tcp/80,443", "tcp/8000-8080",
					 "udp",	       "tcp/22 udp/53" };

/* One random name for a side of a rule. */
static void rand_ref(struct lw_buf *b, unsigned int sites,
		     unsigned int clients, unsigned int hubs)
{
	switch (rnd(5)) {
	case 0:
		if (sites) {
			buf_printf(b, "s%u", rnd(sites));
			return;
		}
		break;
	case 1:
		if (sites) {
			unsigned int s = rnd(sites);

			static const char *const host[] = { "5", "16/28" };

			if (rnd(2))
				buf_printf(b, "s%u:192.168.%u.%s", s, s,
					   host[rnd(2)]);
			else
				buf_printf(b, "s%u:web", s);
			return;
		}
		break;
	case 2:
		if (clients) {
			buf_printf(b, "c%u", rnd(clients));
			return;
		}
		break;
	case 3:
		break;
	default:
		if (clients) {
			buf_printf(b, "g%u", rnd(clients < 2 ? 1 : 2));
			return;
		}
	}
	buf_printf(b, "h%u", rnd(hubs));
}

static void rand_rule(struct lw_buf *b, unsigned int sites,
		      unsigned int clients, unsigned int hubs)
{
	unsigned int k, n;

	buf_puts(b, "allow = ");
	for (k = 0, n = 1 + rnd(2); k < n; k++) {
		buf_puts(b, k ? ", " : "");
		rand_ref(b, sites, clients, hubs);
	}
	buf_puts(b, rnd(3) ? " -> " : " <-> ");
	for (k = 0, n = 1 + rnd(2); k < n; k++) {
		buf_puts(b, k ? ", " : "");
		rand_ref(b, sites, clients, hubs);
	}
	if (rnd(2))
		buf_printf(b, " %s", svc_words[rnd(8)]);
	buf_puts(b, "\n");
}

static void rand_desc(struct lw_buf *b)
{
	unsigned int hubs = 1 + rnd(2), sites = rnd(4), clients = rnd(5), i;
	bool v6;

	buf_puts(b, "[network]\ntunnel = 10.99.0.0/16, fd99::/64\n");
	for (i = 0; i < hubs; i++) {
		buf_printf(b, "[hub h%u]\nendpoint = 203.0.113.%u:51820\n", i,
			   i + 1);
		if (!rnd(3)) {
			buf_puts(b, "ssh = ");
			rand_ref(b, 0, clients, hubs);
			buf_puts(b, "\n");
		}
	}
	for (i = 0; i < sites; i++) {
		buf_printf(b, "[site s%u]\nlan = 192.168.%u.0/24\nhub = h%u\n"
			      "host = web 192.168.%u.8/29\n",
			   i, i, rnd(hubs), i);
		/* an IPv6 LAN too, and the gateway's own address on the LANs
		 * in neither, one or both families */
		v6 = rnd(2);
		if (v6)
			buf_printf(b, "lan = fd00:%u::/64\n", i);
		if (rnd(2))
			buf_printf(b, "lan-address = 192.168.%u.1\n", i);
		if (v6 && rnd(2))
			buf_printf(b, "lan-address = fd00:%u::1\n", i);
		if (!rnd(3)) {
			buf_printf(b, "service = %s -> ", svc_words[rnd(8)]);
			rand_ref(b, i, clients, hubs);
			buf_puts(b, "\n");
		}
	}
	for (i = 0; i < clients; i++)
		buf_printf(b, "[client c%u]\ngroup = g%u\nhub = h%u\nvisits = none\n%s", i,
			   i % 2, rnd(hubs), rnd(2) ? "os = other\n" : "");
	buf_puts(b, "[policy]\n");
	for (i = 0; i < 1 + rnd(4); i++)
		rand_rule(b, sites, clients, hubs);
}

static void test_random(void)
{
	unsigned int i, usable = 0, bad = 0;

	srandom(10);
	for (i = 0; i < 400; i++) {
		struct lw_buf b = { 0 };
		struct lw_desc d;

		rand_desc(&b);
		CHECK(buf_str(&b) != NULL);
		CHECK_EQ(desc_parse(&d, "random.conf", buf_str(&b), b.len), 0);
		if (!check_desc(&d)) {
			usable++;
			if (compare(&d, "random")) {
				bad++;
				if (bad < 3)
					fprintf(stderr, "%s", buf_str(&b));
			}
		}
		desc_free(&d);
		buf_free(&b);
	}
	CHECK_EQ(bad, 0);
	/* every one should pass its checks (a node no rule names is only
	 * a warning) */
	CHECK(usable > 380);
	printf("policy: %u random descriptions compared\n", usable);
}

int main(void)
{
	test_examples();
	test_random();
	printf("policy: %lu questions agreed, %lu of them allowed\n", agreed,
	       allowed);
	CHECK(allowed > 1000);
	return test_finish("planner_policy");
}
