/* SPDX-License-Identifier: MIT */
/*
 * Inside the semantic checks (check.h): what check.c's check_desc()
 * calls in the files split by concern, and the helpers they share.
 * Nothing outside the check*.c files includes this.
 */
#ifndef LW_CHECK_INT_H
#define LW_CHECK_INT_H

#include "check.h"
#include "desc.h"

#define err(d, line, ...) desc_diag((d), LW_ERROR, (line), __VA_ARGS__)
#define warn(d, line, ...) desc_diag((d), LW_WARNING, (line), __VA_ARGS__)

/* p as a prefix, formatted into buf. */
static inline const char *pfx(char buf[static LW_PREFIX_STRLEN],
			      const struct lw_prefix *p)
{
	prefix_format(buf, LW_PREFIX_STRLEN, p);
	return buf;
}

/* p as an address, formatted into buf. */
static inline const char *adr(char buf[static LW_PREFIX_STRLEN],
			      const struct lw_prefix *p)
{
	addr_format(buf, LW_PREFIX_STRLEN, p);
	return buf;
}

/* The [network] header's line, for what has no line of its own. */
static inline int net_line(const struct lw_desc *d)
{
	return d->net.line;
}

/* check_names.c: names, hubs, and what the policy names. */
void check_names(struct lw_desc *d);
void check_hubs(struct lw_desc *d);
void check_policy(struct lw_desc *d);
/* check_addr.c: node addresses, sites and their LANs. */
void check_addresses(struct lw_desc *d);
void check_sites(struct lw_desc *d);
/* check_routes.c: clients' visits and routes. */
void check_clients(struct lw_desc *d);
/* check_revoked.c: [revoked NAME] complete, its addresses and key never
 * another node's (the key part needs the keyring: from check_keys()). */
void check_revoked(struct lw_desc *d);
void check_revoked_keys(struct lw_desc *d, const struct lw_keyring *kr);
/* check_overlay.c: links, hubs =, reachability, one-way transit. */
void check_overlay(struct lw_desc *d);

#endif
