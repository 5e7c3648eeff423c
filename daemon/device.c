// SPDX-License-Identifier: MIT
/*
 * The device's state: identity, sockets and TUN, the drop counters, the
 * packets on their way to the TUN (GRO), the staged-packet pool and
 * under-load detection (whitepaper 5.3). The event loop that serves it is
 * loop.c; its state changes go through device_set_state().
 */
#include "device.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "peer.h"
#include "tun.h"
#include "uapi_server.h"
#include "loop.h"
#include "udp.h"

const char *drop_reason_name(enum drop_reason r)
{
	static const char *const names[DROP_COUNT] = {
		[DROP_SHORT] = "packet too short",
		[DROP_BAD_TYPE] = "unknown message type",
		[DROP_BAD_SIZE] = "wrong size for its type",
		[DROP_INVALID_MAC] = "invalid mac1",
		[DROP_UNDER_LOAD_NO_COOKIE] = "under load, no valid cookie",
		[DROP_RATELIMITED] = "rate limited",
		[DROP_HANDSHAKE_FAILED] = "handshake failed",
		[DROP_UNKNOWN_INDEX] = "unknown receiver index",
		[DROP_EXPIRED_KEYPAIR] = "expired keypair",
		[DROP_DECRYPT_FAILED] = "failed authentication",
		[DROP_REPLAYED] = "replayed or too old counter",
		[DROP_BAD_INNER_PACKET] = "malformed inner packet",
		[DROP_SOURCE_NOT_ALLOWED] = "inner source not in peer's allowed IPs",
		[DROP_NO_PEER_FOR_DESTINATION] = "no peer for destination",
		[DROP_NO_ENDPOINT] = "peer has no endpoint",
		[DROP_STAGED_OVERFLOW] = "staged queue full",
		[DROP_BAD_COOKIE] = "cookie reply failed",
		[DROP_ENCRYPT_FAILED] = "encryption failed (libcrypto)",
		[DROP_SEND_UNREACHABLE] = "send failed: no route",
		[DROP_SEND_REFUSED] = "send failed: refused by local policy",
		[DROP_SEND_TOO_BIG] = "send failed: message too long",
		[DROP_SEND_NO_BUFFER] = "send failed: no buffer space",
		[DROP_SEND_BAD_ADDRESS] = "send failed: address unusable",
		[DROP_SEND_OTHER] = "send failed: other error",
	};
	return (unsigned)r < DROP_COUNT ? names[r] : "?";
}

void device_count_drop(struct device *dev, enum drop_reason r)
{
	static struct log_ratelimit rl;

	dev->drops[r]++;
	log_ratelimited(&rl, device_now(dev), "dropped packet: %s",
			drop_reason_name(r));
}

const char *device_state_name(enum device_state s)
{
	static const char *const names[] = {
		[DEVICE_DOWN] = "down",
		[DEVICE_UP] = "up",
		[DEVICE_CLOSED] = "closed",
	};
	return (unsigned)s <= DEVICE_CLOSED ? names[s] : "?";
}

void device_set_state(struct device *dev, enum device_state s)
{
	if (dev->state == s)
		return;
	log_verbose("device %s -> %s", device_state_name(dev->state),
		    device_state_name(s));
	dev->state = s;
}

