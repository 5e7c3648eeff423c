// SPDX-License-Identifier: MIT
/*
 * The commands that read a description: check (diagnostics and a
 * summary), render (a node's or every node's files, to stdout or written
 * all-or-nothing under -o DIR, directories made as needed and removed
 * again on failure) and qr (a client's wg-quick configuration as a QR
 * code). See cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "key.h"
#include "desc.h"
#include "keys.h"
#include "plan.h"
#include "qr.h"
#include "render.h"

/* ---- check ---- */

static size_t count_role(const struct lw_desc *d, enum lw_role role)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_nodes; i++)
		n += d->nodes[i].role == role;
	return n;
}

int cmd_check(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = { COMMON_OPTS, { 0 } };
	struct lw_keyring kr;
	struct lw_desc d;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("check");
		if (!cli_common_opt(c, ch))
			return cli_usage_error("check", "unknown option");
	}
	if (optind != argc)
		return cli_usage_error("check", "takes no arguments");
	r = cli_load_checked(c, &d, &kr, true);
	if (r)
		fprintf(stderr, "check: %u error%s, %u warning%s\n", d.n_errors,
			d.n_errors == 1 ? "" : "s", d.n_warnings,
			d.n_warnings == 1 ? "" : "s");
	else
		printf("check: %s is consistent: %zu hub%s, %zu site%s, %zu "
		       "client%s, %zu rule%s; %u warning%s\n",
		       c->file, count_role(&d, LW_ROLE_HUB),
		       count_role(&d, LW_ROLE_HUB) == 1 ? "" : "s", d.n_sites,
		       d.n_sites == 1 ? "" : "s",
		       count_role(&d, LW_ROLE_CLIENT),
		       count_role(&d, LW_ROLE_CLIENT) == 1 ? "" : "s",
		       d.n_rules, d.n_rules == 1 ? "" : "s", d.n_warnings,
		       d.n_warnings == 1 ? "" : "s");
	keyring_free(&kr);
	desc_free(&d);
	return r;
}

/* ---- render ---- */

struct render_job {
	enum lw_format fmt;
	const char *out_dir;
	const char *hook_dir;
	bool all;
};

static int render_one(struct cli *c, const struct lw_desc *d,
		      const struct lw_keyring *kr, size_t node,
		      const struct render_job *job, struct lw_files *files)
{
	struct lw_render_opts o = { cli_base_name(c->file), job->hook_dir };
	struct lw_node_plan pl;
	char err[512];
	int r;

	r = plan_node(&pl, d, kr, node, err, sizeof(err));
	if (r)
		return cli_fail("%s", err);
	r = render_node(&pl, job->fmt, &o, files);
	plan_free(&pl);
	return r ? cli_fail("out of memory") : 0;
}

static void print_files(const struct lw_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->n > 1)
			printf("%s# ==> %s <==\n", i ? "\n" : "", f->v[i].name);
		fputs(f->v[i].text, stdout);
	}
}

/* Directories a command made, removed again if it fails. */
struct made_dirs {
	char **v;
	size_t n, cap;
};

static int make_dir(struct made_dirs *m, const char *dir);

static int make_parent(struct made_dirs *m, const char *dir)
{
	char *parent = strdup(dir), *slash;
	int r;

	if (!parent)
		return cli_fail("out of memory");
	slash = strrchr(parent, '/');
	if (!slash || slash == parent) {
		free(parent);
		return cli_fail("cannot make %s: %s", dir, strerror(ENOENT));
	}
	*slash = '\0';
	r = make_dir(m, parent);
	free(parent);
	return r;
}

/* Makes dir and any missing parents (mkdir -p), remembering them. */
static int make_dir(struct made_dirs *m, const char *dir)
{
	bool made;
	int r = lw_mkdir_private(dir, &made);

	if (r == -ENOENT) {
		r = make_parent(m, dir);
		if (r)
			return r;
		r = lw_mkdir_private(dir, &made);
	}
	if (r)
		return cli_fail("cannot make %s: %s", dir, strerror(-r));
	if (!made)
		return 0;
	if (lw_grow(&m->v, &m->cap, m->n + 1, sizeof(*m->v)) ||
	    !(m->v[m->n] = strdup(dir)))
		return cli_fail("out of memory");
	m->n++;
	return 0;
}

static void made_dirs_free(struct made_dirs *m, bool remove)
{
	while (m->n--) {
		if (remove)
			rmdir(m->v[m->n]);
		free(m->v[m->n]);
	}
	free(m->v);
}

