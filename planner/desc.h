/* SPDX-License-Identifier: MIT */
/*
 * The network description: an INI file in the style of wg-quick, parsed
 * with inih into struct lw_desc (model.h), names linked, addresses
 * allocated (alloc.c). Syntax and value errors become diagnostics with
 * file:line; semantic checks are check.c's.
 *
 * Ownership: the caller owns struct lw_desc; desc_free() releases it,
 * whether parsing succeeded or not.
 */
#ifndef LW_DESC_H
#define LW_DESC_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "model.h"

/* Largest description accepted. */
#define LW_DESC_MAX (1024 * 1024)

/*
 * Parses text (len bytes, need not be NUL-terminated) into d. path names
 * the text in diagnostics. Returns 0 when d is usable for checking (it may
 * still hold errors: see d->n_errors), -ENOMEM otherwise. Always call
 * desc_free().
 */
int desc_parse(struct lw_desc *d, const char *path, const char *text,
	       size_t len);
/* Reads path and parses it. -errno when the file cannot be read (with a
 * diagnostic in d). */
int desc_load(struct lw_desc *d, const char *path);
void desc_free(struct lw_desc *d);

/* Resolves names and builds the policy matrix (link.c); desc_parse()
 * calls it. 0 or -ENOMEM. */
int desc_link(struct lw_desc *d);

/* Diagnostics (diag.c): appended to d, printed sorted (errors first, by
 * line). */
void desc_diag(struct lw_desc *d, enum lw_severity sev, int line,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void desc_diag_file(struct lw_desc *d, enum lw_severity sev, const char *file,
		    int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void desc_print_diags(const struct lw_desc *d, FILE *f);

/* Lookups. A site name finds its gateway node. -1 if none. */
ssize_t desc_find_node(const struct lw_desc *d, const char *name);
ssize_t desc_find_site(const struct lw_desc *d, const char *name);
/* The interface name a node uses. */
const char *desc_node_iface(const struct lw_desc *d, size_t node);
/* "hub", "gateway of site LAN1", "client" (static or in buf). */
const char *desc_node_role(const struct lw_desc *d, size_t node, char *buf,
			   size_t size);
/* Marks in set[] (n_nodes bytes) every node the references name. */
void desc_party_set(const struct lw_desc *d, const struct lw_ref *refs,
		    size_t n, uint8_t *set);
/* Whether nodes a and b are WireGuard peers: a spoke and its hub, or two
 * hubs. */
bool desc_are_peers(const struct lw_desc *d, size_t a, size_t b);
/* Whether party a may open connections to party b (policy). */
bool desc_may_open(const struct lw_desc *d, size_t a, size_t b);
/* Either direction. */
bool desc_talks(const struct lw_desc *d, size_t a, size_t b);

/* Names: 1..LW_NAME_MAX of [A-Za-z0-9_-], starting alphanumeric. */
bool desc_name_ok(const char *s);
/* Interface names as wg-quick allows them: [A-Za-z0-9_=+.-]{1,15}. */
bool desc_iface_ok(const char *s);
/* Values lanwire add may write: printable, no comment characters. */
bool desc_value_ok(const char *s);

#endif
