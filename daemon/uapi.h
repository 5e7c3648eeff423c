/* SPDX-License-Identifier: MIT */
/*
 * The UAPI socket of the cross-platform userspace interface
 * (/var/run/wireguard/IFACE.sock): get=1 dumps the device, set=1 applies a
 * transaction parsed whole by uapi_parse.c. A transaction with a bad line
 * answers errno=-N and changes nothing.
 */
#ifndef LW_UAPI_H
#define LW_UAPI_H

#include <stddef.h>

#include "uapi_names.h"
#include "uapi_parse.h"

struct device;

/* UAPI_DIR, UAPI_DROP_KEY and the field names are uapi_names.h's. */

/* Creates the listening socket for ifname (directory 0755, socket 0600).
 * Returns the fd or -errno (-EADDRINUSE if a live daemon holds it). */
int uapi_listen(const char *ifname);
void uapi_unlink(const char *ifname);
/* Client connections are served by uapi_server.h. */

/* Growable text buffer for responses. */
struct uapi_buf {
	char *data;
	size_t len, cap;
	int error; /* -ENOMEM once an append failed */
};
void uapi_buf_free(struct uapi_buf *b);
/* Makes room for n more bytes and a NUL after them (capacity first, then
 * doubling). 0, or the buffer's error (-ENOMEM is kept in b->error). */
int uapi_buf_reserve(struct uapi_buf *b, size_t n, size_t first);

/* The two operations, separated from the socket for tests. */
int uapi_apply(struct device *dev, struct uapi_set *set);
void uapi_get(struct device *dev, struct uapi_buf *out);
/* Runs a whole request text ("get=1\n\n" or "set=1\n...\n\n", any number
 * of them) through one connection's reader (uapi_conn.c) and appends the
 * responses, each ending "errno=N\n\n". Returns the first errno value. */
int uapi_handle_text(struct device *dev, const char *req, size_t len,
		     struct uapi_buf *out);

#endif
