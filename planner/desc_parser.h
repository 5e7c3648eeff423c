/* SPDX-License-Identifier: MIT */
/*
 * Inside the description parser: the state desc.c's line reader and the
 * key setters share, each section's key table (desc_network.c,
 * desc_node.c, desc_client.c; the policy's setters in desc_policy.c), and
 * the value parsers they all use (desc_values.c). Nothing outside the
 * desc*.c files includes this.
 *
 * Ownership: struct parser lives on desc_parse()'s stack and points into
 * the lw_desc being filled.
 */
#ifndef LW_DESC_PARSER_H
#define LW_DESC_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "desc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum section_kind {
	SEC_NONE,
	SEC_BAD, /* a header we refused: its keys are skipped */
	SEC_NETWORK,
	SEC_HUB,
	SEC_SITE,
	SEC_CLIENT,
	SEC_POLICY,
	SEC_REVOKED, /* [revoked NAME]: desc_revoked.c */
	SEC_LINK, /* [link A C] */
};

struct parser {
	struct lw_desc *d;
	const char *text;
	size_t len, pos;
	int line;
	enum section_kind kind;
	size_t node; /* the hub, client or gateway being described; for
		      * [revoked NAME] the index into lw_desc.revoked */
	size_t site;
	size_t link; /* the [link] being described */
	char link_label[2 * (LW_NAME_MAX + 2) + 2]; /* its "A C", for diagnostics */
	bool oom;
};

#define perr(p, ...) desc_diag((p)->d, LW_ERROR, (p)->line, __VA_ARGS__)

/* One key of a section and the setter that stores its value. The tables
 * are static const data of the file that holds the setters. */
struct key_setter {
	const char *name;
	void (*set)(struct parser *p, const char *value);
};

/* desc.c: the section being read. */
struct lw_node *cur_node(struct parser *p);
struct lw_site *cur_site(struct parser *p);

/* desc_values.c: values the setters share. */
void name_error(struct parser *p, const char *what, const char *s);
/* False (with a diagnostic) if key was already given in this section. */
bool once(struct parser *p, int *line, const char *key);
/* Splits a comma-separated list, trimming blanks, fn per item. */
void for_each_item(struct parser *p, const char *key, const char *value,
		   void (*fn)(struct parser *p, const char *item, void *arg),
		   void *arg);
/* key = a number in [min, max] into *out, given once (*line). */
void set_number(struct parser *p, const char *key, const char *v,
		unsigned long min, unsigned long max, int *line,
		unsigned int *out);
/* key = an interface name into out, given once (*line). */
void set_iface(struct parser *p, const char *key, const char *v, int *line,
	       char out[static LW_IFNAME_MAX + 1]);
/* key = prefixes, at most one per family, into slots[LW_FAMILIES]. */
void set_family_prefixes(struct parser *p, const char *key,
			 const char *value, struct lw_lprefix *slots);

/* Where put_list_prefix() appends: a growable array in the lw_desc
 * (which owns and frees it); the arg itself lives on the setter's
 * stack. */
struct prefix_list_arg {
	const char *key;
	struct lw_lprefix **v;
	size_t *n, *cap;
};

/* for_each_item() callback: appends prefix item to arg's list. */
void put_list_prefix(struct parser *p, const char *item, void *arg);
/* Appends a reference named item to (*v, *n, *cap). */
void put_ref(struct parser *p, const char *item, struct lw_ref **v,
	     size_t *n, size_t *cap);

/* desc_network.c, desc_node.c, desc_client.c: each section's keys. */
extern const struct key_setter network_keys[], hub_keys[], site_keys[],
	client_keys[];
extern const size_t n_network_keys, n_hub_keys, n_site_keys, n_client_keys;

/* desc_revoked.c: [revoked NAME] (opened by open_revoked()) and its keys
 * address and public-key. */
extern const struct key_setter revoked_keys[];
extern const size_t n_revoked_keys;
bool open_revoked(struct parser *p, const char *name);

/* desc_node.c: the keys every node has, for the tables of each section. */
/* One host address item of key (address, lan-address; example names two
 * for the message) into slots, at most one per family (file:line of the
 * first in the error). */
void put_host_per_family(struct parser *p, const char *key,
			 const char *example, struct lw_lprefix *slots,
			 const char *item);
void node_address(struct parser *p, const char *v);
void node_public_key(struct parser *p, const char *v);
void node_listen_port(struct parser *p, const char *v);
void node_keepalive(struct parser *p, const char *v);
void node_interface(struct parser *p, const char *v);
void node_hub(struct parser *p, const char *v);

/* desc_overlay.c: [link A C] and the overlay's keys of the other
 * sections. open_link() returns SEC_LINK or SEC_BAD. */
enum section_kind open_link(struct parser *p, const char *rest);
extern const struct key_setter link_keys[];
extern const size_t n_link_keys;
void net_link_pool(struct parser *p, const char *v);
void net_link_port(struct parser *p, const char *v);
void net_link_interface(struct parser *p, const char *v);
void hub_cost(struct parser *p, const char *v);
void site_hubs(struct parser *p, const char *v);
void site_public_address(struct parser *p, const char *v);

/* desc_policy.c: the setters of allow, service, ssh and host. */
void policy_allow(struct parser *p, const char *v);
void node_service(struct parser *p, const char *v);
void node_ssh(struct parser *p, const char *v);
void site_host(struct parser *p, const char *v);

#endif
