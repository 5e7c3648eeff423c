// SPDX-License-Identifier: MIT
/*
 * UAPI operations (wireguard.com/xplatform): get=1's answer, and applying
 * a set transaction that uapi_parse.c has parsed whole, so a bad line
 * changes no state. Apply order follows the protocol: device keys,
 * replace_peers, then each peer's operations in the order given. Reading
 * requests off client connections is uapi_conn.c and uapi_server.c; the
 * listening socket is made here.
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

/* ---- response buffer ---- */

void uapi_buf_free(struct uapi_buf *b)
{
	if (b->data)
		crypto_wipe(b->data, b->cap); /* may hold the private key */
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int uapi_buf_reserve(struct uapi_buf *b, size_t n, size_t first)
{
	size_t ncap;
	char *nd;

	if (b->error)
		return b->error;
	if (b->cap - b->len > n)
		return 0;
	ncap = b->cap ? b->cap * 2 : first;
	while (ncap - b->len <= n)
		ncap *= 2;
	nd = malloc(ncap);
	if (!nd)
		return b->error = -ENOMEM;
	/* The old buffer may hold keys (a get answer): wiped, not just freed. */
	if (b->data) {
		memcpy(nd, b->data, b->len);
		crypto_wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = nd;
	b->cap = ncap;
	return 0;
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
		if (uapi_buf_reserve(b, (size_t)n, 4096))
			return;
	}
}

/* ---- get ---- */

static int print_allowed_ip(void *ctx, int family, const uint8_t *addr,
			    uint8_t cidr)
{
	struct uapi_buf *b = ctx;
	char s[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, s, sizeof(s));
	buf_printf(b, UAPI_ALLOWED_IP "=%s/%u\n", s, cidr);
	return 0;
}

static void get_peer(struct peer *p, struct uapi_buf *b)
{
	char hex[2 * NOISE_PUBLIC_KEY_LEN + 1], ep[ENDPOINT_STR_MAX];

	key_to_hex(hex, p->public_key);
	buf_printf(b, UAPI_PUBLIC_KEY "=%s\n", hex);
	key_to_hex(hex, p->handshake.preshared_key);
	buf_printf(b, UAPI_PRESHARED_KEY "=%s\n", hex);
	crypto_wipe(hex, sizeof(hex));
	buf_printf(b, UAPI_PROTOCOL_VERSION "=1\n");
	if (p->has_endpoint) {
		endpoint_format(ep, sizeof(ep), &p->endpoint);
		buf_printf(b, UAPI_ENDPOINT "=%s\n", ep);
	}
	buf_printf(b, UAPI_LAST_HANDSHAKE_SEC "=%" PRIu64 "\n",
		   p->last_handshake_wall_ns / NS_PER_SEC);
	buf_printf(b, UAPI_LAST_HANDSHAKE_NSEC "=%" PRIu64 "\n",
		   p->last_handshake_wall_ns % NS_PER_SEC);
	buf_printf(b, UAPI_TX_BYTES "=%" PRIu64 "\n" UAPI_RX_BYTES "=%" PRIu64 "\n",
		   p->tx_bytes, p->rx_bytes);
	buf_printf(b, UAPI_PERSISTENT_KEEPALIVE "=%u\n",
		   p->timers.persistent_keepalive_interval);
	/* lanwired's extension (uapi_names.h); wg skips it. */
	buf_printf(b, UAPI_PROBE_MS "=%u\n", p->timers.probe_ms);
	buf_printf(b, UAPI_CARRIER_MS "=%u\n", p->timers.carrier_ms);
	allowedips_walk_by_owner(&p->allowedips, print_allowed_ip, b);
}

/*
 * lanwire's read-only extension: one line per drop reason, device-wide,
 * before the first peer: "lanwire_drop=COUNT NAME", NAME being
 * drop_reason_name()'s text, everything after the first space. wg ignores keys it does not know (wireguard-tools ipc-uapi.h),
 * so wg show and wg showconf print what they always did. A set
 * transaction refuses the key, as any unknown one.
 */
static void get_drops(struct device *dev, struct uapi_buf *b)
{
	for (unsigned r = 0; r < DROP_COUNT; r++)
		buf_printf(b, UAPI_DROP_KEY "=%" PRIu64 " %s\n", dev->drops[r],
			   drop_reason_name((enum drop_reason)r));
}

void uapi_get(struct device *dev, struct uapi_buf *b)
{
	char hex[2 * NOISE_PUBLIC_KEY_LEN + 1];
	struct peer *p;

	if (dev->local.has_identity) {
		key_to_hex(hex, dev->local.static_private);
		buf_printf(b, UAPI_PRIVATE_KEY "=%s\n", hex);
		crypto_wipe(hex, sizeof(hex));
	}
	buf_printf(b, UAPI_LISTEN_PORT "=%u\n", dev->listen_port);
	if (dev->fwmark)
		buf_printf(b, UAPI_FWMARK "=%u\n", dev->fwmark);
	get_drops(dev, b);
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
	if (op->has_probe_ms)
		peer->timers.probe_ms = op->probe_ms;
	if (op->has_carrier_ms) {
		timers_set_carrier_ms(&peer->timers, op->carrier_ms);
		device_carrier_changed(dev);
	}
	if (op->has_replaces)
		peer_set_replaces(peer, op->replaces);
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

/* ---- socket ---- */

static int uapi_path(char *buf, size_t len, const char *ifname)
{
	int n = snprintf(buf, len, "%s/%s" UAPI_SOCK_SUFFIX, UAPI_DIR,
			 ifname);

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
