/* SPDX-License-Identifier: MIT */
/*
 * lanwire status --json: what status_print() shows, as one JSON object
 * built with jansson:
 *   {"interfaces": [{"interface", "node", "role", "public_key",
 *     "listen_port", "peers": [{"node", "role", "public_key", "endpoint",
 *     "allowed_ips": [...], "latest_handshake", "rx_bytes", "tx_bytes",
 *     "persistent_keepalive"}]}]}
 * "node" and "role" are null where the description does not know the key;
 * "latest_handshake" is seconds since the epoch, 0 for never. The private
 * key is never part of it.
 *
 * Ownership: status_json_iface() returns a new reference the caller
 * passes to status_json_add() (which takes it) or releases with
 * json_decref(); struct status_json is the caller's, freed by
 * status_json_finish().
 */
#ifndef LW_STATUS_JSON_H
#define LW_STATUS_JSON_H

#include <stdio.h>

#include "status.h"

struct status_json {
	void *root;       /* json_t *: {"interfaces": [...]} */
	void *interfaces; /* borrowed from root */
};

/* 0 or -ENOMEM. */
int status_json_init(struct status_json *sj);
/* Adds IFACE's state, peers named from d and kr. 0 or -ENOMEM. */
int status_json_add(struct status_json *sj, const char *iface,
		    const struct lw_wg_status *st, const struct lw_desc *d,
		    const struct lw_keyring *kr);
/* Prints the object (one line and a newline) to f, unless f is NULL, and
 * frees it. 0 or -EIO. */
int status_json_finish(struct status_json *sj, FILE *f);

#endif
