/* SPDX-License-Identifier: MIT */
/*
 * The firewall model (struct lw_firewall, model.h): what each node's nft
 * table must accept, computed from the policy, so that renderers only
 * format it. Every allow rule and service line is split per node into
 * the chains that see its traffic:
 *
 *   hub      forward (relayed between spokes), input (to the hub itself),
 *            output (the hub's own new connections into the tunnel)
 *   gateway  forward from the tunnel into its LANs, forward from its LANs
 *            into the tunnel, input to the gateway itself from either side
 *   client   input (Linux clients: os = linux, the default)
 *
 * so a connection is checked at every node it passes that can enforce it.
 *
 * Ownership: policy_firewall() fills a caller-owned struct (zeroed first);
 * policy_free() releases what it allocated.
 */
#ifndef LW_POLICY_H
#define LW_POLICY_H

#include <stddef.h>

#include "model.h"
#include "routes.h"

/* Node's firewall. 0 or -ENOMEM. */
int policy_firewall(const struct lw_desc *d, size_t node,
		    struct lw_firewall *fw);
void policy_free(struct lw_firewall *fw);

/*
 * The addresses a reference stands for. As a source: a site is its LANs
 * and its gateway's tunnel addresses (SITE:PREFIX only the prefix); as a
 * destination a site is only its LANs (its gateway's own services are
 * opened by service lines, as its tunnel addresses and its lan-address).
 * Groups are their clients' tunnel addresses, hubs and clients their own.
 * 0 or -ENOMEM.
 */
int policy_ref_addrs(const struct lw_desc *d, const struct lw_ref *r,
		     bool as_source, struct lw_plist *out);

#endif
