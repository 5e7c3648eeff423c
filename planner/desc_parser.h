/* SPDX-License-Identifier: MIT */
/*
 * Inside the description parser: the state desc.c's line reader and key
 * setters share, and the helpers desc_policy.c (allow rules, service and
 * ssh lines, named hosts) uses from desc.c. Nothing outside those two
 * files includes this.
 *
 * Ownership: struct parser lives on desc_parse()'s stack and points into
 * the lw_desc being filled.
 */
#ifndef LW_DESC_PARSER_H
#define LW_DESC_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "desc.h"

enum section_kind {
	SEC_NONE,
	SEC_BAD, /* a header we refused: its keys are skipped */
	SEC_NETWORK,
	SEC_HUB,
	SEC_SITE,
	SEC_CLIENT,
	SEC_POLICY,
};

struct parser {
	struct lw_desc *d;
	const char *text;
	size_t len, pos;
	int line;
	enum section_kind kind;
	size_t node; /* the hub, client or gateway being described */
	size_t site;
	bool oom;
};

#define perr(p, ...) desc_diag((p)->d, LW_ERROR, (p)->line, __VA_ARGS__)

/* desc.c */
void name_error(struct parser *p, const char *what, const char *s);
/* Splits a comma-separated list, trimming blanks, fn per item. */
void for_each_item(struct parser *p, const char *key, const char *value,
		   void (*fn)(struct parser *p, const char *item, void *arg),
		   void *arg);
/* Appends a reference named item to (*v, *n, *cap). */
void put_ref(struct parser *p, const char *item, struct lw_ref **v,
	     size_t *n, size_t *cap);
struct lw_node *cur_node(struct parser *p);
struct lw_site *cur_site(struct parser *p);

/* desc_policy.c: the setters of allow, service, ssh and host. */
void policy_allow(struct parser *p, const char *v);
void node_service(struct parser *p, const char *v);
void node_ssh(struct parser *p, const char *v);
void site_host(struct parser *p, const char *v);

#endif
