// SPDX-License-Identifier: MIT
/*
 * Outbound batches (outbound.h): sending, and what a refused datagram
 * costs. Failures are sorted into a few drop reasons by errno class, so a
 * user sees "send failed: no route" instead of a silent loss, and logged
 * at error level at most LOG_RATELIMIT_BURST times a second.
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
