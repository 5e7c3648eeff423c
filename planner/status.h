/* SPDX-License-Identifier: MIT */
/*
 * What a running interface says about itself over its UAPI socket
 * (/var/run/wireguard/IFACE.sock, the cross-platform userspace protocol
 * lanwired and wireguard-go serve): "get=1\n\n" answered by key=value
 * lines, a peer starting at each public_key=, ending with errno=N. Parsed
 * into struct lw_wg_status; status_print() shows it with peers named by
 * the description's nodes.
 *
 * Ownership: struct lw_wg_status is the caller's; status_free() releases
 * it and wipes the private key.
 */
#ifndef LW_STATUS_H
#define LW_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "uapi_names.h"

/* The planner's names for common/uapi_names.h's. */
#define LW_UAPI_DIR UAPI_DIR

struct lw_wg_peer {
	uint8_t public_key[LW_KEY_LEN];
	char endpoint[64];
	uint64_t handshake_sec; /* 0: never */
	uint64_t rx_bytes, tx_bytes;
	unsigned int keepalive;
	char allowed_ips[512]; /* "a/n, b/n" */
};

/* lanwired's extension of the get answer (daemon/uapi.c, README): one
 * "lanwire_drop=COUNT NAME" line per reason it drops packets for. Other
 * daemons send none. */
#define LW_UAPI_DROP_KEY UAPI_DROP_KEY
struct lw_wg_drop {
	uint64_t count;
	char name[64];
};

struct lw_wg_status {
	bool has_private_key;
	uint8_t private_key[LW_KEY_LEN];
	uint16_t listen_port;
	struct lw_wg_peer *peers;
	size_t n_peers, cap_peers;
	struct lw_wg_drop *drops; /* in the daemon's order */
	size_t n_drops, cap_drops;
};

/* Parses a UAPI get answer. 0, -EPROTO (malformed or no errno=0 line),
 * -ENOMEM, or the -errno the daemon answered. */
int status_parse(struct lw_wg_status *st, const char *text);
/* Asks IFACE's socket. 0 or -errno (-ENOENT: no such interface). */
int status_get(struct lw_wg_status *st, const char *iface);
void status_free(struct lw_wg_status *st);
/* One set=1 transaction (text: its lines after "set=1", each ending in
 * a newline) to iface's daemon. 0, the daemon's negative errno answer,
 * or -errno (no socket, no answer). */
int status_set(const char *iface, const char *text);

/* The node of d whose public key kr knows as key, or -1. */
long status_find_node(const struct lw_desc *d, const struct lw_keyring *kr,
		      const uint8_t key[static LW_KEY_LEN]);
/* wg show's layout, names from d; now is time(NULL). */
void status_print(FILE *f, const char *iface, const struct lw_wg_status *st,
		  const struct lw_desc *d, const struct lw_keyring *kr,
		  uint64_t now);

#endif
