// SPDX-License-Identifier: MIT
/*
 * Semantic checks (see check.h), one small function per concern: the
 * network's prefixes and MTU, names, hubs, node addresses, sites and
 * LANs, the policy, client routes (the route conflict of seed 001), and
 * keys. Each diagnostic names the line the fix belongs on; when two lines
 * clash, the later one is blamed and the earlier one cited.
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "crypto.h"
#include "desc.h"
#include "keys.h"
#include "routes.h"

#define err(d, line, ...) desc_diag((d), LW_ERROR, (line), __VA_ARGS__)
#define warn(d, line, ...) desc_diag((d), LW_WARNING, (line), __VA_ARGS__)

static const char *pfx(char buf[static LW_PREFIX_STRLEN],
		       const struct lw_prefix *p)
{
	prefix_format(buf, LW_PREFIX_STRLEN, p);
	return buf;
}

static const char *adr(char buf[static LW_PREFIX_STRLEN],
		       const struct lw_prefix *p)
{
	addr_format(buf, LW_PREFIX_STRLEN, p);
	return buf;
}

static int net_line(const struct lw_desc *d)
{
	return d->net.line;
}

/* ---- [network] ---- */

static void check_pool(struct lw_desc *d, const char *key,
		       const struct lw_lprefix *pool, unsigned int fi)
{
	const struct lw_lprefix *t = &d->net.tunnel[fi];
	char a[LW_PREFIX_STRLEN], b[LW_PREFIX_STRLEN];

	if (!pool->line)
		return;
	if (!t->p.family)
		err(d, pool->line,
		    "%s %s is %s but the network has no %s tunnel prefix; "
		    "add one to tunnel =",
		    key, pfx(a, &pool->p), family_name(pool->p.family),
		    family_name(pool->p.family));
	else if (!prefix_contains(&t->p, &pool->p))
		err(d, pool->line,
		    "%s %s lies outside the tunnel %s; pick a pool inside it",
		    key, pfx(a, &pool->p), pfx(b, &t->p));
}

static void check_network(struct lw_desc *d)
{
	unsigned int fi;

	if (!d->net.tunnel[0].line && !d->net.tunnel[1].line)
		err(d, net_line(d),
		    "[network] needs a tunnel prefix: tunnel = 10.9.0.0/16 "
		    "(and/or an IPv6 one)");
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		check_pool(d, "infra-pool", &d->net.infra_pool[fi], fi);
		check_pool(d, "client-pool", &d->net.client_pool[fi], fi);
	}
	if (d->net.keepalive_line && !d->net.keepalive)
		warn(d, d->net.keepalive_line,
		     "keepalive = 0: a hub cannot reach spokes behind NAT "
		     "once their NAT mapping expires");
}

/* ---- MTU ---- */

static bool carries_v6(const struct lw_desc *d)
{
	size_t s, i;

	if (d->net.tunnel[1].p.family)
		return true;
	for (s = 0; s < d->n_sites; s++) {
		for (i = 0; i < d->sites[s].n_lans; i++) {
			if (d->sites[s].lans[i].p.family == AF_INET6)
				return true;
		}
	}
	return false;
}

static int mtu_line(const struct lw_desc *d)
{
	if (d->net.mtu_line)
		return d->net.mtu_line;
	return d->net.link_mtu_line ? d->net.link_mtu_line : net_line(d);
}

/* The MTU against one outer family's overhead; false if it failed. */
static bool check_overhead(struct lw_desc *d, unsigned int overhead,
			   const char *outer, const char *why, bool is_error)
{
	unsigned int mtu = d->net.mtu, link = d->net.link_mtu;

	if (mtu + overhead <= link)
		return true;
	desc_diag(d, is_error ? LW_ERROR : LW_WARNING, mtu_line(d),
		  "mtu %u plus WireGuard's %u bytes over %s%s exceeds "
		  "link-mtu %u; set mtu to %d or less",
		  mtu, overhead, outer, why, link, (int)link - (int)overhead);
	return false;
}

