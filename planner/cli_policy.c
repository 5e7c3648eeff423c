// SPDX-License-Identifier: MIT
/*
 * lanwire policy [NODE]: the effective policy, from the firewall model
 * the renderers format (policy.c). Without NODE, each rule: who may open
 * what (the addresses its names stand for, protocols and ports) and at
 * which nodes and chains it is enforced, then the defaults. With NODE,
 * that node's table chain by chain, as its nft file or PostUp lines carry
 * it. Reads only the description: no keys needed.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "desc.h"
#include "policy.h"
#include "svc.h"

static const char *const chain_names[] = {
	[LW_FW_FORWARD] = "forward",
	[LW_FW_INPUT] = "input",
	[LW_FW_OUTPUT] = "output",
};

static const char *side_text(enum lw_fw_side s)
{
	switch (s) {
	case LW_FW_RELAY:
		return "relayed spoke to spoke";
	case LW_FW_FROM_TUNNEL:
		return "from the tunnel";
	case LW_FW_FROM_LAN:
		return "from its LAN";
	case LW_FW_TO_TUNNEL:
		return "into the tunnel";
	}
	return "";
}

static void put_prefixes(struct lw_buf *b, const struct lw_prefix *v,
			 size_t n)
{
	char text[LW_PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < n; i++) {
		prefix_format_nft(text, sizeof(text), &v[i]);
		buf_printf(b, "%s%s", i ? ", " : "", text);
	}
	if (!n)
		buf_puts(b, "nothing");
}

static void put_rule_text(struct lw_buf *b, const struct lw_rule *r)
{
	buf_printf(b, "%s%s", r->is_service ? "" : "allow = ", r->text);
}

/* The addresses one side of a rule stands for. */
static int side_addrs(const struct lw_desc *d, const struct lw_ref *v,
		      size_t n, bool as_source, struct lw_buf *b)
{
	struct lw_plist l = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (policy_ref_addrs(d, &v[i], as_source, &l)) {
			plist_free(&l);
			return -1;
		}
	}
	put_prefixes(b, l.v, l.n);
	plist_free(&l);
	return 0;
}

static void put_direction(const struct lw_desc *d, const struct lw_rule *r,
			  bool reverse, struct lw_buf *b)
{
	buf_puts(b, reverse ? "    and from " : "    from ");
	side_addrs(d, reverse ? r->to : r->from,
		   reverse ? r->n_to : r->n_from, true, b);
	buf_puts(b, reverse ? "\n    to       " : "\n    to   ");
	side_addrs(d, reverse ? r->from : r->to,
		   reverse ? r->n_from : r->n_to, false, b);
	buf_puts(b, "\n");
}

/* Where rule ri is enforced: node (chain, side) for every firewall rule
 * made from it, once each. */
static void put_enforced(const struct lw_desc *d,
			 const struct lw_firewall *fws, const struct lw_rule *r,
			 struct lw_buf *b)
{
	size_t n, i, k = 0;

	buf_puts(b, "    enforced at:");
	for (n = 0; n < d->n_nodes; n++) {
		unsigned int seen = 0;

		for (i = 0; i < fws[n].n_rules; i++) {
			const struct lw_fw_rule *f = &fws[n].rules[i];
			unsigned int bit = 1u << (f->chain * 4 + f->side);

			if (f->rule != r || (seen & bit))
				continue;
			seen |= bit;
			buf_printf(b, "%s %s %s (%s)", k++ ? "," : "",
				   d->nodes[n].name, chain_names[f->chain],
				   side_text(f->side));
		}
	}
	buf_puts(b, k ? "\n" : " nowhere: no node can see this traffic\n");
}

static void put_defaults(const struct lw_desc *d, struct lw_buf *b)
{
	size_t i, k = 0;

	buf_puts(b, "\nEverything else is refused:\n"
		    "  hubs      drop what the tunnel relays, what it sends "
		    "them, and their own new connections into it\n"
		    "  gateways  drop what the tunnel sends into their LANs "
		    "or to them, what their LANs open into the tunnel, and "
		    "what their LANs send to their tunnel addresses\n"
		    "  clients   with os = linux drop what the tunnel sends "
		    "them (PostUp table); ");
	for (i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].role == LW_ROLE_CLIENT &&
		    d->nodes[i].os_other)
			buf_printf(b, "%s%s", k++ ? ", " : "os = other (",
				   d->nodes[i].name);
	}
	buf_puts(b, k ? ") are guarded by their hub only\n" :
			"no client has os = other\n");
	buf_puts(b, "Replies (established, related: ICMP errors, PMTU) pass "
		    "everywhere; WireGuard's own UDP, and the nodes' other "
		    "interfaces (the hub's public side, a gateway's LAN "
		    "address) are not filtered.\n");
}

