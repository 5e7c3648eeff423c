/* SPDX-License-Identifier: MIT */
/*
 * Stable identity of nodes. A node's identity towards its peers is its
 * tunnel address and, for a node others dial, its listen port. A value the
 * description leaves out is implicit: alloc.c picks the address in file
 * order, and a hub listens on its endpoint's port. Implicit values can
 * move when the file changes (remove a node and the next one's address
 * shifts down), so lanwire writes them in ("pins" them): pin, keys (for
 * the nodes it makes keys for), add and remove (for every other node
 * before they edit), and check warns about the ones still implicit.
 *
 * Ownership: returned strings are the caller's to free.
 */
#ifndef LW_PIN_H
#define LW_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The port node n listens on: listen-port, else a hub's endpoint port;
 * 0 for a spoke without one (any port). */
uint16_t pin_listen_port(const struct lw_node *n);
/* Whether n's listen port is implicit (a hub without listen-port). */
bool pin_port_implicit(const struct lw_node *n);
/* Whether any address or the listen port of n is implicit. */
bool pin_node_implicit(const struct lw_node *n);
/* The section that describes node i: kind "hub", "site" or "client"
 * and its name (a gateway's site). */
const char *pin_section(const struct lw_desc *d, size_t i,
			const char **name);
/*
 * Writes the implicit values of every node i with only[i] (only NULL:
 * every node) into text, each into its own section after its last key.
 * *out (caller frees) is the new text, *n_pinned how many nodes changed.
 * 0, -ENOENT (a section not found) or -ENOMEM.
 */
int pin_text(const struct lw_desc *d, const char *text, size_t len,
	     const bool *only, char **out, size_t *n_pinned);
/*
 * Whether every node of a that b also has (by name) has the same
 * addresses and listen port in b. If not, the first that moved is named
 * in who (a message of whosize bytes).
 */
bool pin_same_identity(const struct lw_desc *a, const struct lw_desc *b,
		       char *who, size_t whosize);

#endif
