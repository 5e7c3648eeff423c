// SPDX-License-Identifier: MIT
/*
 * The commands that change the description: init (a new description),
 * add (a section, its allocated address written in, its keys) and remove
 * (a section and its keys). Both pin every other node first (pin.h), so
 * that the edit moves no one, and say which nodes to redeploy. The file
 * is edited as text (edit.c); the would-be result is parsed and checked
 * before anything is written, and written with its keys in one
 * transaction. See cli.h.
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
#include "keys.h"
#include "pin.h"

/* ---- init ---- */

struct section_text {
	struct lw_buf b;
	bool bad;
};

static void put_kv(struct section_text *s, const char *key, const char *value)
{
	if (!desc_value_ok(value)) {
		fprintf(stderr,
			"lanwire: --%s '%s' holds a character a description "
			"value cannot: # ; [ ] or a control character\n",
			key, value);
		s->bad = true;
	}
	buf_printf(&s->b, "%s = %s\n", key, value);
}

static int write_new_description(struct cli *c, const char *text)
{
	struct lw_txn t;
	bool dir_made = false;
	int r;

	txn_init(&t);
	r = lw_mkdir_private(cli_keys_dir(c), &dir_made);
	if (r)
		r = cli_fail("cannot make key directory %s: %s",
			     cli_keys_dir(c), strerror(-r));
	if (!r && txn_add(&t, c->file, text, strlen(text), 0644, false))
		r = cli_fail("out of memory");
	if (!r)
		r = cli_commit(&t, cli_keys_dir(c), dir_made);
	else if (dir_made)
		rmdir(cli_keys_dir(c));
	txn_free(&t);
	return r;
}

/* Parses init's options into [network] lines; -1 after -h. */
static int init_options(int argc, char *argv[], struct cli *c,
			struct section_text *s)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "tunnel", required_argument, NULL, 't' },
		{ "infra-pool", required_argument, NULL, 'I' },
		{ "client-pool", required_argument, NULL, 'C' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "link-mtu", required_argument, NULL, 'L' },
		{ "keepalive", required_argument, NULL, 'K' },
		{ "interface", required_argument, NULL, 'i' },
		{ "address-prefix", required_argument, NULL, 'A' },
		{ 0 }
	};
	bool tunnel = false;
	int ch, idx;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, &idx)) != -1) {
		if (cli_common_opt(c, ch))
			continue;
		if (ch == 'h')
			return cli_help("init") - 1;
		if (ch == '?')
			return cli_usage_error("init", "bad option");
		tunnel |= ch == 't';
		put_kv(s, opts[idx].name, optarg);
	}
	if (optind != argc - 1 || !tunnel)
		return cli_usage_error("init", "give the network a NAME and "
					       "--tunnel PREFIX");
	if (!desc_name_ok(argv[optind]) || s->bad)
		return cli_usage_error("init", "bad network name or value");
	return 0;
}

/* Checks the new description's text, then writes it. */
static int init_write(struct cli *c, const char *text)
{
	struct lw_desc d;
	int r;

	r = desc_parse(&d, c->file, text, strlen(text));
	if (!r)
		check_desc(&d);
	if (r || d.n_errors) {
		fprintf(stderr, "lanwire: cannot make %s:\n", c->file);
		cli_print_messages(&d);
		r = LW_EXIT_DESC;
	} else {
		r = write_new_description(c, text);
	}
	desc_free(&d);
	return r;
}

int cmd_init(int argc, char *argv[], struct cli *c)
{
	struct section_text s = { 0 };
	char *text = NULL;
	int r;

	buf_puts(&s.b, "# lanwire network description; see docs/description.md."
		       "\n[network]\n");
	r = init_options(argc, argv, c, &s);
	if (!r && !access(c->file, F_OK))
		r = cli_fail("%s exists; choose another file with -f", c->file);
	if (!r) {
		buf_printf(&s.b, "name = %s\n", argv[optind]);
		text = buf_steal(&s.b);
		r = text ? init_write(c, text) : cli_fail("out of memory");
	}
	if (!r)
		printf("init: wrote %s (network %s); keys go to %s\n", c->file,
		       argv[optind], cli_keys_dir(c));
	buf_free(&s.b);
	free(text);
	return r < 0 ? 0 : r;
}

/* ---- add ---- */

enum { K_HUB = 1, K_SITE = 2, K_CLIENT = 4, K_ALL = 7 };

struct add_opt {
	const char *name;
	int kinds;
};

