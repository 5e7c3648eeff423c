// SPDX-License-Identifier: MIT
/*
 * The firewall model (lw_firewall, policy.c) as nftables: one table, inet
 * lanwire, so that "nft delete table inet lanwire" removes exactly what
 * "nft -f IFACE.nft" added (the file replaces an older table of the same
 * name atomically). Default deny for the tunnel, stateful; every chain
 * accepts established/related traffic first (replies, ICMP errors, PMTU):
 *
 *   forward  (hubs, gateways) the model's accept rules; then everything
 *            else from the tunnel is dropped, and everything else into
 *            it (on a gateway: what its LAN opens into the tunnel)
 *   input    (hubs, gateways) the model's accept rules; then everything
 *            else from the tunnel, and on a gateway what any other
 *            interface sends to its tunnel addresses
 *   output   (hubs) the hub's own new connections into the tunnel that
 *            the policy allows; other new ones are dropped
 *   postrouting (masquerading gateways) sources that may open
 *            connections into the LAN are rewritten to the gateway's LAN
 *            address, as seed 001's MASQUERADE rule
 *
 * On an overlay router (docs/overlay.md) "the tunnel" is the set of its
 * interfaces, the hub-and-spoke one and every link; OSPF and BFD are
 * accepted on the links in and out. A hub forwards between links
 * statelessly: with asymmetric costs it sees one direction of a flow,
 * and a ct state rule would drop the other. It lets through what the
 * model's relay rules allow (source to destination, protocol and
 * destination ports) and their replies matched backwards (source ports;
 * tcp but a SYN without ACK; icmp echo replies), and drops and counts
 * the rest between links; the site gateways at both ends see both
 * directions and keep the stateful policy.
 *
 * Linux clients get the input chain as wg-quick PostUp commands
 * (render_wgquick.c, through render_fw_rule_lines). WireGuard's own UDP
 * never crosses the tunnel interface and is not touched. This file only
 * formats; what is allowed where is policy.c's.
 */
#include "render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "svc.h"

static const char *nft_family(unsigned int fi)
{
	return fi ? "ip6" : "ip";
}

/* "a" or "{ a, b }" of the family-fi prefixes in v; false if none. */
static bool put_set(struct lw_buf *b, const struct lw_prefix *v, size_t nv,
		    unsigned int fi)
{
	char text[LW_PREFIX_STRLEN];
	size_t i, n = 0;

	for (i = 0; i < nv; i++)
		n += family_index(v[i].family) == fi;
	if (!n)
		return false;
	if (n > 1)
		buf_puts(b, "{ ");
	for (i = 0, n = 0; i < nv; i++) {
		if (family_index(v[i].family) != fi)
			continue;
		prefix_format_nft(text, sizeof(text), &v[i]);
		buf_printf(b, "%s%s", n++ ? ", " : "", text);
	}
	if (n > 1)
		buf_puts(b, " }");
	return true;
}

static void put_side(struct lw_buf *b, enum lw_fw_side side, const char *ifc)
{
	switch (side) {
	case LW_FW_RELAY:
		buf_printf(b, "iifname %s oifname %s ", ifc, ifc);
		break;
	case LW_FW_FROM_TUNNEL:
		buf_printf(b, "iifname %s ", ifc);
		break;
	case LW_FW_FROM_LAN:
		buf_printf(b, "iifname != %s ", ifc);
		break;
	case LW_FW_TO_TUNNEL:
		buf_printf(b, "oifname %s ", ifc);
		break;
	}
}

/* " tcp dport { 22, 443 }" for the ports of proto in r, dir "dport" or
 * "sport"; false if the rule names no such protocol. */
static bool put_ports(struct lw_buf *b, const struct lw_fw_rule *r,
		      enum lw_proto proto, unsigned int fi, const char *dir)
{
	size_t i, n = 0;
	bool every = false;

