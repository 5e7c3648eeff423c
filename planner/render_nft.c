// SPDX-License-Identifier: MIT
/*
 * The policy as an nftables ruleset, for the hub and every gateway: one
 * table, inet lanwire, so that "nft delete table inet lanwire" removes
 * exactly what "nft -f IFACE.nft" added (the file replaces an older table
 * of the same name atomically). Default deny for the tunnel, stateful:
 *
 *   forward: established/related accepted first; then for each allowed
 *            direction a rule accepting new connections (on a hub: relayed
 *            from the tunnel back into it; on a gateway: from the tunnel
 *            into the site's LANs); then everything else from the tunnel
 *            is dropped (on a hub, everything into it from elsewhere too).
 *   postrouting (masquerading gateways): sources that may open
 *            connections into the LAN are rewritten to the gateway's LAN
 *            address, as seed 001's MASQUERADE rule.
 *
 * A node's own traffic (input/output) is left alone: the table filters
 * what the node forwards.
 */
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "desc.h"
#include "routes.h"

struct nft {
	const struct lw_node_plan *pl;
	struct lw_buf *b;
	char **lines; /* emitted accept lines, to skip repeats */
	size_t n_lines, cap_lines;
	bool oom;
};

static const char *nft_family(unsigned int fi)
{
	return fi ? "ip6" : "ip";
}

/* "a" or "{ a, b }" of the family-fi prefixes in l; false if none. */
static bool put_set(struct lw_buf *b, const struct lw_plist *l,
		    unsigned int fi)
{
	char text[LW_PREFIX_STRLEN];
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += family_index(l->v[i].family) == fi;
	if (!n)
		return false;
	if (n > 1)
		buf_puts(b, "{ ");
	for (i = 0, n = 0; i < l->n; i++) {
		if (family_index(l->v[i].family) != fi)
			continue;
		prefix_format_nft(text, sizeof(text), &l->v[i]);
		buf_printf(b, "%s%s", n++ ? ", " : "", text);
	}
	if (n > 1)
		buf_puts(b, " }");
	return true;
}

/* The addresses of every party marked in set, except skip. */
static int party_addrs(const struct lw_desc *d, const uint8_t *set,
		       size_t skip, struct lw_plist *out)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		if (set[i] && i != skip && routes_party(d, i, out))
			return -ENOMEM;
	}
	return 0;
}

static int site_lans(const struct lw_site *s, struct lw_plist *out)
{
	size_t i;

	for (i = 0; i < s->n_lans; i++) {
		if (plist_add(out, &s->lans[i].p))
			return -ENOMEM;
	}
	return 0;
}

/* Keeps line unless it was emitted before; true if kept. */
static bool remember(struct nft *n, const char *line)
{
	size_t i;

	for (i = 0; i < n->n_lines; i++) {
		if (!strcmp(n->lines[i], line))
			return false;
	}
	if (lw_grow(&n->lines, &n->cap_lines, n->n_lines + 1,
		    sizeof(*n->lines)) ||
	    !(n->lines[n->n_lines] = strdup(line))) {
		n->oom = true;
		return false;
	}
	n->n_lines++;
	return true;
}

/* One accept line per family for traffic from src to dst; appended to
 * out (the rule's lines so far). */
static void accept_lines(struct nft *n, const struct lw_plist *src,
			 const struct lw_plist *dst, struct lw_buf *out)
{
	const char *ifc = n->pl->iface;
	struct lw_buf line = { 0 };
	unsigned int fi;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		buf_free(&line);
		if (n->pl->self->role == LW_ROLE_HUB)
			buf_printf(&line, "iifname \"%s\" oifname \"%s\" ", ifc,
				   ifc);
		else
			buf_printf(&line, "iifname \"%s\" ", ifc);
		buf_printf(&line, "%s saddr ", nft_family(fi));
		if (!put_set(&line, src, fi))
			continue;
		buf_printf(&line, " %s daddr ", nft_family(fi));
		if (!put_set(&line, dst, fi))
			continue;
		buf_puts(&line, " ct state new accept");
		if (!buf_str(&line))
			n->oom = true;
		else if (remember(n, buf_str(&line)))
			buf_printf(out, "\t\t%s\n", buf_str(&line));
	}
	buf_free(&line);
}

/* The lines of one direction of one rule, from the parties in from to
 * those in to, as this node enforces it. */
static int direction(struct nft *n, const uint8_t *from, const uint8_t *to,
		     struct lw_buf *out)
{
	const struct lw_node_plan *pl = n->pl;
	const struct lw_desc *d = pl->desc;
	struct lw_plist src = { 0 }, dst = { 0 };
	int r;

	if (pl->self->role == LW_ROLE_GATEWAY && !to[pl->node])
		return 0;
	r = party_addrs(d, from, pl->node, &src);
	if (!r && pl->self->role == LW_ROLE_HUB)
		r = party_addrs(d, to, pl->node, &dst);
	else if (!r)
		r = site_lans(pl->site, &dst);
	if (!r)
		accept_lines(n, &src, &dst, out);
	plist_free(&src);
	plist_free(&dst);
	return r;
}

