// SPDX-License-Identifier: MIT
/*
 * Values the description's key setters share (desc_parser.h): names,
 * interface names and numbers, comma-separated lists, prefixes stored
 * with their lines, and references to named parties. Each parser either
 * stores the value or leaves a diagnostic naming the key and the line.
 */
#include "desc_parser.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ---- names and small values ---- */

bool desc_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > LW_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '_')))
			return false;
	}
	return true;
}

bool desc_iface_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > LW_IFNAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("_=+.-", c)))
			return false;
	}
	return true;
}

bool desc_value_ok(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '#' ||
		    *s == ';' || *s == '[' || *s == ']')
			return false;
	}
	return true;
}

void name_error(struct parser *p, const char *what, const char *s)
{
	perr(p, "%s '%s' is not a valid name: use 1 to %d letters, digits, "
		"'-' or '_', starting with a letter or digit",
	     what, s, LW_NAME_MAX);
}

/* False (with a diagnostic) if key was already given in this section. */
bool once(struct parser *p, int *line, const char *key)
{
	if (*line) {
		perr(p, "%s is given twice (first on line %d); keep one", key,
		     *line);
		return false;
	}
	*line = p->line;
	return true;
}

/* A decimal number in [min, max], digits only. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 6)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * Splits a comma-separated list, trimming blanks, calling fn per item
 * (empty items are an error). The copy is local; fn copies what it keeps.
 */
void for_each_item(struct parser *p, const char *key, const char *value,
		   void (*fn)(struct parser *p, const char *item, void *arg),
		   void *arg)
{
	char *copy = strdup(value), *rest = copy, *item, *end;

	if (!copy) {
		p->oom = true;
		return;
	}
	while ((item = strsep(&rest, ",")) != NULL) {
		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*item) {
			perr(p, "%s has an empty item in '%s'", key, value);
			continue;
		}
		fn(p, item, arg);
	}
	free(copy);
}

/* ---- numbers and interface names ---- */

void set_number(struct parser *p, const char *key, const char *v,
		unsigned long min, unsigned long max, int *line,
		unsigned int *out)
{
	unsigned long n;

	if (!once(p, line, key))
		return;
	if (!parse_uint(v, min, max, &n)) {
		perr(p, "%s must be a number from %lu to %lu, not '%s'", key,
		     min, max, v);
		return;
	}
	*out = (unsigned int)n;
}

void set_iface(struct parser *p, const char *key, const char *v, int *line,
	       char out[static LW_IFNAME_MAX + 1])
{
	if (!once(p, line, key))
		return;
	if (!desc_iface_ok(v)) {
		perr(p, "%s '%s' is not an interface name (1 to %d of "
			"A-Z a-z 0-9 _ = + . -)",
		     key, v, LW_IFNAME_MAX);
		return;
	}
	snprintf(out, LW_IFNAME_MAX + 1, "%s", v);
}

/* ---- prefixes with their lines ---- */

/* Parses a prefix for key into *out; false with a diagnostic. */
static bool get_prefix(struct parser *p, const char *key, const char *s,
		       struct lw_prefix *out)
{
	char fixed[LW_PREFIX_STRLEN];
	int r = prefix_parse(out, s, false);

	if (r == -EDOM) {
		prefix_truncate(out, out->len);
		prefix_format(fixed, sizeof(fixed), out);
		perr(p, "%s %s has host bits set; write %s", key, s, fixed);
		return false;
	}
	if (r || !strchr(s, '/')) {
		perr(p, "%s '%s' is not a prefix such as 10.9.0.0/16 or "
			"fd00:9::/64",
		     key, s);
		return false;
	}
	return true;
}

/* Where put_family_prefix() stores: on set_family_prefixes()' stack,
 * slots pointing into the lw_desc. */
struct family_slot_arg {
	const char *key;
	struct lw_lprefix *slots; /* LW_FAMILIES of them */
};

static void put_family_prefix(struct parser *p, const char *item, void *arg)
{
	struct family_slot_arg *a = arg;
	struct lw_prefix pfx;
	struct lw_lprefix *slot;

	if (!get_prefix(p, a->key, item, &pfx))
		return;
	slot = &a->slots[family_index(pfx.family)];
	if (slot->line) {
		perr(p, "%s has a second %s prefix %s (first on line %d); "
			"give one per family",
		     a->key, family_name(pfx.family), item, slot->line);
		return;
	}
	slot->p = pfx;
	slot->line = p->line;
}

void set_family_prefixes(struct parser *p, const char *key,
			 const char *value, struct lw_lprefix *slots)
{
	struct family_slot_arg a = { key, slots };

	for_each_item(p, key, value, put_family_prefix, &a);
}


void put_list_prefix(struct parser *p, const char *item, void *arg)
{
	struct prefix_list_arg *a = arg;
	struct lw_prefix pfx;

	if (!get_prefix(p, a->key, item, &pfx))
		return;
	if (lw_grow(a->v, a->cap, *a->n + 1, sizeof(**a->v))) {
		p->oom = true;
		return;
	}
	(*a->v)[*a->n].p = pfx;
	(*a->v)[*a->n].line = p->line;
	(*a->n)++;
}

/* ---- references ---- */

/* Appends a reference named item to (*v, *n, *cap). */
void put_ref(struct parser *p, const char *item, struct lw_ref **v,
	     size_t *n, size_t *cap)
{
	if (!desc_name_ok(item)) {
		if (prefix_parse(&(struct lw_prefix){ 0 }, item, true) == 0)
			perr(p, "'%s' is an address; name the site it is in, "
				"as SITE:%s",
			     item, item);
		else
			name_error(p, "name", item);
		return;
	}
	if (lw_grow(v, cap, *n + 1, sizeof(**v))) {
		p->oom = true;
		return;
	}
	(*v)[*n].name = strdup(item);
	if (!(*v)[*n].name) {
		p->oom = true;
		return;
	}
	(*n)++;
}
