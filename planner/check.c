// SPDX-License-Identifier: MIT
/*
 * Semantic checks (see check.h), one small function per concern: here
 * the network's prefixes and MTU, and check_desc(), which runs them all;
 * names, hubs and the policy's references in check_names.c, node
 * addresses, sites and LANs in check_addr.c, client routes (the route
 * conflict of seed 001) in check_routes.c, keys in check_keys.c and the
 * warnings about what breaks later in check_hints.c. Each diagnostic
 * names the line the fix belongs on; when two lines clash, the later one
 * is blamed and the earlier one cited.
 */
#include "check_int.h"

#include <sys/socket.h>

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
	check_revoked(d);
	check_overlay(d);
	check_hints(d);
	return d->n_errors;
}
