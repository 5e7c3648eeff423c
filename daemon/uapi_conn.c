// SPDX-License-Identifier: MIT
/*
 * The UAPI request reader of one connection (uapi_conn.h), sans I/O: lines
 * are cut from the connection's own buffer as bytes arrive, each request
 * is served when its last line is in, and its answer is left in an output
 * buffer. uapi_handle_text() runs a whole text through it for tests.
 */
#include "uapi_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "device.h"
#include "log.h"

void uapi_conn_init(struct uapi_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->state = UAPI_CONN_IDLE;
}

void uapi_conn_free(struct uapi_conn *c)
{
	if (c->state == UAPI_CONN_SET)
		uapi_set_free(&c->set);
	uapi_buf_free(&c->out);
	crypto_wipe(c, sizeof(*c));
}

/* ---- answers ---- */

static void out_append(struct uapi_buf *b, const char *s, size_t n)
{
	/* Room for a NUL after the text too, as uapi_get leaves one. */
	if (uapi_buf_reserve(b, n, 64))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Ends the answer to a request with its errno line; the next request
 * starts counting its bytes from zero. */
static void respond(struct uapi_conn *c, int err)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "errno=%d\n\n", err);

	out_append(&c->out, line, (size_t)n);
	if (c->out.error) {
		/* Could not even say so: give up on the connection. */
		uapi_buf_free(&c->out);
		c->state = UAPI_CONN_CLOSING;
	}
	c->out_sent = 0;
	c->request_bytes = 0;
}

/* ---- the requests ---- */

static void end_get(struct uapi_conn *c, struct device *dev, size_t len)
{
	int err = -EINVAL; /* get=1 takes no keys */

	if (!len) {
		uapi_get(dev, &c->out);
		err = c->out.error;
		if (err) {
			uapi_buf_free(&c->out);
			c->out.error = 0;
		}
	}
	c->state = UAPI_CONN_IDLE;
	respond(c, err);
}

static void set_line(struct uapi_conn *c, struct device *dev, char *line,
		     size_t len)
{
	int err;

	if (len) {
		if (c->set_error)
			return; /* read on to the blank line, as before */
		c->set_error = uapi_set_parse_line(&c->set, line, len);
		if (c->set_error)
			log_error("UAPI set: line %zu rejected (%s)",
				  c->set.error_line, strerror(-c->set_error));
		return;
	}
	err = c->set_error ? c->set_error : uapi_apply(dev, &c->set);
	uapi_set_free(&c->set);
	c->state = UAPI_CONN_IDLE;
	respond(c, err);
}

static void op_line(struct uapi_conn *c, const char *line)
{
	if (!strcmp(line, "get=1")) {
		c->state = UAPI_CONN_GET;
	} else if (!strcmp(line, "set=1")) {
		uapi_set_init(&c->set);
		c->set_error = 0;
		c->state = UAPI_CONN_SET;
	} else {
		/* An operation we do not know: answer and hang up. */
		respond(c, -EINVAL);
		c->state = UAPI_CONN_CLOSING;
	}
}

/* Cuts the request off at the size cap or at an over-long line: answers
 * and hangs up. */
static void refuse_oversize(struct uapi_conn *c, const char *what,
			    unsigned limit)
{
	log_error("UAPI %s over %u bytes refused", what, limit);
	if (c->state == UAPI_CONN_SET)
		uapi_set_free(&c->set);
	respond(c, -EMSGSIZE);
	c->state = UAPI_CONN_CLOSING;
}

static void serve_line(struct uapi_conn *c, struct device *dev, char *line,
		       size_t len)
{
	c->request_bytes += len + 1;
	if (c->request_bytes > UAPI_MAX_REQUEST) {
		refuse_oversize(c, "request", UAPI_MAX_REQUEST);
		return;
	}
	switch (c->state) {
	case UAPI_CONN_IDLE:
		op_line(c, line);
		break;
	case UAPI_CONN_GET:
		end_get(c, dev, len);
		break;
	case UAPI_CONN_SET:
		set_line(c, dev, line, len);
		break;
	case UAPI_CONN_CLOSING:
		break;
	}
}

