// SPDX-License-Identifier: MIT
/*
 * lanwire rotate NODE --public-key KEY [--store DIR] (docs/control.md,
 * "Key rotation"): the admin's side of a rotation. The key `lanwire
 * rotate NODE --key FILE` printed on the node goes into the node's
 * section as "public-key = KEY" (the line replaced, or added), edited as
 * text so the rest of the file stays as written; the node's old key
 * pair leaves the key directory if it was made there (its preshared
 * keys stay: they belong to the pairs). The new text is checked first
 * (a key another node or a revoked node has is refused); a bad key or
 * description changes nothing. With --store it is published at once,
 * which starts the make-before-break switch (ctl_switch.h).
 *
 * Only nodes with a section of their own ([hub], [client]) are rotated
 * here; a site gateway's key is edited by hand.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "desc.h"
#include "edit.h"
#include "key.h"
#include "keys.h"
#include "txn.h"

/* Whether line (len bytes) is "[kind name]" (blanks ignored: names
 * hold none; a comment after it too). */
static bool is_header(const char *line, size_t len, const char *kind,
		      const char *name)
{
	char want[LW_NAME_MAX + 32], got[LW_NAME_MAX + 32];
	size_t n = 0;

	snprintf(want, sizeof(want), "[%s%s]", kind, name);
	for (size_t i = 0; i < len && line[i] != '#' && n + 1 < sizeof(got);
	     i++)
		if (!strchr(" \t\r\n", line[i]))
			got[n++] = line[i];
	got[n] = '\0';
	return !strcmp(got, want);
}

/* Whether line is a "public-key =" line. */
static bool is_key_line(const char *line, size_t len)
{
	size_t i = strspn(line, " \t");

	return len > i + 10 && !strncmp(line + i, "public-key", 10) &&
	       line[i + 10 + strspn(line + i + 10, " \t")] == '=';
}

/* text with [kind name]'s public-key line replaced by line; *found says
 * whether it had one (else *out is NULL). 0 or -ENOMEM. */
static int replace_key_line(const char *text, size_t len, const char *kind,
			    const char *name, const char *line, char **out,
			    bool *found)
{
	struct lw_buf b = { 0 };
	const char *p = text, *end = text + len;
	bool inside = false;

	*out = NULL;
	*found = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		size_t skip = strspn(p, " \t");

		if (p[skip] == '[')
			inside = is_header(p, n, kind, name);
		if (inside && !*found && is_key_line(p, n)) {
			buf_printf(&b, "%s", line);
			*found = true;
		} else {
			buf_putn(&b, p, n);
		}
		p += n;
	}
	if (b.oom || !*found) {
		int r = b.oom ? -ENOMEM : 0;

		buf_free(&b);
		return r;
	}
	*out = buf_str(&b) ? strdup(buf_str(&b)) : NULL;
	buf_free(&b);
	return *out ? 0 : -ENOMEM;
}

/* The new text: checked, the same nodes and addresses as before. */
static int check_text(struct cli *c, const struct lw_desc *before,
		      const char *text)
{
	struct lw_desc d = { 0 };
	int r = 0;

	if (desc_parse(&d, c->file, text, strlen(text)))
		r = cli_fail("out of memory");
	if (!r) {
		check_desc(&d);
		if (d.n_errors) {
			fprintf(stderr, "lanwire: cannot rotate:\n");
			cli_print_messages(&d);
			r = LW_EXIT_DESC;
		}
	}
	if (!r)
		r = cli_same_identity(before, &d, "rotate");
	desc_free(&d);
	return r;
}

/* The node's key pair files out of the key directory, if there. */
static int stage_old_keys(struct cli *c, const char *node, struct lw_txn *t)
{
	char *paths[2] = { keys_private_path(cli_keys_dir(c), node),
			   keys_public_path(cli_keys_dir(c), node) };
	int r = 0;

	for (int i = 0; i < 2; i++) {
		if (!paths[i])
			r = -ENOMEM;
		else if (!r && access(paths[i], F_OK) == 0)
			r = txn_unlink(t, paths[i]);
		free(paths[i]);
	}
	return r;
}

/* The edited text, or NULL with the reason said. */
static char *edited(struct cli *c, const struct lw_desc *d, ssize_t i,
		    const char *text, size_t len, const char *key_b64)
{
	const struct lw_node *n = &d->nodes[i];
	const char *kind = n->role == LW_ROLE_HUB ? "hub" : "client";
	char line[LW_KEY_B64_LEN + 32], *out = NULL;
	bool found;

	snprintf(line, sizeof(line), "public-key = %s\n", key_b64);
	if (replace_key_line(text, len, kind, n->name, line, &out, &found) ||
	    (!found &&
	     edit_add_lines(text, len, kind, n->name, line, &out))) {
		cli_fail("cannot edit %s's section of %s", n->name, c->file);
		return NULL;
	}
	return out;
}

int cli_rotate_admin(struct cli *c, const char *node, const char *key_b64,
		     const char *store)
{
	uint8_t key[LW_KEY_LEN];
	struct lw_desc d = { 0 };
	struct lw_keyring kr = { 0 };
	char *text = NULL, *out = NULL;
	struct lw_txn t;
	struct stat st;
	size_t len;
	ssize_t i;
	int r;

	if (key_from_base64(key, key_b64))
		return cli_fail("%s is not a public key (base64 of 32 bytes); "
				"nothing changed", key_b64);
	r = cli_load_checked(c, &d, &kr, false);
	i = r ? -1 : desc_find_node(&d, node);
	if (!r && i < 0)
		r = cli_fail("no node %s in %s; nothing changed", node, c->file);
	if (!r && d.nodes[i].role == LW_ROLE_GATEWAY)
		r = cli_fail("%s is a site gateway: write its key by hand; "
			     "nothing changed", node);
	if (!r && kr.nodes[i].has_public &&
	    !memcmp(kr.nodes[i].public_key, key, LW_KEY_LEN))
		r = cli_fail("%s has that key already; nothing changed", node);
	for (size_t k = 0; !r && k < d.n_nodes; k++)
		if ((ssize_t)k != i && kr.nodes[k].has_public &&
		    !memcmp(kr.nodes[k].public_key, key, LW_KEY_LEN))
			r = cli_fail("that key is %s's; nothing changed",
				     d.nodes[k].name);
	if (!r && lw_read_file(c->file, &text, &len, LW_DESC_MAX + 1))
		r = cli_fail("cannot read %s", c->file);
	if (!r && !(out = edited(c, &d, i, text, len, key_b64)))
		r = 1;
	if (!r)
		r = check_text(c, &d, out);
	if (!r) {
		txn_init(&t);
		r = txn_add(&t, c->file, out, strlen(out),
			    stat(c->file, &st) ? 0644 : st.st_mode & 07777,
			    false) ||
				    stage_old_keys(c, node, &t) ?
			    cli_fail("out of memory") :
			    cli_commit(&t, cli_keys_dir(c), false);
		txn_free(&t);
	}
	if (!r)
		printf("rotate: %s's public key is %s in %s; its old key pair "
		       "is gone from %s\n",
		       node, key_b64, c->file, cli_keys_dir(c));
	free(text);
	free(out);
	keyring_free(&kr);
	desc_free(&d);
	if (!r && store)
		return cli_publish(c, store);
	if (!r)
		printf("publish it (lanwire publish --store DIR) to switch\n");
	return r;
}
