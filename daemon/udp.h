/* SPDX-License-Identifier: MIT */
/*
 * The UDP sockets: one IPv4 and one IPv6 (v6-only) socket bound to the same
 * port, as wireguard-go and the kernel do, so both outer families work on
 * one listening port. They stay in the namespace the daemon started in.
 */
#ifndef LW_UDP_H
#define LW_UDP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct udp_source;

/* Binds both sockets to port (0 = pick one free for both). On success the
 * fds and the bound port are returned; either fd may be -1 if that family
 * is unavailable, but not both. 0 or -errno. */
int udp_open(uint16_t port, uint32_t fwmark, int *fd4, int *fd6,
	     uint16_t *bound_port);
int udp_set_fwmark(int fd, uint32_t fwmark);
/* Reads a received message's control data: returns its UDP_GRO segment
 * size (0 if none) and fills local with the address it arrived on. */
size_t udp_parse_cmsgs(struct msghdr *mh, struct udp_source *local);
/* Room a receive needs for that control data. */
#define UDP_RX_CMSG_SPACE \
	(CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) + \
	 CMSG_SPACE(sizeof(struct in_pktinfo)))
/* The socket's receive queue: bytes held (the kernel's truesize of the
 * datagrams) and the most it may hold, from SO_MEMINFO; what underload.h
 * calls the backlog. 0 or -errno. */
int udp_queued(int fd, size_t *queued, size_t *limit);
/* Asks for coalesced receives (UDP_GRO). False if the kernel says no. */
bool udp_enable_gro(int fd);
/* Segments in one UDP_SEGMENT send, and its payload limit. */
#define UDP_GSO_MAX_SEGMENTS 64
#define UDP_GSO_MAX_BYTES 65000
/* Datagrams udp_send_batch hands to one sendmmsg call at most. */
#define UDP_BATCH_MAX 256

/* The local address a datagram left or arrived on (sticky source,
 * IP_PKTINFO / IPV6_PKTINFO). family 0: none, the kernel chooses. */
struct udp_source {
	sa_family_t family;
	int ifindex;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/*
 * One datagram of an outbound batch, and after udp_send_batch what became
 * of it. Neighbours in the batch with the same dst and length (the last
 * may be shorter) leave as one UDP_SEGMENT message when may_segment.
 *
 * Ownership: the caller owns the array, the buffers and dst.
 */
struct udp_datagram {
	const struct sockaddr *dst; /* sockaddr_in or sockaddr_in6 */
	const struct udp_source *src; /* NULL or family 0: kernel's choice */
	const void *buf;
	size_t len;
	bool may_segment;
	int error;     /* out: 0 sent, else -errno (not sent) */
	int gso_error; /* out: its UDP_SEGMENT run was refused with -errno
			* and it was sent on its own instead */
	int src_error; /* out: src was refused with -errno (the address is
			* gone); it went with the kernel's choice instead */
};

/* One buffer a receive filled: a datagram, or with UDP_GRO several of
 * segment bytes each (the last may be shorter). */
struct udp_received {
	uint8_t *buf;
	size_t len;
	size_t segment; /* UDP_GRO segment size; 0: one datagram */
	bool truncated;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} src;
	struct udp_source local; /* the address it arrived on */
};

/* The system calls of the UDP batches; tests and the fuzzer put their
 * own wire here. */
struct udp_io {
	int (*sendmmsg)(int fd, struct mmsghdr *msgs, unsigned n, int flags);
	int (*recvmmsg)(int fd, struct mmsghdr *msgs, unsigned n, int flags,
			struct timespec *timeout);
};
extern const struct udp_io udp_io_system;

/*
 * Sends d[0..n) on the socket of each datagram's family (fd4, fd6; -1 if
 * absent). A message the kernel refuses fails alone: later messages still
 * go. A message whose source address is refused (EINVAL,
 * EADDRNOTAVAIL, ENETUNREACH) goes again with the kernel's choice. A
 * UDP_SEGMENT run refused as such (EMSGSIZE, EINVAL, EIO, EOPNOTSUPP) is
 * sent again one datagram at a time, so the kernel may fragment; nothing
 * that left is sent twice. EAGAIN (the socket's buffer is full) drops the
 * rest of that socket's messages at once: the event loop never blocks on
 * a send. ENOBUFS drops only its own message.
 */
void udp_send_batch(const struct udp_io *io, int fd4, int fd6,
		    struct udp_datagram *d, unsigned n);
/* Receives up to n buffers without waiting, buffer i at bufs + i * cap;
 * returns how many were filled (0: none). */
unsigned udp_receive_batch(const struct udp_io *io, int fd, uint8_t *bufs,
			   size_t cap, struct udp_received *r, unsigned n);
/* One datagram, through udp_send_batch. 0 or -errno. */
int udp_send(const struct udp_io *io, int fd4, int fd6,
	     const struct sockaddr *dst, const void *buf, size_t len);

#endif
