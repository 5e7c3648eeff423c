/* SPDX-License-Identifier: MIT */
/*
 * Outbound batches: the datagrams the send and receive paths produce are
 * handed here as one batch; it goes to the UDP sockets through the
 * device's udp_io, and every datagram the kernel refused is counted as a
 * named drop (by errno class) and logged at error level, rate-limited. A
 * failure touches only its own datagram: the caller reads d[i].error to
 * account each peer's own datagrams.
 */
#ifndef LW_OUTBOUND_H
#define LW_OUTBOUND_H

#include "messages.h"
#include "udp.h"

struct device;

/* The drop reason a send error (-errno) counts as. */
int outbound_drop_reason(int error);
/* Sends d[0..n) and counts and logs each failure. */
void outbound_send(struct device *dev, struct udp_datagram *d, unsigned n);

/* A cookie reply to src: queued while a receive batch runs
 * (dev->cookie_replies.batching), else sent at once. */
void outbound_cookie_reply(struct device *dev,
			   const struct message_handshake_cookie *reply,
			   const struct sockaddr *src);
/* Sends the queued cookie replies as one outbound batch. */
void outbound_flush_cookie_replies(struct device *dev);

#endif
