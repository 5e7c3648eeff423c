// SPDX-License-Identifier: MIT
/*
 * The UAPI connection server (uapi_server.h): non-blocking accept, reads
 * and writes for every client from the device's event loop, each client
 * with its own reader (uapi_conn.c) and a deadline for its request.
 */
#include "uapi_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device.h"
#include "log.h"
#include "uapi_conn.h"

/* Connections taken from the backlog per wake-up. */
#define UAPI_ACCEPT_BATCH 32

/* One client; owned by the server's table, freed by client_close(). */
struct uapi_client {
	int fd;
	uint32_t watching;    /* EPOLLIN, or EPOLLOUT while an answer waits */
	uint64_t deadline_ns; /* the request under way must be done by then */
	struct uapi_conn conn;
};

/* Owned by the device (uapi_server.h). */
struct uapi_server {
	int listen_fd, epoll_fd;
	unsigned n;
	struct uapi_client *clients[UAPI_MAX_CLIENTS];
};

struct uapi_server *uapi_server_new(int listen_fd, int epoll_fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = listen_fd };
	struct uapi_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->listen_fd = listen_fd;
	srv->epoll_fd = epoll_fd;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
		free(srv);
		return NULL;
	}
	return srv;
}

static void client_close(struct uapi_server *srv, unsigned i)
{
	struct uapi_client *c = srv->clients[i];

	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	uapi_conn_free(&c->conn);
	free(c);
	srv->clients[i] = srv->clients[--srv->n];
	srv->clients[srv->n] = NULL;
}

void uapi_server_free(struct uapi_server *srv)
{
	if (!srv)
		return;
	while (srv->n)
		client_close(srv, srv->n - 1);
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
	free(srv);
}

unsigned uapi_server_clients(const struct uapi_server *srv)
{
	return srv ? srv->n : 0;
}

/* ---- accepting ---- */

/* The client whose request started first: the next to time out. */
static unsigned oldest_client(const struct uapi_server *srv)
{
	unsigned best = 0;

	for (unsigned i = 1; i < srv->n; i++)
		if (srv->clients[i]->deadline_ns <
		    srv->clients[best]->deadline_ns)
			best = i;
	return best;
}

static void add_client(struct uapi_server *srv, struct device *dev, int fd,
		       uint64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	struct uapi_client *c;

	if (srv->n == UAPI_MAX_CLIENTS) {
		static struct log_ratelimit rl;

		log_ratelimited(&rl, now, "UAPI: %u clients at once; closing "
				"the oldest", UAPI_MAX_CLIENTS);
		client_close(srv, oldest_client(srv));
	}
	c = malloc(sizeof(*c));
	if (!c || epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->watching = EPOLLIN;
	c->deadline_ns = now + UAPI_REQUEST_TIMEOUT_NS;
	uapi_conn_init(&c->conn);
	srv->clients[srv->n++] = c;
	device_timer_armed(dev, c->deadline_ns);
}

void uapi_server_accept(struct uapi_server *srv, struct device *dev,
			uint64_t now)
{
	for (int i = 0; i < UAPI_ACCEPT_BATCH; i++) {
		int fd = accept4(srv->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN) {
				static struct log_ratelimit rl;

				log_ratelimited(&rl, now, "UAPI accept: %s",
						strerror(errno));
			}
			return;
		}
		add_client(srv, dev, fd, now);
	}
}

/* ---- one client ---- */

static int find_client(const struct uapi_server *srv, int fd)
{
	for (unsigned i = 0; i < srv->n; i++)
		if (srv->clients[i]->fd == fd)
			return (int)i;
	return -1;
}

/* Writes as much of the answer as the socket takes. 0 or -errno; *done
 * set when an answer was finished. */
static int flush(struct uapi_client *c, struct device *dev, bool *done)
{
	const char *data;
	size_t n;

	while ((n = uapi_conn_pending(&c->conn, &data))) {
		ssize_t w = send(c->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN ? 0 : -errno;
		uapi_conn_sent(&c->conn, dev, (size_t)w);
		if ((size_t)w == n)
			*done = true;
	}
	return 0;
}

/* Reads up to UAPI_READ_BUDGET bytes, serving lines as they complete.
 * 0 or -errno. */
static int read_some(struct uapi_client *c, struct device *dev)
{
	size_t total = 0, room;
	char *where;

	while (total < UAPI_READ_BUDGET &&
	       (room = uapi_conn_space(&c->conn, &where))) {
		ssize_t n = read(c->fd, where, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0) {
			uapi_conn_eof(&c->conn, dev);
			return 0;
		}
		uapi_conn_received(&c->conn, dev, (size_t)n);
		total += (size_t)n;
	}
	return 0;
}

/* Watches for what the connection waits for next. */
static int rewatch(struct uapi_server *srv, struct uapi_client *c)
{
	const char *data;
	uint32_t want = uapi_conn_pending(&c->conn, &data) ? EPOLLOUT : EPOLLIN;
	struct epoll_event ev = { .events = want, .data.fd = c->fd };

	if (want == c->watching)
		return 0;
	c->watching = want;
	return epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno
									 : 0;
}

bool uapi_server_handle(struct uapi_server *srv, struct device *dev, int fd,
			uint32_t events, uint64_t now)
{
	int i = srv ? find_client(srv, fd) : -1;
	struct uapi_client *c;
	bool answered = false;
	int ret;

	if (i < 0)
		return false;
	c = srv->clients[i];
	ret = flush(c, dev, &answered);
	if (!ret && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		ret = read_some(c, dev);
	if (!ret)
		ret = flush(c, dev, &answered);
	if (!ret && answered)
		c->deadline_ns = now + UAPI_REQUEST_TIMEOUT_NS; /* next one */
	if (!ret && !uapi_conn_is_done(&c->conn))
		ret = rewatch(srv, c);
	if (ret || uapi_conn_is_done(&c->conn)) {
		if (ret && ret != -EPIPE && ret != -ECONNRESET)
			log_verbose("UAPI client: %s", strerror(-ret));
		client_close(srv, (unsigned)i);
	}
	return true;
}

/* ---- deadlines ---- */

static void time_out(struct uapi_server *srv, unsigned i)
{
	static const char answer[] = "errno=-110\n\n"; /* -ETIMEDOUT */
	struct uapi_client *c = srv->clients[i];
	const char *data;

	log_verbose("UAPI client timed out");
	/* A client still waiting for an answer gets one, if it fits. */
	if (!uapi_conn_is_between_requests(&c->conn) &&
	    !uapi_conn_pending(&c->conn, &data))
		(void)!send(c->fd, answer, sizeof(answer) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
	client_close(srv, i);
}

uint64_t uapi_server_expire(struct uapi_server *srv, uint64_t now)
{
	uint64_t next = 0;
	unsigned i = 0;

	while (srv && i < srv->n) {
		uint64_t d = srv->clients[i]->deadline_ns;

		if (d <= now) {
			time_out(srv, i); /* the last one moves to i */
			continue;
		}
		if (!next || d < next)
			next = d;
		i++;
	}
	return next;
}
