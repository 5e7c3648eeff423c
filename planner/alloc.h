/* SPDX-License-Identifier: MIT */
/*
 * Tunnel address allocation. A node without an address of a family the
 * tunnel has gets the lowest free address of its pool (infra-pool for hubs
 * and gateways, client-pool for clients, each defaulting to the tunnel
 * prefix), in description order, skipping the pool's network and broadcast
 * addresses and every address written anywhere in the description. The
 * result depends on the nodes above, so removing or inserting one shifts
 * the implicit addresses below it: what is deployed is pinned (written
 * into the file) by keys, add, remove and pin (pin.h), and check warns
 * about the rest. The walk itself stays as it is, so that pinning a
 * description from an older lanwire writes the addresses it deployed.
 */
#ifndef LW_ALLOC_H
#define LW_ALLOC_H

#include "model.h"

/* Fills every missing node address; an exhausted pool is an error
 * diagnostic at the node's line. */
void alloc_addresses(struct lw_desc *d);

/* The pool node n's family-fi address belongs to, and its key name in
 * *key ("infra-pool", "client-pool" or "tunnel"). NULL when the network
 * has no tunnel prefix of that family. */
const struct lw_lprefix *alloc_pool(const struct lw_desc *d,
				    const struct lw_node *n, unsigned int fi,
				    const char **key);

#endif
