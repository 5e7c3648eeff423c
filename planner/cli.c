// SPDX-License-Identifier: MIT
/*
 * lanwire, the planner: one description of the network in, every node's
 * configuration out, checked first. A table of subcommands as in wg(8)'s
 * wg.c, one function each (cli_show.c, cli_edit.c), and what they share.
 * Every command runs the same one-way pipeline, parse -> model -> check ->
 * (keys) -> plan -> render -> write, and writes through one struct
 * lw_txn, so a failing command leaves no file half written. Diagnostics
 * go to stderr, results to stdout. Exit status 0 on success, 1 on
 * failure (a file that cannot be read or written, a refused operation),
 * 2 when the description has errors (or an edit would give it some) and
 * on a usage error: 2 means "fix what you gave me".
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "key.h"
#include "desc.h"
#include "keys.h"

#ifndef LW_VERSION
#define LW_VERSION "0.0.0"
#endif

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct subcommand *s = cli_find_subcommand(cmd);
	va_list ap;

	fprintf(stderr, "lanwire %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: lanwire %s\n", s ? s->usage : cmd);
	return 2;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("lanwire: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* ---- options shared by every subcommand ---- */

bool cli_common_opt(struct cli *c, int ch)
{
	if (ch == 'f') {
		c->file = optarg;
		c->file_given = true;
	}
	else if (ch == 'k')
		c->keys_opt = optarg;
	else
		return false;
	return true;
}

/* -h of a subcommand: its usage on stdout. */
int cli_help(const char *cmd)
{
	printf("usage: lanwire %s\n", cli_find_subcommand(cmd)->usage);
	return 0;
}

const char *cli_keys_dir(struct cli *c)
{
	if (!c->keys_dir)
		c->keys_dir = c->keys_opt ? strdup(c->keys_opt) :
					    keys_default_dir(c->file);
	return c->keys_dir;
}

/* The errors of a description that exists only in memory (a command's
 * would-be result), without line numbers that match no file. */
void cli_print_messages(const struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < d->n_diags; i++) {
		if (d->diags[i].severity == LW_ERROR)
			fprintf(stderr, "  error: %s\n", d->diags[i].msg);
	}
}

/*
 * Loads c->file, checks it and its keys. Diagnostics are printed. Returns
 * 0 when usable, 1 on errors (d and kr are then still to be freed).
 */
int cli_load_checked(struct cli *c, struct lw_desc *d, struct lw_keyring *kr,
		     bool warn_missing)
{
	memset(kr, 0, sizeof(*kr));
	if (desc_load(d, c->file) == -ENOMEM)
		return cli_fail("out of memory");
	check_desc(d);
	if (!d->syntax_failed && !d->n_errors &&
	    keyring_load(kr, d, cli_keys_dir(c)))
		return cli_fail("out of memory");
	if (!d->n_errors)
		check_keys(d, kr, warn_missing);
	desc_print_diags(d, stderr);
	return d->n_errors ? LW_EXIT_DESC : 0;
}

const char *cli_base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ---- keys and writing, for the commands that change files ---- */

/* Stages missing keys of d into t, making the key directory. */
int cli_stage_keys(struct cli *c, struct lw_keyring *kr,
		   const struct lw_desc *d, struct lw_txn *t,
		   unsigned int *made, bool *dir_made)
{
	int r = lw_mkdir_private(cli_keys_dir(c), dir_made);

	if (r)
		return cli_fail("cannot make key directory %s: %s",
				cli_keys_dir(c), strerror(-r));
	r = keys_stage_missing(kr, d, t, made);
	return r ? cli_fail("cannot make keys: %s", strerror(-r)) : 0;
}

int cli_commit(struct lw_txn *t, const char *dir, bool dir_made)
{
	int r = txn_commit(t);

	if (!r)
		return 0;
	if (dir_made)
		rmdir(dir);
	return cli_fail("cannot write %s: %s; nothing was changed",
			t->failed_path, strerror(-r));
}

/* ---- table ---- */

static int cmd_help(int argc, char *argv[], struct cli *c);

