// SPDX-License-Identifier: MIT
/*
 * The keys of [hub NAME] and [site NAME] sections, and the keys every
 * node has (address, public-key, listen-port, keepalive, interface,
 * hub), for desc.c's parser (desc_parser.h). The policy's keys of these
 * sections (service, ssh, host) are in desc_policy.c; [client NAME]'s
 * own keys in desc_client.c.
 */
#include "desc_parser.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"

/* ---- keys every node has ---- */

void put_host_per_family(struct parser *p, const char *key,
			 const char *example, struct lw_lprefix *slots,
			 const char *item)
{
	struct lw_lprefix *slot;
	struct lw_prefix a;

	if (prefix_parse(&a, item, false) || !prefix_is_host(&a)) {
		perr(p, "%s '%s' is not a single address such as %s", key, item,
		     example);
		return;
	}
	slot = &slots[family_index(a.family)];
	if (slot->line) {
		perr(p, "%s has a second %s address %s (first on line %d); "
			"give one per family",
		     key, family_name(a.family), item, slot->line);
		return;
	}
	slot->p = a;
	slot->line = p->line;
}

static void put_address(struct parser *p, const char *item, void *arg)
{
	(void)arg;
	put_host_per_family(p, "address", "10.9.0.2 or fd00:9::2",
			    cur_node(p)->addr, item);
}

void node_address(struct parser *p, const char *v)
{
	for_each_item(p, "address", v, put_address, NULL);
}

void node_public_key(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	if (!once(p, &n->public_key_line, "public-key"))
		return;
	if (key_from_base64(n->public_key, v)) {
		perr(p, "public-key is not a WireGuard key (44 base64 "
			"characters ending in '=', as wg pubkey prints)");
		return;
	}
	n->has_public_key = true;
}

void node_listen_port(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);
	unsigned int port = 0;

	set_number(p, "listen-port", v, 1, 65535, &n->listen_port_line, &port);
	n->listen_port = (uint16_t)port;
}

void node_keepalive(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	set_number(p, "keepalive", v, 0, 65535, &n->keepalive_line,
		   &n->keepalive);
}

void node_interface(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	set_iface(p, "interface", v, &n->iface_line, n->iface);
}

void node_hub(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	if (!once(p, &n->hub_line, "hub"))
		return;
	if (!desc_name_ok(v)) {
		name_error(p, "hub", v);
		return;
	}
	n->hub_name = strdup(v);
	if (!n->hub_name)
		p->oom = true;
}

/* ---- [hub NAME] ---- */

static void hub_endpoint(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	if (!once(p, &n->endpoint_line, "endpoint"))
		return;
	if (lw_endpoint_parse(&n->endpoint, v))
		perr(p, "endpoint '%s' is not HOST:PORT or [IPv6]:PORT", v);
}

const struct key_setter hub_keys[] = {
	{ "endpoint", hub_endpoint },	  { "listen-port", node_listen_port },
	{ "address", node_address },	  { "public-key", node_public_key },
	{ "interface", node_interface },   { "keepalive", node_keepalive },
	{ "service", node_service },	  { "ssh", node_ssh },
	{ "cost", hub_cost },
};

/* ---- [site NAME] ---- */

static void site_gateway(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);
	char *name;

	if (!once(p, &cur_site(p)->gateway_line, "gateway"))
		return;
	if (!desc_name_ok(v)) {
		name_error(p, "gateway", v);
		return;
	}
	name = strdup(v);
	if (!name) {
		p->oom = true;
		return;
	}
	free(n->name);
	n->name = name;
	n->name_line = p->line;
}

static void site_lan(struct parser *p, const char *v)
{
	struct lw_site *s = cur_site(p);
	struct prefix_list_arg a = { "lan", &s->lans, &s->n_lans,
				     &s->cap_lans };

	for_each_item(p, "lan", v, put_list_prefix, &a);
}

static void site_lan_interface(struct parser *p, const char *v)
{
	struct lw_site *s = cur_site(p);

	set_iface(p, "lan-interface", v, &s->lan_iface_line, s->lan_iface);
}

/* One address of lan-address: at most one per family, as address. */
static void put_lan_address(struct parser *p, const char *item, void *arg)
{
	(void)arg;
	put_host_per_family(p, "lan-address", "192.168.1.2 or fd00:1::1",
			    cur_site(p)->lan_address, item);
}

static void site_lan_address(struct parser *p, const char *v)
{
	for_each_item(p, "lan-address", v, put_lan_address, NULL);
}

static void site_return(struct parser *p, const char *v)
{
	struct lw_site *s = cur_site(p);

	if (!once(p, &s->return_line, "return"))
		return;
	if (!strcasecmp(v, "masquerade"))
		s->ret = LW_RETURN_MASQUERADE;
	else if (!strcasecmp(v, "route"))
		s->ret = LW_RETURN_ROUTE;
	else
		perr(p, "return must be 'route' (the LAN router holds a "
			"route to the gateway) or 'masquerade', not '%s'",
		     v);
}

const struct key_setter site_keys[] = {
	{ "gateway", site_gateway },
	{ "lan", site_lan },
	{ "lan-interface", site_lan_interface },
	{ "lan-address", site_lan_address },
	{ "return", site_return },
	{ "address", node_address },
	{ "hub", node_hub },
	{ "public-key", node_public_key },
	{ "listen-port", node_listen_port },
	{ "interface", node_interface },
	{ "keepalive", node_keepalive },
	{ "service", node_service },
	{ "ssh", node_ssh },
	{ "host", site_host },
	{ "hubs", site_hubs },
	{ "public-address", site_public_address },
};

const size_t n_hub_keys = ARRAY_SIZE(hub_keys);
const size_t n_site_keys = ARRAY_SIZE(site_keys);