static void check_mtu(struct lw_desc *d)
{
	bool v4 = false, v6 = false, names = false;
	size_t i;

	if (d->net.mtu < LW_MIN_MTU_V4)
		err(d, mtu_line(d),
		    "mtu %u is below %d, the least an IPv4 path must carry; "
		    "use 1280 or more",
		    d->net.mtu, LW_MIN_MTU_V4);
	else if (d->net.mtu < LW_MIN_MTU_V6 && carries_v6(d))
		err(d, mtu_line(d),
		    "mtu %u cannot carry IPv6 inside the tunnel, which needs "
		    "%d; raise mtu to %d or more",
		    d->net.mtu, LW_MIN_MTU_V6, LW_MIN_MTU_V6);
	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_endpoint *ep = &d->nodes[i].endpoint;

		if (d->nodes[i].role != LW_ROLE_HUB || !ep->port)
			continue;
		if (!ep->is_literal)
			names = true;
		else if (ep->addr.family == AF_INET6)
			v6 = true;
		else
			v4 = true;
	}
	if (v6 && !check_overhead(d, LW_OVERHEAD_V6, "IPv6", "", true))
		return;
	if ((v4 || names || !v6) &&
	    !check_overhead(d, LW_OVERHEAD_V4, "IPv4", "", true))
		return;
	if (names)
		check_overhead(d, LW_OVERHEAD_V6, "IPv6",
			       " (if a hub's endpoint name resolves to IPv6)",
			       false);
}

/* ---- names ---- */

struct named {
	const char *name, *what;
	int line;
};

static size_t collect_names(const struct lw_desc *d, struct named *v)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_nodes; i++) {
		static const char *const what[] = { "hub", "gateway",
						    "client" };
		const struct lw_node *node = &d->nodes[i];
		bool is_site = node->role == LW_ROLE_GATEWAY &&
			       !strcmp(node->name, d->sites[node->site].name);

		v[n++] = (struct named){ node->name,
					 is_site ? "site" : what[node->role],
					 node->name_line };
	}
	for (i = 0; i < d->n_sites; i++) {
		const char *gw = d->nodes[d->sites[i].gateway].name;

		if (strcmp(d->sites[i].name, gw))
			v[n++] = (struct named){ d->sites[i].name, "site",
						 d->sites[i].line };
	}
	for (i = 0; i < d->n_groups; i++)
		v[n++] = (struct named){ d->groups[i].name, "group",
					 d->groups[i].line };
	return n;
}

static void check_names(struct lw_desc *d)
{
	struct named *v;
	size_t i, j, n;

	v = calloc(d->n_nodes + d->n_sites + d->n_groups + 1, sizeof(*v));
	if (!v)
		return;
	n = collect_names(d, v);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(v[i].name, v[j].name))
				continue;
			err(d, v[i].line,
			    "name %s is taken by the %s on line %d; hubs, "
			    "sites, gateways, clients and groups need "
			    "distinct names",
			    v[i].name, v[j].what, v[j].line);
			break;
		}
	}
	free(v);
}

/* ---- hubs ---- */

static void check_hub(struct lw_desc *d, const struct lw_node *h)
{
	struct lw_prefix block;
	char a[LW_PREFIX_STRLEN];

	if (!h->endpoint.port) {
		err(d, h->line,
		    "hub %s has no endpoint; spokes need its public address: "
		    "endpoint = HOST:PORT",
		    h->name);
		return;
	}
	if (h->endpoint.is_literal &&
	    prefix_private_block(&h->endpoint.addr, &block))
		warn(d, h->endpoint_line,
		     "endpoint %s of hub %s is a private address; spokes "
		     "outside that network cannot reach it",
		     adr(a, &h->endpoint.addr), h->name);
}

