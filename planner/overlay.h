/* SPDX-License-Identifier: MIT */
/*
 * The overlay (docs/overlay.md): when a network has more than one hub or
 * any [link], every router (hub or site gateway) gets one WireGuard
 * interface per link it is on, and BIRD 2 runs OSPF with BFD over them.
 * Links, in this order (a link's index is its place; it numbers the
 * interface, the UDP port and the /31):
 *   every pair of hubs                     cost: the larger hub cost
 *   every site with each of its hubs       cost: the hub's, both ways
 *   every [link A C]                       cost: as written, per direction
 * Paths follow the smallest sum of the costs on the way out of each
 * router (OSPF's metric); overlay_dist() computes them as OSPF does, for
 * check_overlay.c and the tests.
 *
 * Pure: reads a linked description, allocates only struct lw_overlay.
 * Ownership: the caller's; overlay_free() releases it.
 */
#ifndef LW_OVERLAY_H
#define LW_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

#define LW_DIST_INF ((unsigned long)-1)

enum lw_olink_kind { LW_OLINK_HUBS, LW_OLINK_HUB_SITE, LW_OLINK_DIRECT };

/* One link: one interface with one peer at each end. */
struct lw_olink {
	enum lw_olink_kind kind;
	size_t end[2];		  /* node indices (hub first for hub-site) */
	unsigned int cost[2];	  /* cost[i]: from end[i] to the other end */
	struct lw_prefix addr[2]; /* end[i]'s IPv4 address, in a /31 */
	bool has_addr;		  /* link-pool large enough */
	uint16_t port;		  /* at both ends; 0 past 65535 */
	char iface[LW_IFNAME_MAX + 1];
	int line; /* [link] header, site's hubs = or header, or hub header */
	size_t decl; /* LW_OLINK_DIRECT: index into lw_desc.links */
};

struct lw_overlay {
	struct lw_olink *links;
	size_t n_links, cap_links;
	size_t n_nodes;
};

/* Whether the network renders the overlay: two hubs or a [link]. */
bool overlay_active(const struct lw_desc *d);
/* A hub's cost: its cost = or LW_HUB_COST_STEP times its place. */
unsigned int overlay_hub_cost(const struct lw_desc *d, size_t hub);
/* Whether the site's gateway has a link to hub (its hubs =, or every
 * hub). */
bool overlay_site_uses_hub(const struct lw_desc *d, size_t gw, size_t hub);
/* The links of d. Names that do not resolve (check_overlay.c reports
 * them) make no link. 0 or -ENOMEM. */
int overlay_build(const struct lw_desc *d, struct lw_overlay *o);
void overlay_free(struct lw_overlay *o);
/* The link's end that is node (0 or 1), -1 if neither. */
int overlay_end(const struct lw_olink *l, size_t node);
/*
 * Shortest-path distances from src to every node (dist[n_nodes]) over
 * the links, LW_DIST_INF where unreachable (clients are never reached:
 * they are not routers). 0 or -ENOMEM.
 */
int overlay_dist(const struct lw_overlay *o, size_t src, unsigned long *dist);
/* All-pairs distances, dist[a * n + b], n = o->n_nodes; the caller frees.
 * NULL on allocation failure. */
unsigned long *overlay_all_dist(const struct lw_overlay *o);
/*
 * Where strict reverse-path filtering would drop traffic the overlay
 * routes: loose[2 * k + e] is set for link k at its end e when some
 * shortest path from a router s to a router t enters end[e] over link k
 * while a shortest path from end[e] back to s leaves by another link
 * (strict rp_filter drops a packet whose source is not routed out of the
 * interface it came in on). With equal costs OSPF picks one of the
 * shortest paths (ecmp no), so any of them counts: loose wherever the
 * paths may be asymmetric, strict everywhere else. dist is
 * overlay_all_dist()'s; loose has 2 * o->n_links entries.
 */
void overlay_rp_loose(const struct lw_overlay *o, const unsigned long *dist,
		      bool *loose);

#endif