	for (i = 0; i < r->n_svcs; i++) {
		if (r->svcs[i].proto == proto) {
			n++;
			every |= !r->svcs[i].lo;
		}
	}
	if (!n)
		return false;
	if (proto == LW_PROTO_ICMP) {
		buf_printf(b, " meta l4proto %s", fi ? "ipv6-icmp" : "icmp");
		return true;
	}
	if (every) {
		buf_printf(b, " meta l4proto %s", svc_proto_name(proto));
		return true;
	}
	buf_printf(b, " %s %s %s", svc_proto_name(proto), dir,
		   n > 1 ? "{ " : "");
	for (i = 0, n = 0; i < r->n_svcs; i++) {
		if (r->svcs[i].proto != proto)
			continue;
		buf_printf(b, "%s%u", n++ ? ", " : "", r->svcs[i].lo);
		if (r->svcs[i].hi != r->svcs[i].lo)
			buf_printf(b, "-%u", r->svcs[i].hi);
	}
	if (n > 1)
		buf_puts(b, " }");
	return true;
}

/* Appends line unless already in seen; true if it is new. */
static bool remember(struct lw_fw_lines *seen, const char *line)
{
	size_t i;

	for (i = 0; i < seen->n; i++) {
		if (!strcmp(seen->v[i], line))
			return false;
	}
	if (lw_grow(&seen->v, &seen->cap, seen->n + 1, sizeof(*seen->v)) ||
	    !(seen->v[seen->n] = strdup(line))) {
		seen->oom = true;
		return false;
	}
	seen->n++;
	return true;
}

void render_fw_lines_free(struct lw_fw_lines *seen)
{
	size_t i;

	for (i = 0; i < seen->n; i++)
		free(seen->v[i]);
	free(seen->v);
	memset(seen, 0, sizeof(*seen));
}

/* One protocol (or none: -1) of one family of r, as one line. */
static void rule_line(struct lw_buf *out, const struct lw_fw_rule *r,
		      const char *ifc, unsigned int fi, int proto,
		      const char *pre, const char *post,
		      struct lw_fw_lines *seen)
{
	struct lw_buf line = { 0 };
	bool ok;

	put_side(&line, r->side, ifc);
	buf_printf(&line, "%s saddr ", nft_family(fi));
	ok = put_set(&line, r->src, r->n_src, fi);
	buf_printf(&line, " %s daddr ", nft_family(fi));
	ok = ok && put_set(&line, r->dst, r->n_dst, fi);
	if (ok && proto >= 0)
		ok = put_ports(&line, r, (enum lw_proto)proto, fi, "dport");
	buf_puts(&line, " ct state new accept");
	if (!buf_str(&line))
		seen->oom = true;
	else if (ok && remember(seen, buf_str(&line)))
		buf_printf(out, "%s%s%s\n", pre, buf_str(&line), post);
	buf_free(&line);
}

void render_fw_rule_lines(struct lw_buf *out, const struct lw_fw_rule *r,
			  const char *ifc, const char *pre, const char *post,
			  struct lw_fw_lines *seen)
{
	static const enum lw_proto protos[] = { LW_PROTO_TCP, LW_PROTO_UDP,
						LW_PROTO_ICMP };
	unsigned int fi;
	size_t k;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (!r->n_svcs) {
			rule_line(out, r, ifc, fi, -1, pre, post, seen);
			continue;
		}
		for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++)
			rule_line(out, r, ifc, fi, (int)protos[k], pre, post,
				  seen);
	}
}

/* Formats one model rule as lines (render_fw_rule_lines' signature). */
typedef void rule_lines_fn(struct lw_buf *out, const struct lw_fw_rule *r,
			   const char *ifc, const char *pre, const char *post,
			   struct lw_fw_lines *seen);

/* The accept rules of chain as lines(), each source line's lines under
 * its comment. */
static void put_rules(struct lw_buf *b, const struct lw_node_plan *pl,
		      const char *tun, enum lw_fw_chain chain,
		      struct lw_fw_lines *seen, rule_lines_fn *lines_of)
{
	const struct lw_firewall *fw = &pl->fw;
	const struct lw_rule *cur = NULL;
	struct lw_buf lines = { 0 };
	size_t i;

	for (i = 0; i <= fw->n_rules; i++) {
		const struct lw_fw_rule *r = i < fw->n_rules ? &fw->rules[i] :
							       NULL;

		if (r && r->chain != chain)
			continue;
		if ((!r || r->rule != cur) && lines.len) {
			if (cur->is_service)
				buf_printf(b, "\t\t# %s: %s\n",
					   pl->desc->nodes[cur->to[0].index].name,
					   cur->text);
			else
				buf_printf(b, "\t\t# allow = %s\n", cur->text);
			buf_puts(b, buf_str(&lines));
			buf_free(&lines);
		}
		if (!r)
			break;
		cur = r->rule;
		lines_of(&lines, r, tun, "\t\t", "", seen);
	}
	if (lines.oom)
		seen->oom = true;
	buf_free(&lines);
}

