/* SPDX-License-Identifier: MIT */
/*
 * One UAPI client connection's request reader, without any I/O: the
 * server (uapi_server.c) or a test puts received bytes into the
 * connection's buffer, the reader serves every complete line, and the
 * answer waits in an output buffer until the caller has written it. The
 * same bytes give the same answers however they are split.
 *
 * A request is "get=1" + blank line, or "set=1", key=value lines and a
 * blank line. A set transaction is parsed line by line as it arrives and
 * applied only when its blank line arrives and every line parsed; it is
 * cut off with errno=-EMSGSIZE once it passes UAPI_MAX_REQUEST bytes, so
 * a client can make the daemon hold at most that much of it.
 *
 * Ownership: the caller owns struct uapi_conn (it is large: put it on the
 * heap); uapi_conn_free() wipes what it holds (keys may pass through both
 * buffers) and frees the parsed transaction.
 */
#ifndef LW_UAPI_CONN_H
#define LW_UAPI_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "uapi.h"
#include "uapi_parse.h"

struct device;

/* Longest line: a key is 64 hex digits; an endpoint or address is far
 * shorter. */
#define UAPI_MAX_LINE 4096
/*
 * Largest request, in bytes. The biggest one our tests send is
 * tests/e2e/scale.sh's setconf of 255 x 256 x 2 = 130,560 allowed IPs,
 * about 3.6 MB as wg writes it (lines of 24-31 bytes); 16 MiB leaves room
 * for four times that, or for the same prefixes in their longest IPv6
 * text. What parsing it costs in memory is about as much again.
 */
#define UAPI_MAX_REQUEST (16u << 20)

enum uapi_conn_state {
	UAPI_CONN_IDLE,    /* waiting for "get=1" or "set=1" */
	UAPI_CONN_GET,     /* waiting for the blank line after get=1 */
	UAPI_CONN_SET,     /* reading a set transaction */
	UAPI_CONN_CLOSING, /* answer what is pending, then close */
};

/* Owned by its server (or test); see the file comment. */
struct uapi_conn {
	enum uapi_conn_state state;
	bool eof;              /* the client will send nothing more */
	char in[2 * UAPI_MAX_LINE];
	size_t start, end;     /* unread bytes are in[start..end) */
	size_t request_bytes;  /* of the request being read */
	struct uapi_set set;   /* in UAPI_CONN_SET */
	int set_error;         /* first bad line's -errno, or 0 */
	struct uapi_buf out;   /* the answer being written */
	size_t out_sent;       /* bytes of out already written */
};

void uapi_conn_init(struct uapi_conn *c);
void uapi_conn_free(struct uapi_conn *c);

/* Where received bytes may go and how many fit: 0 while an answer waits
 * to be written (the client must read it first) or when closing. */
size_t uapi_conn_space(struct uapi_conn *c, char **where);
/* n bytes were put where uapi_conn_space said; serves the complete lines. */
void uapi_conn_received(struct uapi_conn *c, struct device *dev, size_t n);
/* The client shut its side: a request cut short is answered
 * (errno=-EPROTO for a set, as before), then the connection closes. */
void uapi_conn_eof(struct uapi_conn *c, struct device *dev);

/* The answer not yet written; 0 if none. */
size_t uapi_conn_pending(const struct uapi_conn *c, const char **data);
/* n bytes of it were written; once all are, reading goes on. */
void uapi_conn_sent(struct uapi_conn *c, struct device *dev, size_t n);

/* Nothing more will be read or written: close it. */
bool uapi_conn_is_done(const struct uapi_conn *c);
/* No request under way: nothing buffered, nothing to write. */
bool uapi_conn_is_between_requests(const struct uapi_conn *c);

#endif
