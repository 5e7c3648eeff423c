// SPDX-License-Identifier: MIT
/*
 * Semantic checks of names and references (check_int.h): names shared
 * by two parties, hubs (an endpoint each, spokes naming real hubs), and
 * what the policy's rules name (sites, clients, groups, hubs, SITE:HOST
 * and SITE:PREFIX), with parties no rule reaches.
 */
#include "check_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

/* A name and what holds it: check_names() allocates the array and frees
 * it; the strings point into the lw_desc. */
struct named {
	const char *name, *what;
	int line;
};

static size_t collect_names(const struct lw_desc *d, struct named *v)
{
	size_t i, n = 0;

	/* first, so that a node reusing a revoked name is the one blamed */
	for (i = 0; i < d->n_revoked; i++)
		v[n++] = (struct named){ d->revoked[i].name, "revoked node",
					 d->revoked[i].line };
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

void check_names(struct lw_desc *d)
{
	struct named *v;
	size_t i, j, n;

	v = calloc(d->n_revoked + d->n_nodes + d->n_sites + d->n_groups + 1,
		   sizeof(*v));
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

void check_hubs(struct lw_desc *d)
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

void check_policy(struct lw_desc *d)
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
