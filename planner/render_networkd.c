// SPDX-License-Identifier: MIT
/*
 * systemd-networkd configuration of one node, as seed 000 writes it for
 * hosts with kernel WireGuard: IFACE.netdev ([NetDev], [WireGuard] and one
 * [WireGuardPeer] per peer, AllowedIPs one per line) and IFACE.network
 * (the address with its prefix and a [Route] for every AllowedIPs prefix
 * the address does not already make connected). networkd has no hooks:
 * the nft table and sysctl file are installed beside it (docs/).
 */
#include "render.h"

#include <stdio.h>
#include <string.h>

#include "key.h"
#include "keys.h"

static void put_key(struct lw_buf *b, const char *name,
		    const uint8_t key[static LW_KEY_LEN])
{
	char text[LW_KEY_B64_LEN + 1];

	key_to_base64(text, key);
	buf_printf(b, "%s=%s\n", name, text);
	crypto_wipe(text, sizeof(text));
}

static void put_peer(struct lw_buf *b, const struct lw_node_plan *pl,
		     const struct lw_peer_plan *pp)
{
	char text[LW_HOST_MAX + 16];
	size_t i;

	buf_puts(b, "\n");
	render_peer_comment(b, pl, pp->node);
	buf_puts(b, "[WireGuardPeer]\n");
	put_key(b, "PublicKey", pp->public_key);
	if (pp->has_psk)
		put_key(b, "PresharedKey", pp->psk);
	if (pp->has_endpoint) {
		lw_endpoint_format(text, sizeof(text), &pp->endpoint);
		buf_printf(b, "Endpoint=%s\n", text);
	}
	for (i = 0; i < pp->n_allowed_ips; i++) {
		prefix_format(text, sizeof(text), &pp->allowed_ips[i]);
		buf_printf(b, "AllowedIPs=%s\n", text);
	}
	if (pp->keepalive)
		buf_printf(b, "PersistentKeepalive=%u\n", pp->keepalive);
}

static int render_netdev(const struct lw_node_plan *pl,
			 const struct lw_render_opts *o, struct lw_files *out)
{
	struct lw_buf b = { 0 };
	char name[LW_IFNAME_MAX + 8];
	size_t i;

	render_header(&b, pl, o, "systemd-networkd netdev");
	buf_printf(&b, "[NetDev]\nName=%s\nKind=wireguard\nMTUBytes=%u\n\n",
		   pl->iface, pl->mtu);
	buf_puts(&b, "[WireGuard]\n");
	if (pl->listen_port)
		buf_printf(&b, "ListenPort=%u\n", pl->listen_port);
	if (pl->has_private_key)
		put_key(&b, "PrivateKey", pl->private_key);
	else
		buf_printf(&b, "PrivateKeyFile=%s\n", pl->private_key_path);
	for (i = 0; i < pl->n_peers; i++)
		put_peer(&b, pl, &pl->peers[i]);
	snprintf(name, sizeof(name), "%s.netdev", pl->iface);
	return files_add(out, name, &b, true);
}

/* A client's dns = as DNS= (addresses) and Domains= (search domains). */
static void put_dns(struct lw_buf *b, const char *dns)
{
	struct lw_prefix a;
	char item[256];
	size_t n;

	while (dns && *dns) {
		n = strcspn(dns, ",");
		snprintf(item, sizeof(item), "%.*s", (int)n, dns);
		buf_printf(b, "%s=%s\n",
			   addr_parse(&a, item) ? "Domains" : "DNS", item);
		dns += n;
		dns += strspn(dns, ", ");
	}
}

static int render_network(const struct lw_node_plan *pl,
			  const struct lw_render_opts *o, struct lw_files *out)
{
	struct lw_buf b = { 0 };
	char name[LW_IFNAME_MAX + 9], text[LW_PREFIX_STRLEN];
	size_t i;

	render_header(&b, pl, o, "systemd-networkd network");
	buf_printf(&b, "[Match]\nName=%s\n\n[Network]\n", pl->iface);
	for (i = 0; i < pl->n_addrs; i++) {
		prefix_format(text, sizeof(text), &pl->addrs[i]);
		buf_printf(&b, "Address=%s\n", text);
	}
	put_dns(&b, pl->self->dns);
	for (i = 0; i < pl->n_routes; i++) {
		prefix_format(text, sizeof(text), &pl->routes[i]);
		buf_printf(&b, "\n[Route]\nDestination=%s\n", text);
	}
	snprintf(name, sizeof(name), "%s.network", pl->iface);
	return files_add(out, name, &b, false);
}

int render_networkd(const struct lw_node_plan *pl,
		    const struct lw_render_opts *o, struct lw_files *out)
{
	int r = render_netdev(pl, o, out);

	return r ? r : render_network(pl, o, out);
}