/* Stages the files of one node into dir. */
static int stage_files(struct lw_txn *t, const char *dir,
		       const struct lw_files *f)
{
	char *path;
	size_t i;
	int r;

	for (i = 0; i < f->n; i++) {
		if (asprintf(&path, "%s/%s", dir, f->v[i].name) < 0)
			return cli_fail("out of memory");
		r = txn_add(t, path, f->v[i].text, strlen(f->v[i].text),
			    f->v[i].secret ? 0600 : 0644, f->v[i].secret);
		free(path);
		if (r)
			return cli_fail("out of memory");
	}
	return 0;
}

/* Stages node i's files under job->out_dir (in NODE/ for --all). */
static int stage_node(struct lw_txn *t, struct made_dirs *m,
		      const struct lw_desc *d, size_t i,
		      const struct render_job *job, const struct lw_files *f)
{
	char *dir = NULL;
	int r;

	if (job->all &&
	    asprintf(&dir, "%s/%s", job->out_dir, d->nodes[i].name) < 0)
		return cli_fail("out of memory");
	r = make_dir(m, dir ? dir : job->out_dir);
	if (!r)
		r = stage_files(t, dir ? dir : job->out_dir, f);
	free(dir);
	return r;
}

static int write_files(const struct lw_desc *d, ssize_t node,
		       const struct render_job *job,
		       const struct lw_files *files)
{
	struct made_dirs m = { 0 };
	struct lw_txn t;
	size_t i, n = 0;
	int r = 0;

	txn_init(&t);
	if (job->all)
		r = make_dir(&m, job->out_dir);
	for (i = 0; i < d->n_nodes && !r; i++) {
		if (!job->all && (ssize_t)i != node)
			continue;
		r = stage_node(&t, &m, d, i, job, &files[i]);
		n += files[i].n;
	}
	if (!r && (r = txn_commit(&t)))
		r = cli_fail("cannot write %s: %s; nothing was written",
			     t.failed_path, strerror(-r));
	if (!r)
		printf("render: %zu file%s in %s\n", n, n == 1 ? "" : "s",
		       job->out_dir);
	made_dirs_free(&m, r != 0);
	txn_free(&t);
	return r;
}

static int render_nodes(struct cli *c, const struct lw_desc *d,
			const struct lw_keyring *kr, ssize_t node,
			const struct render_job *job)
{
	struct lw_files *files = calloc(d->n_nodes + 1, sizeof(*files));
	size_t i;
	int r = 0;

	if (!files)
		return cli_fail("out of memory");
	for (i = 0; i < d->n_nodes && !r; i++) {
		if (job->all || (ssize_t)i == node)
			r = render_one(c, d, kr, i, job, &files[i]);
	}
	if (!r && !job->out_dir)
		print_files(&files[node]);
	else if (!r)
		r = write_files(d, node, job, files);
	for (i = 0; i <= d->n_nodes; i++)
		files_free(&files[i]);
	free(files);
	return r;
}

static int parse_format(const char *s, enum lw_format *fmt)
{
	if (!strcmp(s, "wg-quick"))
		*fmt = LW_FORMAT_WGQUICK;
	else if (!strcmp(s, "networkd"))
		*fmt = LW_FORMAT_NETWORKD;
	else
		return -1;
	return 0;
}

int cmd_render(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = {
		COMMON_OPTS,
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'a' },
		{ "hook-dir", required_argument, NULL, 'H' },
		{ 0 }
	};
	struct render_job job = { LW_FORMAT_WGQUICK, NULL, DEFAULT_HOOK_DIR,
				  false };
	struct lw_keyring kr;
	struct lw_desc d;
	ssize_t node = -1;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:ho:", opts, NULL)) != -1) {
		if (cli_common_opt(c, ch))
			continue;
		if (ch == 'h')
			return cli_help("render");
		if (ch == 'F' && !parse_format(optarg, &job.fmt))
			continue;
		if (ch == 'o')
			job.out_dir = optarg;
		else if (ch == 'a')
			job.all = true;
		else if (ch == 'H')
			job.hook_dir = optarg;
		else
			return cli_usage_error("render", "bad option");
	}
	if (job.all ? optind != argc : optind != argc - 1)
		return cli_usage_error("render", "name one node, or --all");
	if (job.all && !job.out_dir)
		return cli_usage_error("render",
				       "--all writes files: give -o DIR");
	r = cli_load_checked(c, &d, &kr, false);
	if (!r && !job.all) {
		node = desc_find_node(&d, argv[optind]);
		if (node < 0)
			r = cli_fail("no node or site %s in %s", argv[optind],
				     c->file);
	}
	if (!r)
		r = render_nodes(c, &d, &kr, node, &job);
	keyring_free(&kr);
	desc_free(&d);
	return r;
}

