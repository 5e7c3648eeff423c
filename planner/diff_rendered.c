// SPDX-License-Identifier: MIT
/*
 * The description now against the files an earlier render --all -o DIR
 * wrote (see diff.h): what a user who deploys from DIR has. Each node is
 * rendered with its real keys (the files in DIR hold them too), and each
 * file compared with DIR/NODE/FILE in constant time; files in DIR/NODE
 * that the node no longer has count as changed, directories in DIR that
 * are no node as gone. Rendered and read texts are wiped after use.
 */
#include "diff.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "key.h"
#include "desc.h"
#include "plan.h"
#include "txn.h"

/* Whether DIR/NODE/name holds exactly text. */
static bool file_same(const char *path, const char *text)
{
	size_t len = 0, want = strlen(text);
	char *got = NULL;
	bool same;

	if (lw_read_file(path, &got, &len, want + 1))
		return false;
	same = len == want && crypto_equal(got, text, len);
	crypto_wipe(got, len);
	free(got);
	return same;
}

static bool rendered(const struct lw_files *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (!strcmp(f->v[i].name, name))
			return true;
	}
	return false;
}

/* Names of node_dir's files that f does not have, appended to b in
 * name order. */
static void stale_files(const char *node_dir, const struct lw_files *f,
			struct lw_buf *b)
{
	struct dirent **v = NULL;
	int i, n = scandir(node_dir, &v, NULL, alphasort);

	for (i = 0; i < n; i++) {
		if (v[i]->d_name[0] != '.' && !rendered(f, v[i]->d_name))
			buf_printf(b, "%s%s", b->len ? ", " : "",
				   v[i]->d_name);
		free(v[i]);
	}
	free(v);
}

static int compare_with_dir(const struct lw_desc *d, size_t node,
			    const struct lw_files *f, const char *dir,
			    struct lw_diff *out)
{
	const char *name = d->nodes[node].name;
	struct lw_buf b = { 0 };
	char path[4096];
	struct stat st;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return diff_add_change(out, name, LW_CHANGE_NEW, NULL);
	for (i = 0; i < f->n; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", dir, name,
			 f->v[i].name);
		if (!file_same(path, f->v[i].text))
			buf_printf(&b, "%s%s", b.len ? ", " : "",
				   f->v[i].name);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	stale_files(path, f, &b);
	if (!b.len)
		return b.oom ? -ENOMEM : 0;
	return diff_add_change(out, name, LW_CHANGE_FILES, buf_steal(&b));
}

/* Directories of dir that are no node of d: taken down, by name. */
static int gone_nodes(const struct lw_desc *d, const char *dir,
		      struct lw_diff *out)
{
	struct dirent **v = NULL;
	char path[4096];
	struct stat st;
	int i, n = scandir(dir, &v, NULL, alphasort), r = 0;

	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		const char *name = v[i]->d_name;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!r && name[0] != '.' && !stat(path, &st) &&
		    S_ISDIR(st.st_mode) && desc_find_node(d, name) < 0)
			r = diff_add_change(out, name, LW_CHANGE_GONE, NULL);
		free(v[i]);
	}
	free(v);
	return r;
}

int diff_rendered(struct lw_desc *d, const struct lw_keyring *kr,
		  const char *dir, enum lw_format fmt, const char *hook_dir,
		  struct lw_diff *out, char *err, size_t errlen)
{
	struct lw_render_opts o = { NULL, hook_dir };
	struct lw_node_plan pl;
	struct lw_files f;
	struct stat st;
	size_t i;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory of rendered "
			 "files (lanwire render --all -o DIR)", dir);
		return -ENOTDIR;
	}
	o.source = strrchr(d->path, '/') ? strrchr(d->path, '/') + 1 : d->path;
	for (i = 0; !r && i < d->n_nodes; i++) {
		memset(&f, 0, sizeof(f));
		r = plan_node(&pl, d, kr, i, err, errlen);
		if (r)
			break;
		r = render_node(&pl, fmt, &o, &f);
		plan_free(&pl);
		if (!r)
			r = compare_with_dir(d, i, &f, dir, out);
		files_free(&f);
	}
	if (!r && (r = gone_nodes(d, dir, out)) < 0 && r != -ENOMEM)
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(-r));
	return r;
}