static void chain_head(struct lw_buf *b, const char *name, bool stateful)
{
	buf_printf(b, "\tchain %s {\n"
		      "\t\ttype filter hook %s priority filter; "
		      "policy accept;\n",
		   name, name);
	if (stateful)
		buf_puts(b, "\t\tct state established,related accept\n");
}

/* The quoted interface names as an nft match: "a" or { "a", "b" }; the
 * hub-and-spoke interface unless links_only, and the links. */
static void put_ifset(struct lw_buf *b, const struct lw_node_plan *pl,
		      bool links_only)
{
	size_t i, n = pl->n_links + !links_only;

	if (n > 1)
		buf_puts(b, "{ ");
	if (!links_only)
		buf_printf(b, "\"%s\"", pl->iface);
	for (i = 0; i < pl->n_links; i++)
		buf_printf(b, "%s\"%s\"", i || !links_only ? ", " : "",
			   pl->links[i].iface);
	if (n > 1)
		buf_puts(b, " }");
}

/* OSPF (IP protocol 89) and BFD (UDP 3784 control, 3785 echo) on the
 * links, dir "iifname" or "oifname". */
static void put_routing(struct lw_buf *b, const struct lw_node_plan *pl,
			const char *dir)
{
	if (!pl->n_links)
		return;
	buf_puts(b, "\t\t# the routing engine: OSPF and BFD on the links\n");
	buf_printf(b, "\t\t%s ", dir);
	put_ifset(b, pl, true);
	buf_puts(b, " meta l4proto 89 accept\n");
	buf_printf(b, "\t\t%s ", dir);
	put_ifset(b, pl, true);
	buf_puts(b, " udp dport { 3784, 3785 } accept\n");
}

static bool has_proto(const struct lw_fw_rule *r, enum lw_proto proto)
{
	size_t i;

	for (i = 0; i < r->n_svcs; i++) {
		if (r->svcs[i].proto == proto)
			return true;
	}
	return false;
}

/* The match of proto in r for the transit: the rule's direction (dport,
 * echo request) or, reply, its answers (sport, echo reply, and for tcp
 * not a connection opened backwards: a SYN without ACK). */
static bool transit_match(struct lw_buf *m, const struct lw_fw_rule *r,
			  enum lw_proto proto, unsigned int fi, bool reply)
{
	if (proto == LW_PROTO_ICMP) {
		if (!has_proto(r, proto))
			return false;
		buf_printf(m, " %s type %s", fi ? "icmpv6" : "icmp",
			   reply ? "echo-reply" : "echo-request");
		return true;
	}
	if (!put_ports(m, r, proto, fi, reply ? "sport" : "dport"))
		return false;
	if (reply && proto == LW_PROTO_TCP)
		buf_puts(m, " tcp flags & (syn | ack) != syn");
	return true;
}

/* One transit line: r's addresses (reply: swapped), match, accept. */
static void transit_line(struct lw_buf *out, const struct lw_fw_rule *r,
			 const char *links, unsigned int fi, bool reply,
			 const char *match, const char *pre,
			 struct lw_fw_lines *seen)
{
	struct lw_buf line = { 0 };
	bool ok;

	buf_printf(&line, "iifname %s oifname %s %s saddr ", links, links,
		   nft_family(fi));
	ok = reply ? put_set(&line, r->dst, r->n_dst, fi) :
		     put_set(&line, r->src, r->n_src, fi);
	buf_printf(&line, " %s daddr ", nft_family(fi));
	ok = ok && (reply ? put_set(&line, r->src, r->n_src, fi) :
			    put_set(&line, r->dst, r->n_dst, fi));
	buf_printf(&line, "%s accept", match);
	if (!buf_str(&line))
		seen->oom = true;
	else if (ok && remember(seen, buf_str(&line)))
		buf_printf(out, "%s%s\n", pre, buf_str(&line));
	buf_free(&line);
}

/* A rule for every protocol: forward anything; its replies are what
 * is not a request: tcp but a SYN without ACK, icmp echo replies and
 * errors, and any other protocol (udp: no way to tell without state). */
