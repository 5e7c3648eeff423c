// SPDX-License-Identifier: MIT
/*
 * The firewall model of one node (see policy.h). Each side of a rule is
 * expanded into items: a set of prefixes, the node that owns them (whose
 * chains see them as local: the gateway of a site, a client, a hub) and
 * whether they sit on that node's LAN side. A direction FROM -> TO then
 * lands on node N as:
 *
 *   hub N      forward (relay): sources and destinations owned by others
 *              input:           destinations owned by N
 *              output:          sources owned by N
 *   gateway N  forward from the tunnel: destinations on N's LAN side
 *              forward into the tunnel: sources on N's LAN side
 *              input:           destinations N itself (service lines),
 *                               from the tunnel or from N's LAN side
 *   client N   input:           destinations owned by N
 */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "desc.h"

/* Prefixes one node owns, on its LAN side or not. */
struct item {
	size_t owner;
	bool lan;
	struct lw_plist addrs;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static void items_free(struct items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++)
		plist_free(&it->v[i].addrs);
	free(it->v);
	memset(it, 0, sizeof(*it));
}

static struct item *item_new(struct items *it, size_t owner, bool lan)
{
	struct item *x;

	if (lw_grow(&it->v, &it->cap, it->n + 1, sizeof(*it->v)))
		return NULL;
	x = &it->v[it->n++];
	x->owner = owner;
	x->lan = lan;
	return x;
}

/* A node's own addresses: its tunnel addresses and, for a gateway as a
 * destination, its lan-addresses (what reaches it there is its input, not
 * its LAN's; as a source it sends from its tunnel address). */
static int node_item(struct items *it, const struct lw_desc *d, size_t n,
		     bool as_source)
{
	const struct lw_node *node = &d->nodes[n];
	struct item *x = item_new(it, n, false);
	const struct lw_lprefix *la;
	unsigned int fi;

	if (!x || plist_add_tunnel(&x->addrs, node))
		return -ENOMEM;
	if (as_source || node->role != LW_ROLE_GATEWAY)
		return 0;
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		la = &d->sites[node->site].lan_address[fi];
		if (la->p.family && plist_add(&x->addrs, &la->p))
			return -ENOMEM;
	}
	return 0;
}

/* The items of one reference (see policy_ref_addrs for what they are). */
static int ref_items(const struct lw_desc *d, const struct lw_ref *r,
		     bool as_source, struct items *it)
{
	const struct lw_group *g;
	const struct lw_site *s;
	struct item *x;
	size_t m;

	switch (r->kind) {
	case LW_REF_NODE:
		return node_item(it, d, r->index, as_source);
	case LW_REF_GROUP:
		g = &d->groups[r->index];
		for (m = 0; m < g->n_members; m++) {
			if (node_item(it, d, g->members[m], as_source))
				return -ENOMEM;
		}
		return 0;
	case LW_REF_SITE:
		s = &d->sites[r->index];
		if (as_source && !r->has_prefix &&
		    node_item(it, d, s->gateway, true))
			return -ENOMEM;
		x = item_new(it, s->gateway, true);
		if (!x)
			return -ENOMEM;
		if (r->has_prefix)
			return plist_add(&x->addrs, &r->prefix);
		return plist_add_lans(&x->addrs, s);
	case LW_REF_UNKNOWN:
		break;
	}
	return 0;
}

static int side_items(const struct lw_desc *d, const struct lw_ref *refs,
		      size_t n, bool as_source, struct items *it)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ref_items(d, &refs[i], as_source, it))
			return -ENOMEM;
	}
	return 0;
}

int policy_ref_addrs(const struct lw_desc *d, const struct lw_ref *r,
		     bool as_source, struct lw_plist *out)
{
	struct items it = { 0 };
	size_t i, k;
	int e = ref_items(d, r, as_source, &it);

	for (i = 0; !e && i < it.n; i++) {
		for (k = 0; !e && k < it.v[i].addrs.n; k++)
			e = plist_add(out, &it.v[i].addrs.v[k]);
	}
	items_free(&it);
	return e;
}

/* Which items a chain of node self takes from one side. */
enum pick {
	PICK_OTHERS,  /* owned by another node */
	PICK_OWN,     /* owned by self */
	PICK_OWN_LAN, /* owned by self, LAN side */
	PICK_OWN_NODE /* owned by self, not LAN side: self itself */
};

static bool picked(const struct item *x, size_t self, enum pick how)
{
	switch (how) {
	case PICK_OTHERS:
		return x->owner != self;
	case PICK_OWN:
		return x->owner == self;
	case PICK_OWN_LAN:
		return x->owner == self && x->lan;
	case PICK_OWN_NODE:
		return x->owner == self && !x->lan;
	}
	return false;
}

static int pick(const struct items *it, size_t self, enum pick how,
		struct lw_plist *out)
{
	size_t i, k;

	for (i = 0; i < it->n; i++) {
		if (!picked(&it->v[i], self, how))
			continue;
		for (k = 0; k < it->v[i].addrs.n; k++) {
			if (plist_add(out, &it->v[i].addrs.v[k]))
				return -ENOMEM;
		}
	}
	return 0;
}

struct dir {
	const struct lw_rule *rule;
	struct items from, to;
	size_t self;
	struct lw_firewall *fw;
};

/* Adds a rule for chain/side with the picked sources and destinations,
 * unless either is empty. */