/* A hub = that names no hub, once per name however many spokes give
 * it (a renamed hub would otherwise give one error per spoke). */
static void report_not_hub(struct lw_desc *d, size_t node)
{
	const struct lw_node *n = &d->nodes[node];
	size_t i, more = 0;

	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *m = &d->nodes[i];

		if (i == node || !m->hub_name ||
		    strcmp(m->hub_name, n->hub_name))
			continue;
		if (i < node)
			return;
		more++;
	}
	if (more)
		err(d, n->hub_line,
		    "hub %s of %s (and of %zu spokes after it) is not a hub; "
		    "name one of the [hub] sections",
		    n->hub_name, n->name, more);
	else
		err(d, n->hub_line,
		    "hub %s of %s is not a hub; name one of the [hub] "
		    "sections",
		    n->hub_name, n->name);
}

static void check_hubs(struct lw_desc *d)
{
	bool any = false;
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *n = &d->nodes[i];

		if (n->role == LW_ROLE_HUB) {
			any = true;
			check_hub(d, n);
		} else if (n->hub_name && !n->has_hub) {
			report_not_hub(d, i);
		}
	}
	if (!any && d->n_nodes)
		err(d, net_line(d),
		    "the network has no hub; add [hub NAME] with endpoint = "
		    "HOST:PORT (lanwire add hub NAME --endpoint HOST:PORT)");
}

/* ---- node addresses ---- */

/* How many nodes' written family-fi addresses lie outside pool, which
 * is theirs; *first: the first of them. */
static size_t count_outside(const struct lw_desc *d, unsigned int fi,
			    const struct lw_lprefix *pool, size_t *first)
{
	const char *key;
	size_t i, n = 0;

	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *m = &d->nodes[i];

		if (!m->addr[fi].line || alloc_pool(d, m, fi, &key) != pool ||
		    prefix_contains(&pool->p, &m->addr[fi].p))
			continue;
		if (!n++)
			*first = i;
	}
	return n;
}

/*
 * A wrong pool or tunnel prefix puts every written address outside it:
 * from three on, one error at the first such node says so. True when n
 * is to be reported on its own.
 */
static bool report_outside(struct lw_desc *d, const struct lw_node *n,
			   unsigned int fi, const struct lw_lprefix *pool,
			   const char *key)
{
	char x[LW_PREFIX_STRLEN];
	size_t first = 0, count = count_outside(d, fi, pool, &first);

	if (count < 3)
		return true;
	if (&d->nodes[first] == n)
		err(d, n->addr[fi].line,
		    "the addresses of %zu nodes, from %s on, lie outside "
		    "their %s %s; if %s is right, renumber them (or leave "
		    "address out to have them allocated), else correct %s "
		    "(line %d)",
		    count, n->name, key, pfx(x, &pool->p), key, key,
		    pool->line ? pool->line : net_line(d));
	return false;
}

static void check_address(struct lw_desc *d, const struct lw_node *n,
			  unsigned int fi)
{
	const struct lw_lprefix *a = &n->addr[fi], *pool;
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	const char *key = "";

	if (!a->line)
		return;
	pool = alloc_pool(d, n, fi, &key);
	if (!pool) {
		err(d, a->line,
		    "address %s of %s is %s but the network has no %s tunnel "
		    "prefix",
		    adr(x, &a->p), n->name, family_name(a->p.family),
		    family_name(a->p.family));
	} else if (!prefix_contains(&pool->p, &a->p)) {
		if (!report_outside(d, n, fi, pool, key))
			return;
		err(d, a->line,
		    "address %s of %s is outside its %s %s; pick one inside, "
		    "or leave address out to have one allocated",
		    adr(x, &a->p), n->name, key, pfx(y, &pool->p));
	} else if (addr_is_reserved_in(&a->p, &pool->p)) {
		err(d, a->line,
		    "address %s of %s is the network or broadcast address of "
		    "%s %s; pick another",
		    adr(x, &a->p), n->name, key, pfx(y, &pool->p));
	}
}