static void every_lines(struct lw_buf *out, const struct lw_fw_rule *r,
			const char *links, unsigned int fi, bool reply,
			const char *pre, struct lw_fw_lines *seen)
{
	static const char *const icmp[LW_FAMILIES] = {
		" icmp type { echo-reply, destination-unreachable, "
		"time-exceeded, parameter-problem }",
		" icmpv6 type { echo-reply, destination-unreachable, "
		"packet-too-big, time-exceeded, parameter-problem }",
	};

	if (!reply) {
		transit_line(out, r, links, fi, false, "", pre, seen);
		return;
	}
	transit_line(out, r, links, fi, true,
		     " tcp flags & (syn | ack) != syn", pre, seen);
	transit_line(out, r, links, fi, true, icmp[fi], pre, seen);
	transit_line(out, r, links, fi, true,
		     fi ? " meta l4proto != { tcp, ipv6-icmp }" :
			  " meta l4proto != { tcp, icmp }",
		     pre, seen);
}

/* One direction (reply or not) of one family of r's services. */
static void svc_lines(struct lw_buf *out, const struct lw_fw_rule *r,
		      const char *links, unsigned int fi, bool reply,
		      const char *pre, struct lw_fw_lines *seen)
{
	static const enum lw_proto protos[] = { LW_PROTO_TCP, LW_PROTO_UDP,
						LW_PROTO_ICMP };
	size_t k;

	for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++) {
		struct lw_buf m = { 0 };

		if (transit_match(&m, r, protos[k], fi, reply) && !m.oom)
			transit_line(out, r, links, fi, reply, buf_str(&m),
				     pre, seen);
		if (m.oom)
			seen->oom = true;
		buf_free(&m);
	}
}

/* A relay rule of the model as stateless transit lines between the
 * links: both directions, per family and protocol. */
static void transit_rule_lines(struct lw_buf *out,
			       const struct lw_fw_rule *r, const char *links,
			       const char *pre, const char *post,
			       struct lw_fw_lines *seen)
{
	unsigned int fi, reply;

	(void)post;
	if (r->side != LW_FW_RELAY)
		return;
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		for (reply = 0; reply < 2; reply++) {
			if (r->n_svcs)
				svc_lines(out, r, links, fi, reply, pre, seen);
			else
				every_lines(out, r, links, fi, reply, pre,
					    seen);
		}
	}
}

/* A hub of the overlay: transit between links without state (above),
 * what the policy's relay rules allow and their replies; the rest
 * between links is dropped and counted. */
static void put_stateless_transit(struct lw_buf *b,
				  const struct lw_node_plan *pl,
				  struct lw_fw_lines *seen)
{
	struct lw_buf links = { 0 };

	if (!pl->n_links || pl->self->role != LW_ROLE_HUB)
		return;
	put_ifset(&links, pl, true);
	if (!buf_str(&links)) {
		seen->oom = true;
		return;
	}
	buf_puts(b, "\t\t# transit between links, stateless: the paths may "
		    "be asymmetric,\n\t\t# so this hub may see one "
		    "direction of a flow; each allow rule\n\t\t# and its "
		    "replies (the gateways at both ends keep state)\n");
	put_rules(b, pl, buf_str(&links), LW_FW_FORWARD, seen,
		  transit_rule_lines);
	buf_printf(b, "\t\tiifname %s oifname %s counter drop\n",
		   buf_str(&links), buf_str(&links));
	buf_free(&links);
}

static void put_forward(struct lw_buf *b, const struct lw_node_plan *pl,
			const char *tun, struct lw_fw_lines *seen)
{
	chain_head(b, "forward", false);
	put_stateless_transit(b, pl, seen);
	buf_puts(b, "\t\tct state established,related accept\n");
	put_rules(b, pl, tun, LW_FW_FORWARD, seen, render_fw_rule_lines);
	buf_printf(b, "\t\tiifname %s drop\n", tun);
	buf_printf(b, "\t\toifname %s drop\n", tun);
	buf_puts(b, "\t}\n");
}

