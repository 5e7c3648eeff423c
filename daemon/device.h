/* SPDX-License-Identifier: MIT */
/*
 * The device: one WireGuard interface with its identity, peers, cryptokey
 * routing table, receiver-index table, sockets, TUN and event loop.
 *
 * Ownership: main() owns the one device. It owns everything hanging off
 * it; device_close() releases all of it and wipes the keys. One event-loop
 * thread does all the work, so no locks; it may lend the AEAD of a batch of
 * transport messages to crypto workers, and waits for them (workers.h).
 */
#ifndef LW_DEVICE_H
#define LW_DEVICE_H

#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "allowedips.h"
#include "cookie.h"
#include "crypto.h"
#include "index.h"
#include "noise.h"
#include "offload.h"
#include "ratelimit.h"
#include "tun.h"
#include "udp.h"
#include "underload.h"
#include "workers.h"

struct peer;
struct uapi_server;

/*
 * What the device asks of the world, in one place: the clocks, the random
 * bytes of the packet path (receiver indices, ephemeral keys, the cookie
 * secret, timer jitter), and the calls that open and mark the UDP
 * sockets, flush its outbound batches to them and receive from them
 * (udp_io). main() uses
 * device_ops_system; tests and the fuzzers bring a fake clock, their own
 * wire and, to replay an input exactly, their own generator, so neither
 * needs sockets nor link-time stand-ins.
 *
 * Ownership: static, never freed; the device only points to it.
 */
struct device_ops {
	uint64_t (*now)(void);      /* monotonic */
	uint64_t (*wall_now)(void); /* realtime, for TAI64N and wg show */
	crypto_random_fn random;    /* system: crypto_random */
	const struct udp_io *udp;
	/* Opening and marking the UDP sockets, as privdrop.h says; system:
	 * privdrop_udp_open, privdrop_udp_set_fwmark. */
	int (*udp_open)(uint16_t port, uint32_t fwmark, int *fd4, int *fd6,
			uint16_t *bound_port);
	int (*udp_set_fwmark)(int fd4, int fd6, uint32_t fwmark);
	/* The TUN's carrier (lanwire_carrier_ms); system:
	 * privdrop_tun_set_carrier. NULL: nothing to set (tests). */
	int (*tun_set_carrier)(int tun_fd, bool on);
};
extern const struct device_ops device_ops_system;

#define DEFAULT_MTU 1420
/* Buffers per recvmmsg batch. With UDP_GRO each may carry up to 64 KiB of
 * coalesced datagrams, so 8 already means hundreds of packets; each buffer
 * in use is resident memory, and so is the GRO buffer its packets end up
 * in: 16 cost a receiver 1 MiB more peak RSS than 8 at the same
 * throughput (make bench, TCP 1 stream). */
#define DEVICE_BATCH 8
/* recvmmsg rounds and TUN reads per wake-up, so neither side starves. */
#define DEVICE_RX_ROUNDS 16
#define DEVICE_TUN_READS 256
/* Plain packets encrypted per send batch: room for one 64 KiB TCP
 * super-packet cut at an MSS down to about 420 bytes, plus more. */
#define DEVICE_TX_BATCH 160
/* tx_bufs holds DEVICE_TX_BATCH slots and one scratch slot after them. */
#define DEVICE_SCRATCH_SLOT DEVICE_TX_BATCH
#define DEVICE_TX_SLOTS (DEVICE_TX_BATCH + 1)
/* Room in every packet buffer for the transport header in front. */
#define PKT_HEADROOM MESSAGE_DATA_HEADER_LEN
/* Largest datagram or TUN packet we handle, plus the tag. */
#define PKT_MAX 65536
/* Staged-packet buffer pool. */
#define POOL_BUF_SIZE 2048
#define POOL_MAX_BUFS 4096

/* Cookie replies queued during a receive round and sent together with
 * sendmmsg at its end: under a handshake flood they are nearly all the
 * loop sends, one syscall each otherwise. */
#define COOKIE_REPLY_BATCH 64
struct cookie_reply_queue {
	bool batching; /* inside receive_packets_from_udp; else send at once */
	unsigned n;
	struct message_handshake_cookie msg[COOKIE_REPLY_BATCH];
	struct sockaddr_in6 dst[COOKIE_REPLY_BATCH]; /* or a sockaddr_in */
};

/* A staged packet, from the pool. */
struct pktbuf {
	struct pktbuf *next; /* free list */
	uint32_t len;
	uint32_t cap;
	uint8_t data[];
};

/* down: configured, not serving (before and after device_run); up: the
 * loop serves it; closed: released. Changed only by device_set_state. */
enum device_state { DEVICE_DOWN, DEVICE_UP, DEVICE_CLOSED };
const char *device_state_name(enum device_state s);

/* Reasons a packet from the network or the TUN was dropped; counted and
 * logged (rate-limited) under these names. */