static const struct add_opt add_opts[] = {
	{ "address", K_ALL },	     { "public-key", K_ALL },
	{ "listen-port", K_ALL },    { "interface", K_ALL },
	{ "endpoint", K_HUB },	     { "hub", K_SITE | K_CLIENT },
	{ "gateway", K_SITE },	     { "lan", K_SITE },
	{ "lan-interface", K_SITE }, { "lan-address", K_SITE },
	{ "return", K_SITE },	     { "group", K_CLIENT },
	{ "visits", K_CLIENT },	     { "routes", K_CLIENT },
	{ "os", K_CLIENT },	     { "ssh", K_HUB | K_SITE },
};

#define N_ADD_OPTS (sizeof(add_opts) / sizeof(add_opts[0]))

static int kind_of(const char *s)
{
	if (!strcmp(s, "hub"))
		return K_HUB;
	if (!strcmp(s, "site"))
		return K_SITE;
	if (!strcmp(s, "client"))
		return K_CLIENT;
	return 0;
}

struct add_job {
	const char *kind, *name;
	struct section_text keys; /* the "key = value" lines given */
	bool has_address;
};

static bool name_in_use(const struct lw_desc *d, const char *name)
{
	size_t i;

	if (desc_find_node(d, name) >= 0)
		return true;
	for (i = 0; i < d->n_groups; i++) {
		if (!strcmp(d->groups[i].name, name))
			return true;
	}
	return false;
}

/* The section text, with the addresses allocated in d (if any). */
static char *section_for(const struct add_job *job, const struct lw_desc *d)
{
	char text[LW_PREFIX_STRLEN];
	struct lw_buf b = { 0 };
	ssize_t n = d ? desc_find_node(d, job->name) : -1;
	unsigned int fi;

	buf_printf(&b, "[%s %s]\n", job->kind, job->name);
	buf_puts(&b, buf_str(&job->keys.b) ? buf_str(&job->keys.b) : "");
	for (fi = 0; n >= 0 && !job->has_address && fi < LW_FAMILIES; fi++) {
		if (!d->nodes[n].allocated[fi])
			continue;
		addr_format(text, sizeof(text), &d->nodes[n].addr[fi].p);
		buf_printf(&b, "address = %s\n", text);
	}
	return buf_steal(&b);
}

/* Parses and checks text as the description would be. */
static int parse_new(struct cli *c, const char *text, struct lw_desc *d,
		     const char *what)
{
	if (desc_parse(d, c->file, text, strlen(text)))
		return cli_fail("out of memory");
	check_desc(d);
	if (!d->n_errors)
		return 0;
	fprintf(stderr, "lanwire: cannot %s:\n", what);
	cli_print_messages(d);
	return LW_EXIT_DESC;
}

/* Adds the section to orig, twice: once to learn the allocated
 * addresses, then with them written in. */
static int compose_add(struct cli *c, const struct add_job *job,
		       const char *orig, size_t len, char **out,
		       struct lw_desc *d)
{
	char *section, *text = NULL, what[LW_NAME_MAX + 32];
	int r;

	snprintf(what, sizeof(what), "add %s %s", job->kind, job->name);
	section = section_for(job, NULL);
	if (!section || edit_add_section(orig, len, job->kind, section, &text))
		r = cli_fail("out of memory");
	else
		r = parse_new(c, text, d, what);
	free(section);
	if (r) {
		free(text);
		return r;
	}
	section = section_for(job, d);
	free(text);
	text = NULL;
	desc_free(d);
	if (!section || edit_add_section(orig, len, job->kind, section, &text))
		r = cli_fail("out of memory");
	else
		r = parse_new(c, text, d, what);
	free(section);
	if (r)
		free(text);
	else
		*out = text;
	return r;
}

/* The description as it is: readable and free of errors. */
static int load_current(struct cli *c, char **text, size_t *len,
			struct lw_desc *d)
{
	int r = lw_read_file(c->file, text, len, LW_DESC_MAX + 1);

	memset(d, 0, sizeof(*d));
	if (r)
		return cli_fail("cannot read %s: %s", c->file, strerror(-r));
	if (desc_parse(d, c->file, *text, *len))
		return cli_fail("out of memory");
	check_desc(d);
	if (!d->n_errors)
		return 0;
	desc_print_diags(d, stderr);
	cli_fail("%s has errors; fix them first (lanwire check)", c->file);
	return LW_EXIT_DESC;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0644 : st.st_mode & 07777;
}

/* Pins every implicit node of d (but for only[i] false) into *text,
 * replacing it, so that the edit to come moves none of them. */
static int pin_others(const struct lw_desc *d, const bool *only, char **text,
		      size_t *len)
{
	char *pinned = NULL;
	size_t n;
	int r = cli_pin_text(d, *text, *len, only, &pinned, &n);

	if (r)
		return r;
	free(*text);
	*text = pinned;
	*len = strlen(pinned);
	return 0;
}