static void print_overview(const struct lw_desc *d,
			   const struct lw_firewall *fws)
{
	struct lw_buf b = { 0 };
	size_t i;

	buf_printf(&b, "policy of %s: who may open connections to what, and "
		       "where it is enforced\n",
		   d->net.name);
	for (i = 0; i < d->n_rules; i++) {
		const struct lw_rule *r = &d->rules[i];

		buf_printf(&b, "\nline %d: ", r->line);
		if (r->is_service)
			buf_printf(&b, "%s: ", d->nodes[r->to[0].index].name);
		put_rule_text(&b, r);
		buf_puts(&b, "\n    ");
		svc_format(&b, r->svcs, r->n_svcs);
		buf_puts(&b, "\n");
		put_direction(d, r, false, &b);
		if (r->both)
			put_direction(d, r, true, &b);
		put_enforced(d, fws, r, &b);
	}
	if (!d->n_rules)
		buf_puts(&b, "\nno rules: nothing may open connections\n");
	put_defaults(d, &b);
	fputs(buf_str(&b) ? buf_str(&b) : "out of memory\n", stdout);
	buf_free(&b);
}

/* What the chain's tail drops (render_nft.c writes the same). */
static void put_drops(struct lw_buf *b, const struct lw_firewall *fw,
		      enum lw_fw_chain c)
{
	switch (c) {
	case LW_FW_FORWARD:
		buf_puts(b, "    drop the rest from or into the tunnel\n");
		break;
	case LW_FW_INPUT:
		buf_puts(b, "    drop the rest from the tunnel\n");
		if (!fw->n_guard_addrs)
			break;
		buf_puts(b, "    drop what other interfaces send to ");
		put_prefixes(b, fw->guard_addrs, fw->n_guard_addrs);
		buf_puts(b, "\n");
		break;
	case LW_FW_OUTPUT:
		buf_puts(b, "    drop other new connections into the tunnel\n");
		break;
	}
}

static void print_node(const struct lw_desc *d, size_t node,
		       const struct lw_firewall *fw)
{
	struct lw_buf b = { 0 };
	char role[96];
	size_t i;
	int c;

	buf_printf(&b, "%s (%s)", d->nodes[node].name,
		   desc_node_role(d, node, role, sizeof(role)));
	if (!fw->has_table) {
		buf_printf(&b, ": os = other, no table of its own; its hub "
			       "drops what the policy does not allow\n");
		goto out;
	}
	buf_printf(&b, ": table inet %s on %s\n", LW_NFT_TABLE,
		   desc_node_iface(d, node));
	for (c = LW_FW_FORWARD; c <= LW_FW_OUTPUT; c++) {
		if ((c == LW_FW_FORWARD && !fw->forward) ||
		    (c == LW_FW_OUTPUT && !fw->output))
			continue;
		buf_printf(&b, "  %s:\n", chain_names[c]);
		for (i = 0; i < fw->n_rules; i++) {
			const struct lw_fw_rule *f = &fw->rules[i];

			if ((int)f->chain != c)
				continue;
			buf_printf(&b, "    accept %s: ", side_text(f->side));
			put_prefixes(&b, f->src, f->n_src);
			buf_puts(&b, " -> ");
			put_prefixes(&b, f->dst, f->n_dst);
			buf_puts(&b, " ");
			svc_format(&b, f->svcs, f->n_svcs);
			buf_printf(&b, "  (line %d)\n", f->rule->line);
		}
		put_drops(&b, fw, (enum lw_fw_chain)c);
	}
out:
	fputs(buf_str(&b) ? buf_str(&b) : "out of memory\n", stdout);
	buf_free(&b);
}

static int policy_all(const struct lw_desc *d, ssize_t only)
{
	struct lw_firewall *fws = calloc(d->n_nodes + 1, sizeof(*fws));
	size_t i;
	int r = 0;

	if (!fws)
		return cli_fail("out of memory");
	for (i = 0; !r && i < d->n_nodes; i++)
		r = policy_firewall(d, i, &fws[i]);
	if (r)
		r = cli_fail("out of memory");
	else if (only >= 0)
		print_node(d, (size_t)only, &fws[only]);
	else
		print_overview(d, fws);
	for (i = 0; i < d->n_nodes; i++)
		policy_free(&fws[i]);
	free(fws);
	return r;
}

int cmd_policy(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = { COMMON_OPTS, { 0 } };
	struct lw_desc d;
	ssize_t node = -1;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("policy");
		if (!cli_common_opt(c, ch))
			return cli_usage_error("policy", "unknown option");
	}
	if (argc - optind > 1)
		return cli_usage_error("policy", "names at most one node");
	if (desc_load(&d, c->file) == -ENOMEM)
		return cli_fail("out of memory");
	check_desc(&d);
	desc_print_diags(&d, stderr);
	r = d.n_errors ? LW_EXIT_DESC : 0;
	if (!r && optind < argc) {
		node = desc_find_node(&d, argv[optind]);
		if (node < 0)
			r = cli_fail("no node or site %s in %s", argv[optind],
				     c->file);
	}
	if (!r)
		r = policy_all(&d, node);
	desc_free(&d);
	return r;
}
