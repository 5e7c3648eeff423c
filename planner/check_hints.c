// SPDX-License-Identifier: MIT
/*
 * Checks that warn about what works today but breaks later (see
 * check.h): implicit addresses and ports (pin.h), hub endpoints given as
 * names, a tunnel in carrier-grade NAT space, policy rules whose two
 * sides are the same party, keepalive = 0 on a gateway, and a client DNS
 * server its tunnel does not carry.
 */
#include "check.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "desc.h"
#include "pin.h"

#define warn(d, line, ...) desc_diag((d), LW_WARNING, (line), __VA_ARGS__)

/* How many names a warning lists before "and N more". */
#define LIST_MAX 6

/* One warning for every node whose address or port is still implicit:
 * at the first such node's line, naming them. */
static void check_implicit(struct lw_desc *d)
{
	struct lw_buf names = { 0 };
	size_t i, n = 0;
	int line = 0;

	for (i = 0; i < d->n_nodes; i++) {
		if (!pin_node_implicit(&d->nodes[i]))
			continue;
		if (!n++)
			line = d->nodes[i].line;
		if (n <= LIST_MAX)
			buf_printf(&names, "%s%s", n > 1 ? ", " : "",
				   d->nodes[i].name);
	}
	if (n > LIST_MAX)
		buf_printf(&names, " and %zu more", n - LIST_MAX);
	if (n)
		warn(d, line,
		     "%zu node%s (%s) %s an address or listen port the "
		     "description does not write, which can move when the "
		     "file is edited; lanwire pin writes them in",
		     n, n == 1 ? "" : "s", buf_str(&names),
		     n == 1 ? "has" : "have");
	buf_free(&names);
}

static void check_endpoint_names(struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *n = &d->nodes[i];

		if (n->role != LW_ROLE_HUB || !n->endpoint.port ||
		    n->endpoint.is_literal)
			continue;
		warn(d, n->endpoint_line,
		     "endpoint %s of hub %s is a name: lanwire cannot check "
		     "that its address lies outside every LAN and client "
		     "route, and spokes resolve it only when they start; "
		     "write the address, or keep the name's address out of "
		     "every LAN",
		     n->endpoint.host, n->name);
	}
}

/* RFC 6598's 100.64.0.0/10: carriers number NATed subscribers there. */
static void check_cgnat_tunnel(struct lw_desc *d)
{
	const struct lw_lprefix *t = &d->net.tunnel[0];
	struct lw_prefix cgnat;
	char x[LW_PREFIX_STRLEN];

	if (!t->p.family || prefix_parse(&cgnat, "100.64.0.0/10", false) ||
	    !prefix_overlaps(&t->p, &cgnat))
		return;
	prefix_format(x, sizeof(x), &t->p);
	warn(d, t->line,
	     "tunnel %s lies in 100.64.0.0/10, where carriers number "
	     "devices behind carrier NAT: a phone or gateway given such an "
	     "address by its carrier cannot reach the hub, or loses the "
	     "route to part of the tunnel; use a private prefix "
	     "(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
	     x);
}

static bool same_party(const struct lw_ref *a, const struct lw_ref *b)
{
	return a->kind == b->kind && a->index == b->index &&
	       (a->kind == LW_REF_SITE || a->kind == LW_REF_NODE);
}

/* allow = hq -> hq: a site's or a node's traffic to itself never
 * crosses the tunnel; the rule allows nothing. */
static void check_self_rule(struct lw_desc *d, const struct lw_rule *r)
{
	size_t i, j;

	for (i = 0; i < r->n_from; i++) {
		for (j = 0; j < r->n_to; j++) {
			if (!same_party(&r->from[i], &r->to[j]))
				continue;
			warn(d, r->line,
			     "allow names %s on both sides: its traffic to "
			     "itself never crosses the tunnel, so this allows "
			     "nothing; name the party %s should reach",
			     r->from[i].name, r->from[i].name);
			return;
		}
	}
}

/* keepalive = 0 on a gateway: its LAN is cut off from the tunnel once
 * the gateway's NAT mapping expires. */
static void check_gateway_keepalive(struct lw_desc *d, const struct lw_node *n)
{
	if (n->role != LW_ROLE_GATEWAY || !n->keepalive_line || n->keepalive)
		return;
	warn(d, n->keepalive_line,
	     "keepalive = 0 on gateway %s: behind NAT, nothing from the "
	     "tunnel reaches site %s once its NAT mapping expires, until "
	     "the site sends something; keep a keepalive on gateways",
	     n->name, d->sites[n->site].name);
}

/* Whether client ni's tunnel carries a: the tunnel, or a LAN it may
 * reach. */
static bool tunnel_carries(const struct lw_desc *d, size_t ni,
			   const struct lw_prefix *a)
{
	size_t s, k;

	if (prefix_contains(&d->net.tunnel[family_index(a->family)].p, a))
		return true;
	for (s = 0; s < d->n_sites; s++) {
		for (k = 0; k < d->sites[s].n_lans; k++) {
			if (prefix_contains(&d->sites[s].lans[k].p, a) &&
			    desc_may_open(d, ni, d->sites[s].gateway))
				return true;
		}
	}
	return false;
}

/* A client's DNS server its tunnel does not carry: queries go to the
 * local network instead, or nowhere. */
static void check_dns(struct lw_desc *d, size_t ni)
{
	const struct lw_node *n = &d->nodes[ni];
	const char *item = n->dns;
	struct lw_prefix a;
	char one[LW_HOST_MAX + 1];
	size_t len;

	while (item && *item) {
		len = strcspn(item, ",");
		snprintf(one, sizeof(one), "%.*s", (int)len, item);
		item += len;
		item += strspn(item, ", ");
		if (addr_parse(&a, one) || tunnel_carries(d, ni, &a))
			continue;
		warn(d, n->dns_line,
		     "dns server %s of client %s lies in neither the tunnel "
		     "nor a LAN the policy lets %s reach: its queries would "
		     "leave outside the tunnel; allow %s to reach that site, "
		     "or name a server inside",
		     one, n->name, n->name, n->name);
	}
}

void check_hints(struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		check_gateway_keepalive(d, &d->nodes[i]);
		check_dns(d, i);
	}

	check_endpoint_names(d);
	check_cgnat_tunnel(d);
	for (i = 0; i < d->n_rules; i++)
		check_self_rule(d, &d->rules[i]);
	if (!d->n_errors)
		check_implicit(d);
}
