// SPDX-License-Identifier: MIT
/*
 * Tests for overlay.c: which links a description makes, in which order,
 * with which costs, addresses, ports and interface names; seed 003's
 * asymmetric paths out of costs alone; and overlay_dist() against a naive
 * reference (Floyd-Warshall) on random graphs.
 */
#include "overlay.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "desc.h"
#include "test.h"

static int parse(struct lw_desc *d, const char *text)
{
	return desc_parse(d, "t.conf", text, strlen(text));
}

static size_t node(const struct lw_desc *d, const char *name)
{
	ssize_t i = desc_find_node(d, name);

	CHECK(i >= 0);
	return i < 0 ? 0 : (size_t)i;
}

static const char *a4(const struct lw_prefix *p)
{
	static char buf[LW_PREFIX_STRLEN];

	addr_format(buf, sizeof(buf), p);
	return buf;
}

static const char *const ha =
	"[network]\ntunnel = 10.70.0.0/16\nlink-pool = 10.70.255.0/24\n"
	"[hub z1]\nendpoint = 203.0.113.1:51820\n"
	"[hub z2]\nendpoint = 203.0.113.2:51820\n"
	"[site LAN1]\ngateway = a\nlan = 192.168.201.0/24\n"
	"[site LAN2]\ngateway = c\nlan = 192.168.200.0/24\nhubs = z2\n"
	"[client laptop]\nhub = z2\n"
	"[policy]\nallow = LAN1 <-> LAN2\n";

static void test_links(void)
{
	struct lw_desc d;
	struct lw_overlay o;
	size_t z1, z2, a, c;

	CHECK_EQ(parse(&d, ha), 0);
	CHECK_EQ(check_desc(&d), 0u);
	CHECK(overlay_active(&d));
	z1 = node(&d, "z1");
	z2 = node(&d, "z2");
	a = node(&d, "a");
	c = node(&d, "c");
	/* Default hub costs: 10 and 20 in file order. */
	CHECK_EQ(overlay_hub_cost(&d, z1), 10u);
	CHECK_EQ(overlay_hub_cost(&d, z2), 20u);
	CHECK(overlay_site_uses_hub(&d, a, z1));
	CHECK(!overlay_site_uses_hub(&d, c, z1));
	CHECK_EQ(overlay_build(&d, &o), 0);
	/* z1-z2, a-z1, a-z2, c-z2. */
	CHECK_EQ(o.n_links, (size_t)4);
	if (o.n_links == 4) {
		CHECK(o.links[0].kind == LW_OLINK_HUBS);
		CHECK(o.links[0].end[0] == z1 && o.links[0].end[1] == z2);
		CHECK(o.links[0].cost[0] == 20 && o.links[0].cost[1] == 20);
		CHECK(o.links[1].end[0] == z1 && o.links[1].end[1] == a);
		CHECK(o.links[1].cost[0] == 10 && o.links[1].cost[1] == 10);
		CHECK(o.links[2].end[0] == z2 && o.links[2].end[1] == a);
		CHECK(o.links[3].end[0] == z2 && o.links[3].end[1] == c);
		CHECK(!strcmp(a4(&o.links[0].addr[0]), "10.70.255.254"));
		CHECK(!strcmp(a4(&o.links[0].addr[1]), "10.70.255.255"));
		CHECK(!strcmp(a4(&o.links[3].addr[0]), "10.70.255.248"));
		CHECK(!strcmp(a4(&o.links[3].addr[1]), "10.70.255.249"));
		CHECK(!strcmp(o.links[2].iface, "lwl2"));
		CHECK_EQ(o.links[3].port, 51903u);
		CHECK_EQ(overlay_end(&o.links[3], c), 1);
		CHECK_EQ(overlay_end(&o.links[3], a), -1);
	}
	overlay_free(&o);
	desc_free(&d);
	/* One hub and no [link]: no overlay. */
	CHECK_EQ(parse(&d, "[network]\ntunnel = 10.70.0.0/16\n"
			   "[hub z]\nendpoint = 203.0.113.1:51820\n"
			   "[site A]\nlan = 192.168.1.0/24\n"),
		 0);
	CHECK(!overlay_active(&d));
	desc_free(&d);
}

/* Whether v is on a shortest path from a to b (dist[a * n + b]). */
static bool on_path(const unsigned long *dist, size_t n, size_t a, size_t b,
		    size_t v)
{
	return dist[a * n + v] + dist[v * n + b] == dist[a * n + b];
}

/* Seed 003: one interface per pair, A -> C via B, C -> A direct, from
 * costs alone: B a hub at cost 10, [link A C] at 30 one way, 10 back. */
