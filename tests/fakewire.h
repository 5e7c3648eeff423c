/* SPDX-License-Identifier: MIT */
/*
 * A fake UDP wire for unit tests, handed to devices through their ops
 * (device_ops.udp): no sockets. A device's "socket" is its port number
 * (udp4_fd = port, 127.0.0.1); sendmmsg queues each datagram for the
 * device whose port it names, recvmmsg takes them off that queue with
 * the sender's address. Sends to a port in fakewire_fail fail with that
 * errno, as the kernel reports it: the first message of a call as -1,
 * a later one by ending the call early. Like a socket with UDP_GRO,
 * recvmmsg coalesces a run of same-sized datagrams from one sender into
 * one buffer with a UDP_GRO cmsg.
 *
 * Ownership: static state of the including test; fakewire_reset() frees
 * what is queued.
 */
#ifndef LW_FAKEWIRE_H
#define LW_FAKEWIRE_H

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "udp.h"

#define FAKEWIRE_PORT0 41000
#define FAKEWIRE_PORTS 12
#define FAKEWIRE_QUEUE 2048

struct fakewire_dgram {
	uint8_t *data;
	size_t len;
	uint16_t from_port;
};

static struct fakewire_queue {
	struct fakewire_dgram q[FAKEWIRE_QUEUE];
	unsigned head, n;
} fakewire_q[FAKEWIRE_PORTS];
static int fakewire_fail[FAKEWIRE_PORTS]; /* errno per destination, 0 */
static unsigned fakewire_sent[FAKEWIRE_PORTS]; /* datagrams queued */

static int fakewire_slot(int port)
{
	int k = port - FAKEWIRE_PORT0;

	return k >= 0 && k < FAKEWIRE_PORTS ? k : -1;
}

static void fakewire_push(int to, int from, const void *buf, size_t len)
{
	struct fakewire_queue *q = &fakewire_q[to];
	struct fakewire_dgram *d;

	if (q->n == FAKEWIRE_QUEUE)
		return; /* a full queue drops, as a socket buffer does */
	d = &q->q[(q->head + q->n++) % FAKEWIRE_QUEUE];
	d->data = malloc(len ? len : 1);
	memcpy(d->data, buf, len);
	d->len = len;
	d->from_port = (uint16_t)(FAKEWIRE_PORT0 + from);
	fakewire_sent[to]++;
}

/* One message: one datagram per iovec (as udp.c builds them). */
static int fakewire_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n,
			     int flags)
{
	int from = fakewire_slot(fd);

	(void)flags;
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &msgs[i].msg_hdr;
		const struct sockaddr_in *to = mh->msg_name;
		int k = fakewire_slot(ntohs(to->sin_port));

		if (k >= 0 && fakewire_fail[k]) {
			if (i)
				return (int)i;
			errno = fakewire_fail[k];
			return -1;
		}
		for (size_t v = 0; k >= 0 && v < mh->msg_iovlen; v++)
			fakewire_push(k, from, mh->msg_iov[v].iov_base,
				      mh->msg_iov[v].iov_len);
	}
	return (int)n;
}

static void fakewire_pop(struct fakewire_queue *q)
{
	free(q->q[q->head].data);
	q->head = (q->head + 1) % FAKEWIRE_QUEUE;
	q->n--;
}

static void fakewire_put_gro(struct msghdr *mh, size_t segment)
{
	struct cmsghdr *c;
	int size = (int)segment;

	if (mh->msg_controllen < CMSG_SPACE(sizeof(int))) {
		mh->msg_controllen = 0;
		return;
	}
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_GRO;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	mh->msg_controllen = CMSG_SPACE(sizeof(int));
}

/* Fills one buffer: the oldest datagram and, as UDP_GRO would, those
 * after it from the same sender with its size (the last may be shorter). */
static size_t fakewire_fill(struct fakewire_queue *q, struct msghdr *mh)
{
	struct fakewire_dgram *d = &q->q[q->head];
	struct sockaddr_in from = { .sin_family = AF_INET };
	size_t cap = mh->msg_iov[0].iov_len, seg = d->len, len = 0;
	uint8_t *out = mh->msg_iov[0].iov_base;
	unsigned count = 0;

	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	from.sin_port = htons(d->from_port);
	memcpy(mh->msg_name, &from, sizeof(from));
	mh->msg_namelen = sizeof(from);
	mh->msg_flags = d->len > cap ? MSG_TRUNC : 0;
	do {
		d = &q->q[q->head];
		memcpy(out + len, d->data, d->len < cap ? d->len : cap);
		len += d->len < cap ? d->len : cap;
		count++;
		fakewire_pop(q);
		if (d->len < seg || !q->n || count == 64)
			break;
		d = &q->q[q->head];
	} while (htons(d->from_port) == from.sin_port && d->len <= seg &&
		 len + d->len <= cap && seg > 0);
	if (count > 1)
		fakewire_put_gro(mh, seg);
	else
		mh->msg_controllen = 0;
	return len;
}

static int fakewire_recvmmsg(int fd, struct mmsghdr *msgs, unsigned n,
			     int flags, struct timespec *timeout)
{
	struct fakewire_queue *q;
	int k = fakewire_slot(fd);
	unsigned got = 0;

	(void)flags, (void)timeout;
	if (k < 0)
		return -1;
	q = &fakewire_q[k];
	for (; got < n && q->n; got++)
		msgs[got].msg_len =
			(unsigned)fakewire_fill(q, &msgs[got].msg_hdr);
	if (!got) {
		errno = EAGAIN;
		return -1;
	}
	return (int)got;
}

static const struct udp_io fakewire_io = {
	.sendmmsg = fakewire_sendmmsg,
	.recvmmsg = fakewire_recvmmsg,
};

/* Takes the oldest datagram queued for port into buf; its length, or -1. */
static ssize_t fakewire_take(int port, uint8_t *buf, size_t cap,
			     struct sockaddr_in *from)
{
	struct fakewire_queue *q = &fakewire_q[fakewire_slot(port)];
	struct fakewire_dgram *d;
	size_t len;

	if (!q->n)
		return -1;
	d = &q->q[q->head];
	len = d->len < cap ? d->len : cap;
	memcpy(buf, d->data, len);
	memset(from, 0, sizeof(*from));
	from->sin_family = AF_INET;
	from->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	from->sin_port = htons(d->from_port);
	fakewire_pop(q);
	return (ssize_t)len;
}

#endif
