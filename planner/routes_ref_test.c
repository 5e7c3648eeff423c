// SPDX-License-Identifier: MIT
/*
 * Client routes (routes_client.c) against a deliberately naive reference,
 * on random descriptions: one hub (endpoint public or private), up to five
 * sites with one or two LANs each in a random private block (10/8,
 * 172.16/12, 192.168/16, 100.64/10, two ULA /48s, ULA prefixes wider than
 * /48) or in public space, a client with random visits, in a group or not,
 * and per site a random rule: none, client -> site, site -> client, or
 * client -> SITE:HOST.
 *
 * The reference works from the generated facts, not from the parsed
 * description, and with its own bit arithmetic: a reached site it never
 * visits gives its LANs (or the host), a LAN it may sit in the longest
 * prefix strictly shorter than the LAN that lies inside the LAN's private
 * block and overlaps no hub endpoint and no LAN of an unreached site (else
 * the LAN itself and a conflict). Besides equality, each result is checked
 * for the properties that matter on the road: every reached LAN or host is
 * covered, no route is as specific as a LAN the client may sit in, no
 * route covers what it must not.
 *
 * Then the same cases run through deliberately broken summarisers (the
 * old widest-prefix one, the private block itself, no summary): each must
 * be caught, which shows the comparison can fail.
 */
#include "routes.h"

#include <string.h>
#include <sys/socket.h>

#include "desc.h"
#include "test.h"

#define CASES 3000
#define MAX_SITES 5
#define MAX_LANS 2

static unsigned long long rng = 0x6c616e77697265ULL;

static unsigned int rnd(unsigned int n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)(rng >> 33) % n;
}

/* ---- naive bit arithmetic ---- */

static unsigned int bit(const struct lw_prefix *p, unsigned int i)
{
	return (p->addr[i / 8] >> (7 - i % 8)) & 1u;
}

static bool same_bits(const struct lw_prefix *a, const struct lw_prefix *b,
		      unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (bit(a, i) != bit(b, i))
			return false;
	}
	return true;
}

static bool n_contains(const struct lw_prefix *o, const struct lw_prefix *in)
{
	return o->family == in->family && o->len <= in->len &&
	       same_bits(o, in, o->len);
}

static bool n_overlaps(const struct lw_prefix *a, const struct lw_prefix *b)
{
	return a->family == b->family &&
	       same_bits(a, b, a->len < b->len ? a->len : b->len);
}

static struct lw_prefix cut(const struct lw_prefix *p, unsigned int len)
{
	struct lw_prefix r = *p;
	unsigned int i;

	for (i = len; i < 128; i++)
		r.addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	r.len = (uint8_t)len;
	return r;
}

static struct lw_prefix pp(const char *s)
{
	struct lw_prefix p;

	prefix_parse(&p, s, true);
	return p;
}

/* The private block holding p, written out again: a ULA /48 is its own. */
static bool n_block(const struct lw_prefix *p, struct lw_prefix *b)
{
	static const char *const blocks[] = { "10.0.0.0/8", "172.16.0.0/12",
					      "192.168.0.0/16",
					      "100.64.0.0/10", "fc00::/7" };
	size_t i;

	for (i = 0; i < 5; i++) {
		*b = pp(blocks[i]);
		if (!n_contains(b, p))
			continue;
		if (i == 4 && p->len >= 48)
			*b = cut(p, 48);
		return true;
	}
	return false;
}

/* ---- a random case ---- */

struct site_gen {
	struct lw_prefix lans[MAX_LANS];
	size_t n_lans;
	int rule; /* 0 none, 1 e -> s, 2 s -> e, 3 e -> s:host */
	struct lw_prefix host;
	bool visited;
};

struct case_gen {
	struct lw_prefix endpoint;
	struct site_gen sites[MAX_SITES];
	size_t n_sites;
};

static const char *const spaces[] = {
	"10.0.0.0/8",	  "172.16.0.0/12",	 "192.168.0.0/16",
	"100.96.0.0/11",  "fd12:3456:789a::/48", "fd99:1::/48",
	"fd00::/8",	  "203.0.113.0/24",	 "2001:db8::/32",
};

static struct lw_prefix random_lan(void)
{
	struct lw_prefix s = pp(spaces[rnd(9)]), p = s;
	unsigned int bits = family_bits(s.family), max, len, i;

