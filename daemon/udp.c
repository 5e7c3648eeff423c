// SPDX-License-Identifier: MIT
/*
 * UDP sockets for the outer transport.
 *
 * Socket buffers are enlarged to UDP_SOCKET_BUFFER; failure to do so is not
 * an error. The receive buffer must hold what arrives while the event loop
 * is busy elsewhere (a batch of crypto, TUN writes, a time slice lost to
 * another process): 4 MiB is about 13 ms at 2.5 Gbit/s. The path's own
 * bandwidth-delay product is held by the inner TCP's window and the
 * sender's queue, not here; a tunnel buffer deeper than the daemon's
 * stalls only adds queueing delay when the tunnel is overloaded. Measured
 * (make bench, 3 alternating runs, 2 cores) with 208 KiB (the kernel's
 * default), 1 MiB, 4 MiB and 16 MiB: single-stream TCP 1839 / 2099 / 2350
 * / 2135 Mbit/s with 38,395 / 1,559 / 0 / 0 retransmits, UDP loss at 500
 * Mbit/s 0.188 / 0.004 / 0.000 / 0.000 %: 4 MiB is where it stops paying.
 */
#include "udp.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UDP_SOCKET_BUFFER (4 << 20)

int udp_set_fwmark(int fd, uint32_t fwmark)
{
	if (fd < 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof(fwmark)) < 0)
		return -errno;
	return 0;
}

bool udp_enable_gro(int fd)
{
	int one = 1;

	return fd >= 0 &&
	       setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
}

size_t udp_parse_cmsgs(struct msghdr *mh, struct udp_source *local)
{
	struct cmsghdr *c;
	size_t gso = 0;

	memset(local, 0, sizeof(*local));
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int size;

			memcpy(&size, CMSG_DATA(c), sizeof(size));
			gso = size > 0 ? (size_t)size : 0;
		} else if (c->cmsg_level == IPPROTO_IP &&
			   c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->family = AF_INET;
			local->ifindex = pi.ipi_ifindex;
			local->v4 = pi.ipi_spec_dst;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->family = AF_INET6;
			local->ifindex = (int)pi.ipi6_ifindex;
			local->v6 = pi.ipi6_addr;
		}
	}
	return gso;
}

int udp_queued(int fd, size_t *queued, size_t *limit)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	if (fd < 0)
		return -EBADF;
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0)
		return -errno;
	if (len <= SK_MEMINFO_RCVBUF * sizeof(uint32_t))
		return -EINVAL;
	*queued = mi[SK_MEMINFO_RMEM_ALLOC];
	*limit = mi[SK_MEMINFO_RCVBUF];
	return 0;
}

static void set_buffers(int fd)
{
	int size = UDP_SOCKET_BUFFER;

	/* SO_*BUFFORCE needs CAP_NET_ADMIN; fall back to the capped one. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static int open_one(int family, uint16_t port, uint32_t fwmark,
		    uint16_t *bound)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} addr = { 0 };
	socklen_t alen;
	int fd, one = 1, err;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		addr.in6.sin6_family = AF_INET6;
		addr.in6.sin6_port = htons(port);
		alen = sizeof(addr.in6);
	} else {
		addr.in.sin_family = AF_INET;
		addr.in.sin_port = htons(port);
		alen = sizeof(addr.in);
	}
	set_buffers(fd);
	/* The address each datagram arrived on, for sticky sources. */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			   sizeof(one));
	else
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (fwmark && udp_set_fwmark(fd, fwmark) < 0)
		goto fail;
	if (bind(fd, &addr.sa, alen) < 0)
		goto fail;
	if (getsockname(fd, &addr.sa, &alen) < 0)
		goto fail;
	*bound = ntohs(family == AF_INET6 ? addr.in6.sin6_port :
					    addr.in.sin_port);
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int udp_open(uint16_t port, uint32_t fwmark, int *fd4, int *fd6,
	     uint16_t *bound_port)
{
	/* With port 0, the v4 socket picks a port and v6 must get the same;
	 * if that port is taken for v6, try again with another. */
	for (int attempt = 0; attempt < 100; attempt++) {
		uint16_t p4 = 0, p6 = 0;
		int a = open_one(AF_INET, port, fwmark, &p4);
		int b;

		if (a < 0 && a != -EAFNOSUPPORT)
			return a;
		b = open_one(AF_INET6, a >= 0 ? p4 : port, fwmark, &p6);
		if (b == -EADDRINUSE && port == 0 && a >= 0) {
			close(a);
			continue;
		}
		if (b < 0 && b != -EAFNOSUPPORT && b != -EADDRNOTAVAIL) {
			if (a >= 0)
				close(a);
			return b;
		}
		if (a < 0 && b < 0)
			return a;
		*fd4 = a;
		*fd6 = b < 0 ? -1 : b;
		*bound_port = a >= 0 ? p4 : p6;
		return 0;
	}
	return -EADDRINUSE;
}

