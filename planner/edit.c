// SPDX-License-Identifier: MIT
/*
 * Line-level edits of a description (see edit.h). Headers are recognised
 * as the parser's line reader does: leading blanks skipped, '[' ... ']'
 * with a comment allowed after it; kind and name are the first two words
 * inside, the kind compared without case.
 */
#include "edit.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

struct lines {
	const char **s; /* start of each line in the text */
	size_t *n;	/* its length without '\n' */
	size_t count, cap_s, cap_n;
};

static int split(const char *text, size_t len, struct lines *l)
{
	size_t pos = 0;
	const char *nl;

	memset(l, 0, sizeof(*l));
	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		if (lw_grow(&l->s, &l->cap_s, l->count + 1, sizeof(*l->s)) ||
		    lw_grow(&l->n, &l->cap_n, l->count + 1, sizeof(*l->n)))
			return -ENOMEM;
		l->s[l->count] = text + pos;
		l->n[l->count] = nl ? (size_t)(nl - text - pos) : len - pos;
		pos += l->n[l->count++] + 1;
	}
	return 0;
}

static void lines_free(struct lines *l)
{
	free(l->s);
	free(l->n);
}

/* Skips blanks; returns the first other character's offset. */
static size_t skip_blank(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i;
}

static bool is_blank(const struct lines *l, size_t i)
{
	return skip_blank(l->s[i], l->n[i]) == l->n[i];
}

static bool is_comment(const struct lines *l, size_t i)
{
	size_t k = skip_blank(l->s[i], l->n[i]);

	return k < l->n[i] && (l->s[i][k] == '#' || l->s[i][k] == ';');
}

/* Whether line i is a header; kind and name copied out (may be ""). */
static bool header(const struct lines *l, size_t i, char *kind, char *name,
		   size_t size)
{
	const char *s = l->s[i];
	size_t n = l->n[i], k = skip_blank(s, n), a, b;
	const char *close;

	if (k >= n || s[k] != '[')
		return false;
	close = memchr(s + k, ']', n - k);
	if (!close)
		return false;
	k++;
	k += skip_blank(s + k, (size_t)(close - s) - k);
	for (a = k; a < (size_t)(close - s) && s[a] != ' ' && s[a] != '\t';)
		a++;
	snprintf(kind, size, "%.*s", (int)(a - k), s + k);
	a += skip_blank(s + a, (size_t)(close - s) - a);
	for (b = a; b < (size_t)(close - s) && s[b] != ' ' && s[b] != '\t';)
		b++;
	snprintf(name, size, "%.*s", (int)(b - a), s + a);
	return true;
}

static bool header_is(const struct lines *l, size_t i, const char *kind,
		      const char *name)
{
	char k[64], n[64];

	if (!header(l, i, k, n, sizeof(k)))
		return false;
	return !strcasecmp(k, kind) && (!name || !strcmp(n, name));
}

/* The end of the section headed at h: the next header, less the comment
 * lines directly above it (they describe that section). */
static size_t block_end(const struct lines *l, size_t h)
{
	char k[64], n[64];
	size_t e = h + 1;

	while (e < l->count && !header(l, e, k, n, sizeof(k)))
		e++;
	if (e == l->count)
		return e;
	while (e - 1 > h && is_comment(l, e - 1))
		e--;
	return e;
}

static size_t block_start(const struct lines *l, size_t h)
{
	while (h > 0 && is_comment(l, h - 1))
		h--;
	return h;
}

static void put_lines(struct lw_buf *b, const struct lines *l, size_t from,
		      size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		buf_putn(b, l->s[i], l->n[i]);
		buf_puts(b, "\n");
	}
}

static int finish(struct lw_buf *b, char **out)
{
	*out = buf_steal(b);
	return *out ? 0 : -ENOMEM;
}

/* Where a new section of kind goes: after the last one of its kind, or
 * before the first [policy], or at the end. */