static void check_duplicate_address(struct lw_desc *d, size_t i,
				    unsigned int fi)
{
	const struct lw_node *n = &d->nodes[i];
	char x[LW_PREFIX_STRLEN];
	size_t j;

	if (!n->addr[fi].p.family)
		return;
	for (j = 0; j < i; j++) {
		const struct lw_node *m = &d->nodes[j];

		if (!prefix_equal(&m->addr[fi].p, &n->addr[fi].p))
			continue;
		err(d, n->addr[fi].line ? n->addr[fi].line : n->line,
		    "address %s of %s is already %s's (line %d); each node "
		    "needs its own",
		    adr(x, &n->addr[fi].p), n->name, m->name,
		    m->addr[fi].line ? m->addr[fi].line : m->line);
		return;
	}
}

static void check_addresses(struct lw_desc *d)
{
	unsigned int fi;
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		for (fi = 0; fi < LW_FAMILIES; fi++) {
			check_address(d, &d->nodes[i], fi);
			check_duplicate_address(d, i, fi);
		}
	}
}

/* ---- sites and LANs ---- */

static void check_lan_vs_network(struct lw_desc *d, const struct lw_site *s,
				 const struct lw_lprefix *lan)
{
	unsigned int fi = family_index(lan->p.family);
	const struct lw_lprefix *t = &d->net.tunnel[fi];
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	size_t i;

	if (t->p.family && prefix_overlaps(&t->p, &lan->p))
		err(d, lan->line,
		    "LAN %s of site %s overlaps the tunnel %s; LAN and tunnel "
		    "prefixes must not overlap",
		    pfx(x, &lan->p), s->name, pfx(y, &t->p));
	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *h = &d->nodes[i];

		if (h->role == LW_ROLE_HUB && h->endpoint.is_literal &&
		    prefix_contains(&lan->p, &h->endpoint.addr))
			err(d, lan->line,
			    "LAN %s of site %s holds the endpoint of hub %s; "
			    "routing it into the tunnel would loop",
			    pfx(x, &lan->p), s->name, h->name);
	}
}

/* Compares LAN k of site si with every earlier LAN. */
static void check_lan_overlaps(struct lw_desc *d, size_t si, size_t k)
{
	const struct lw_lprefix *lan = &d->sites[si].lans[k];
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	size_t sj, m;

	for (sj = 0; sj <= si; sj++) {
		const struct lw_site *o = &d->sites[sj];

		for (m = 0; m < o->n_lans && (sj < si || m < k); m++) {
			if (!prefix_overlaps(&o->lans[m].p, &lan->p))
				continue;
			err(d, lan->line,
			    "LAN %s of site %s overlaps LAN %s of site %s "
			    "(line %d); traffic for the overlap cannot be "
			    "routed to both: renumber one of them",
			    pfx(x, &lan->p), d->sites[si].name,
			    pfx(y, &o->lans[m].p), o->name, o->lans[m].line);
			return;
		}
	}
}

static void check_lan_address(struct lw_desc *d, const struct lw_site *s)
{
	char x[LW_PREFIX_STRLEN];
	size_t i;

	if (!s->lan_address.p.family) {
		if (s->ret == LW_RETURN_ROUTE)
			err(d, s->return_line ? s->return_line : s->line,
			    "site %s returns traffic by route but has no "
			    "lan-address; add the gateway's address on its "
			    "LAN (lan-address = ...) for the LAN router's "
			    "route to name",
			    s->name);
		return;
	}
	for (i = 0; i < s->n_lans; i++) {
		if (prefix_contains(&s->lans[i].p, &s->lan_address.p))
			return;
	}
	err(d, s->lan_address.line,
	    "lan-address %s of site %s is not inside any of its LANs",
	    adr(x, &s->lan_address.p), s->name);
}

