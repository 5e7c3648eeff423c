// SPDX-License-Identifier: MIT
/*
 * Description file -> struct lw_desc. inih splits "key = value" lines; our
 * line reader in front of it counts lines (the Debian build of inih gives
 * handlers no line numbers), strips indentation and '#' comments, opens
 * sections (so that empty sections exist too), and refuses what inih would
 * silently truncate or merge: over-long lines, control characters,
 * continuation lines, lines that are neither a header nor key = value.
 * One small setter per key stores its value with its line (the policy's:
 * allow, service, ssh, host, in desc_policy.c). Afterwards the
 * link step resolves names (hubs, groups, policy, visits) and builds the
 * policy matrix, and alloc.c fills in missing addresses.
 */
#include "desc.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "alloc.h"
#include "buf.h"
#include "desc_parser.h"
#include "keys.h"
#include "txn.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct key_setter {
	const char *name;
	void (*set)(struct parser *p, const char *value);
};

static const char *const section_names[] = {
	[SEC_NONE] = "",
	[SEC_BAD] = "",
	[SEC_NETWORK] = "network",
	[SEC_HUB] = "hub",
	[SEC_SITE] = "site",
	[SEC_CLIENT] = "client",
	[SEC_POLICY] = "policy",
};

/* ---- names and small values ---- */

bool desc_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > LW_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '_')))
			return false;
	}
	return true;
}

bool desc_iface_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > LW_IFNAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("_=+.-", c)))
			return false;
	}
	return true;
}

bool desc_value_ok(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '#' ||
		    *s == ';' || *s == '[' || *s == ']')
			return false;
	}
	return true;
}

void name_error(struct parser *p, const char *what, const char *s)
{
	perr(p, "%s '%s' is not a valid name: use 1 to %d letters, digits, "
		"'-' or '_', starting with a letter or digit",
	     what, s, LW_NAME_MAX);
}

/* False (with a diagnostic) if key was already given in this section. */
static bool once(struct parser *p, int *line, const char *key)
{
	if (*line) {
		perr(p, "%s is given twice (first on line %d); keep one", key,
		     *line);
		return false;
	}
	*line = p->line;
	return true;
}

/* A decimal number in [min, max], digits only. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 6)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * Splits a comma-separated list, trimming blanks, calling fn per item
 * (empty items are an error). The copy is local; fn copies what it keeps.
 */
void for_each_item(struct parser *p, const char *key, const char *value,
		   void (*fn)(struct parser *p, const char *item, void *arg),
		   void *arg)
{
	char *copy = strdup(value), *rest = copy, *item, *end;

	if (!copy) {
		p->oom = true;
		return;
	}
	while ((item = strsep(&rest, ",")) != NULL) {
		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*item) {
			perr(p, "%s has an empty item in '%s'", key, value);
			continue;
		}
		fn(p, item, arg);
	}
	free(copy);
}

/* ---- prefixes with their lines ---- */

/* Parses a prefix for key into *out; false with a diagnostic. */
static bool get_prefix(struct parser *p, const char *key, const char *s,
		       struct lw_prefix *out)
{
	char fixed[LW_PREFIX_STRLEN];
	int r = prefix_parse(out, s, false);

	if (r == -EDOM) {
		prefix_truncate(out, out->len);
		prefix_format(fixed, sizeof(fixed), out);
		perr(p, "%s %s has host bits set; write %s", key, s, fixed);
		return false;
	}
	if (r || !strchr(s, '/')) {
		perr(p, "%s '%s' is not a prefix such as 10.9.0.0/16 or "
			"fd00:9::/64",
		     key, s);
		return false;
	}
	return true;
}

struct family_slot_arg {
	const char *key;
	struct lw_lprefix *slots; /* LW_FAMILIES of them */
};

static void put_family_prefix(struct parser *p, const char *item, void *arg)
{
	struct family_slot_arg *a = arg;
	struct lw_prefix pfx;
	struct lw_lprefix *slot;

	if (!get_prefix(p, a->key, item, &pfx))
		return;
	slot = &a->slots[family_index(pfx.family)];
	if (slot->line) {
		perr(p, "%s has a second %s prefix %s (first on line %d); "
			"give one per family",
		     a->key, family_name(pfx.family), item, slot->line);
		return;
	}
	slot->p = pfx;
	slot->line = p->line;
}