/*
 * The outbound batch. Datagrams become sendmmsg messages per family; a run
 * of neighbours to one destination becomes one UDP_SEGMENT message. What
 * sendmmsg reports is per message: it returns how many left before the
 * first failure, and a call starting at the failing message returns its
 * errno, so each failure is attributed to its own message and the rest
 * are sent after it.
 */
struct udp_msgs {
	struct mmsghdr mh[UDP_BATCH_MAX];
	struct iovec iov[UDP_BATCH_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t)) +
			 CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctrl[UDP_BATCH_MAX];
	unsigned first[UDP_BATCH_MAX]; /* message -> its first datagram */
	unsigned count[UDP_BATCH_MAX]; /* datagrams in the message */
	unsigned n;
};

static int sys_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags)
{
	return sendmmsg(fd, msgs, n, flags);
}

static int sys_recvmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags,
			struct timespec *timeout)
{
	return recvmmsg(fd, msgs, n, flags, timeout);
}

const struct udp_io udp_io_system = {
	.sendmmsg = sys_sendmmsg,
	.recvmmsg = sys_recvmmsg,
};

static socklen_t sockaddr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

static bool same_dst(const struct sockaddr *a, const struct sockaddr *b)
{
	return a == b || (a->sa_family == b->sa_family &&
			  !memcmp(a, b, sockaddr_len(a)));
}

static bool has_src(const struct udp_datagram *d)
{
	return d->src && d->src->family == d->dst->sa_family;
}

static bool same_src(const struct udp_datagram *a,
		     const struct udp_datagram *b)
{
	if (!has_src(a) || !has_src(b))
		return has_src(a) == has_src(b);
	return a->src == b->src || !memcmp(a->src, b->src, sizeof(*a->src));
}

/* How many datagrams from i on can share one UDP_SEGMENT message. */
static unsigned segment_run(const struct udp_datagram *d, unsigned i,
			    unsigned n)
{
	size_t total = d[i].len;
	unsigned k = 1;

	if (!d[i].may_segment)
		return 1;
	while (i + k < n && k < UDP_GSO_MAX_SEGMENTS) {
		const struct udp_datagram *e = &d[i + k];

		if (!e->may_segment || !same_dst(e->dst, d[i].dst) ||
		    !same_src(e, &d[i]) ||
		    e->len > d[i].len || total + e->len > UDP_GSO_MAX_BYTES)
			break;
		total += e->len;
		k++;
		if (e->len < d[i].len)
			break; /* a shorter datagram ends the run */
	}
	return k;
}

/* The source address as IP_PKTINFO / IPV6_PKTINFO; returns the next
 * control header's place. */
static void add_pktinfo(struct msghdr *mh, struct cmsghdr *c,
			const struct udp_source *src)
{
	if (src->family == AF_INET6) {
		struct in6_pktinfo pi = { .ipi6_addr = src->v6,
					  .ipi6_ifindex = (unsigned)src->ifindex };

		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen += CMSG_SPACE(sizeof(pi));
	} else {
		/* The address alone: the route picks the interface. */
		struct in_pktinfo pi = { .ipi_spec_dst = src->v4 };

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen += CMSG_SPACE(sizeof(pi));
	}
}

