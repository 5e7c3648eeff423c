// SPDX-License-Identifier: MIT
/*
 * Rendered-file comparison of two descriptions (see diff.h): stand-in
 * keys, one rendering per node and side, files matched by name. The
 * comparison with a directory of rendered files is in diff_rendered.c.
 */
#include "diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "key.h"
#include "desc.h"
#include "keys.h"
#include "plan.h"

/* A fixed stand-in key made from text (FNV-1a, spread over 32 bytes):
 * not secret, equal on both sides for the same name. */
static void stand_in(uint8_t key[static LW_KEY_LEN], const char *a,
		     const char *b)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < LW_KEY_LEN; i++) {
		const char *s;

		for (s = a; *s; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
		for (s = b; *s; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
		h = (h ^ (uint32_t)i) * 16777619u;
		key[i] = (uint8_t)(h >> 24);
	}
}

/* Replaces every secret in kr by a stand-in, and fills missing keys. */
static void use_stand_ins(struct lw_keyring *kr, const struct lw_desc *d)
{
	size_t i;

	for (i = 0; i < kr->n_nodes; i++) {
		struct lw_node_keys *k = &kr->nodes[i];

		crypto_wipe(k->private_key, LW_KEY_LEN);
		if (!k->on_device) {
			stand_in(k->private_key, d->nodes[i].name, "");
			k->has_private = true;
		}
		if (!k->has_public)
			stand_in(k->public_key, d->nodes[i].name, ".pub");
		k->has_public = true;
	}
	for (i = 0; i < kr->n_psks; i++) {
		struct lw_psk *p = &kr->psks[i];

		stand_in(p->key, d->nodes[p->a].name, d->nodes[p->b].name);
		p->present = true;
	}
}

/* Loads d's keyring with stand-ins; the private paths must exist. */
static int stand_in_keyring(struct lw_keyring *kr, struct lw_desc *d,
			    const char *dir)
{
	size_t i;
	int r = keyring_load(kr, d, dir);

	if (r)
		return r;
	for (i = 0; i < kr->n_nodes; i++) {
		if (!kr->nodes[i].on_device && !kr->nodes[i].private_path)
			return -ENOMEM;
	}
	use_stand_ins(kr, d);
	return 0;
}

static int render_side(const struct lw_desc *d, const struct lw_keyring *kr,
		       size_t node, enum lw_format fmt, struct lw_files *out,
		       char *err, size_t errlen)
{
	struct lw_render_opts o = { "the description", "/etc/wireguard" };
	struct lw_node_plan pl;
	int r = plan_node(&pl, d, kr, node, err, errlen);

	if (r)
		return r;
	r = render_node(&pl, fmt, &o, out);
	plan_free(&pl);
	return r;
}

static const struct lw_file *find_file(const struct lw_files *f,
				       const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (!strcmp(f->v[i].name, name))
			return &f->v[i];
	}
	return NULL;
}

/* The names of files that differ between a and b, ", "-joined (in a's
 * order, then b's new ones); "" if none. */
static char *changed_files(const struct lw_files *a, const struct lw_files *b)
{
	struct lw_buf out = { 0 };
	const struct lw_file *o;
	size_t i;

	buf_puts(&out, "");
	for (i = 0; i < a->n; i++) {
		o = find_file(b, a->v[i].name);
		if (!o || strcmp(o->text, a->v[i].text))
			buf_printf(&out, "%s%s", out.len ? ", " : "",
				   a->v[i].name);
	}
	for (i = 0; i < b->n; i++) {
		if (!find_file(a, b->v[i].name))
			buf_printf(&out, "%s%s", out.len ? ", " : "",
				   b->v[i].name);
	}
	return buf_steal(&out);
}

int diff_add_change(struct lw_diff *df, const char *name,
		    enum lw_change change, char *files)
{
	struct lw_node_change *c;