static void put_input(struct lw_buf *b, const struct lw_node_plan *pl,
		      const char *tun, struct lw_fw_lines *seen)
{
	const struct lw_firewall *fw = &pl->fw;
	unsigned int fi;

	buf_puts(b, "\n");
	chain_head(b, "input", true);
	put_routing(b, pl, "iifname");
	put_rules(b, pl, tun, LW_FW_INPUT, seen, render_fw_rule_lines);
	buf_printf(b, "\t\tiifname %s drop\n", tun);
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		struct lw_buf line = { 0 };

		buf_printf(&line, "iifname != \"lo\" iifname != %s %s daddr ",
			   tun, nft_family(fi));
		if (put_set(&line, fw->guard_addrs, fw->n_guard_addrs, fi) &&
		    buf_str(&line))
			buf_printf(b, "\t\t%s drop\n", buf_str(&line));
		buf_free(&line);
	}
	buf_puts(b, "\t}\n");
}

static void put_output(struct lw_buf *b, const struct lw_node_plan *pl,
		       const char *tun, struct lw_fw_lines *seen)
{
	buf_puts(b, "\n");
	chain_head(b, "output", false);
	put_routing(b, pl, "oifname");
	put_rules(b, pl, tun, LW_FW_OUTPUT, seen, render_fw_rule_lines);
	buf_printf(b, "\t\toifname %s ct state new drop\n", tun);
	buf_puts(b, "\t}\n");
}

static void put_postrouting(struct lw_buf *b, const struct lw_node_plan *pl)
{
	const struct lw_firewall *fw = &pl->fw;
	struct lw_buf lines = { 0 };
	unsigned int fi;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		struct lw_buf line = { 0 };

		if (pl->site->lan_iface[0])
			buf_printf(&line, "oifname \"%s\" ", pl->site->lan_iface);
		buf_printf(&line, "%s saddr ", nft_family(fi));
		if (put_set(&line, fw->masq_src, fw->n_masq_src, fi)) {
			buf_printf(&line, " %s daddr ", nft_family(fi));
			if (put_set(&line, fw->masq_dst, fw->n_masq_dst, fi) &&
			    buf_str(&line))
				buf_printf(&lines, "\t\t%s masquerade\n",
					   buf_str(&line));
		}
		buf_free(&line);
	}
	if (lines.len) {
		buf_puts(b, "\n\tchain postrouting {\n"
			    "\t\ttype nat hook postrouting priority srcnat; "
			    "policy accept;\n");
		buf_puts(b, buf_str(&lines));
		buf_puts(b, "\t}\n");
	}
	if (lines.oom)
		b->oom = true;
	buf_free(&lines);
}

/* The table of a node that has one (hubs, gateways, Linux clients). */
static char *ruleset(const struct lw_node_plan *pl,
		     const struct lw_render_opts *o)
{
	struct lw_fw_lines seen = { 0 };
	struct lw_buf b = { 0 }, tunb = { 0 };
	const char *tun;

	if (!pl->fw.has_table)
		return strdup("");
	put_ifset(&tunb, pl, false);
	tun = buf_str(&tunb);
	if (!tun)
		return NULL;
	buf_puts(&b, "#!/usr/sbin/nft -f\n");
	render_header(&b, pl, o, "nftables policy");
	buf_printf(&b, "# Replaces table inet %s as a whole; nft delete table "
		       "inet %s removes it.\n",
		   LW_NFT_TABLE, LW_NFT_TABLE);
	buf_printf(&b, "table inet %s\ndelete table inet %s\n\n",
		   LW_NFT_TABLE, LW_NFT_TABLE);
	buf_printf(&b, "table inet %s {\n", LW_NFT_TABLE);
	put_forward(&b, pl, tun, &seen);
	put_input(&b, pl, tun, &seen);
	if (pl->fw.output || pl->n_links)
		put_output(&b, pl, tun, &seen);
	if (pl->fw.n_masq_src)
		put_postrouting(&b, pl);
	buf_puts(&b, "}\n");
	if (seen.oom)
		b.oom = true;
	render_fw_lines_free(&seen);
	buf_free(&tunb);
	return buf_steal(&b);
}

char *render_nft_ruleset(const struct lw_node_plan *pl,
			 const struct lw_render_opts *o)
{
	return pl->forwards ? ruleset(pl, o) : strdup("");
}

char *render_nft_host_ruleset(const struct lw_node_plan *pl,
			      const struct lw_render_opts *o)
{
	return ruleset(pl, o);
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
