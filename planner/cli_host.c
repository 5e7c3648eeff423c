// SPDX-License-Identifier: MIT
/*
 * The commands that act on this host rather than on files (see cli.h):
 * up and down (a node brought up with lanwired under wg-quick, forwarding
 * and the nft table applied, all undone exactly: apply.c), status (the
 * local interface's peers by node name, over the UAPI socket: status.c)
 * and lab (a seed network in namespaces on this machine: lab.c).
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "desc.h"
#include "keys.h"
#include "lab.h"
#include "plan.h"
#include "status.h"
#include "status_json.h"

struct host_opts {
	const char *daemon;
	const char *run_dir;
	const char *user;
};

static int parse_host_opts(const char *cmd, int argc, char *argv[],
			   struct cli *c, struct host_opts *o)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "daemon", required_argument, NULL, 'D' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "user", required_argument, NULL, 'u' },
		{ 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (cli_common_opt(c, ch))
			continue;
		if (ch == 'h')
			return cli_help(cmd) - 1;
		if (ch == 'D')
			o->daemon = optarg;
		else if (ch == 'R')
			o->run_dir = optarg;
		else if (ch == 'u')
			o->user = optarg;
		else
			return cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, "name one node");
	return 0;
}

/* up and down: load, plan the node, apply. */
static int up_down(const char *cmd, int argc, char *argv[], struct cli *c,
		   bool up)
{
	struct host_opts ho = { NULL, LW_RUN_DIR, LW_DEFAULT_USER };
	struct lw_node_plan pl;
	struct lw_keyring kr;
	struct lw_desc d;
	char err[512], *daemon;
	ssize_t node;
	int r = parse_host_opts(cmd, argc, argv, c, &ho);

	if (r)
		return r < 0 ? 0 : r;
	if (geteuid())
		return cli_fail("%s must run as root: it %s network "
				"interfaces, routes, sysctls and the nft "
				"table (try sudo lanwire %s %s)",
				cmd, up ? "creates and changes" : "removes",
				cmd, argv[optind]);
	r = cli_load_checked(c, &d, &kr, false);
	node = r ? -1 : desc_find_node(&d, argv[optind]);
	if (!r && node < 0)
		r = cli_fail("no node or site %s in %s", argv[optind], c->file);
	if (!r && plan_node(&pl, &d, &kr, (size_t)node, err, sizeof(err)))
		r = cli_fail("%s", err);
	if (!r) {
		daemon = ho.daemon ? strdup(ho.daemon) :
				     apply_default_daemon(argv[0]);
		struct lw_apply o = { ho.run_dir, daemon, NULL,
				      cli_base_name(c->file), stderr, -1,
				      ho.user, stdout };
		r = up ? apply_up(&pl, &o) : apply_down(&pl, &o);
		free(daemon);
		plan_free(&pl);
	}
	keyring_free(&kr);
	desc_free(&d);
	return r;
}

int cmd_up(int argc, char *argv[], struct cli *c)
{
	return up_down("up", argc, argv, c, true);
}

int cmd_down(int argc, char *argv[], struct cli *c)
{
	return up_down("down", argc, argv, c, false);
}

/* ---- status ---- */

/* Shows iface if it is up, as text or into sj (--json); true if it
 * was. */
static bool show_iface(const char *iface, const struct lw_desc *d,
		       const struct lw_keyring *kr, bool *first,
		       struct status_json *sj)
{
	struct lw_wg_status st;

	if (status_get(&st, iface))
		return false;
	if (sj && status_json_add(sj, iface, &st, d, kr))
		cli_fail("out of memory: %s left out", iface);
	if (!sj && !*first)
		putchar('\n');
	*first = false;
	if (!sj)
		status_print(stdout, iface, &st, d, kr, (uint64_t)time(NULL));
	status_free(&st);
	return true;
}

int cmd_status(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = {
		COMMON_OPTS, { "json", no_argument, NULL, 'j' },
		{ "store", required_argument, NULL, 's' }, { 0 }
	};
	const char *store = NULL;
	struct status_json sj = { 0 }, *json = NULL;
	struct lw_keyring kr;
	struct lw_desc d;
	bool first = true, any = false;
	ssize_t node = -1;
	size_t i, j;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("status");
		if (ch == 'j')
			json = &sj;
		else if (ch == 's')
			store = optarg;
		else if (!cli_common_opt(c, ch))
			return cli_usage_error("status", "unknown option");
	}
	if (store && optind < argc)
		return cli_usage_error("status", "--store shows every node; "
						 "name none");
	if (store) /* every node, as the agents reported through the hubs */
		return cli_status_store(c, store, json != NULL);
	if (optind < argc - 1)
		return cli_usage_error("status", "name at most one node");
	if (json && status_json_init(json))
		return cli_fail("out of memory");
	r = cli_load_checked(c, &d, &kr, false);
	if (!r && optind < argc &&
	    (node = desc_find_node(&d, argv[optind])) < 0)
		r = cli_fail("no node or site %s in %s", argv[optind], c->file);
	for (i = 0; !r && i < d.n_nodes; i++) {
		const char *iface = desc_node_iface(&d, i);

		if (node >= 0 && (size_t)node != i)
			continue;
		for (j = 0; j < i; j++) /* each interface name once */
			if (node < 0 && !strcmp(desc_node_iface(&d, j), iface))
				break;
		if (j == i || node >= 0)
			any |= show_iface(iface, &d, &kr, &first, json);
	}
	if (json && status_json_finish(json, !r && any ? stdout : NULL))
		r = cli_fail("cannot write the JSON status");
	if (!r && !any)
		r = cli_fail("%s is not up here (no UAPI socket %s/%s.sock)",
			     node >= 0 ? argv[optind] : "no interface of the "
						      "description",
			     LW_UAPI_DIR,
			     node >= 0 ? desc_node_iface(&d, (size_t)node) :
					 d.net.iface);
	keyring_free(&kr);
	desc_free(&d);
	return r;
}

/* ---- lab ---- */

int cmd_lab(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "daemon", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const struct lab_scenario *sc;
	struct lab_scenario file_sc = { 0 };
	bool json = false, verbose = false;
	const char *daemon_opt = NULL, *user = LW_DEFAULT_USER;
	char *daemon;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("lab");
		if (ch == 'j')
			json = true;
		else if (ch == 'v')
			verbose = true;
		else if (ch == 'D')
			daemon_opt = optarg;
		else if (ch == 'u')
			user = optarg;
		else
			return cli_usage_error("lab", "unknown option");
	}
	if (optind < argc - 1)
		return cli_usage_error("lab", "name at most one scenario");
	if (c->file_given && optind < argc)
		return cli_usage_error("lab", "give -f FILE or a scenario, "
					      "not both");
	if (c->file_given) {
		file_sc.name = cli_base_name(c->file);
		file_sc.path = c->file;
		file_sc.about = c->file;
	}
	sc = c->file_given ? &file_sc :
			     lab_find_scenario(optind < argc ? argv[optind] :
							       "leased-line");
	if (!sc)
		return cli_usage_error("lab", "no scenario %s; there are %s",
				       argv[optind], lab_scenario_names());
	if (geteuid())
		return cli_fail("lab builds network namespaces: run it as "
				"root");
	daemon = daemon_opt ? strdup(daemon_opt) : apply_default_daemon(NULL);
	if (!daemon)
		return cli_fail("out of memory");
	r = lab_run(sc, daemon, user, json, verbose);
	free(daemon);
	return r;
}
