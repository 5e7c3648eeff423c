// SPDX-License-Identifier: MIT
/*
 * The [network] section's keys, one small setter each, for desc.c's
 * parser (desc_parser.h): name, tunnel and pool prefixes, mtu, link-mtu,
 * keepalive, interface and address-prefix.
 */
#include "desc_parser.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- [network] ---- */

static void net_name(struct parser *p, const char *v)
{
	struct lw_net *net = &p->d->net;

	if (!once(p, &net->name_line, "name"))
		return;
	if (!desc_name_ok(v)) {
		name_error(p, "network name", v);
		return;
	}
	free(net->name);
	net->name = strdup(v);
	if (!net->name)
		p->oom = true;
}

static void net_tunnel(struct parser *p, const char *v)
{
	set_family_prefixes(p, "tunnel", v, p->d->net.tunnel);
}

static void net_infra_pool(struct parser *p, const char *v)
{
	set_family_prefixes(p, "infra-pool", v, p->d->net.infra_pool);
}

static void net_client_pool(struct parser *p, const char *v)
{
	set_family_prefixes(p, "client-pool", v, p->d->net.client_pool);
}

static void net_mtu(struct parser *p, const char *v)
{
	set_number(p, "mtu", v, 1, 65535, &p->d->net.mtu_line,
		   &p->d->net.mtu);
}

static void net_link_mtu(struct parser *p, const char *v)
{
	set_number(p, "link-mtu", v, 1, 65535, &p->d->net.link_mtu_line,
		   &p->d->net.link_mtu);
}

static void net_keepalive(struct parser *p, const char *v)
{
	set_number(p, "keepalive", v, 0, 65535, &p->d->net.keepalive_line,
		   &p->d->net.keepalive);
}

static void net_interface(struct parser *p, const char *v)
{
	set_iface(p, "interface", v, &p->d->net.iface_line, p->d->net.iface);
}

static void net_address_prefix(struct parser *p, const char *v)
{
	struct lw_net *net = &p->d->net;

	if (!once(p, &net->address_prefix_line, "address-prefix"))
		return;
	if (!strcasecmp(v, "host"))
		net->host_addresses = true;
	else if (!strcasecmp(v, "tunnel"))
		net->host_addresses = false;
	else
		perr(p, "address-prefix must be 'tunnel' or 'host', not '%s'",
		     v);
}

const struct key_setter network_keys[] = {
	{ "name", net_name },
	{ "tunnel", net_tunnel },
	{ "infra-pool", net_infra_pool },
	{ "client-pool", net_client_pool },
	{ "mtu", net_mtu },
	{ "link-mtu", net_link_mtu },
	{ "keepalive", net_keepalive },
	{ "interface", net_interface },
	{ "address-prefix", net_address_prefix },
	{ "link-pool", net_link_pool },
	{ "link-port", net_link_port },
	{ "link-interface", net_link_interface },
};

const size_t n_network_keys = ARRAY_SIZE(network_keys);
