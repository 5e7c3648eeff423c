/* SPDX-License-Identifier: MIT */
/*
 * The receive path (receive.c): datagrams from the UDP sockets are
 * dispatched by message type; what they produce goes out as outbound
 * batches (handshake responses, cookie replies) or to the TUN. Runs on
 * the event-loop thread.
 */
#ifndef LW_RECEIVE_H
#define LW_RECEIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct device;
struct udp_source;
struct udp_received;

/* Receives what the socket holds (bounded rounds) and handles it. */
void receive_packets_from_udp(struct device *dev, int fd);
/* One batch of received buffers, as udp_receive_batch fills them: the
 * sans-I/O entry the tests and the fuzzer drive. */
void receive_batch(struct device *dev, struct udp_received *r, unsigned n);
/* One datagram; local is the address it arrived on (NULL: unknown). */
void receive_datagram(struct device *dev, uint8_t *buf, size_t len,
		      const struct sockaddr *src,
		      const struct udp_source *local);

#endif
