// SPDX-License-Identifier: MIT
/*
 * Pinning implicit addresses and listen ports into the description (see
 * pin.h). The text is edited as lines (edit.c), so comments and layout
 * stay: each node gets "address = ..." and "listen-port = ..." lines after
 * the last key of its section, indented as that key is.
 */
#include "pin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "desc.h"
#include "edit.h"

uint16_t pin_listen_port(const struct lw_node *n)
{
	if (n->listen_port)
		return n->listen_port;
	return n->role == LW_ROLE_HUB ? n->endpoint.port : 0;
}

bool pin_port_implicit(const struct lw_node *n)
{
	return !n->listen_port_line && n->endpoint.port;
}

bool pin_node_implicit(const struct lw_node *n)
{
	unsigned int fi;

	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (n->allocated[fi])
			return true;
	}
	return pin_port_implicit(n);
}

const char *pin_section(const struct lw_desc *d, size_t i, const char **name)
{
	static const char *const kinds[] = { "hub", "site", "client" };
	const struct lw_node *n = &d->nodes[i];

	*name = n->role == LW_ROLE_GATEWAY ? d->sites[n->site].name : n->name;
	return kinds[n->role];
}

/* "address = A[, B]\n" for the allocated families, "listen-port = P\n". */
static char *pin_lines(const struct lw_node *n)
{
	char text[LW_PREFIX_STRLEN];
	struct lw_buf b = { 0 };
	const char *sep = "address = ";
	unsigned int fi;

	buf_puts(&b, "");
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (!n->allocated[fi])
			continue;
		addr_format(text, sizeof(text), &n->addr[fi].p);
		buf_printf(&b, "%s%s", sep, text);
		sep = ", ";
	}
	if (*sep == ',')
		buf_puts(&b, "\n");
	if (pin_port_implicit(n))
		buf_printf(&b, "listen-port = %u\n", pin_listen_port(n));
	return buf_steal(&b);
}

static int pin_one(const struct lw_desc *d, size_t i, char **text)
{
	const char *kind, *name;
	char *lines, *next = NULL;
	int r;

	kind = pin_section(d, i, &name);
	lines = pin_lines(&d->nodes[i]);
	if (!lines)
		return -ENOMEM;
	r = edit_add_lines(*text, strlen(*text), kind, name, lines, &next);
	free(lines);
	if (r)
		return r;
	free(*text);
	*text = next;
	return 0;
}

int pin_text(const struct lw_desc *d, const char *text, size_t len,
	     const bool *only, char **out, size_t *n_pinned)
{
	char *cur = strndup(text, len);
	size_t i;
	int r = 0;

	*n_pinned = 0;
	for (i = 0; cur && !r && i < d->n_nodes; i++) {
		if ((only && !only[i]) || !pin_node_implicit(&d->nodes[i]))
			continue;
		r = pin_one(d, i, &cur);
		*n_pinned += !r;
	}
	if (!cur)
		r = -ENOMEM;
	if (r) {
		free(cur);
		return r;
	}
	*out = cur;
	return 0;
}

bool pin_same_identity(const struct lw_desc *a, const struct lw_desc *b,
		       char *who, size_t whosize)
{
	char x[LW_PREFIX_STRLEN], y[LW_PREFIX_STRLEN];
	unsigned int fi;
	ssize_t j;
	size_t i;

	for (i = 0; i < a->n_nodes; i++) {
		const struct lw_node *n = &a->nodes[i], *m;

		j = desc_find_node(b, n->name);
		if (j < 0)
			continue;
		m = &b->nodes[j];
		for (fi = 0; fi < LW_FAMILIES; fi++) {
			if (prefix_equal(&n->addr[fi].p, &m->addr[fi].p))
				continue;
			addr_format(x, sizeof(x), &n->addr[fi].p);
			addr_format(y, sizeof(y), &m->addr[fi].p);
			snprintf(who, whosize, "%s would move from %s to %s",
				 n->name, x, y);
			return false;
		}
		if (pin_listen_port(n) != pin_listen_port(m)) {
			snprintf(who, whosize,
				 "%s would move from port %u to %u", n->name,
				 pin_listen_port(n), pin_listen_port(m));
			return false;
		}
	}
	return true;
}
