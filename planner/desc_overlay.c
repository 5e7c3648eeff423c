// SPDX-License-Identifier: MIT
/*
 * The overlay's keys (docs/overlay.md), for desc.c's parser
 * (desc_parser.h): the [link A C] section and its cost, a hub's cost, a
 * site's hubs and public-address, and [network]'s link-pool, link-port
 * and link-interface. Names are resolved and costs checked later
 * (overlay.c, check_overlay.c); here only the values' syntax.
 */
#include "desc_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "buf.h"

/* ---- [link A C] ---- */

/* Copies the next blank-separated word of *s into out; false if none. */
static bool next_word(const char **s, char *out, size_t size)
{
	const char *w = *s + strspn(*s, " \t");
	size_t n = strcspn(w, " \t");

	if (!n || n >= size)
		return false;
	memcpy(out, w, n);
	out[n] = '\0';
	*s = w + n;
	return true;
}

static bool add_link(struct parser *p, const char *a, const char *c)
{
	struct lw_desc *d = p->d;
	struct lw_link_decl *l;

	if (lw_grow(&d->links, &d->cap_links, d->n_links + 1,
		    sizeof(*d->links))) {
		p->oom = true;
		return false;
	}
	l = &d->links[d->n_links];
	memset(l, 0, sizeof(*l));
	l->line = p->line;
	l->a = strdup(a);
	l->c = strdup(c);
	l->cost_ac = LW_DEFAULT_LINK_COST;
	l->cost_ca = LW_DEFAULT_LINK_COST;
	p->link = d->n_links++;
	snprintf(p->link_label, sizeof(p->link_label), "%s %s", a, c);
	if (!l->a || !l->c) {
		p->oom = true;
		return false;
	}
	return true;
}

enum section_kind open_link(struct parser *p, const char *rest)
{
	char a[LW_NAME_MAX + 2], c[LW_NAME_MAX + 2], more[2];
	const char *s = rest;

	if (!next_word(&s, a, sizeof(a)) || !next_word(&s, c, sizeof(c)) ||
	    next_word(&s, more, sizeof(more)) || *(s + strspn(s, " \t"))) {
		perr(p, "[link] names two sites: [link SITE SITE]");
		return SEC_BAD;
	}
	if (!desc_name_ok(a) || !desc_name_ok(c)) {
		name_error(p, "link's site", desc_name_ok(a) ? c : a);
		return SEC_BAD;
	}
	if (!strcmp(a, c)) {
		perr(p, "[link %s %s] links a site to itself; name two "
			"different sites",
		     a, c);
		return SEC_BAD;
	}
	return add_link(p, a, c) ? SEC_LINK : SEC_BAD;
}

/* "N" (both directions) or "N, M" (A -> C, C -> A): numbers 1..65535. */
static bool parse_cost(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > LW_MAX_COST)
		return false;
	*out = (unsigned int)v;
	return true;
}

static void link_cost(struct parser *p, const char *v)
{
	struct lw_link_decl *l = &p->d->links[p->link];
	char first[16], second[16];
	const char *comma = strchr(v, ',');
	size_t n = comma ? (size_t)(comma - v) : strlen(v);

	if (!once(p, &l->cost_line, "cost"))
		return;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	snprintf(first, sizeof(first), "%.*s", (int)(n < 15 ? n : 15), v);
	snprintf(second, sizeof(second), "%s",
		 comma ? comma + 1 + strspn(comma + 1, " \t") : first);
	if (n > 15 || !parse_cost(first, &l->cost_ac) ||
	    (comma && strchr(comma + 1, ',')) ||
	    !parse_cost(second, &l->cost_ca)) {
		perr(p, "cost must be N (both directions) or N, M (%s -> %s, "
			"%s -> %s), numbers from 1 to %d, not '%s'",
		     l->a, l->c, l->c, l->a, LW_MAX_COST, v);
		l->cost_ac = l->cost_ca = LW_DEFAULT_LINK_COST;
	}
}

const struct key_setter link_keys[] = {
	{ "cost", link_cost },
};

const size_t n_link_keys = ARRAY_SIZE(link_keys);

/* ---- [hub NAME] cost, [site NAME] hubs and public-address ---- */

void hub_cost(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	set_number(p, "cost", v, 1, LW_MAX_COST, &n->cost_line, &n->cost);
}

static void put_hub(struct parser *p, const char *item, void *arg)
{
	struct lw_node *n = cur_node(p);

	(void)arg;
	if (!strcasecmp(item, "none")) {
		n->hubs_none = true;
		return;
	}
	put_ref(p, item, &n->hubs, &n->n_hubs, &n->cap_hubs);
}

void site_hubs(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	if (!n->hubs_line)
		n->hubs_line = p->line;
	for_each_item(p, "hubs", v, put_hub, NULL);
	if (n->hubs_none && n->n_hubs)
		perr(p, "hubs = none and a hub name together; give one or "
			"the other");
}

void site_public_address(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);
	char ep[LW_HOST_MAX + 16];

	if (!once(p, &n->public_address_line, "public-address"))
		return;
	/* A host only: each link has its own port (link-port). */
	if (strchr(v, '[') || strlen(v) > LW_HOST_MAX)
		goto bad;
	snprintf(ep, sizeof(ep), strchr(v, ':') ? "[%s]:1" : "%s:1", v);
	if (lw_endpoint_parse(&n->public_address, ep))
		goto bad;
	n->public_address.port = 0;
	n->has_public_address = true;
	return;
bad:
	perr(p, "public-address '%s' is not a host name or an address "
		"(without a port: each link has its own, link-port)",
	     v);
}

/* ---- [network] ---- */

void net_link_pool(struct parser *p, const char *v)
{
	struct lw_lprefix *lp = &p->d->net.link_pool;

	if (!once(p, &lp->line, "link-pool"))
		return;
	if (prefix_parse(&lp->p, v, false) || lp->p.family != AF_INET ||
	    lp->p.len > 30) {
		memset(&lp->p, 0, sizeof(lp->p));
		perr(p, "link-pool '%s' is not an IPv4 prefix of /30 or wider "
			"(each link takes a /31 from it)",
		     v);
	}
}

void net_link_port(struct parser *p, const char *v)
{
	set_number(p, "link-port", v, 1, 65535, &p->d->net.link_port_line,
		   &p->d->net.link_port);
}

void net_link_interface(struct parser *p, const char *v)
{
	struct lw_net *net = &p->d->net;

	if (!once(p, &net->link_iface_line, "link-interface"))
		return;
	if (strlen(v) > LW_LINK_IFACE_MAX || !desc_iface_ok(v)) {
		perr(p, "link-interface '%s' is not an interface name prefix "
			"of at most %d characters (the link's number follows "
			"it)",
		     v, LW_LINK_IFACE_MAX);
		return;
	}
	snprintf(net->link_iface, sizeof(net->link_iface), "%s", v);
}