/* host = NAME ADDRESS lines lie inside the site's LANs. */
static void check_site_hosts(struct lw_desc *d, const struct lw_site *s)
{
	char x[LW_PREFIX_STRLEN];
	size_t h, k;
	bool inside;

	for (h = 0; h < s->n_hosts; h++) {
		inside = false;
		for (k = 0; k < s->n_lans; k++)
			inside |= prefix_contains(&s->lans[k].p,
						  &s->hosts[h].p);
		prefix_format_nft(x, sizeof(x), &s->hosts[h].p);
		if (!inside)
			err(d, s->hosts[h].line,
			    "host %s %s is not inside a LAN of site %s; write "
			    "an address or prefix of its LAN",
			    s->hosts[h].name, x, s->name);
	}
}

static void check_site(struct lw_desc *d, size_t si)
{
	const struct lw_site *s = &d->sites[si];
	size_t k;

	if (!s->n_lans) {
		err(d, s->line,
		    "site %s has no LAN; add lan = PREFIX (the LAN its "
		    "gateway fronts)",
		    s->name);
		return;
	}
	for (k = 0; k < s->n_lans; k++) {
		check_lan_vs_network(d, s, &s->lans[k]);
		check_lan_overlaps(d, si, k);
	}
	check_lan_address(d, s);
	check_site_hosts(d, s);
	if (s->lan_iface[0] && !strcmp(s->lan_iface,
				       desc_node_iface(d, s->gateway)))
		err(d, s->lan_iface_line,
		    "lan-interface %s of site %s is the tunnel interface; "
		    "name the LAN's interface (e.g. eth0)",
		    s->lan_iface, s->name);
}

static void check_sites(struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_sites; i++)
		check_site(d, i);
}

/* ---- policy ---- */

/* SITE:PREFIX must name a site and lie inside one of its LANs. */
static void check_host_ref(struct lw_desc *d, const struct lw_ref *r,
			   int line)
{
	const struct lw_site *s;
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	size_t k;

	prefix_format_nft(x, sizeof(x), &r->prefix); /* as written */
	if (r->kind != LW_REF_SITE) {
		err(d, line,
		    "%s:%s names %s, which is no site; only a site's LAN "
		    "holds hosts",
		    r->name, x, r->name);
		return;
	}
	s = &d->sites[r->index];
	for (k = 0; k < s->n_lans; k++) {
		if (prefix_contains(&s->lans[k].p, &r->prefix))
			return;
	}
	err(d, line, "%s:%s is not inside a LAN of site %s (%s%s); write "
		     "an address or prefix of its LAN",
	    r->name, x, s->name,
	    s->n_lans ? pfx(y, &s->lans[0].p) : "none",
	    s->n_lans > 1 ? ", ..." : "");
}

static void check_refs(struct lw_desc *d, const struct lw_ref *v, size_t n,
		       int line)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].kind == LW_REF_UNKNOWN)
			err(d, line,
			    "policy names %s, which is no site, client, group "
			    "or hub; check the spelling",
			    v[i].name);
		else if (v[i].host && v[i].kind != LW_REF_SITE)
			err(d, line,
			    "%s:%s names %s, which is no site; only a site's "
			    "LAN holds hosts",
			    v[i].name, v[i].host, v[i].name);
		else if (v[i].host && !v[i].has_prefix)
			err(d, line,
			    "site %s has no host %s; add host = %s ADDRESS to "
			    "[site %s], or write %s:ADDRESS",
			    d->sites[v[i].index].name, v[i].host, v[i].host,
			    d->sites[v[i].index].name, v[i].name);
		else if (v[i].has_prefix && !v[i].host)
			check_host_ref(d, &v[i], line);
	}
}

static bool named_by_policy(const struct lw_desc *d, size_t node)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		if (desc_talks(d, node, i))
			return true;
	}
	return false;
}

