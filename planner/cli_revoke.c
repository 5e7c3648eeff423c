// SPDX-License-Identifier: MIT
/*
 * lanwire revoke NODE [--store DIR] (docs/control.md): cuts a client off
 * for good. Its [client NODE] section becomes [revoked NODE] holding the
 * tunnel addresses and public key it had (desc_revoked.c), never deleted:
 * alloc.c never gives those addresses again and check refuses a node
 * reusing either, or the name. Every other node is pinned first, so no
 * address moves; its private and preshared keys leave the key directory.
 * With --store the keys hubs registered for joined nodes are taken into
 * the description first (cli_take_registrations()), and the result is
 * published at once by lanwire publish's code (cli_publish()): each
 * hub's serve refuses the node from then on (403), its envelope, join
 * grant and registration are removed from the store, every hub's agent
 * drops the peer (its sessions with it go), and every other node drops
 * its routes.
 *
 * Only clients are revoked: a hub or a site gateway carries others and
 * is moved or removed with lanwire remove.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "check.h"
#include "desc.h"
#include "edit.h"
#include "key.h"
#include "keys.h"
#include "txn.h"

/* What revoke carries from step to step; everything freed by
 * revoke_free(). */
struct revoke {
	struct cli *c;
	const char *name;
	char *text; /* the description being edited */
	size_t len;
	struct lw_desc cur, next;
	struct lw_keyring kr;
	size_t node;
};

static int load(struct revoke *rv)
{
	struct cli *c = rv->c;
	ssize_t i;
	int r = lw_read_file(c->file, &rv->text, &rv->len, LW_DESC_MAX + 1);

	if (r)
		return cli_fail("cannot read %s: %s", c->file, strerror(-r));
	if (desc_parse(&rv->cur, c->file, rv->text, rv->len))
		return cli_fail("out of memory");
	check_desc(&rv->cur);
	if (rv->cur.n_errors) {
		desc_print_diags(&rv->cur, stderr);
		cli_fail("%s has errors; fix them first (lanwire check)",
			 c->file);
		return LW_EXIT_DESC;
	}
	i = desc_find_node(&rv->cur, rv->name);
	if (i < 0) {
		for (size_t k = 0; k < rv->cur.n_revoked; k++)
			if (!strcmp(rv->cur.revoked[k].name, rv->name))
				return cli_fail("%s is already revoked "
						"(%s:%d)",
						rv->name, c->file,
						rv->cur.revoked[k].line);
		return cli_fail("no node %s in %s", rv->name, c->file);
	}
	rv->node = (size_t)i;
	if (rv->cur.nodes[i].role != LW_ROLE_CLIENT)
		return cli_fail("%s is a %s: revoke cuts off clients; move "
				"what it carries and use lanwire remove",
				rv->name,
				rv->cur.nodes[i].role == LW_ROLE_HUB ?
					"hub" :
					"site gateway");
	if (keyring_load(&rv->kr, &rv->cur, cli_keys_dir(c)))
		return cli_fail("out of memory");
	if (!rv->kr.nodes[i].has_public)
		return cli_fail("%s has no public key (in %s or %s): there is "
				"nothing to revoke; remove it instead (an "
				"invitation still open for it then opens "
				"nothing: serve refuses a node the published "
				"index does not name)",
				rv->name, c->file, cli_keys_dir(c));
	return 0;
}

/* A rule naming the client itself must be edited first (its groups'
 * rules simply stop covering it). */
static int still_named(struct revoke *rv)
{
	const struct lw_desc *d = &rv->cur;
	size_t i, k;
	int r = 0;

	for (i = 0; i < d->n_rules; i++) {
		const struct lw_rule *rule = &d->rules[i];
		bool named = false;

		for (k = 0; k < rule->n_from; k++)
			named |= !strcmp(rule->from[k].name, rv->name);
		for (k = 0; k < rule->n_to; k++)
			named |= !strcmp(rule->to[k].name, rv->name);
		if (named)
			r = cli_fail("%s:%d: the policy names %s; edit that "
				     "rule first (or name its group)",
				     d->path, rule->line, rv->name);
	}
	return r;
}

