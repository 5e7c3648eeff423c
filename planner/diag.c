// SPDX-License-Identifier: MIT
/*
 * Diagnostics of a description: collected in struct lw_desc as they are
 * found (parser, allocation, checks, key directory), printed sorted,
 * errors before warnings, each by file and line, as
 * "FILE:LINE: error: what is wrong; what to do".
 */
#include "desc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ---- diagnostics ---- */

static void diag_add(struct lw_desc *d, enum lw_severity sev, const char *file,
		     int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static void diag_add(struct lw_desc *d, enum lw_severity sev, const char *file,
		     int line, const char *fmt, va_list ap)
{
	struct lw_diag *g;
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	if (lw_grow(&d->diags, &d->cap_diags, d->n_diags + 1,
		    sizeof(*d->diags))) {
		free(msg);
		return;
	}
	g = &d->diags[d->n_diags++];
	g->severity = sev;
	g->file = lw_strdup(file);
	g->line = line;
	g->msg = msg;
	if (sev == LW_ERROR)
		d->n_errors++;
	else
		d->n_warnings++;
}

void desc_diag(struct lw_desc *d, enum lw_severity sev, int line,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(d, sev, NULL, line, fmt, ap);
	va_end(ap);
}

void desc_diag_file(struct lw_desc *d, enum lw_severity sev, const char *file,
		    int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(d, sev, file, line, fmt, ap);
	va_end(ap);
}

static int diag_cmp(const void *a, const void *b)
{
	const struct lw_diag *x = *(const struct lw_diag *const *)a;
	const struct lw_diag *y = *(const struct lw_diag *const *)b;

	if (x->severity != y->severity)
		return x->severity == LW_ERROR ? -1 : 1;
	if (!x->file != !y->file)
		return x->file ? 1 : -1;
	if (x->file && y->file && strcmp(x->file, y->file))
		return strcmp(x->file, y->file);
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x < y ? -1 : x > y;
}

void desc_print_diags(const struct lw_desc *d, FILE *f)
{
	const struct lw_diag **v;
	size_t i;

	v = calloc(d->n_diags ? d->n_diags : 1, sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < d->n_diags; i++)
		v[i] = &d->diags[i];
	qsort(v, d->n_diags, sizeof(*v), diag_cmp);
	for (i = 0; i < d->n_diags; i++) {
		const char *file = v[i]->file ? v[i]->file : d->path;
		const char *sev = v[i]->severity == LW_ERROR ? "error" :
							       "warning";

		if (v[i]->line)
			fprintf(f, "%s:%d: %s: %s\n", file, v[i]->line, sev,
				v[i]->msg);
		else
			fprintf(f, "%s: %s: %s\n", file, sev, v[i]->msg);
	}
	free(v);
}