static void add_segment_size(struct msghdr *mh, struct cmsghdr *c,
			     uint16_t size)
{
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	mh->msg_controllen += CMSG_SPACE(sizeof(size));
}

/* (Re)writes message j as datagrams [i, i + k): with k > 1 a UDP_SEGMENT,
 * with the source of d[i] if it has one. */
static void build_msg(struct udp_msgs *m, unsigned j, struct udp_datagram *d,
		      unsigned i, unsigned k)
{
	struct msghdr *mh = &m->mh[j].msg_hdr;
	struct cmsghdr *c;

	memset(&m->mh[j], 0, sizeof(m->mh[j]));
	for (unsigned x = 0; x < k; x++) {
		m->iov[i + x].iov_base = (void *)d[i + x].buf;
		m->iov[i + x].iov_len = d[i + x].len;
	}
	mh->msg_iov = &m->iov[i];
	mh->msg_iovlen = k;
	mh->msg_name = (void *)d[i].dst;
	mh->msg_namelen = sockaddr_len(d[i].dst);
	m->first[j] = i;
	m->count[j] = k;
	if (k == 1 && !has_src(&d[i]))
		return;
	/* CMSG_NXTHDR reads the lengths written so far: fill in order. */
	memset(m->ctrl[j].buf, 0, sizeof(m->ctrl[j].buf));
	mh->msg_control = m->ctrl[j].buf;
	mh->msg_controllen = sizeof(m->ctrl[j].buf);
	c = CMSG_FIRSTHDR(mh);
	mh->msg_controllen = 0;
	if (k > 1) {
		add_segment_size(mh, c, (uint16_t)d[i].len);
		c = (struct cmsghdr *)((char *)c + CMSG_SPACE(sizeof(uint16_t)));
	}
	if (has_src(&d[i]))
		add_pktinfo(mh, c, d[i].src);
}

/* Appends the message of datagrams [i, i + k). */
static void add_msg(struct udp_msgs *m, struct udp_datagram *d, unsigned i,
		    unsigned k)
{
	build_msg(m, m->n++, d, i, k);
}

static bool src_refusal(int err)
{
	return err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH;
}

/* Message j's source address was refused with err: its datagrams forget
 * it and the message is rebuilt for the kernel's choice. */
static void drop_source(struct udp_msgs *m, unsigned j,
			struct udp_datagram *d, int err)
{
	for (unsigned x = 0; x < m->count[j]; x++) {
		d[m->first[j] + x].src_error = -err;
		d[m->first[j] + x].src = NULL;
	}
	build_msg(m, j, d, m->first[j], m->count[j]);
}

static void set_result(struct udp_msgs *m, struct udp_datagram *d,
		       unsigned j, int error)
{
	for (unsigned x = 0; x < m->count[j]; x++)
		d[m->first[j] + x].error = error;
}

static bool gso_refusal(int err)
{
	return err == EMSGSIZE || err == EINVAL || err == EIO ||
	       err == EOPNOTSUPP;
}

static void send_msgs(const struct udp_io *io, int fd, struct udp_msgs *m,
		      struct udp_datagram *d);

/* Message j, a UDP_SEGMENT run the kernel refused with err: none of it
 * left; each of its datagrams goes again on its own. */
static void resend_run_singly(const struct udp_io *io, int fd,
			      struct udp_msgs *m, unsigned j,
			      struct udp_datagram *d, int err)
{
	struct udp_msgs *singles = malloc(sizeof(*singles));

	for (unsigned x = 0; x < m->count[j]; x++)
		d[m->first[j] + x].gso_error = -err;
	if (!singles) {
		set_result(m, d, j, -ENOMEM);
		return;
	}
	singles->n = 0;
	for (unsigned x = 0; x < m->count[j]; x++) {
		d[m->first[j] + x].may_segment = false;
		add_msg(singles, d, m->first[j] + x, 1);
	}
	send_msgs(io, fd, singles, d);
	free(singles);
}

static void send_msgs(const struct udp_io *io, int fd, struct udp_msgs *m,
		      struct udp_datagram *d)
{
	unsigned done = 0;

