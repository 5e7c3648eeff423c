// SPDX-License-Identifier: MIT
/*
 * The overlay's files of one router (docs/overlay.md), when its plan has
 * links:
 *
 *   LINKIF.conf          one wg-quick interface per link: one peer,
 *                        AllowedIPs 0.0.0.0/0, ::/0 (BIRD chooses the
 *                        routes, so wg-quick must add none: Table = off),
 *                        the link's /31, its own port
 *   bird.conf            BIRD 2: OSPFv2 with every link as a ptp interface
 *                        at its cost, BFD on each, the site's LANs (a
 *                        hub: its own and its clients' addresses) as stub
 *                        networks, OSPF routes exported to the kernel
 *   overlay-routes.txt   unreachable routes for every LAN and tunnel
 *                        prefix of the network at a metric below BIRD's
 *
 * Narrower AllowedIPs keep OSPF and BFD up while data is black-holed
 * (issue 11's feasibility run), hence 0.0.0.0/0, ::/0 on every link.
 */
#include "render.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "desc.h"
#include "key.h"
#include "keys.h"

static void put_key(struct lw_buf *b, const char *name,
		    const uint8_t key[static LW_KEY_LEN])
{
	char text[LW_KEY_B64_LEN + 1];

	key_to_base64(text, key);
	buf_printf(b, "%s = %s\n", name, text);
	crypto_wipe(text, sizeof(text));
}

static int render_link(const struct lw_node_plan *pl,
		       const struct lw_render_opts *o,
		       const struct lw_link_plan *lp, struct lw_files *out)
{
	struct lw_buf b = { 0 };
	char what[LW_IFNAME_MAX + LW_NAME_MAX + 32], a[LW_PREFIX_STRLEN];
	char ep[LW_HOST_MAX + 16], name[LW_IFNAME_MAX + 8];

	snprintf(what, sizeof(what), "overlay link %s to %s", lp->iface,
		 pl->desc->nodes[lp->peer].name);
	render_header(&b, pl, o, what);
	buf_puts(&b, "[Interface]\n");
	if (pl->has_private_key)
		put_key(&b, "PrivateKey", pl->private_key);
	else
		buf_printf(&b, "# PrivateKey: made on the device, kept in %s\n",
			   pl->private_key_path);
	addr_format(a, sizeof(a), &lp->addr);
	buf_printf(&b, "Address = %s/31\n", a);
	buf_printf(&b, "ListenPort = %u\n", lp->port);
	buf_printf(&b, "MTU = %u\n", pl->mtu);
	buf_puts(&b, "# BIRD sets the routes; wg-quick adds none.\n");
	buf_puts(&b, "Table = off\n");
	if (!pl->has_private_key)
		buf_printf(&b, "PostUp = wg set %%i private-key %s\n",
			   pl->private_key_path);
	buf_puts(&b, "PostUp = sysctl -q -w net.ipv4.ip_forward=1\n");
	if (lp->rp_loose) {
		/* The kernel uses the larger of all and the interface's
		 * value, so 2 here is loose whatever all says. */
		buf_puts(&b, "# Paths through here are asymmetric (the costs): "
			     "strict\n# reverse-path filtering would drop "
			     "them, so loose.\n");
		buf_puts(&b, "PostUp = sysctl -q -w "
			     "net.ipv4.conf.%i.rp_filter=2\n");
	}
	buf_puts(&b, "\n");
	render_peer_comment(&b, pl, lp->peer);
	buf_puts(&b, "[Peer]\n");
	put_key(&b, "PublicKey", lp->public_key);
	if (lp->has_psk)
		put_key(&b, "PresharedKey", lp->psk);
	if (lp->has_endpoint) {
		lw_endpoint_format(ep, sizeof(ep), &lp->endpoint);
		buf_printf(&b, "Endpoint = %s\n", ep);
	}
	buf_puts(&b, "AllowedIPs = 0.0.0.0/0, ::/0\n");
	buf_printf(&b, "PersistentKeepalive = %u\n", LW_LINK_KEEPALIVE);
	snprintf(name, sizeof(name), "%s.conf", lp->iface);
	return files_add(out, name, &b, true);
}

/* OSPF's router ID: the router's IPv4 tunnel address, else its first
 * link's address (unique too: each /31 belongs to one link). */
static void put_router_id(struct lw_buf *b, const struct lw_node_plan *pl)
{
	char a[LW_PREFIX_STRLEN];
	const struct lw_prefix *id = &pl->links[0].addr;

	if (pl->self->addr[0].p.family == AF_INET)
		id = &pl->self->addr[0].p;
	addr_format(a, sizeof(a), id);
	buf_printf(b, "router id %s;\n\n", a);
}

static void put_stubnet(struct lw_buf *b, const struct lw_prefix *p)
{
	char t[LW_PREFIX_STRLEN];

	if (p->family != AF_INET)
		return; /* OSPFv2 carries IPv4; IPv6 is not routed yet */
	prefix_format(t, sizeof(t), p);
	buf_printf(b, "\t\tstubnet %s;\n", t);
}

