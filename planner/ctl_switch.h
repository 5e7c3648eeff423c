/* SPDX-License-Identifier: MIT */
/*
 * Make-before-break key rotation (docs/control.md, "Key rotation"): when
 * `lanwire publish` sees a node's public key change it picks a switch
 * time T (publish + CTL_SWITCH_DELAY_MS, Unix ms) and signs into every
 * peer's state, on the new key's peer entry, "replaces": OLD and
 * "switch_at": T, and into the node's own state "switch_at": T. Then:
 *
 *   before T      a peer keeps the old key's peer with its AllowedIPs and
 *                 adds the new key beside it with none (lanwired is also
 *                 told lanwire_replaces=OLD: it moves the AllowedIPs on
 *                 the new key's first authenticated packet); the rotating
 *                 node keeps its old private key;
 *   T .. T+KEEP   the new key's peer holds the AllowedIPs, the old one
 *                 none (wireguard-go peers switch here); the node has
 *                 switched its private key;
 *   after         as the state says: the old key's peer is gone.
 *
 * A daemon that took lanwire_replaces moves the AllowedIPs itself when
 * the node's first packet under the new key arrives, which may be a
 * little before or after T (the clocks and agents differ): its agent
 * does not move them at T (packets still under the old key would be
 * dropped), only follows where they are (new_holds) until T+KEEP.
 *
 * ctl_switch_peers() is that schedule, pure: the peers to apply at a
 * given time, and when the next step is due. Publishes within T+KEEP
 * carry the same T on (ctl_switch_carry()), so a publish made meanwhile
 * does not cut the schedule short.
 *
 * Ownership: struct ctl_switch values are plain; ctl_switch_peers()'s
 * array and each AllowedIPs array in it are the caller's
 * (ctl_switch_peers_free()); json_t arguments are borrowed.
 */
#ifndef LW_CTL_SWITCH_H
#define LW_CTL_SWITCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* From publish to T: enough for every agent to have the state. */
#define CTL_SWITCH_DELAY_MS 2000
/* From T to the old key's removal. */
#define CTL_SWITCH_KEEP_MS 5000

/* One rotating node as a state carries it: for a peer entry, peer is the
 * index into the plan's peers; for publish, name is the node. */
struct ctl_switch {
	size_t peer;
	const char *name;
	uint8_t replaces[LW_KEY_LEN]; /* its old public key */
	uint64_t at_ms;		      /* T, Unix ms */
	/* the agent's, at run time: its daemon moves the AllowedIPs
	 * (lanwire_replaces taken), and has moved them already */
	bool daemon_moves, new_holds;
};

/*
 * The peers to apply at now_ms (a new array in *out, *n_out entries):
 * pl's peers, each rotating one (sw, n) as the schedule above says, the
 * old key's peer a copy of the new one's (preshared key, endpoint,
 * keepalive) with no psk_path. *next_ms: the earliest later time the
 * result changes, 0 if none. 0 or -ENOMEM (nothing to free then).
 */
int ctl_switch_peers(const struct lw_node_plan *pl,
		     const struct ctl_switch *sw, size_t n, uint64_t now_ms,
		     struct lw_peer_plan **out, size_t *n_out,
		     uint64_t *next_ms);
void ctl_switch_peers_free(struct lw_peer_plan *v, size_t n);
/* The earliest time after now_ms at which ctl_switch_peers()'s result
 * changes, 0 if none (its *next_ms). */
uint64_t ctl_switch_next(const struct ctl_switch *sw, size_t n,
			 uint64_t now_ms);

/* Whether the old key still holds sw's AllowedIPs at now_ms: the peer
 * to tell lanwired about (lanwire_replaces). */
bool ctl_switch_before(const struct ctl_switch *sw, uint64_t now_ms);

/*
 * publish: the rotation of a node whose previous index entry (old, may
 * be NULL) has public_key old_pub_b64 and maybe replaces/switch_at, and
 * whose key is now pub. A new key: replaces the old one, T = now +
 * CTL_SWITCH_DELAY_MS; the same key within T + CTL_SWITCH_KEEP_MS of a
 * rotation: carried on. true when *sw was filled (name left to the
 * caller).
 */
bool ctl_switch_carry(const json_t *old, const uint8_t pub[static LW_KEY_LEN],
		      uint64_t now_ms, struct ctl_switch *sw);
/* Marks state st (of node self) for the rotations sw[0..n): the peer
 * entries named by them get "replaces" and "switch_at", and st itself
 * "switch_at" if self is one of them. 0 or -ENOMEM. */
int ctl_switch_mark(json_t *st, const char *self, const struct ctl_switch *sw,
		    size_t n);
/* The index entry's fields for a rotation (public_key is set by the
 * caller). 0 or -ENOMEM. */
int ctl_switch_index(json_t *entry, const struct ctl_switch *sw);

#endif