static void set_family_prefixes(struct parser *p, const char *key,
				const char *value, struct lw_lprefix *slots)
{
	struct family_slot_arg a = { key, slots };

	for_each_item(p, key, value, put_family_prefix, &a);
}

struct prefix_list_arg {
	const char *key;
	struct lw_lprefix **v;
	size_t *n, *cap;
};

static void put_list_prefix(struct parser *p, const char *item, void *arg)
{
	struct prefix_list_arg *a = arg;
	struct lw_prefix pfx;

	if (!get_prefix(p, a->key, item, &pfx))
		return;
	if (lw_grow(a->v, a->cap, *a->n + 1, sizeof(**a->v))) {
		p->oom = true;
		return;
	}
	(*a->v)[*a->n].p = pfx;
	(*a->v)[*a->n].line = p->line;
	(*a->n)++;
}

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

static void set_number(struct parser *p, const char *key, const char *v,
		       unsigned long min, unsigned long max, int *line,
		       unsigned int *out)
{
	unsigned long n;

	if (!once(p, line, key))
		return;
	if (!parse_uint(v, min, max, &n)) {
		perr(p, "%s must be a number from %lu to %lu, not '%s'", key,
		     min, max, v);
		return;
	}
	*out = (unsigned int)n;
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

static void set_iface(struct parser *p, const char *key, const char *v,
		      int *line, char out[static LW_IFNAME_MAX + 1])
{
	if (!once(p, line, key))
		return;
	if (!desc_iface_ok(v)) {
		perr(p, "%s '%s' is not an interface name (1 to %d of "
			"A-Z a-z 0-9 _ = + . -)",
		     key, v, LW_IFNAME_MAX);
		return;
	}
	snprintf(out, LW_IFNAME_MAX + 1, "%s", v);
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

static const struct key_setter network_keys[] = {
	{ "name", net_name },
	{ "tunnel", net_tunnel },
	{ "infra-pool", net_infra_pool },
	{ "client-pool", net_client_pool },
	{ "mtu", net_mtu },
	{ "link-mtu", net_link_mtu },
	{ "keepalive", net_keepalive },
	{ "interface", net_interface },
	{ "address-prefix", net_address_prefix },
};

/* ---- keys every node has ---- */

struct lw_node *cur_node(struct parser *p)
{
	return &p->d->nodes[p->node];
}

static void put_address(struct parser *p, const char *item, void *arg)
{
	struct lw_node *n = cur_node(p);
	struct lw_lprefix *slot;
	struct lw_prefix a;

	(void)arg;
	if (prefix_parse(&a, item, false) || !prefix_is_host(&a)) {
		perr(p, "address '%s' is not a single address such as "
			"10.9.0.2 or fd00:9::2",
		     item);
		return;
	}
	slot = &n->addr[family_index(a.family)];
	if (slot->line) {
		perr(p, "address has a second %s address %s (first on line "
			"%d); give one per family",
		     family_name(a.family), item, slot->line);
		return;
	}
	slot->p = a;
	slot->line = p->line;
}

static void node_address(struct parser *p, const char *v)
{
	for_each_item(p, "address", v, put_address, NULL);
}

static void node_public_key(struct parser *p, const char *v)
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

static void node_listen_port(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);
	unsigned int port = 0;

	set_number(p, "listen-port", v, 1, 65535, &n->listen_port_line, &port);
	n->listen_port = (uint16_t)port;
}

static void node_keepalive(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	set_number(p, "keepalive", v, 0, 65535, &n->keepalive_line,
		   &n->keepalive);
}

static void node_interface(struct parser *p, const char *v)
{
	struct lw_node *n = cur_node(p);

	set_iface(p, "interface", v, &n->iface_line, n->iface);
}

static void node_hub(struct parser *p, const char *v)
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

static const struct key_setter hub_keys[] = {
	{ "endpoint", hub_endpoint },	  { "listen-port", node_listen_port },
	{ "address", node_address },	  { "public-key", node_public_key },
	{ "interface", node_interface },   { "keepalive", node_keepalive },
	{ "service", node_service },	  { "ssh", node_ssh },
};

/* ---- [site NAME] ---- */

struct lw_site *cur_site(struct parser *p)
{
	return &p->d->sites[p->site];
}

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

static void site_lan_address(struct parser *p, const char *v)
{
	struct lw_site *s = cur_site(p);

	if (!once(p, &s->lan_address.line, "lan-address"))
		return;
	if (prefix_parse(&s->lan_address.p, v, false) ||
	    !prefix_is_host(&s->lan_address.p)) {
		memset(&s->lan_address.p, 0, sizeof(s->lan_address.p));
		perr(p, "lan-address '%s' is not a single address such as "
			"192.168.1.2",
		     v);
	}
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

static const struct key_setter site_keys[] = {
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
};

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

/* Appends a reference named item to (*v, *n, *cap). */
void put_ref(struct parser *p, const char *item, struct lw_ref **v,
	     size_t *n, size_t *cap)
{
	if (!desc_name_ok(item)) {
		if (prefix_parse(&(struct lw_prefix){ 0 }, item, true) == 0)
			perr(p, "'%s' is an address; name the site it is in, "
				"as SITE:%s",
			     item, item);
		else
			name_error(p, "name", item);
		return;
	}
	if (lw_grow(v, cap, *n + 1, sizeof(**v))) {
		p->oom = true;
		return;
	}
	(*v)[*n].name = strdup(item);
	if (!(*v)[*n].name) {
		p->oom = true;
		return;
	}
	(*n)++;
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

static const struct key_setter client_keys[] = {
	{ "group", client_group },	 { "address", node_address },
	{ "hub", node_hub },		 { "public-key", node_public_key },
	{ "listen-port", node_listen_port }, { "interface", node_interface },
	{ "visits", client_visits },	 { "routes", client_routes },
	{ "keepalive", node_keepalive }, { "dns", client_dns },
	{ "os", client_os },
};

/* ---- [policy]: desc_policy.c ---- */

static const struct key_setter policy_keys[] = {
	{ "allow", policy_allow },
};

/* ---- sections ---- */

static const struct key_setter *section_keys(enum section_kind k, size_t *n)
{
	switch (k) {
	case SEC_NETWORK:
		*n = ARRAY_SIZE(network_keys);
		return network_keys;
	case SEC_HUB:
		*n = ARRAY_SIZE(hub_keys);
		return hub_keys;
	case SEC_SITE:
		*n = ARRAY_SIZE(site_keys);
		return site_keys;
	case SEC_CLIENT:
		*n = ARRAY_SIZE(client_keys);
		return client_keys;
	case SEC_POLICY:
		*n = ARRAY_SIZE(policy_keys);
		return policy_keys;
	default:
		*n = 0;
		return NULL;
	}
}

/* Appends a node named name; false on failure (diagnosed or oom). */
static bool add_node(struct parser *p, const char *name, enum lw_role role)
{
	struct lw_desc *d = p->d;
	struct lw_node *n;

	if (d->n_nodes >= LW_MAX_NODES) {
		perr(p, "more than %d nodes; lanwire plans networks up to "
			"that size",
		     LW_MAX_NODES);
		return false;
	}
	if (lw_grow(&d->nodes, &d->cap_nodes, d->n_nodes + 1,
		    sizeof(*d->nodes))) {
		p->oom = true;
		return false;
	}
	n = &d->nodes[d->n_nodes];
	n->name = strdup(name);
	if (!n->name) {
		p->oom = true;
		return false;
	}
	n->role = role;
	n->line = p->line;
	n->name_line = p->line;
	p->node = d->n_nodes++;
	return true;
}

static bool add_site(struct parser *p, const char *name)
{
	struct lw_desc *d = p->d;
	struct lw_site *s;

	if (lw_grow(&d->sites, &d->cap_sites, d->n_sites + 1,
		    sizeof(*d->sites))) {
		p->oom = true;
		return false;
	}
	if (!add_node(p, name, LW_ROLE_GATEWAY))
		return false;
	s = &d->sites[d->n_sites];
	s->name = strdup(name);
	if (!s->name) {
		p->oom = true;
		return false;
	}
	s->line = p->line;
	s->gateway = p->node;
	d->nodes[p->node].site = d->n_sites;
	p->site = d->n_sites++;
	return true;
}

static enum section_kind open_named(struct parser *p, enum section_kind k,
				    const char *name)
{
	if (!*name) {
		perr(p, "[%s] needs a name: [%s NAME]", section_names[k],
		     section_names[k]);
		return SEC_BAD;
	}
	if (!desc_name_ok(name)) {
		name_error(p, section_names[k], name);
		return SEC_BAD;
	}
	if (k == SEC_HUB && add_node(p, name, LW_ROLE_HUB))
		return k;
	if (k == SEC_CLIENT && add_node(p, name, LW_ROLE_CLIENT))
		return k;
	if (k == SEC_SITE && add_site(p, name))
		return k;
	return SEC_BAD;
}

static enum section_kind open_unnamed(struct parser *p, enum section_kind k,
				      const char *rest)
{
	struct lw_desc *d = p->d;

	if (*rest) {
		perr(p, "[%s] takes no name", section_names[k]);
		return SEC_BAD;
	}
	if (k == SEC_POLICY) {
		if (!d->policy_line)
			d->policy_line = p->line;
		return k;
	}
	if (d->net.line) {
		perr(p, "a second [network] section (first on line %d); "
			"merge them",
		     d->net.line);
		return SEC_BAD;
	}
	d->net.line = p->line;
	return k;
}

/* Opens the section whose header text (between the brackets) is s. */
static void open_section(struct parser *p, char *s)
{
	enum section_kind k;
	char *rest;

	while (*s == ' ' || *s == '\t')
		s++;
	rest = s + strcspn(s, " \t");
	if (*rest)
		*rest++ = '\0';
	while (*rest == ' ' || *rest == '\t')
		rest++;
	for (k = SEC_NETWORK; k <= SEC_POLICY; k++) {
		if (!strcasecmp(s, section_names[k]))
			break;
	}
	if (k > SEC_POLICY) {
		perr(p, "unknown section [%s]; sections are [network], "
			"[hub NAME], [site NAME], [client NAME] and [policy]",
		     s);
		p->kind = SEC_BAD;
		return;
	}
	if (k == SEC_NETWORK || k == SEC_POLICY)
		p->kind = open_unnamed(p, k, rest);
	else
		p->kind = open_named(p, k, rest);
}

/* ---- the line reader in front of inih ---- */

/* Cuts a '#' or ';' comment that starts a word; trims the right end. */
static void cut_comment(char *s)
{
	char *c, *end;

	for (c = s; *c; c++) {
		if ((*c == '#' || *c == ';') &&
		    (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
}

static bool has_control_char(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/*
 * Prepares physical line s (n bytes, no newline) for inih in out (size
 * bytes): a key = value line, or "\n" for anything inih must not see.
 */
static void prepare_line(struct parser *p, const char *s, size_t n, char *out,
			 size_t size)
{
	char *t;

	strcpy(out, "\n");
	if (p->line == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		n -= 3;
	}
	if (n && s[n - 1] == '\r')
		n--;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (has_control_char(s, n)) {
		perr(p, "line holds a control character");
		return;
	}
	if (n + 2 > size) {
		perr(p, "line is longer than %zu characters", size - 2);
		return;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	cut_comment(out);
	if (!*out) {
		strcpy(out, "\n");
		return;
	}
	if (out[0] == '[') {
		t = out + strlen(out) - 1;
		if (*t != ']') {
			perr(p, "section header without its closing ']'");
			p->kind = SEC_BAD;
		} else {
			*t = '\0';
			open_section(p, out + 1);
		}
		strcpy(out, "\n");
		return;
	}
	t = strchr(out, '=');
	if (!t || t == out) {
		perr(p, "expected KEY = VALUE or a [section] header");
		strcpy(out, "\n");
		return;
	}
	strcat(out, "\n");
}

static char *read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *s, *nl, *end;

	if (p->pos >= p->len || num < 4)
		return NULL;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	end = nl ? nl : p->text + p->len;
	p->pos = (size_t)(end - p->text) + (nl ? 1 : 0);
	p->line++;
	prepare_line(p, s, (size_t)(end - s), str, (size_t)num);
	return str;
}

static const char *known_keys(const struct key_setter *keys, size_t n,
			      char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
					i ? ", " : "", keys[i].name);
	return buf;
}

/* The NAME of the current [kind NAME] section, NULL for unnamed ones. */
static const char *section_name(const struct parser *p)
{
	if (p->kind == SEC_SITE)
		return p->d->sites[p->site].name;
	if (p->kind == SEC_HUB || p->kind == SEC_CLIENT)
		return p->d->nodes[p->node].name;
	return NULL;
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parser *p = user;
	const struct key_setter *keys;
	char list[256];
	size_t i, n;

	(void)section;
	if (p->kind == SEC_BAD)
		return 1;
	if (p->kind == SEC_NONE) {
		perr(p, "%s is outside any section; the description starts "
			"with [network]",
		     name);
		return 1;
	}
	keys = section_keys(p->kind, &n);
	for (i = 0; i < n; i++) {
		if (strcasecmp(keys[i].name, name))
			continue;
		if (!*value)
			perr(p, "%s needs a value", keys[i].name);
		else
			keys[i].set(p, value);
		return 1;
	}
	perr(p, "unknown key '%s' in [%s%s%s]; known keys: %s", name,
	     section_names[p->kind], section_name(p) ? " " : "",
	     section_name(p) ? section_name(p) : "",
	     known_keys(keys, n, list, sizeof(list)));
	return 1;
}

/* ---- entry points ---- */

static void set_defaults(struct lw_net *net)
{
	net->mtu = LW_DEFAULT_MTU;
	net->link_mtu = LW_DEFAULT_LINK_MTU;
	net->keepalive = LW_DEFAULT_KEEPALIVE;
	snprintf(net->iface, sizeof(net->iface), "%s", LW_DEFAULT_IFACE);
}

/* A network without name = is named after its file, "net.conf" -> "net". */
static int default_name(struct lw_desc *d)
{
	const char *base = strrchr(d->path, '/');
	size_t n;

	base = base ? base + 1 : d->path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".conf"))
		n -= 5;
	d->net.name = strndup(base, n);
	if (d->net.name && !desc_name_ok(d->net.name)) {
		free(d->net.name);
		d->net.name = strdup("lanwire");
	}
	return d->net.name ? 0 : -ENOMEM;
}

int desc_parse(struct lw_desc *d, const char *path, const char *text,
	       size_t len)
{
	struct parser p = { .d = d, .text = text, .len = len };
	int r;

	memset(d, 0, sizeof(*d));
	set_defaults(&d->net);
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;
	if (len > LW_DESC_MAX) {
		desc_diag(d, LW_ERROR, 0, "larger than %d bytes", LW_DESC_MAX);
		d->syntax_failed = true;
		return 0;
	}
	r = ini_parse_stream(read_line, &p, on_key, &p);
	if (r < 0 || p.oom)
		return -ENOMEM;
	if (r > 0 && !d->n_errors)
		desc_diag(d, LW_ERROR, r, "cannot parse this line");
	if (!d->net.line)
		desc_diag(d, LW_ERROR, 0,
			  "no [network] section; a description starts with "
			  "[network] and tunnel = PREFIX");
	d->syntax_failed = d->n_errors > 0;
	if (!d->net.name && default_name(d))
		return -ENOMEM;
	if (desc_link(d))
		return -ENOMEM;
	if (!d->syntax_failed)
		alloc_addresses(d);
	return 0;
}

int desc_load(struct lw_desc *d, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	r = lw_read_file(path, &text, &len, LW_DESC_MAX + 1);
	if (r) {
		memset(d, 0, sizeof(*d));
		d->path = strdup(path);
		desc_diag(d, LW_ERROR, 0, "cannot read: %s", strerror(-r));
		d->syntax_failed = true;
		return r;
	}
	r = desc_parse(d, path, text, len);
	free(text);
	return r;
}

static void free_refs(struct lw_ref *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].host);
	}
	free(v);
}

static void free_nodes(struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		struct lw_node *n = &d->nodes[i];

		free(n->name);
		free(n->hub_name);
		free(n->group);
		free_refs(n->visits, n->n_visits);
		free(n->routes);
		free(n->dns);
	}
	free(d->nodes);
}

void desc_free(struct lw_desc *d)
{
	size_t i;

	free_nodes(d);
	for (i = 0; i < d->n_sites; i++) {
		free(d->sites[i].name);
		free(d->sites[i].lans);
		for (size_t k = 0; k < d->sites[i].n_hosts; k++)
			free(d->sites[i].hosts[k].name);
		free(d->sites[i].hosts);
	}
	free(d->sites);
	for (i = 0; i < d->n_groups; i++) {
		free(d->groups[i].name);
		free(d->groups[i].members);
	}
	free(d->groups);
	for (i = 0; i < d->n_rules; i++) {
		free(d->rules[i].text);
		free_refs(d->rules[i].from, d->rules[i].n_from);
		free_refs(d->rules[i].to, d->rules[i].n_to);
		free(d->rules[i].svcs);
	}
	free(d->rules);
	for (i = 0; i < d->n_diags; i++) {
		free(d->diags[i].file);
		free(d->diags[i].msg);
	}
	free(d->diags);
	free(d->open);
	free(d->net.name);
	free(d->path);
	memset(d, 0, sizeof(*d));
}