/* What this router announces: its own tunnel address (replies and ICMP
 * errors from it route back), a gateway its site's LANs, a hub those of
 * the clients that connect to it. */
static void put_stubnets(struct lw_buf *b, const struct lw_node_plan *pl)
{
	const struct lw_desc *d = pl->desc;
	size_t i;

	put_stubnet(b, &pl->self->addr[0].p);
	if (pl->site) {
		for (i = 0; i < pl->site->n_lans; i++)
			put_stubnet(b, &pl->site->lans[i].p);
		return;
	}
	for (i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].role == LW_ROLE_CLIENT &&
		    d->nodes[i].has_hub && d->nodes[i].hub == pl->node)
			put_stubnet(b, &d->nodes[i].addr[0].p);
	}
}

static int render_bird(const struct lw_node_plan *pl,
		       const struct lw_render_opts *o, struct lw_files *out)
{
	struct lw_buf b = { 0 };
	size_t i;

	render_header(&b, pl, o, "BIRD 2 configuration");
	buf_puts(&b, "# Run: bird -c bird.conf -s SOCKET -P PIDFILE\n");
	put_router_id(&b, pl);
	buf_puts(&b, "protocol device {\n}\n\n");
	buf_printf(&b,
		   "# OSPF's routes into the main table at metric %d, above "
		   "the\n# unreachable ones of overlay-routes.txt (%d).\n",
		   LW_BIRD_METRIC, LW_UNREACHABLE_METRIC);
	buf_printf(&b,
		   "protocol kernel {\n\tipv4 {\n\t\timport none;\n"
		   "\t\texport where source = RTS_OSPF;\n\t};\n"
		   "\tmetric %d;\n}\n\n",
		   LW_BIRD_METRIC);
	buf_puts(&b, "protocol bfd {\n");
	for (i = 0; i < pl->n_links; i++)
		buf_printf(&b,
			   "\tinterface \"%s\" {\n\t\tinterval %d ms;\n"
			   "\t\tmultiplier %d;\n\t};\n",
			   pl->links[i].iface, LW_BFD_INTERVAL_MS,
			   LW_BFD_MULTIPLIER);
	buf_puts(&b, "}\n\n");
	buf_puts(&b, "protocol ospf v2 lanwire {\n"
		     "\tipv4 {\n\t\timport all;\n\t\texport none;\n\t};\n"
		     "\tecmp no;\n\tarea 0 {\n");
	put_stubnets(&b, pl);
	for (i = 0; i < pl->n_links; i++) {
		buf_printf(&b, "\t\t# to %s\n",
			   pl->desc->nodes[pl->links[i].peer].name);
		buf_printf(&b,
			   "\t\tinterface \"%s\" {\n\t\t\ttype ptp;\n"
			   "\t\t\tcost %u;\n\t\t\thello %d;\n"
			   "\t\t\tdead count %d;\n\t\t\tbfd yes;\n"
			   "\t\t\tcheck link no;\n\t\t};\n",
			   pl->links[i].iface, pl->links[i].cost,
			   LW_OSPF_HELLO, LW_OSPF_DEAD_COUNT);
	}
	buf_puts(&b, "\t};\n}\n");
	return files_add(out, "bird.conf", &b, false);
}

static void put_unreachable(struct lw_buf *b, const struct lw_prefix *p)
{
	char t[LW_PREFIX_STRLEN];

	if (!p->family)
		return;
	prefix_format(t, sizeof(t), p);
	buf_printf(b, "ip route replace unreachable %s metric %d\n", t,
		   LW_UNREACHABLE_METRIC);
}

static int render_unreachable(const struct lw_node_plan *pl,
			      const struct lw_render_opts *o,
			      struct lw_files *out)
{
	const struct lw_desc *d = pl->desc;
	struct lw_buf b = { 0 };
	size_t s, i;

	render_header(&b, pl, o, "overlay unreachable routes");
	buf_printf(&b,
		   "# Run these on %s before its links and BIRD come up: "
		   "while BIRD has\n# no route for a prefix of the network, "
		   "traffic to it is dropped here\n# instead of leaving by the "
		   "default route unencrypted.\n",
		   pl->self->name);
	for (i = 0; i < LW_FAMILIES; i++)
		put_unreachable(&b, &d->net.tunnel[i].p);
	if (d->net.link_pool.p.family &&
	    !prefix_contains(&d->net.tunnel[0].p, &d->net.link_pool.p))
		put_unreachable(&b, &d->net.link_pool.p);
	for (s = 0; s < d->n_sites; s++) {
		for (i = 0; i < d->sites[s].n_lans; i++)
			put_unreachable(&b, &d->sites[s].lans[i].p);
	}
	return files_add(out, "overlay-routes.txt", &b, false);
}

int render_overlay(const struct lw_node_plan *pl,
		   const struct lw_render_opts *o, struct lw_files *out)
{
	size_t i;
	int r = 0;

	if (!pl->n_links)
		return 0;
	for (i = 0; !r && i < pl->n_links; i++)
		r = render_link(pl, o, &pl->links[i], out);
	if (!r)
		r = render_bird(pl, o, out);
	if (!r)
		r = render_unreachable(pl, o, out);
	return r;
}
