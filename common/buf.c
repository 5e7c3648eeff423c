// SPDX-License-Identifier: MIT
/*
 * Growable text buffer and array helper (see buf.h). Growth doubles; the
 * old block of a buffer is wiped before it is freed, since a rendered
 * configuration may hold a private key.
 */
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"

static bool buf_reserve(struct lw_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len)
		goto fail;
	if (b->len + extra + 1 <= b->cap)
		return true;
	while (cap < b->len + extra + 1)
		cap *= 2;
	p = malloc(cap);
	if (!p)
		goto fail;
	if (b->p) {
		memcpy(p, b->p, b->len + 1);
		crypto_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
	return true;
fail:
	b->oom = true;
	return false;
}

void buf_putn(struct lw_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_puts(struct lw_buf *b, const char *s)
{
	buf_putn(b, s, strlen(s));
}

void buf_printf(struct lw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *buf_str(const struct lw_buf *b)
{
	if (b->oom)
		return NULL;
	return b->p ? b->p : "";
}

char *buf_steal(struct lw_buf *b)
{
	char *p;

	if (b->oom) {
		buf_wipe(b);
		return NULL;
	}
	p = b->p ? b->p : strdup("");
	memset(b, 0, sizeof(*b));
	return p;
}

void buf_free(struct lw_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void buf_wipe(struct lw_buf *b)
{
	if (b->p)
		crypto_wipe(b->p, b->cap);
	buf_free(b);
}

char *lw_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int lw_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	void **p = arr;
	size_t ncap = *cap ? *cap : 4;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	n = realloc(*p, ncap * elem);
	if (!n)
		return -ENOMEM;
	memset((char *)n + *cap * elem, 0, (ncap - *cap) * elem);
	*p = n;
	*cap = ncap;
	return 0;
}
