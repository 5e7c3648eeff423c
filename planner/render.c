// SPDX-License-Identifier: MIT
/*
 * What every renderer shares: the list of rendered files, the header
 * comment naming node, role, network and source, peer comments, and the
 * dispatch that renders all files of one node in one format. Also the
 * host files (sysctl and the LAN router's routes), which are the same for
 * every format.
 */
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "desc.h"

int files_add(struct lw_files *f, const char *name, struct lw_buf *b,
	      bool secret)
{
	struct lw_file *file;
	char *text = buf_steal(b);

	if (!text || lw_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v)))
		goto fail;
	file = &f->v[f->n];
	file->name = strdup(name);
	if (!file->name)
		goto fail;
	file->text = text;
	file->secret = secret;
	f->n++;
	return 0;
fail:
	if (text)
		crypto_wipe(text, strlen(text));
	free(text);
	return -ENOMEM;
}

void files_free(struct lw_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->v[i].secret)
			crypto_wipe(f->v[i].text, strlen(f->v[i].text));
		free(f->v[i].text);
		free(f->v[i].name);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void render_header(struct lw_buf *b, const struct lw_node_plan *pl,
		   const struct lw_render_opts *o, const char *what)
{
	const struct lw_desc *d = pl->desc;
	char role[LW_NAME_MAX + 32];

	buf_printf(b, "# lanwire: %s for %s (%s) in network %s.\n", what,
		   pl->self->name,
		   desc_node_role(d, pl->node, role, sizeof(role)),
		   d->net.name);
	buf_printf(b, "# Rendered from %s; edit that and render again.\n",
		   o->source);
}

void render_peer_comment(struct lw_buf *b, const struct lw_node_plan *pl,
			 size_t peer)
{
	char role[LW_NAME_MAX + 32];

	buf_printf(b, "# %s (%s)\n", pl->desc->nodes[peer].name,
		   desc_node_role(pl->desc, peer, role, sizeof(role)));
}

static int render_sysctl(const struct lw_node_plan *pl,
			 const struct lw_render_opts *o, struct lw_files *out)
{
	struct lw_buf b = { 0 };
	char name[LW_IFNAME_MAX + 16];
	size_t i;

	if (!pl->n_sysctls)
		return 0;
	render_header(&b, pl, o, "forwarding");
	buf_printf(&b, "# Install as /etc/sysctl.d/90-lanwire-%s.conf.\n",
		   pl->iface);
	for (i = 0; i < pl->n_sysctls; i++) {
		const char *eq = strchr(pl->sysctls[i], '=');

		buf_printf(&b, "%.*s = %s\n", (int)(eq - pl->sysctls[i]),
			   pl->sysctls[i], eq + 1);
	}
	snprintf(name, sizeof(name), "%s.sysctl", pl->iface);
	return files_add(out, name, &b, false);
}

static int render_lan_router(const struct lw_node_plan *pl,
			     const struct lw_render_opts *o,
			     struct lw_files *out)
{
	struct lw_buf b = { 0 };
	char dst[LW_PREFIX_STRLEN], via[LW_PREFIX_STRLEN];
	size_t i;

	if (!pl->n_lan_routes)
		return 0;
	render_header(&b, pl, o, "LAN router routes");
	/* at its lan-address of each family that has routes */
	for (i = 0; i < pl->n_lan_routes; i++) {
		addr_format(dst, sizeof(dst), &pl->lan_routes[i].via);
		if (!i)
			snprintf(via, sizeof(via), "%s", dst);
		else if (strcmp(dst, via))
			break;
	}
	buf_printf(&b,
		   "# Add these on the router of site %s (or on each LAN "
		   "device) so that\n# traffic for the tunnel goes to "
		   "gateway %s at %s%s%s:\n",
		   pl->site->name, pl->self->name, via,
		   i < pl->n_lan_routes ? " and " : "",
		   i < pl->n_lan_routes ? dst : "");
	for (i = 0; i < pl->n_lan_routes; i++) {
		prefix_format(dst, sizeof(dst), &pl->lan_routes[i].dst);
		addr_format(via, sizeof(via), &pl->lan_routes[i].via);
		buf_printf(&b, "ip route add %s via %s\n", dst, via);
	}
	return files_add(out, "lan-router.txt", &b, false);
}

int render_host(const struct lw_node_plan *pl, const struct lw_render_opts *o,
		struct lw_files *out)
{
	int r = render_sysctl(pl, o, out);

	return r ? r : render_lan_router(pl, o, out);
}

int render_node(const struct lw_node_plan *pl, enum lw_format fmt,
		const struct lw_render_opts *o, struct lw_files *out)
{
	int r;

	if (fmt == LW_FORMAT_NETWORKD)
		r = render_networkd(pl, o, out);
	else
		r = render_wgquick(pl, o, out);
	if (!r)
		r = render_nft(pl, o, out);
	if (!r)
		r = render_host(pl, o, out);
	if (!r)
		r = render_overlay(pl, o, out);
	return r;
}