	while (done < m->n) {
		int r = io->sendmmsg(fd, m->mh + done, m->n - done, 0);
		int err = r < 0 ? errno : EIO;

		if (r > 0) {
			for (int x = 0; x < r; x++)
				set_result(m, d, done + (unsigned)x, 0);
			done += (unsigned)r;
			continue;
		}
		if (err == EINTR)
			continue;
		/* The socket's buffer is full: what is left for this socket
		 * cannot wait (the loop must not block), so it is dropped. */
		if (err == EAGAIN || err == EWOULDBLOCK) {
			for (; done < m->n; done++)
				set_result(m, d, done, -EAGAIN);
			break;
		}
		/* A refused run is split first: its datagrams keep their
		 * source, which a refusal of their own then drops. */
		if (m->count[done] > 1 && gso_refusal(err)) {
			resend_run_singly(io, fd, m, done, d, err);
		} else if (has_src(&d[m->first[done]]) && src_refusal(err)) {
			drop_source(m, done, d, err);
			continue;
		} else {
			set_result(m, d, done, -err);
		}
		done++;
	}
}

/* The datagrams of one family, in order, at most UDP_BATCH_MAX. */
static void send_family(const struct udp_io *io, int fd, int family,
			struct udp_datagram *d, unsigned n,
			struct udp_msgs *m)
{
	m->n = 0;
	for (unsigned i = 0; i < n;) {
		unsigned k;

		if (d[i].dst->sa_family != family) {
			i++;
			continue;
		}
		k = segment_run(d, i, n);
		if (fd < 0) {
			for (unsigned x = 0; x < k; x++)
				d[i + x].error = -EAFNOSUPPORT;
		} else {
			add_msg(m, d, i, k);
		}
		i += k;
	}
	if (m->n)
		send_msgs(io, fd, m, d);
}

void udp_send_batch(const struct udp_io *io, int fd4, int fd6,
		    struct udp_datagram *d, unsigned n)
{
	struct udp_msgs *m = malloc(sizeof(*m));

	for (unsigned i = 0; i < n; i++) {
		d[i].error = -ENOMEM;
		d[i].gso_error = 0;
		d[i].src_error = 0;
	}
	if (!m)
		return;
	for (unsigned i = 0; i < n; i += UDP_BATCH_MAX) {
		unsigned k = n - i < UDP_BATCH_MAX ? n - i : UDP_BATCH_MAX;

		send_family(io, fd4, AF_INET, d + i, k, m);
		send_family(io, fd6, AF_INET6, d + i, k, m);
	}
	free(m);
}

int udp_send(const struct udp_io *io, int fd4, int fd6,
	     const struct sockaddr *dst, const void *buf, size_t len)
{
	struct udp_datagram d = { .dst = dst, .buf = buf, .len = len };

	udp_send_batch(io, fd4, fd6, &d, 1);
	return d.error;
}

unsigned udp_receive_batch(const struct udp_io *io, int fd, uint8_t *bufs,
			   size_t cap, struct udp_received *r, unsigned n)
{
	struct mmsghdr msgs[n];
	struct iovec iov[n];
	union {
		char buf[UDP_RX_CMSG_SPACE];
		struct cmsghdr align;
	} ctrl[n];
	int got;

	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = bufs + (size_t)i * cap;
		iov[i].iov_len = cap;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &r[i].src;
		msgs[i].msg_hdr.msg_namelen = sizeof(r[i].src);
		msgs[i].msg_hdr.msg_control = ctrl[i].buf;
		msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i].buf);
	}
	got = io->recvmmsg(fd, msgs, n, MSG_DONTWAIT, NULL);
	if (got <= 0)
		return 0;
	for (int i = 0; i < got; i++) {
		r[i].buf = iov[i].iov_base;
		r[i].len = msgs[i].msg_len;
		r[i].truncated = msgs[i].msg_hdr.msg_flags & MSG_TRUNC;
		r[i].segment = udp_parse_cmsgs(&msgs[i].msg_hdr, &r[i].local);
	}
	return (unsigned)got;
}
