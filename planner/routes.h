/* SPDX-License-Identifier: MIT */
/*
 * Which prefixes each WireGuard peer entry carries (AllowedIPs: routing
 * table outbound, source filter inbound) and which routes a client gets.
 *
 * - A hub routes to each of its spokes that spoke's tunnel addresses and,
 *   for a gateway, its site's LANs; to another hub, that hub's addresses
 *   and everything of its spokes. This is what makes it the relay.
 * - A gateway routes to its hub the pools of the tunnel addresses it may
 *   talk with (policy, either direction) and the LANs of the sites it may
 *   talk with.
 * - A client routes the tunnel prefixes and what of each site it may
 *   exchange traffic with: the site's LANs, or only the SITE:HOST
 *   prefixes the rules name (host routes, /32 or /128). Each LAN of a
 *   site the client may sit in (visits, default all) is summarised to
 *   the narrowest prefix strictly less specific than the LAN, so that on
 *   site the on-link route wins (seed 001), inside its private block
 *   (RFC 1918, 100.64.0.0/10, a ULA /48) and covering no hub endpoint
 *   and no LAN the client may not reach: 192.168.200.0/24 and
 *   192.168.201.0/24 become 192.168.200.0/23, and a 10.10.0.0/16 HQ
 *   10.10.0.0/15, never 10.0.0.0/8 (a hotel's or carrier's 10.x network
 *   would be routed into the tunnel).
 *
 * Ownership: struct lw_plist is the caller's; plist_free() releases it.
 */
#ifndef LW_ROUTES_H
#define LW_ROUTES_H

#include "model.h"

struct lw_plist {
	struct lw_prefix *v;
	size_t n, cap;
};

/* Appends p unless an equal prefix is in l already. 0 or -ENOMEM. */
int plist_add(struct lw_plist *l, const struct lw_prefix *p);
/* Drops every prefix another one in l covers; keeps the order. */
void plist_prune_covered(struct lw_plist *l);
void plist_sort(struct lw_plist *l);
void plist_free(struct lw_plist *l);
/* Appends a node's tunnel addresses, or a site's LANs. 0 or -ENOMEM. */
int plist_add_tunnel(struct lw_plist *l, const struct lw_node *n);
int plist_add_lans(struct lw_plist *l, const struct lw_site *s);

/* Party n's addresses: its tunnel addresses and, for a gateway, its
 * site's LANs. */
int routes_party(const struct lw_desc *d, size_t n, struct lw_plist *out);
/* The smallest pool (or tunnel prefix) holding tunnel address a; a itself
 * if none does. */
void routes_pool_of(const struct lw_desc *d, const struct lw_prefix *a,
		    struct lw_prefix *out);

/* Which parties a gateway-side set is made of, relative to node self. */
enum lw_relation {
	LW_REL_TALKS,	 /* either may open connections to the other */
	LW_REL_OPENS_TO, /* self may open connections to them */
	LW_REL_OPENS_IN, /* they may open connections to self */
};

/* Pools of the related parties' tunnel addresses, then their LANs. */
int routes_related(const struct lw_desc *d, size_t self, enum lw_relation rel,
		   struct lw_plist *out);

/* Why a client's LAN route could not be made less specific. */
struct lw_conflict {
	size_t site, lan; /* the LAN, by site and index in it */
	bool public_space; /* the LAN is not inside a private block */
	struct lw_prefix block;
	bool has_blocker;
	struct lw_prefix blocker; /* what a summary would have swallowed */
};

/* Summary of one LAN a client may sit in, given what it must not
 * cover: true with *out, or false with c's public_space, block and
 * blocker filled (routes_client.c). */
typedef bool (*lw_summarise_fn)(const struct lw_prefix *lan,
				const struct lw_plist *forbidden,
				struct lw_prefix *out, struct lw_conflict *c);
bool routes_summarise_lan(const struct lw_prefix *lan,
			  const struct lw_plist *forbidden,
			  struct lw_prefix *out, struct lw_conflict *c);

/* Summarised routes of client n. 0, 1 with *c describing a conflict (out
 * then holds the LAN itself in its place), or -ENOMEM. */
int routes_client_summary(const struct lw_desc *d, size_t n,
			  struct lw_plist *out, struct lw_conflict *c);
/* The same with another summariser (tests run broken ones through it). */
int routes_client_summary_by(const struct lw_desc *d, size_t n,
			     lw_summarise_fn summarise, struct lw_plist *out,
			     struct lw_conflict *c);
/* Whether client n may sit in site s (its visits). */
bool routes_client_visits(const struct lw_desc *d, size_t n, size_t s);

/* AllowedIPs of node self's peer entry for node peer. 0 or -errno. */
int routes_allowed_ips(const struct lw_desc *d, size_t self, size_t peer,
		       struct lw_plist *out);

#endif
