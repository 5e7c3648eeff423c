// SPDX-License-Identifier: MIT
/*
 * The commands about change: pin (write every implicit address and
 * listen port into the description, so later edits move nothing) and
 * diff (which nodes' rendered files a change of the description touches,
 * against an older copy of the file, a git revision of it, or the files
 * an earlier render --all wrote). Also what
 * keys, add and remove share with them: pinning into a text, the check
 * that an edit moved no node, and the "nodes to redeploy" lines. See
 * cli.h, pin.h and diff.h.
 */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "desc.h"
#include "diff.h"
#include "keys.h"
#include "pin.h"
#include "proc.h"

/* ---- shared with keys, add and remove ---- */

int cli_pin_text(const struct lw_desc *d, const char *text, size_t len,
		 const bool *only, char **out, size_t *n_pinned)
{
	int r = pin_text(d, text, len, only, out, n_pinned);

	if (r == -ENOENT)
		return cli_fail("cannot find a node's section to pin it in");
	return r ? cli_fail("out of memory") : 0;
}

int cli_same_identity(const struct lw_desc *before,
		      const struct lw_desc *after, const char *what)
{
	char who[LW_NAME_MAX + 128];

	if (pin_same_identity(before, after, who, sizeof(who)))
		return 0;
	return cli_fail("%s refused: %s; pin it first (lanwire pin) or give "
			"it back its address",
			what, who);
}

void cli_print_redeploy(struct cli *c, struct lw_desc *before,
			struct lw_desc *after)
{
	struct lw_diff df;
	char err[512];

	if (diff_descs(before, after, cli_keys_dir(c), LW_FORMAT_WGQUICK,
		       &df, err, sizeof(err)))
		printf("nodes to redeploy: unknown (lanwire diff says why)\n");
	else
		diff_print(stdout, &df, false);
	diff_free(&df);
}

/* Parses and checks text as path; 0, or LW_EXIT_DESC after printing its
 * errors. */
static int parse_checked(const char *path, const char *text, size_t len,
			 struct lw_desc *d)
{
	if (desc_parse(d, path, text, len))
		return cli_fail("out of memory");
	check_desc(d);
	if (!d->n_errors)
		return 0;
	desc_print_diags(d, stderr);
	cli_fail("%s has errors; fix them first (lanwire check)", path);
	return LW_EXIT_DESC;
}

static int load_file(const char *path, char **text, size_t *len,
		     struct lw_desc *d)
{
	int r = lw_read_file(path, text, len, LW_DESC_MAX + 1);

	memset(d, 0, sizeof(*d));
	if (r)
		return cli_fail("cannot read %s: %s", path, strerror(-r));
	return parse_checked(path, *text, *len, d);
}

/* ---- pin ---- */

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0644 : st.st_mode & 07777;
}

/* Checks the pinned text and writes it. */
static int pin_write(struct cli *c, const struct lw_desc *before,
		     const char *text)
{
	struct lw_desc after;
	struct lw_txn t;
	size_t i;
	int r;

	txn_init(&t);
	r = parse_checked(c->file, text, strlen(text), &after);
	if (!r)
		r = cli_same_identity(before, &after, "pin");
	for (i = 0; !r && i < after.n_nodes; i++) {
		if (pin_node_implicit(&after.nodes[i]))
			r = cli_fail("%s is still implicit after pinning",
				     after.nodes[i].name);
	}
	if (!r && txn_add(&t, c->file, text, strlen(text), mode_of(c->file),
			  false))
		r = cli_fail("out of memory");
	if (!r)
		r = cli_commit(&t, NULL, false);
	txn_free(&t);
	desc_free(&after);
	return r;
}

int cmd_pin(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = { COMMON_OPTS, { 0 } };
	char *orig = NULL, *text = NULL;
	size_t len, n = 0;
	struct lw_desc d;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("pin");
		if (!cli_common_opt(c, ch))
			return cli_usage_error("pin", "unknown option");
	}
	if (optind != argc)
		return cli_usage_error("pin", "takes no arguments");
	r = load_file(c->file, &orig, &len, &d);
	if (!r)
		r = cli_pin_text(&d, orig, len, NULL, &text, &n);
	if (!r && n)
		r = pin_write(c, &d, text);
	if (!r && n)
		printf("pin: wrote the addresses and ports of %zu node%s into "
		       "%s\n",
		       n, n == 1 ? "" : "s", c->file);
	else if (!r)
		printf("pin: nothing to do; every address and port is in "
		       "%s\n",
		       c->file);
	desc_free(&d);
	free(orig);
	free(text);
	return r;
}

/* ---- diff ---- */

