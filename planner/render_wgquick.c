// SPDX-License-Identifier: MIT
/*
 * wg-quick(8) configuration of one node: [Interface] with the private key
 * (or, for a key made on the device, a PostUp that loads it from the
 * device's file), addresses, port and MTU; for hubs and gateways PostUp
 * lines that switch on forwarding and load the node's nft table from
 * HOOK_DIR/IFACE.nft, and a PostDown that deletes exactly that table
 * (forwarding stays on: other services may rely on it); for Linux
 * clients PostUp lines that make their input policy table and a PreDown
 * that deletes it. Then one [Peer]
 * per peer in plan order. This is also what lanwired runs under, through
 * WG_QUICK_USERSPACE_IMPLEMENTATION.
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
	buf_printf(b, "%s = %s\n", name, text);
	crypto_wipe(text, sizeof(text));
}

static void put_prefix_list(struct lw_buf *b, const char *name,
			    const struct lw_prefix *v, size_t n)
{
	char text[LW_PREFIX_STRLEN];
	size_t i;

	if (!n)
		return;
	buf_printf(b, "%s = ", name);
	for (i = 0; i < n; i++) {
		prefix_format(text, sizeof(text), &v[i]);
		buf_printf(b, "%s%s", i ? ", " : "", text);
	}
	buf_puts(b, "\n");
}

/*
 * A Linux client's input policy: its own nft table, made by PostUp and
 * deleted by PreDown. Established/related first (replies to what the
 * client opens, ICMP errors), then what the policy lets others open to
 * it, then everything else from the tunnel dropped.
 */
static void put_client_table(struct lw_buf *b, const struct lw_node_plan *pl)
{
	const char *add = "PostUp = nft add rule inet " LW_NFT_TABLE " input '";
	struct lw_fw_lines seen = { 0 };
	size_t i;

	buf_printf(b, "PostUp = nft add table inet %s\n", LW_NFT_TABLE);
	buf_printf(b, "PostUp = nft 'add chain inet %s input { type filter "
		      "hook input priority filter; policy accept; }'\n",
		   LW_NFT_TABLE);
	buf_printf(b, "%sct state established,related accept'\n", add);
	for (i = 0; i < pl->fw.n_rules; i++)
		render_fw_rule_lines(b, &pl->fw.rules[i], "\"%i\"", add, "'",
				     &seen);
	buf_printf(b, "%siifname \"%%i\" drop'\n", add);
	buf_printf(b, "PreDown = nft delete table inet %s\n", LW_NFT_TABLE);
	if (seen.oom)
		b->oom = true;
	render_fw_lines_free(&seen);
}

/* Before IPv6 forwarding: accept_ra 1 -> 2 on each interface whose
 * default route came from router advertisements, as lanwire up does
 * (accept_ra.h). Left so by PostDown, like forwarding: with forwarding
 * off, 2 acts as 1. wg-quick evals hooks in bash and cuts lines at '#'. */
#define KEEP_RA_HOOK                                                         \
	"PostUp = for i in $(ip -6 -o route show default proto ra | "        \
	"grep -o ' dev [^ ]*' | cut -d' ' -f3 | sort -u); do "               \
	"[ \"$(sysctl -n net/ipv6/conf/$i/accept_ra)\" != 1 ] || "            \
	"sysctl -q -w net/ipv6/conf/$i/accept_ra=2; done\n"

static void put_hooks(struct lw_buf *b, const struct lw_node_plan *pl,
		      const struct lw_render_opts *o)
{
	size_t i;

	if (!pl->has_private_key)
		buf_printf(b, "PostUp = wg set %%i private-key %s\n",
			   pl->private_key_path);
	for (i = 0; i < pl->n_sysctls; i++) {
		if (!strcmp(pl->sysctls[i], "net.ipv6.conf.all.forwarding=1"))
			buf_puts(b, KEEP_RA_HOOK);
		buf_printf(b, "PostUp = sysctl -q -w %s\n", pl->sysctls[i]);
	}
	if (pl->self->role == LW_ROLE_CLIENT && pl->fw.has_table)
		put_client_table(b, pl);
	if (!pl->forwards)
		return;
	buf_printf(b, "PostUp = nft -f %s/%%i.nft\n", o->hook_dir);
	buf_printf(b, "PostDown = nft delete table inet %s\n", LW_NFT_TABLE);
}

static void put_interface(struct lw_buf *b, const struct lw_node_plan *pl,
			  const struct lw_render_opts *o)
{
	buf_puts(b, "[Interface]\n");
	if (pl->has_private_key)
		put_key(b, "PrivateKey", pl->private_key);
	else
		buf_printf(b, "# PrivateKey: made on the device, kept in %s\n",
			   pl->private_key_path);
	put_prefix_list(b, "Address", pl->addrs, pl->n_addrs);
	if (pl->listen_port)
		buf_printf(b, "ListenPort = %u\n", pl->listen_port);
	buf_printf(b, "MTU = %u\n", pl->mtu);
	if (pl->self->dns)
		buf_printf(b, "DNS = %s\n", pl->self->dns);
	put_hooks(b, pl, o);
}

static void put_peer(struct lw_buf *b, const struct lw_node_plan *pl,
		     const struct lw_peer_plan *pp)
{
	char ep[LW_HOST_MAX + 16];

	buf_puts(b, "\n");
	render_peer_comment(b, pl, pp->node);
	buf_puts(b, "[Peer]\n");
	put_key(b, "PublicKey", pp->public_key);
	if (pp->has_psk)
		put_key(b, "PresharedKey", pp->psk);
	if (pp->has_endpoint) {
		lw_endpoint_format(ep, sizeof(ep), &pp->endpoint);
		buf_printf(b, "Endpoint = %s\n", ep);
	}
	put_prefix_list(b, "AllowedIPs", pp->allowed_ips, pp->n_allowed_ips);
	if (pp->keepalive)
		buf_printf(b, "PersistentKeepalive = %u\n", pp->keepalive);
}

int render_wgquick(const struct lw_node_plan *pl,
		   const struct lw_render_opts *o, struct lw_files *out)
{
	struct lw_buf b = { 0 };
	char name[LW_IFNAME_MAX + 8];
	size_t i;

	render_header(&b, pl, o, "wg-quick configuration");
	put_interface(&b, pl, o);
	for (i = 0; i < pl->n_peers; i++)
		put_peer(&b, pl, &pl->peers[i]);
	snprintf(name, sizeof(name), "%s.conf", pl->iface);
	return files_add(out, name, &b, true);
}