	max = bits == 32 ? 30 : 64;
	len = s.len + rnd(bits == 32 ? 14 : 20);
	if (len > max)
		len = max;
	for (i = s.len; i < len; i++) {
		if (rnd(2))
			p.addr[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	}
	return cut(&p, len);
}

/* A random LAN clear of the LANs made so far and of the endpoint (check
 * rejects those), after a few tries; else a fixed public one, which
 * lies after every random one. */
static struct lw_prefix free_lan(const struct case_gen *g, size_t s,
				 size_t k)
{
	struct lw_prefix p;
	unsigned int tries;
	size_t i, j;
	bool clash;

	for (tries = 0; tries < 20; tries++) {
		p = random_lan();
		clash = n_contains(&p, &g->endpoint);
		for (i = 0; i <= s && !clash; i++) {
			for (j = 0; j < (i < s ? g->sites[i].n_lans : k); j++)
				clash |= n_overlaps(&g->sites[i].lans[j], &p);
		}
		if (!clash)
			return p;
	}
	p = pp("2001:db8:ffff::/64");
	p.addr[7] = (uint8_t)(s * MAX_LANS + k);
	return p;
}

static void generate(struct case_gen *g)
{
	static const char *const eps[] = { "198.51.100.1", "10.0.0.1",
					   "192.168.0.1", "172.16.0.1",
					   "fd12:3456:789a::1" };
	size_t s, k;

	memset(g, 0, sizeof(*g));
	g->endpoint = pp(eps[rnd(5)]);
	g->n_sites = 1 + rnd(MAX_SITES);
	for (s = 0; s < g->n_sites; s++) {
		struct site_gen *sg = &g->sites[s];

		sg->n_lans = 1 + rnd(MAX_LANS);
		for (k = 0; k < sg->n_lans; k++)
			sg->lans[k] = free_lan(g, s, k);
		sg->rule = (int)rnd(4);
		sg->host = sg->lans[0];
		sg->host.addr[family_bits(sg->host.family) / 8 - 1] |= 1;
		sg->host.len = (uint8_t)family_bits(sg->host.family);
		sg->visited = rnd(3) != 0;
	}
}

static void text_of(const struct case_gen *g, bool group, char *out,
		    size_t size)
{
	const char *who = group ? "g" : "e";
	char a[LW_PREFIX_STRLEN], b[LW_PREFIX_STRLEN];
	size_t s, k, o = 0;

	addr_format(a, sizeof(a), &g->endpoint);
	o += (size_t)snprintf(out + o, size - o,
			      "[network]\ntunnel = 100.64.0.0/16, "
			      "fd00:64::/64\n[hub z]\nendpoint = %s%s%s:1\n",
			      g->endpoint.family == AF_INET6 ? "[" : "", a,
			      g->endpoint.family == AF_INET6 ? "]" : "");
	for (s = 0; s < g->n_sites; s++) {
		o += (size_t)snprintf(out + o, size - o, "[site s%zu]\nlan = ",
				      s);
		for (k = 0; k < g->sites[s].n_lans; k++) {
			prefix_format(a, sizeof(a), &g->sites[s].lans[k]);
			o += (size_t)snprintf(out + o, size - o, "%s%s",
					      k ? ", " : "", a);
		}
		o += (size_t)snprintf(out + o, size - o, "\n");
	}
	o += (size_t)snprintf(out + o, size - o, "[client e]\n%svisits = ",
			      group ? "group = g\n" : "");
	for (s = 0, k = 0; s < g->n_sites; s++) {
		if (g->sites[s].visited)
			o += (size_t)snprintf(out + o, size - o, "%ss%zu",
					      k++ ? ", " : "", s);
	}
	o += (size_t)snprintf(out + o, size - o, "%s\n[policy]\n",
			      k ? "" : "none");
	for (s = 0; s < g->n_sites; s++) {
		const struct site_gen *sg = &g->sites[s];

		addr_format(b, sizeof(b), &sg->host);
		if (sg->rule == 1)
			o += (size_t)snprintf(out + o, size - o,
					      "allow = %s -> s%zu\n", who, s);
		else if (sg->rule == 2)
			o += (size_t)snprintf(out + o, size - o,
					      "allow = s%zu -> %s\n", s, who);
		else if (sg->rule == 3)
			o += (size_t)snprintf(out + o, size - o,
					      "allow = %s -> s%zu:%s tcp/22\n",
					      who, s, b);
	}
}

/* ---- the reference ---- */

struct ref_out {
	struct lw_prefix v[MAX_SITES * MAX_LANS];
	size_t n;
	bool conflict;
	struct lw_prefix forbidden[MAX_SITES * MAX_LANS + 1];
	size_t n_forbidden;
};

static bool hits_forbidden(const struct ref_out *r, const struct lw_prefix *p)
{
	size_t i;

	for (i = 0; i < r->n_forbidden; i++) {
		if (n_overlaps(&r->forbidden[i], p))
			return true;
	}
	return false;
}

static struct lw_prefix ref_summary(struct ref_out *r,
				    const struct lw_prefix *lan)
{
	struct lw_prefix block, cand;
	unsigned int len;

	for (len = lan->len; len-- > 0;) {
		cand = cut(lan, len);
		if (n_block(lan, &block) && n_contains(&block, &cand) &&
		    !hits_forbidden(r, &cand))
			return cand;
	}
	r->conflict = true;
	return *lan;
}

static void reference(const struct case_gen *g, struct ref_out *r)
{
	size_t s, k;

	memset(r, 0, sizeof(*r));
	r->forbidden[r->n_forbidden++] = g->endpoint;
	for (s = 0; s < g->n_sites; s++) {
		for (k = 0; !g->sites[s].rule && k < g->sites[s].n_lans; k++)
			r->forbidden[r->n_forbidden++] = g->sites[s].lans[k];
	}
	for (s = 0; s < g->n_sites; s++) {
		const struct site_gen *sg = &g->sites[s];

		if (!sg->rule)
			continue;
		if (sg->rule == 3 && !sg->visited) {
			r->v[r->n++] = sg->host;
			continue;
		}
		for (k = 0; k < sg->n_lans; k++)
			r->v[r->n++] = sg->visited ?
					       ref_summary(r, &sg->lans[k]) :
					       sg->lans[k];
	}
}

/* ---- comparing ---- */

static bool in_list(const struct lw_prefix *v, size_t n,
		    const struct lw_prefix *p)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (n_contains(&v[i], p))
			return true;
	}
	return false;
}