/* The text of path at git revision rev (git show REV:./BASE, run in the
 * file's directory). */
static int git_text(const char *path, const char *rev, char **text)
{
	char *dcopy = strdup(path), *bcopy = strdup(path), *spec = NULL;
	struct lw_cmd cmd = { .out_fd = -1 };
	int r = -ENOMEM;

	if (dcopy && bcopy &&
	    asprintf(&spec, "%s:./%s", rev, basename(bcopy)) >= 0) {
		const char *argv[] = { "git", "-C", dirname(dcopy), "show",
				       spec, NULL };

		r = proc_capture(&cmd, argv, text);
		if (r > 0 || r < 0)
			r = cli_fail("git show %s in %s failed; is %s in git "
				     "at %s?",
				     spec, argv[2], path, rev);
	} else {
		r = cli_fail("out of memory");
	}
	free(spec);
	free(dcopy);
	free(bcopy);
	return r;
}

struct diff_job {
	const char *against, *rev, *rendered, *hook_dir;
	enum lw_format fmt;
};

static int diff_options(int argc, char *argv[], struct cli *c,
			struct diff_job *job)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "against", required_argument, NULL, 'A' },
		{ "git", required_argument, NULL, 'G' },
		{ "format", required_argument, NULL, 'F' },
		{ "rendered", required_argument, NULL, 'R' },
		{ "hook-dir", required_argument, NULL, 'H' },
		{ 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (cli_common_opt(c, ch))
			continue;
		if (ch == 'h')
			return cli_help("diff") - 1;
		if (ch == 'A')
			job->against = optarg;
		else if (ch == 'G')
			job->rev = optarg;
		else if (ch == 'R')
			job->rendered = optarg;
		else if (ch == 'H')
			job->hook_dir = optarg;
		else if (ch == 'F' && !strcmp(optarg, "networkd"))
			job->fmt = LW_FORMAT_NETWORKD;
		else if (ch != 'F' || strcmp(optarg, "wg-quick"))
			return cli_usage_error("diff", "bad option");
	}
	if (optind != argc ||
	    !!job->against + !!job->rev + !!job->rendered != 1)
		return cli_usage_error("diff", "give one of --against OLDFILE, "
					       "--git REV, --rendered DIR");
	return 0;
}

/* The old description, from a file or a git revision. */
static int load_old(struct cli *c, const struct diff_job *job,
		    struct lw_desc *old)
{
	char *text = NULL, name[256];
	size_t len = 0;
	int r;

	memset(old, 0, sizeof(*old));
	if (job->against) {
		r = load_file(job->against, &text, &len, old);
	} else {
		r = git_text(c->file, job->rev, &text);
		snprintf(name, sizeof(name), "%s:%s", job->rev, c->file);
		if (!r)
			r = parse_checked(name, text, strlen(text), old);
	}
	free(text);
	return r;
}

/* The description now against the files of an earlier render --all. */
static int diff_with_rendered(struct cli *c, const struct diff_job *job)
{
	struct lw_diff df = { 0 };
	struct lw_keyring kr;
	struct lw_desc d;
	char err[512];
	int r = cli_load_checked(c, &d, &kr, false);

	if (!r && (r = diff_rendered(&d, &kr, job->rendered, job->fmt,
				     job->hook_dir, &df, err, sizeof(err))))
		r = r == -ENOMEM ? cli_fail("out of memory") :
				   cli_fail("%s", err);
	if (!r)
		diff_print(stdout, &df, true);
	diff_free(&df);
	keyring_free(&kr);
	desc_free(&d);
	return r;
}

int cmd_diff(int argc, char *argv[], struct cli *c)
{
	struct diff_job job = { NULL, NULL, NULL, DEFAULT_HOOK_DIR,
				LW_FORMAT_WGQUICK };
	struct lw_desc old = { 0 }, cur = { 0 };
	char *text = NULL, err[512];
	struct lw_diff df = { 0 };
	size_t len;
	int r;

	r = diff_options(argc, argv, c, &job);
	if (r)
		return r < 0 ? 0 : r;
	if (job.rendered)
		return diff_with_rendered(c, &job);
	r = load_old(c, &job, &old);
	if (!r)
		r = load_file(c->file, &text, &len, &cur);
	if (!r && (r = diff_descs(&old, &cur, cli_keys_dir(c), job.fmt, &df,
				  err, sizeof(err))))
		r = r == -ENOMEM ? cli_fail("out of memory") :
				   cli_fail("%s", err);
	if (!r)
		diff_print(stdout, &df, true);
	diff_free(&df);
	desc_free(&old);
	desc_free(&cur);
	free(text);
	return r;
}