/* Seed 003 as costs: hub B, sites A and C, A -> C 30, C -> A 10. */
static const char *const seed_003 =
	"[network]\ntunnel = 10.70.0.0/16\n"
	"[hub B]\nendpoint = 203.0.113.2:51820\ncost = 10\n"
	"[site A]\nlan = 192.168.51.0/24\npublic-address = 198.51.100.1\n"
	"[site C]\nlan = 192.168.53.0/24\n"
	"[link A C]\ncost = 30, 10\n";

static void test_seed_003(void)
{
	struct lw_desc d;
	struct lw_overlay o;
	unsigned long *dist;
	size_t a, b, c, n;

	CHECK_EQ(parse(&d, seed_003), 0);
	CHECK_EQ(check_desc(&d), 0u); /* A and C do not talk: no refusal */
	CHECK_EQ(overlay_build(&d, &o), 0);
	CHECK_EQ(o.n_links, (size_t)3);
	dist = overlay_all_dist(&o);
	CHECK(dist != NULL);
	if (dist) {
		n = d.n_nodes;
		a = node(&d, "A");
		b = node(&d, "B");
		c = node(&d, "C");
		CHECK_EQ(dist[a * n + c], 20ul);
		CHECK_EQ(dist[c * n + a], 10ul);
		CHECK(on_path(dist, n, a, c, b));
		CHECK(!on_path(dist, n, c, a, b));
	}
	free(dist);
	overlay_free(&o);
	desc_free(&d);
}

/* Floyd-Warshall over the same links, the naive reference. */
static void reference(const struct lw_overlay *o, unsigned long *ref)
{
	size_t n = o->n_nodes, i, j, k;

	for (i = 0; i < n * n; i++)
		ref[i] = LW_DIST_INF;
	for (i = 0; i < n; i++)
		ref[i * n + i] = 0;
	for (k = 0; k < o->n_links; k++) {
		const struct lw_olink *l = &o->links[k];
		size_t x = l->end[0], y = l->end[1];

		if (l->cost[0] < ref[x * n + y])
			ref[x * n + y] = l->cost[0];
		if (l->cost[1] < ref[y * n + x])
			ref[y * n + x] = l->cost[1];
	}
	for (k = 0; k < n; k++)
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (ref[i * n + k] != LW_DIST_INF &&
				    ref[k * n + j] != LW_DIST_INF &&
				    ref[i * n + k] + ref[k * n + j] <
					    ref[i * n + j])
					ref[i * n + j] =
						ref[i * n + k] + ref[k * n + j];
}

static void test_dist_reference(void)
{
	struct lw_olink links[40];
	struct lw_overlay o;
	unsigned long *got, ref[12 * 12];
	unsigned int seed = 11, round, mism = 0;
	size_t k;

	for (round = 0; round < 300; round++) {
		memset(&o, 0, sizeof(o));
		o.n_nodes = 2 + rand_r(&seed) % 11;
		o.n_links = rand_r(&seed) % 40;
		o.links = links;
		for (k = 0; k < o.n_links; k++) {
			memset(&links[k], 0, sizeof(links[k]));
			links[k].end[0] = rand_r(&seed) % o.n_nodes;
			links[k].end[1] = rand_r(&seed) % o.n_nodes;
			links[k].cost[0] = 1 + rand_r(&seed) % LW_MAX_COST;
			links[k].cost[1] = 1 + rand_r(&seed) % 50;
		}
		got = overlay_all_dist(&o);
		reference(&o, ref);
		if (!got || memcmp(got, ref, o.n_nodes * o.n_nodes *
						     sizeof(*ref)))
			mism++;
		free(got);
	}
	CHECK_EQ(mism, 0u);
}

/*
 * The naive reference for overlay_rp_loose(): every simple path (as its
 * links) from every router to every other, by depth-first search; the
 * cheapest ones per pair are its shortest paths. A link end is loose when
 * a shortest s -> t path enters it while a shortest path from that end
 * back to s starts on another link.
 */
#define RP_NODES 7
#define RP_LINKS 12

struct rp_walk {
	const struct lw_overlay *o;
	unsigned long best[RP_NODES][RP_NODES];
	/* enter[v][s][k]: a shortest s -> t enters v over link k */
	bool enter[RP_NODES][RP_NODES][RP_LINKS];
	/* first[v][s][k]: a shortest v -> s starts on link k */
	bool first[RP_NODES][RP_NODES][RP_LINKS];
	size_t path[RP_NODES];	/* links taken */
	size_t nodes[RP_NODES + 1];
	bool seen[RP_NODES];
	bool marking;
};