static bool n_equal(const struct lw_prefix *a, const struct lw_prefix *b)
{
	return n_contains(a, b) && a->len == b->len;
}

/* Whether entry i of v is a duplicate of an earlier one or lies inside
 * another entry (the implementation drops those). */
static bool redundant(const struct lw_prefix *v, size_t n, size_t i)
{
	size_t j;

	for (j = 0; j < n; j++) {
		if (j == i)
			continue;
		if (n_equal(&v[j], &v[i]) ? j < i : n_contains(&v[j], &v[i]))
			return true;
	}
	return false;
}

/* The same set of prefixes, once the reference's redundant ones go. */
static bool same_set(const struct ref_out *r, const struct lw_plist *l)
{
	size_t i, j, kept = 0;
	bool found;

	for (i = 0; i < r->n; i++) {
		if (redundant(r->v, r->n, i))
			continue;
		kept++;
		for (j = 0, found = false; j < l->n; j++)
			found |= n_equal(&l->v[j], &r->v[i]);
		if (!found)
			return false;
	}
	return kept == l->n;
}

/* Road properties: covers what is reached, never beats an on-link LAN,
 * covers nothing forbidden. Skipped for conflicts (LAN itself, by
 * design). */
static bool properties_hold(const struct case_gen *g, const struct ref_out *r,
			    const struct lw_plist *l)
{
	size_t s, k, i;

	for (i = 0; i < l->n; i++) {
		if (hits_forbidden(r, &l->v[i]))
			return false;
	}
	for (s = 0; s < g->n_sites; s++) {
		const struct site_gen *sg = &g->sites[s];

		for (k = 0; sg->rule && k < sg->n_lans; k++) {
			const struct lw_prefix *want =
				sg->rule == 3 ? &sg->host : &sg->lans[k];

			if (!in_list(l->v, l->n, want))
				return false;
			for (i = 0; sg->visited && i < l->n; i++) {
				if (n_overlaps(&l->v[i], &sg->lans[k]) &&
				    l->v[i].len >= sg->lans[k].len)
					return false;
			}
		}
	}
	return true;
}