/* "[revoked NAME]" with the addresses and public key the node had. */
static char *revoked_section(struct revoke *rv)
{
	const struct lw_node *n = &rv->cur.nodes[rv->node];
	char key[KEY_BASE64_LEN + 1], a[LW_PREFIX_STRLEN], day[16];
	struct lw_buf b = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	unsigned int fi, k = 0;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	key_to_base64(key, rv->kr.nodes[rv->node].public_key);
	buf_printf(&b, "[revoked %s]\n# lanwire revoke, %s: its address and "
		       "key are never given to another node\naddress = ",
		   n->name, day);
	for (fi = 0; fi < LW_FAMILIES; fi++) {
		if (!n->addr[fi].p.family)
			continue;
		addr_format(a, sizeof(a), &n->addr[fi].p);
		buf_printf(&b, "%s%s", k++ ? ", " : "", a);
	}
	buf_printf(&b, "\npublic-key = %s\n", key);
	return buf_steal(&b);
}

/* The new text: others pinned, the client's section replaced. */
static int compose(struct revoke *rv)
{
	bool *only = calloc(rv->cur.n_nodes + 1, sizeof(*only));
	char *pinned = NULL, *cut = NULL, *out = NULL, *section = NULL;
	size_t i, n;
	int r;

	if (!only)
		return cli_fail("out of memory");
	for (i = 0; i < rv->cur.n_nodes; i++)
		only[i] = i != rv->node;
	r = cli_pin_text(&rv->cur, rv->text, rv->len, only, &pinned, &n);
	section = r ? NULL : revoked_section(rv);
	if (!r && !section)
		r = cli_fail("out of memory");
	if (!r && edit_remove_section(pinned, strlen(pinned), "client",
				      rv->name, &cut))
		r = cli_fail("cannot find the section of %s", rv->name);
	if (!r && edit_add_section(cut, strlen(cut), "revoked", section, &out))
		r = cli_fail("out of memory");
	if (!r) {
		free(rv->text);
		rv->text = out;
		rv->len = strlen(out);
		out = NULL;
	}
	free(only);
	free(pinned);
	free(cut);
	free(out);
	free(section);
	return r;
}

/* The new text parsed and checked; no node of before moved. */
static int check_next(struct revoke *rv)
{
	if (desc_parse(&rv->next, rv->c->file, rv->text, rv->len))
		return cli_fail("out of memory");
	check_desc(&rv->next);
	if (rv->next.n_errors) {
		fprintf(stderr, "lanwire: cannot revoke %s:\n", rv->name);
		cli_print_messages(&rv->next);
		return LW_EXIT_DESC;
	}
	return cli_same_identity(&rv->cur, &rv->next, "revoke");
}

static int write_out(struct revoke *rv)
{
	struct cli *c = rv->c;
	struct stat st;
	struct lw_txn t;
	int r;

	txn_init(&t);
	r = txn_add(&t, c->file, rv->text, rv->len,
		    stat(c->file, &st) ? 0644 : st.st_mode & 07777, false) ||
			    keys_stage_removal(&rv->cur, rv->node,
					       cli_keys_dir(c), &t) ?
		    cli_fail("out of memory") :
		    0;
	if (!r)
		r = cli_commit(&t, cli_keys_dir(c), false);
	if (!r)
		printf("revoke: %s is revoked in %s (its address and key are "
		       "kept there, never given again); its keys are gone "
		       "from %s\n",
		       rv->name, c->file, cli_keys_dir(c));
	txn_free(&t);
	return r;
}

static void revoke_free(struct revoke *rv)
{
	keyring_free(&rv->kr);
	desc_free(&rv->cur);
	desc_free(&rv->next);
	free(rv->text);
}

int cmd_revoke(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = {
		COMMON_OPTS, { "store", required_argument, NULL, 's' }, { 0 }
	};
	struct revoke rv = { .c = c };
	const char *store = NULL;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("revoke");
		if (ch == 's')
			store = optarg;
		else if (!cli_common_opt(c, ch))
			return cli_usage_error("revoke", "unknown option");
	}
	if (optind != argc - 1)
		return cli_usage_error("revoke", "name one client");
	rv.name = argv[optind];
	/* a node that joined but whose key the admin has not published yet
	 * is revoked under that key */
	r = store ? cli_take_registrations(c, store) : 0;
	if (!r)
		r = load(&rv);
	if (!r)
		r = still_named(&rv);
	if (!r)
		r = compose(&rv);
	if (!r)
		r = check_next(&rv);
	if (!r)
		r = write_out(&rv);
	revoke_free(&rv);
	if (!r && store)
		r = cli_publish(c, store);
	else if (!r)
		printf("publish it (lanwire publish --store DIR) to cut %s "
		       "off\n",
		       argv[optind]);
	return r;
}