static void rp_visit(struct rp_walk *w, size_t depth, unsigned long cost)
{
	size_t s = w->nodes[0], v = w->nodes[depth], k, i;

	if (depth) {
		if (!w->marking && cost < w->best[s][v])
			w->best[s][v] = cost;
		if (w->marking && cost == w->best[s][v]) {
			w->first[s][v][w->path[0]] = true;
			for (i = 1; i <= depth; i++)
				w->enter[w->nodes[i]][s][w->path[i - 1]] = true;
		}
	}
	for (k = 0; k < w->o->n_links; k++) {
		const struct lw_olink *l = &w->o->links[k];
		int e = overlay_end(l, v);
		size_t u;

		if (e < 0 || l->end[0] == l->end[1])
			continue;
		u = l->end[1 - e];
		if (w->seen[u])
			continue;
		w->seen[u] = true;
		w->path[depth] = k;
		w->nodes[depth + 1] = u;
		rp_visit(w, depth + 1, cost + l->cost[e]);
		w->seen[u] = false;
	}
}

static void rp_reference(const struct lw_overlay *o, bool *loose)
{
	static struct rp_walk w;
	size_t s, k;
	int e, pass;

	memset(&w, 0, sizeof(w));
	w.o = o;
	for (s = 0; s < RP_NODES; s++)
		for (k = 0; k < RP_NODES; k++)
			w.best[s][k] = LW_DIST_INF;
	for (pass = 0; pass < 2; pass++) {
		w.marking = pass;
		for (s = 0; s < o->n_nodes; s++) {
			w.nodes[0] = s;
			w.seen[s] = true;
			rp_visit(&w, 0, 0);
			w.seen[s] = false;
		}
	}
	for (k = 0; k < o->n_links; k++) {
		for (e = 0; e < 2; e++) {
			size_t v = o->links[k].end[e], j;

			loose[2 * k + e] = false;
			for (s = 0; s < o->n_nodes; s++) {
				if (!w.enter[v][s][k])
					continue;
				for (j = 0; j < o->n_links; j++)
					if (j != k && w.first[v][s][j])
						loose[2 * k + e] = true;
			}
		}
	}
}

static void test_rp_loose_reference(void)
{
	struct lw_olink links[RP_LINKS];
	struct lw_overlay o;
	bool got[2 * RP_LINKS], ref[2 * RP_LINKS];
	unsigned long *dist;
	unsigned int seed = 3, round, mism = 0, any = 0;
	size_t k;

	for (round = 0; round < 400; round++) {
		memset(&o, 0, sizeof(o));
		o.n_nodes = 2 + rand_r(&seed) % (RP_NODES - 1);
		o.n_links = rand_r(&seed) % RP_LINKS;
		o.links = links;
		for (k = 0; k < o.n_links; k++) {
			memset(&links[k], 0, sizeof(links[k]));
			links[k].end[0] = rand_r(&seed) % o.n_nodes;
			links[k].end[1] = rand_r(&seed) % o.n_nodes;
			/* small costs: many ties, which must count too */
			links[k].cost[0] = 1 + rand_r(&seed) % 4;
			links[k].cost[1] = 1 + rand_r(&seed) % 4;
		}
		dist = overlay_all_dist(&o);
		CHECK(dist != NULL);
		if (!dist)
			return;
		overlay_rp_loose(&o, dist, got);
		rp_reference(&o, ref);
		if (memcmp(got, ref, 2 * o.n_links * sizeof(*got)))
			mism++;
		for (k = 0; k < 2 * o.n_links; k++)
			any += got[k];
		free(dist);
	}
	CHECK_EQ(mism, 0u);
	CHECK(any > 0); /* the random overlays had asymmetric ones */
}

/* Seed 003: A's link to C (C -> A comes in there, A -> C leaves by B)
 * and C's link to B (A -> C comes in there, C -> A leaves direct) are
 * loose; B's links and the others strict. */
static void test_rp_loose_seed_003(void)
{
	struct lw_desc d;
	struct lw_overlay o;
	unsigned long *dist;
	bool loose[6];
	size_t a, c, k;

	CHECK_EQ(parse(&d, seed_003), 0);
	CHECK_EQ(overlay_build(&d, &o), 0);
	CHECK_EQ(o.n_links, (size_t)3);
	dist = overlay_all_dist(&o);
	CHECK(dist != NULL);
	if (dist && o.n_links == 3) {
		a = node(&d, "A");
		c = node(&d, "C");
		overlay_rp_loose(&o, dist, loose);
		for (k = 0; k < 6; k++) {
			const struct lw_olink *l = &o.links[k / 2];
			size_t v = l->end[k % 2], u = l->end[1 - k % 2];
			bool want = (v == a && u == c) ||
				    (v == c && l->kind == LW_OLINK_HUB_SITE);

			CHECK_EQ(loose[k], want);
		}
	}
	free(dist);
	overlay_free(&o);
	desc_free(&d);
}

int main(void)
{
	test_links();
	test_seed_003();
	test_dist_reference();
	test_rp_loose_reference();
	test_rp_loose_seed_003();
	return test_finish("planner_overlay");
}