/* What the end of input means for the request under way. */
static void serve_eof(struct uapi_conn *c)
{
	if (c->state == UAPI_CONN_SET) {
		uapi_set_free(&c->set);
		respond(c, -EPROTO); /* connection ended mid-transaction */
	} else if (c->state == UAPI_CONN_GET) {
		respond(c, -EINVAL);
	}
	c->state = UAPI_CONN_CLOSING;
}

/* Serves complete lines until one needs its answer written first. */
static void serve(struct uapi_conn *c, struct device *dev)
{
	while (c->state != UAPI_CONN_CLOSING && c->out_sent == c->out.len) {
		char *line = c->in + c->start;
		char *nl = memchr(line, '\n', c->end - c->start);
		size_t len;

		if (!nl) {
			if (c->end - c->start >= UAPI_MAX_LINE) {
				/* Over-long line: the request cannot be
				 * valid, so it is refused like an oversize
				 * one. */
				refuse_oversize(c, "line", UAPI_MAX_LINE);
			} else if (c->eof) {
				serve_eof(c);
			}
			break;
		}
		len = (size_t)(nl - line);
		if (len >= UAPI_MAX_LINE) {
			/* As when it arrives in pieces: however it is split,
			 * a line this long is refused. */
			refuse_oversize(c, "line", UAPI_MAX_LINE);
			break;
		}
		*nl = '\0';
		c->start += len + 1;
		serve_line(c, dev, line, len);
	}
}

/* ---- the buffer ---- */

size_t uapi_conn_space(struct uapi_conn *c, char **where)
{
	if (c->state == UAPI_CONN_CLOSING || c->eof ||
	    c->out_sent < c->out.len)
		return 0;
	if (c->start) {
		/* Lines already served go; keep what is left of one. */
		crypto_wipe(c->in, c->start);
		memmove(c->in, c->in + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
		crypto_wipe(c->in + c->end, sizeof(c->in) - c->end);
	}
	*where = c->in + c->end;
	return sizeof(c->in) - c->end;
}

void uapi_conn_received(struct uapi_conn *c, struct device *dev, size_t n)
{
	c->end += n;
	serve(c, dev);
}

void uapi_conn_eof(struct uapi_conn *c, struct device *dev)
{
	c->eof = true;
	serve(c, dev);
}

size_t uapi_conn_pending(const struct uapi_conn *c, const char **data)
{
	/* Nothing answered yet: no buffer either, and NULL + 0 is undefined. */
	if (!c->out.data) {
		*data = "";
		return 0;
	}
	*data = c->out.data + c->out_sent;
	return c->out.len - c->out_sent;
}

void uapi_conn_sent(struct uapi_conn *c, struct device *dev, size_t n)
{
	c->out_sent += n;
	if (c->out_sent == c->out.len) {
		uapi_buf_free(&c->out);
		c->out_sent = 0;
		serve(c, dev); /* requests that came in behind the answer */
	}
}

bool uapi_conn_is_done(const struct uapi_conn *c)
{
	return c->state == UAPI_CONN_CLOSING && c->out_sent == c->out.len;
}

bool uapi_conn_is_between_requests(const struct uapi_conn *c)
{
	return c->state == UAPI_CONN_IDLE && c->start == c->end &&
	       c->out_sent == c->out.len;
}

/* ---- whole texts, for tests and the fuzzers ---- */

/* Moves the pending answer to out. */
static void drain(struct uapi_conn *c, struct device *dev,
		  struct uapi_buf *out)
{
	const char *data;
	size_t n;

	while ((n = uapi_conn_pending(c, &data))) {
		out_append(out, data, n);
		uapi_conn_sent(c, dev, n);
	}
}

int uapi_handle_text(struct device *dev, const char *req, size_t len,
		     struct uapi_buf *out)
{
	struct uapi_conn *c = malloc(sizeof(*c));
	const char *e;
	size_t room;
	char *where;

	if (!c)
		return -ENOMEM;
	uapi_conn_init(c);
	while (len && (room = uapi_conn_space(c, &where))) {
		if (room > len)
			room = len;
		memcpy(where, req, room);
		req += room;
		len -= room;
		uapi_conn_received(c, dev, room);
		drain(c, dev, out);
	}
	uapi_conn_eof(c, dev);
	drain(c, dev, out);
	uapi_conn_free(c);
	free(c);
	e = out->data ? memmem(out->data, out->len, "errno=", 6) : NULL;
	return e ? atoi(e + 6) : -EPROTO;
}
