// SPDX-License-Identifier: MIT
/*
 * The keys of [client NAME] sections, for desc.c's parser
 * (desc_parser.h): group, visits, routes, dns and os; the keys it shares
 * with other nodes (address, hub, public-key, ...) are desc_node.c's.
 */
#include "desc_parser.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* ---- [client NAME] ---- */

static void client_group(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	if (!once(p, &n->group_line, "group"))
		return;
	if (!desc_name_ok(v)) {
		name_error(p, "group", v);
		return;
	}
	n->group = strdup(v);
	if (!n->group)
		p->oom = true;
}


static void put_visit(struct parser *p, const char *item, void *arg)
{
	struct lw_node *n = cur_node(p);

	(void)arg;
	if (!strcasecmp(item, "none")) {
		n->visits_none = true;
		return;
	}
	put_ref(p, item, &n->visits, &n->n_visits, &n->cap_visits);
}

static void client_visits(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	if (!once(p, &n->visits_line, "visits"))
		return;
	n->visits_given = true;
	for_each_item(p, "visits", v, put_visit, NULL);
	if (n->visits_none && n->n_visits)
		perr(p, "visits lists sites and 'none'; use one or the other");
}

static void client_routes(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);
	struct prefix_list_arg a = { "routes", &n->routes, &n->n_routes,
				     &n->cap_routes };

	if (!n->routes_line)
		n->routes_line = p->line;
	for_each_item(p, "routes", v, put_list_prefix, &a);
}

/* A DNS server address or a search domain (letters, digits, '-', '.'). */
static bool dns_item_ok(const char *s)
{
	struct lw_prefix a;
	size_t i, n = strlen(s);

	if (!addr_parse(&a, s))
		return true;
	if (!n || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return !(s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789.") == n);
}

static void put_dns(struct parser *p, const char *item, void *arg)
{
	struct lw_buf *b = arg;

	if (!dns_item_ok(item)) {
		perr(p, "dns '%s' is neither an address such as 10.9.0.53 nor "
			"a search domain such as corp.example",
		     item);
		return;
	}
	buf_printf(b, "%s%s", b->len ? ", " : "", item);
}

static void client_dns(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);
	struct lw_buf b = { 0 };

	if (!once(p, &n->dns_line, "dns"))
		return;
	for_each_item(p, "dns", v, put_dns, &b);
	n->dns = buf_steal(&b);
	if (!n->dns)
		p->oom = true;
}

/* os = linux (nft input table in wg-quick) or other (the hub guards it). */
static void client_os(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	if (!once(p, &n->os_line, "os"))
		return;
	if (!strcasecmp(v, "other"))
		n->os_other = true;
	else if (strcasecmp(v, "linux"))
		perr(p, "os must be 'linux' (its wg-quick configuration "
			"loads an nft input policy) or 'other' (phones, "
			"macOS, Windows: the hub guards it), not '%s'",
		     v);
}

const struct key_setter client_keys[] = {
	{ "group", client_group },	 { "address", node_address },
	{ "hub", node_hub },		 { "public-key", node_public_key },
	{ "listen-port", node_listen_port }, { "interface", node_interface },
	{ "visits", client_visits },	 { "routes", client_routes },
	{ "keepalive", node_keepalive }, { "dns", client_dns },
	{ "os", client_os },
};

const size_t n_client_keys = ARRAY_SIZE(client_keys);
