/* SPDX-License-Identifier: MIT */
/*
 * The UAPI connection server: accepts clients on the listening socket and
 * drives each one from the device's event loop, never blocking it. Every
 * connection is non-blocking with its own reader (uapi_conn.h); reads per
 * wake-up are bounded so one client cannot hog the loop; answers are
 * written as far as the client takes them and the rest waits for EPOLLOUT;
 * each request must be read and answered within UAPI_REQUEST_TIMEOUT_NS
 * of its start (the accept, or the end of the previous answer), or the
 * connection is closed.
 *
 * At most UAPI_MAX_CLIENTS connections at once; when a new one arrives
 * with all taken, the one whose request started longest ago (the first to
 * time out) is closed to make room, so clients that stall cannot lock out
 * a later wg command, which needs milliseconds.
 *
 * Ownership: the device owns its server (device_run creates it,
 * device_close frees it); the server owns its connections and their
 * descriptors, not the listening socket (main's).
 */
#ifndef LW_UAPI_SERVER_H
#define LW_UAPI_SERVER_H

#include <stdbool.h>
#include <stdint.h>

struct device;
struct uapi_server;

#define UAPI_MAX_CLIENTS 128
#define UAPI_REQUEST_TIMEOUT_NS (5 * 1000000000ULL)
/* Bytes read (and parsed) from one client per wake-up before the loop
 * moves on: about 700 allowed_ip lines, well under a millisecond, so a
 * client sending as fast as it can delays a packet by no more. */
#define UAPI_READ_BUDGET 16384

/* Watches listen_fd (non-blocking) in epoll_fd. NULL on failure. */
struct uapi_server *uapi_server_new(int listen_fd, int epoll_fd);
/* Closes every connection; not the listening socket. NULL is fine. */
void uapi_server_free(struct uapi_server *srv);

/* The listening socket is readable: accepts what waits. Arms the device
 * timer for the new deadlines. */
void uapi_server_accept(struct uapi_server *srv, struct device *dev,
			uint64_t now);
/* An epoll event for fd; false if fd is none of the server's
 * connections. */
bool uapi_server_handle(struct uapi_server *srv, struct device *dev, int fd,
			uint32_t events, uint64_t now);
/* Closes connections past their deadline; returns the earliest deadline
 * left, 0 if none. */
uint64_t uapi_server_expire(struct uapi_server *srv, uint64_t now);
/* Open connections (for tests and logs). */
unsigned uapi_server_clients(const struct uapi_server *srv);

#endif
