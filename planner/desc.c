// SPDX-License-Identifier: MIT
/*
 * Description file -> struct lw_desc. inih splits "key = value" lines; our
 * line reader in front of it counts lines (the Debian build of inih gives
 * handlers no line numbers), strips indentation and '#' comments, opens
 * sections (so that empty sections exist too), and refuses what inih would
 * silently truncate or merge: over-long lines, control characters,
 * continuation lines, lines that are neither a header nor key = value.
 * One small setter per key stores its value with its line: [network]'s in
 * desc_network.c, [hub] and [site]'s in desc_node.c, [client]'s in
 * desc_client.c, the policy's (allow, service, ssh, host) in
 * desc_policy.c, and the value parsers they share in desc_values.c
 * (desc_parser.h ties them together). This file is the line reader, the
 * sections and the entry points. Afterwards the
 * link step resolves names (hubs, groups, policy, visits) and builds the
 * policy matrix, and alloc.c fills in missing addresses.
 */
#include "desc.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "desc_parser.h"
#include "txn.h"

static const char *const section_names[] = {
	[SEC_NONE] = "",
	[SEC_BAD] = "",
	[SEC_NETWORK] = "network",
	[SEC_HUB] = "hub",
	[SEC_SITE] = "site",
	[SEC_CLIENT] = "client",
	[SEC_POLICY] = "policy",
	[SEC_REVOKED] = "revoked",
	[SEC_LINK] = "link",
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
		*n = n_network_keys;
		return network_keys;
	case SEC_HUB:
		*n = n_hub_keys;
		return hub_keys;
	case SEC_SITE:
		*n = n_site_keys;
		return site_keys;
	case SEC_CLIENT:
		*n = n_client_keys;
		return client_keys;
	case SEC_POLICY:
		*n = ARRAY_SIZE(policy_keys);
		return policy_keys;
	case SEC_REVOKED:
		*n = n_revoked_keys;
		return revoked_keys;
	case SEC_LINK:
		*n = n_link_keys;
		return link_keys;
	default:
		*n = 0;
		return NULL;
	}
}

/* ---- the section being read ---- */

struct lw_node *cur_node(struct parser *p)
{
	return &p->d->nodes[p->node];
}

struct lw_site *cur_site(struct parser *p)
{
	return &p->d->sites[p->site];
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
	if (k == SEC_REVOKED && open_revoked(p, name))
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
	for (k = SEC_NETWORK; k <= SEC_LINK; k++) {
		if (!strcasecmp(s, section_names[k]))
			break;
	}
	if (k > SEC_LINK) {
		perr(p, "unknown section [%s]; sections are [network], "
			"[hub NAME], [site NAME], [client NAME], [link SITE "
			"SITE], [policy] and [revoked NAME]",
		     s);
		p->kind = SEC_BAD;
		return;
	}
	if (k == SEC_LINK)
		p->kind = open_link(p, rest);
	else if (k == SEC_NETWORK || k == SEC_POLICY)
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
	if (p->kind == SEC_REVOKED)
		return p->d->revoked[p->node].name;
	if (p->kind == SEC_LINK)
		return p->link_label;
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
	net->link_port = LW_DEFAULT_LINK_PORT;
	snprintf(net->link_iface, sizeof(net->link_iface), "%s",
		 LW_DEFAULT_LINK_IFACE);
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
		free_refs(n->hubs, n->n_hubs);
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
	for (i = 0; i < d->n_revoked; i++)
		free(d->revoked[i].name);
	free(d->revoked);
	for (i = 0; i < d->n_links; i++) {
		free(d->links[i].a);
		free(d->links[i].c);
	}
	free(d->links);
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
