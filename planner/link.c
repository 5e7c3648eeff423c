// SPDX-License-Identifier: MIT
/*
 * The link step after parsing (desc_link): spokes find their hub (named,
 * else the first hub), clients make their groups, policy and visits names
 * resolve to sites, nodes or groups, and the policy becomes one matrix of
 * "party a may open connections to party b" over node indices. Unknown
 * names stay LW_REF_UNKNOWN for check.c to report. Also the lookups the
 * rest of the planner asks the model.
 */
#include "desc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ---- linking names ---- */

ssize_t desc_find_site(const struct lw_desc *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_sites; i++) {
		if (!strcmp(d->sites[i].name, name))
			return (ssize_t)i;
	}
	return -1;
}

ssize_t desc_find_node(const struct lw_desc *d, const char *name)
{
	ssize_t s;
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		if (!strcmp(d->nodes[i].name, name))
			return (ssize_t)i;
	}
	s = desc_find_site(d, name);
	return s < 0 ? -1 : (ssize_t)d->sites[s].gateway;
}

static ssize_t find_group(const struct lw_desc *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_groups; i++) {
		if (!strcmp(d->groups[i].name, name))
			return (ssize_t)i;
	}
	return -1;
}

/* SITE:NAME: the prefix of the site's host = NAME line, if there is one
 * (check.c reports it otherwise). */
static void link_host(const struct lw_site *s, struct lw_ref *r)
{
	size_t k;

	for (k = 0; r->host && k < s->n_hosts; k++) {
		if (!strcmp(s->hosts[k].name, r->host)) {
			r->has_prefix = true;
			r->prefix = s->hosts[k].p;
		}
	}
}

static void link_ref(const struct lw_desc *d, struct lw_ref *r)
{
	ssize_t i;

	if (r->itself) /* a service line: resolved when parsed */
		return;
	i = desc_find_site(d, r->name);
	if (i >= 0) {
		r->kind = LW_REF_SITE;
		r->index = (size_t)i;
		link_host(&d->sites[i], r);
		return;
	}
	i = desc_find_node(d, r->name);
	if (i >= 0) {
		const struct lw_node *n = &d->nodes[i];
		bool gw = n->role == LW_ROLE_GATEWAY;

		r->kind = gw ? LW_REF_SITE : LW_REF_NODE;
		r->index = gw ? n->site : (size_t)i;
		if (gw)
			link_host(&d->sites[n->site], r);
		return;
	}
	i = find_group(d, r->name);
	r->kind = i >= 0 ? LW_REF_GROUP : LW_REF_UNKNOWN;
	r->index = i >= 0 ? (size_t)i : 0;
}

static void link_hubs(struct lw_desc *d)
{
	ssize_t first = -1, h;
	size_t i;

	for (i = 0; i < d->n_nodes && first < 0; i++) {
		if (d->nodes[i].role == LW_ROLE_HUB)
			first = (ssize_t)i;
	}
	for (i = 0; i < d->n_nodes; i++) {
		struct lw_node *n = &d->nodes[i];

		if (n->role == LW_ROLE_HUB)
			continue;
		h = n->hub_name ? desc_find_node(d, n->hub_name) : first;
		n->has_hub = h >= 0 && d->nodes[h].role == LW_ROLE_HUB;
		n->hub = n->has_hub ? (size_t)h : 0;
	}
}

static int link_groups(struct lw_desc *d)
{
	struct lw_group *g;
	ssize_t gi;
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		struct lw_node *n = &d->nodes[i];

		if (!n->group)
			continue;
		gi = find_group(d, n->group);
		if (gi < 0) {
			if (lw_grow(&d->groups, &d->cap_groups,
				    d->n_groups + 1, sizeof(*d->groups)))
				return -ENOMEM;
			g = &d->groups[d->n_groups];
			g->name = strdup(n->group);
			if (!g->name)
				return -ENOMEM;
			g->line = n->group_line;
			gi = (ssize_t)d->n_groups++;
		}
		g = &d->groups[gi];
		if (lw_grow(&g->members, &g->cap_members, g->n_members + 1,
			    sizeof(*g->members)))
			return -ENOMEM;
		g->members[g->n_members++] = i;
		n->group_index = (size_t)gi;
	}
	return 0;
}

