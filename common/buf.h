/* SPDX-License-Identifier: MIT */
/*
 * A growable text buffer for renderers and diagnostics. A failed
 * allocation is remembered (oom) instead of reported at every append, so a
 * renderer appends freely and checks once at the end. Buffers that held a
 * private key are released with buf_wipe(), which zeroes before freeing.
 *
 * Ownership: the caller owns struct lw_buf and its text; buf_steal() hands
 * the text over (caller frees), buf_free()/buf_wipe() release it.
 */
#ifndef LW_BUF_H
#define LW_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct lw_buf {
	char *p; /* NUL-terminated when len > 0 */
	size_t len, cap;
	bool oom;
};

void buf_printf(struct lw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_puts(struct lw_buf *b, const char *s);
void buf_putn(struct lw_buf *b, const char *s, size_t n);
/* The text so far, "" when empty; NULL after a failed allocation. */
const char *buf_str(const struct lw_buf *b);
/* Returns the text (caller frees) or NULL after a failed allocation, and
 * resets b. */
char *buf_steal(struct lw_buf *b);
void buf_free(struct lw_buf *b);
void buf_wipe(struct lw_buf *b);

/* strdup that may be given NULL. */
char *lw_strdup(const char *s);
/* Grows *arr (of elem bytes each) to hold at least need elements; doubles.
 * 0 or -ENOMEM; new elements are zeroed. */
int lw_grow(void *arr, size_t *cap, size_t need, size_t elem);

#endif
