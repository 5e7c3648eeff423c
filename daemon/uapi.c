// SPDX-License-Identifier: MIT
/*
 * UAPI server (wireguard.com/xplatform). Requests are read line by line
 * from a client connection; a set transaction is parsed into struct
 * uapi_set in full before anything is applied, so a bad line changes no
 * state. Apply order follows the protocol: device keys, replace_peers, then
 * each peer's operations in the order given.
 */
#include "uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "crypto.h"
#include "device.h"
#include "log.h"
#include "peer.h"

#define UAPI_MAX_LINE 4096
#define UAPI_CLIENT_TIMEOUT_SEC 5

/* ---- response buffer ---- */

void uapi_buf_free(struct uapi_buf *b)
{
	if (b->data)
		crypto_wipe(b->data, b->cap); /* may hold the private key */
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void buf_printf(struct uapi_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void buf_printf(struct uapi_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->error)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->error = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 4096;

		while (ncap - b->len <= (size_t)n)
			ncap *= 2;
		char *nd = malloc(ncap);

		if (!nd) {
			b->error = -ENOMEM;
			return;
		}
		if (b->data) {
			memcpy(nd, b->data, b->len);
			crypto_wipe(b->data, b->cap);
			free(b->data);
		}
		b->data = nd;
		b->cap = ncap;
	}
}

/* ---- get ---- */

static int print_allowed_ip(void *ctx, int family, const uint8_t *addr,
			    uint8_t cidr)
{
	struct uapi_buf *b = ctx;
	char s[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, s, sizeof(s));
	buf_printf(b, "allowed_ip=%s/%u\n", s, cidr);
	return 0;
}

static void get_peer(struct peer *p, struct uapi_buf *b)
{
	char hex[2 * NOISE_PUBLIC_KEY_LEN + 1], ep[ENDPOINT_STR_MAX];

	key_to_hex(hex, p->public_key);
	buf_printf(b, "public_key=%s\n", hex);
	key_to_hex(hex, p->handshake.preshared_key);
	buf_printf(b, "preshared_key=%s\n", hex);
	crypto_wipe(hex, sizeof(hex));
	buf_printf(b, "protocol_version=1\n");
	if (p->has_endpoint) {
		endpoint_format(ep, sizeof(ep), &p->endpoint);
		buf_printf(b, "endpoint=%s\n", ep);
	}
	buf_printf(b, "last_handshake_time_sec=%" PRIu64 "\n",
		   p->last_handshake_wall_ns / NS_PER_SEC);
	buf_printf(b, "last_handshake_time_nsec=%" PRIu64 "\n",
		   p->last_handshake_wall_ns % NS_PER_SEC);
	buf_printf(b, "tx_bytes=%" PRIu64 "\nrx_bytes=%" PRIu64 "\n",
		   p->tx_bytes, p->rx_bytes);
	buf_printf(b, "persistent_keepalive_interval=%u\n",
		   p->timers.persistent_keepalive_interval);
	allowedips_walk_by_owner(&p->allowedips, print_allowed_ip, b);
}

void uapi_get(struct device *dev, struct uapi_buf *b)
{
	char hex[2 * NOISE_PUBLIC_KEY_LEN + 1];
	struct peer *p;

	if (dev->local.has_identity) {
		key_to_hex(hex, dev->local.static_private);
		buf_printf(b, "private_key=%s\n", hex);
		crypto_wipe(hex, sizeof(hex));
	}
	buf_printf(b, "listen_port=%u\n", dev->listen_port);
	if (dev->fwmark)
		buf_printf(b, "fwmark=%u\n", dev->fwmark);
	for (p = dev->peers_first; p; p = p->list_next)
		get_peer(p, b);
}

/* ---- set ---- */

/*
 * As the kernel and wireguard-go: the key the device already has changes
 * nothing (`wg syncconf` with the running configuration keeps every
 * session). A new one first removes the peer that has its public key (it
 * cannot exist), then re-keys every peer (peer_refresh_identity).
 */
static bool apply_private_key(struct device *dev,
			      const uint8_t key[static NOISE_PUBLIC_KEY_LEN])
{
	uint8_t pub[NOISE_PUBLIC_KEY_LEN];
	struct peer *p;

	if (noise_local_is_private(&dev->local, key))
		return false;
	if (!crypto_is_zero(key, NOISE_PUBLIC_KEY_LEN)) {
		x25519_public_from_private(pub, key);
		p = peer_lookup(dev, pub);
		if (p)
			peer_remove(p);
	}
	log_verbose("UAPI: new private key; every session dropped");
	device_set_private_key(dev, key);
	return true;
}