static void check_policy(struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_rules; i++) {
		check_refs(d, d->rules[i].from, d->rules[i].n_from,
			   d->rules[i].line);
		check_refs(d, d->rules[i].to, d->rules[i].n_to,
			   d->rules[i].line);
	}
	if (!d->n_rules && d->n_nodes) {
		warn(d, d->policy_line ? d->policy_line : net_line(d),
		     "the policy allows nothing, so the tunnel carries no "
		     "traffic between nodes; add [policy] allow = A -> B");
		return;
	}
	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *n = &d->nodes[i];

		if (n->role != LW_ROLE_HUB && !named_by_policy(d, i))
			warn(d, n->line,
			     "%s %s is in no allow rule, so nothing reaches "
			     "it",
			     n->role == LW_ROLE_CLIENT ? "client" : "site",
			     n->role == LW_ROLE_CLIENT ?
				     n->name :
				     d->sites[n->site].name);
	}
}

/* ---- client routes ---- */

static void check_visits(struct lw_desc *d, const struct lw_node *n)
{
	size_t i;

	for (i = 0; i < n->n_visits; i++) {
		if (n->visits[i].kind != LW_REF_SITE)
			err(d, n->visits_line,
			    "visits names %s, which is not a site",
			    n->visits[i].name);
	}
}

/* Seed 001: a written route as specific as a LAN the client sits in. */
static void check_written_routes(struct lw_desc *d, size_t ni)
{
	const struct lw_node *n = &d->nodes[ni];
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	size_t r, s, k;

	for (r = 0; r < n->n_routes; r++) {
		for (s = 0; s < d->n_sites; s++) {
			const struct lw_site *site = &d->sites[s];

			if (!routes_client_visits(d, ni, s))
				continue;
			for (k = 0; k < site->n_lans; k++) {
				if (!prefix_contains(&site->lans[k].p,
						     &n->routes[r].p))
					continue;
				err(d, n->routes[r].line,
				    "route %s of client %s is as specific as "
				    "LAN %s of site %s, where %s may sit: on "
				    "site the tunnel route would beat the "
				    "on-link route and LAN traffic would "
				    "detour through the hub; route a shorter "
				    "prefix that covers it, or leave routes "
				    "out to have one summarised",
				    pfx(x, &n->routes[r].p), n->name,
				    pfx(y, &site->lans[k].p), site->name,
				    n->name);
			}
		}
	}
}

/* Hand-written routes should still reach every LAN the client may. */
static void check_routes_cover(struct lw_desc *d, size_t ni)
{
	const struct lw_node *n = &d->nodes[ni];
	char x[LW_PREFIX_STRLEN];
	size_t s, k, r;
	bool covered;

	for (s = 0; s < d->n_sites; s++) {
		const struct lw_site *site = &d->sites[s];

		if (!desc_talks(d, ni, site->gateway))
			continue;
		for (k = 0; k < site->n_lans; k++) {
			covered = false;
			for (r = 0; r < n->n_routes && !covered; r++)
				covered = prefix_contains(&n->routes[r].p,
							  &site->lans[k].p);
			if (!covered)
				warn(d, n->routes_line,
				     "routes of %s do not cover LAN %s of site "
				     "%s, which the policy lets %s reach",
				     n->name, pfx(x, &site->lans[k].p),
				     site->name, n->name);
		}
	}
}