static int put_rule(struct nft *n, const struct lw_rule *rule)
{
	const struct lw_desc *d = n->pl->desc;
	struct lw_buf lines = { 0 };
	uint8_t *from = calloc(d->n_nodes + 1, 1);
	uint8_t *to = calloc(d->n_nodes + 1, 1);
	int r = -ENOMEM;

	if (!from || !to)
		goto out;
	desc_party_set(d, rule->from, rule->n_from, from);
	desc_party_set(d, rule->to, rule->n_to, to);
	r = direction(n, from, to, &lines);
	if (!r && rule->both)
		r = direction(n, to, from, &lines);
	if (!r && lines.len) {
		buf_printf(n->b, "\t\t# allow = %s\n", rule->text);
		buf_puts(n->b, buf_str(&lines));
	}
out:
	buf_free(&lines);
	free(from);
	free(to);
	return r;
}

static int put_forward(struct nft *n)
{
	const struct lw_node_plan *pl = n->pl;
	size_t i;
	int r;

	buf_puts(n->b, "\tchain forward {\n"
		       "\t\ttype filter hook forward priority filter; "
		       "policy accept;\n"
		       "\t\tct state established,related accept\n");
	for (i = 0; i < pl->desc->n_rules; i++) {
		r = put_rule(n, &pl->desc->rules[i]);
		if (r)
			return r;
	}
	buf_printf(n->b, "\t\tiifname \"%s\" drop\n", pl->iface);
	if (pl->self->role == LW_ROLE_HUB)
		buf_printf(n->b, "\t\toifname \"%s\" drop\n", pl->iface);
	buf_puts(n->b, "\t}\n");
	return 0;
}

static void put_masquerade_lines(struct nft *n, const struct lw_plist *src,
				 const struct lw_plist *lans,
				 struct lw_buf *out)
{
	const struct lw_site *s = n->pl->site;
	unsigned int fi;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		struct lw_buf line = { 0 };

		if (s->lan_iface[0])
			buf_printf(&line, "oifname \"%s\" ", s->lan_iface);
		buf_printf(&line, "%s saddr ", nft_family(fi));
		if (put_set(&line, src, fi)) {
			buf_printf(&line, " %s daddr ", nft_family(fi));
			if (put_set(&line, lans, fi) && buf_str(&line))
				buf_printf(out, "\t\t%s masquerade\n",
					   buf_str(&line));
		}
		buf_free(&line);
	}
}

static int put_postrouting(struct nft *n)
{
	const struct lw_node_plan *pl = n->pl;
	struct lw_plist src = { 0 }, lans = { 0 };
	struct lw_buf lines = { 0 };
	int r;

	if (!pl->masquerade)
		return 0;
	r = routes_related(pl->desc, pl->node, LW_REL_OPENS_IN, &src);
	if (!r)
		r = site_lans(pl->site, &lans);
	if (!r)
		put_masquerade_lines(n, &src, &lans, &lines);
	if (!r && lines.len) {
		buf_puts(n->b, "\n\tchain postrouting {\n"
			       "\t\ttype nat hook postrouting priority srcnat; "
			       "policy accept;\n");
		buf_puts(n->b, buf_str(&lines));
		buf_puts(n->b, "\t}\n");
	}
	buf_free(&lines);
	plist_free(&src);
	plist_free(&lans);
	return r;
}

char *render_nft_ruleset(const struct lw_node_plan *pl,
			 const struct lw_render_opts *o)
{
	struct lw_buf b = { 0 };
	struct nft n = { .pl = pl, .b = &b };
	size_t i;
	int r;

	if (!pl->forwards)
		return strdup("");
	buf_puts(&b, "#!/usr/sbin/nft -f\n");
	render_header(&b, pl, o, "nftables policy");
	buf_printf(&b, "# Replaces table inet %s as a whole; nft delete table "
		       "inet %s removes it.\n",
		   LW_NFT_TABLE, LW_NFT_TABLE);
	buf_printf(&b, "table inet %s\ndelete table inet %s\n\n",
		   LW_NFT_TABLE, LW_NFT_TABLE);
	buf_printf(&b, "table inet %s {\n", LW_NFT_TABLE);
	r = put_forward(&n);
	if (!r)
		r = put_postrouting(&n);
	buf_puts(&b, "}\n");
	for (i = 0; i < n.n_lines; i++)
		free(n.lines[i]);
	free(n.lines);
	if (r || n.oom) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int render_nft(const struct lw_node_plan *pl, const struct lw_render_opts *o,
	       struct lw_files *out)
{
	struct lw_buf b = { 0 };
	char name[LW_IFNAME_MAX + 5];
	char *text;

	if (!pl->forwards)
		return 0;
	text = render_nft_ruleset(pl, o);
	if (!text)
		return -ENOMEM;
	buf_puts(&b, text);
	free(text);
	snprintf(name, sizeof(name), "%s.nft", pl->iface);
	return files_add(out, name, &b, false);
}
