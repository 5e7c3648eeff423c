/* SPDX-License-Identifier: MIT */
/*
 * One node's plan (struct lw_node_plan in model.h): interface, addresses,
 * port, keys, peers with their AllowedIPs, routes, forwarding, masquerade,
 * sysctls and the routes its site's LAN router must hold. Made from a
 * checked description and its keyring; renderers and appliers read only
 * this.
 *
 * Ownership: plan_node() fills a caller-owned struct; plan_free() wipes
 * its keys and frees it. The plan points into desc, which must outlive it.
 */
#ifndef LW_PLAN_H
#define LW_PLAN_H

#include <stddef.h>

#include "model.h"

/* Where a node whose private key was made on the device keeps it. */
#define LW_DEVICE_KEY_DIR "/etc/wireguard"

/*
 * Plans node. Returns 0, -ENOKEY with a message in err (a key the plan
 * needs is missing), or -ENOMEM.
 */
int plan_node(struct lw_node_plan *pl, const struct lw_desc *d,
	      const struct lw_keyring *kr, size_t node, char *err,
	      size_t errlen);
void plan_free(struct lw_node_plan *pl);

#endif