int device_init(struct device *dev, const char *ifname)
{
	int ret;

	memset(dev, 0, sizeof(*dev));
	snprintf(dev->ifname, sizeof(dev->ifname), "%s", ifname);
	dev->tun_fd = dev->udp4_fd = dev->udp6_fd = -1;
	dev->epoll_fd = dev->uapi_fd = -1;
	dev->mtu = DEFAULT_MTU;
	dev->ops = &device_ops_system;
	allowedips_init(&dev->allowedips);
	ret = index_table_init(&dev->index);
	if (ret)
		return ret;
	ret = ratelimiter_init(&dev->ratelimiter);
	if (ret)
		return ret;
	/* Untouched pages of these cost no memory: only what a batch uses
	 * becomes resident. */
	dev->rx_bufs = mmap(NULL, (size_t)DEVICE_BATCH * PKT_MAX,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dev->tx_bufs = mmap(NULL, (size_t)DEVICE_TX_SLOTS * PKT_MAX,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dev->tun_read_buf = mmap(NULL, PKT_MAX + VNET_HDR_LEN,
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dev->gro_bufs = mmap(NULL, (size_t)GRO_MAX_FLOWS * PKT_MAX,
			     PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dev->rx_bufs == MAP_FAILED || dev->tx_bufs == MAP_FAILED ||
	    dev->tun_read_buf == MAP_FAILED || dev->gro_bufs == MAP_FAILED)
		return -ENOMEM;
	gro_init(&dev->gro);
	return 0; /* DEVICE_DOWN until the loop serves it */
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void device_close(struct device *dev)
{
	struct pktbuf *b;

	workers_stop(&dev->workers);
	while (dev->peers_first)
		peer_remove(dev->peers_first);
	allowedips_free(&dev->allowedips);
	index_table_free(&dev->index);
	ratelimiter_uninit(&dev->ratelimiter);
	while ((b = dev->pool_free)) {
		dev->pool_free = b->next;
		free(b);
	}
	free(dev->peer_hash);
	dev->peer_hash = NULL;
	if (dev->rx_bufs && dev->rx_bufs != MAP_FAILED)
		munmap(dev->rx_bufs, (size_t)DEVICE_BATCH * PKT_MAX);
	if (dev->tx_bufs && dev->tx_bufs != MAP_FAILED)
		munmap(dev->tx_bufs, (size_t)DEVICE_TX_SLOTS * PKT_MAX);
	if (dev->tun_read_buf && dev->tun_read_buf != MAP_FAILED)
		munmap(dev->tun_read_buf, PKT_MAX + VNET_HDR_LEN);
	if (dev->gro_bufs && dev->gro_bufs != MAP_FAILED)
		munmap(dev->gro_bufs, (size_t)GRO_MAX_FLOWS * PKT_MAX);
	dev->rx_bufs = dev->tx_bufs = dev->tun_read_buf = dev->gro_bufs = NULL;
	close_fd(&dev->udp4_fd);
	close_fd(&dev->udp6_fd);
	close_fd(&dev->tun_fd);
	uapi_server_free(dev->uapi_server);
	dev->uapi_server = NULL;
	close_fd(&dev->epoll_fd);
	/* Drops the cached libcrypto form of the static key too. */
	noise_local_set_private(&dev->local, NULL);
	crypto_wipe(&dev->local, sizeof(dev->local));
	crypto_wipe(&dev->cookie_checker, sizeof(dev->cookie_checker));
	device_set_state(dev, DEVICE_CLOSED);
}

static void write_tun_cb(void *ctx, uint8_t *buf, size_t len)
{
	struct device *dev = ctx;
	int ret = tun_write(dev->tun_fd, buf, len);

	if (ret < 0 && tun_error_is_fatal(-ret))
		dev->should_exit = true;
}

void device_flush_tun(struct device *dev)
{
	if (dev->gro.count)
		gro_flush(&dev->gro, write_tun_cb, dev);
}

/*
 * Without virtio headers a packet goes straight to the TUN. With them, it
 * is copied into the GRO buffer of the next item (items use those buffers
 * in order, and a merged packet frees its buffer at once), so consecutive
 * segments of a TCP flow leave as one write.
 */
void device_write_tun(struct device *dev, uint8_t *buf, size_t len)
{
	uint8_t *slot;

	if (!dev->tun_offloads.vnet_hdr) {
		write_tun_cb(dev, buf, len);
		return;
	}
	/* Every GRO buffer holds an item: write them out before reusing. */
	if (dev->gro.count == GRO_MAX_FLOWS)
		device_flush_tun(dev);
	slot = dev->gro_bufs + (size_t)dev->gro.count * PKT_MAX + VNET_HDR_LEN;
	memcpy(slot, buf, len);
	if (gro_add(&dev->gro, slot, len, PKT_MAX - VNET_HDR_LEN) == GRO_FULL) {
		/* Not reached while count < GRO_MAX_FLOWS; kept as a guard. */
		device_flush_tun(dev);
		memset(slot - VNET_HDR_LEN, 0, VNET_HDR_LEN);
		write_tun_cb(dev, slot - VNET_HDR_LEN, len + VNET_HDR_LEN);
	}
}

void device_set_private_key(struct device *dev, const uint8_t *key)
{
	struct peer *p;

	noise_local_set_private(&dev->local, key);
	cookie_checker_init(&dev->cookie_checker, dev->local.has_identity ?
			    dev->local.static_public : NULL);
	for (p = dev->peers_first; p; p = p->list_next)
		peer_refresh_identity(p);
}

/* GRO on receive when the kernel has it; GSO is tried on the first send
 * and dropped (with the reason logged) if the kernel refuses it. */
static void enable_udp_offloads(struct device *dev)
{
	static bool warned;
	bool gro;

	if (!dev->want_offloads) {
		dev->udp_gso = dev->udp_gro = false;
		return;
	}
	gro = udp_enable_gro(dev->udp4_fd);
	if (dev->udp6_fd >= 0)
		gro = udp_enable_gro(dev->udp6_fd) && gro;

	if (!gro && !warned) {
		warned = true;
		log_error("UDP_GRO unavailable: one datagram per receive");
	}
	dev->udp_gro = gro;
	dev->udp_gso = true;
}

int device_set_listen_port(struct device *dev, uint16_t port)
{
	int fd4 = -1, fd6 = -1, ret;
	uint16_t bound = 0;

	if (dev->udp4_fd >= 0 || dev->udp6_fd >= 0) {
		if (port == dev->listen_port && port != 0)
			return 0;
		/* Free the old port first: rebinding the same number is the
		 * common case (wg set listen-port). */
		close_fd(&dev->udp4_fd);
		close_fd(&dev->udp6_fd);
	}
	ret = dev->ops->udp_open(port, dev->fwmark, &fd4, &fd6, &bound);
	if (ret < 0) {
		log_error("cannot bind UDP port %u: %s", port, strerror(-ret));
		/* Try to get the old port back so the device keeps working. */
		if (dev->ops->udp_open(dev->listen_port, dev->fwmark, &fd4,
				       &fd6, &bound) == 0) {
			dev->udp4_fd = fd4;
			dev->udp6_fd = fd6;
			loop_watch(dev, fd4);
			loop_watch(dev, fd6);
		}
		return ret;
	}
	dev->udp4_fd = fd4;
	dev->udp6_fd = fd6;
	dev->listen_port = bound;
	enable_udp_offloads(dev);
	loop_watch(dev, fd4);
	loop_watch(dev, fd6);
	log_verbose("UDP bound to port %u", bound);
	return 0;
}

int device_set_fwmark(struct device *dev, uint32_t mark)
{
	int ret = dev->ops->udp_set_fwmark(dev->udp4_fd, dev->udp6_fd, mark);

	if (!ret)
		dev->fwmark = mark;
	return ret;
}

void device_timer_armed(struct device *dev, uint64_t deadline)
{
	if (!dev->next_timer_ns || deadline < dev->next_timer_ns)
		dev->next_timer_ns = deadline;
}

void device_carrier_changed(struct device *dev)
{
	bool watched = false, on = false;
	struct peer *p;
	int ret;

	for (p = dev->peers_first; p; p = p->list_next) {
		if (!p->timers.carrier_ms)
			continue;
		watched = true;
		on |= !p->timers.carrier_off;
	}
	if (!watched)
		on = true;
	if (!dev->ops->tun_set_carrier || dev->tun_fd < 0 ||
	    dev->carrier_off == !on)
		return;
	ret = dev->ops->tun_set_carrier(dev->tun_fd, on);
	if (ret) {
		log_error("%s: setting the carrier %s: %s", dev->ifname,
			  on ? "on" : "off", strerror(-ret));
		return;
	}
	dev->carrier_off = !on;
	log_verbose("%s: carrier %s", dev->ifname,
		    on ? "on (the peer answered)" : "off (peer silent)");
}

bool device_is_under_load(struct device *dev, uint64_t now)
{
	int fds[2] = { dev->udp4_fd, dev->udp6_fd };
	size_t queued = 0, limit = 0, q, l;

	/* The fuller of the two queues, relative to its limit. */
	for (int i = 0; i < 2; i++)
		if (udp_queued(fds[i], &q, &l) == 0 && l &&
		    (!limit || (double)q / (double)l > (double)queued / (double)limit)) {
			queued = q;
			limit = l;
		}
	return under_load_update(&dev->under_load, now, queued, limit);
}

struct pktbuf *pktbuf_get(struct device *dev, size_t len)
{
	struct pktbuf *b;

	if (len <= POOL_BUF_SIZE && dev->pool_free) {
		b = dev->pool_free;
		dev->pool_free = b->next;
	} else if (len <= POOL_BUF_SIZE) {
		if (dev->pool_allocated >= POOL_MAX_BUFS)
			return NULL;
		b = malloc(sizeof(*b) + POOL_BUF_SIZE);
		if (!b)
			return NULL;
		b->cap = POOL_BUF_SIZE;
		dev->pool_allocated++;
	} else {
		/* Jumbo packets are rare: not pooled. */
		b = malloc(sizeof(*b) + len);
		if (!b)
			return NULL;
		b->cap = (uint32_t)len;
	}
	b->next = NULL;
	b->len = (uint32_t)len;
	return b;
}

void pktbuf_put(struct device *dev, struct pktbuf *b)
{
	if (!b)
		return;
	if (b->cap != POOL_BUF_SIZE) {
		free(b);
		return;
	}
	b->next = dev->pool_free;
	dev->pool_free = b;
}

