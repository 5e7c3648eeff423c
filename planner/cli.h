/* SPDX-License-Identifier: MIT */
/*
 * The planner's command line, split by concern as wireguard-tools splits
 * wg(8): cli.c holds the subcommand table, main() and what every command
 * shares (options, loading and checking, key staging, commit); cli_show.c
 * the commands that read the description (check, render, qr); cli_edit.c
 * those that change it (init, add, remove); cli_keys.c keys; cli_pin.c
 * pin and diff (what a change moves); cli_host.c up, down, status.
 *
 * Ownership: struct cli lives in main(); keys_dir is freed there.
 */
#ifndef LW_CLI_H
#define LW_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "txn.h"

#define DEFAULT_FILE	 "lanwire.conf"
/* The exit status of a command refused because the description (or the
 * result of an edit) has errors; the same as a usage error's. */
#define LW_EXIT_DESC 2
#define DEFAULT_HOOK_DIR "/etc/wireguard"

struct cli {
	const char *file;
	bool file_given; /* -f on the command line (lab runs it) */
	const char *keys_opt;
	char *keys_dir; /* keys_opt, or derived from file */
};

struct subcommand {
	const char *name;
	int (*fn)(int argc, char *argv[], struct cli *c);
	const char *usage;
	const char *summary;
};

/* -f FILE, -k KEYDIR and -h, in every subcommand's option table. */
#define COMMON_OPTS                                                            \
	{ "file", required_argument, NULL, 'f' },                              \
		{ "keys", required_argument, NULL, 'k' },                      \
	{                                                                      \
		"help", no_argument, NULL, 'h'                                 \
	}

/* Messages: "lanwire CMD: ...\nusage: ..." returning 2, "lanwire: ..."
 * returning 1. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The usage of cmd on stdout; returns 0. */
int cli_help(const char *cmd);
const struct subcommand *cli_find_subcommand(const char *name);

/* Handles -f, -k; false for any other option character. */
bool cli_common_opt(struct cli *c, int ch);
const char *cli_keys_dir(struct cli *c);
const char *cli_base_name(const char *path);

/* Loads and checks c->file and its keys, printing diagnostics. 0 when
 * usable, LW_EXIT_DESC on errors (1 when out of memory); d and kr are to
 * be freed either way. */
int cli_load_checked(struct cli *c, struct lw_desc *d, struct lw_keyring *kr,
		     bool warn_missing);
/* The errors of a description that exists only in memory. */
void cli_print_messages(const struct lw_desc *d);
/* Stages d's missing keys into t, making the key directory. */
int cli_stage_keys(struct cli *c, struct lw_keyring *kr,
		   const struct lw_desc *d, struct lw_txn *t,
		   unsigned int *made, bool *dir_made);
/* Commits t; on failure removes dir if dir_made and says what failed. */
int cli_commit(struct lw_txn *t, const char *dir, bool dir_made);

/* cli_rotate.c: lanwire rotate NODE --key FILE (on the node), or
 * --public-key KEY [--store DIR] (the admin's side). */
int cmd_rotate(int argc, char *argv[], struct cli *c);
/* cli_rotate_admin.c: the new key into NODE's section, its old key
 * pair out of the key directory, published with store (may be NULL). */
int cli_rotate_admin(struct cli *c, const char *node, const char *key_b64,
		     const char *store);
/* cli_status_store.c: lanwire status --store DIR [--json]. */
int cli_status_store(struct cli *c, const char *store, bool json);
/* cli_pin.c: pins text (pin_text, messages printed); refuses (1) when
 * an edit moved a node of before in after; prints "nodes to redeploy". */
int cli_pin_text(const struct lw_desc *d, const char *text, size_t len,
		 const bool *only, char **out, size_t *n_pinned);
int cli_same_identity(const struct lw_desc *before,
		      const struct lw_desc *after, const char *what);
void cli_print_redeploy(struct cli *c, struct lw_desc *before,
			struct lw_desc *after);

/* cli_ctl.c: lanwire publish --store DIR of c->file (also lanwire
 * revoke's). 0, or 1 / LW_EXIT_DESC with the reason printed. */
int cli_publish(struct cli *c, const char *store);

/* The subcommands. */
int cmd_check(int argc, char *argv[], struct cli *c);
int cmd_render(int argc, char *argv[], struct cli *c);
int cmd_qr(int argc, char *argv[], struct cli *c);
int cmd_policy(int argc, char *argv[], struct cli *c); /* cli_policy.c */
int cmd_keys(int argc, char *argv[], struct cli *c);
int cmd_init(int argc, char *argv[], struct cli *c);
int cmd_add(int argc, char *argv[], struct cli *c);
int cmd_remove(int argc, char *argv[], struct cli *c);
int cmd_pin(int argc, char *argv[], struct cli *c);
int cmd_diff(int argc, char *argv[], struct cli *c);
int cmd_up(int argc, char *argv[], struct cli *c);
int cmd_down(int argc, char *argv[], struct cli *c);
int cmd_status(int argc, char *argv[], struct cli *c);
int cmd_lab(int argc, char *argv[], struct cli *c);
/* The control plane (ctl.h): cli_ctl.c, cli_serve.c, cli_agent.c. */
int cmd_publish(int argc, char *argv[], struct cli *c);
/* publish's work on a loaded description and keyring (cli_ctl.c):
 * invite publishes with the invited node's bootstrap key in kr. */
int cli_publish_run(struct cli *c, struct lw_desc *d, struct lw_keyring *kr,
		    const char *store);
/* Joining (ctl_join.h): cli_invite.c, cli_join.c, cli_serve_join.c. */
int cmd_invite(int argc, char *argv[], struct cli *c);
int cmd_join(int argc, char *argv[], struct cli *c);
/* Writes "public-key =" into the description for every node a hub
 * registered through lanwire join (STORE/registrations/), once. 0 or
 * an exit code. */
int cli_take_registrations(struct cli *c, const char *store);
int cmd_serve(int argc, char *argv[], struct cli *c);
int cmd_agent(int argc, char *argv[], struct cli *c);
int cmd_revoke(int argc, char *argv[], struct cli *c); /* cli_revoke.c */

#endif