/* Pins what is still implicit in the new description (a new hub's
 * port) into *text, parsing it again into d. */
static int repin(struct cli *c, struct lw_desc *d, char **text,
		 const char *name)
{
	char *pinned = NULL, what[LW_NAME_MAX + 8];
	size_t n;
	int r = cli_pin_text(d, *text, strlen(*text), NULL, &pinned, &n);

	if (r || !n) {
		free(pinned);
		return r;
	}
	free(*text);
	*text = pinned;
	desc_free(d);
	snprintf(what, sizeof(what), "add %s", name);
	return parse_new(c, *text, d, what);
}

static int add_write(struct cli *c, struct lw_desc *d, const char *text,
		     const char *name)
{
	struct lw_keyring kr;
	unsigned int made = 0;
	bool dir_made = false;
	struct lw_txn t;
	int r;

	txn_init(&t);
	r = keyring_load(&kr, d, cli_keys_dir(c)) ? cli_fail("out of memory") :
						    0;
	if (!r && check_keys(d, &kr, false)) {
		fprintf(stderr, "lanwire: cannot add %s:\n", name);
		cli_print_messages(d);
		r = LW_EXIT_DESC;
	}
	if (!r)
		r = cli_stage_keys(c, &kr, d, &t, &made, &dir_made);
	if (!r &&
	    txn_add(&t, c->file, text, strlen(text), file_mode(c->file), false))
		r = cli_fail("out of memory");
	if (!r)
		r = cli_commit(&t, cli_keys_dir(c), dir_made);
	else if (dir_made)
		rmdir(cli_keys_dir(c));
	if (!r)
		printf("add: %s is in %s; %u key%s made in %s\n", name, c->file,
		       made, made == 1 ? "" : "s", cli_keys_dir(c));
	txn_free(&t);
	keyring_free(&kr);
	return r;
}

static int add_parse_opts(int argc, char *argv[], struct cli *c,
			  struct add_job *job, int kind)
{
	struct option opts[N_ADD_OPTS + 4] = { COMMON_OPTS };
	size_t i;
	int ch, idx;

	for (i = 0; i < N_ADD_OPTS; i++)
		opts[3 + i] =
			(struct option){ add_opts[i].name, required_argument,
					 NULL, 0x100 + (int)i };
	while ((ch = getopt_long(argc, argv, "f:k:h", opts, &idx)) != -1) {
		if (cli_common_opt(c, ch))
			continue;
		if (ch == 'h')
			return cli_help("add") - 1; /* -1: done, exit 0 */
		if (ch < 0x100)
			return cli_usage_error("add", "bad option");
		i = (size_t)(ch - 0x100);
		if (!(add_opts[i].kinds & kind))
			return cli_usage_error("add",
					       "--%s does not apply to a %s",
					       add_opts[i].name, job->kind);
		put_kv(&job->keys, add_opts[i].name, optarg);
		job->has_address |= !strcmp(add_opts[i].name, "address");
	}
	if (job->keys.bad)
		return 2;
	return 0;
}

int cmd_add(int argc, char *argv[], struct cli *c)
{
	struct add_job job = { 0 };
	struct lw_desc cur = { 0 }, d = { 0 };
	char *orig = NULL, *text = NULL;
	size_t len;
	int kind, r;

	kind = argc > 1 ? kind_of(argv[1]) : 0;
	if (!kind || argc < 3 || argv[2][0] == '-')
		return cli_usage_error("add", "say what to add: hub, site or "
					      "client, and its NAME");
	job.kind = argv[1];
	job.name = argv[2];
	if (!desc_name_ok(job.name))
		return cli_usage_error("add", "'%s' is not a valid name",
				       job.name);
	r = add_parse_opts(argc - 2, argv + 2, c, &job, kind);
	if (!r && optind != argc - 2)
		r = cli_usage_error("add", "unexpected argument %s",
				    argv[optind + 2]);
	if (r) {
		buf_free(&job.keys.b);
		return r < 0 ? 0 : r;
	}
	r = load_current(c, &orig, &len, &cur);
	if (!r && name_in_use(&cur, job.name))
		r = cli_fail("%s is already in %s", job.name, c->file);
	if (!r)
		r = pin_others(&cur, NULL, &orig, &len);
	if (!r)
		r = compose_add(c, &job, orig, len, &text, &d);
	if (!r)
		r = repin(c, &d, &text, job.name);
	if (!r)
		r = cli_same_identity(&cur, &d, "add");
	if (!r)
		r = add_write(c, &d, text, job.name);
	if (!r)
		cli_print_redeploy(c, &cur, &d);
	buf_free(&job.keys.b);
	desc_free(&cur);
	desc_free(&d);
	free(orig);
	free(text);
	return r;
}