static size_t insert_at(const struct lines *l, const char *kind)
{
	size_t i, at = l->count;
	bool found = false;

	for (i = 0; i < l->count; i++) {
		if (header_is(l, i, kind, NULL)) {
			at = block_end(l, i);
			found = true;
		}
	}
	if (found)
		return at;
	for (i = 0; i < l->count; i++) {
		if (header_is(l, i, "policy", NULL))
			return block_start(l, i);
	}
	return l->count;
}

int edit_add_section(const char *text, size_t len, const char *kind,
		     const char *section, char **out)
{
	struct lw_buf b = { 0 };
	struct lines l;
	size_t at;

	if (split(text, len, &l)) {
		lines_free(&l);
		return -ENOMEM;
	}
	at = insert_at(&l, kind);
	put_lines(&b, &l, 0, at);
	if (at > 0 && !is_blank(&l, at - 1))
		buf_puts(&b, "\n");
	buf_puts(&b, section);
	if (at < l.count && !is_blank(&l, at))
		buf_puts(&b, "\n");
	put_lines(&b, &l, at, l.count);
	lines_free(&l);
	return finish(&b, out);
}

int edit_remove_section(const char *text, size_t len, const char *kind,
			const char *name, char **out)
{
	struct lw_buf b = { 0 };
	struct lines l;
	size_t h, start, end;

	if (split(text, len, &l)) {
		lines_free(&l);
		return -ENOMEM;
	}
	for (h = 0; h < l.count && !header_is(&l, h, kind, name); h++)
		;
	if (h == l.count) {
		lines_free(&l);
		return -ENOENT;
	}
	start = block_start(&l, h);
	end = block_end(&l, h);
	/* Keep one blank line between the neighbours, none at the end. */
	if (end < l.count && start > 0 && !is_blank(&l, start - 1) &&
	    end > h + 1 && is_blank(&l, end - 1))
		end--;
	while (end < l.count && start > 0 && is_blank(&l, start - 1) &&
	       is_blank(&l, end))
		end++;
	while (end == l.count && start > 0 && is_blank(&l, start - 1))
		start--;
	put_lines(&b, &l, 0, start);
	put_lines(&b, &l, end, l.count);
	lines_free(&l);
	return finish(&b, out);
}

/* The line after the last key line of the section headed at h: its
 * trailing blank and comment lines stay below what is inserted. */
static size_t after_last_key(const struct lines *l, size_t h)
{
	size_t e = block_end(l, h);

	while (e - 1 > h && (is_blank(l, e - 1) || is_comment(l, e - 1)))
		e--;
	return e;
}

/* Each line of lines, indented as the section's last key line is. */
static void put_indented(struct lw_buf *b, const char *lines,
			 const char *indent, size_t n_indent)
{
	size_t n;

	while (*lines) {
		n = strcspn(lines, "\n");
		buf_putn(b, indent, n_indent);
		buf_putn(b, lines, n);
		buf_puts(b, "\n");
		lines += n + (lines[n] == '\n');
	}
}

int edit_add_lines(const char *text, size_t len, const char *kind,
		   const char *name, const char *lines, char **out)
{
	struct lw_buf b = { 0 };
	struct lines l;
	size_t h, at;

	if (split(text, len, &l)) {
		lines_free(&l);
		return -ENOMEM;
	}
	for (h = 0; h < l.count && !header_is(&l, h, kind, name); h++)
		;
	if (h == l.count) {
		lines_free(&l);
		return -ENOENT;
	}
	at = after_last_key(&l, h);
	put_lines(&b, &l, 0, at);
	put_indented(&b, lines, at - 1 > h ? l.s[at - 1] : "",
		     at - 1 > h ? skip_blank(l.s[at - 1], l.n[at - 1]) : 0);
	put_lines(&b, &l, at, l.count);
	lines_free(&l);
	return finish(&b, out);
}
