/* SPDX-License-Identifier: MIT */
/*
 * The policy as a person reads it: "may A open PROTO/PORT to B", answered
 * straight from the description's names (which rule names A's node, group
 * or site, which names B, whether the rule's protocols take the port),
 * never from the address sets the firewall model is made of. Two users:
 * policy_test.c checks the firewall model (policy.c) against it, and the
 * lab (lanwire lab) computes its expected matrix with it, so what the lab
 * observes through real nft rulesets is compared with the policy itself.
 *
 * An endpoint is a node's own address (a tunnel address, or a gateway's
 * address on its LAN: both are the gateway itself) or a host of a site's
 * LAN (lan_host, node is the site's gateway).
 */
#ifndef LW_POLICY_PATH_H
#define LW_POLICY_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct lw_pep {
	bool lan_host; /* else a node's own address */
	size_t node;   /* the node, or the gateway of the host's site */
	size_t site;   /* lan_host only */
	struct lw_prefix addr;
	bool is_lan_address; /* a gateway's lan-address (lan_host false) */
};

/* Whether the policy lets a open a new proto/port connection to b. */
bool policy_path_allows(const struct lw_desc *d, const struct lw_pep *a,
			const struct lw_pep *b, enum lw_proto proto,
			uint16_t port);

/* Pairs no policy governs: different families, the same endpoint, inside
 * one site, a gateway into its own LAN, or a LAN host to its gateway's
 * LAN address (nothing crosses the tunnel). */
bool policy_path_skipped(const struct lw_pep *a, const struct lw_pep *b);

#endif