	if (lw_grow(&df->v, &df->cap, df->n + 1, sizeof(*df->v))) {
		free(files);
		return -ENOMEM;
	}
	c = &df->v[df->n];
	c->name = strdup(name);
	c->change = change;
	c->files = files;
	if (!c->name) {
		free(files);
		return -ENOMEM;
	}
	df->n++;
	return 0;
}

struct sides {
	struct lw_desc *old, *new;
	struct lw_keyring kr_old, kr_new;
	enum lw_format fmt;
	char *err;
	size_t errlen;
};

/* Compares node i of the new description with its namesake, if any. */
static int compare_node(struct sides *s, size_t i, struct lw_diff *df)
{
	struct lw_files a = { 0 }, b = { 0 };
	ssize_t j = desc_find_node(s->old, s->new->nodes[i].name);
	char *files = NULL;
	int r = 0;

	if (j >= 0)
		r = render_side(s->old, &s->kr_old, (size_t)j, s->fmt, &a,
				s->err, s->errlen);
	if (!r)
		r = render_side(s->new, &s->kr_new, i, s->fmt, &b, s->err,
				s->errlen);
	if (!r && j >= 0 && !(files = changed_files(&a, &b)))
		r = -ENOMEM;
	if (!r && j < 0)
		r = diff_add_change(df, s->new->nodes[i].name, LW_CHANGE_NEW,
				    NULL);
	else if (!r && *files)
		r = diff_add_change(df, s->new->nodes[i].name, LW_CHANGE_FILES,
			       files);
	else
		free(files);
	files_free(&a);
	files_free(&b);
	return r;
}

int diff_descs(struct lw_desc *old, struct lw_desc *new,
	       const char *keys_dir, enum lw_format fmt, struct lw_diff *out,
	       char *err, size_t errlen)
{
	struct sides s = { old, new, { 0 }, { 0 }, fmt, err, errlen };
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	r = stand_in_keyring(&s.kr_old, old, keys_dir);
	if (!r)
		r = stand_in_keyring(&s.kr_new, new, keys_dir);
	for (i = 0; !r && i < new->n_nodes; i++)
		r = compare_node(&s, i, out);
	for (i = 0; !r && i < old->n_nodes; i++) {
		if (desc_find_node(new, old->nodes[i].name) < 0)
			r = diff_add_change(out, old->nodes[i].name,
				       LW_CHANGE_GONE, NULL);
	}
	keyring_free(&s.kr_old);
	keyring_free(&s.kr_new);
	return r;
}

static void print_names(FILE *f, const char *what, const struct lw_diff *df,
			bool redeploy)
{
	const char *sep = "";
	size_t i;

	fprintf(f, "%s: ", what);
	for (i = 0; i < df->n; i++) {
		if ((df->v[i].change == LW_CHANGE_GONE) == redeploy)
			continue;
		fprintf(f, "%s%s", sep, df->v[i].name);
		sep = ", ";
	}
	fprintf(f, "%s\n", *sep ? "" : "none");
}

void diff_print(FILE *f, const struct lw_diff *df, bool details)
{
	size_t i, gone = 0;

	for (i = 0; i < df->n; i++) {
		const struct lw_node_change *c = &df->v[i];

		gone += c->change == LW_CHANGE_GONE;
		if (!details)
			continue;
		if (c->change == LW_CHANGE_FILES)
			fprintf(f, "%s: %s\n", c->name, c->files);
		else
			fprintf(f, "%s: %s\n", c->name,
				c->change == LW_CHANGE_NEW ? "new node" :
							     "removed");
	}
	print_names(f, "nodes to redeploy", df, true);
	if (gone)
		print_names(f, "nodes to take down", df, false);
}

void diff_free(struct lw_diff *df)
{
	size_t i;

	for (i = 0; i < df->n; i++) {
		free(df->v[i].name);
		free(df->v[i].files);
	}
	free(df->v);
	memset(df, 0, sizeof(*df));
}
