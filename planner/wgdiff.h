/* SPDX-License-Identifier: MIT */
/*
 * The peers part of lanwire up's convergence (apply_wg.c, and so of
 * lanwire agent): a node's plan against `wg show IFACE dump` and up's
 * state file -> the smallest set of `wg set` changes. Pure: no host, no
 * I/O, so it is unit-tested against a naive reference
 * (wgdiff_ref_test.c).
 *
 *   - a running peer whose key the plan does not hold is removed;
 *   - a planned peer that is not running is added with every field it has;
 *   - a planned peer that is running gets only the fields that differ:
 *     preshared key (compared in constant time), keepalive, AllowedIPs (as
 *     a set), endpoint -- compared with the endpoint up set last (the
 *     state), else the running one, so an endpoint the peer roamed to
 *     since is not pulled back;
 *   - an unchanged peer gives nothing (its session survives).
 *
 * Ownership: the changes array is the caller's (free()); it points into
 * nothing.
 */
#ifndef LW_WGDIFF_H
#define LW_WGDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "upstate.h"

/* The fields of one planned peer to set (all it has, when it is new). */
struct wg_peer_diff {
	bool psk, endpoint, keepalive, allowed;
	char what[96]; /* " preshared-key endpoint ..." for the report */
};

enum wg_change_op { WG_PEER_REMOVE, WG_PEER_SET };

struct wg_peer_change {
	enum wg_change_op op;
	size_t index; /* REMOVE: into the dump's peers; SET: the plan's */
	bool added;   /* SET of a peer that was not running */
	struct wg_peer_diff f;
};

/* One planned peer against its running self (NULL: not running) and the
 * endpoint up set last (NULL: none recorded). */
void wg_peer_diff(const struct lw_peer_plan *pp, const struct lw_dump_peer *dp,
		  const char *last_endpoint, struct wg_peer_diff *f);
/*
 * Every change pl needs against the running dump d, with st the state up
 * keeps (its recorded endpoints): the removals first (in the dump's
 * order), then the sets (in the plan's). *out is the caller's; 0 changes
 * leave it NULL. 0 or -ENOMEM.
 */
int wg_diff_peers(const struct lw_node_plan *pl, const struct lw_wg_dump *d,
		  const struct lw_up_state *st, struct wg_peer_change **out,
		  size_t *n);

#endif