static void report_conflict(struct lw_desc *d, const struct lw_node *n,
			    const struct lw_conflict *c)
{
	const struct lw_site *s = &d->sites[c->site];
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN], z[LW_PREFIX_STRLEN];
	int line = n->visits_line ? n->visits_line : n->line;

	if (c->public_space)
		err(d, line,
		    "client %s may sit in site %s, whose LAN %s is public "
		    "address space that no wider route may cover: on site, "
		    "its traffic would detour through the hub; leave %s out "
		    "of visits, or write routes by hand",
		    n->name, s->name, pfx(x, &s->lans[c->lan].p), s->name);
	else if (!c->has_blocker)
		err(d, line,
		    "client %s may sit in site %s, whose LAN %s is the whole "
		    "private block %s, so no wider private route can cover "
		    "it: on site, its traffic would detour through the hub; "
		    "leave %s out of visits, or write routes by hand",
		    n->name, s->name, pfx(x, &s->lans[c->lan].p),
		    pfx(y, &c->block), s->name);
	else
		err(d, line,
		    "client %s may sit in site %s, but no prefix wider than "
		    "its LAN %s fits in %s without covering %s: on site, LAN "
		    "traffic would detour through the hub; leave %s out of "
		    "visits, or write routes by hand",
		    n->name, s->name, pfx(x, &s->lans[c->lan].p),
		    pfx(y, &c->block), pfx(z, &c->blocker), s->name);
}

static void check_client_routes(struct lw_desc *d, size_t ni)
{
	const struct lw_node *n = &d->nodes[ni];
	struct lw_plist l = { 0 };
	struct lw_conflict c;

	check_visits(d, n);
	if (n->n_routes) {
		check_written_routes(d, ni);
		check_routes_cover(d, ni);
		return;
	}
	if (routes_client_summary(d, ni, &l, &c) == 1)
		report_conflict(d, n, &c);
	plist_free(&l);
}

static void check_clients(struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].role == LW_ROLE_CLIENT)
			check_client_routes(d, i);
	}
}

unsigned int check_desc(struct lw_desc *d)
{
	if (d->syntax_failed)
		return d->n_errors;
	check_network(d);
	check_mtu(d);
	check_names(d);
	check_hubs(d);
	check_addresses(d);
	check_sites(d);
	check_policy(d);
	check_clients(d);
	check_hints(d);
	return d->n_errors;
}

/* ---- keys ---- */

static void check_duplicate_key(struct lw_desc *d, const struct lw_keyring *kr,
				size_t i)
{
	const struct lw_node *n = &d->nodes[i];
	size_t j;

	for (j = 0; j < i; j++) {
		const struct lw_node *m = &d->nodes[j];
		int mline = kr->nodes[j].on_device ? m->public_key_line :
						     m->line;

		if (!kr->nodes[j].has_public ||
		    !crypto_equal(kr->nodes[j].public_key,
				  kr->nodes[i].public_key, LW_KEY_LEN))
			continue;
		if (kr->nodes[i].on_device)
			err(d, n->public_key_line,
			    "public key of %s is the same as %s's (line %d); "
			    "each node needs its own key: fix public-key",
			    n->name, m->name, mline);
		else
			err(d, n->line,
			    "public key of %s is the same as %s's (line %d); "
			    "each node needs its own key: delete %s and run "
			    "lanwire keys",
			    n->name, m->name, mline, kr->nodes[i].private_path);
		return;
	}
}

unsigned int check_keys(struct lw_desc *d, const struct lw_keyring *kr,
			bool warn_missing)
{
	unsigned int missing = 0;
	uint8_t zero[LW_KEY_LEN] = { 0 };
	size_t i;

	for (i = 0; i < d->n_nodes && i < kr->n_nodes; i++) {
		if (!kr->nodes[i].has_public) {
			missing++;
			continue;
		}
		if (kr->nodes[i].on_device &&
		    crypto_equal(kr->nodes[i].public_key, zero, LW_KEY_LEN))
			err(d, d->nodes[i].public_key_line,
			    "public-key of %s is all zero; paste the key the "
			    "device made (wg pubkey)",
			    d->nodes[i].name);
		else
			check_duplicate_key(d, kr, i);
	}
	for (i = 0; i < kr->n_psks; i++)
		missing += !kr->psks[i].present;
	if (missing && warn_missing)
		warn(d, 0, "%u keys are missing in %s; lanwire keys makes them",
		     missing, kr->dir);
	return d->n_errors;
}