static const struct subcommand subcommands[] = {
	{ "init", cmd_init,
	  "init NAME --tunnel PREFIX [--infra-pool P] [--client-pool P] "
	  "[--mtu N] [--link-mtu N] [--keepalive S] [--interface IF] "
	  "[--address-prefix tunnel|host]",
	  "create a description with its [network]" },
	{ "add", cmd_add,
	  "add hub|site|client NAME [--address A] [--public-key K] "
	  "[--listen-port P] [--interface IF] [--endpoint HOST:PORT] "
	  "[--hub H] [--lan P]... [--gateway NODE] [--lan-interface IF] "
	  "[--lan-address A] [--return route|masquerade] [--group G] "
	  "[--visits SITES] [--routes PREFIXES] [--os linux|other] "
	  "[--ssh WHO]",
	  "add a node, allocate its address, make its keys" },
	{ "remove", cmd_remove, "remove NAME",
	  "remove a node or site and its keys" },
	{ "pin", cmd_pin, "pin",
	  "write every implicit address and listen port into the file" },
	{ "diff", cmd_diff,
	  "diff --against OLDFILE|--git REV|--rendered DIR "
	  "[--format wg-quick|networkd] [--hook-dir DIR]",
	  "name the nodes whose rendered files a change touches" },
	{ "keys", cmd_keys, "keys", "make missing keys; list public keys" },
	{ "check", cmd_check, "check", "check the description and keys" },
	{ "render", cmd_render,
	  "render NODE|--all [--format wg-quick|networkd] [-o DIR] "
	  "[--hook-dir DIR]",
	  "write a node's configuration" },
	{ "policy", cmd_policy, "policy [NODE]",
	  "who may open what, and where it is enforced" },
	{ "qr", cmd_qr, "qr CLIENT",
	  "show a client's configuration as a QR code" },
	{ "up", cmd_up, "up NODE [--user USER] [--daemon PATH] [--run-dir DIR]",
	  "bring a node up here: lanwired, forwarding, nft policy" },
	{ "down", cmd_down, "down NODE [--daemon PATH] [--run-dir DIR]",
	  "undo exactly what up did" },
	{ "status", cmd_status, "status [NODE] [--json] | status --store DIR "
	  "[--json]",
	  "the local interface's peers by node name; every node's reports" },
	{ "lab", cmd_lab, "[-f FILE] lab [leased-line|remote-dev|star|hq|"
	  "dualstack|live|ha|direct|asymmetric] [--json] [--daemon PATH] "
	  "[--user USER] [-v]",
	  "build a description (-f) or a seed network in namespaces and "
	  "probe it" },
	{ "publish", cmd_publish, "publish --store DIR",
	  "sign every node's state into the store hubs serve" },
	{ "serve", cmd_serve, "serve HUB --store DIR [--listen ADDR]",
	  "answer each node's agent with its own state (on a hub)" },
	{ "agent", cmd_agent,
	  "agent NODE --network-key FILE --key FILE [--hub ADDR]... "
	  "[--state-dir DIR] [--user USER] [--daemon PATH] [--run-dir DIR] "
	  "[--once] [--bootstrap-key FILE]",
	  "apply the node's published state as it changes" },
	{ "rotate", cmd_rotate,
	  "rotate NODE --key FILE | rotate NODE --public-key KEY "
	  "[--store DIR]",
	  "make a node's next key pair (on it); put it in (the admin)" },
	{ "revoke", cmd_revoke, "revoke NODE [--store DIR]",
	  "cut a client off for good (its address and key never reused)" },
	{ "invite", cmd_invite,
	  "invite NODE --store DIR [--expires SECONDS] [--hub HUB] "
	  "[--token-file FILE] [--qr]",
	  "a one-time, expiring token for a new machine to join as NODE" },
	{ "join", cmd_join,
	  "join TOKEN|--token-file FILE [--state-dir DIR] [--key FILE] "
	  "[--run-dir DIR] [--no-agent|--foreground] [--daemon PATH] "
	  "[--user USER] [--interface IF] [--timeout S]",
	  "on a new machine: its own key, registered with the hub, up, "
	  "agent started" },
	{ "help", cmd_help, "help", "show this help" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

const struct subcommand *cli_find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < N_SUBCOMMANDS; i++) {
		if (!strcmp(subcommands[i].name, name))
			return &subcommands[i];
	}
	return NULL;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: lanwire [-f FILE] [-k KEYDIR] COMMAND [ARGS]\n"
		"Plans a lanwire network from one description (default "
		"%s;\nkeys in FILE without .conf plus .keys/).\n\n",
		DEFAULT_FILE);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(f, "\nlanwire help shows every command's options.\n");
}

static int cmd_help(int argc, char *argv[], struct cli *c)
{
	size_t i;

	(void)argc;
	(void)argv;
	(void)c;
	usage(stdout);
	printf("\n");
	for (i = 0; i < N_SUBCOMMANDS; i++)
		printf("lanwire %s\n", subcommands[i].usage);
	return 0;
}

int main(int argc, char *argv[])
{
	struct cli c = { .file = DEFAULT_FILE };
	const struct subcommand *s;
	int i = 1, r;

	while (i < argc && argv[i][0] == '-') {
		if ((!strcmp(argv[i], "-f") || !strcmp(argv[i], "--file")) &&
		    i + 1 < argc)
			c.file = argv[++i], c.file_given = true;
		else if ((!strcmp(argv[i], "-k") ||
			  !strcmp(argv[i], "--keys")) &&
			 i + 1 < argc)
			c.keys_opt = argv[++i];
		else if (!strcmp(argv[i], "--version")) {
			printf("lanwire %s\n", LW_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
		i++;
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	s = cli_find_subcommand(argv[i]);
	if (!s) {
		fprintf(stderr, "lanwire: no command %s\n", argv[i]);
		usage(stderr);
		return 2;
	}
	optind = 1;
	opterr = 1;
	r = s->fn(argc - i, argv + i, &c);
	free(c.keys_dir);
	return r;
}
