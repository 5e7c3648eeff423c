// SPDX-License-Identifier: MIT
/*
 * The lab copy of a description (lab.h). The lab never writes into
 * struct lw_desc after parsing: what it must change is changed in the
 * text, and the result is parsed and checked like any description.
 *
 *   1. the description as the user wrote it is parsed and checked first,
 *      so its diagnostics carry the user's line numbers
 *   2. in every [hub], [site] and [client] section, the lines the lab
 *      replaces (interface, a hub's endpoint, a public-key: the lab makes
 *      every key itself) are commented out as "# lab: LINE"
 *   3. each node gets its lab lines, each ending in "# lab": a unique
 *      interface name (lwl + tag + index: /var/run/wireguard is shared by
 *      every namespace and every concurrent run) and, for hubs, an
 *      endpoint on the lab's internet, 203.0.113.N; an overlay gets
 *      link-interface = lwk + tag in [network]
 *   4. the copy is written to the lab's directory (lab.conf, for reading
 *      after a failure) and parsed into l->d
 */
#include "lab.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "desc.h"
#include "edit.h"
#include "overlay.h"
#include "txn.h"

#define LAB_MARK "# lab"

static char *scenario_text(const struct lab_scenario *sc, size_t *len)
{
	const char *ex;
	char *text = NULL;
	struct lw_buf b = { 0 };

	if (sc->path) {
		if (lw_read_file(sc->path, &text, len, 1 << 22)) {
			fprintf(stderr, "lab: cannot read %s\n", sc->path);
			return NULL;
		}
		buf_puts(&b, text);
		free(text);
	} else if ((ex = lab_example_text(sc->example))) {
		buf_puts(&b, ex);
	} else {
		return NULL;
	}
	if (sc->extra) {
		buf_puts(&b, "\n");
		buf_puts(&b, sc->extra);
	}
	*len = b.len;
	return b.oom ? (buf_free(&b), NULL) : buf_steal(&b);
}

/* The key of a "key = value" line, or "" (length in *n). */
static const char *line_key(const char *s, size_t *n)
{
	s += strspn(s, " \t");
	*n = strcspn(s, " \t=\n#;");
	return s;
}

static bool replaced_key(const char *k, size_t n, bool hub)
{
	return (n == 9 && !strncmp(k, "interface", 9)) ||
	       (n == 10 && !strncmp(k, "public-key", 10)) ||
	       (hub && n == 8 && !strncmp(k, "endpoint", 8));
}

/* Step 2: comment out what the lab replaces. */
static int comment_out(const char *text, struct lw_buf *out)
{
	const char *p = text, *e, *k;
	bool node = false, hub = false;
	size_t n;

	for (; *p; p = e) {
		e = p + strcspn(p, "\n");
		if (*e)
			e++;
		k = p + strspn(p, " \t");
		if (*k == '[') {
			node = !strncmp(k, "[hub ", 5) ||
			       !strncmp(k, "[site ", 6) ||
			       !strncmp(k, "[client ", 8);
			hub = !strncmp(k, "[hub ", 5);
		} else if (node) {
			k = line_key(p, &n);
			if (replaced_key(k, n, hub))
				buf_puts(out, LAB_MARK ": ");
		}
		buf_putn(out, p, (size_t)(e - p));
	}
	return out->oom ? -1 : 0;
}

/* Step 3: one node's lab lines into its section. */
static int add_node_lines(struct lab *l, const struct lw_desc *orig,
			  size_t i, size_t *hubs, char **text)
{
	const struct lw_node *n = &orig->nodes[i];
	const char *kind = n->role == LW_ROLE_HUB     ? "hub" :
			   n->role == LW_ROLE_GATEWAY ? "site" :
							"client";
	const char *sec = n->role == LW_ROLE_GATEWAY ?
				  orig->sites[n->site].name :
				  n->name;
	char lines[256], *out = NULL;
	int len, r;

	len = snprintf(lines, sizeof(lines), "interface = lwl%s%u   " LAB_MARK
					     "\n",
		       l->tag, (unsigned int)(i % 1000));
	if (n->role == LW_ROLE_HUB)
		snprintf(lines + len, sizeof(lines) - (size_t)len,
			 "endpoint = 203.0.113.%zu:%u   " LAB_MARK "\n",
			 1 + (*hubs)++,
			 n->listen_port		? n->listen_port :
			 n->endpoint.port	? n->endpoint.port :
						  LW_DEFAULT_PORT);
	r = edit_add_lines(*text, strlen(*text), kind, sec, lines, &out);
	if (r)
		return -1;
	free(*text);
	*text = out;
	return 0;
}

/* An overlay's link interfaces: lwk + tag + link index, unique across
 * concurrent runs, after the [network] header (link-interface is not a
 * key the lab comments out: a second one would be refused). */
static int link_iface_line(struct lab *l, struct lw_buf *b, const char **text)
{
	const char *h = strstr(*text, "[network]");
	const char *e;

	if (!h || strstr(*text, "\nlink-interface"))
		return 0;
	e = h + strcspn(h, "\n");
	if (*e)
		e++;
	buf_putn(b, *text, (size_t)(e - *text));
	buf_printf(b, "link-interface = lwk%s   " LAB_MARK "\n", l->tag);
	*text = e;
	return b->oom ? -1 : 0;
}

static int overlay(struct lab *l, const struct lw_desc *orig,
		   const char *text)
{
	struct lw_buf b = { 0 };
	size_t i, hubs = 0;

	if (overlay_active(orig) && link_iface_line(l, &b, &text)) {
		buf_free(&b);
		return -1;
	}
	if (comment_out(text, &b)) {
		buf_free(&b);
		return -1;
	}
	l->text = buf_steal(&b);
	if (!l->text)
		return -1;
	for (i = 0; i < orig->n_nodes; i++) {
		if (add_node_lines(l, orig, i, &hubs, &l->text))
			return -1;
	}
	return 0;
}

static int parse_checked(struct lw_desc *d, const char *name,
			 const char *text, size_t len)
{
	if (desc_parse(d, name, text, len))
		return -1;
	if (!d->syntax_failed)
		check_desc(d);
	if (d->n_errors) {
		desc_print_diags(d, stderr);
		return -1;
	}
	return 0;
}

static void write_copy(struct lab *l)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/lab.conf", l->dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(l->text, f);
	fclose(f);
	lab_progress(l, "the lab copy of the description: %s", path);
}

int lab_describe(struct lab *l)
{
	struct lw_desc orig = { 0 };
	char name[300];
	size_t len = 0;
	char *text = scenario_text(l->sc, &len);
	int r;

	if (!text)
		return -1;
	snprintf(name, sizeof(name), "%s", l->sc->path ? l->sc->path :
				     l->sc->example);
	r = parse_checked(&orig, name, text, len);
	if (!r)
		r = overlay(l, &orig, text);
	desc_free(&orig);
	free(text);
	if (r || !l->text)
		return -1;
	write_copy(l);
	snprintf(name, sizeof(name), "%s (lab copy)", l->sc->name);
	r = parse_checked(l->d, name, l->text, strlen(l->text));
	if (r)
		return -1;
	l->up = calloc(l->d->n_nodes + 1, sizeof(*l->up));
	return l->up ? 0 : -1;
}