/* *rekeyed says whether the private key changed. */
static int apply_device(struct device *dev, struct uapi_set *s,
			bool *rekeyed)
{
	int ret;

	/* Steps that can fail for reasons outside our control go first, so
	 * a failure leaves the rest of the device untouched. Whatever the
	 * cause, wireguard-go answers -EADDRINUSE (IpcErrorPortInUse) for
	 * both; so do we, and log the cause. */
	if (s->has_listen_port) {
		ret = device_set_listen_port(dev, s->listen_port);
		if (ret < 0)
			return -EADDRINUSE;
	}
	if (s->has_fwmark) {
		ret = device_set_fwmark(dev, s->fwmark);
		if (ret < 0) {
			log_error("UAPI: cannot set fwmark: %s",
				  strerror(-ret));
			return -EADDRINUSE;
		}
	}
	if (s->has_private_key)
		*rekeyed = apply_private_key(dev, s->private_key);
	if (s->replace_peers)
		while (dev->peers_first)
			peer_remove(dev->peers_first);
	return 0;
}

static int apply_allowed_ips(struct device *dev, struct peer *peer,
			     const struct uapi_peer *op)
{
	if (op->replace_allowed_ips)
		allowedips_remove_by_owner(&dev->allowedips, &peer->allowedips);
	for (size_t i = 0; i < op->n_allowed_ips; i++) {
		const struct uapi_allowed_ip *a = &op->allowed_ips[i];
		int ret = allowedips_insert(&dev->allowedips, a->family,
					    a->addr, a->cidr,
					    &peer->allowedips);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int apply_peer(struct device *dev, const struct uapi_peer *op)
{
	struct peer *peer = peer_lookup(dev, op->public_key);
	bool keepalive_turned_on = false;

	if (op->remove) {
		if (peer)
			peer_remove(peer);
		return 0;
	}
	if (dev->local.has_identity &&
	    crypto_equal(op->public_key, dev->local.static_public,
			 NOISE_PUBLIC_KEY_LEN))
		return 0; /* ignored, as wireguard-go does */
	if (!peer) {
		if (op->update_only)
			return 0;
		peer = peer_create(dev, op->public_key);
		if (!peer)
			return -ENOMEM;
	}
	if (op->has_preshared_key)
		peer_set_preshared_key(peer, op->preshared_key);
	if (op->has_endpoint)
		peer_set_endpoint(peer, &op->endpoint);
	if (op->has_persistent_keepalive) {
		keepalive_turned_on =
			op->persistent_keepalive_interval &&
			!peer->timers.persistent_keepalive_interval;
		peer->timers.persistent_keepalive_interval =
			op->persistent_keepalive_interval;
	}
	if (apply_allowed_ips(dev, peer, op) < 0)
		return -ENOMEM;
	/* As wireguard-go: turning keepalive on sends one right away, which
	 * also opens the session for a peer behind NAT. */
	if (keepalive_turned_on && peer->has_endpoint)
		send_keepalive(peer);
	return 0;
}

int uapi_apply(struct device *dev, struct uapi_set *s)
{
	bool rekeyed = false;
	int ret = apply_device(dev, s, &rekeyed);

	for (size_t i = 0; !ret && i < s->n_peers; i++)
		ret = apply_peer(dev, &s->peers[i]);
	/* Packets that waited for a key (or staged under the old one) go
	 * now, once the whole transaction (endpoints too) is in place: the
	 * handshake they start may go at once (peer_refresh_identity). */
	for (struct peer *p = dev->peers_first; rekeyed && p; p = p->list_next)
		if (p->staged_count)
			send_staged_packets(p);
	return ret;
}

/* ---- request handling ---- */

/* Reads lines from a connection; owns nothing but its buffer. */
struct line_reader {
	int fd;
	char buf[UAPI_MAX_LINE * 2];
	size_t start, end;
};

/* Next line without its newline in *line (NUL-terminated in place).
 * 1 on a line, 0 on EOF, -errno on error or an over-long line. */
static int read_line(struct line_reader *r, char **line, size_t *len)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		ssize_t n;

		if (nl) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			*nl = '\0';
			r->start += *len + 1;
			return 1;
		}
		if (r->end - r->start >= UAPI_MAX_LINE)
			return -EMSGSIZE;
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		n = read(r->fd, r->buf + r->end, sizeof(r->buf) - r->end - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		r->end += (size_t)n;
	}
}

static void respond_errno(struct uapi_buf *out, int err)
{
	buf_printf(out, "errno=%d\n\n", err);
}

/* Consumes a set transaction up to its blank line, then applies it if
 * every line parsed. Returns 0 or -errno. */
