// SPDX-License-Identifier: MIT
/*
 * The policy's syntax, for desc.c's parser (desc_parser.h): allow rules
 * (FROM -> TO or A <-> B, sides of names, SITE:ADDRESS, SITE:PREFIX and
 * SITE:NAME, then protocols and ports: svc.c), the service and ssh lines
 * of [hub] and [site] sections (rules whose destination is the node
 * itself), and the host = NAME ADDRESS lines of a [site].
 */
#include "desc_parser.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "svc.h"

/* ---- rules and their sides ---- */

/* One side of a rule being parsed. */
struct rule_side_arg {
	struct lw_ref **v;
	size_t *n, cap;
};

/* SITE:NAME, a host = line of the site, resolved when linking. */
static void put_host_ref(struct parser *p, const char *item,
			 const char *colon, struct rule_side_arg *a)
{
	char *name = strndup(item, (size_t)(colon - item));
	size_t n = *a->n;

	if (!name) {
		p->oom = true;
		return;
	}
	put_ref(p, name, a->v, a->n, &a->cap);
	if (*a->n > n && !((*a->v)[n].host = strdup(colon + 1)))
		p->oom = true;
	free(name);
}

/* NAME, SITE:PREFIX (hosts of a site's LANs) or SITE:NAME. */
static void put_rule_ref(struct parser *p, const char *item, void *arg)
{
	struct rule_side_arg *a = arg;
	const char *colon = strchr(item, ':');
	struct lw_prefix pfx;
	char *name;
	int r;

	if (!colon) {
		put_ref(p, item, a->v, a->n, &a->cap);
		return;
	}
	r = prefix_parse(&pfx, colon + 1, false);
	if (r == -EINVAL && desc_name_ok(colon + 1)) {
		put_host_ref(p, item, colon, a);
		return;
	}
	if (r == -EDOM) {
		char fixed[LW_PREFIX_STRLEN];

		prefix_truncate(&pfx, pfx.len);
		prefix_format(fixed, sizeof(fixed), &pfx);
		perr(p, "%s has host bits set; write %.*s:%s", item,
		     (int)(colon - item), item, fixed);
		return;
	}
	if (r) {
		perr(p, "'%s' is not SITE:ADDRESS or SITE:PREFIX such as "
			"branch:192.168.20.5 or branch:192.168.20.0/28",
		     item);
		return;
	}
	name = strndup(item, (size_t)(colon - item));
	if (!name) {
		p->oom = true;
		return;
	}
	put_ref(p, name, a->v, a->n, &a->cap);
	if (*a->n && !strcmp((*a->v)[*a->n - 1].name, name)) {
		(*a->v)[*a->n - 1].has_prefix = true;
		(*a->v)[*a->n - 1].prefix = pfx;
	}
	free(name);
}

/* The protocol words after a rule's destinations, into r->svcs. */
static void put_rule_svcs(struct parser *p, struct lw_rule *r,
			  const char *specs)
{
	char *copy = strdup(specs), *rest = copy, *tok, err[200];
	int e;

	if (!copy) {
		p->oom = true;
		return;
	}
	while ((tok = strsep(&rest, " \t")) != NULL) {
		if (!*tok)
			continue;
		e = svc_parse(tok, &r->svcs, &r->n_svcs, &r->cap_svcs, err,
			      sizeof(err));
		if (e == -ENOMEM)
			p->oom = true;
		else if (e)
			perr(p, "%s", err);
	}
	free(copy);
}

/* A new rule for line v of the current section; NULL on oom. */
static struct lw_rule *new_rule(struct parser *p, const char *v)
{
	struct lw_desc *d = p->d;
	struct lw_rule *r;

	if (lw_grow(&d->rules, &d->cap_rules, d->n_rules + 1,
		    sizeof(*d->rules))) {
		p->oom = true;
		return NULL;
	}
	r = &d->rules[d->n_rules++];
	r->line = p->line;
	r->text = strdup(v);
	if (!r->text) {
		p->oom = true;
		return NULL;
	}
	return r;
}

void policy_allow(struct parser *p, const char *v)
{
	struct rule_side_arg from, to;
	const char *arrow = strstr(v, "<->");
	struct lw_rule *r;
	size_t alen = 3, specs;
	char *left, *right;

	if (!arrow) {
		arrow = strstr(v, "->");
		alen = 2;
	}
	if (!arrow) {
		perr(p, "allow needs FROM -> TO or A <-> B, not '%s'", v);
		return;
	}
	r = new_rule(p, v);
	if (!r)
		return;
	r->both = alen == 3;
	left = strndup(v, (size_t)(arrow - v));
	right = strdup(arrow + alen);
	if (!left || !right) {
		free(left);
		free(right);
		p->oom = true;
		return;
	}
	specs = svc_split(right);
	put_rule_svcs(p, r, right + specs);
	right[specs] = '\0';
	from = (struct rule_side_arg){ &r->from, &r->n_from, 0 };
	to = (struct rule_side_arg){ &r->to, &r->n_to, 0 };
	for_each_item(p, "allow", left, put_rule_ref, &from);
	for_each_item(p, "allow", right, put_rule_ref, &to);
	free(left);
	free(right);
}