/* ---- remove ---- */

static bool refs_name(const struct lw_ref *v, size_t n, const char *a,
		      const char *b)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(v[i].name, a) || !strcmp(v[i].name, b))
			return true;
	}
	return false;
}

/* Refuses removal of node while anything names it. */
static int still_named(const struct lw_desc *d, size_t node)
{
	const struct lw_node *n = &d->nodes[node];
	const char *site =
		n->role == LW_ROLE_GATEWAY ? d->sites[n->site].name : n->name;
	size_t i;
	int r = 0;

	for (i = 0; i < d->n_rules; i++) {
		const struct lw_rule *rule = &d->rules[i];

		/* its own service lines go with its section */
		if (rule->is_service && rule->to[0].index == node &&
		    !refs_name(rule->from, rule->n_from, n->name, site))
			continue;
		if (refs_name(rule->from, rule->n_from, n->name, site) ||
		    refs_name(rule->to, rule->n_to, n->name, site))
			r = cli_fail(
				"%s:%d: the policy names %s; edit that rule "
				"first",
				d->path, rule->line, site);
	}
	for (i = 0; i < d->n_nodes; i++) {
		const struct lw_node *m = &d->nodes[i];

		if (refs_name(m->visits, m->n_visits, n->name, site))
			r = cli_fail("%s:%d: %s visits %s; edit that first",
				     d->path, m->visits_line, m->name, site);
		if (m->has_hub && m->hub == node)
			r = cli_fail("%s:%d: %s connects to hub %s; give it "
				     "another hub = first",
				     d->path,
				     m->hub_name ? m->hub_line : m->line,
				     m->name, n->name);
	}
	return r;
}

static int pin_all_but(const struct lw_desc *d, size_t node, char **text,
		       size_t *len)
{
	bool *only = calloc(d->n_nodes + 1, sizeof(*only));
	size_t i;
	int r;

	if (!only)
		return cli_fail("out of memory");
	for (i = 0; i < d->n_nodes; i++)
		only[i] = i != node;
	r = pin_others(d, only, text, len);
	free(only);
	return r;
}

static int remove_write(struct cli *c, const struct lw_desc *old, size_t node,
			const char *text)
{
	struct lw_txn t;
	int r;

	txn_init(&t);
	r = txn_add(&t, c->file, text, strlen(text), file_mode(c->file),
		    false) ||
			    keys_stage_removal(old, node, cli_keys_dir(c), &t) ?
		    cli_fail("out of memory") :
		    0;
	if (!r)
		r = cli_commit(&t, cli_keys_dir(c), false);
	if (!r)
		printf("remove: %s is gone from %s, its keys from %s\n",
		       old->nodes[node].name, c->file, cli_keys_dir(c));
	txn_free(&t);
	return r;
}

int cmd_remove(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = { COMMON_OPTS, { 0 } };
	struct lw_desc cur, d = { 0 };
	char *orig = NULL, *text = NULL, what[LW_NAME_MAX + 16];
	const struct lw_node *n;
	ssize_t node = -1;
	size_t len;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("remove");
		if (!cli_common_opt(c, ch))
			return cli_usage_error("remove", "unknown option");
	}
	if (optind != argc - 1)
		return cli_usage_error("remove", "name one node or site");
	r = load_current(c, &orig, &len, &cur);
	if (!r && (node = desc_find_node(&cur, argv[optind])) < 0)
		r = cli_fail("no node or site %s in %s", argv[optind], c->file);
	if (!r)
		r = still_named(&cur, (size_t)node);
	if (!r)
		r = pin_all_but(&cur, (size_t)node, &orig, &len);
	if (!r) {
		static const char *const kinds[] = { "hub", "site", "client" };

		n = &cur.nodes[node];
		r = edit_remove_section(orig, len, kinds[n->role],
					n->role == LW_ROLE_GATEWAY ?
						cur.sites[n->site].name :
						n->name,
					&text);
		r = r ? cli_fail("cannot find the section of %s", n->name) : 0;
	}
	snprintf(what, sizeof(what), "remove %s", argv[optind]);
	if (!r)
		r = parse_new(c, text, &d, what);
	if (!r)
		r = cli_same_identity(&cur, &d, "remove");
	if (!r)
		r = remove_write(c, &cur, (size_t)node, text);
	if (!r)
		cli_print_redeploy(c, &cur, &d);
	desc_free(&cur);
	desc_free(&d);
	free(orig);
	free(text);
	return r;
}