/* ---- qr ---- */

/* The configuration without its comment lines, to keep the code small. */
static char *strip_comments(const char *text)
{
	struct lw_buf b = { 0 };
	const char *line = text, *nl;

	for (; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (*line == '#')
			continue;
		if (*line == '\n' && b.len && b.p[b.len - 1] == '\n' &&
		    b.len >= 2 && b.p[b.len - 2] == '\n')
			continue;
		buf_putn(&b, line, nl ? (size_t)(nl - line + 1) : strlen(line));
	}
	return buf_steal(&b);
}

/*
 * A client whose private key was made on the device: no QR code can
 * carry a configuration the WireGuard apps accept (they refuse one
 * without PrivateKey), so the text is printed instead, with a comment
 * where the key goes, and stderr says what to do with it.
 */
static int print_device_config(const struct lw_desc *d,
			       const struct lw_keyring *kr, size_t node,
			       const char *text)
{
	const char *name = d->nodes[node].name, *line, *nl;
	char pub[LW_KEY_B64_LEN + 1];

	key_to_base64(pub, kr->nodes[node].public_key);
	for (line = text; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (!strncmp(line, "PostUp = wg set %i private-key ", 31))
			continue;
		printf("%.*s", nl ? (int)(nl - line + 1) : (int)strlen(line),
		       line);
		if (!strncmp(line, "[Interface]", 11))
			printf("# PrivateKey = the key this device made (its "
			       "public key: %s)\n",
			       pub);
	}
	fprintf(stderr,
		"qr: %s's private key was made on the device, so no QR code "
		"can carry its whole configuration: above is the rest. In the "
		"WireGuard app, edit the tunnel whose key pair the device "
		"generated (public key %s) and copy in Address, MTU, DNS and "
		"the [Peer]; on a Linux device, put the key in the "
		"PrivateKey line, or keep it in %s/%s.key and use lanwire "
		"render %s.\n",
		name, pub, LW_DEVICE_KEY_DIR, desc_node_iface(d, node), name);
	return 0;
}

static int qr_node(struct cli *c, const struct lw_desc *d,
		   const struct lw_keyring *kr, size_t node)
{
	struct lw_render_opts o = { cli_base_name(c->file), DEFAULT_HOOK_DIR };
	struct lw_files files = { 0 };
	struct lw_node_plan pl;
	char err[512], *text;
	int r;

	if (d->nodes[node].role != LW_ROLE_CLIENT)
		return cli_fail(
			"%s is not a client; qr is for phones and laptops",
			d->nodes[node].name);
	r = plan_node(&pl, d, kr, node, err, sizeof(err));
	if (r)
		return cli_fail("%s", err);
	/* A phone's app runs no nft: the code carries no input table. */
	if (pl.fw.has_table)
		fprintf(stderr,
			"lanwire: warning: %s has os = linux, but the QR code "
			"leaves out its nft input table (a phone's app cannot "
			"run it); write os = other for a phone\n",
			d->nodes[node].name);
	pl.fw.has_table = false;
	r = render_wgquick(&pl, &o, &files);
	text = r ? NULL : strip_comments(files.v[0].text);
	if (text && !pl.has_private_key)
		r = print_device_config(d, kr, node, text);
	else
		r = text ? qr_print(stdout, text) : -ENOMEM;
	plan_free(&pl);
	if (text)
		crypto_wipe(text, strlen(text));
	free(text);
	files_free(&files);
	return r ? cli_fail("cannot make a QR code: %s", strerror(-r)) : 0;
}

int cmd_qr(int argc, char *argv[], struct cli *c)
{
	static const struct option opts[] = { COMMON_OPTS, { 0 } };
	struct lw_keyring kr;
	struct lw_desc d;
	ssize_t node;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "f:k:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_help("qr");
		if (!cli_common_opt(c, ch))
			return cli_usage_error("qr", "unknown option");
	}
	if (optind != argc - 1)
		return cli_usage_error("qr", "name one client");
	r = cli_load_checked(c, &d, &kr, false);
	if (!r) {
		node = desc_find_node(&d, argv[optind]);
		r = node < 0 ? cli_fail("no client %s in %s", argv[optind],
					c->file) :
			       qr_node(c, &d, &kr, (size_t)node);
	}
	keyring_free(&kr);
	desc_free(&d);
	return r;
}
