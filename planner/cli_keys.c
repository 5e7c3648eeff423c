// SPDX-License-Identifier: MIT
/*
 * lanwire keys: makes every missing key, lists the public keys, and pins
 * (pin.h) the address and listen port of every node it makes a private
 * key for: a node gets its keys when it is about to be deployed, so from
 * then on its identity is written in the description and no later edit
 * can move it. Keys and the description are written in one transaction.
 * See cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "desc.h"
#include "keys.h"
#include "pin.h"

static void print_public_keys(const struct lw_desc *d,
			      const struct lw_keyring *kr)
{
	char text[LW_KEY_B64_LEN + 1];
	size_t i;

	for (i = 0; i < d->n_nodes; i++) {
		key_to_base64(text, kr->nodes[i].public_key);
		printf("%-16s %s%s\n", d->nodes[i].name, text,
		       kr->nodes[i].on_device ?
			       "  (private key on the device)" :
			       "");
	}
}

/* Nodes about to get a private key: only[i] set. NULL on oom. */
static bool *keyless_nodes(const struct lw_desc *d,
			   const struct lw_keyring *kr)
{
	bool *only = calloc(d->n_nodes + 1, sizeof(*only));
	size_t i;

	for (i = 0; only && i < d->n_nodes; i++)
		only[i] = !kr->nodes[i].has_private &&
			  !kr->nodes[i].on_device;
	return only;
}

/* Stages the description with the nodes of only[] pinned; *n of them. */
static int stage_pinned(struct cli *c, const struct lw_desc *d,
			const bool *only, struct lw_txn *t, size_t *n)
{
	char *orig = NULL, *text = NULL;
	struct lw_desc after = { 0 };
	struct stat st;
	size_t len;
	int r = lw_read_file(c->file, &orig, &len, LW_DESC_MAX + 1);

	*n = 0;
	if (r)
		return cli_fail("cannot read %s: %s", c->file, strerror(-r));
	r = cli_pin_text(d, orig, len, only, &text, n);
	if (!r && *n && desc_parse(&after, c->file, text, strlen(text)))
		r = cli_fail("out of memory");
	if (!r && *n && (check_desc(&after) ||
			 cli_same_identity(d, &after, "keys")))
		r = cli_fail("pinning addresses into %s failed", c->file);
	if (!r && *n &&
	    txn_add(t, c->file, text, strlen(text),
		    stat(c->file, &st) ? 0644 : st.st_mode & 07777, false))
		r = cli_fail("out of memory");
	desc_free(&after);
	free(orig);
	free(text);
	return r;
}

int cmd_keys(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = { COMMON_OPTS, { 0 } };
	struct lw_keyring kr;
	unsigned int made = 0;
	bool dir_made = false, *only = NULL;
	size_t pinned = 0;
	struct lw_desc d;
	struct lw_txn t;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("keys");
		if (!cli_common_opt(c, ch))
			return cli_usage_error("keys", "unknown option");
	}
	if (optind != argc)
		return cli_usage_error("keys", "takes no arguments");
	txn_init(&t);
	r = cli_load_checked(c, &d, &kr, false);
	if (!r && !(only = keyless_nodes(&d, &kr)))
		r = cli_fail("out of memory");
	if (!r)
		r = cli_stage_keys(c, &kr, &d, &t, &made, &dir_made);
	if (!r)
		r = stage_pinned(c, &d, only, &t, &pinned);
	if (!r)
		r = cli_commit(&t, cli_keys_dir(c), dir_made);
	if (!r) {
		printf("keys: %u key%s made in %s\n", made,
		       made == 1 ? "" : "s", cli_keys_dir(c));
		if (pinned)
			printf("keys: addresses and ports of %zu new node%s "
			       "written into %s\n",
			       pinned, pinned == 1 ? "" : "s", c->file);
		print_public_keys(&d, &kr);
	} else if (dir_made) {
		rmdir(cli_keys_dir(c));
	}
	free(only);
	txn_free(&t);
	keyring_free(&kr);
	desc_free(&d);
	return r;
}