static int put(struct dir *dr, enum lw_fw_chain chain, enum lw_fw_side side,
	       enum pick from, enum pick to)
{
	struct lw_plist src = { 0 }, dst = { 0 };
	struct lw_firewall *fw = dr->fw;
	struct lw_fw_rule *r;

	if (pick(&dr->from, dr->self, from, &src) ||
	    pick(&dr->to, dr->self, to, &dst))
		goto oom;
	if (!src.n || !dst.n) {
		plist_free(&src);
		plist_free(&dst);
		return 0;
	}
	if (lw_grow(&fw->rules, &fw->cap_rules, fw->n_rules + 1,
		    sizeof(*fw->rules)))
		goto oom;
	r = &fw->rules[fw->n_rules++];
	r->chain = chain;
	r->side = side;
	r->rule = dr->rule;
	r->src = src.v;
	r->n_src = src.n;
	r->dst = dst.v;
	r->n_dst = dst.n;
	r->svcs = dr->rule->svcs;
	r->n_svcs = dr->rule->n_svcs;
	return 0;
oom:
	plist_free(&src);
	plist_free(&dst);
	return -ENOMEM;
}

static int place(struct dir *dr, enum lw_role role)
{
	int r = 0;

	switch (role) {
	case LW_ROLE_HUB:
		r = put(dr, LW_FW_FORWARD, LW_FW_RELAY, PICK_OTHERS,
			PICK_OTHERS);
		if (!r)
			r = put(dr, LW_FW_INPUT, LW_FW_FROM_TUNNEL, PICK_OTHERS,
				PICK_OWN);
		if (!r)
			r = put(dr, LW_FW_OUTPUT, LW_FW_TO_TUNNEL, PICK_OWN,
				PICK_OTHERS);
		return r;
	case LW_ROLE_GATEWAY:
		r = put(dr, LW_FW_FORWARD, LW_FW_FROM_TUNNEL, PICK_OTHERS,
			PICK_OWN_LAN);
		if (!r)
			r = put(dr, LW_FW_FORWARD, LW_FW_TO_TUNNEL,
				PICK_OWN_LAN, PICK_OTHERS);
		if (!r)
			r = put(dr, LW_FW_INPUT, LW_FW_FROM_TUNNEL,
				PICK_OTHERS, PICK_OWN_NODE);
		if (!r)
			r = put(dr, LW_FW_INPUT, LW_FW_FROM_LAN, PICK_OWN_LAN,
				PICK_OWN_NODE);
		return r;
	case LW_ROLE_CLIENT:
		return put(dr, LW_FW_INPUT, LW_FW_FROM_TUNNEL, PICK_OTHERS,
			   PICK_OWN);
	}
	return 0;
}

/* One direction of a rule, from refs f to refs t. */
static int direction(const struct lw_desc *d, struct lw_firewall *fw,
		     size_t self, const struct lw_rule *rule,
		     const struct lw_ref *f, size_t nf, const struct lw_ref *t,
		     size_t nt)
{
	struct dir dr = { .rule = rule, .self = self, .fw = fw };
	int r = side_items(d, f, nf, true, &dr.from);

	if (!r)
		r = side_items(d, t, nt, false, &dr.to);
	if (!r)
		r = place(&dr, d->nodes[self].role);
	items_free(&dr.from);
	items_free(&dr.to);
	return r;
}

static int masquerade(const struct lw_desc *d, size_t self,
		      struct lw_firewall *fw)
{
	const struct lw_node *n = &d->nodes[self];
	struct lw_plist src = { 0 }, lans = { 0 };
	int r;

	if (n->role != LW_ROLE_GATEWAY ||
	    d->sites[n->site].ret != LW_RETURN_MASQUERADE)
		return 0;
	r = routes_related(d, self, LW_REL_OPENS_IN, &src);
	if (!r)
		r = plist_add_lans(&lans, &d->sites[n->site]);
	fw->masq_src = src.v;
	fw->n_masq_src = src.n;
	fw->masq_dst = lans.v;
	fw->n_masq_dst = lans.n;
	return r;
}

int policy_firewall(const struct lw_desc *d, size_t self,
		    struct lw_firewall *fw)
{
	const struct lw_node *n = &d->nodes[self];
	unsigned int fi;
	size_t i;
	int r = 0;

	memset(fw, 0, sizeof(*fw));
	fw->forward = n->role != LW_ROLE_CLIENT;
	fw->output = n->role == LW_ROLE_HUB;
	fw->has_table = fw->forward || !n->os_other;
	if (!fw->has_table)
		return 0;
	for (fi = 0; n->role == LW_ROLE_GATEWAY && fi < LW_FAMILIES; fi++) {
		if (n->addr[fi].p.family)
			fw->guard_addrs[fw->n_guard_addrs++] = n->addr[fi].p;
	}
	for (i = 0; !r && i < d->n_rules; i++) {
		const struct lw_rule *ru = &d->rules[i];

		r = direction(d, fw, self, ru, ru->from, ru->n_from, ru->to,
			      ru->n_to);
		if (!r && ru->both)
			r = direction(d, fw, self, ru, ru->to, ru->n_to,
				      ru->from, ru->n_from);
	}
	if (!r)
		r = masquerade(d, self, fw);
	if (r)
		policy_free(fw);
	return r;
}

void policy_free(struct lw_firewall *fw)
{
	size_t i;

	for (i = 0; i < fw->n_rules; i++) {
		free(fw->rules[i].src);
		free(fw->rules[i].dst);
	}
	free(fw->rules);
	free(fw->masq_src);
	free(fw->masq_dst);
	memset(fw, 0, sizeof(*fw));
}