/* ---- services a hub or gateway offers itself ---- */

/* A rule whose destination is the current node itself. */
static struct lw_rule *service_rule(struct parser *p, const char *v)
{
	struct lw_rule *r = new_rule(p, v);
	struct lw_ref *self;

	if (!r)
		return NULL;
	r->is_service = true;
	r->to = calloc(1, sizeof(*r->to));
	self = r->to;
	if (!self || !(self->name = strdup(cur_node(p)->name))) {
		p->oom = true;
		return NULL;
	}
	self->kind = LW_REF_NODE;
	self->index = p->node;
	self->itself = true;
	r->n_to = 1;
	return r;
}

/* service = PROTO/PORTS ... -> WHO, ... */
void node_service(struct parser *p, const char *v)
{
	const char *arrow = strstr(v, "->");
	struct rule_side_arg from;
	struct lw_rule *r;
	char *specs;

	if (!arrow || strstr(v, "<->")) {
		perr(p, "service needs PROTO/PORTS -> WHO, such as "
			"tcp/22 -> admins, not '%s'",
		     v);
		return;
	}
	r = service_rule(p, v);
	specs = strndup(v, (size_t)(arrow - v));
	if (!r || !specs) {
		free(specs);
		p->oom = true;
		return;
	}
	put_rule_svcs(p, r, specs);
	free(specs);
	if (!r->n_svcs)
		perr(p, "service names no protocol before '->'; write "
			"tcp/22 -> WHO, or allow everything with an allow "
			"rule");
	from = (struct rule_side_arg){ &r->from, &r->n_from, 0 };
	for_each_item(p, "service", arrow + 2, put_rule_ref, &from);
}

/* ssh = WHO, ...: service = tcp/22 -> WHO, ... */
void node_ssh(struct parser *p, const char *v)
{
	struct rule_side_arg from;
	struct lw_rule *r = service_rule(p, v);
	char err[200];

	if (!r)
		return;
	free(r->text);
	if (asprintf(&r->text, "ssh = %s", v) < 0)
		r->text = NULL;
	if (!r->text ||
	    svc_parse("tcp/22", &r->svcs, &r->n_svcs, &r->cap_svcs, err,
		      sizeof(err))) {
		p->oom = true;
		return;
	}
	from = (struct rule_side_arg){ &r->from, &r->n_from, 0 };
	for_each_item(p, "ssh", v, put_rule_ref, &from);
}

/* host = NAME ADDRESS|PREFIX */
void site_host(struct parser *p, const char *v)
{
	struct lw_site *s = cur_site(p);
	size_t nl = strcspn(v, " \t"), i;
	const char *addr = v + nl + strspn(v + nl, " \t");
	struct lw_host h = { .line = p->line };
	char fixed[LW_PREFIX_STRLEN];
	int r;

	h.name = strndup(v, nl);
	if (!h.name) {
		p->oom = true;
		return;
	}
	r = prefix_parse(&h.p, addr, false);
	if (!desc_name_ok(h.name) || !*addr || strpbrk(addr, " \t")) {
		perr(p, "host needs NAME ADDRESS or NAME PREFIX, such as "
			"web 192.168.20.5, not '%s'", v);
	} else if (r == -EDOM) {
		prefix_truncate(&h.p, h.p.len);
		prefix_format(fixed, sizeof(fixed), &h.p);
		perr(p, "host %s %s has host bits set; write %s %s", h.name,
		     addr, h.name, fixed);
	} else if (r) {
		perr(p, "host %s: '%s' is not an address or prefix", h.name,
		     addr);
	} else {
		for (i = 0; i < s->n_hosts; i++) {
			if (strcmp(s->hosts[i].name, h.name))
				continue;
			perr(p, "host %s is given twice in site %s (first on "
				"line %d); keep one",
			     h.name, s->name, s->hosts[i].line);
			goto out;
		}
		if (lw_grow(&s->hosts, &s->cap_hosts, s->n_hosts + 1,
			    sizeof(*s->hosts))) {
			p->oom = true;
			goto out;
		}
		s->hosts[s->n_hosts++] = h;
		return;
	}
out:
	free(h.name);
}