enum drop_reason {
	DROP_SHORT,
	DROP_BAD_TYPE,
	DROP_BAD_SIZE,
	DROP_INVALID_MAC,
	DROP_UNDER_LOAD_NO_COOKIE,
	DROP_RATELIMITED,
	DROP_HANDSHAKE_FAILED,
	DROP_UNKNOWN_INDEX,
	DROP_EXPIRED_KEYPAIR,
	DROP_DECRYPT_FAILED,
	DROP_REPLAYED,
	DROP_BAD_INNER_PACKET,
	DROP_SOURCE_NOT_ALLOWED,
	DROP_NO_PEER_FOR_DESTINATION,
	DROP_NO_ENDPOINT,
	DROP_STAGED_OVERFLOW,
	DROP_BAD_COOKIE,
	DROP_ENCRYPT_FAILED,
	/* Our own datagrams the kernel refused, by errno class. */
	DROP_SEND_UNREACHABLE,
	DROP_SEND_REFUSED,
	DROP_SEND_TOO_BIG,
	DROP_SEND_NO_BUFFER,
	DROP_SEND_BAD_ADDRESS,
	DROP_SEND_OTHER,
	DROP_COUNT,
};
const char *drop_reason_name(enum drop_reason r);

struct device {
	char ifname[IFNAMSIZ];
	enum device_state state;
	struct noise_local local;
	struct cookie_checker cookie_checker;
	uint16_t listen_port;
	uint32_t fwmark;

	/* Peers: creation-ordered list and a hash by public key. */
	struct peer *peers_first, *peers_last;
	struct peer **peer_hash;
	size_t peer_hash_size; /* power of two */
	size_t npeers;
	uint64_t next_peer_serial;

	struct allowedips allowedips;
	struct index_table index;
	struct ratelimiter ratelimiter;

	int tun_fd;
	bool carrier_off; /* we turned the TUN's carrier off */
	int mtu;
	uint64_t mtu_checked_ns; /* when mtu was last read back from the TUN */
	bool want_offloads; /* false: LANWIRE_OFFLOAD=0, plain syscalls */
	struct tun_offloads tun_offloads;
	bool udp_gso; /* send batches with UDP_SEGMENT (a peer's path may
		       * still refuse it: peer->gso_refused) */
	bool udp_gro; /* sockets deliver coalesced datagrams (UDP_GRO) */
	struct gro_table gro;
	int udp4_fd, udp6_fd;
	/* The world as the device sees it: device_ops_system, or a test's
	 * fake clock and wire. */
	const struct device_ops *ops;
	int epoll_fd;
	int uapi_fd;
	struct uapi_server *uapi_server; /* its clients; made by device_run */
	bool should_exit;

	/* Earliest armed timer deadline (monotonic ns), 0 if none; lets the
	 * loop sleep until then. */
	uint64_t next_timer_ns;

	/* Under load (underload.h): the sockets' backlog. */
	struct under_load under_load;

	/* Staged-packet pool. */
	struct pktbuf *pool_free;
	unsigned pool_allocated;

	/* Batch buffers for the data path (PKT_MAX each): received
	 * datagrams, packets to encrypt, one TUN read with its virtio
	 * header, and one buffer per GRO item on its way to the TUN. */
	uint8_t *rx_bufs;
	uint8_t *tx_bufs;
	uint8_t *tun_read_buf;
	size_t tun_read_pending; /* bytes in tun_read_buf not yet split */
	unsigned tun_read_next;  /* its first segment not yet split */
	uint8_t *gro_bufs;

	/* Helper threads for the AEAD of batches; none until main() starts
	 * them (after dropping privileges), so tests run single-threaded
	 * unless they ask. */
	struct workers workers;

	struct cookie_reply_queue cookie_replies;

	uint64_t drops[DROP_COUNT];
};

/* Monotonic and wall clock of the device's ops, in ns. */
static inline uint64_t device_now(const struct device *dev)
{
	return dev->ops->now();
}

static inline uint64_t device_wall_now(const struct device *dev)
{
	return dev->ops->wall_now();
}

int device_init(struct device *dev, const char *ifname);
/* The one place the state changes; logs old -> new. */
void device_set_state(struct device *dev, enum device_state s);
/* Writes one packet (with a virtio header when the TUN has them). */
void device_write_tun(struct device *dev, uint8_t *buf, size_t len);
/* Writes everything GRO holds to the TUN. */
void device_flush_tun(struct device *dev);
void device_close(struct device *dev);
/* Set the identity (NULL or zero clears it); refreshes every peer. */
void device_set_private_key(struct device *dev, const uint8_t *key);
/* (Re)binds the UDP sockets to port (0 = random). 0 or -errno; on error
 * the old sockets stay. */
int device_set_listen_port(struct device *dev, uint16_t port);
int device_set_fwmark(struct device *dev, uint32_t mark);
void device_timer_armed(struct device *dev, uint64_t deadline);
/* A peer's carrier changed (timers.h, carrier_ms): the TUN's carrier is
 * on unless every peer with carrier_ms set is silent. */
void device_carrier_changed(struct device *dev);
void device_count_drop(struct device *dev, enum drop_reason r);
/* Whitepaper 5.3, by the rule of underload.h: a backlog in either UDP
 * socket's receive queue, or one less than UNDER_LOAD_HOLD_NS ago. */
bool device_is_under_load(struct device *dev, uint64_t now);


/* Pool. */
struct pktbuf *pktbuf_get(struct device *dev, size_t len);
void pktbuf_put(struct device *dev, struct pktbuf *b);

/* The send and receive paths have their own headers; included here for
 * the files that reach them through the device. */
#include "loop.h"
#include "receive.h"
#include "send.h"

#endif