struct tally {
	unsigned int cases, skipped, conflicts, host_routes, mismatches;
};

/* One case through summariser fn; counts into t. */
static void run_one(const struct case_gen *g, bool group, lw_summarise_fn fn,
		    struct tally *t, bool verbose)
{
	static char text[4096];
	struct lw_plist l = { 0 };
	struct lw_conflict c;
	struct ref_out want;
	struct lw_desc d;
	int r;

	text_of(g, group, text, sizeof(text));
	/* Not checked: check_desc reports the conflicts as errors. */
	if (desc_parse(&d, "t.conf", text, strlen(text)) || d.n_errors) {
		t->skipped++;
		fprintf(stderr, "does not parse:\n%s", text);
		desc_free(&d);
		return;
	}
	t->cases++;
	reference(g, &want);
	r = routes_client_summary_by(&d, (size_t)desc_find_node(&d, "e"), fn,
				     &l, &c);
	t->conflicts += want.conflict;
	for (size_t i = 0; i < l.n; i++)
		t->host_routes += prefix_is_host(&l.v[i]);
	if (r != (want.conflict ? 1 : 0) || !same_set(&want, &l) ||
	    (!want.conflict && !properties_hold(g, &want, &l))) {
		t->mismatches++;
		if (verbose && t->mismatches <= 3)
			fprintf(stderr, "mismatch (%d) on:\n%s", r, text);
	}
	plist_free(&l);
	desc_free(&d);
}

static void run_all(lw_summarise_fn fn, struct tally *t, bool verbose)
{
	struct case_gen g;
	unsigned int i;

	rng = 0x6c616e77697265ULL;
	memset(t, 0, sizeof(*t));
	for (i = 0; i < CASES; i++) {
		generate(&g);
		run_one(&g, i % 2, fn, t, verbose);
	}
}

/* ---- broken summarisers ---- */

/* The old rule: the widest prefix in the block that hits nothing. */
static bool widest(const struct lw_prefix *lan, const struct lw_plist *fb,
		   struct lw_prefix *out, struct lw_conflict *c)
{
	struct lw_prefix block, cand;
	unsigned int len;
	size_t i;
	bool hit;

	if (!prefix_private_block(lan, &block))
		return false;
	for (len = block.len; len < lan->len; len++) {
		cand = cut(lan, len);
		for (i = 0, hit = false; i < fb->n; i++)
			hit |= prefix_overlaps(&fb->v[i], &cand);
		if (!hit) {
			*out = cand;
			return true;
		}
	}
	return false;
}

/* The private block, unless it hits something. */
static bool whole_block(const struct lw_prefix *lan,
			const struct lw_plist *fb, struct lw_prefix *out,
			struct lw_conflict *c)
{
	if (!routes_summarise_lan(lan, fb, out, c))
		return false;
	return prefix_private_block(lan, out);
}

/* No summary at all: the LAN as it is. */
static bool as_is(const struct lw_prefix *lan, const struct lw_plist *fb,
		  struct lw_prefix *out, struct lw_conflict *c)
{
	*out = *lan;
	return true;
}

int main(void)
{
	struct tally t;

	run_all(routes_summarise_lan, &t, true);
	fprintf(stderr,
		"routes_ref: %u cases, %u with a conflict, %u host routes: "
		"%u mismatches\n",
		t.cases, t.conflicts, t.host_routes, t.mismatches);
	CHECK_EQ(t.mismatches, 0);
	CHECK(t.cases == CASES && t.conflicts > 0 && t.host_routes > 0);
	run_all(widest, &t, false);
	fprintf(stderr, "routes_ref: widest-prefix summariser: %u of %u "
			"mismatch\n", t.mismatches, t.cases);
	CHECK(t.mismatches > 0);
	run_all(whole_block, &t, false);
	fprintf(stderr, "routes_ref: private-block summariser: %u of %u "
			"mismatch\n", t.mismatches, t.cases);
	CHECK(t.mismatches > 0);
	run_all(as_is, &t, false);
	fprintf(stderr, "routes_ref: no summary: %u of %u mismatch\n",
		t.mismatches, t.cases);
	CHECK(t.mismatches > 0);
	return test_finish("planner_routes_ref");
}
