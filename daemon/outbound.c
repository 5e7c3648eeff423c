// SPDX-License-Identifier: MIT
/*
 * Outbound batches (outbound.h): sending, and what a refused datagram
 * costs. Failures are sorted into a few drop reasons by errno class, so a
 * user sees "send failed: no route" instead of a silent loss, and logged
 * at error level at most LOG_RATELIMIT_BURST times a second. Cookie
 * replies made during a receive batch wait here and leave as one batch.
 */
#include "outbound.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "log.h"

int outbound_drop_reason(int error)
{
	switch (-error) {
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return DROP_SEND_UNREACHABLE;
	case EPERM:
	case EACCES:
	case ECONNREFUSED:
		return DROP_SEND_REFUSED;
	case EMSGSIZE:
		return DROP_SEND_TOO_BIG;
	case EAGAIN:
	case ENOBUFS:
	case ENOMEM:
		return DROP_SEND_NO_BUFFER;
	case EADDRNOTAVAIL:
	case EINVAL:
	case EAFNOSUPPORT:
		return DROP_SEND_BAD_ADDRESS;
	default:
		return DROP_SEND_OTHER;
	}
}

static void format_dst(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(in->sin_port));
	}
}

static void log_failure(struct device *dev, const struct udp_datagram *d)
{
	static struct log_ratelimit rl;
	char dst[INET6_ADDRSTRLEN + 8];

	format_dst(d->dst, dst, sizeof(dst));
	log_error_ratelimited(&rl, device_now(dev), "failed to send to %s: %s", dst,
			      strerror(-d->error));
}

void outbound_send(struct device *dev, struct udp_datagram *d, unsigned n)
{
	udp_send_batch(dev->ops->udp, dev->udp4_fd, dev->udp6_fd, d, n);
	for (unsigned i = 0; i < n; i++) {
		if (!d[i].error)
			continue;
		dev->drops[outbound_drop_reason(d[i].error)]++;
		log_failure(dev, &d[i]);
	}
}

/* Sends the queued cookie replies as one outbound batch; each that fails
 * is counted alone (an initiator retries). */
void outbound_flush_cookie_replies(struct device *dev)
{
	struct cookie_reply_queue *q = &dev->cookie_replies;
	struct udp_datagram d[COOKIE_REPLY_BATCH];

	for (unsigned i = 0; i < q->n; i++)
		d[i] = (struct udp_datagram){
			.dst = (struct sockaddr *)&q->dst[i],
			.buf = &q->msg[i],
			.len = sizeof(q->msg[i]),
		};
	if (q->n)
		outbound_send(dev, d, q->n);
	q->n = 0;
}

/* A cookie reply to src: queued during a receive round, else sent now. */
void outbound_cookie_reply(struct device *dev,
			   const struct message_handshake_cookie *reply,
			   const struct sockaddr *src)
{
	struct cookie_reply_queue *q = &dev->cookie_replies;

	if (!q->batching) {
		struct udp_datagram d = {
			.dst = src, .buf = reply, .len = sizeof(*reply)
		};

		outbound_send(dev, &d, 1);
		return;
	}
	if (q->n == COOKIE_REPLY_BATCH)
		outbound_flush_cookie_replies(dev);
	q->msg[q->n] = *reply;
	memset(&q->dst[q->n], 0, sizeof(q->dst[q->n]));
	memcpy(&q->dst[q->n], src,
	       src->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					 sizeof(struct sockaddr_in));
	q->n++;
}
