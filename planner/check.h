/* SPDX-License-Identifier: MIT */
/*
 * Semantic checks of a parsed description: every problem becomes an
 * error or warning diagnostic in d with its line, what is wrong and what
 * to do. They only add diagnostics; the model is not changed. Nothing is
 * rendered from a description with errors.
 */
#ifndef LW_CHECK_H
#define LW_CHECK_H

#include <stdbool.h>

#include "model.h"

/* Runs every check on d (skipped when d->syntax_failed). Returns the
 * number of errors d now holds. */
unsigned int check_desc(struct lw_desc *d);
/* The warnings about what breaks later (check_hints.c): implicit
 * addresses and ports (only when d has no errors), endpoint names, a
 * tunnel in carrier-NAT space, rules from a party to itself, keepalive =
 * 0 on a gateway, a client DNS server outside its tunnel. */
void check_hints(struct lw_desc *d);
/* Checks the keys: duplicates, and (as one warning, when warn_missing)
 * missing ones. */
unsigned int check_keys(struct lw_desc *d, const struct lw_keyring *kr,
			bool warn_missing);

#endif