void desc_party_set(const struct lw_desc *d, const struct lw_ref *refs,
		    size_t n, uint8_t *set)
{
	const struct lw_group *g;
	size_t i, m;

	for (i = 0; i < n; i++) {
		switch (refs[i].kind) {
		case LW_REF_NODE:
			set[refs[i].index] = 1;
			break;
		case LW_REF_SITE:
			set[d->sites[refs[i].index].gateway] = 1;
			break;
		case LW_REF_GROUP:
			g = &d->groups[refs[i].index];
			for (m = 0; m < g->n_members; m++)
				set[g->members[m]] = 1;
			break;
		case LW_REF_UNKNOWN:
			break;
		}
	}
}

static void open_pairs(struct lw_desc *d, const uint8_t *from,
		       const uint8_t *to)
{
	size_t a, b, n = d->n_nodes;

	for (a = 0; a < n; a++) {
		for (b = 0; b < n && from[a]; b++) {
			if (to[b] && a != b)
				d->open[a * n + b] = 1;
		}
	}
}

static int build_open(struct lw_desc *d)
{
	size_t n = d->n_nodes, i;
	uint8_t *from, *to;

	d->open = calloc(n ? n * n : 1, 1);
	from = calloc(n ? n : 1, 1);
	to = calloc(n ? n : 1, 1);
	if (!d->open || !from || !to)
		goto fail;
	for (i = 0; i < d->n_rules; i++) {
		const struct lw_rule *r = &d->rules[i];

		memset(from, 0, n);
		memset(to, 0, n);
		desc_party_set(d, r->from, r->n_from, from);
		desc_party_set(d, r->to, r->n_to, to);
		open_pairs(d, from, to);
		if (r->both)
			open_pairs(d, to, from);
	}
	free(from);
	free(to);
	return 0;
fail:
	free(from);
	free(to);
	return -ENOMEM;
}

int desc_link(struct lw_desc *d)
{
	size_t i, j;

	link_hubs(d);
	if (link_groups(d))
		return -ENOMEM;
	for (i = 0; i < d->n_rules; i++) {
		for (j = 0; j < d->rules[i].n_from; j++)
			link_ref(d, &d->rules[i].from[j]);
		for (j = 0; j < d->rules[i].n_to; j++)
			link_ref(d, &d->rules[i].to[j]);
	}
	for (i = 0; i < d->n_nodes; i++) {
		for (j = 0; j < d->nodes[i].n_visits; j++)
			link_ref(d, &d->nodes[i].visits[j]);
	}
	return build_open(d);
}

bool desc_are_peers(const struct lw_desc *d, size_t a, size_t b)
{
	const struct lw_node *x = &d->nodes[a], *y = &d->nodes[b];

	if (a == b)
		return false;
	if (x->role == LW_ROLE_HUB && y->role == LW_ROLE_HUB)
		return true;
	if (x->role != LW_ROLE_HUB && x->has_hub && x->hub == b)
		return true;
	return y->role != LW_ROLE_HUB && y->has_hub && y->hub == a;
}

bool desc_may_open(const struct lw_desc *d, size_t a, size_t b)
{
	return d->open && d->open[a * d->n_nodes + b];
}

bool desc_talks(const struct lw_desc *d, size_t a, size_t b)
{
	return desc_may_open(d, a, b) || desc_may_open(d, b, a);
}

const char *desc_node_iface(const struct lw_desc *d, size_t node)
{
	const struct lw_node *n = &d->nodes[node];

	return n->iface[0] ? n->iface : d->net.iface;
}

const char *desc_node_role(const struct lw_desc *d, size_t node, char *buf,
			   size_t size)
{
	const struct lw_node *n = &d->nodes[node];

	if (n->role == LW_ROLE_HUB)
		return "hub";
	if (n->role == LW_ROLE_CLIENT)
		return "client";
	snprintf(buf, size, "gateway of site %s", d->sites[n->site].name);
	return buf;
}