static int serve_set(struct device *dev, struct line_reader *r)
{
	struct uapi_set s;
	char *line;
	size_t len;
	int ret = 0, rr;

	uapi_set_init(&s);
	while ((rr = read_line(r, &line, &len)) == 1 && len) {
		if (!ret) {
			ret = uapi_set_parse_line(&s, line, len);
			if (ret)
				log_error("UAPI set: line %zu rejected (%s)",
					  s.error_line, strerror(-ret));
		}
	}
	if (rr < 0 && !ret)
		ret = rr;
	if (!ret && rr == 1)
		ret = uapi_apply(dev, &s);
	else if (!ret)
		ret = -EPROTO; /* connection ended mid-transaction */
	uapi_set_free(&s);
	return ret;
}

static int serve_get(struct device *dev, struct line_reader *r,
		     struct uapi_buf *out)
{
	char *line;
	size_t len;
	int rr = read_line(r, &line, &len);

	if (rr != 1 || len)
		return rr < 0 ? rr : -EINVAL;
	uapi_get(dev, out);
	return out->error;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Where responses go: the client socket, or a buffer for tests. */
struct uapi_sink {
	int fd;
	struct uapi_buf *buf;
};

static int emit(struct uapi_sink *sink, const struct uapi_buf *out)
{
	if (out->error)
		return out->error;
	if (sink->buf) {
		buf_printf(sink->buf, "%.*s", (int)out->len, out->data);
		return sink->buf->error;
	}
	return write_all(sink->fd, out->data, out->len);
}

/* Serves requests on one connection until EOF, an unknown operation or
 * a write error. */
static void serve_connection(struct device *dev, struct line_reader *r,
			     struct uapi_sink *sink)
{
	for (;;) {
		struct uapi_buf out = { 0 };
		char *line;
		size_t len;
		int ret, rr = read_line(r, &line, &len);
		bool known = true;

		if (rr != 1)
			return;
		if (!strcmp(line, "get=1")) {
			ret = serve_get(dev, r, &out);
			if (ret)
				uapi_buf_free(&out);
		} else if (!strcmp(line, "set=1")) {
			ret = serve_set(dev, r);
		} else {
			ret = -EINVAL;
			known = false;
		}
		respond_errno(&out, ret);
		ret = emit(sink, &out);
		uapi_buf_free(&out);
		if (ret < 0 || !known)
			return;
	}
}

void uapi_accept(struct device *dev)
{
	struct timeval tv = { .tv_sec = UAPI_CLIENT_TIMEOUT_SEC };
	struct line_reader *r;
	int fd = accept4(dev->uapi_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* The socket is root-only; the timeout only guards against a stuck
	 * client holding the event loop. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	r = calloc(1, sizeof(*r));
	if (r) {
		struct uapi_sink sink = { .fd = fd };

		r->fd = fd;
		serve_connection(dev, r, &sink);
		crypto_wipe(r, sizeof(*r));
		free(r);
	}
	close(fd);
}

int uapi_handle_text(struct device *dev, const char *req, size_t len,
		     struct uapi_buf *out)
{
	struct uapi_sink sink = { .fd = -1, .buf = out };
	struct line_reader *r;
	const char *e;
	int sv[2], ret;

	/* Feed the request through a socketpair so the same reader runs as
	 * for a real client; the response is collected in out. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	if (len > 65536) {
		/* Larger requests would block the writer: send in pieces is
		 * not needed by the tests, so refuse. */
		ret = -EMSGSIZE;
		goto out;
	}
	ret = write_all(sv[0], req, len);
	shutdown(sv[0], SHUT_WR);
	if (ret)
		goto out;
	r->fd = sv[1];
	serve_connection(dev, r, &sink);
	e = out->data ? strstr(out->data, "errno=") : NULL;
	ret = e ? atoi(e + 6) : -EPROTO;
out:
	free(r);
	close(sv[0]);
	close(sv[1]);
	return ret;
}

/* ---- socket ---- */

static int uapi_path(char *buf, size_t len, const char *ifname)
{
	int n = snprintf(buf, len, "%s/%s.sock", UAPI_DIR, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void uapi_unlink(const char *ifname)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (uapi_path(path, sizeof(path), ifname) == 0)
		unlink(path);
}

int uapi_listen(const char *ifname)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, ret;

	ret = uapi_path(addr.sun_path, sizeof(addr.sun_path), ifname);
	if (ret)
		return ret;
	if (mkdir(UAPI_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket file that still answers belongs to a running daemon. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(addr.sun_path);
	old_umask = umask(0077);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (ret < 0 || listen(fd, 16) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
